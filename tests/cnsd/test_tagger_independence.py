"""The tagger and the generator come from separate sources and share no phrase."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers.cnsd import dimension_tagger as tagger
from helpers.study import cnsd as study
from helpers.synth import cnsd_corpus as gen

SRC = Path(tagger.__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def _generator_strings() -> list[str]:
    banks = [*gen.DISTRACTORS, *gen.CLAUSES, *[t for ts in gen.SPAN_TEMPLATES.values() for t in ts],
             *[v for vs in gen.FILL.values() for v in vs]]
    return [b.replace("{", "").replace("}", "") for b in banks]


def test_neither_imports_the_other():
    assert not any("dimension_tagger" in m for m in _imports(SRC / "synth" / "cnsd_corpus.py"))
    assert not any("synth" in m for m in _imports(SRC / "cnsd" / "dimension_tagger.py"))


def test_paper_span_words_never_appear_in_generator_phrases():
    """The tagger's own words (the paper's spans as rendered in study_values.yaml) are absent
    from every template, clause, distractor and slot filler of the generator."""
    words = {w for d in study.DIMENSIONS for w in d.spans_zh_guess}
    for text in _generator_strings():
        hits = [w for w in words if w in text]
        assert not hits, f"generator phrase {text!r} contains tagger word(s) {hits}"


def test_no_generator_phrase_is_in_the_lexicon():
    """No generator phrase or clause (split at punctuation) is itself a lexicon or mitigator entry."""
    import re

    entries = set().union(*tagger.lexicon().values()) | tagger.mitigators()
    pieces = {p for t in _generator_strings() for p in re.split(r"[，。？！…、\s]+", t) if len(p) >= 2}
    assert not pieces & entries


def test_tagger_is_not_fitted_to_the_generator():
    """The circularity the issue measured (mitigators matching 7 of 10 distractors) is gone: the
    tagger recognises few generator templates and few distractors carry a mitigator word.
    DUTIR words may occur (it is ordinary Chinese), so the bound is a minority, not zero."""
    import numpy as np

    rng = np.random.default_rng(0)
    templates = [(d, gen._fill(t, rng)) for d, ts in gen.SPAN_TEMPLATES.items() for t in ts]
    own = sum(d in tagger.tag_post(t).dims for d, t in templates) / len(templates)
    assert own < 0.25, f"tagger finds {own:.0%} of generator span templates: it mirrors the generator"
    mit = tagger.mitigators()
    with_mitigator = sum(any(w in x for w in mit) for x in gen.DISTRACTORS)
    assert with_mitigator <= len(gen.DISTRACTORS) // 4, f"{with_mitigator} distractors carry a mitigator word"


def test_tagger_rules():
    t = tagger.tag_post("最近总是失眠，医生让我吃药")
    assert {"clinical_symptoms", "medical_expression"} <= set(t.dims) and t.evidence("medical_expression")
    assert tagger.tag_post("今天去公园散步").dims == []
    # a secondary-only match next to a joy word is mitigated; a primary one is not
    sad = next(w for w in tagger.lexicon()["negative_emotion"] if len(w) == 2 and w not in tagger.mitigators())
    joy = next(iter(sorted(tagger.mitigators())))
    assert tagger.tag_post(f"{sad}，{joy}").mitigated
    assert not tagger.tag_post(f"失眠，{joy}").mitigated
    assert tagger.fit_threshold([0.1, 0.2, 0.5, 0.6], [0, 0, 1, 1]) == 0.5
