"""Sentence-level helpers over clause text: split, pick, extend and display answering sentences.

Pure functions of strings; nothing here knows about questions or the knowledge base.
"""
from __future__ import annotations

import re

from kb.textnorm import cn_to_int, fold

SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?|\n")
WHOLE_ARTICLE = 200      # characters: a law article this short is answered whole (its 款 complete each other)

_QUANTITY = re.compile(r"[\d一二三四五六七八九十两百千]+(\.\d+)?\s*(万|千|百)?\s*(人次|人|个|所|项|家|名|%|％|年|次|元|亿|学时|课时|天|日|小时|周|月|岁|倍)|[百千万]分之")
# "不低于多少" may be answered by a standard rather than a figure (不得低于…最低工资标准)
_BOUND = re.compile(r"(不得|不|不应)(低于|少于|高于|超过)")
# The next piece of a sentence qualifies the previous one (an exception, a condition, a remedy).
_QUALIFIER = re.compile(r"^(但|但是|没有|不足|违法所得不足|除|其中|条件不具备|情节严重|逾期|拒不)")
_ENUMERATOR = re.compile(r"([一二三四五六七八九十])是")
_COUNTERS = "个家所项座支批"
_RESPONSIBILITY = re.compile(r"[（(]\s*(责任单位|牵头单位)[^）)]*[）)]?")
# A time a sentence states: a year, a recurring period, a duration (3年, 八小时, 六个月, 星期一)
YEARISH = re.compile(r"\d{4}\s*年|每年|逐年|年底|年起|[\d一二三四五六七八九十百两]+\s*(个)?(年|月|日|天|周|小时|学时|周岁|岁)"
                     r"|星期[一二三四五六日天]|随时|立即|当日|当天")
# What a sentence stating an asked attribute of a task or rule looks like.
_STATES = {
    "target": re.compile(r"(到|至)\s*\d{4}\s*年|\d{4}\s*年\s*(起|前|底|内)|达到|不低于|不少于|力争|实现|覆盖|建成|"
                         r"\d\s*[%％]|百分之|\d+\s*(万|千)?\s*(人次|个|所|项|家|名)"),
    "deadline": YEARISH,
    "start": re.compile(r"\d{4}\s*年\s*(\d{1,2}\s*月\s*)?(\d{1,2}\s*日\s*)?(起|开始)|(从|自)\s*\d{4}"),
    "proportion": re.compile(r"\d\s*[%％]|百分之|比例"),
    "standard": re.compile(r"标准|不(得)?(低于|少于|超过|高于)|应当具备|条件|资格"),
    "audience": re.compile(r"面向|对象|针对|适用于"),
    "method": re.compile(r"通过|采取|采用|方式|按照|实行|建立|依托"),
    "place": re.compile(r"地址|地点|[路街巷]\s*\d+\s*号|在[^，。；]{2,12}(办理|报名|举行|集中)|[记存录]入"
                        r"|[到向][^，。；]{2,15}(申请|办理|报名|登记|提出|投诉|举报)"),
}


def states(attribute: str, sentence: str) -> bool:
    """The sentence states the asked attribute (a target, a deadline, a standard …)."""
    pattern = _STATES.get(attribute)
    return bool(pattern and pattern.search(sentence))


def time_scope(sentence: str, text: str) -> str:
    """The sentence of `text` that states the deadline or start governing `sentence`: itself when
    it states one, else the nearest one before it in the same clause (从2024年起，每年开展…。其中，
    面向在校学生完成3万人次… — the second sentence falls under 2024年起); "" when none does."""
    from kb.deadlines import deadline_of_text
    if deadline_of_text(sentence).stated:
        return sentence
    start = text.find(sentence.strip())
    earlier = [s for s in sentences(text[:start]) if deadline_of_text(s).stated] if start > 0 else []
    return earlier[-1] if earlier else ""


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE.findall(text) if s.strip() and len(s.strip()) > 1]


def sentence_with(text: str, value: str, unquote: bool = False) -> str:
    key = fold(value)
    return next((s.strip() for s in sentences(text) if key in (unquoted(fold(s)) if unquote else fold(s))), "")


_QUOTE_MARKS = re.compile(r"[“”\"'「」‘’]")


