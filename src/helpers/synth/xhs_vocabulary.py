"""Theme vocabularies, function words and sentence pieces of the synthetic Xiaohongshu text.

Written for this project.  Three kinds of words make a synthetic comment:

* **theme words**: the study's three themes (Du & Gu, Results / Semantic network
  analysis, Figures 1–3 and Tables S3–S5; ``study_values.yaml`` →
  ``semantic_network.maps``): coping and resilience (the red clusters), emotional
  struggle and daily strain (green), health and treatment (blue).  Each theme is
  *seeded* with the keywords the paper lists for its clusters (the English
  keywords' Chinese as guessed in ``study_values.yaml``; a keyword listed in two
  colours goes to the colour that lists it more often) and filled out with words
  written here.  Seeds are the most frequent words of their theme, as a reported
  cluster's keywords are its most visible terms;
* **everyday words**: what comments talk about besides the themes (school, work,
  family, food, the platform's own vocabulary), written here, plus the long
  Zipfian tail of everyday Chinese from wordfreq (:mod:`helpers.synth.xhs_lexicon`);
* **function words**: subjects, connectives, adverbs, particles — the mass of
  text that a stopword list removes.

The study's sentiment thresholds and hashtags live in :mod:`helpers.synth.grammar`.
"""

from __future__ import annotations

#: The paper's cluster keywords (zh guesses from study_values.yaml), by planted theme.
THEME_SEEDS: dict[str, tuple[str, ...]] = {
    # red: positive map (生活 压力 希望 朋友 父母 痛苦 发现), neutral (压力 希望 父母 理解 假装 经历),
    # negative (休息 加油 坚持 希望 痛苦 生活 经历)
    "coping_resilience": ("希望", "生活", "压力", "父母", "经历", "痛苦", "加油", "坚持", "朋友", "理解",
                          "休息", "发现", "假装"),
    # green: positive (不开心 不快乐 孤独 害怕 失眠), neutral (不好 害怕 难受 睡不着),
    # negative (不想 难受 压力 家人 工作; interpretation: 家庭 毕业)
    "emotional_struggle": ("难受", "害怕", "失眠", "孤独", "不想", "睡不着", "不好", "家人", "工作", "开心",
                           "快乐", "家庭", "毕业"),
    # blue: positive (医生 医院 症状 确诊), neutral (医生 医院 确诊 心理咨询),
    # negative (医生 医院 治疗 抑郁症 症状 焦虑 严重 躯体化)
    "health_treatment": ("医生", "医院", "确诊", "症状", "治疗", "心理咨询", "抑郁症", "焦虑", "严重", "躯体化"),
}

#: Further words of each theme (after the seeds, in rough order of how often each is used).
THEME_WORDS: dict[str, tuple[str, ...]] = {
    "coping_resilience": tuple(
        "慢慢 陪伴 努力 相信 运动 跑步 散步 晒太阳 未来 改变 成长 勇敢 接纳 放下 鼓励 力量 温柔 拥抱 "
        "目标 习惯 早睡 作息 规律 爱好 读书 日记 音乐 旅行 画画 养猫 宠物 出门 自律 明天 支持 倾诉 "
        "树洞 瑜伽 冥想 打卡 健身 爬山 游泳 骑行 烘焙 做饭 种花 阳光 治愈 释怀 和解 允许 珍惜 感恩 "
        "勇气 意义 活着 自爱 信念 陪着 分享 交流 走出来 好起来".split()
    ),
    "emotional_struggle": tuple(
        "崩溃 情绪 哭 眼泪 深夜 凌晨 心累 麻木 空虚 迷茫 自责 委屈 逃避 无力 疲惫 压抑 胸闷 心慌 "
        "噩梦 敏感 窒息 拖延 自卑 吵架 争吵 上班 加班 学校 考试 室友 老板 同事 领导 学业 论文 "
        "考研 找工作 辞职 失业 分手 吵架 冷暴力 控制 指责 否定 不理解 矫情 装病 想太多 内耗 "
        "低落 烦躁 发呆 躺平 一个人 没意思 撑不住 绝望 痛哭".split()
    ),
    "health_treatment": tuple(
        "吃药 药物 副作用 复诊 住院 门诊 精神科 诊断 量表 咨询师 心理医生 挂号 处方 剂量 停药 减药 "
        "舍曲林 氟西汀 文拉法辛 草酸艾司西酞普兰 喹硫平 米氮平 碳酸锂 脑电图 体检 医保 医嘱 疗程 复发 "
        "康复 嗜睡 发胖 恶心 头晕 心悸 头疼 手抖 记忆力 双相 中度 重度 轻度 抑郁状态 精神卫生中心 "
        "三甲 专家号 电休克 经颅磁 心理治疗 药费 病历 护士 病房 评估 检查 抗抑郁药 见效".split()
    ),
}

