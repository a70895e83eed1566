"""Generate the embedded CNSD-shaped corpus: users, posts, planted dimension spans, gold analyses.

Why synthetic: the real CNSocialDepress release lives on Google Drive and
cannot be shipped or fetched here, yet the chapter must run end to end and its
methods must be checkable.  The generator writes a user-level corpus in the
release's own JSON format (``p_user_N``/``n_user_N``, ``inpput``, ``output``)
with *planted* evidence, so every method in the chapter can be scored against
a known truth.

How it is built (all choices documented so readers can judge what a result on
it means):

* **Users.**  ``round(233 * scale)`` users (at least 24), split as evenly as
  the study's 116 at risk / 117 not.  Posts per user are log-normal (median
  ~177 at scale 1, clipped to 20..600), giving ~44k posts at scale 1 like the
  study's 44,178; smaller scales also shorten timelines (by ``sqrt(scale)``).
* **Posts.**  Most posts are everyday content assembled from fragments
  (food, weather, study, work, pets, games...).  A post may carry one or two
  planted *spans*, each expressing one of the six dimensions.  Span templates
  are written for this project; about a quarter use implicit wording that
  contains none of the tagger's lexicon entries, so a keyword baseline cannot
  be perfect.
* **At-risk users** have a per-user evidence rate ~ 0.8·Beta(3, 5) (mean 0.3),
  with a "quiet" minority (15 %) at Beta(1, 12); dimensions are drawn from a
  per-user Dirichlet around study-like frequencies (negative emotions and
  psychological state common, medical expressions rarer).
* **Not-at-risk users** post *distractors* at rate ~Beta(1.5, 15): transient
  complaints (traffic, exams, a cold) that share vocabulary with the
  dimensions but are not evidence; 1 % of their posts carry a real span
  (life is not clean), and those posts are recorded as such.
* **Gold analyses** are written in the release's output format from the
  user's planted spans: one section per dimension quoting up to two spans,
  or a "nothing observed" sentence.

The post-level truth (which dimensions each post carries) is returned as a
table so Module I and the tagger can be scored; the JSON file itself carries
only what the real release carries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.cnsd.dataset_io import DIMENSION_KEYS, CNSDUser, format_output, write_cnsd_json

STUDY_USERS = 233
STUDY_POSITIVE = 116

# ---------------------------------------------------------------------------
# Phrase banks (written for this project).  "{x}" slots are filled from FILL.
# Entries prefixed with "~" are implicit: no tagger lexicon word on purpose.
# ---------------------------------------------------------------------------
FILL: dict[str, list[str]] = {
    "when": ["最近", "这段时间", "这几个月", "每天", "一直", "又一次", "今天", "半夜"],
    "self": ["什么都做不好", "是个累赘", "很没用", "拖累了身边的人", "一无是处", "不配被爱"],
    "drug": ["舍曲林", "氟西汀", "艾司西酞普兰", "帕罗西汀", "草酸艾司", "安眠药"],
    "dept": ["精神科", "心理科", "精神卫生中心", "心理咨询室"],
    "cause": ["和家里吵架", "分手", "被裁员", "考研失败", "被同学孤立", "父母离婚", "工作压力", "论文被拒"],
    "food": ["火锅", "奶茶", "螺蛳粉", "煎饼", "麻辣烫", "小笼包", "冰美式"],
    "place": ["公司楼下", "学校门口", "商场", "公园", "地铁站", "图书馆"],
    "thing": ["新耳机", "一本小说", "一盆绿萝", "键盘", "帆布包", "拼图"],
    "pet": ["猫", "狗", "仓鼠", "兔子"],
}

DIM_TEMPLATES: dict[str, list[str]] = {
    "psychological_state": [
        "{when}觉得自己{self}",
        "活着好没意思，不知道为了什么",
        "我是不是不该存在",
        "{when}心里空荡荡的，感觉很绝望",
        "对什么都提不起兴趣了，以前喜欢的事也不想做",
        "~{when}像被关在玻璃罩里，外面的热闹都和我无关",
        "~好想消失一阵子，谁也别来找我",
        "~每天醒来的第一个念头是又要熬一天",
    ],
    "medical_expression": [
        "{when}去{dept}复诊，医生说是中度抑郁",
        "{drug}又加量了，副作用让我一直犯恶心",
        "确诊抑郁症的第{n}天",
        "做了抑郁量表，分数又高了",
        "停药之后又复发了",
        "~今天的小白片吃完了，明天得去医院再开",
        "~挂了{dept}的号，排队排到下午",
    ],
    "clinical_symptoms": [
        "{when}失眠，凌晨四点还睁着眼",
        "又是整夜睡不着，白天头昏脑胀",
        "食欲很差，一天只吃得下几口",
        "注意力完全没法集中，书看不进去",
        "{when}浑身乏力，起床都很困难",
        "早醒，醒了就再也睡不着",
        "~体重一个月掉了六斤，衣服都空了",
        "~脑子像生锈了一样，反应慢半拍",
    ],
    "negative_emotion": [
        "{when}好难过，一个人躲在被子里哭",
        "心里很痛苦，说不出来的那种",
        "焦虑到手抖，心跳得好快",
        "{when}很烦躁，一点小事就想发火",
        "好孤独，身边没有一个能说话的人",
        "~眼泪止不住，也不知道在委屈什么",
        "~心口像压着一块石头，喘不过气",
    ],
    "external_causes": [
        "自从{cause}以后，我就再也没有开心过",
        "{cause}之后整个人都垮了",
        "家里的压力太大了，每次打电话都吵架",
        "{cause}，感觉人生彻底失控了",
        "~还是忘不了那件事，一想起来就发抖",
        "~他们说的那些话一直在我脑子里回放",
    ],
    "language_pattern": [
        "我真的好累好累好累",
        "为什么总是我，永远都是我",
        "算了……反正也没人在乎……",
        "我不行了我不行了",
        "什么都没意义，一切都是徒劳",
        "~嗯。就这样吧。",
        "~……………",
    ],
}

#: Transient complaints of not-at-risk users: vocabulary overlaps the lexicon, meaning does not.
DISTRACTORS: list[str] = [
    "堵车堵了一个小时，好烦",
    "明天考试，今晚大概要失眠了哈哈",
    "感冒了去医院开了点药，希望快点好",
    "加班到十点，累但是项目上线了很开心",
    "和室友吵架了，不过晚上就和好了",
    "电影结局好虐，哭得稀里哗啦",
    "体检报告出来了，一切正常",
    "考试没考好有点难过，下次努力",
    "快递丢了，焦虑了一整天，结果在门卫那",
    "外卖又洒了，今天真是倒霉的一天",
]

NEUTRAL_TEMPLATES: list[str] = [
    "{place}新开了一家{food}店，排队的人好多",
    "今天的{food}味道一般，下次换一家",
    "买了{thing}，颜值很高",
    "家里的{pet}又在拆家了",
    "周末去{place}散步，天气很好",
    "在{place}看到一只可爱的{pet}",
    "终于把{thing}拿到手了，开心",
    "下雨了，窝在家里吃{food}",
    "今天背了五十个单词，打卡",
    "分享一首最近循环的歌",
    "早起跑了三公里，感觉不错",
    "新学了一道菜，味道还可以",
    "游戏终于上分了",
    "和朋友在{place}拍照，出片率很高",
    "{food}配剧，完美的周五晚上",
    "给{pet}洗澡，被挠了一下",
]

#: Base frequency of each dimension among evidence spans (study-like ordering).
DIM_WEIGHTS = np.array([0.24, 0.08, 0.18, 0.26, 0.12, 0.12])

#: Section wording for the gold analyses (paraphrases chosen at random).
SECTION_LEADS: dict[str, list[str]] = {
    "psychological_state": ["用户多次流露出自我否定和无望感", "帖子反映出持续的低落与无价值感"],
    "medical_expression": ["用户提到就医、确诊或服药经历", "帖子中出现与诊疗和药物相关的表达"],
    "clinical_symptoms": ["用户描述了睡眠、食欲或精力方面的问题", "帖子体现出失眠、乏力等躯体症状"],
    "negative_emotion": ["用户频繁表达悲伤、焦虑或孤独", "帖子中负面情绪反复出现且强度较高"],
    "external_causes": ["用户提及可能的外部压力事件", "帖子指向家庭、学业或人际方面的压力源"],
    "language_pattern": ["用户的语言呈现重复、绝对化或省略式表达", "帖子常见重复句式和绝对化词语"],
}
NONE_SECTION = ["未见明显相关表达。", "帖子中没有发现相关内容。"]


@dataclass
class SynthCorpus:
    """The generated users and the post-level planted truth."""

    users: list[CNSDUser]
    truth: pd.DataFrame  # user_key, post_index, label, dims ("a|b" or ""), distractor, implicit
    params: dict


def _fill(template: str, rng: np.random.Generator) -> tuple[str, bool]:
    implicit = template.startswith("~")
    text = template.lstrip("~")
    for slot, options in FILL.items():
        while "{" + slot + "}" in text:
            text = text.replace("{" + slot + "}", options[rng.integers(len(options))], 1)
    text = text.replace("{n}", str(int(rng.integers(3, 400))))
    return text, implicit


def _neutral(rng: np.random.Generator) -> str:
    return _fill(NEUTRAL_TEMPLATES[rng.integers(len(NEUTRAL_TEMPLATES))], rng)[0]


def generate_corpus(scale: float = 1.0, seed: int = 20241111) -> SynthCorpus:
    """Generate users and planted truth; see the module docstring for the design."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    rng = np.random.default_rng(seed)
    n_users = max(24, int(round(STUDY_USERS * scale)))
    n_pos = int(round(n_users * STUDY_POSITIVE / STUDY_USERS))
    post_factor = min(1.0, float(np.sqrt(scale)))
    users: list[CNSDUser] = []
    truth_rows: list[dict] = []
    labels = [1] * n_pos + [0] * (n_users - n_pos)
    counters = {1: 0, 0: 0}
    for label in labels:
        counters[label] += 1
        key = f"{'p' if label else 'n'}_user_{counters[label]}"
        n_posts = int(np.clip(rng.lognormal(np.log(177), 0.55) * post_factor, 20 * post_factor, 600))
        n_posts = max(n_posts, 8)
        if label:
            rate = rng.beta(1, 12) if rng.random() < 0.15 else 0.8 * rng.beta(3, 5)
            distractor_rate = rng.beta(1.5, 15)
        else:
            rate = 0.01
            distractor_rate = rng.beta(1.5, 15)
        dim_p = rng.dirichlet(DIM_WEIGHTS * 20)
        posts: list[str] = []
        spans_by_dim: dict[str, list[str]] = {k: [] for k in DIMENSION_KEYS}
        for index in range(1, n_posts + 1):
            dims: list[str] = []
            implicit = False
            distractor = False
            u = rng.random()
            if u < rate:
                n_dims = 1 + int(rng.random() < 0.25)
                chosen = rng.choice(len(DIMENSION_KEYS), size=n_dims, replace=False, p=dim_p)
                parts = []
                for d in sorted(chosen):
                    dim = DIMENSION_KEYS[d]
                    templates = DIM_TEMPLATES[dim]
                    span, imp = _fill(templates[rng.integers(len(templates))], rng)
                    parts.append(span)
                    spans_by_dim[dim].append(span)
                    dims.append(dim)
                    implicit = implicit or imp
                text = "，".join(parts)
                if rng.random() < 0.3:
                    text = f"{_neutral(rng)}。{text}"
            elif u < rate + distractor_rate:
                text = DISTRACTORS[rng.integers(len(DISTRACTORS))]
                distractor = True
            else:
                text = _neutral(rng)
            posts.append(text)
            truth_rows.append(
                {"user_key": key, "post_index": index, "label": label, "dims": "|".join(dims),
                 "distractor": distractor, "implicit": implicit}
            )
        sections = {}
        for dim in DIMENSION_KEYS:
            spans = spans_by_dim[dim]
            if label and spans:
                lead = SECTION_LEADS[dim][rng.integers(2)]
                quotes = "".join(f"“{s}”" for s in spans[:2])
                sections[dim] = f"{lead}，例如{quotes}。"
            else:
                sections[dim] = NONE_SECTION[rng.integers(2)]
        overall = (
            "多个维度的信号相互印证，提示存在抑郁风险。" if label
            else "帖子以日常生活分享为主，偶有短暂情绪波动，未见持续的抑郁信号。"
        )
        output = format_output(label, sections, overall)
        users.append(CNSDUser(user_key=key, label=label, posts=posts, answer=label,
                              sections=sections, output=output))
    truth = pd.DataFrame(truth_rows)
    params = {"scale": scale, "seed": seed, "n_users": n_users, "n_positive": n_pos,
              "post_factor": post_factor, "dim_weights": DIM_WEIGHTS.tolist()}
    return SynthCorpus(users=users, truth=truth, params=params)


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