def unquoted(text: str) -> str:
    return _QUOTE_MARKS.sub("", text)


def quoted_phrases(text: str) -> list[str]:
    """The phrases a text puts in quotes (“3+2”, "一盘棋")."""
    return re.findall(r"[“\"「‘]([^”\"」’]{1,20})[”\"」’]", text)


def responsibility_sentence(text: str) -> str:
    """The （责任单位：…） list of a clause, "" when it has none."""
    m = _RESPONSIBILITY.search(text)
    return m[0] if m else ""


def has_quantity(sentence: str, unit: str) -> bool:
    """The sentence states a figure (of the asked measure `unit`, when one is asked); a heading's
    number (2.打造省级乡村振兴学院示范学校) is none."""
    sentence = strip_number(sentence.strip())
    if not unit:
        return bool(_QUANTITY.search(sentence) or re.search(r"\d", sentence) or _BOUND.search(sentence))
    if unit == "%":
        return bool(re.search(r"\d\s*[%％]|[百千万]分之", sentence))
    if unit == "money":      # an amount, a share of one, or a standard (最低工资标准)
        return bool(re.search(r"[\d一二三四五六七八九十两百千万]\s*(万|千|百|亿)?\s*元|\d\s*[%％]|[百千万]分之|倍|标准", sentence))
    if unit == "people":
        return bool(re.search(r"[\d一二三四五六七八九十两百千万]\s*(万|千|百)?\s*(人次|人|名)", sentence))
    if unit == "年":         # a number of years (用3年时间), not a year (2024年)
        return bool(re.search(r"(?<!\d)(?:\d{1,3}|[一二三四五六七八九十两]+)\s*个?\s*年", sentence))
    # things counted are counted alike (孵化50个州级示范企业 answers 多少家)
    unit = {"天": "[天日]", "日": "[天日]", "岁": "周?岁"}.get(unit, f"[{_COUNTERS}]" if unit in _COUNTERS else unit)
    return bool(re.search(rf"[\d一二三四五六七八九十两]\s*(万|千|百|亿)?\s*个?\s*{unit}", sentence))


def figure_fit(sentence: str, asked: list[tuple[str, ...]]) -> int:
    """How many of the asked words (each given with the documents' words for it) stand in the
    piece of the sentence that states a figure, at best: 延长工作时间每日不得超过三小时 states
    hours of 加班 (延长工作时间); 建成5个左右州级示范的县域产教联合体 counts 县域产教联合体, not
    行业共同体."""
    best = 0
    for m in _QUANTITY.finditer(sentence):
        before = re.split(r"[，,；;。、]", sentence[:m.start()])[-1]
        after = re.split(r"[，,；;。、]", sentence[m.end():])[0]
        piece = fold(before + "，" + after)
        held = sum(any(_holds(piece, form) for form in forms) for forms in asked)
        best = max(best, held - _qualifiers(before, asked))
    return best


def _qualifiers(piece: str, asked: list[tuple[str, ...]]) -> int:
    """Asked words the piece narrows by a word the question does not use: 延长工作时间每日不得超过
    三小时 is of 工作 narrowed by 延长 (overtime), not of 工作 as asked (每天最多工作几小时);
    a frequency (每日, 平均) narrows nothing."""
    from kb.tokenize import STOPWORDS, dictionary_words
    forms = {f for group in asked for f in group}
    words = dictionary_words(fold(piece))
    return sum(1 for prev, word in zip(words, words[1:])
               if any(word == f or (len(f) > 1 and word.startswith(f)) for f in forms)
               and len(prev) > 1 and prev not in STOPWORDS and prev not in forms
               and not NOT_COUNTED.match(prev) and not any(prev in f or f in prev for f in forms))


# not what a figure is of: a frequency, a time, a comparison (每年完成多少人次: 人次 of 完成 training)
NOT_COUNTED = re.compile(r"每|平均|一般|累计|合计|总共|按照?|依照|根据|今年|明年|全年|当年|以后|目前|现在|不少于|不低于|不超过|不得|至少|最多|最少|最高|最低|"
                          r"超过|低于|少于|高于|达到|[一二三四五六七八九十两\d]+[年月天日周]$")


