"""Pure HTML / Markdown rendering for the web app: no Gradio, no knowledge-base calls.

Every piece of document or user text passes through `esc` (HTML) or `md_text`
(Markdown, which would otherwise render raw HTML) before it reaches the page.

A chat turn is a *record* (app/conversations.py): the answer object as a dict plus what the
page adds (generation, rating). The chat bubbles, the evidence panel and the copied text are
all rendered from records, so an old answer keeps its own citations.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from ingest.meta import header_cells
from kb.schema import Clause, Document

# Characters with a meaning in Markdown (CommonMark + GFM + gradio's LaTeX `$`).
# `&`, `<`, `>`, quotes are left to html.escape, which runs after this.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$=:])")
_MARKER_MD = re.compile(r"\\\[(\d{1,3})\\\]")
HEADER_CLAUSE = "文件信息"     # the page header table of a government page, cited like a clause


# Control characters (but tab and newline) and bidi marks, overrides and isolates: they
# garble or silently reorder what is shown ("\u202e" makes "txt.exe" read "exe.txt").
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: object) -> str:
    """`text` as a string without the characters above (None -> "")."""
    return _INVISIBLE.sub("", "" if text is None else str(text))


def esc(text: object) -> str:
    """HTML-escape any value (None -> "")."""
    return html.escape(visible(text), quote=True)


def md_text(text: object) -> str:
    """Text that Markdown shows literally: no formatting, no raw HTML, no LaTeX."""
    s = visible(text)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return html.escape(s, quote=False)


def highlight_quote(quote: str, highlight: str = "") -> str:
    """The quote escaped, with the answering sentence wrapped in <mark> (first occurrence).

    When the sentence is not found verbatim, it is tried with whitespace ignored;
    failing that the quote is shown without a mark."""
    quote = quote or ""
    hl = (highlight or "").strip()
    if not hl:
        return esc(quote)
    start = quote.find(hl)
    end = start + len(hl)
    if start < 0:
        span = _find_ignoring_space(quote, hl)
        if span is None:
            return esc(quote)
        start, end = span
    return (esc(quote[:start]) + '<mark class="kb-hl">' + esc(quote[start:end]) + "</mark>"
            + esc(quote[end:]))


def _find_ignoring_space(text: str, needle: str) -> tuple[int, int] | None:
    """(start, end) in `text` of `needle` compared with all whitespace removed."""
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    squeezed = "".join(text[i] for i in positions)
    target = "".join(ch for ch in needle if not ch.isspace())
    if not target:
        return None
    k = squeezed.find(target)
    if k < 0:
        return None
    return positions[k], positions[k + len(target) - 1] + 1


def snippet(text: str, limit: int = 80) -> str:
    """The first `limit` characters of a text on one line, with … when cut."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def where(wide: str, narrow: str) -> str:
    """Words that differ by layout: "右侧" beside the chat on a desktop, "下方" on a phone (CSS
    shows one of the two)."""
    return f'<span class="kb-wide">{esc(wide)}</span><span class="kb-narrow">{esc(narrow)}</span>'


# -- where a clause sits -------------------------------------------------------------

_HEADING_NUMBER = re.compile(r"""^(?: \d+[.．、]              # 1.  1、
                                  | [（(][^）)]{1,4}[）)]     # （二） (3)
                                  | [一二三四五六七八九十百]+、  # 三、
                                  | 第[^章条节]{1,6}[章条节]    # 第三章 第二十四条
                                  )\s*""", re.X)


def heading_text(heading: str) -> str:
    """A heading without its numbering: "1.推进落实职教高考改革" -> "推进落实职教高考改革"."""
    heading = (heading or "").strip()
    return _HEADING_NUMBER.sub("", heading, count=1).strip() or heading


def clause_location(clause_id: str, section: str, doc_title: str = "") -> tuple[str, str, str]:
    """(number, own title, parent path) naming each heading once:
    "二（二）1", "推进落实职教高考改革", "二、重点任务 › （二）拓宽三个人才培养渠道" for the plan,
    "第四十一条", "", "第四章 职业学校" for a law whose clause id repeats its chapter."""
    path = [p for p in (section.split(" > ") if section else []) if p]
    number = clause_id
    chapter = re.match(r"^(第[^章]+章)(第.+条.*)$", clause_id or "")
    if chapter and any(p.startswith(chapter[1]) for p in path[:-1]):
        number = chapter[2]                          # the chapter is named in the path
    own = heading_text(path[-1]) if path else ""     # the last heading is the clause's own
    if own in (number, clause_id, doc_title):
        own = ""
    return number, own, " › ".join(path[:-1])


