"""Synthetic stand-ins for data that cannot be shipped: a MediaCrawler-format
Xiaohongshu export calibrated to Du & Gu, and a CNSD-format user corpus.

Generators never import the methods they are used to test (cleaning,
tokenising, sentiment, tagging); a test checks the imports."""
