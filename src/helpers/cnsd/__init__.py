"""Step 5, CNSocialDepress: the dataset format, the six-dimension tagger,
Module I (dimension labelling, balancing, LoRA SFT data), Module II
(verification and structured summaries), LLM backends, text metrics and the
classification and generation benchmarks."""
