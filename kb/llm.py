"""Optional LLM phrasing of free-text answers, shown only when every checkable fact is verified.

An OpenAI-compatible endpoint (Ollama, vLLM, Xinference, a hosted API), configured by
KB_LLM_BASE_URL, KB_LLM_MODEL and KB_LLM_API_KEY (KB_LLM_TIMEOUT seconds, default 30), rewrites
an extractive answer from numbered source clauses, through llama-index's `OpenAILike`. Its text
replaces the extractive answer only when `verify` accepts it:

- it cites, and every [n] is one of the clauses it was given;
- every number, date, percentage and unit name (州人社局 …) in a passage — the text up to a group
  of markers such as [1][2] — appears in the clauses that group cites;
- a quoted phrase (“…”) is verbatim text of a cited clause, a 《title》 that of a cited document;
- nothing but punctuation follows the last marker.

On any failure, a timeout or an endpoint error the extractive answer stands, with
`llm = {"used": False, "reason": "…", "check": "…"}`. Structured answers (who is responsible, a
unit's tasks, document facts, lists, definitions, versions) are never sent: they are exact already.
Abstention stays with the answerer: an abstained answer is never sent, and a reply that cites
nothing is refused.

How the answer layer calls it (a free-text answer and the hits it was built from):

    from kb import llm
    if llm.phrases(answer):
        answer = llm.phrase(question, answer, llm.sources(answer, hits, snap.documents))

`phrase_stream` is the same step for a streaming UI: it yields the verified text as it grows,
then the final Answer.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from kb import units as unit_db
from kb.schema import Answer, Citation, Document, ScoredClause
from kb.textnorm import fold, t2s, to_halfwidth

FREE_TEXT_KINDS = frozenset({"general", "number"})   # the extractive answerer's own sentences
MAX_SOURCES = 5          # clauses given to the model: the answer's citations, then the best retrieved
MAX_TOKENS = 800
TAIL = 4                 # characters (not punctuation) allowed after the last marker: "以上。"

SYSTEM_PROMPT = """你是政策文件问答助手，只根据用户给出的编号条款回答问题。
要求：
1. 用简洁、通顺的中文回答，每句话末尾用方括号标注所依据的条款编号，例如[1]或[1][2]；只能使用给出的编号。
2. 数字、日期、百分比、单位名称必须与条款原文完全一致，不要换算、推算或补充条款中没有的内容。
3. 引用原文时用“”括起，引号内必须与条款一字不差。
4. 不要写条款以外的信息，不要写开场白或总结。"""


@dataclass(frozen=True)
class LLMConfig:
    base_url: str = ""
    model: str = ""
    api_key: str = ""
    timeout: float = 30.0     # seconds for the whole reply

    @classmethod
    def from_env(cls) -> "LLMConfig":
        return cls(base_url=os.environ.get("KB_LLM_BASE_URL", "").strip(),
                   model=os.environ.get("KB_LLM_MODEL", "").strip(),
                   api_key=os.environ.get("KB_LLM_API_KEY", "").strip(),
                   timeout=float(os.environ.get("KB_LLM_TIMEOUT", "30")))

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)

    def problem(self) -> str:
        """Why the endpoint cannot be called; "" when it can."""
        if not self.base_url:
            return "未配置大模型接口（KB_LLM_BASE_URL）"
        if not self.model:
            return "未配置模型名称（KB_LLM_MODEL）"
        return ""


class Unverified(ValueError):
    """The model's text failed a check: the message says which, `check` names the rule."""

    def __init__(self, reason: str, check: str):
        super().__init__(reason)
        self.check = check


@dataclass
class Verified:
    text: str                # markers renumbered 1, 2 … in order of first use
    cited: list[int]         # the given source numbers, in that order


# -- what the answer layer calls ---------------------------------------------------------------

def phrases(answer: Answer) -> bool:
    """Whether `answer` is one the LLM may rephrase: a free-text answer that does not abstain."""
    return answer.kind in FREE_TEXT_KINDS and not answer.abstained


