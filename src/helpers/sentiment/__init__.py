"""Step 2, sentiment: label files, the Chinese encoder that scores posts and
comments on -1..1 (bert-base-chinese fine-tuned on a GPU; on a CPU the schedule
chosen by a measured comparison on real labelled text, by default the offline
encoder built from a PyPI wheel with a ridge head), batched scoring,
calibration to the label scale, the study's categories with its fixed or
percentile cuts, the real-text check, and the chapter's tables and figures."""
