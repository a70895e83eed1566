"""Fetch-or-mirror access to the public transfer sets: checksums and clear 'unavailable' messages."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.data import public_datasets as pdx


@pytest.fixture
def empty_env(monkeypatch, tmp_path):
    """No mirror and an empty download cache."""
    monkeypatch.setenv("XHS_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("XHS_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_reads_the_shared_mirror(shared_data, monkeypatch):
    monkeypatch.setenv("XHS_DATA_MIRROR", str(shared_data))
    hotel = pdx.load_chnsenticorp(online=False)
    assert len(hotel) > 7000 and set(hotel["sign"]) == {-1.0, 1.0}
    weibo = pdx.load_smp2020("smp2020_usual_eval", online=False)
    assert set(weibo["emotion"]) <= set(pdx.EMOTION_SIGN)
    assert weibo.loc[weibo["emotion"] == "neutral", "sign"].isna().all()
    assert (weibo.loc[weibo["emotion"] == "sad", "sign"] == -1).all()


def test_transfer_sets_sample_stratified(shared_data, monkeypatch):
    monkeypatch.setenv("XHS_DATA_MIRROR", str(shared_data))
    sets, unavailable = pdx.transfer_sets(sample=200, seed=1, online=False)
    assert unavailable == {} and set(sets) == set(pdx.TRANSFER_LABELS)
    for frame in sets.values():
        assert 190 <= len(frame) <= 210 and frame["sign"].notna().all()
        assert frame["sign"].nunique() == 2


def test_unavailable_is_a_clear_message(empty_env):
    with pytest.raises(pdx.DatasetUnavailable, match="unavailable: not in .*offline: no download attempted"):
        pdx.fetch("chnsenticorp_hotel", online=False)
    sets, unavailable = pdx.transfer_sets(online=False)
    assert sets == {} and set(unavailable) == set(pdx.TRANSFER_LABELS)


def test_checksum_mismatch_is_rejected(empty_env):
    bad = empty_env / "mirror" / "chnsenticorp" / "ChnSentiCorp_htl_all.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("label,review\n1,好\n", encoding="utf-8")
    with pytest.raises(pdx.DatasetUnavailable, match="different checksum"):
        pdx.fetch("chnsenticorp_hotel", online=False)


def test_download_is_verified(empty_env, monkeypatch):
    """A download whose bytes do not match the pinned checksum is not accepted or cached."""

    class FakeResponse:
        def __init__(self, data):
            self.data = data

        def read(self):
            return self.data

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(pdx.urllib.request, "urlopen", lambda url, timeout: FakeResponse(b"tampered"))
    with pytest.raises(pdx.DatasetUnavailable, match="served a file with a different checksum"):
        pdx.fetch("waimai_10k")
    good = b"label,review\n1,good\n"
    monkeypatch.setitem(pdx.FILES, "waimai_10k", pdx.DataFile("x/w.csv", "https://example.org/w.csv",
                                                               pdx.hashlib.sha256(good).hexdigest()))
    monkeypatch.setattr(pdx.urllib.request, "urlopen", lambda url, timeout: FakeResponse(good))
    path = pdx.fetch("waimai_10k")
    assert path.read_bytes() == good and path.is_relative_to(empty_env / "cache")


def test_unknown_name():
    with pytest.raises(KeyError, match="known"):
        pdx.fetch("imdb")


def test_transfer_metrics_values():
    m = pdx.transfer_metrics([0.9, 0.2, -0.1, -0.8, np.nan], [1, 1, -1, -1, 1])
    assert m["n"] == 4 and m["auc"] == 1.0 and m["accuracy"] == 1.0
    m = pdx.transfer_metrics([-0.5, 0.5], [1, -1])
    assert m["auc"] == 0.0 and m["accuracy"] == 0.0 and m["correlation"] == pytest.approx(-1)
    with pytest.raises(ValueError, match="both signs"):
        pdx.transfer_metrics([0.1, 0.2], [1, 1])


# ------------------------------------------------------------------ real labelled text on the −1..1 scale


def test_label_score_table_states_every_mapping():
    table = pdx.label_score_table()
    smp = table[table["dataset"].str.startswith("SMP2020")].set_index("label")["score"]
    assert set(smp.index) == set(pdx.EMOTION_SIGN)
    assert smp["happy"] == 1 and smp["neutral"] == 0 and smp["surprise"] == 0
    assert (smp[["angry", "sad", "fear"]] == -1).all()
    assert sorted(table[table["dataset"].str.startswith("ChnSentiCorp")]["score"]) == [-1.0, 1.0]
    assert table["why"].str.len().min() > 0


def test_real_labelled_set_maps_scores_and_samples_by_label(shared_data, monkeypatch):
    monkeypatch.setenv("XHS_DATA_MIRROR", str(shared_data))
    full = pdx.real_labelled_set("smp2020_usual", online=False)
    assert len(full) > 6500 and full["text"].is_unique and full["text"].str.len().min() > 0
    assert set(full["score"]) == {-1.0, 0.0, 1.0}
    assert (full.loc[full["label"] == "sad", "score"] == -1).all()
    sample = pdx.real_labelled_set("smp2020_usual", sample=300, seed=2, online=False)
    assert 290 <= len(sample) <= 310
    shares = full["label"].value_counts(normalize=True)
    sample_shares = sample["label"].value_counts(normalize=True)
    assert (sample_shares - shares).abs().max() < 0.01  # stratified
    again = pdx.real_labelled_set("smp2020_usual", sample=300, seed=2, online=False)
    assert list(again["text"]) == list(sample["text"])
    hotel = pdx.real_labelled_set("chnsenticorp_hotel", sample=200, seed=0, online=False)
    assert set(hotel["score"]) == {-1.0, 1.0} and set(hotel["dataset"]) == {"chnsenticorp_hotel"}
    virus = pdx.real_labelled_set("smp2020_virus", sample=100, seed=0, online=False)
    assert len(virus) > 90


def test_real_labelled_set_unknown_or_unavailable(empty_env):
    with pytest.raises(KeyError, match="known"):
        pdx.real_labelled_set("imdb")
    with pytest.raises(pdx.DatasetUnavailable, match="offline"):
        pdx.real_labelled_set("smp2020_usual", online=False)


def test_every_pinned_file_in_the_mirror_matches(shared_data):
    for name, spec in pdx.FILES.items():
        path = shared_data / spec.relpath
        if path.exists():
            assert pdx.sha256_of(path) == spec.sha256, name
