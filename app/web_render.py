"""Pure HTML / Markdown rendering for the web app: no Gradio, no knowledge-base calls.

Every piece of document or user text passes through `esc` (HTML) or `md_text`
(Markdown, which would otherwise render raw HTML) before it reaches the page.
"""
from __future__ import annotations

import html
import re
from collections.abc import Sequence

from kb.schema import Answer, Citation, Clause, Document

# Characters with a meaning in Markdown (CommonMark + GFM + gradio's LaTeX `$`).
# `&`, `<`, `>`, quotes are left to html.escape, which runs after this.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$=:])")
_MARKER_MD = re.compile(r"\\\[(\d{1,3})\\\]")


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


# -- chat messages -------------------------------------------------------------

def user_message(question: str) -> str:
    return md_text(question)


def answer_message(ans: Answer) -> str:
    """The assistant's chat message (Markdown, all text escaped)."""
    body = md_text(ans.answer)
    body = _MARKER_MD.sub(r'<strong class="kb-marker">[\1]</strong>', body)
    if ans.abstained:
        return "<strong>【文档未涉及】</strong>\n\n" + body
    missing = [u for u in ans.responsible_units if u not in ans.answer]
    if missing:     # units the answer text does not already name
        body += "\n\n责任单位：" + "、".join(md_text(u) for u in ans.responsible_units)
    return body


def error_message(message: str) -> str:
    return "<strong>【无法回答】</strong>" + md_text(message)


# -- evidence panel --------------------------------------------------------------

_HEADING_NUMBER = re.compile(r"""^(?: \d+[.．、]              # 1.  1、
                                  | [（(][^）)]{1,4}[）)]     # （二） (3)
                                  | [一二三四五六七八九十百]+、  # 三、
                                  | 第[^章条节]{1,6}[章条节]    # 第三章 第二十四条
                                  )\s*""", re.X)


def heading_text(heading: str) -> str:
    """A heading without its numbering: "1.推进落实职教高考改革" -> "推进落实职教高考改革"."""
    heading = (heading or "").strip()
    return _HEADING_NUMBER.sub("", heading, count=1).strip() or heading


def citations_html(citations: Sequence[Citation], abstained: bool = False,
                   selected: int | None = None) -> str:
    """The evidence panel: one card per cited clause; card `selected` (an index) marked.
    Each card carries data-i, its index, for the click handler."""
    if abstained and not citations:
        return ('<div class="kb-evidence"><div class="kb-notice kb-info">知识库中的文档没有涉及这个问题，'
                "因此没有可引用的条款。</div></div>")
    if not citations:
        return '<div class="kb-evidence kb-empty">提问后，这里列出回答所引用的条款。</div>'
    head = ""
    if abstained:
        head = '<div class="kb-note">文档未直接回答这个问题；以下为最接近的条款，仅供参考。</div>'
    cards = []
    for i, c in enumerate(citations):
        number = f'<span class="kb-docno">{esc(c.doc_number)}</span>' if c.doc_number else ""
        cls = "kb-cite kb-selected" if i == selected else "kb-cite"
        path = c.section.split(" > ") if c.section else []
        last = heading_text(path[-1]) if path else ""
        title = f" {esc(last)}" if last and last != c.clause_id else ""
        above = " > ".join(path[:-1]) if title else c.section   # the heading is in the title
        cards.append(
            f'<div class="{cls}" data-i="{i}" tabindex="0" title="点击查看上下文">'
            f'<div class="kb-cite-head"><span class="kb-n">[{int(c.n)}]</span> '
            f'<span class="kb-doc">{esc(c.doc_title)}</span>{number}</div>'
            f'<div class="kb-path"><span class="kb-cid">{esc(c.clause_id)}{title}</span> '
            f'{esc(above)}</div>'
            f'<div class="kb-quote">{highlight_quote(c.quote, c.highlight)}</div>'
            "</div>")
    return f'<div class="kb-evidence">{head}{"".join(cards)}</div>'


def section_context(clauses: Sequence[Clause], clause_id: str,
                    radius: int = 4) -> tuple[list[str], list[Clause]]:
    """(section path, clauses shown): the cited clause among its section's clauses.

    The section is the cited clause's parent heading path (a top-level clause keeps its
    own heading); at most `radius` clauses either side of the cited one, document order."""
    hits = [i for i, c in enumerate(clauses) if c.clause_id == clause_id]
    if not hits:
        return [], []
    cited = clauses[hits[0]]
    parent = list(cited.path[:-1]) or list(cited.path[:1])
    if not parent:      # a clause outside any heading (preamble): shown on its own
        return [], [clauses[i] for i in hits]
    same = [i for i, c in enumerate(clauses)
            if list(c.path[:len(parent)]) == parent or i in hits]
    first, last = same.index(hits[0]), same.index(hits[-1])
    lo, hi = max(0, first - radius), min(len(same), last + radius + 1)
    return parent, [clauses[i] for i in same[lo:hi]]