def sources(answer: Answer, retrieved: list[ScoredClause], documents: dict[str, Document],
            limit: int = MAX_SOURCES) -> list[Citation]:
    """The clauses the model may use, numbered from 1: the answer's own citations (numbers
    unchanged, so its [n] still match), then the best retrieved clauses it does not cite, up to
    `limit` in all."""
    given = [dataclasses.replace(c, n=i) for i, c in enumerate(answer.citations, 1)]
    seen = {(c.doc_id, c.clause_id, c.quote) for c in given}
    for hit in retrieved:
        c, doc = hit.clause, documents.get(hit.clause.doc_id)
        if len(given) >= limit:
            break
        if doc is None or (c.doc_id, c.clause_id, c.text) in seen:
            continue
        seen.add((c.doc_id, c.clause_id, c.text))
        given.append(Citation(n=len(given) + 1, doc_id=c.doc_id, doc_title=doc.title, doc_number=doc.doc_number,
                              clause_id=c.clause_id, section=c.section, quote=c.text,
                              score=round(float(hit.score), 4)))
    return given


def phrase(question: str, extractive: Answer, given: list[Citation], config: LLMConfig | None = None) -> Answer:
    """The verified LLM answer, or `extractive` with a note saying why it stands."""
    config = config or LLMConfig.from_env()
    if refusal := _refusal(extractive, given, config):
        return _fallback(extractive, *refusal)
    try:
        reply = _client(config).chat(_messages(question, extractive, given))
        text = reply.message.content or ""
    except Exception as e:           # any endpoint failure: the extractive answer stands
        return _fallback(extractive, *_endpoint_failure(e))
    return _checked(text, extractive, given, config)


def phrase_stream(question: str, extractive: Answer, given: list[Citation],
                  config: LLMConfig | None = None) -> Iterator[str | Answer]:
    """Streaming `phrase`: yields the text verified so far (each str the whole text up to its
    last closed group of markers, renumbered), then one Answer, the verified LLM answer or the
    extractive one with the note. A UI shows each str in place of the last and finally the
    Answer's text, which may be the extractive answer after all when a later passage fails."""
    config = config or LLMConfig.from_env()
    if refusal := _refusal(extractive, given, config):
        yield _fallback(extractive, *refusal)
        return
    text, shown, stream, deadline = "", "", None, None
    try:
        # the endpoint's client times out a reply that does not start or stalls; a reply that
        # trickles on has `timeout` seconds from its first piece
        stream = _client(config).stream_chat(_messages(question, extractive, given))
        for chunk in stream:
            text += chunk.delta or ""
            deadline = deadline or time.monotonic() + config.timeout
            if time.monotonic() > deadline:
                raise TimeoutError(f"no complete reply within {config.timeout:g} s")
            closed = _closed_prefix(text)
            if closed and (partial := verify(text[:closed], given, complete=False).text) != shown:
                shown = partial
                yield partial
    except Unverified as e:
        yield _fallback(extractive, str(e), e.check)
        return
    except Exception as e:
        yield _fallback(extractive, *_endpoint_failure(e))
        return
    finally:
        if stream is not None:
            stream.close()
    yield _checked(text, extractive, given, config)


# -- verification ------------------------------------------------------------------------------

_MARKERS = re.compile(r"(?:\s*[\[［【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]］】])+")
_PUNCT = re.compile(r"[\s\W_]+")
# a reply that declines: whether to answer is the answerer's decision, made already
_DECLINES = re.compile(r"^\s*(很抱歉|抱歉|对不起)|无法回答|不能回答|无法确定|没有(找到|提供)相关|"
                       r"(条款|文件|资料|材料)中?(没有|未)(提及|涉及|规定|说明|给出)")


