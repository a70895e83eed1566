"""Step 3, engagement: the analysis frames, the five lme4 models through
pymer4, random-slope selection, diagnostics, negative-binomial checks, the
MixedLM cross-check, recovery of planted effects and the comparison with the
paper. :mod:`helpers.engagement.r_bridge` owns starting R."""
