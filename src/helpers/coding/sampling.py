"""Drawing the texts the coders see, under pseudonymous item ids.

Two sets, as in the study:

* the **inclusion set**: every post that passed the cleaning and the length
  filter (the coding is the next stage), with a seeded **pilot** subset of 100
  that both coders do first, so that agreement can be checked before the full
  set is coded;
* the **labelling set**: a seeded random sample of posts and comments (3,000 by
  default) for the sentiment scores that train the model, stratified as the
  researcher chooses (by ``kind`` — post/comment — by default, or by any other
  column, with proportional, equal or explicit allocation).

Coders see an ``item_id`` and the cleaned text only.  The item id is a salted
hash of the record's kind and crawl id (:func:`helpers.data.privacy.salted_hash`),
so a coder, or anyone holding a sheet, cannot look the post up; the **key**
that maps item ids back to note/comment ids stays with the researcher and is
written to a separate file that is never sent out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data.privacy import salted_hash

KEY_NAME = "coding_key_PRIVATE.csv"
ITEMS_NAME = "coding_items.csv"
META_NAME = "coding_set.json"


class SamplingError(ValueError):
    """The sample cannot be drawn as asked; the message says why and how to fix it."""


@dataclass
class CodingSet:
    """Items to code (``item_id``, ``text`` and design columns) plus the private key."""

    task: str  # "inclusion" or "sentiment"
    items: pd.DataFrame  # item_id, text, kind, stratum (+ pilot for inclusion)
    key: pd.DataFrame  # item_id, kind, source_id
    seed: int

    def write(self, folder: str | Path) -> tuple[Path, Path]:
        """Write ``coding_items.csv`` (shareable) and ``coding_key_PRIVATE.csv`` (keep it private)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        items_path, key_path = folder / ITEMS_NAME, folder / KEY_NAME
        self.items.to_csv(items_path, index=False, encoding="utf-8")
        self.key.to_csv(key_path, index=False, encoding="utf-8")
        (folder / META_NAME).write_text(json.dumps({"task": self.task, "seed": self.seed, "n": len(self.items)}))
        return items_path, key_path

    def source_ids(self, item_ids: pd.Series) -> pd.Series:
        """Map item ids back to crawl ids (needs the key; for writing chapter 01/02 inputs only)."""
        lookup = self.key.set_index("item_id")["source_id"]
        out = item_ids.map(lookup)
        if out.isna().any():
            missing = item_ids[out.isna()].head(5).tolist()
            raise SamplingError(f"item ids not in this coding set's key: {missing}")
        return out


def pseudonymous_ids(kind: pd.Series, source_id: pd.Series, salt: str, length: int = 12) -> pd.Series:
    """Salted hash of ``kind:source_id``; raises if two records would share an id."""
    ids = salted_hash(kind.astype(str) + ":" + source_id.astype(str), salt, length=length)
    if ids.duplicated().any():
        raise SamplingError("two records received the same item id (duplicated source ids, or a hash "
                            "collision); de-duplicate the input or raise `length`")
    return ids


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SamplingError(f"{what} lacks column(s) {missing}; pass the cleaned table from "
                            "helpers.data.pipeline.clean_export (run without a coding file)")


def inclusion_set(posts: pd.DataFrame, *, salt: str, pilot_size: int = 100, seed: int = 0,
                  min_post_length: int | None = None) -> CodingSet:
    """All posts passing the length filter, with a seeded pilot subset marked ``pilot``.

    ``posts`` is the cleaned post table (``note_id``, ``text``, ``post_length``)
    from a cleaning run without a coding file, i.e. the posts that reach the
    coding stage.  ``min_post_length`` re-applies the filter when the table was
    not filtered yet.
    """
    _require(posts, ["note_id", "text"], "the post table")
    frame = posts
    if min_post_length is not None:
        _require(posts, ["post_length"], "the post table")
        frame = posts.loc[posts["post_length"] >= min_post_length]
    frame = frame.drop_duplicates("note_id").reset_index(drop=True)
    if frame.empty:
        raise SamplingError("no post passes the length filter: nothing to code")
    kind = pd.Series("post", index=frame.index)
    item_id = pseudonymous_ids(kind, frame["note_id"], salt)
    rng = np.random.default_rng(seed)
    pilot = np.zeros(len(frame), dtype=bool)
    pilot[rng.choice(len(frame), size=min(pilot_size, len(frame)), replace=False)] = True
    items = pd.DataFrame({"item_id": item_id, "text": frame["text"].astype(str), "kind": "post",
                          "stratum": "all", "pilot": pilot})
    key = pd.DataFrame({"item_id": item_id, "kind": "post", "source_id": frame["note_id"].astype(str)})
    return CodingSet("inclusion", items, key, seed)