#: What comments talk about besides the themes (no theme: the "other" class of the truth).
EVERYDAY_WORDS: tuple[str, ...] = tuple(
    "今天 昨天 晚上 早上 周末 假期 时候 事情 东西 地方 时间 一天 每天 最近 以前 之前 后来 以后 小时候 "
    "妈妈 爸爸 老公 男朋友 女朋友 对象 孩子 宝宝 闺蜜 同学 老师 邻居 姐妹 宝子 楼主 博主 评论区 "
    "笔记 主页 私信 关注 点赞 收藏 小红书 视频 照片 手机 微信 朋友圈 电脑 游戏 电视剧 综艺 小说 "
    "奶茶 外卖 火锅 咖啡 零食 蛋糕 衣服 头发 化妆 房间 宿舍 家里 老家 城市 公司 地铁 公交 "
    "猫咪 小狗 天气 下雨 冬天 夏天 春天 秋天 过年 生日 礼物 钱 工资 房租 学校 大学 高中 初中 "
    "专业 课程 作业 成绩 排名 实习 面试 简历 项目 会议 身体 眼睛 肚子 胃口 体重 皮肤 "
    "道理 原因 办法 问题 答案 方法 建议 经验 感受 心情 状态 样子 性格 脾气 关系 距离 "
    "世界 社会 人生 青春 回忆 梦想 故事 文字 声音 味道 颜色 窗外 阳台 楼下 路上 车上".split()
)

#: Function-word pieces placed by the sentence builder (nearly all are on stopword lists).
SUBJECTS = ("我",) * 10 + ("你",) * 4 + ("我们", "我们", "他", "她", "他们", "自己", "自己", "大家", "有的人",
                                          "别人", "我妈", "我爸", "我朋友", "姐妹", "宝子", "楼主", "博主")
CONNECTIVES = ("其实", "但是", "可是", "而且", "所以", "然后", "后来", "因为", "不过", "就是", "还是", "如果",
               "虽然", "只是", "反正", "总之", "另外", "甚至", "于是", "毕竟", "说实话", "而是", "那么",
               "我觉得", "不然", "有时候", "如果说", "以前", "一直", "并且", "因此", "或者", "要是")
ADVERBS = ("也", "也", "都", "都", "还", "就", "就", "一直", "总是", "经常", "每天", "最近", "现在", "已经", "又",
           "又", "才", "再", "真的", "好像",
           "突然", "偶尔", "常常", "慢慢", "终于", "马上", "一下子", "天天", "老是", "本来", "确实", "竟然")
LINKERS = ("的", "和", "了", "在", "也", "还", "去", "有", "跟", "对", "被", "把", "给", "让", "会", "要",
           "想", "能", "就", "是", "说", "看", "做", "到", "得", "着", "过", "这个", "那个", "一些", "什么")
PARTICLES = ("啊", "吧", "呢", "呀", "啦", "嘛", "哦", "哈哈", "哈哈哈", "嗯", "唉", "呜呜", "吗", "了")
VERBS = ("是", "有", "去", "想", "说", "看", "做", "觉得", "知道", "需要", "希望", "开始", "感到", "遇到",
         "面对", "选择", "接受", "尝试", "告诉", "找", "聊", "试试", "坚持", "经历", "担心", "变得")