def verify(text: str, given: list[Citation], complete: bool = True) -> Verified:
    """`text` with its markers renumbered, or Unverified. `complete=False` checks a prefix that
    ends with a group of markers (streaming): it need not cite yet."""
    by_n = {c.n: c for c in given}
    order: dict[int, int] = {}
    out, start = [], 0
    for group in _MARKERS.finditer(text):
        numbers = list(dict.fromkeys(int(n) for n in re.findall(r"\d+", to_halfwidth(group[0]))))
        unknown = [n for n in numbers if n not in by_n]
        if unknown:
            raise Unverified(f"引用了未提供的条款[{unknown[0]}]（只提供了 {len(given)} 条）", "citation")
        passage = text[start:group.start()]
        _check_passage(passage, [by_n[n] for n in numbers])
        marks = "".join(f"[{order.setdefault(n, len(order) + 1)}]" for n in numbers)
        out += [passage, marks]
        start = group.end()
    tail = text[start:]
    if _DECLINES.search(text):
        raise Unverified("大模型认为条款不能回答；是否回答由知识库的依据判断决定", "declined")
    if complete:
        if not order:
            raise Unverified("回答没有标注出处", "citation")
        if _facts(tail).any() or len(_PUNCT.sub("", tail)) > TAIL:
            raise Unverified("最后一段没有标注出处", "citation")
        out.append(tail)
    return Verified("".join(out).strip(), list(order))


def _closed_prefix(text: str) -> int:
    """End of the last group of markers that something else follows (a group at the very end
    may still grow: [1] then [2])."""
    ends = [m.end() for m in _MARKERS.finditer(text) if m.end() < len(text.rstrip())]
    return ends[-1] if ends else 0


def _check_passage(passage: str, cited: list[Citation]) -> None:
    said = _facts(passage, strict=True)
    known = [_source_facts(c.doc_title, c.doc_number, c.clause_id, c.section, c.quote) for c in cited]
    marks = "".join(f"[{c.n}]" for c in cited)
    for (y, m, d), raw in said.dates:
        if m is None and not any(y in k.numbers for k in known):
            raise Unverified(f"年份“{raw}”不在所引条款{marks}中", "date")
        if m is not None and not any(_same_date((y, m, d), seen) for k in known for seen in k.dates):
            raise Unverified(f"日期“{raw}”不在所引条款{marks}中", "date")
    for value, raw in said.percents:
        if not any(value in k.percents for k in known):
            raise Unverified(f"百分比“{raw}”不在所引条款{marks}中", "percent")
    for value, raw in said.numbers:
        if not any(value in k.numbers for k in known):
            raise Unverified(f"数字“{raw}”不在所引条款{marks}中", "number")
    for unit in said.units:
        if not any(unit in k.units for k in known):
            raise Unverified(f"单位“{unit}”不在所引条款{marks}中", "unit")
    for phrase_ in said.quotes:
        if not any(fold(phrase_) in k.text for k in known):
            raise Unverified(f"引文“{phrase_}”不是所引条款{marks}的原文", "quote")
    for title in said.titles:
        if not any(fold(title) in k.titles for k in known):
            raise Unverified(f"《{title}》不是所引条款{marks}的文件", "quote")


def _same_date(said: tuple, seen: tuple) -> bool:
    return all(a is None or a == b for a, b in zip(said, seen))


# -- facts in a text ---------------------------------------------------------------------------

_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_NUMERAL = rf"[{_CN_DIGIT}十百千万亿]+(?:点[{_CN_DIGIT}]+)?"
# a Chinese numeral in the model's text counts as a figure when a measure word follows it
# (三年, 十万人次, 第二十四条), not inside words such as 统一 or 进一步
_MEASURE = "个所项家名人次年月日天周岁倍元条款类种批级期届位门章节学课小时"
_DATE = re.compile(r"(\d{4})\s*年(?:\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?)?|(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_PERCENT = re.compile(rf"(\d+(?:\.\d+)?)\s*%|百分之\s*({_CN_NUMERAL}|\d+(?:\.\d+)?)")
_ARABIC = re.compile(r"\d+(?:\.\d+)?(?:\s*[万亿千](?![米克瓦]))?")
_CHINESE = re.compile(_CN_NUMERAL)
_LIST_NUMBER = re.compile(r"^[\s*#>•-]*\d{1,2}[.、)）](?!\d)", re.M)   # "1. " of a list the model writes
_QUOTED = re.compile(r"“([^“”]{2,})”|\"([^\"]{2,})\"|「([^「」]{2,})」|『([^『』]{2,})』")
_TITLE = re.compile(r"《([^《》]{2,})》")
_MULTIPLIER = {"千": 1e3, "万": 1e4, "亿": 1e8}     # after a number in digits (10万); 万 and 亿 in a Chinese one
_TENS = {"十": 10, "百": 100, "千": 1000}
_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}


