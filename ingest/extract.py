"""Structured knowledge from clause text: 责任单位, quantified targets, named schools/bodies.

Pure functions, no model. Matching runs on a *key* of the text that has the same length as the
text (per-character `fold`: half-width digits, simplified characters, one bracket/colon/dash style),
so every offset found on the key is also an offset into the original, and quotes stay verbatim.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from kb import units as gaz
from kb.schema import Target
from kb.textnorm import cn_to_int, fold

# ---------------------------------------------------------------- key text


def _key(text: str) -> str:
    """Same-length comparison key: fold() one character at a time (whitespace kept as is)."""
    return text.translate(_FOLD_TABLE)


class _FoldTable(dict):
    """str.translate table that folds each character the first time it is seen."""
    def __missing__(self, code: int) -> str:
        f = fold(chr(code))
        self[code] = f if len(f) == 1 else chr(code)
        return self[code]


_FOLD_TABLE = _FoldTable()


# ---------------------------------------------------------------- 责任单位

_OPENERS = ("责任单位", "责任部门", "主责单位", "牵头单位", "牵头部门")
_LEAD_LABELS = ("牵头单位", "牵头部门")
_CO_LABELS = ("配合单位", "配合部门", "协办单位", "参与单位")
_LABEL_RE = re.compile(r"(%s)\s*：" % "|".join(_OPENERS + _CO_LABELS))
# （责任单位：…）, allowing one level of nested brackets for （牵头）; an unclosed list ends at 。 or the
# text end. Also a line of its own that starts 责任单位：… (no brackets).
_PAREN_RE = re.compile(
    r"（\s*(?:{o})\s*：(?:[^（）。]|（[^（）。]{{0,8}}）){{0,400}}?(?:）|(?=。)|\Z)|^[ \t]*(?:{o})\s*：[^\n]*".format(
        o="|".join(_OPENERS)), re.M)
_ITEM_SEP_RE = re.compile(r"[、，；/。]")
_ROLE_RE = re.compile(r"\s*(?:（(牵头|配合|协办)）|(牵头|配合|协办))\s*$")


@dataclass
class Responsibility:
    units_raw: list[str]                          # names as written, in order
    units: list[str]                              # canonical, deduplicated, order kept
    lead: list[str] = field(default_factory=list)  # only when the text names a lead (牵头)
    co: list[str] = field(default_factory=list)    # the others when a lead is named, or 配合/协办 units
    span: tuple[int, int] = (0, 0)                # the whole parenthetical in the input text


def responsibility_spans(text: str) -> list[tuple[int, int]]:
    """Spans of every （责任单位：…） parenthetical in `text`."""
    return [m.span() for m in _PAREN_RE.finditer(_key(text))]


def parse_responsibility(text: str) -> Responsibility | None:
    """The 责任单位 of a clause, or None. When a text holds several such parentheticals the last
    one wins (it closes the clause). Handles （牵头单位：A；配合单位：B、C） and 「A（牵头）」 forms;
    unknown names are kept as written. Addressee lines (各县市人民政府，…：) have no bracket and
    are not responsibilities."""
    key = _key(text)
    for start, end in reversed([m.span() for m in _PAREN_RE.finditer(key)]):
        resp = _parse_paren(text, key, start, end)
        if resp.units:
            return resp
    return None


def _parse_paren(text: str, key: str, start: int, end: int) -> Responsibility:
    inner_end = end - 1 if key[start] == "（" and key[end - 1] == "）" else end
    labels = list(_LABEL_RE.finditer(key, start, inner_end))
    raw, names, roles = [], [], []
    for i, lab in enumerate(labels):
        seg_end = labels[i + 1].start() if i + 1 < len(labels) else inner_end
        for item_raw, item_role in _items(text, key, lab.end(), seg_end):
            name = gaz.canonical(item_raw) or item_raw
            raw.append(item_raw)
            names.append(name)
            roles.append(item_role or _label_role(lab.group(1)))
    units = list(dict.fromkeys(names))
    lead = list(dict.fromkeys(n for n, r in zip(names, roles) if r == "lead"))
    co = list(dict.fromkeys(n for n, r in zip(names, roles) if r == "co"))
    if lead:   # once a lead is named, everybody else cooperates
        co = [n for n in units if n not in lead]
    return Responsibility(raw, units, lead, co, (start, end))


def _label_role(label: str) -> str:
    return "lead" if label in _LEAD_LABELS else "co" if label in _CO_LABELS else ""


def _items(text: str, key: str, start: int, end: int) -> list[tuple[str, str]]:
    """(name as written, role) for the list in key[start:end]. Whitespace separates names unless
    removing it gives a known name (a name broken across lines)."""
    out = []
    pos = start
    for piece_end in [m.start() for m in _ITEM_SEP_RE.finditer(key, start, end)] + [end]:
        piece, kpiece = text[pos:piece_end], key[pos:piece_end]
        pos = piece_end + 1
        role = ""
        m = _ROLE_RE.search(kpiece)
        if m:
            role = {"牵头": "lead"}.get(m.group(1) or m.group(2), "co")
            piece, kpiece = piece[:m.start()], kpiece[:m.start()]
        joined = re.sub(r"\s+", "", piece)
        if not joined:
            continue
        parts = [joined] if gaz.canonical(joined) or not re.search(r"\s", piece.strip()) else piece.split()
        out += [(p, role) for p in parts]
    return out


# ---------------------------------------------------------------- targets

DEADLINE = "限期"   # Target.comparison of a goal that has a deadline but no number (see extract_targets)

_NUM = r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?"
_UNIT = r"个百分点|人次|学时|课时|平方米|公里|人|个|所|家|项|名|门|支|套|场|次|倍|元|亩|%|％"
_MULT = {"万": 1e4, "亿": 1e8}
_QTY_RE = re.compile(
    rf"(?<![\d.第])(?P<n1>{_NUM})(?P<m1>[万亿])?(?:(?P<u1>{_UNIT})?\s*[-至到]\s*(?P<n2>{_NUM})(?P<m2>[万亿])?)?"
    rf"(?P<unit>{_UNIT})(?!月|工作日)(?P<post>左右|及以上|以上|以内|以下)?"
    rf"|百分之(?P<pct>{_NUM})(?:[-至到]百分之(?P<pct2>{_NUM}))?")
_PREFIX_CMP_RE = re.compile(r"不少于|不低于|不超过|不高于|不多于|至少|超过|达到|高于|低于|少于|多于")
_N_YEARS = r"(?:\d+|[一二两三四五六七八九十]+)(?:年|个月)"
_DEADLINE = (r"(?:到|至)\d{4}年(?:底|末)?(?:前|以前)?|\d{4}年(?:底|末)?(?:前|以前)"   # 到2026年, 2025年底前
             rf"|(?:利用|用|经过){_N_YEARS}(?:时间)?|{_N_YEARS}(?:时间|内)")           # 用3年时间, 3年内
_PERIOD_RE = re.compile(rf"(?:从|自)?\d{{4}}年(?:起|开始)|{_DEADLINE}|每年度|每年|每学年|每学期|逐年|年均")
_DEADLINE_RE = re.compile(_DEADLINE)
_VERB_RE = re.compile(r"完成|开展|建成|建设|培育|孵化|选取|打造|创建|达到|实现|新增|培养|招收|认定|组建")
# Words trimmed from the edges of a subject: periods, conjunctions, list markers, scope words.
_LEAD_TRIM_RE = re.compile(
    rf"(?:{_PERIOD_RE.pattern}|[，、：\s]|其中|并且|并|以|按|可按|要|力争|争取|把|将|[一二三四五六七八九十]是|第[一二三四五六七八九十百零〇\d]+条|全州|全省|州内|的)+")
_TAIL_TRIM_RE = re.compile(r"(?:应当|应该|可以|必须|的|，|、|\s)+$")
_SENTENCE_RE = re.compile(r"[^。！？\n]+[。！？]?")
_SEGMENT_RE = re.compile(r"[^。；！？\n]+")
_PHRASE_STOP = "，；。：！？\n"


def extract_targets(text: str) -> list[Target]:
    """Quantified goals in `text`, in document order.

    value is normalised (十万/10万 -> 100000.0, 60% -> 60.0, a range 1个—2个 -> its lower bound 1.0 with
    comparison "区间"); comparison is 不少于/不低于/不超过/… , a suffix 左右/以上/以内/以下, or "=";
    period gathers 每年 / 从2024年起 / 到2026年 / 利用3年时间 … before the number in its sentence (a
    sentence starting 其中 inherits the previous sentence's period); text is the ；/。-delimited
    segment, verbatim. Years, clause numbers and codes (3377522) carry no unit and are never targets;
    Chinese-numeral counts (七个专项行动) only count with a comparison or 万.

    A deadline or time frame without a number after it in its segment (到2026年，实现中高职“3+2”
    贯通培养全覆盖; 利用3年时间，力争把楚雄师院建成…) gives
    Target(value=0.0, unit="", display="", comparison=DEADLINE, period="到2026年",
    subject="实现中高职“3+2”贯通培养全覆盖", text="到2026年，实现…全覆盖").
    """
    key = _PAREN_RE.sub(lambda m: "|" * len(m.group()), _key(text))   # the unit list holds no goals
    found: list[tuple[int, Target]] = []
    inherited: list[str] = []
    for sent in _SENTENCE_RE.finditer(key):
        periods_here = [m.group() for m in _PERIOD_RE.finditer(sent.group())]
        own_inherit = inherited if sent.group().lstrip().startswith("其中") else []
        numeric_ends: list[int] = []
        prev_end = sent.start()
        for q in _QTY_RE.finditer(key, sent.start(), sent.end()):
            target, after_end = _numeric_target(text, key, q, sent, prev_end, own_inherit)
            if target:
                found.append((q.start(), target))
                numeric_ends.append(q.end())
                prev_end = after_end
        found += _deadline_goals(text, key, sent, numeric_ends)
        inherited = periods_here or own_inherit
    return [t for _, t in sorted(found, key=lambda x: x[0])]


def _numeric_target(text: str, key: str, q: re.Match, sent: re.Match, prev_end: int,
                    inherited: list[str]) -> tuple[Target | None, int]:
    """The target for quantity match q (None for a bare Chinese-numeral count), and where its
    counted noun ends (the next quantity's phrase starts there)."""
    phrase_start = max(prev_end, _phrase_start(key, q.start(), sent.start()))
    cmp_m = ([None] + list(_PREFIX_CMP_RE.finditer(key, phrase_start, q.start())))[-1]
    written = q.group("pct") or q.group("n1")
    number = _number(written)
    if number is None:
        return None, q.end()
    post = q.group("post") or ""
    if not q.group("pct") and not written[0].isdigit() and not (cmp_m or post or q.group("m1")):
        return None, q.end()            # 七个专项行动, 二个示范项目: headings, not goals
    mult = q.group("m1") or ""
    unit = "%" if q.group("pct") or q.group("unit") in ("%", "％") else q.group("unit")
    if q.group("n2"):                   # a range keeps its wording: 1个—2个
        display = fold(text[q.start():q.end("unit")]).replace("-", "—")
    elif q.group("pct2"):
        display = f"{_fmt(number)}%—{_fmt(_number(q.group('pct2')) or 0)}%"
    else:
        display = f"{_fmt(number)}{mult}{unit}"
    ranged = q.group("n2") or q.group("pct2")
    comparison = "区间" if ranged else cmp_m.group() if cmp_m else post or "="
    after_end = _phrase_end(key, q.end(), "、")
    subject = _subject(text, key, phrase_start, cmp_m.start() if cmp_m else q.start(), q.end(), after_end)
    periods = [m.group() for m in _PERIOD_RE.finditer(key, sent.start(), q.start())] or inherited
    seg_start, seg_end = _segment(key, q.start(), sent)
    return Target(text=text[seg_start:seg_end].strip(), value=number * _MULT.get(mult, 1), unit=unit,
                  display=display, comparison=comparison, period="，".join(dict.fromkeys(periods)),
                  subject=subject), after_end


def _number(s: str) -> float | None:
    """10 / 1.5 / 十 / 一点五 -> float."""
    if s[0].isdigit():
        return float(s)
    whole, _, frac = s.partition("点")
    n = cn_to_int(whole)
    if n is None:
        return None
    return float(f"{n}.{''.join(str(cn_to_int(c)) for c in frac)}") if frac else float(n)


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else str(x)


def _subject(text: str, key: str, phrase_start: int, before_end: int, q_end: int, after_end: int) -> str:
    """What is counted: the noun after the number (职业技能及各类培训), else the one before it
    (各类培训不少于5万人次); a 面向… audience is kept in front ("面向在校学生 职业技能培训")."""
    after = _trim(text, key, q_end, after_end)
    before = _trim(text, key, phrase_start, before_end)
    verb = _VERB_RE.search(key, phrase_start, before_end)
    qualifier, noun_before = before, ""
    if verb:
        qualifier = _trim(text, key, phrase_start, verb.start())
        noun_before = _trim(text, key, verb.end(), before_end)
    noun = after or noun_before or ("" if verb else before)
    if qualifier.startswith(("面向", "针对")):
        return f"{qualifier} {noun}".strip()
    return noun or qualifier


def _trim(text: str, key: str, s: int, e: int) -> str:
    """text[s:e] without leading periods/conjunctions/scope words and trailing 的，、."""
    m = _LEAD_TRIM_RE.match(key, s, e)
    if m:
        s = m.end()
    tail = _TAIL_TRIM_RE.search(key, s, e)
    return text[s:tail.start() if tail else e].strip()


def _phrase_start(key: str, pos: int, floor: int) -> int:
    i = pos
    while i > floor and key[i - 1] not in _PHRASE_STOP:
        i -= 1
    return i


def _phrase_end(key: str, pos: int, extra: str = "") -> int:
    """End of the phrase at pos: punctuation, a blanked 责任单位 list or the next number."""
    i = pos
    while i < len(key) and key[i] not in _PHRASE_STOP + extra + "|" and not key[i].isdigit():
        i += 1
    return i


def _segment(key: str, pos: int, sent: re.Match) -> tuple[int, int]:
    """The ；/。-delimited piece of the sentence around pos."""
    for m in _SEGMENT_RE.finditer(key, sent.start(), sent.end()):
        if m.start() <= pos < m.end():
            return m.span()
    return sent.span()


def _deadline_goals(text: str, key: str, sent: re.Match, numeric_ends: list[int]) -> list[tuple[int, Target]]:
    """Deadline goals without a number after the deadline in the same segment (see extract_targets)."""
    out = []
    for seg in _SEGMENT_RE.finditer(key, sent.start(), sent.end()):
        for d in _DEADLINE_RE.finditer(key, seg.start(), seg.end()):
            if any(d.end() <= e <= seg.end() for e in numeric_ends):
                continue
            subject = _trim(text, key, d.end(), seg.end())
            if not subject:
                continue
            out.append((d.start(), Target(text=text[d.start():seg.end()].strip(), value=0.0, unit="",
                                          display="", comparison=DEADLINE, period=d.group(),
                                          subject=subject)))
    return out


def describe(t: Target) -> str:
    """A short reading of a target for answers: 不少于10万人次 / 10个左右 / 到2026年，实现…"""
    if t.comparison == DEADLINE:
        return f"{t.period}，{t.subject}"
    if t.comparison in ("=", "区间"):
        return t.display
    if t.comparison in ("左右", "及以上", "以上", "以内", "以下"):
        return f"{t.display}{t.comparison}"
    return f"{t.comparison}{t.display}"


# ---------------------------------------------------------------- mentions

_SCHOOL_SUFFIX_RE = re.compile(
    r"职业技术学院|职业学院|技师学院|师范学院|医学院|职业高级中学|职业中学|高级中学|民族中学|职教中心|"
    r"技工学校|卫生学校|职业技术学校|大学|学院|中学|小学|学校|职中|医专|师院|高专")
# The left edge of an unknown school name: punctuation, or a word that cannot be part of a name.
_NAME_BREAK_RE = re.compile(
    r"[^\u4e00-\u9fff]|与|和|及|把|将|在|对|由|向|为|让|的|了|是|等|深化|推动|支持|依托|联合|建设|打造|成为|"
    r"建成|创建|推进|争取|力争|选取|合作|举办|共建|聚焦|制定|设置|全州|全省|全市|全县|各|年|起|条|款")
# X省/X市/X县… as the start of a name, but not 省级/县域/州内, 本市/该县, 农村地区/城区/辖区 (not places).
_PLACE_RE = re.compile(r"[^本该全各每这此其辖\W\d][^\W\d]{1,2}?(?<![地城郊校片园辖社小山灾牧林景本该])"
                       r"(?:自治州|省|市|县|州|区)(?![级域内直属外辖])")
_MAX_NAME = 12
_MAX_STEM = 6       # characters between the place and the school word (云南|农业|大学)


def extract_mentions(text: str) -> list[str]:
    """Schools and bodies named in `text` (canonical, document order, deduplicated), leaving out the
    责任单位 parenthetical and 《titles》. Gazetteer names first (武定县职业高级中学 -> 武定县职中), then
    unknown names that start with a place and end like a school (X县职中, X大学, X技师学院 …);
    generic words (职业院校, 高等学校, 本科院校, 优质学校 …) never count."""
    blank = list(text)
    for s, e in responsibility_spans(text) + [m.span() for m in re.finditer(r"《[^《》]*》", text)]:
        blank[s:e] = "|" * (e - s)
    key = fold("".join(blank))
    g = gaz.gazetteer()
    named = gaz.matches(key, query=False)
    hits = [(s, e, n) for s, e, n in named if g.entries[n].kind != "群体"]
    # gazetteer names come in text order and never overlap: looked up by bisection, so the scan
    # stays linear in the text however many names it holds
    starts, ends = [s for s, _, _ in named], [e for _, e, _ in named]
    for m in _SCHOOL_SUFFIX_RE.finditer(key):
        inside = bisect.bisect_right(starts, m.start()) - 1
        if inside >= 0 and m.start() < ends[inside]:
            continue
        before = bisect.bisect_right(ends, m.start()) - 1
        floor = max(ends[before] if before >= 0 else 0, m.start() - _MAX_NAME, 0)
        left = key[floor:m.start()]
        cut = max((b.end() for b in _NAME_BREAK_RE.finditer(left)), default=0)
        if _is_school_name(left[cut:], m.group(), g):
            hits.append((floor + cut, m.end(), left[cut:] + m.group()))
    hits.sort()
    return list(dict.fromkeys(n for _, _, n in hits))


def _is_school_name(prefix: str, suffix: str, g: gaz.Gazetteer) -> bool:
    """An unknown name counts when it starts with a place and is not a place plus a generic word;
    a second school word inside (中职学校学生升高职学校) means a phrase, not a name."""
    place = next((re.match(re.escape(p) + "(?:省|市|县|州|区)?", prefix) for p in g.places if prefix.startswith(p)),
                 None) or _PLACE_RE.match(prefix)
    if not place:
        return False
    stem = prefix[place.end():]
    rest = stem + suffix
    return (len(stem) <= _MAX_STEM and not _SCHOOL_SUFFIX_RE.search(stem)
            and not any(rest.endswith(w) for w in g.generic))
