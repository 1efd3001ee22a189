"""Facts about a document itself: 文号, dates, issuer, addressees, the document it implements,
its title, whether it is public, when it takes effect, a law's history (通过/修正/修订)."""
from __future__ import annotations

import re

from kb.answer import cues
from kb.answer.context import AnswerContext
from kb.answer.policy import thresholds
from kb.answer.question import Question
from kb.answer.text import cn_date, sentence_with
from kb.doc_names import in_order
from kb.retrieve import doc_place, version_date
from kb.schema import Answer, Clause, Document
from kb.textnorm import fold
from kb.tokenize import tokens

_EFFECTIVE = re.compile(r"自\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日起施行")
_PUBLICITY = re.compile(r"[（(]\s*此件[^）)]{0,10}公开[^）)]{0,6}[）)]|公开(?:方式|属性)\s*[:：]\s*[^\s|｜]+")
# words that only say "this document" once the fact asked for is taken out
_DOCUMENT_WORDS = re.compile(r"这份|这个|该|本|此|文件|方案|通知|办法|条例|规定|法律|政策|印发|发布|制定|出台|职教|省级|哪个|单位"
                             r"|(?:最新|现行|新|旧|老|原来的?|修订后的?|修订前的?|修正后的?)?(?:修订|修正)?版本?|网上|网站|政府网|在线")


class DocumentFacts:
    name = "document_facts"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        return bool(q.meta_fields)

    def answer(self, q: Question, ctx: AnswerContext) -> Answer | None:
        facts: list[Answer] = []          # every fact asked (文号是多少？哪天发布的？)
        for field in q.meta_fields:
            cue = cues.META[field]
            # a law's history is asked of the law the question names (劳动法修改过几次)
            if ctx.names_document(q.context) if field == "history" else _about_document(ctx, q.normalized, cue):
                docs = _documents_asked(ctx, q)
                for doc in docs:
                    answer = _document_fact(ctx, q, field, doc)
                    if answer is not None and len(docs) > 1:      # say which version each fact is of
                        answer.answer = answer.answer.replace(f"《{doc.title}》", f"《{doc.title}》（{version_date(doc)[:4]}年版）", 1)
                    if answer is not None and all(answer.answer != f.answer for f in facts):
                        facts.append(answer)
        if not facts:
            return None
        facts[-1].answer = "\n".join(f.answer for f in facts)     # the last holds every citation
        return facts[-1]


# both versions of a law asked at once (老职教法和新职教法分别是哪天开始施行的)
_BOTH_VERSIONS = re.compile(r"(老|旧)[^，,。？?]{0,8}(和|与|跟|及)[^，,。？?]{0,3}新|新[^，,。？?]{0,8}(和|与|跟|及)[^，,。？?]{0,3}(老|旧)"
                            r"|新旧|两个版本|两版|各版本")


def _documents_asked(ctx: AnswerContext, q: Question) -> list[Document]:
    """The document the question is about; every version of it, oldest first, when it asks of both."""
    doc = ctx.scope_doc(q.context) or ctx.default_doc
    if not _BOTH_VERSIONS.search(q.normalized):
        return [doc]
    return sorted((d for d in ctx.snap.documents.values() if fold(d.title) == fold(doc.title)), key=version_date)


def _about_document(ctx: AnswerContext, qn: str, cue: re.Pattern) -> bool:
    """Asked of the document itself ("这份方案的文号"), not of a topic inside it
    ("生均经费标准由谁制定")."""
    rest = ctx.topic(qn)
    for other in (cue, *cues.META.values()):       # every fact asked is about the document (文号？哪天发布？)
        rest = other.sub(" ", rest)
    rest = _DOCUMENT_WORDS.sub(" ", rest)
    snap = ctx.snap
    for place in snap.memo("places", lambda: {doc_place(d) for d in snap.documents.values()} - {""}):
        rest = rest.replace(place, " ")
    left = [t for t in tokens(rest) if len(t) > 1 and t not in _WHOSE]
    if len(left) <= 1:
        return True
    # what is left may only describe the document itself ("职业教育方案", abbreviated: 职教提质增效)
    titles = snap.memo("folded_titles", lambda: [fold(f"{d.title} {d.notice_title}") for d in snap.documents.values()])
    return any(sum(in_order(t, title) for t in left) >= thresholds().names_heading * len(left) for title in titles)


# whose document it is and why it was made, not what it is about
_WHOSE = frozenset("州里 县里 省里 市里 咱们 我们 为了".split())