@dataclass
class _Facts:
    dates: list[tuple[tuple, str]]          # ((year, month | None, day | None), as written)
    percents: list[tuple[float, str]]
    numbers: list[tuple[float, str]]
    units: list[str]                        # canonical unit names
    quotes: list[str]
    titles: list[str]

    def any(self) -> bool:
        return any((self.dates, self.percents, self.numbers, self.units, self.quotes, self.titles))


@dataclass
class _Known:
    """What a source clause states, as sets for lookups; `text` and `titles` folded."""
    dates: set[tuple]
    percents: set[float]
    numbers: set[float]
    units: set[str]
    text: str
    titles: str


def _facts(text: str, strict: bool = False) -> _Facts:
    """Dates, percentages, numbers, unit names, quotes and titles of `text`. `strict` (the
    model's text) reads a Chinese numeral only before a measure word and never a lone 一 (一个,
    一项 are articles); otherwise every numeral counts, so that a source states all it can."""
    quotes = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
    titles = _TITLE.findall(text)
    units = unit_db.scan(text)
    work = t2s(to_halfwidth(text)).replace("％", "%")
    work = re.sub(r"(?<=\d),(?=\d{3})", "", work)
    dates, percents, numbers = [], [], []

    def blank(m: re.Match) -> str:
        return " " * len(m[0])
    if strict:
        work = _LIST_NUMBER.sub(blank, work)
    for m in _DATE.finditer(work):
        y, mo, d = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        dates.append(((float(y), _int(mo), _int(d)), m[0]))
    work = _DATE.sub(blank, work)
    for m in _PERCENT.finditer(work):
        value = _value(m[1] or m[2])
        if value is not None:
            percents.append((value, m[0]))
    work = _PERCENT.sub(blank, work)
    for m in _ARABIC.finditer(work):
        digits = re.match(r"\d+(?:\.\d+)?", m[0])[0]
        multiplier = _MULTIPLIER.get(m[0][-1], 1.0)
        numbers.append((round(float(digits) * multiplier, 6), m[0]))
    work = _ARABIC.sub(blank, work)
    for m in _CHINESE.finditer(work):
        if not (m[0][0] == "十" or any(c in _DIGITS for c in m[0])):
            continue        # 万 of 万一, 千万 (by all means): not a figure
        if strict and (m[0] == "一" or m.end() >= len(work) or work[m.end()] not in _MEASURE):
            continue
        value = _value(m[0])
        if value is not None:
            numbers.append((value, m[0]))
    return _Facts(dates, percents, numbers, units, quotes, titles)


@functools.lru_cache(maxsize=1024)
def _source_facts(doc_title: str, doc_number: str, clause_id: str, section: str, quote: str) -> _Known:
    facts = _facts(f"{doc_title} {doc_number} {clause_id} {section} {quote}")
    numbers = ({v for v, _ in facts.numbers} | {v for d, _ in facts.dates for v in d if v is not None}
               | {v for v, _ in facts.percents})
    return _Known(dates={d for d, _ in facts.dates}, percents={v for v, _ in facts.percents}, numbers=numbers,
                  units=set(facts.units), text=fold(f"{section} {quote}"), titles=fold(f"《{doc_title}》 {quote}"))


def _int(text: str | None) -> float | None:
    return float(text) if text else None