def location_text(c: Mapping, doc_title: str = "") -> str:
    number, own, parents = clause_location(c.get("clause_id", ""), c.get("section", ""), doc_title)
    return " ".join(x for x in (number, own) if x) + (f"（{parents}）" if parents else "")


# -- chat messages -------------------------------------------------------------

def user_message(question: str) -> str:
    return md_text(question)


def pending_message() -> str:
    return '<span class="kb-pending" role="status">正在检索…</span>'


def error_message(message: str) -> str:
    return "<strong>【无法回答】</strong>" + md_text(message)


def _marker(n: int, cite: Mapping | None) -> str:
    """[n] as a link to the evidence panel; hovering shows where it comes from and the quote."""
    if cite is None:
        return f'<strong class="kb-marker">[{n}]</strong>'
    tip = f"《{cite.get('doc_title', '')}》{cite.get('clause_id', '')}：" \
          f"{snippet(cite.get('highlight') or cite.get('quote', ''), 120)}"
    return f'<a class="kb-marker" href="#kb-evidence" title="{esc(tip)}">[{n}]</a>'


def _with_markers(text: str, cites: Mapping[int, Mapping]) -> str:
    """`text` as literal Markdown, each [n] a link to citation n (plain when it has none)."""
    return _MARKER_MD.sub(lambda m: _marker(int(m[1]), cites.get(int(m[1]))), md_text(text))


def streaming_message(text: str) -> str:
    """The LLM's answer while it streams in: only text that passed the checks so far, its [n]
    plain until the whole answer is verified and its citations are known."""
    return _with_markers(text, {}) + '\n\n<span class="kb-pending" role="status">大模型正在作答，逐句核对原文…</span>'


# Why the LLM did not phrase an answer, when that is no news to the reader: the answer is exact
# already (structured), a refusal, in several parts, or there was nothing to phrase it from.
_LLM_NOT_ASKED = frozenset({"structured", "abstained", "compound", "no_sources"})
_LLM_UNAVAILABLE = {"timeout": "大模型回答超时", "endpoint": "大模型暂时不可用", "not_configured": "大模型未配置完整"}


def llm_note(llm: Mapping | None) -> str:
    """A line under an answer the LLM was asked to phrase: that it did, or that its reply was set
    aside for the extractive answer (the reason on hover)."""
    if not llm or (not llm.get("used") and llm.get("check") in _LLM_NOT_ASKED):
        return ""
    if llm.get("used"):
        return ('\n\n<span class="kb-llm-note">由大模型根据所引条款改写；'
                "数字、日期、单位和引文已与原文核对</span>")
    what = _LLM_UNAVAILABLE.get(llm.get("check"), "大模型回答未通过核对")
    return (f'\n\n<span class="kb-llm-note kb-llm-fallback" title="{esc(llm.get("reason", ""))}">'
            f"{what}，已显示原文摘录答案</span>")


def answer_message(record: Mapping) -> str:
    """The assistant's chat message for a record (Markdown with a little HTML, text escaped):
    the answer with clickable [n] marks, the units, suggestions after a refusal, the actions
    (copy, 👍/👎) and, hidden, the plain text the copy action copies."""
    if record.get("error"):
        return error_message(record["error"])
    cites = {int(c["n"]): c for c in record.get("citations", [])}
    body = _with_markers(record.get("answer", ""), cites)
    if record.get("abstained"):
        body = "<strong>【文档未涉及】</strong>\n\n" + body
        tips = record.get("suggestions") or []
        if tips:
            links = "、".join(f'<a class="kb-suggest" href="#kb-question" title="{esc(s["question"])}">'
                             f'{esc(s["label"])}</a>' for s in tips)
            body += f"\n\n可以换个问法，或试试：{links}"
    else:
        units = record.get("responsible_units") or []
        if [u for u in units if u not in record.get("answer", "")]:   # units the text does not name
            body += "\n\n责任单位：" + "、".join(md_text(u) for u in units)
    body += llm_note(record.get("llm"))
    rating = record.get("rating", 0)
    acts = ('<span class="kb-acts"><a class="kb-copy" href="#" role="button" title="复制回答和出处（纯文本）">复制</a>'
            f'<a class="kb-rate kb-up{" kb-on" if rating == 1 else ""}" href="#" role="button" '
            'title="这个回答有帮助">👍 有用</a>'
            f'<a class="kb-rate kb-down{" kb-on" if rating == -1 else ""}" href="#" role="button" '
            'title="这个回答没有帮助或有错">👎 没用</a></span>')
    return f"{body}\n\n{acts}\n\n<pre class=\"kb-copytext\">{esc(copy_text(record))}</pre>"


