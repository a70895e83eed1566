"""Grammar and vocabulary of the synthetic Xiaohongshu corpus (written for this project).

Why a grammar rather than sampled real text: the study's data are private, yet
every later chapter needs text whose *meaning* is known.  Each generated text
therefore carries two planted signals that a later chapter must recover:

* **sentiment** — every clause ends in a phrase from a graded lexicon with
  eleven intensity levels from −1 (绝望) to +1 (被治愈); the level is the one
  nearest the text's latent score, so a text model can learn the score from the
  words (chapter 02);
* **theme** — comments draw their content words mostly from one of three
  vocabularies (coping/resilience, emotional struggle, health and treatment), so
  co-occurrence clustering can recover the themes (chapter 04).

Theme words are chosen so that jieba 0.42 keeps each of them as one token, and
none of them occurs inside a sentiment phrase (both are tested), which keeps the
two signals separable.  The lexicon and templates are original to this project;
the drug names are ordinary generic names.

The latent sentiment marginals are *banded mixtures*: a weight and a Beta shape
inside each of the bands that the study's category thresholds define
(< −0.79, −0.79..−0.15, −0.15..0.15, 0.15..0.3, > 0.3).  For posts the weights
are the study's category shares (114/120/97/204 of 535) and the Beta shapes
were fitted so the mean and SD are the study's (−0.19, 0.57).  For comments the
study's published shares (7,543/3,181/1,601/4,976 of 17,301) and moments
(M −0.20, SD 0.49) cannot hold together unless the scores sit exactly on the
thresholds, so the mixture is a least-squares compromise (fitted offline with
Beta concentration 4 and shapes kept in 0.2..0.8): shares ≈ 0.39/0.18/0.12/0.31,
M ≈ −0.14, SD ≈ 0.53.  ``truth.json`` records both the targets and the
realised values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

# --------------------------------------------------------------------------------------
# Sentiment
# --------------------------------------------------------------------------------------

#: Graded sentiment lexicon: level -> phrases.  Levels are 0.2 apart.
SENTIMENT_LEXICON: dict[float, tuple[str, ...]] = {
    -1.0: ("彻底绝望了", "痛苦到无法呼吸", "整个人都崩溃了", "看不到任何出路", "一切都没有意义了", "真的撑不下去了"),
    -0.8: ("好痛苦", "太难熬了", "心里特别绝望", "每天都很崩溃", "非常非常难受", "快要撑不住了"),
    -0.6: ("很难受", "心情很差", "特别郁闷", "觉得很无助", "真的很累很累", "感觉很糟糕"),
    -0.4: ("有点难过", "不太开心", "心里闷闷的", "挺失落的", "有些沮丧", "提不起劲"),
    -0.2: ("有点累", "有一点烦", "稍微有些丧", "不算太好", "心里有点乱", "有点没精神"),
    0.0: ("就这样吧", "还是老样子", "说不上好坏", "和平时差不多", "先说到这里", "不知道怎么形容"),
    0.2: ("还算可以", "稍微好一点", "勉强能接受", "有一点点期待", "感觉还行", "没那么糟"),
    0.4: ("好多了", "挺开心的", "心情不错", "有些安慰", "轻松了一些", "越来越好了"),
    0.6: ("很感谢", "特别温暖", "很开心", "充满希望", "很感动", "心里暖暖的"),
    0.8: ("非常感谢大家", "真的好幸福", "特别特别开心", "对以后充满信心", "超级感动", "浑身充满力量"),
    1.0: ("这是最幸福的时刻", "彻底走出来了", "无比感恩", "人生重新亮起来了", "开心到飞起", "感觉自己被治愈了"),
}
SENTIMENT_LEVELS = np.array(sorted(SENTIMENT_LEXICON))

#: Category thresholds used by the study (and by CONTRIBUTING's sentiment_category).
BAND_EDGES = (-1.0, -0.79, -0.15, 0.15, 0.3, 1.0)


@dataclass(frozen=True)
class BandedMixture:
    """A distribution on [−1, 1]: a weight and a Beta(a, b) shape in each band."""

    weights: tuple[float, ...]
    positions: tuple[float, ...]  # Beta mean inside each band (0 = lower edge)
    concentration: float = 4.0

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms in (0, 1) to scores, monotonically (a Gaussian copula uses this)."""
        u = np.clip(np.asarray(u, dtype=float), 1e-9, 1 - 1e-9)
        w = np.asarray(self.weights) / np.sum(self.weights)
        cum = np.concatenate([[0.0], np.cumsum(w)])
        band = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(w) - 1)
        out = np.empty_like(u)
        for k in range(len(w)):
            mask = band == k
            if not mask.any():
                continue
            inner = (u[mask] - cum[k]) / max(w[k], 1e-12)
            a = self.positions[k] * self.concentration
            b = (1 - self.positions[k]) * self.concentration
            lo, hi = BAND_EDGES[k], BAND_EDGES[k + 1]
            out[mask] = lo + (hi - lo) * stats.beta.ppf(np.clip(inner, 1e-9, 1 - 1e-9), a, b)
        return out

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.quantile(rng.random(n))