def _document_fact(ctx: AnswerContext, question: Question, field: str, doc: Document) -> Answer | None:
    q = question.text
    if field == "history":
        header = ctx.first_clause(doc.doc_id, lambda c: c.clause_id == "题注")
        lines = [ln.strip(" （）()。；;") for ln in header.text.split("\n")] if header else []
        lines = [ln for ln in lines if re.search(r"\d{4}年", ln)]
        if not lines:
            return None
        n = ctx.cite(header, 1.0, header.text.strip())
        return ctx.result(q, f"《{doc.title}》：" + _history(question.normalized, lines) + f"[{n}]。", "meta")
    if field == "publicity":
        clause = ctx.first_clause(doc.doc_id, lambda c: _PUBLICITY.search(c.text))
        if clause is None:
            return None
        value = _PUBLICITY.search(clause.text)[0]
        n = ctx.cite(clause, 1.0, value)
        return ctx.result(q, f"《{doc.title}》：{value.strip('（）()')}[{n}]。", "meta")
    if field == "page_field":
        label = cues.META["page_field"].search(question.normalized)[0]
        field_text = re.compile(rf"{label}\s*[:：][ \t]*([^|｜\n]*?)\s*(?=[|｜\n]|$)")
        clause = ctx.first_clause(doc.doc_id, lambda c: field_text.search(c.text))
        if clause is None:
            return None
        value = field_text.search(clause.text)[1]
        n = ctx.cite(clause, 1.0, f"{label}:{value}")
        if not value:   # the page has the field, left blank: that is the answer
            return ctx.result(q, f"《{doc.title}》页面上的{label}一栏为空，未填写[{n}]。", "meta")
        return ctx.result(q, f"《{doc.title}》的{label}是{value}[{n}]。", "meta")
    if field == "doc_number" and doc.doc_number:
        value = doc.doc_number
        text = f"《{doc.title}》的文号是{value}"
    elif field == "written_date" and doc.written_date:
        value = cn_date(doc.written_date)
        text = f"《{doc.title}》的成文日期是{value}"
    elif field == "published_date" and doc.published_date:
        value = cn_date(doc.published_date)
        text = f"《{doc.title}》的发布日期是{value}"
    elif field == "issuer" and doc.issuer:
        value = doc.issuer
        text = f"《{doc.title}》由{value}印发"
    elif field == "implements" and doc.implements:
        cite = next((c for c in doc.cites if c["title"] == doc.implements), {})
        value = doc.implements
        number = cite.get("doc_number", "")
        text = f"《{doc.title}》是为贯彻落实《{value}》" + (f"（{number}）" if number else "") + "而制定的"
        value = number or value
    elif field == "effective" and doc.dates.get("施行"):
        value = cn_date(doc.dates["施行"])
        text = f"《{doc.title}》自{value}起施行"
    elif field == "effective":         # stated in the closing article only (本办法自…起施行)
        clause = next((c for c in reversed(ctx.doc_clauses(doc.doc_id)) if _EFFECTIVE.search(c.text)), None)
        if clause is None:
            return None
        value = _EFFECTIVE.search(clause.text)[0]
        n = ctx.cite(clause, 1.0, sentence_with(clause.text, value))
        return ctx.result(q, f"《{doc.title}》：{value}[{n}]。", "meta")
    elif field == "addressees":
        notice = ctx.first_clause(doc.doc_id, lambda c: c.clause_id == "印发通知")
        line = next((ln for ln in (notice.text.split("\n") if notice else []) if ln.endswith(("：", ":"))), "")
        if not line:
            return None
        value = line
        text = f"《{doc.title}》印发给{line.rstrip('：:')}"
    elif field == "title":
        value = doc.title
        text = f"文件标题是《{doc.notice_title or doc.title}》"
    else:
        return None
    clause = _clause_containing(ctx, doc.doc_id, value)
    if clause is None:
        return ctx.result(q, text + "。", "meta")
    n = ctx.cite(clause, 1.0, sentence_with(clause.text, value))
    return ctx.result(q, f"{text}[{n}]。", "meta")


_REVISED = re.compile(r"修订|修正|修改")


def _history(qn: str, lines: list[str]) -> str:
    """The history lines the question asks about: the revisions when it asks when the law was
    revised (not its first adoption), the latest one when it asks for the last, all otherwise."""
    if _REVISED.search(qn):
        revisions = [ln for ln in lines if _REVISED.search(ln)]
        if re.search(r"最近|最新|上一次|最后一次", qn) and revisions:
            return "最近一次修改：" + revisions[-1]
        if revisions:
            head = f"共修改{len(revisions)}次：" if re.search(r"几次|多少次", qn) else ""
            return head + "；".join(revisions)
        return "没有修改记录；" + "；".join(lines)
    if "通过" in qn and not re.search(r"几次|多少次", qn):
        adopted = [ln for ln in lines if "通过" in ln]
        return "；".join(adopted or lines)
    return "；".join(lines)


def _clause_containing(ctx: AnswerContext, doc_id: str, value: str) -> Clause | None:
    keys = {fold(value), fold(value.replace("〔", "[").replace("〕", "]"))}
    if re.match(r"\d{4}年", value):      # dates are written 2024年6月13日 or 2024年06月13日
        y, m, d = map(int, re.findall(r"\d+", value))
        keys |= {fold(f"{y}年{m:02d}月{d:02d}日"), fold(f"{y}年{m}月{d}日")}
    return ctx.first_clause(doc_id, lambda c: any(k in fold(c.text) for k in keys))