def copy_text(record: Mapping) -> str:
    """The answer with its sources as plain text, ready to paste into a report."""
    lines = [record.get("answer", "")]
    if record.get("responsible_units") and not record.get("abstained"):
        lines.append("责任单位：" + "、".join(record["responsible_units"]))
    cites = record.get("citations", [])
    if cites:
        lines += ["", "出处："]
    for c in cites:
        number = f"（{c['doc_number']}）" if c.get("doc_number") else ""
        lines.append(f"[{c['n']}] 《{c.get('doc_title', '')}》{number} {location_text(c, c.get('doc_title', ''))}")
        lines.append(f"原文：{' '.join(str(c.get('quote', '')).split())}")
    return "\n".join(lines)


# -- evidence panel --------------------------------------------------------------

def fact_rows(doc: Document | None, number: str = "", full: bool = True) -> list[tuple[str, str]]:
    """A document's stated facts, in reading order, empty ones left out; `full` adds its kind,
    level and the document it implements (the document viewer shows them, a citation not)."""
    if doc is None:
        return [("文号", number)] if number else []
    dated = [(f"{k}日期", v) for k, v in sorted(doc.dates.items(), key=lambda kv: kv[1])]
    rows = [("文号", doc.doc_number or number), ("发布机构", doc.issuer), ("成文日期", doc.written_date),
            ("发布日期", doc.published_date), *dated]
    if full:
        rows += [("类型", doc.kind), ("层级", doc.level), ("贯彻落实", doc.implements)]
    return [(k, v) for k, v in rows if v]


def facts_table(rows: Sequence[tuple[str, str]]) -> str:
    if not rows:
        return ""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="kb-facts">{body}</table>'


def _quote_html(c: Mapping) -> str:
    """The cited text; a page header ("索引号:… | 文号:… |") becomes a small table."""
    quote = c.get("quote", "")
    if c.get("clause_id") == HEADER_CLAUSE:
        cells = header_cells(quote)
        if cells:
            return facts_table(list(cells.items()))
    return f'<div class="kb-quote">{highlight_quote(quote, c.get("highlight", ""))}</div>'


def evidence_html(record: Mapping | None, index: int | None = None, selected: int | None = 0,
                  documents: Mapping[str, Document] | None = None) -> str:
    """The evidence panel for one answer (record `index` of the chat): one card per citation,
    card `selected` opened (the document's facts as a table, the quote with the answering
    sentence marked, a button that opens the whole document there). Cards carry data-i."""
    if record is None or index is None:
        return ('<div class="kb-evidence kb-empty">提问后，这里列出回答所引用的条款；'
                "点击回答中的 [1] 等标记，查看对应的原文。</div>")
    cites = list(record.get("citations") or [])
    head = (f'<div class="kb-ev-head" data-a="{int(index)}">第 {int(index) + 1} 问的引用'
            f'<span>{esc(snippet(record.get("question", ""), 40))}</span></div>')
    if not cites:
        what = ("知识库中的文档没有涉及这个问题，因此没有可引用的条款。" if record.get("abstained")
                else "这个回答没有引用条款。")
        return f'<div class="kb-evidence">{head}<div class="kb-notice kb-info">{what}</div></div>'
    note = ('<div class="kb-note">文档未直接回答这个问题；以下为最接近的条款，仅供参考。</div>'
            if record.get("abstained") else "")
    documents = documents or {}
    cards = []
    for i, c in enumerate(cites):
        doc_title = c.get("doc_title", "")
        number, own, parents = clause_location(c.get("clause_id", ""), c.get("section", ""), doc_title)
        opened = i == selected
        loc = (f'<div class="kb-loc"><span class="kb-cid">{esc(number)}</span>'
               + (f' <span class="kb-own">{esc(own)}</span>' if own else "")
               + (f'<div class="kb-path">{esc(parents)}</div>' if parents else "") + "</div>")
        if opened:
            detail = (_quote_html(c) + facts_table(fact_rows(documents.get(c.get("doc_id")), c.get("doc_number", ""), full=False))
                      + f'<button class="kb-open-doc" type="button" data-i="{i}">查看全文（定位到本条）</button>')
        else:
            detail = f'<div class="kb-gist">{esc(snippet(c.get("highlight") or c.get("quote", ""), 70))}</div>'
        cards.append(
            f'<div class="kb-cite{" kb-selected" if opened else ""}" data-i="{i}" tabindex="0" role="button" '
            f'aria-expanded="{"true" if opened else "false"}" title="{"" if opened else "点击展开原文"}">'
            f'<div class="kb-cite-head"><span class="kb-n">[{int(c.get("n", i + 1))}]</span> '
            f'<span class="kb-doc">{esc(doc_title)}</span></div>{loc}{detail}</div>')
    return f'<div class="kb-evidence">{head}{note}{"".join(cards)}</div>'