def _allocate(sizes: pd.Series, total: int, allocation: str | dict) -> pd.Series:
    """Items per stratum: proportional (largest remainder), equal, or explicit counts/shares."""
    if isinstance(allocation, dict):
        unknown = set(allocation) - set(sizes.index)
        if unknown:
            raise SamplingError(f"allocation names strata that do not exist: {sorted(unknown)} "
                                f"(strata: {sorted(sizes.index)})")
        values = pd.Series(allocation, dtype=float).reindex(sizes.index).fillna(0.0)
        if (values < 0).any():
            raise SamplingError("allocation values must be non-negative")
        if values.sum() <= 1.0 + 1e-9 and (values < 1).all():  # shares
            weights = values / values.sum()
        else:  # counts
            counts = values.round().astype(int)
            if int(counts.sum()) != total:
                raise SamplingError(f"the allocation's counts add up to {int(counts.sum())}, not to size={total}; "
                                    "make them agree (or give shares that sum to 1)")
            return counts
    elif allocation == "proportional":
        weights = sizes / sizes.sum()
    elif allocation == "equal":
        weights = pd.Series(1.0 / len(sizes), index=sizes.index)
    else:
        raise SamplingError(f"allocation must be 'proportional', 'equal' or a dict, not {allocation!r}")
    raw = weights * total
    counts = np.floor(raw).astype(int)
    remainder = int(total - counts.sum())
    order = (raw - counts).sort_values(ascending=False, kind="stable").index[:remainder]
    counts.loc[order] += 1
    return counts


def labelling_set(posts: pd.DataFrame, comments: pd.DataFrame, *, salt: str, size: int = 3000,
                  seed: int = 0, strata: str | list[str] | None = "kind",
                  allocation: str | dict = "proportional") -> CodingSet:
    """A seeded random sample of posts and comments for sentiment scoring.

    ``strata`` names one or more columns of the pooled table (``kind`` is
    ``post``/``comment``; any other column present in both tables works), or
    ``None`` for a simple random sample.  ``allocation`` is ``proportional``
    (the pool's shares), ``equal``, or a dict of counts or shares per stratum.
    """
    _require(posts, ["note_id", "text"], "the post table")
    _require(comments, ["comment_id", "text"], "the comment table")
    pool = pd.concat([
        posts.assign(kind="post", source_id=posts["note_id"].astype(str)),
        comments.assign(kind="comment", source_id=comments["comment_id"].astype(str)),
    ], ignore_index=True).drop_duplicates(["kind", "source_id"])
    pool = pool.loc[pool["text"].astype(str).str.strip().ne("")].reset_index(drop=True)
    if size > len(pool):
        raise SamplingError(f"asked for {size} texts but the pool has only {len(pool)} posts and comments; "
                            "lower `size` or code them all")
    columns = [strata] if isinstance(strata, str) else list(strata or [])
    _require(pool, columns, "the pooled post/comment table")
    stratum = pool[columns].astype(str).agg("|".join, axis=1) if columns else pd.Series("all", index=pool.index)
    pool = pool.assign(stratum=stratum)
    sizes = pool["stratum"].value_counts().sort_index()
    counts = _allocate(sizes, size, allocation)
    short = counts[counts > sizes]
    if len(short):
        raise SamplingError("the allocation asks for more texts than some strata hold: "
                            + ", ".join(f"{s}: {counts[s]} > {sizes[s]}" for s in short.index))
    rng = np.random.default_rng(seed)
    chosen = []
    for name in sizes.index:
        members = pool.index[pool["stratum"] == name].to_numpy()
        chosen.append(rng.choice(members, size=int(counts[name]), replace=False))
    picked = pool.loc[np.sort(np.concatenate(chosen))].reset_index(drop=True)
    item_id = pseudonymous_ids(picked["kind"], picked["source_id"], salt)
    items = pd.DataFrame({"item_id": item_id, "text": picked["text"].astype(str), "kind": picked["kind"],
                          "stratum": picked["stratum"]})
    key = pd.DataFrame({"item_id": item_id, "kind": picked["kind"], "source_id": picked["source_id"]})
    return CodingSet("sentiment", items, key, seed)


def read_coding_set(folder: str | Path, task: str | None = None) -> CodingSet:
    """Read a coding set written by :meth:`CodingSet.write` (items, key and its task)."""
    folder = Path(folder)
    for name in (ITEMS_NAME, KEY_NAME):
        if not (folder / name).exists():
            raise SamplingError(f"{folder / name} does not exist: write the coding set first")
    meta = json.loads((folder / META_NAME).read_text()) if (folder / META_NAME).exists() else {}
    task = task or meta.get("task")
    if task not in {"inclusion", "sentiment"}:
        raise SamplingError(f"{folder}: cannot tell whether this is the inclusion or the sentiment set; pass task")
    items = pd.read_csv(folder / ITEMS_NAME, dtype={"item_id": str, "text": str}, keep_default_na=False)
    key = pd.read_csv(folder / KEY_NAME, dtype=str, keep_default_na=False)
    if "pilot" in items.columns:
        items["pilot"] = items["pilot"].astype(str).str.lower().eq("true")
    return CodingSet(task, items, key, seed=int(meta.get("seed", -1)))