def _value(text: str) -> float | None:
    """12, 1.5, 二十四, 二〇二四, 十万, 一点五 -> a number; None when it is not one."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    whole, _, decimals = text.partition("点")
    value = _cn_integer(whole)
    if value is None or any(c not in _DIGITS for c in decimals):
        return None
    if decimals:
        value += float("0." + "".join(str(_DIGITS[c]) for c in decimals))
    return round(value, 6)


def _cn_integer(text: str) -> float | None:
    """Chinese integer with 十百千万亿 (一百零三, 十万, 三亿五千万), or a digit string (二〇二四)."""
    if not text:
        return None
    if all(c in _DIGITS for c in text):
        return float("".join(str(_DIGITS[c]) for c in text))
    total, wan, section, current = 0.0, 0.0, 0.0, None     # 亿s, 万s, below 万, last digit
    for c in text:
        if c in _DIGITS:
            current = _DIGITS[c]
        elif c in _TENS:
            section += (1 if current is None else current) * _TENS[c]
            current = None
        elif c == "万":
            wan, section, current = (section + (current or 0)) * 1e4, 0.0, None
        elif c == "亿":
            total, wan, section, current = (total + wan + section + (current or 0)) * 1e8, 0.0, 0.0, None
        else:
            return None
    return total + wan + section + (current or 0)


# -- the endpoint --------------------------------------------------------------------------------

def _refusal(extractive: Answer, given: list[Citation], config: LLMConfig) -> tuple[str, str] | None:
    if extractive.abstained:
        return "知识库没有依据，保持不回答", "abstained"
    if extractive.kind not in FREE_TEXT_KINDS:
        return "结构化回答已是准确结果，不经大模型改写", "structured"
    if not given:
        return "没有可供大模型使用的条款", "no_sources"
    if problem := config.problem():
        return problem, "not_configured"
    return None


def _checked(text: str, extractive: Answer, given: list[Citation], config: LLMConfig) -> Answer:
    try:
        verified = verify(text, given)
    except Unverified as e:
        return _fallback(extractive, str(e), e.check)
    by_n = {c.n: c for c in given}
    highlights = {(c.doc_id, c.clause_id, c.quote): c.highlight for c in extractive.citations}
    citations = []
    for new, old in enumerate(verified.cited, 1):
        c = by_n[old]
        citations.append(dataclasses.replace(c, n=new, highlight=highlights.get((c.doc_id, c.clause_id, c.quote), "")))
    return dataclasses.replace(extractive, answer=verified.text, citations=citations,
                               llm={"used": True, "model": config.model})


def not_phrased(extractive: Answer, reason: str, check: str) -> Answer:
    """`extractive` with a note saying why the LLM did not phrase it."""
    return _fallback(extractive, reason, check)


def _fallback(extractive: Answer, reason: str, check: str) -> Answer:
    return dataclasses.replace(extractive, llm={"used": False, "reason": reason, "check": check})


def _endpoint_failure(error: Exception) -> tuple[str, str]:
    name = type(error).__name__
    if "Timeout" in name:
        return f"大模型接口超时（{name}）", "timeout"
    return f"大模型接口出错（{name}: {str(error)[:200]}）", "endpoint"


def _messages(question: str, extractive: Answer, given: list[Citation]):
    from llama_index.core.llms import ChatMessage
    clauses = "\n\n".join(f"[{c.n}] 《{c.doc_title}》{c.clause_id}（{c.section}）\n{c.quote}" for c in given)
    user = (f"问题：{question}\n\n摘录式回答（供参考，编号与下列条款一致）：\n{extractive.answer}\n\n"
            f"编号条款：\n{clauses}\n\n请根据以上条款回答问题。")
    return [ChatMessage(role="system", content=SYSTEM_PROMPT), ChatMessage(role="user", content=user)]


@functools.lru_cache(maxsize=4)
def _client(config: LLMConfig):
    from llama_index.llms.openai_like import OpenAILike
    return OpenAILike(model=config.model, api_base=config.base_url, api_key=config.api_key or "none",
                      is_chat_model=True, context_window=32768, max_tokens=MAX_TOKENS, temperature=0.0,
                      timeout=config.timeout, max_retries=0)
