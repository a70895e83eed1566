"""Step 2, sentiment: label files, the fine-tuned Chinese encoder that scores
posts and comments on -1..1 (bert-base-chinese on a GPU, an offline encoder
built from a PyPI wheel on CPU), batched scoring, the study's categories and
the chapter's report."""
