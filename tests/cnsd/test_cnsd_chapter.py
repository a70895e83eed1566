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


def test_coverage_sentences_say_what_the_default_skips():
    from helpers.cnsd.chapter import bertscore_coverage, encoder_probe_coverage
    from helpers.cnsd.dataset_io import CNSDUser

    assert "first **4 of 33**" in bertscore_coverage(4, 33, "Test") and "=0" in bertscore_coverage(4, 33, "Test")
    assert bertscore_coverage(0, 33, "Test").startswith("BERTScore covers all 33")
    assert bertscore_coverage(50, 33, "Test").startswith("BERTScore covers all 33")
    users = [CNSDUser("p_user_1", 1, ["a", "b", "c"]), CNSDUser("n_user_1", 0, ["d"])]
    assert "**2 of 4** posts" in encoder_probe_coverage(1, users)