#: Hedges before a sentiment expression (a hedged word is read as milder than it is).
HEDGES = ("可能", "好像", "也许", "大概", "似乎", "感觉", "说不定", "或许", "貌似", "多少")
#: Situations whose valence a reader infers without a sentiment word, by sign and theme.  Relief
#: and recurrence markers (终于, 又) make them stronger.  Written for this project.
SITUATIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "positive": {
        "coping_resilience": tuple(
            "睡了个好觉 出门晒了太阳 跑完了五公里 能按时起床了 重新开始画画 和妈妈聊开了 朋友来看我了 "
            "一整天都没哭 吃得下饭了 把房间收拾干净了 去公园走了一圈 学会了做饭 坚持打卡一个月了 "
            "今天主动找人说话了 养的花开了 报了一个瑜伽班 和家人一起吃了晚饭 给自己买了束花".split()),
        "emotional_struggle": tuple(
            "考试过了 拿到了offer 辞掉了那份工作 搬出了宿舍 和室友和好了 论文交上去了 老板批了假 "
            "顺利毕业了 没再熬夜了 周末睡到自然醒 不再半夜惊醒了 能专心看完一本书了".split()),
        "health_treatment": tuple(
            "复诊医生说我好转了 开始减药了 停药半年没复发 量表分数降了 副作用慢慢没了 找到了合适的咨询师 "
            "药终于见效了 出院回家了 体检一切正常 医生说可以慢慢停药".split()),
    },
    "negative": {
        "coping_resilience": tuple(
            "一整天起不来床 计划又泡汤了 打卡断了 什么都不想做 连门都出不去 约好的事又推掉了 "
            "爸妈说我矫情 朋友都不回消息了 一个人过了生日 在厕所哭了很久".split()),
        "emotional_struggle": tuple(
            "凌晨三点还醒着 一夜没睡 被领导骂了 成绩掉了 被辞退了 和男朋友分手了 在地铁上哭了 "
            "吃不下饭 又和家里吵架了 体重涨了十斤 手一直在抖 不想回任何消息 论文被打回来了 "
            "加班到十一点".split()),
        "health_treatment": tuple(
            "复发了 药加量了 请了病假 又住院了 挂不上专家号 吃了药还是没用 副作用越来越重 "
            "换了三种药都不行 量表又是重度 医生说要做电休克".split()),
    },
}
#: Frames that put a feeling on someone else or in the past (not the writer's own now).
FRAMES = ("别人都", "大家都", "他们都", "朋友圈里都", "室友都", "以前总是", "之前一直", "小时候很", "那时候",
          "刚确诊时", "我妈总说我", "去年还")
SITUATION_MARKERS = {"positive": ("终于", "今天终于", "居然", "总算"),
                     "negative": ("又", "还是", "今天又", "又一次")}
#: Cues that turn a positive word ironic (the sentence means the opposite).
IRONY_CUES = ("呵呵", "真是", "可真", "好一个", "笑死", "真棒啊", "太好了呢", "谢谢你啊")
#: Concession / contrast markers of mixed sentences (the later clause carries the weight).
CONCESSION = ("虽然", "尽管", "就算", "本来")
CONTRAST = ("但是", "可是", "不过", "但", "然而", "只是")
#: Past framing that lets a positive text mention old negative experiences.
PAST_FRAMES = ("以前", "之前", "那段时间", "刚开始", "去年", "有一阵子", "曾经")

SHORT_COMMENTS = (
    "抱抱", "加油", "同感", "我也是", "蹲一个", "一样", "懂你", "你好棒", "求分享", "好的", "心疼", "抱抱你",
    "太真实了", "哭了", "看哭了", "一模一样", "是我本人", "同款", "谢谢分享", "感同身受", "说到心里了",
    "收藏了", "mark", "码住", "求链接", "在吗", "私信你了", "可以聊聊吗", "么么", "哈哈哈", "呜呜呜",
    "太难了", "会好的", "一起加油", "陪你", "我在", "好想哭", "真的会谢", "破防了", "泪目", "顶",
    "楼主加油", "会好起来的", "好温柔", "太好了", "我也想知道", "同问", "被治愈了", "写得真好", "爱你",
)
CREATOR_REPLIES = ("谢谢", "谢谢你", "谢谢关心", "谢谢宝子", "抱抱你", "你也要加油", "一起加油", "会的",
                   "嗯嗯", "好的谢谢", "谢谢你的鼓励", "收到", "你也是", "我们都会好的")
REPLY_OPENERS = ("同意楼上", "楼上说得对", "我也是这样", "回复楼上", "哈哈一样", "真的", "确实", "对",
                 "+1", "同感")

# --------------------------------------------------------------------------------------
# Posts
# --------------------------------------------------------------------------------------

IDENTITIES = ("大学生", "研究生", "上班族", "新手妈妈", "高三学生", "程序员", "设计师", "老师", "护士",
              "自由职业者", "初中生", "打工人", "医学生", "全职妈妈", "留学生", "销售", "公务员", "博士生")
