"""Step 5, CNSocialDepress (Xu et al., arXiv:2510.11233v2), following Sections 3-5.

``dataset_io`` (the release format and its ``text_N[note]`` citations), ``selection`` (the
60-post / 3,000-Qwen2.5-token rules, Gold/Test splits), ``dimension_tagger`` (the lexicon
baseline and offline verifier), ``module1`` + ``llamafactory_format`` + ``lora_sft``
(Section 4.1), ``module2`` + ``llm_backend`` (Section 4.2), ``text_metrics`` and
``benchmarks`` (Section 5's metrics), ``human_eval`` (Table 4's ratings), ``tables``
(Tables 1-7 beside the paper), ``chapter`` (the chapter's steps) and ``weibo_fixture`` (a
release-format file from real Weibo posts with hand-written evidence).  Published values
live in :mod:`helpers.study.cnsd`.
"""
