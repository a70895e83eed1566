"""Step 1, the data: MediaCrawler import, count parsing, text cleaning, privacy,
manual inclusion coding, the cleaning pipeline with its ledger, descriptives and
the public evaluation sets (ChnSentiCorp, SMP2020-EWECT) the sentiment chapter
checks against."""
