"""Build a ``CNSD_dataset.json``-format file from real Weibo posts with hand-written evidence.

Why: the chapter's methods must be measured on text that neither the generator nor the
tagger was built around.  SMP2020-EWECT (a public Weibo emotion set, mirrored for CI) gives
real posts; ``tests/cnsd/fixtures/weibo_evidence.json`` gives, for about fifty of them, the
dimension and evidence span a human reader chose, plus a few *hard negatives* (posts that
mention hospitals, pills or sleep without being about the author's depression).  This
module assembles users from them in the release's exact format: keys ``p_user_N`` /
``n_user_N``, the misspelled ``inpput`` with ``text_N:`` lines, and an ``output`` whose six
sections cite the annotated posts as ``text_N[evidence]``.

Positive users get the annotated posts of the ``positive`` group (spread so that every user
has a share of every dimension) and everyday filler; negative users get filler, the hard
negatives and the few ``negative``-group annotations (non-depressed users show some signals
too, as Table 2's negative column does).  Filler posts are SMP2020 posts labelled neutral,
happy or surprise by that set's annotators, used only as everyday text.  @-mentions and
links are masked.  Every user is filled to at least 70 posts and 5,500 characters so the
Section 3 rules (60 posts, 3,000 Qwen2.5 tokens) hold; the tests check this with the
tokenizer.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np

from helpers.cnsd.dataset_io import (
    DIMENSION_KEYS,
    CNSDUser,
    format_output,
    format_section,
    write_cnsd_json,
)

FILLER_LABELS = ("neutral", "happy", "surprise")
_MENTION = re.compile(r"@[^\s@:：,，。!！?？]+")
_URL = re.compile(r"https?://\S+")


def mask_identifiers(text: str) -> str:
    """Replace @-mentions and links (the only identifiers SMP2020 posts carry inline)."""
    return _URL.sub("", _MENTION.sub("@某用户", text)).strip()


def _load(smp_dir: Path, name: str) -> dict[int, dict]:
    path = smp_dir / name
    if not path.exists():
        raise FileNotFoundError(f"SMP2020-EWECT file {path} not found: point smp_dir at the folder holding it")
    return {int(r["id"]): r for r in json.loads(path.read_text(encoding="utf-8"))}


def build_weibo_fixture(smp_dir: str | Path, annotations_path: str | Path, out_path: str | Path, *,
                        users_per_class: int = 6, min_posts: int = 70, min_chars: int = 5500,
                        seed: int = 0) -> Path:
    """Write the fixture file and return its path (deterministic for a seed)."""
    smp_dir = Path(smp_dir)
    spec = json.loads(Path(annotations_path).read_text(encoding="utf-8"))
    rng = np.random.default_rng(seed)
    sources: dict[str, dict[int, dict]] = {}

    def record(source: str, rid: int) -> dict:
        if source not in sources:
            sources[source] = _load(smp_dir, source)
        if rid not in sources[source]:
            raise KeyError(f"{annotations_path}: {source} has no post with id {rid}")
        return sources[source][rid]

    used = {(a["source"], int(a["id"])) for a in spec["annotations"] + spec["hard_negatives"]}
    for a in spec["annotations"]:
        text = record(a["source"], int(a["id"]))["content"]
        for dim, ev in a["evidence"].items():
            if dim not in DIMENSION_KEYS:
                raise ValueError(f"{annotations_path}: post {a['source']}#{a['id']} has unknown dimension {dim!r}")
            if ev not in text:
                raise ValueError(f"{annotations_path}: evidence {ev!r} is not in post {a['source']}#{a['id']}")
    filler = []
    for name in ("usual_test_labeled.json", "usual_eval_labeled.json"):
        sources.setdefault(name, _load(smp_dir, name))
        filler += [mask_identifiers(r["content"]) for rid, r in sorted(sources[name].items())
                   if r["label"] in FILLER_LABELS and (name, rid) not in used and len(r["content"].strip()) >= 12]
    order = rng.permutation(len(filler))
    filler_iter = iter(filler[i] for i in order)

    # spread positive annotations: rarest dimensions first, to the user with fewest of that dimension
    pos_ann = [a for a in spec["annotations"] if a["group"] == "positive"]
    freq = Counter(d for a in pos_ann for d in a["evidence"])
    pos_ann.sort(key=lambda a: min(freq[d] for d in a["evidence"]))
    per_user: list[list[dict]] = [[] for _ in range(users_per_class)]
    dim_count = [Counter() for _ in range(users_per_class)]
    for a in pos_ann:
        rare = min(a["evidence"], key=lambda d: freq[d])
        u = min(range(users_per_class), key=lambda i: (dim_count[i][rare], len(per_user[i])))
        per_user[u].append(a)
        dim_count[u].update(list(a["evidence"]))
    neg_items: list[list[dict]] = [[] for _ in range(users_per_class)]
    extra = [a for a in spec["annotations"] if a["group"] == "negative"] + [
        {**h, "evidence": {}} for h in spec["hard_negatives"]]
    for i, a in enumerate(extra):
        neg_items[i % users_per_class].append(a)

    users: list[CNSDUser] = []
    for label, groups in ((1, per_user), (0, neg_items)):
        for n, items in enumerate(groups, start=1):
            posts: list[tuple[str, dict]] = [(mask_identifiers(record(a["source"], int(a["id"]))["content"]),
                                              a["evidence"]) for a in items]
            while len(posts) < min_posts or sum(len(p) for p, _ in posts) < min_chars:
                posts.append((next(filler_iter), {}))
            posts = [posts[i] for i in rng.permutation(len(posts))]
            cited: dict[str, list[tuple[int, str]]] = {d: [] for d in DIMENSION_KEYS}
            for index, (_, evidence) in enumerate(posts, start=1):
                for dim, ev in evidence.items():
                    cited[dim].append((index, ev))
            sections = {d: (format_section(f"{len(c)}条帖子涉及该维度。", c) if c else "未见相关表达。")
                        for d, c in cited.items()}
            overall = "多个维度有证据，提示存在抑郁风险。" if label else "以日常分享为主，个别帖子有短暂情绪，未见持续信号。"
            key = f"{'p' if label else 'n'}_user_{n}"
            users.append(CNSDUser(key, label, [p for p, _ in posts], answer=label, sections=sections,
                                  output=format_output(label, sections, overall)))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    return write_cnsd_json(users, out_path)
