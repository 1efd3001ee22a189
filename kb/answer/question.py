"""Understanding a question, once.

`parse()` turns a message and the chat's earlier questions into a `Question`: the text without
its wrappers (greetings, self-introductions, 请问…谢谢), the parts it asks, what it asks for
(cues, the asked attribute and measure), what it names (units, schools, documents, years) and what
it inherits from the conversation (a follow-up such as "那州审计局呢？" or "它的目标是什么？"
completes itself from the question before). Handlers read this object, never the raw text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from kb import units as unit_db
from kb.answer import cues
from kb.answer.text import NOT_COUNTED, unquoted
from kb.retrieve import finest, kind_documents, named_documents, topic_of, unknown_documents, version_date
from kb.schema import InputError
from kb.textnorm import fold, t2s, to_halfwidth
from kb.tokenize import STOPWORDS, content_words, dictionary_words, general_frequency, places, synonyms, tokens
from kb.typos import Correction, corrector

_MAX_HISTORY = 3         # earlier questions a follow-up may reach back through


def check_question(question: str, max_chars: int) -> str:
    """The question, stripped; InputError with the reason when it cannot be asked."""
    if not isinstance(question, str):
        raise InputError("问题必须是文本")
    q = "".join(c for c in question if unicodedata.category(c)[0] != "C" or c in " \t").strip()
    if not q:
        raise InputError("问题不能为空，请输入要查询的内容")
    if len(q) > max_chars:
        raise InputError(f"问题过长（{len(q)} 字），请控制在 {max_chars} 字以内")
    if not re.search(r"[\u4e00-\u9fff\u3400-\u4dbfA-Za-z0-9０-９Ａ-Ｚａ-ｚ]", q):
        raise InputError("问题中没有可识别的文字，请用中文描述要查询的内容")
    return q


def normalise(text: str) -> str:
    text = t2s(to_halfwidth(text))
    for dialect, word in _DIALECT:
        text = dialect.sub(word, text)
    return _asking_slips(text)


# Yunnan's (south-western Mandarin) question words and chat forms, read as the standard ones
_DIALECT = (
    (re.compile(r"咋个|咋样|咋"), "怎么"), (re.compile(r"哪样(?!东西)|啥子|啥"), "什么"), (re.compile(r"钟头"), "小时"),
    # 96年那版, 09版: a version's year in two digits
    (re.compile(r"(?<!\d)([5-9]\d)(?=年?(?:那个?|的)?(?:老|旧|新|修订|修正)?版)"), r"19\1"),
    (re.compile(r"(?<!\d)([0-4]\d)(?=年?(?:那个?|的)?(?:老|旧|新|修订|修正)?版)"), r"20\1"),
    (re.compile(r"(?<!\d)((?:19|20)\d\d)(?=(?:那个?|的)?(?:老|旧|新|修订|修正)?版)"), r"\1年"),
    # 上几个小时班 -> 上班几个小时 (the verb's object after the figure)
    (re.compile(r"([上加值])((?:几|多少|[\d一二三四五六七八九十两]+)个?(?:小时|天))班"), r"\1班\2"),
)


# Typed for the question word in a question that has no other (那些单位负责 for 哪些; in 云南,
# 好多 asks 多少): read as the question word.
_THAT_FOR_WHICH = re.compile(r"(?<=是)那(?=些|个|天|一天|年|一年|里)")
_HOW_MUCH = re.compile(r"(?<=[是有要给交花拿])好多(?=[？?。]?$|钱|天|年|人|个|小时|岁)")
_OTHER_ASKING = re.compile(r"什么|哪|多少|几|吗|谁|怎么|如何|是否|啥")


def _asking_slips(text: str) -> str:
    """Each stretch of a question that asks nothing else (…是那天通过的，又是从啥时候开始施行？)."""
    if not re.search(r"[？?]\s*$", text):
        return text
    pieces = re.split(r"(?<=[，,；;？?])", text)
    return "".join(piece if _OTHER_ASKING.search(piece) else _HOW_MUCH.sub("多少", _THAT_FOR_WHICH.sub("哪", piece))
                   for piece in pieces)


@dataclass(frozen=True)
class Question:
    text: str                         # the message as asked, shown back in the answer
    normalized: str                   # this question: simplified, half-width, without wrappers
    context: str                      # what it is about, completed from the conversation (searched)
    parts: tuple["Question", ...] = ()  # the questions of a message that asks several
    speaker: str = ""                 # the unit a self-introduction names (我是禄丰市教体局的)
    units: tuple[str, ...] = ()       # possible 责任单位 it names, canonical
    entities: tuple[str, ...] = ()    # schools and bodies it names, canonical
    documents: tuple[str, ...] = ()   # doc_ids it names by title or 文号
    unknown_documents: tuple[str, ...] = ()  # documents it names that the knowledge base does not hold
    asks: frozenset[str] = frozenset()  # what it asks for: who, tasks, mention, compare, number, time, list
    meta_fields: tuple[str, ...] = ()  # document facts it may ask for (文号, 成文日期 …)
    slogan: str = ""                  # a numbered slogan it quotes ("3377522")
    mention_term: str = ""            # the term it asks the places of (方案里哪些地方提到了“3+2”)
    attribute: str = ""               # target / deadline / start / standard / proportion / audience / method
    measure: str = ""                 # the measure a figure must have: 人次, %, 元, 家 … ("" = any)
    years: tuple[str, ...] = ()       # years it names (2025)
    asked_of: tuple[str, ...] = ()    # what the asked figure or time is of (公积金 in 公积金的比例, 报名 in 什么时候报名)
    figure_words: tuple[str, ...] = ()  # what an asked figure is of (工作 in 每天工作几小时)
    counted: str = ""                 # …its last word, the thing counted
    asked_names: tuple[str, ...] = ()  # units and schools named where the question asks, not in its story
    inherited: bool = False           # completed from an earlier question
    corrections: tuple[Correction, ...] = ()  # typing slips read as the word meant (使用期 -> 试用期)
    # the question completed from the one before, tried when this one, read alone, finds no answer
    # (it may or may not continue the conversation: "加班费怎么算？" after another topic)
    completed: "Question | None" = None
    # a follow-up naming its document only as 这部法 after a question that named none: the earlier
    # question, whose best clause's document it means
    document_of: str = ""
    must_hold: tuple[str, ...] = ()   # words a follow-up changes the case to (要是还在试用期呢: 试用期)
    topic_words: tuple[str, ...] = field(default=(), compare=False)  # its own content words

    def wants(self, what: str) -> bool:
        return what in self.asks


# -- wrappers --------------------------------------------------------------------------------
_GREETING = re.compile(r"^(?:你好|您好|老师好|领导好|hi|hello)[，,！!。\s]*", re.I)
# 我是禄丰市教体局的， / 我是一名中职老师。 / 本人在武定县工作，
_INTRODUCTION = re.compile(r"^(?:我|我们|本人)(?:是|在)(?P<who>[^，,。！!？?]{1,30}?)(?:的|工作的?|上班的?|这边)?[，,。！!]\s*")
_POLITENESS = re.compile(r"(?:请问|想问问|(?:麻烦)?问下|麻烦(?:您|你)?(?:问|咨询|帮忙看|看)?一下|想(?:全面|具体|详细|多)?(?:问|咨询|了解|确认|请教)(?:一?下)?|问一下|咨询一下|"
                         r"请教一下|打扰(?:一下|了)?|谢谢(?:您|你|了)?|多谢|感谢|辛苦了|劳驾)[，,。！!\s]*")
_POLITENESS_FIRST = re.compile(r"^(?:" + _POLITENESS.pattern + r")[：:]?\s*")
# a role a speaker introduces themselves by, and a question that is about the speaker
_ROLE = re.compile(r"(老师|教师|家长|学生|校长|员工|职工|工作人员|干部|负责人|班主任|辅导员|工人|职员|科员)$")
# the speaker as a person (我们有哪些权利), not their school, unit or family (我们学校, 我家孩子)
_SPEAKER_PERSON = re.compile(r"(?:我们|咱们|我)(?!们|县|市|校|学校|局|单位|部门|这|那|家|的)")
# 我们单位 / 我们县里 / 我校: the speaker
_SELF = re.compile(r"(?:我们|咱们|我)(?:县里|县|市里|市|单位|部门|局|学校|校|这边|那边|这里)?(?=[要该得需做跟和与有的在里被是列作当负承参分给安能应，,？?])"
                   r"|我(?:县|市|校|局|单位)|本(?:县|市|单位|局|校)|(?<![州省])(?:县里|市里)")


def _unwrap(text: str) -> tuple[str, str]:
    """(the question without greetings, self-introduction and politeness, the speaker's unit)."""
    speaker, role, where = "", "", ""
    # wrappers stack (请问我是一名技校老师，… / 你好，我在…上班，想问一下：我是一名班主任，…)
    while True:
        text = _POLITENESS_FIRST.sub("", _GREETING.sub("", text))
        m = _INTRODUCTION.match(text)
        if not m:
            break
        if unit := _speaker_unit(m["who"]):
            speaker = speaker or unit       # 我在双柏县人社局工作，…
        elif found := _ROLE.search(m["who"]):
            # 我是职业学校的老师，想咨询一下：职业教育活动周是哪一周？ — but where the speaker is
            # stays (我是浙江一所村小的老师，… asks about 浙江)
            role, where = role or found[1], where or "".join(places(m["who"]))
        else:
            break       # 我是残疾人… introduces no unit and no role: it is what is asked about
        text = text[m.end():]
    if role and not speaker:
        # a question about the speaker is about the role (我们能拿多少课时费 -> 教师能拿多少课时费)
        text = (f"{where}，" if where else "") + _SPEAKER_PERSON.sub((synonyms(role) or (role,))[0], text)
    text = _POLITENESS.sub("", text).strip(" ，,。：:")
    if speaker:
        # 我们管委会, 咱们医专: the speaker's unit called by the end of its name
        ends = "|".join(re.escape(speaker[i:]) for i in range(len(speaker) - 1))
        text = re.sub(rf"(?:我们|咱们|我)(?:{ends})", speaker, text)
        text = _SELF.sub(speaker, text)
        # the speaker's own school or office named by its kind alone (学校在方案里承担哪些任务)
        entry = unit_db.entry(speaker)
        own = r"学校|学院|院里|校里" if entry is not None and entry.kind == "学校" else r"局里|单位里?"
        text = re.sub(rf"^(?:{own})(?=[在要的有承负需应得该])", speaker, text)
    return text or "？", speaker


def _speaker_unit(who: str) -> str:
    """The unit that answers for a speaker: a unit the plan names (州人社局, 楚雄医专), else the
    county government of a county body (禄丰市教体局 -> 禄丰市人民政府)."""
    named = unit_db.find_units(who) + unit_db.find_entities(who)
    if named:
        return named[0]
    return unit_db.county_of(who) or ""


# -- what it asks ------------------------------------------------------------------------------
# The asked attribute of a task or rule, and the words that ask for it.
_ATTRIBUTES = (
    ("start", re.compile(r"(什么时候|何时|哪年|哪一年|几时|啥时候)(开始|起|启动|实施)|从(什么时候|哪年|哪一年|何时)")),
    ("deadline", re.compile(r"(什么时候|何时|哪年|哪一年|啥时候|几年)(前|之前|以前)?(要|得|能|需要?)?(完成|实现|建成|达到|到位|覆盖|建好)"
                            r"|期限|截止|时限|时间节点|哪一年前|哪年前|多长时间|多久")),
    ("target", re.compile(r"目标|指标|要达到|达到什么|达到多少|要实现什么|实现什么")),
    ("proportion", re.compile(r"比例|百分之|占比|比重|几成|百分比")),
    ("standard", re.compile(r"标准|条件|资格|门槛")),
    ("audience", re.compile(r"对象|面向|针对(哪些|什么|谁)|哪些人|谁可以|适用于")),
    ("place", re.compile(r"在哪(?![些个一天年月日周几])|哪里(?!讲|提|说|规定|涉及|出现|有)|什么地方|地址|地点|去哪(?![些个一天年月日周])")),
    ("method", re.compile(r"方式|方法|途径|措施|怎么(做|搞|办|弄|开展|推进|落实)|如何(做|开展|推进|落实|实施)|通过什么")),
)
# The measure a figure must have, by the noun asked about when the question names no measure word
_MEASURE_NOUNS = (
    ("money", re.compile(r"(?:多少|" + cues.ASKED_JI + r")[^，。？?]{0,4}(?:钱|资金|经费|工资|费用?|补助|补贴|奖励|奖金)|(工资|薪水|薪资|报酬|[\u4e00-\u9fff]{0,3}费用?|资金|钱|补贴|补助|奖励|罚款|奖金|津贴|加班费|拨款)[^，。？?]{0,6}"
                          r"(多少|" + cues.ASKED_JI + r"|怎么算|如何计算|怎么计算|怎么给|怎么发|按什么|什么标准)")),
    ("people", re.compile(r"(人数|学生|教师|老师|职工|员工|人员|名额)[^，。？?]{0,6}(多少|" + cues.ASKED_JI + r")(?!个?(年|月|天|小时|岁|%))")),
)
# 这部法, 该条例: the document of the question before
# (这个文件 is said of the plan, as 这个方案 is: not here)
_DOC_REFERENCE = re.compile(r"(这|该|此|那)(部|个|份|项)?(法律?|条例|办法)(?![律规])")
_ANAPHORA = re.compile(r"^(那么|那|还有|另外|然后|再问一下)|同时|它|其|他们|该(项|工作|任务|项工作|规定|条)|这(项|个|些|条|件|笔)?(工作|任务|规定|目标|要求|事|改革|措施|政策|行动|项目|制度|内容|经费|资金|钱|费用)|此项|上述|前面|(?:也|还)?是?(?:这么|这样)(?:规定|写|定|说|要求)|" + _DOC_REFERENCE.pattern)


_TASKS_OF_UNIT = re.compile(r"(?:哪些|哪项|哪几项|哪个|什么|哪一项)[^，,。？?]{0,6}?(?:任务|工作|事项?|事情)(?:里|中)?"
                            r"(?:的|当|做|担任|是|作为)?(?:责任单位|负责单位)")


_ASKS_WHETHER = re.compile(r"(合法|违法|合理|合规|允许|可以|行|对)吗[？?。]?\s*$|合不合法|合不合理|算不算[^，,]*[？?]?$")


_DIVIDED_INTO = re.compile(r"分(?:为|成)?几(?:个|种|类|级|大类)")


def _asked_stretch(qn: str) -> str:
    """Where a question asks for a figure or a time: its last stretch when it asks whether
    (…合同里写几年内不准生孩子，合法吗？: the figure is the story's), else all of it."""
    return re.split(r"[，,；;]", qn.rstrip("？?。 "))[-1] if _ASKS_WHETHER.search(qn) else qn


def _asks(qn: str) -> frozenset[str]:
    found = set()
    # 州科技局被列为哪些任务的责任单位 / 在哪项任务里当责任单位: the tasks of a unit named, not a who-question
    qn = _TASKS_OF_UNIT.sub("哪些任务", qn)
    # 州财政局作为责任单位承担哪些工作 / 州公安局怎么也在方案的责任单位里: what the unit does
    if cues.WHO.search(re.sub(r"(作为|是|为)责任单位|在[^，,。？?]{0,10}责任单位(里|中|名单)", "", qn)):
        found.add("who")
    # (公安局怎么也在职教方案里面？ asks what it has to do with the plan)
    if cues.TASKS.search(qn) or re.search(r"做什么|干什么|干些什么|哪些(事情?|活儿?)[？?。]?$|[干做](哪些|什么|啥)活|有(啥|什么)关系|和我们有关"
                                          r"|管[^，,。？?]{0,8}哪[几些][项块件]|负责哪[块些]|有(哪些|什么)责任"
                                          r"|(为什么|为啥|怎么)会?也?(在|被列|列入|出现在)", qn):
        found.add("tasks")
    if cues.MENTION.search(qn):
        found.add("mention")
    if cues.COMPARE.search(qn):
        found.add("compare")
    if cues.ACTUAL.search(qn):
        found.add("actual")
    asked = _asked_stretch(qn)
    if _DIVIDED_INTO.search(asked):
        found.add("list")       # 职业学校教育分几个层次: which they are, not only how many
    elif cues.NUMBER.search(asked):
        found.add("number")
    if cues.WHEN.search(asked):
        found.add("time")
    if cues.LIST.search(qn):
        found.add("list")
    return frozenset(found)


def _attribute(qn: str) -> str:
    return next((name for name, cue in _ATTRIBUTES if cue.search(qn)), "")


def asked_unit(qn: str) -> str:
    """The measure a number question asks for: 多少人次 -> 人次, 比例 -> %, 工资多少 -> 元,
    "" when unspecified."""
    if re.search(r"人数(是|有)?多少|多少人数", qn):
        return "人"             # 招生人数是多少: a count of people
    m = re.search(r"(?:多少|" + cues.ASKED_JI + r")\s*(万|千|亿)?\s*(?:个(?=人|月|小时|学时|课时|星期))?\s*"
                  r"(人次|人|个|所|项|家|名|元|钱|年|天|日|学时|课时|小时|次|周|月|岁|倍)", qn)
    if m:
        return "元" if m[2] == "钱" else m[2]
    if re.search(r"比例|百分|占比|比重|几成", qn):
        return "%"
    if re.search(r"占(?:了|到)?(?:多少|多大)", qn):
        # a part of a whole: counted as the whole is when the question counts it (10万人次里面
        # 农村劳动力占多少 -> 人次), else a share (经费里一线职工要占多少 -> %), never a head count
        whole = re.search(r"[\d０-９一二三四五六七八九十两百千万]\s*(?:万|千|亿)?\s*(人次|人|个|所|项|家|名|元)", to_halfwidth(qn))
        return whole[1] if whole else "%"
    return next((measure for measure, cue in _MEASURE_NOUNS if cue.search(qn)), "")


def _topic_words(qn: str, snap) -> tuple[str, ...]:
    """The question's own content words: what is left when the asking, the names (of units and
    documents) and the reference words are taken out ("它的目标是什么", "那州审计局呢" and
    "新旧国防教育法有什么不同" have none)."""
    rest = fold(topic_of(qn, snap) if snap is not None else qn)
    for a, b, _ in reversed(unit_db.matches(rest)):
        rest = rest[:a] + " " + rest[b:]
    rest = _ANAPHORA.sub(" ", rest)
    for pattern in (cues.WHO, cues.TASKS, cues.MENTION, cues.NUMBER, cues.WHEN, cues.LIST, cues.PENALTY_ASKED, *cues.META.values(),
                    *(cue for _, cue in _ATTRIBUTES)):
        rest = pattern.sub(" ", rest)
    # words of the dictionary or the knowledge base, not stretches the segmenter guessed (会罚)
    # (a year or a figure is a constraint on a topic, not one: 从2025年开始吗)
    words = [t for t in tokens(rest) if len(t) > 1 and t not in _GENERIC_WORDS and not re.search(r"\d", t)
             and (general_frequency(t) or snap is not None and t in snap.doc_freq)]
    return tuple(sorted(finest(words)))


# Verbs and nouns that carry no topic on their own (要求什么, 怎么规定的, 要做到).
_GENERIC_WORDS = frozenset("要求 规定 具体 情况 问题 东西 时候 事情 开始 完成 实现 达到 方面 内容 一下 这样 那样 "
                           "需要 做到 能够 可以 有关 相关 部分 地方 时间 哪一年 之前 以前 有没有 什么样 说法 一样 相同 "
                           "两版 两个 版本 老版 旧版 新版 原版 新法 旧法 怎么样 怎么办 合法 合不合法 行不行 算不算 要是 如果 假如 万一 施行 生效 实施 执行 "
                           "通过 出台 发布 印发 结束 截止 到期 打算 计划 目标 期限 数量 不能 能够 最大 最小 最长 最短 "
                           "身上 上面 里面 当中 之中 这块 那块".split())


# -- parts -----------------------------------------------------------------------------------------
_POINTS_BACK = re.compile(r"它|其|他们|该校|该单位|这所|这个学校|这个单位")
# a follow-up asking how something is ruled asks that, not the earlier question's figure or time
_ASKS_HOW = re.compile(r"怎么|如何|怎样|咋|什么样|哪种|(?:规定|写|说)(?:了|的)?(?:什么|啥)")
_OLD_VERSION = re.compile(r"(修订|修改|修正)(之?前|以前)|旧版|老版|[旧老]的那?个?版|原来的?(版本|规定|法)|(之前|以前|上一)的?版本?|原版")
_REQUEST = re.compile(r"列出|列举|说明|介绍|告诉|讲讲|说说|解释|说一下|讲一下|列一下")   # asks without a question word


def _names_a_topic(stretch: str) -> bool:
    """The stretch, without greetings and introductions, names something to ask about."""
    words = content_words(_unwrap(stretch)[0])
    return any(w not in _GENERIC_WORDS and not cues.ASKING.search(w) for w in words)


def _split_parts(text: str) -> list[tuple[str, bool]]:
    """The questions in a message that asks several: "…比例是多少？这项工作由哪两个部门负责？",
    or "楚雄技师学院有哪些专业，住宿费多少？" (two stretches of one sentence that each ask), each
    with whether it continues the sentence of the one before. A stretch that asks nothing
    (我家孩子在楚雄市职中读书，) belongs to the question after it."""
    parts: list[tuple[str, bool]] = []
    for piece in re.split(r"(?<=[？?])", text):
        if not piece.strip(" ，,。？?"):
            continue
        current, asked, continues = "", False, False
        for stretch in re.split(r"(?<=[，,；;])", piece):
            asks = bool(cues.ASKING.search(stretch))
            # (…从哪年起，全州每年的培训总量最少要达到多少人次？ is one question: its first
            # stretch names nothing to ask about)
            # (…规定女工几年内不许结婚，这合法吗？ asks whether what it told is lawful: one question)
            if (asks and asked and len(re.sub(r"\W", "", stretch)) >= 4 and _names_a_topic(current)
                    and not _ASKS_WHETHER.search(stretch)):
                parts.append((current.strip(" ，,；;。"), continues))
                current, asked, continues = "", False, True
            current += stretch
            asked = asked or asks
        parts.append((current.strip(" ，,；;。"), continues))
    # a closing remark that asks nothing (…电话是多少？我想咨询职教高考的事) is said about the question before it
    if len(parts) > 1 and not cues.ASKING.search(parts[-1][0]) and not _REQUEST.search(parts[-1][0]):
        (before, continues), (after, _) = parts[-2], parts.pop()
        # …提到了武定？我是武定县的，想全面了解一下: the introduction goes first, politeness goes
        intro = _INTRODUCTION.match(after + "，")
        lead = intro[0] if intro else ""
        rest = _POLITENESS.sub("", after[len(lead):] if intro else after).strip(" ，,。！!")
        parts[-1] = (lead + before + (f"，{rest}" if rest else ""), continues)
        if len(parts) == 1:
            return [(parts[0][0], False)]
    return parts if len(parts) > 1 else [(text, False)]


# -- parse -------------------------------------------------------------------------------------------
def parse(text: str, history: list[str], snap) -> Question:
    """The message `text` (checked), with the chat's earlier questions, oldest first."""
    earlier = _previous(history, snap)
    pieces = _split_parts(text)
    if len(pieces) == 1:
        return _parse_one(text, pieces[0][0], earlier, snap)
    parts: list[Question] = []
    for piece, same_sentence in pieces:
        part = _parse_one(text, piece, parts[-1] if parts else earlier, snap)
        if same_sentence and parts:
            # a stretch continuing the sentence before is about its topic (产教联合体咋个建，
            # 要达到什么标准？), and about the same school or unit (楚雄技师学院有哪些专业，住宿费多少？)
            if part.completed is not None:
                part = part.completed
            if not part.asked_names:
                part = replace(part, asked_names=parts[-1].asked_names)
        parts.append(part)
    return replace(parts[0], parts=tuple(parts))


def _previous(history: list[str], snap) -> Question | None:
    """The last earlier question, itself completed from the ones before it."""
    previous = None
    for asked in history[-_MAX_HISTORY:]:
        try:
            parsed = _parse_last(asked, previous, snap)
        except InputError:
            continue
        previous = parsed
    return previous


def _parse_last(message: str, earlier: Question | None, snap) -> Question:
    """The last question of a message, completed from the parts before it (职教高考改革的责任单位里
    有州财政局吗？把单位都列出来 -> the units of 职教高考改革)."""
    for piece, _ in _split_parts(message):
        earlier = _parse_one(message, piece, earlier, snap)
    return earlier


def _parse_one(message: str, piece: str, earlier: Question | None, snap) -> Question:
    return _in_version_asked(_parse_piece(message, piece, earlier, snap), snap)


def _in_version_asked(q: Question, snap) -> Question:
    """A question about the version before a revision (旧版里是怎么写的) is about that
    version alone, not the current one its law's title names."""
    own_years = re.findall(r"((?:19|20)\d\d)\s*年", q.normalized)    # not those a follow-up inherits
    if snap is None or q.wants("compare") or not (_OLD_VERSION.search(q.normalized) or own_years):
        return q
    chosen = []
    for doc_id in q.documents:
        title = fold(snap.documents[doc_id].title)
        versions = sorted((d for d in snap.documents.values() if fold(d.title) == title), key=version_date)
        if len(versions) < 2:
            continue
        # the version of a year it names (那2018年那个版本), else the one before the current
        dated = [d for d in versions if version_date(d)[:4] in own_years]
        if dated:
            chosen.append(dated[-1].doc_id)
        elif _OLD_VERSION.search(q.normalized):
            chosen.append(versions[-2].doc_id)
    return replace(q, documents=tuple(dict.fromkeys(chosen))) if chosen else q


def _parse_piece(message: str, piece: str, earlier: Question | None, snap) -> Question:
    qn, speaker = _unwrap(normalise(piece))
    corrections: tuple[Correction, ...] = ()
    if snap is not None:
        qn, found = corrector(snap).correct(qn)
        corrections = tuple(found)
    if not speaker and earlier is not None:
        speaker = earlier.speaker
        if speaker:
            qn = _SELF.sub(speaker, qn)
    units = tuple(unit_db.find_units(qn))
    entities = tuple(unit_db.find_entities(qn))
    asks = _asks(qn)
    figure_words, counted = _figure_words(qn)
    if (speaker and not units and not entities and "tasks" in asks and not named_documents(qn, snap)
            and not _topic_words(qn, snap)):
        units = (speaker,) if unit_db.entry(speaker) and unit_db.entry(speaker).unit else ()
        entities = () if units else (speaker,)
    own = Question(
        text=message, normalized=qn, context=_full_names(qn, snap), speaker=speaker, units=units, entities=entities,
        documents=(named_documents(qn, snap) or kind_documents(qn, snap)) if snap is not None else (),
        unknown_documents=tuple(unknown_documents(qn, snap)) if snap is not None else (),
        asks=asks, meta_fields=tuple(f for f, cue in cues.META.items() if cue.search(qn)),
        slogan=_slogan(qn), mention_term=_mention_term(qn), attribute=_attribute(qn), measure="" if _DIVIDED_INTO.search(qn) else asked_unit(_asked_stretch(qn)),
        years=tuple(re.findall(r"((?:19|20)\d\d)\s*年", qn)), corrections=corrections,
        asked_of=_asked_of(qn), figure_words=figure_words, counted=counted, asked_names=_asked_names(qn),
        topic_words=_topic_words(qn, snap))
    if earlier is None:
        return own
    # a question about another document than the one before starts afresh
    moved_on = own.documents and earlier.documents and not set(own.documents) & set(earlier.documents)
    leaning = "no" if moved_on else _leaning(own, qn)
    if leaning == "always":
        return _complete(own, earlier, snap)
    if leaning == "maybe":
        return replace(own, completed=_complete(own, earlier, snap))
    return own


# X的比例 / X的标准 …: the asked attribute of X; 什么时候V: the time of V
_OF_ATTRIBUTE = re.compile(r"([\u4e00-\u9fff]{2,12}?)的(?:比例|标准|数额|金额|额度|比重|年限|期限|人数|数量)")
_WHEN_EVENT = re.compile(r"(?:什么时候|何时|哪年|哪一年|啥时候|几时|哪天)(?:要|能|可以|才|就|开始|去)?([\u4e00-\u9fff]{2,4})")


def _asked_of(qn: str) -> tuple[str, ...]:
    """The words naming what the figure or time asked for is of: the answering clause must
    state it (民办学校给老师缴住房公积金的比例 is not answered by a 发展基金 比例)."""
    found = []
    for m in _OF_ATTRIBUTE.finditer(qn):
        words = [w for w in dictionary_words(m[1]) if len(w) > 1 and w not in STOPWORDS and w not in _GENERIC_WORDS]
        found += words[-1:]                 # the head noun: 缴住房公积金 -> 住房公积金
    for m in _WHEN_EVENT.finditer(qn):
        words = [w for w in dictionary_words(m[1]) if len(w) > 1 and w not in STOPWORDS and w not in _GENERIC_WORDS
                 and not cues.WHEN.search(w)]
        found += words[:1]                  # the event: 什么时候报名 -> 报名
    return tuple(dict.fromkeys(fold(w) for w in found))


def _asked_names(qn: str) -> tuple[str, ...]:
    """Units and schools named in the stretch that asks (楚雄医专要在哪一年前建成…？), not in the
    story around it (我家孩子在楚雄市职中读书，…比例是多少？)."""
    asking = [piece for piece in re.split(r"[，,。；;！!]", qn) if cues.ASKING.search(piece)]
    return tuple(dict.fromkeys(n for piece in asking for n in unit_db.find_units(piece) + unit_db.find_entities(piece)))



_FIGURE = re.compile(r"([^，,。；;？?！!]*?)(?:多少|" + cues.ASKED_JI + r")(?:小时|学时|课时|人次|星期|[个项所家名位条种次万千人元年月天日周岁倍])*"
                     r"([^，,。；;？?！!]*)")


def _figure_words(qn: str) -> tuple[tuple[str, ...], str]:
    """(the words of the stretch that asks for a figure, the thing counted): 面向农村劳动力每年培训
    多少人次 -> 面向 农村 劳动力 培训 / 培训; 要建成几个州级示范的县域产教联合体 -> … / 县域产教联合体."""
    m = _FIGURE.search(qn)
    if not m:
        return (), ""
    before, after = ([w for w in content_words(part) if w not in _GENERIC_WORDS and not NOT_COUNTED.match(w)]
                     for part in (m[1], m[2]))
    return tuple(before + after), (after or before or [""])[-1]


def _full_names(qn: str, snap) -> str:
    """The question with the names of units and schools written as the documents write them
    (州教体局 -> 州教育体育局, 武定县职中 -> 武定县职业高级中学), so that search and support see
    the documents' words."""
    text = fold(qn)
    for a, b, name in reversed(unit_db.matches(text, query=False)):
        written = _as_written(name, snap)
        if written and written != text[a:b]:
            text = text[:a] + written + text[b:]
    return text


def _as_written(name: str, snap) -> str:
    """The longest spelling of a unit or school that the documents use; its canonical name when
    the documents name it by none (and that is the longer); "" to keep the question's."""
    spellings = sorted(unit_db.spellings(name), key=len, reverse=True)
    if snap is not None:
        used = next((s for s in spellings if s in snap.corpus_text), "")
        if used:
            return used
    return name


def _mention_term(qn: str) -> str:
    m = next((m for cue in cues.TERM_MENTION if (m := cue.match(qn))), None)
    if m is None:
        return ""
    term = unquoted(re.sub(r"^(?:这个|本|该)?(?:方案|文件)(?:中|里)?", "", m[1])).strip()
    return term if len(term) >= 2 else ""


def _slogan(qn: str) -> str:
    m = cues.SLOGAN.search(qn)
    code = (m[1] or m[2]) if m else ""
    return "" if re.fullmatch(r"(19|20)\d\d", code) else code


def _leaning(q: Question, qn: str) -> str:
    """How a question leans on the one before: "always" when it refers back (它, 这项工作,
    那…呢) or names nothing to be about (什么时候开始？最少要几个人？那州审计局？); "no" when it
    names what it asks about and asks something of it (州财政局负责哪些任务？); "maybe" otherwise."""
    if q.slogan:
        return "no"
    if _refers_back(qn) or qn.rstrip("？?。 ").endswith("呢"):
        return "always"
    names = q.units or q.entities or q.documents
    asks = q.asks - {"list"} or q.attribute or q.meta_fields
    # a comparison or a figure needs a topic besides the document it is asked of
    # (新旧国防教育法有什么不同？): units and document facts do not
    complete = q.units or q.entities or q.meta_fields or not (q.asks & {"compare", "number", "time"} or q.attribute)
    if not q.topic_words:
        if names and asks and not q.wants("compare"):
            return "no" if complete else "maybe"      # 方案计划用几年时间完成？ reads alone first
        return "always"
    return "no" if names and asks else "maybe"


def _refers_back(qn: str) -> bool:
    """The question points back to an earlier one (它的目标, 这项工作由谁负责), not to what it
    names itself just before (职教高考改革这件事由哪些单位负责: 这件事 is 职教高考改革)."""
    for m in _ANAPHORA.finditer(qn):
        before = re.split(r"[，,。；;？?！!]", qn[:m.start()])[-1]
        if not (m[0][0] in "这该此" and len(re.findall(r"[\u4e00-\u9fff]", before)) >= 4):
            return True
    return False


def _complete(q: Question, earlier: Question, snap) -> Question:
    """A follow-up completed from the question before: what it does not say itself (the topic,
    the unit, the document, what is asked) it takes from there; what it says replaces it."""
    names_own = bool(q.units or q.entities)
    asks_own = bool(q.asks - {"list"} or q.attribute or q.meta_fields or _ASKS_HOW.search(q.normalized))
    if _DOC_REFERENCE.search(q.normalized) and not q.documents:
        # 这部法是从哪天开始施行的: the earlier question's document, not its topic
        own = _DOC_REFERENCE.sub("", _ANAPHORA.sub("", q.normalized))
        if not earlier.documents:
            return replace(q, context=own, inherited=True, document_of=earlier.context)
        titles = "".join(dict.fromkeys(f"《{snap.documents[d].title}》" for d in earlier.documents))
        return replace(q, context=titles + own, documents=earlier.documents, inherited=True)
    if names_own and not q.topic_words and not asks_own:
        # 那州审计局呢？ -> 州审计局负责哪些任务？: the earlier question with the new name in it
        context = _swap_names(earlier.context, earlier.units + earlier.entities, (q.units + q.entities)[0])
        return replace(earlier, text=q.text, normalized=context, context=context, units=q.units,
                       entities=q.entities, asked_names=q.units + q.entities, speaker=q.speaker,
                       inherited=True, parts=())
    # 它的目标是什么？ -> (职教高考改革) 的目标是什么: the earlier topic with the new question;
    # 那搞培训的收入呢，最多能提多少比例？ has a topic of its own and keeps it, in the earlier document
    own = _ANAPHORA.sub("", q.normalized)
    if len(q.topic_words) >= 2:      # a topic of its own (finest words), in the earlier document
        inherited = () if q.documents else earlier.documents
        # …about the unit or school the earlier one named, when it points back to it (它要建成什么样的学校)
        named = "".join(earlier.units + earlier.entities) if _POINTS_BACK.search(q.normalized) and not (
            q.units or q.entities) else ""
        # …and in the place the earlier one asked about (上海的企业…？用在一线职工身上的比例…？)
        place = "".join(places(earlier.normalized)) if not (inherited or places(q.normalized)) else ""
        context = "".join(dict.fromkeys(f"《{snap.documents[d].title}》" for d in inherited)) + place + named + own
    else:
        context = f"{_topic_text(earlier)} {own}".strip()
    # 要是还在试用期呢: the case it changes to must be in the answer, not only the earlier words
    changed_case = (q.topic_words if len(q.topic_words) == 1 and not asks_own and not (q.units or q.entities)
                    else ())
    completed = replace(q, context=context, must_hold=changed_case, units=q.units or earlier.units, entities=q.entities or earlier.entities,
                        documents=q.documents or earlier.documents,
                        asks=q.asks if asks_own else earlier.asks | q.asks,
                        attribute=q.attribute or ("" if asks_own else earlier.attribute),
                        measure=q.measure or ("" if asks_own else earlier.measure),
                        years=q.years or earlier.years, asked_names=q.asked_names or earlier.asked_names,
                        inherited=True, completed=None,
                        topic_words=q.topic_words or earlier.topic_words)
    if len(q.topic_words) >= 2 and not asks_own:
        # 那元旦那天呢？ after 加班工资咋算: its own words first, else the earlier question's with them
        completed = replace(completed, completed=replace(completed, context=f"{earlier.context} {own}"))
    if len(q.topic_words) >= 2 and completed.documents and not q.documents:
        # 市域产教联合体这个事谁负责？ after a question about a law: the earlier document first,
        # else wherever its own words are answered
        completed = replace(completed, completed=replace(completed, documents=(), context=own,
                                                         completed=completed.completed))
    return completed


_ASKED_AMOUNT = re.compile(r"多少|" + cues.ASKED_JI + r"(?:个|所|项|家|万|成|名|人|天|日|年|次|小时|周|月|岁|倍|元|学时|课时)|多大")


def _topic_text(q: Question) -> str:
    """What a question is about, in its own words, without the asking: 职教高考改革由哪些单位负责
    -> 职教高考改革."""
    text = q.context
    # what a figure is of stays: 比例 in "升学比例定的多少？从哪年算起？" is what starts
    for pattern in (cues.WHO, cues.TASKS, _ASKED_AMOUNT, cues.WHEN, cues.LIST):
        text = pattern.sub(" ", text)
    return re.sub(r"\s+", " ", re.sub(r"[？?。，,]", " ", text)).strip()


def _swap_names(text: str, old: tuple[str, ...], new: str) -> str:
    """The earlier question with the name it asked about replaced by the new one."""
    spans = [(a, b) for a, b, name in unit_db.matches(text) if name in old]
    if not spans:
        return f"{new} {text}"
    a, b = spans[0]
    folded = fold(text)
    return folded[:a] + new + folded[b:]