POST_SENTIMENT = BandedMixture(
    weights=(0.181, 0.381, 0.224, 0.0, 0.213), positions=(0.2, 0.502, 0.8, 0.8, 0.525)
)
COMMENT_SENTIMENT = BandedMixture(
    weights=(0.115, 0.308, 0.184, 0.0, 0.392), positions=(0.783, 0.2, 0.2, 0.8, 0.2)
)

STUDY_SENTIMENT_TARGETS = {
    "posts": {"mean": -0.19, "sd": 0.57, "shares": {"positive": 114 / 535, "neutral": 120 / 535,
                                                      "negative": 97 / 535, "uncategorized": 204 / 535}},
    "comments": {"mean": -0.20, "sd": 0.49,
                 "shares": {"positive": 7543 / 17301, "neutral": 3181 / 17301,
                            "negative": 1601 / 17301, "uncategorized": 4976 / 17301}},
}


def sentiment_category(scores: np.ndarray, positive: float = 0.3, neutral: tuple[float, float] = (-0.15, 0.15),
                       negative: float = -0.79) -> np.ndarray:
    """The study's four categories (scores between the bands stay 'uncategorized')."""
    s = np.asarray(scores, dtype=float)
    out = np.full(s.shape, "uncategorized", dtype=object)
    out[s > positive] = "positive"
    out[(s >= neutral[0]) & (s <= neutral[1])] = "neutral"
    out[s < negative] = "negative"
    return out


def nearest_level(scores: np.ndarray) -> np.ndarray:
    """Index into SENTIMENT_LEVELS of the level nearest each score."""
    s = np.clip(np.asarray(scores, dtype=float), -1, 1)
    return np.clip(np.rint((s + 1.0) / 0.2).astype(int), 0, len(SENTIMENT_LEVELS) - 1)


# --------------------------------------------------------------------------------------
# Themes (comments)
# --------------------------------------------------------------------------------------

THEMES: dict[str, tuple[str, ...]] = {
    "coping_resilience": tuple(
        "坚持 加油 慢慢 拥抱 陪伴 勇敢 努力 相信 阳光 运动 跑步 散步 晒太阳 瑜伽 冥想 读书 日记 音乐 "
        "旅行 朋友 家人 接纳 放下 成长 改变 目标 计划 习惯 早睡 规律 作息 爱好 画画 养猫 小狗 花草 "
        "做饭 自律 明天 未来 深呼吸 宠物 户外 健身 打卡 倾诉 树洞 兴趣 志愿者 爬山 游泳 骑行 烘焙 "
        "手工 练字 种花 出门 社交 允许 休息".split()
    ),
    "emotional_struggle": tuple(
        "失眠 哭 孤独 焦虑 内耗 压抑 胸闷 心慌 噩梦 自责 委屈 迷茫 空虚 麻木 疲惫 发呆 逃避 无力 "
        "情绪 低落 眼泪 深夜 凌晨 睡不着 心累 敏感 害怕 恐惧 窒息 黑暗 煎熬 挣扎 压力 躺平 烦躁 "
        "吵架 争吵 冷漠 误解 独处 没意思 发抖 心悸 头疼 食欲 暴食 厌食 拖延 自卑 孤单 悲观 "
        "否定 怀疑 伤害 冲动 叹气".split()
    ),
    "health_treatment": tuple(
        "医院 吃药 医生 心理咨询 复诊 舍曲林 药物 副作用 住院 门诊 精神科 诊断 量表 确诊 治疗 "
        "咨询师 心理医生 挂号 处方 剂量 停药 减药 氟西汀 文拉法辛 喹硫平 脑电图 体检 医保 医嘱 "
        "疗程 复发 康复 嗜睡 体重 发胖 恶心 头晕 激素 护士 病房 病历 药量 安眠药 褪黑素 心理治疗 "
        "评估 检查 药费".split()
    ),
}
THEME_NAMES = tuple(THEMES)

