"""By when: a clause's own deadline, read from its text.

    到2026年, 2025年底前, 到“十四五”末      -> due that year            (kind "by")
    2025年起, 从2024年起                    -> from that year on        (kind "from")
    每年度, 每学年, 每季度                   -> recurring                (kind "every")
    利用3年时间, 用三年时间, 3年内           -> the document's year + n  (kind "span"; 2024 + 3 -> 2027年)
    收到申请之日起三十日内, 十五个工作日内    -> a limit counted from an event (kind "limit")

A clause that states none of these has the label "未规定". Effective dates (本法自2022年5月1日
起施行) and bans (五年内不得举办) are not deadlines. Pure functions over text, a Clause and its
Document: no index, no UI.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.schema import Clause, Document
from kb.textnorm import cn_to_int, to_halfwidth

NOT_SET = "未规定"

_N = r"[\d一二两三四五六七八九十]+"
_YEAR = r"(?P<{0}>(?:19|20)\d\d)年"
_TERMS = re.compile("|".join([
    # “十四五”末 / 十四五期间: the last year of a five-year plan
    r"(?P<plan>(?:到|至)?[“\"]?十(?P<plan_n>[一二三四五六七八九])五[”\"]?(?:规划)?(?:期间|末|时期))",
    # 2025年起 / 从2024年起 (not 自2022年5月1日起施行)
    r"(?P<from>(?:从|自)?" + _YEAR.format("from_y") + r"(?:\d{1,2}月(?:\d{1,2}日)?)?(?:起|开始)"
    r"(?!施行|生效|实施|执行))",
    # 2025年底前 / 在1997年前 / 2025年内
    r"(?P<before>(?:到|至|在|于)?" + _YEAR.format("before_y")
    + r"(?:\d{1,2}月)?(?:底|末)?(?:前|以前|之前|内))",
    # 到2026年 / 至2026年底
    r"(?P<by>(?:到|至)" + _YEAR.format("by_y") + r"(?:\d{1,2}月)?(?:底|末)?)",
    # 收到申请之日起三十日内 (the context before 之日起 is added in _limit_phrase)
    r"(?P<limit>之日起" + _N + r"个?(?:工作日|日|天|月|年)(?:以)?内(?!不))",
    # 利用3年时间 / 用三年时间 / 3年时间 / 3年内 (not 五年内不得)
    r"(?P<span>(?:(?:利用|用|经过|花)(?P<span_n>" + _N + r")年(?:左右)?(?:时间)?)"
    r"|(?P<span_n2>" + _N + r")年(?:左右)?时间|(?<![起至到\d一二两三四五六七八九十])(?P<span_n3>" + _N
    + r")年(?:以)?内(?!不))",
    r"(?P<days>(?<!之日起)" + _N + r"个?(?:工作日|日|天)(?:以)?内(?!不))",
    r"(?P<every>每年度|每学年|每学期|每季度|每半年|每年)",
]))
_CONTEXT_STOP = "，。；：、！？\n（）()"


@dataclass(frozen=True)
class Term:
    """One stated time: kind by | from | every | span | limit; phrase as written."""
    kind: str
    phrase: str
    year: int | None = None     # the year named, or a span resolved against the document's year

    @property
    def label(self) -> str:
        if self.kind == "from":
            return f"{self.year}年起"
        if self.kind == "span" and self.year:
            return f"{self.year}年（{self.phrase}）"
        if self.kind == "by" and self.year and str(self.year) not in self.phrase:
            return f"{self.phrase}（{self.year}年）"
        return self.phrase


@dataclass(frozen=True)
class Deadline:
    """A clause's stated times, in text order; no terms means the clause sets none."""
    terms: tuple[Term, ...] = ()

    @property
    def label(self) -> str:
        """'到2026年', '2024年起，每年', '2027年（利用3年时间）', or '未规定'."""
        return "，".join(dict.fromkeys(t.label for t in self.terms)) or NOT_SET

    @property
    def stated(self) -> bool:
        return bool(self.terms)

    @property
    def due_year(self) -> int | None:
        """The latest year something is due by (by / span terms), None when open-ended."""
        years = [t.year for t in self.terms if t.kind in ("by", "span") and t.year]
        return max(years) if years else None

    @property
    def years(self) -> frozenset[int]:
        """Every year the clause names or resolves to (due or starting)."""
        return frozenset(t.year for t in self.terms if t.year)

    def matches_year(self, year: int) -> bool:
        """True when the clause names `year` as a deadline or a start (到2025年, 2025年底前,
        2025年起, 利用1年时间 from 2024)."""
        return year in self.years


def base_year(document: Document | None) -> int | None:
    """The year a span (利用3年时间) counts from: 成文日期, else 发布日期, else 施行."""
    if document is None:
        return None
    for date in (document.written_date, document.published_date, document.dates.get("施行", "")):
        if date[:4].isdigit():
            return int(date[:4])
    return None


def deadline_of_text(text: str, base: int | None = None) -> Deadline:
    """The times `text` states; `base` is the year spans count from (None: left unresolved)."""
    text = to_halfwidth(text or "")
    terms: list[Term] = []
    for m in _TERMS.finditer(text):
        if m["plan"]:
            terms.append(Term("by", m["plan"], 1955 + 5 * (10 + cn_to_int(m["plan_n"]))))
        elif m["from"]:
            terms.append(Term("from", m["from"], int(m["from_y"])))
        elif m["before"] or m["by"]:
            terms.append(Term("by", (m["before"] or m["by"]).lstrip("在于"), int(m["before_y"] or m["by_y"])))
        elif m["span"]:
            n = cn_to_int(m["span_n"] or m["span_n2"] or m["span_n3"])
            terms.append(Term("span", m["span"], base + n if base and n else None))
        elif m["limit"]:
            terms.append(Term("limit", _limit_phrase(text, m.start()) + m["limit"]))
        elif m["days"]:
            terms.append(Term("limit", m["days"]))
        else:
            terms.append(Term("every", m["every"]))
    return Deadline(tuple(terms))


def _limit_phrase(text: str, end: int, most: int = 12) -> str:
    """The event a 之日起 limit counts from: the words before it back to punctuation or 自/从/在/于."""
    start = end
    while start > 0 and end - start < most and text[start - 1] not in _CONTEXT_STOP:
        start -= 1
        if text[start] in "自从在于":
            return text[start + 1:end]
    return text[start:end]


def clause_deadline(clause: Clause, document: Document | None = None) -> Deadline:
    """The clause's own deadline; spans count from its document's year."""
    return deadline_of_text(clause.text, base_year(document))