def context_html(clauses: Sequence[Clause], citation: Citation | None,
                 doc_title: str = "", radius: int = 4) -> str:
    """The cited clause shown among its section's clauses, the cited one emphasised."""
    if citation is None:
        return '<div class="kb-context kb-empty">选择一条引文，查看它在原文中的上下文。</div>'
    parent, shown = section_context(clauses, citation.clause_id, radius)
    title = doc_title or citation.doc_title
    if not shown:
        return (f'<div class="kb-context kb-empty">未找到条款 {esc(citation.clause_id)}'
                f"（{esc(title)}）的原文。</div>")
    section = " > ".join(parent) if parent else citation.section
    rows = []
    for c in shown:
        cited = c.clause_id == citation.clause_id
        body = highlight_quote(c.text, citation.highlight) if cited else esc(c.text)
        cls = "kb-ctx-clause kb-cited" if cited else "kb-ctx-clause"
        tag = f'<span class="kb-n">[{int(citation.n)}]</span> ' if cited else ""
        name = f' <span class="kb-ctx-title">{esc(c.title)}</span>' if c.title else ""
        rows.append(f'<div class="{cls}"><div class="kb-ctx-id">{tag}<span class="kb-cid">'
                    f'{esc(c.clause_id)}</span>{name}</div><div class="kb-ctx-text">{body}</div></div>')
    return (f'<div class="kb-context"><div class="kb-ctx-head">[{int(citation.n)}] 的上下文：{esc(title)}'
            f'<span class="kb-path"> · {esc(section)}</span></div>{"".join(rows)}</div>')


# -- small messages ------------------------------------------------------------

def notice_html(message: str, kind: str = "info") -> str:
    """A one-line status box; kind: info | ok | error."""
    kind = kind if kind in ("info", "ok", "error") else "info"
    return f'<div class="kb-notice kb-{kind}">{esc(message)}</div>'


def units_html(clause: Clause | None, doc_title: str = "") -> str:
    """One task: its units as chips (牵头单位 marked), then its full text."""
    if clause is None:
        return '<div class="kb-empty">选择一项任务，查看它的全部责任单位和条款原文。</div>'
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
    source = f'<div class="kb-path">{esc(doc_title)} · {esc(clause.section)}</div>' if doc_title \
        else f'<div class="kb-path">{esc(clause.section)}</div>'
    return (f'<div class="kb-units">{head}{chips}{source}'
            f'<div class="kb-quote">{esc(clause.text)}</div></div>')


def snippet(text: str, limit: int = 80) -> str:
    """The first `limit` characters of a text on one line, with … when cut."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


# -- document viewer -----------------------------------------------------------------------

def document_html(doc: Document | None, clauses: Sequence[Clause]) -> str:
    """One document as the knowledge base holds it: its facts, then every clause under
    its headings (a heading is shown once, where it starts)."""
    if doc is None:
        return '<div class="kb-empty">选择一份文档（点击上表中的一行），查看它被解析成的条款。</div>'
    facts = [("文号", doc.doc_number), ("发布机构", doc.issuer), ("成文日期", doc.written_date),
             ("发布日期", doc.published_date), ("类型", doc.kind), ("层级", doc.level),
             ("贯彻落实", doc.implements), ("来源文件", doc.source.rsplit("/", 1)[-1])]
    meta = "".join(f"<span><b>{esc(k)}</b> {esc(v)}</span>" for k, v in facts if v)
    rows, shown = [], []
    for c in clauses:
        for depth, heading in enumerate(c.path):
            if depth < len(shown) and shown[depth] == heading:
                continue
            shown = list(c.path[:depth + 1])
            in_text = depth == len(c.path) - 1 and c.text.lstrip().startswith(heading[:8])
            if not in_text:     # a clause whose text opens with its heading shows it once
                rows.append(f'<div class="kb-doc-h kb-doc-h{min(depth, 3)}">{esc(heading)}</div>')
        cont = "（续）" if c.part > 1 else ""
        rows.append(f'<div class="kb-doc-clause"><span class="kb-cid">{esc(c.clause_id)}{cont}</span>'
                    f'<div class="kb-ctx-text">{esc(c.text)}</div></div>')
    return (f'<div class="kb-docview"><div class="kb-ctx-head">{esc(doc.title)}'
            f'<span class="kb-count">共 {len({c.clause_id for c in clauses})} 个条款</span></div>'
            f'<div class="kb-doc-meta">{meta}</div>{"".join(rows)}</div>')