#: Clause templates per theme; {a} and {b} are theme words, {s} a sentiment phrase.
COMMENT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "coping_resilience": (
        "我以前也这样，后来每天{a}，还有{b}，{s}",
        "抱抱你，可以试试{a}和{b}，{s}",
        "我的经验是{a}，再加上{b}，{s}",
        "一起{a}吧，{b}真的有用，{s}",
        "别怕，{a}，然后{b}，{s}",
    ),
    "emotional_struggle": (
        "我也是，经常{a}，还会{b}，{s}",
        "看到你说{a}和{b}，{s}",
        "那种{a}的感觉我懂，{b}也是，{s}",
        "我最近也{a}，还{b}，{s}",
        "每次{a}的时候就{b}，{s}",
    ),
    "health_treatment": (
        "建议去{a}看看，我{b}之后，{s}",
        "我之前也是{a}，后来{b}，{s}",
        "{a}很重要，{b}也要按时，{s}",
        "你可以问问{a}，关于{b}，{s}",
        "我现在还在{a}，{b}这块，{s}",
    ),
}

SHORT_COMMENTS = ("抱抱", "加油", "同感", "我也是", "蹲一个", "一样", "懂你", "你好棒", "求分享", "好的")

# --------------------------------------------------------------------------------------
# Posts
# --------------------------------------------------------------------------------------

IDENTITIES = ("大学生", "研究生", "上班族", "新手妈妈", "高三学生", "程序员", "设计师", "老师", "护士", "自由职业者")
DURATIONS = ("两年", "半年", "三个月", "一年多", "五年", "四个月", "三年", "八个月")
DIAGNOSES = ("重度抑郁", "中度抑郁", "轻度抑郁", "双相情感障碍", "焦虑抑郁状态", "抑郁症")

DISCLOSURE_OPENERS = (
    "我是一名{who}，{dur}前被确诊为{dx}，{s}",
    "确诊{dx}已经{dur}了，作为一个{who}，{s}",
    "想记录一下我自己，{dur}前我被诊断为{dx}，{s}",
    "作为{who}，我和{dx}相处了{dur}，{s}",
)
OTHER_OPENERS = (
    "今天和大家科普一下{dx}的常见表现，{s}",
    "我的一位朋友是{who}，{dur}前被诊断为{dx}，{s}",
    "整理了一些关于{dx}的资料分享给大家，{s}",
    "本工作室提供线上咨询服务，针对{dx}人群，{s}",
)
DISCLOSURE_CLAUSES = (
    "我最近总是{a}，{s}",
    "这段时间我一直{a}，也在{b}，{s}",
    "我每天都会{a}，{s}",
    "我发现自己{a}的时候，{s}",
    "我想说说自己的{a}，还有{b}，{s}",
)
OTHER_CLAUSES = (
    "很多人会出现{a}，{s}",
    "有研究认为{a}和{b}有关，{s}",
    "患者常常{a}，{s}",
    "家属可以多了解{a}，{s}",
)
TITLES_DISCLOSURE = ("我的抑郁日记", "确诊之后", "记录第{n}天", "想和大家说说", "这是我的故事", "今天的我")
TITLES_OTHER = ("抑郁症科普", "一些资料", "朋友的故事", "咨询须知", "你需要知道的事", "干货分享")

EMOJI_CODES = ("[哭惹R]", "[笑哭R]", "[抱抱R]", "[加油R]", "[叹气R]", "[爱心R]", "[委屈R]")

#: The crawl keywords: the nine hashtags.  The study's exact nine were not found in
#: any reachable source, so these are nine plausible depression hashtags (assumed).
SOURCE_KEYWORDS = ("抑郁症", "抑郁", "双相情感障碍", "焦虑症", "心理健康", "抑郁症康复", "情绪", "心理咨询", "躯体化")


def all_theme_terms() -> dict[str, str]:
    """term -> theme, the ground truth for clustering recovery (ARI)."""
    return {term: theme for theme, terms in THEMES.items() for term in terms}
