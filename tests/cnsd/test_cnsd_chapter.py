"""The CNSD chapter keeps its research-only statement and crisis resources."""

from __future__ import annotations


def test_chapter_states_research_use_and_crisis_lines(project_root):
    text = (project_root / "notebooks" / "05_cnsd_pipeline.py").read_text(encoding="utf-8")
    intro = text[: text.index('tags=["parameters"]')]
    for needle in ("Research use only", "not a diagnostic tool", "12356", "010-82951332", "findahelpline.com"):
        assert needle in intro, needle
    # the API key never becomes a notebook parameter
    params = text[text.index('tags=["parameters"]'):].split("# %%", 1)[0]
    assert "api_key =" not in params and "backend_key_env" in params
