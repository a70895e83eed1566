"""Step 4, semantic networks: jieba tokenisation with the domain dictionary,
co-occurrence counting, association strength, VOS layout and CPM clustering as
VOSviewer does them, VOSviewer file export, consistency checks and figures."""
