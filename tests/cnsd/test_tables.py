"""Tables 1-7: every published cell in the paper columns, our rows beside them, and the notes."""

from __future__ import annotations

import pandas as pd

from helpers.cnsd import tables
from helpers.study import cnsd as study


def test_every_published_cell_is_present():
    t3 = tables.table3({"ours": {"BERTScore": 0.5, "ROUGE-1": 0.4, "BLEU": 0.1}})
    assert t3["paper BERTScore"].notna().sum() == 6 and t3.iloc[-1]["this run BLEU"] == 0.1
    t4 = tables.table4({})
    assert t4[[f"paper {m}" for m in tables.GEN_METRICS + tables.HUMAN_METRICS]].notna().all().all()
    t5 = tables.table5({})
    assert t5["paper precision"].tolist()[5] == 0.801 and t5["paper accuracy as k/36"].iloc[0] == "32/36"
    assert tables.table6({})["paper ROUGE-1"].max() == 0.454
    t7 = tables.table7({"ours": {"CNSD (Gold) Acc": 0.9, "CNSD (Gold) F1": 0.8}})
    assert t7.iloc[:12][[c for c in t7.columns if c.startswith("paper")]].notna().all().all()
    assert t7.iloc[-1]["this run CNSD (Gold) F1"] == 0.8 and pd.isna(t7.iloc[-1]["this run SWDD Acc"])
    # 6 + 18 + 28 + 18 + 72 cells in Tables 3-7, plus Tables 1 and 2
    n = sum(t[[c for c in t.columns if c.startswith("paper ") and "as k/" not in c]].notna().sum().sum()
            for t in (t3, t4, t5, tables.table6({}), t7))
    assert n == 6 * 3 + 3 * 6 + 7 * 4 + 6 * 3 + 12 * 6


def test_table1_and_table2_shapes():
    sel = pd.DataFrame({"label": [1, 1, 0], "posts": [100, 200, 300], "tokens": [5000, 9000, 12000]})
    t1 = tables.table1(sel)
    row = t1[(t1["class"] == "positive") & (t1["quantity"] == "tokens per text")].iloc[0]
    assert row["this run"] == 14000 / 300 and row["paper (Table 1)"] == study.per_user("positive")["tokens per text"]
    spans = pd.DataFrame({"user_key": ["p_user_1"] * 3, "label": [1, 1, 0],
                          "dimension": ["negative_emotion", "negative_emotion", "external_causes"]})
    t2 = tables.table2(spans, {1: 10, 0: 10}, "test")
    assert t2.loc[t2["dimension"] == "Total", "paper positive"].iloc[0] == 9123
    assert t2.loc[t2["dimension"] == "spans per text", "this run positive"].iloc[0] == 0.2


def test_consistency_notes_cover_the_issue_list():
    notes = tables.consistency_notes()
    text = " ".join(notes.astype(str).agg(" ".join, axis=1))
    for needle in ("k/33", "0.801", "+172.0%", "+185.5%", "cannot be drawn from CNSD", "17/21"):
        assert needle in text, needle