# -- small messages ------------------------------------------------------------

def notice_html(message: str, kind: str = "info") -> str:
    """A one-line status box; kind: info | ok | error."""
    kind = kind if kind in ("info", "ok", "error") else "info"
    return f'<div class="kb-notice kb-{kind}">{esc(message)}</div>'


def units_html(clause: Clause | None, doc_title: str = "", deadline: str = "") -> str:
    """One task: its units as chips (牵头单位 marked), its deadline, then its full text."""
    if clause is None:
        return '<div class="kb-empty">选择一项任务，查看它的全部责任单位、期限和条款原文。</div>'
    head = (f'<div class="kb-units-head"><span class="kb-cid">{esc(clause.clause_id)}</span> '
            f'{esc(clause.title)}')
    if clause.units:
        head += f'<span class="kb-count">共 {len(clause.units)} 个责任单位</span></div>'
        chips = "".join(
            f'<span class="kb-chip{" kb-lead" if u in clause.lead_units else ""}">{esc(u)}</span>'
            for u in clause.units)
    else:
        head += "</div>"
        chips = '<div class="kb-empty">文档未写明责任单位。</div>'
    due = f'<div class="kb-due"><b>期限</b> {esc(deadline)}</div>' if deadline else ""
    source = " · ".join(esc(x) for x in (doc_title, clause.section) if x)
    return (f'<div class="kb-units">{head}{chips}{due}<div class="kb-path">{source}</div>'
            f'<div class="kb-quote">{esc(clause.text)}</div></div>')


# -- document viewer -----------------------------------------------------------------------

def document_html(doc: Document | None, clauses: Sequence[Clause], focus: str | None = None,
                  highlight: str = "") -> str:
    """One document as the knowledge base holds it: its facts as a table, then every clause
    under its headings (a heading is shown once, where it starts). Clause `focus` is marked
    (and its sentence `highlight`); the page scrolls it into view."""
    if doc is None:
        return '<div class="kb-empty">选择一份文档（点击上表中的一行），查看它被解析成的条款。</div>'
    facts = fact_rows(doc) + ([("来源文件", doc.source.rsplit("/", 1)[-1])] if doc.source else [])
    rows, shown = [], []
    for c in clauses:
        for depth, heading in enumerate(c.path):
            if depth < len(shown) and shown[depth] == heading:
                continue
            shown = list(c.path[:depth + 1])
            in_text = depth == len(c.path) - 1 and c.text.lstrip().startswith(heading[:8])
            if not in_text and heading != doc.title:   # shown once: by the clause text, the title
                rows.append(f'<div class="kb-doc-h kb-doc-h{min(depth, 3)}">{esc(heading)}</div>')
        number = clause_location(c.clause_id, c.section, doc.title)[0]
        chip = "" if c.text.lstrip().startswith(number) and c.part <= 1 else \
            f'<span class="kb-cid">{esc(c.clause_id)}{"（续）" if c.part > 1 else ""}</span>'
        focused = focus is not None and c.clause_id == focus
        text = highlight_quote(c.text, highlight) if focused else esc(c.text)
        rows.append(f'<div class="kb-doc-clause{" kb-focus" if focused else ""}">{chip}'
                    f'<div class="kb-ctx-text">{text}</div></div>')
    return (f'<div class="kb-docview"><div class="kb-doc-title">{esc(doc.title)}'
            f'<span class="kb-count">共 {len({c.clause_id for c in clauses})} 个条款</span></div>'
            f'{facts_table(facts)}{"".join(rows)}</div>')
