"""Drawing the inclusion and labelling sets."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.coding.sampling import SamplingError, inclusion_set, labelling_set, read_coding_set
from helpers.data.pipeline import CleaningConfig, clean_export
from tests.coding.conftest import SALT


def test_inclusion_set_is_every_post_reaching_the_coding_stage(crawl):
    chosen = inclusion_set(crawl.posts, salt=SALT, seed=4)
    assert chosen.task == "inclusion"
    assert set(chosen.key["source_id"]) == set(crawl.posts["note_id"])
    assert len(chosen.items) == len(crawl.posts) and chosen.items["item_id"].is_unique
    assert int(chosen.items["pilot"].sum()) == min(100, len(crawl.posts))
    # the posts that reach coding are exactly those the length filter kept (checked against the ledger)
    result = clean_export(crawl.raw, CleaningConfig(salt=SALT))
    too_short = result.exclusions.query("kind == 'post' and stage == 'too_short'")["id"]
    assert not set(too_short) & set(chosen.key["source_id"])
    assert (crawl.posts["post_length"] >= 100).all()


def test_inclusion_set_is_seeded_and_ids_depend_on_the_salt(crawl):
    a = inclusion_set(crawl.posts, salt=SALT, seed=4, pilot_size=20)
    b = inclusion_set(crawl.posts, salt=SALT, seed=4, pilot_size=20)
    c = inclusion_set(crawl.posts, salt="another salt", seed=5, pilot_size=20)
    assert a.items.equals(b.items)
    assert not set(a.items["item_id"]) & set(c.items["item_id"])
    assert a.items["pilot"].tolist() != c.items["pilot"].tolist()
    assert not set(a.items.columns) & {"note_id", "comment_id", "creator_id", "audience_id"}


def test_min_post_length_reapplies_the_filter(crawl):
    strict = inclusion_set(crawl.posts, salt=SALT, min_post_length=200)
    assert len(strict.items) == int((crawl.posts["post_length"] >= 200).sum())
    with pytest.raises(SamplingError, match="no post"):
        inclusion_set(crawl.posts, salt=SALT, min_post_length=10**6)


def test_labelling_set_proportional_equal_and_explicit(crawl):
    pool_posts, pool_comments = len(crawl.posts), len(crawl.comments)
    prop = labelling_set(crawl.posts, crawl.comments, salt=SALT, size=300, seed=2)
    counts = prop.items["kind"].value_counts()
    assert counts.sum() == 300
    assert counts["post"] == pytest.approx(300 * pool_posts / (pool_posts + pool_comments), abs=1)
    equal = labelling_set(crawl.posts, crawl.comments, salt=SALT, size=100, seed=2, allocation="equal")
    assert equal.items["kind"].value_counts().to_dict() == {"post": 50, "comment": 50}
    explicit = labelling_set(crawl.posts, crawl.comments, salt=SALT, size=90, seed=2,
                             allocation={"post": 30, "comment": 60})
    assert explicit.items["kind"].value_counts().to_dict() == {"comment": 60, "post": 30}
    shares = labelling_set(crawl.posts, crawl.comments, salt=SALT, size=100, seed=2,
                           allocation={"post": 0.25, "comment": 0.75})
    assert shares.items["kind"].value_counts().to_dict() == {"comment": 75, "post": 25}
    with pytest.raises(SamplingError, match="add up to 90, not to size=100"):
        labelling_set(crawl.posts, crawl.comments, salt=SALT, size=100, allocation={"post": 30, "comment": 60})
    simple = labelling_set(crawl.posts, crawl.comments, salt=SALT, size=120, seed=2, strata=None)
    assert len(simple.items) == 120 and set(simple.items["stratum"]) == {"all"}
    again = labelling_set(crawl.posts, crawl.comments, salt=SALT, size=300, seed=2)
    assert again.items.equals(prop.items)


def test_labelling_set_errors_are_clear(crawl):
    with pytest.raises(SamplingError, match="pool has only"):
        labelling_set(crawl.posts, crawl.comments, salt=SALT, size=10**7)
    with pytest.raises(SamplingError, match="more texts than some strata hold"):
        labelling_set(crawl.posts, crawl.comments, salt=SALT, size=len(crawl.posts) + 2,
                      allocation={"post": len(crawl.posts) + 1, "comment": 1})
    with pytest.raises(SamplingError, match="do not exist"):
        labelling_set(crawl.posts, crawl.comments, salt=SALT, size=10, allocation={"video": 10})
    with pytest.raises(SamplingError, match="lacks column"):
        labelling_set(crawl.posts.drop(columns="text"), crawl.comments, salt=SALT, size=10)


def test_coding_set_round_trips_through_its_files(crawl, tmp_path):
    chosen = inclusion_set(crawl.posts, salt=SALT, seed=4)
    items_path, key_path = chosen.write(tmp_path)
    assert "PRIVATE" in key_path.name
    back = read_coding_set(tmp_path, "inclusion")
    pd.testing.assert_frame_equal(back.items, chosen.items, check_dtype=False)
    assert back.source_ids(back.items["item_id"]).tolist() == chosen.key["source_id"].tolist()
    shared = items_path.read_text(encoding="utf-8")
    assert not any(note_id in shared for note_id in crawl.posts["note_id"])