DURATIONS = ("两年", "半年", "三个月", "一年多", "五年", "四个月", "三年", "八个月", "一个月", "十年")
DIAGNOSES = ("重度抑郁", "中度抑郁", "轻度抑郁", "双相情感障碍", "焦虑抑郁状态", "抑郁症", "抑郁伴焦虑")
DISCLOSURE_OPENERS = (
    "我是一名{who}，{dur}前被确诊为{dx}",
    "确诊{dx}已经{dur}了，作为一个{who}",
    "想记录一下自己，{dur}前我被诊断为{dx}",
    "作为{who}，我和{dx}相处了{dur}",
    "第一次发这种笔记，我{dur}前查出{dx}",
    "{dx}{dur}，今天想说说心里话",
)
OTHER_OPENERS = (
    "今天和大家科普一下{dx}的常见表现",
    "我的一位朋友是{who}，{dur}前被诊断为{dx}",
    "整理了一些关于{dx}的资料分享给大家",
    "本工作室提供线上咨询服务，针对{dx}人群",
    "很多人问我{dx}应该怎么办，统一回复一下",
)
TITLES_DISCLOSURE = ("我的抑郁日记", "确诊之后", "记录第{n}天", "想和大家说说", "这是我的故事", "今天的我",
                     "抑郁{n}天", "吃药第{n}天", "写给自己", "深夜emo", "关于我的病", "碎碎念")
TITLES_OTHER = ("抑郁症科普", "一些资料", "朋友的故事", "咨询须知", "你需要知道的事", "干货分享",
                "心理小知识", "如何陪伴抑郁的人")

#: Frequent everyday words that are not in the register of comments under depression posts
#: (news, politics, war, business): removed from the valence lexicon and the background.
OFF_REGISTER: frozenset[str] = frozenset(
    "通过 起来 游戏 获得 安全 成功 解决 发展 增长 自然 取得 精神 重要 一定 开展 支持 恢复 普通 满足 "
    "建设 娱乐 批准 民主 升级 学习 演出 其实 真正 负责 增强 根本 才能 解放 革命 优惠 标准 专家 改革 "
    "确定 最高 激烈 庆祝 赚钱 享有 实际 情形 进展 肯定 回归 稳定 确实 解除 欢迎 真实 最好 积极 和平 "
    "创造 创新 有效 全面 实在 促进 先进 必要 丰富 热烈 伟大 著名 激发 进步 推进 重视 优秀 最佳 英雄 "
    "高级 迅速 最新 情人 强大 规范 新年 良好 道德 公平 机遇 正义 演唱 荣获 乐园 适当 成效 喜剧 完善 "
    "详细 合理 干脆 安定 协调 便于 增进 前进 牺牲 和解 独特 黄金 爱国 流行 倾向 知名 高涨 坚决 一级 "
    "发达 平衡 准确 晋升 晋级 复苏 缓和 深刻 夺冠 畅销 入选 互助 和谐 圆满 恰好 奋斗 发财 义务 公正 "
    "奔驰 不是 消息 重点 打击 纪念 如今 爆发 不足 抗议 恐怖 病毒 紧急 人为 摧毁 失踪 惩罚 分裂 攻击 "
    "情感 投诉 不了 绑架 灾难 回顾 批评 危机 威胁 补偿 回头 敌人 不够 忽略 无辜 复杂 犯罪 缺乏 灾害 "
    "不利 变动 难以 伤亡 失误 非法 困境 短暂 逝世 漫长 消耗 致命 病例 变迁 损失 人事 有害 孤立 污染 "
    "背后 暴力 违反 暴动 严峻 抓紧 受害 事故 下台 抢救 贫困 骗子 有毒 批判 身后 动乱 流血 灰色 打破 "
    "对付 烧毁 报仇 生前 让步 邪恶 衰退 贬值 损害 流亡 迫害 谋杀 交战 屠杀 杀害 关切 逃亡 弱势 囚禁 "
    "坠毁 侵犯 幽灵 兵器 末日 日趋 揭露 复仇 种族歧视 警戒 主宰 危害 黄色 被告 遇害 仲裁 沦陷 造反 "
    "剥夺 抵制 垄断 对立 神经 惨重 震荡 中国 美国 日本 国家 政府 公司 经济 政治 国际 地区 人民 历史 "
    "组织 香港 台湾 全国 企业 北京 上海 技术 系统 建立 管理 领导 委员会 会议 记者 党 总统 新闻 市场 "
    "产品 生产 单位 法律 机构 军队 战争 军事 国防 选举 议员 外交 官员 股票 投资 银行 资本 利润".split()
)