def _holds(text: str, phrase: str) -> bool:
    """The text holds the phrase, or each of its words (职业技能及各类培训 holds 职业技能培训)."""
    from kb.retrieve import finest
    from kb.tokenize import tokens
    return phrase in text or all(t in text for t in finest(tokens(phrase)) or [phrase])


def similarity(a: str, b: str) -> float:
    """Share of character bigrams two texts have in common (Jaccard): the same provision in two
    versions of a law is worded alike."""
    grams = [{x[i:i + 2] for i in range(len(x) - 1)} for x in (fold(a), fold(b))]
    union = grams[0] | grams[1]
    return len(grams[0] & grams[1]) / len(union) if union else 0.0


def bigram_index(texts: list[str]) -> dict[str, set[int]]:
    """Character bigram -> indexes of the texts holding it."""
    index: dict[str, set[int]] = {}
    for i, text in enumerate(texts):
        for j in range(len(text) - 1):
            index.setdefault(text[j:j + 2], set()).add(i)
    return index


def cn_date(iso: str) -> str:
    y, m, d = map(int, iso.split("-"))
    return f"{y}年{m}月{d}日"


def strip_number(label: str) -> str:
    """Drop a leading heading or article number: "1.", "一、", "（二）", "第二条 "."""
    return re.sub(r"^(\d+[.．、]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|第[一二三四五六七八九十百零\d]+条\s*)",
                  "", label).strip()


def with_items(sentence: str, text: str, limit: int = 400) -> str:
    """A sentence that announces a list ("…下列基本条件：") is answered with the list after it."""
    if not sentence.rstrip().endswith(("：", ":")):
        return sentence
    start = text.find(sentence.strip())
    rest = text[start + len(sentence.strip()):].strip() if start >= 0 else ""
    return sentence.rstrip() + (rest[:limit] + ("…" if len(rest) > limit else "") if rest else "")


def with_following(piece: str, text: str, belongs) -> str:
    """A piece cut at "；" followed, in text, by a piece that `belongs` with it: both."""
    start = text.find(piece.strip())
    if start < 0 or not piece.rstrip().endswith(("；", ";")):
        return piece
    following = SENTENCE.match(text[start + len(piece.strip()):].lstrip())
    return piece.rstrip() + following[0].strip() if following and belongs(following[0]) else piece


def with_continuation(piece: str, text: str) -> str:
    """A piece whose next piece qualifies it (…罚款；违法所得不足一万元的…, 入学；条件不具备的地区
    …可以推迟到七周岁) is answered with both."""
    return with_following(piece, text, _QUALIFIER.match)


def lead_with(sentence: str, text: str, limit: int = WHOLE_ARTICLE) -> str:
    """The opening sentences of a long article up to `limit` characters when they include the
    answering sentence (a comparison needs the provision's frame: 职业学校教育分为…。…由…实施), else
    the sentence alone."""
    lead = ""
    for s in sentences(strip_number(text)):
        if len(lead) + len(s) > limit:
            break
        lead += s
    return lead if sentence.strip() in lead else sentence


def with_next_if_short(sentence: str, text: str, short: int = 15) -> str:
    """A heading-like sentence ("二是招生工作一体化。") is answered with the sentence after it."""
    if len(strip_number(sentence.strip())) >= short:
        return sentence
    found = sentences(text)
    for i, s in enumerate(found[:-1]):
        if s.strip() == sentence.strip():
            return sentence.strip() + found[i + 1].strip()
    return sentence


def display_sentence(sentence: str) -> str:
    """The answering sentence, without a leading heading number, ending in 。"""
    s = strip_number(sentence.strip())
    s = re.sub(r"^[一二三四五六七八九十]是", "", s)
    return s.rstrip("；;，,") + ("" if s.endswith(("。", "！", "？")) else "。")


def enumeration(text: str) -> list[str]:
    """一是…；二是…： the items of an enumerated clause, each up to its first sentence end."""
    marks = list(_ENUMERATOR.finditer(text))
    if len(marks) < 2 or cn_to_int(marks[0][1]) != 1:
        return []
    items = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = text[m.end():end]
        first = re.split(r"[。；;]", body, maxsplit=1)[0]
        items.append(f"{m[1]}是{first.strip('，, ')}")
    return items
