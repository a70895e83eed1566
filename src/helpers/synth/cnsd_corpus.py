"""Generate the embedded CNSD-shaped corpus: users, posts, planted dimension spans, gold analyses.

Why synthetic: the real CNSocialDepress release lives on Google Drive and cannot be shipped or
fetched here, yet the chapter must run end to end and its methods must be checkable.  The
generator writes a user-level corpus in the release's own JSON format (``p_user_N``/
``n_user_N``, ``inpput``, ``output``) with *planted* evidence spans, so every method in the
chapter can be scored against a known truth.

What is drawn from the paper (read from :mod:`helpers.study.cnsd`, never typed in here):

* users: ``round(233 · scale)`` (at least 24) in the paper's 116 : 117 ratio;
* texts per user: log-normal around Table 1's per-class means (175.5 positive, 203.6
  negative), never fewer than the Section 3 minimum of 60;
* text length: aimed at Table 1's tokens per text (50.3 positive, 46.9 negative) through the
  generator's *own* characters-per-token estimate (:data:`CHARS_PER_TOKEN`), so it does not
  reuse the chapter's tokenizer; the tests count with the Qwen2.5 tokenizer and check both
  Table 1 and the >= 3,000-token rule;
* spans per text: Table 2 total / Table 1 texts (0.448 positive, 0.050 negative), with
  user-to-user variation (Gamma); each span's dimension from Table 2's shares for the user's
  class (positive: 0.233 / 0.061 / 0.084 / 0.321 / 0.095 / 0.206).

What is the generator's own: every phrase.  The span templates, everyday clauses and
distractors below were written for this generator and share no phrase with the tagger's
lexicon (the paper's representative spans and the DUTIR lexicon; checked by
``tests/cnsd/test_tagger_independence.py``).  Not-at-risk users also post *distractors*:
passing everyday complaints that are not evidence.

Gold analyses follow Figure 2's structure: per dimension an overall assessment and the cited
posts as ``text_N[note]``, where the note is the planted span.  The post-level truth is
returned as a table; the JSON file carries only what the real release carries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.cnsd.dataset_io import (
    DIMENSION_KEYS,
    CNSDUser,
    format_output,
    format_section,
    write_cnsd_json,
)
from helpers.study import cnsd as study

#: The generator's own estimate of characters per Qwen-style BPE token for Chinese text
#: (used only to aim post lengths; the tests measure the result with the real tokenizer).
CHARS_PER_TOKEN = 1.3
#: Gold analyses cite at most this many posts per dimension.
MAX_CITED = 12

FILL: dict[str, list[str]] = {
    "worthless": ["什么都做不好", "是个多余的人", "配不上任何好东西", "只会给人添麻烦", "一点价值都没有"],
    "dept": ["精神科", "心理门诊", "精神卫生中心", "心身科"],
    "drug": ["舍曲林", "氟西汀", "艾司西酞普兰", "帕罗西汀", "米氮平", "度洛西汀"],
    "cause": ["爸妈分开以后", "和男朋友分手以后", "被公司辞退以后", "考研没上岸以后", "被室友排挤以后"],
    "food": ["火锅", "奶茶", "螺蛳粉", "煎饼果子", "麻辣烫", "小笼包", "冰美式", "酸菜鱼"],
    "place": ["公司楼下", "小区门口", "商场", "公园", "地铁站", "图书馆", "江边"],
    "thing": ["新耳机", "一本小说", "一盆绿萝", "机械键盘", "帆布包", "拼图", "台灯"],
    "pet": ["猫", "狗", "仓鼠", "兔子", "柯基"],
    "show": ["综艺", "纪录片", "动漫", "悬疑剧", "老电影"],
}

SPAN_TEMPLATES: dict[str, list[str]] = {
    "psychological_state": [
        "觉得自己{worthless}",
        "活着没什么意思，每天只是在熬",
        "如果我消失了，大概也没人会发现",
        "又把事情搞砸了，全是我的错",
        "好想从这个世界上彻底消失",
        "我这种人根本不值得被喜欢",
        "脑子里一直冒出活不下去的念头",
    ],
    "medical_expression": [
        "今天去{dept}复诊，又调整了剂量",
        "{drug}加到两片了",
        "被诊断为中度抑郁已经{n}个月了",
        "量表测出来是重度，咨询师建议住院",
        "停了{drug}之后整个人又掉下去了",
        "每天早上第一件事是吞下那几颗白色药片",
        "挂了{dept}的号，排到下午才看上",
    ],
    "clinical_symptoms": [
        "又是凌晨四点还睁着眼，整夜没合眼",
        "什么都吃不下，一个月瘦了{n}斤",
        "早上根本起不来，浑身没有力气",
        "脑袋昏沉沉的，像灌了铅",
        "一闭眼就是可怕的梦，醒来一身冷汗",
        "注意力完全集中不了，一页书看了半小时",
    ],
    "negative_emotion": [
        "一个人躲在被子里哭了很久",
        "心里难受得说不出话",
        "说不清的慌张，心跳一直很快",
        "身边一个能说话的人都没有",
        "看不到一点希望，眼前只剩灰色",
        "莫名地想掉眼泪，止也止不住",
    ],
    "external_causes": [
        "自从{cause}，整个人就垮了",
        "家里又吵翻了，我妈说我是白养的",
        "导师又把论文退回来，说我不是读书的料",
        "这份工作压得我喘不过气",
        "毕业三年还一事无成，亲戚的眼神让我难受",
    ],
    "language_pattern": [
        "算了……随便吧……",
        "好烦好烦好烦好烦",
        "凭什么永远是我",
        "真的撑不住了，真的撑不住了",
        "没用的，一切都没用的",
        "有谁能告诉我该往哪走？",
    ],
}

#: Passing everyday complaints: they sound negative but are not evidence.
DISTRACTORS: list[str] = [
    "地铁又晚点了，上班差点迟到",
    "鼻塞得厉害，今天请假在家躺着",
    "加班到九点，终于把方案交了",
    "考试周压力山大，冲就完了",
    "和室友因为空调温度拌了几句嘴",
    "看电影看到结尾眼眶湿了，后劲好大",
    "外卖撒了一半，心疼我的汤",
    "方案被甲方打回来，明天接着改",
    "下雨没带伞，淋成落汤鸡",
    "排了半小时队，轮到我刚好卖完",
]

CLAUSES: list[str] = [
    "{place}新开了一家{food}店，排队的人特别多",
    "今天的{food}味道一般，下次换一家试试",
    "入手了{thing}，颜值很高",
    "家里的{pet}又把纸巾扯了一地",
    "周末去{place}走了走，天气很好",
    "在{place}遇到一只很亲人的{pet}",
    "下雨天窝在家里吃{food}看{show}",
    "今天背了五十个单词，继续打卡",
    "分享一首最近单曲循环的歌",
    "早起跑了三公里，出了一身汗",
    "跟着视频学做了一道菜，味道还行",
    "和朋友在{place}拍了好多照片",
    "{food}配{show}，周五晚上就该这样",
    "给{pet}洗了个澡，弄得满身是水",
    "阳台上的{thing}旁边晒着被子",
    "路过{place}买了一杯{food}",
    "最近在追一部{show}，剧情挺紧凑",
    "收拾了一下书桌，换了个{thing}",
]


@dataclass
class SynthCorpus:
    """The generated users and the post-level planted truth."""

    users: list[CNSDUser]
    truth: pd.DataFrame  # user_key, post_index, label, dims ("a|b" or ""), spans (JSON), distractor
    params: dict


_FILL_PLANS: dict[str, tuple[tuple[str, int, list[str]], ...]] = {}


def _fill_plan(template: str) -> tuple[tuple[str, int, list[str]], ...]:
    """The slots of ``template`` in ``FILL`` order with their counts (no filler contains a brace)."""
    plan = _FILL_PLANS.get(template)
    if plan is None:
        plan = tuple((f"{{{slot}}}", template.count(f"{{{slot}}}"), options)
                     for slot, options in FILL.items() if f"{{{slot}}}" in template)
        _FILL_PLANS[template] = plan
    return plan


def _fill(template: str, rng: np.random.Generator) -> str:
    # Slots are filled in FILL order, each occurrence left to right, then {n}: the same draws
    # in the same order as checking every slot of FILL in turn, without re-scanning the text.
    text = template
    for placeholder, count, options in _fill_plan(template):
        for _ in range(count):
            text = text.replace(placeholder, options[rng.integers(len(options))], 1)
    return text.replace("{n}", str(int(rng.integers(2, 13))))


def _clause(rng: np.random.Generator) -> str:
    return _fill(CLAUSES[rng.integers(len(CLAUSES))], rng)


def _dimension_shares(column: str) -> np.ndarray:
    shares = study.span_shares(column)
    return np.array([shares[d.id] for d in study.DIMENSIONS])


def _n_posts(rng: np.random.Generator, mean: float, min_posts: int) -> int:
    sigma = 0.45
    return int(np.clip(rng.lognormal(np.log(mean) - sigma**2 / 2, sigma), min_posts, 600))


def _pad(core: list[str], target_chars: int, rng: np.random.Generator) -> str:
    """Join span/clause pieces, adding everyday clauses until the post reaches its target length."""
    parts = list(core)
    length = sum(len(p) + 1 for p in parts)
    while length < target_chars:
        clause = _clause(rng)
        length += len(clause) + 1
        if rng.random() < 0.5:
            parts.insert(0, clause)
        else:
            parts.append(clause)
    return "，".join(parts) + "。"


def generate_corpus(scale: float = 1.0, seed: int = 20241111) -> SynthCorpus:
    """Generate users and planted truth; see the module docstring for the design."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    rng = np.random.default_rng(seed)
    t1 = study.TABLE1
    n_users = max(24, int(round((t1["positive"]["users"] + t1["negative"]["users"]) * scale)))
    n_pos = int(round(n_users * t1["positive"]["users"] / (t1["positive"]["users"] + t1["negative"]["users"])))
    min_posts = study.SELECTION["min_posts_per_user"]
    min_tokens = study.SELECTION["min_tokens_per_user"]
    users: list[CNSDUser] = []
    truth_rows: list[dict] = []
    counters = {1: 0, 0: 0}
    for label in [1] * n_pos + [0] * (n_users - n_pos):
        column = "positive" if label else "negative"
        counters[label] += 1
        key = f"{'p' if label else 'n'}_user_{counters[label]}"
        per_user = study.per_user(column)
        tokens_per_text = per_user["tokens per text"]
        # enough posts that the user clears the token rule with a 15 % margin
        floor = max(min_posts, int(np.ceil(1.15 * min_tokens / tokens_per_text)))
        n_posts = max(_n_posts(rng, per_user["texts per user"], min_posts), floor)
        span_rate = rng.gamma(2.0, study.spans_per_text(column) / 2.0)
        dim_p = rng.dirichlet(_dimension_shares(column) * 30 + 0.05)
        distractor_rate = rng.beta(1.5, 15)
        posts: list[str] = []
        cited: dict[str, list[tuple[int, str]]] = {k: [] for k in DIMENSION_KEYS}
        n_with: dict[str, int] = dict.fromkeys(DIMENSION_KEYS, 0)
        for index in range(1, n_posts + 1):
            target = int(rng.gamma(4.0, tokens_per_text * CHARS_PER_TOKEN / 4.0))
            n_spans = min(5, int(rng.poisson(span_rate)))
            spans: list[tuple[str, str]] = []
            distractor = False
            if n_spans:
                for d in rng.choice(len(DIMENSION_KEYS), size=n_spans, p=dim_p):
                    dim = DIMENSION_KEYS[int(d)]
                    spans.append((dim, _fill(SPAN_TEMPLATES[dim][rng.integers(len(SPAN_TEMPLATES[dim]))], rng)))
                text = _pad([s for _, s in spans], target, rng)
            elif rng.random() < distractor_rate:
                distractor = True
                text = _pad([DISTRACTORS[rng.integers(len(DISTRACTORS))]], target, rng)
            else:
                text = _pad([], target, rng)
            posts.append(text)
            located = []
            for dim in {d for d, _ in spans}:
                n_with[dim] += 1
            for dim, span in spans:
                start = text.find(span)
                located.append([dim, start, start + len(span), span])
                if len(cited[dim]) < MAX_CITED and (index, span) not in cited[dim]:
                    cited[dim].append((index, span))
            truth_rows.append({"user_key": key, "post_index": index, "label": label,
                               "dims": "|".join(sorted({d for d, _ in spans})),
                               "spans": json.dumps(located, ensure_ascii=False), "distractor": distractor})
        sections = {}
        for dim in DIMENSION_KEYS:
            if cited[dim]:
                lead = f"共{n_with[dim]}条帖子涉及该维度。" if label else "偶有相关表达，程度轻。"
                sections[dim] = format_section(lead, cited[dim])
            else:
                sections[dim] = "未见相关表达。"
        overall = ("多个维度的信号相互印证，提示存在抑郁风险。" if label
                   else "以日常生活分享为主，未见持续的抑郁信号。")
        output = format_output(label, sections, overall)
        users.append(CNSDUser(user_key=key, label=label, posts=posts, answer=label,
                              sections=sections, output=output))
    params = {"scale": scale, "seed": seed, "n_users": n_users, "n_positive": n_pos,
              "chars_per_token": CHARS_PER_TOKEN, "max_cited": MAX_CITED}
    return SynthCorpus(users=users, truth=pd.DataFrame(truth_rows), params=params)


def write_corpus(corpus: SynthCorpus, folder: str | Path) -> dict[str, Path]:
    """Write ``CNSD_dataset.json`` (release format), ``truth_posts.parquet`` and ``synth_params.json``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "dataset": write_cnsd_json(corpus.users, folder / "CNSD_dataset.json"),
        "truth": folder / "truth_posts.parquet",
        "params": folder / "synth_params.json",
    }
    corpus.truth.to_parquet(paths["truth"], index=False)
    paths["params"].write_text(json.dumps(corpus.params, indent=2))
    return paths
