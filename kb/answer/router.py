"""How a question travels: checked and parsed once, then offered to the handlers in order; the
first that matches and answers wins, and free text answers the rest. A message asking several
things is answered part by part."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from kb.answer import policy
from kb.answer.context import ABSTAIN_TEXT, AnswerContext
from kb.answer.handlers.definitions import Definitions
from kb.answer.handlers.document_facts import DocumentFacts
from kb.answer.handlers.free_text import FreeText
from kb.answer.handlers.headings import HeadingList, TermMentions
from kb.answer.handlers.mentions import EntityMentions, SchoolList
from kb.answer.handlers.slogans import Slogans
from kb.answer.handlers.unit_tasks import UnitTasks
from kb.answer.handlers.versions import Versions
from kb.answer.handlers.who import Who
from kb.answer.question import Question, check_question, parse
from kb.retrieve import other_place
from kb.schema import Answer

# The structured handlers, in the order they are tried. Each answers from facts extracted at
# ingest (document facts, headings, 责任单位, mentions) or declines with None.
HANDLERS = (DocumentFacts(), Slogans(), Definitions(), UnitTasks(), SchoolList(), EntityMentions(), Who(), Versions(),
            HeadingList(), TermMentions())
FREE_TEXT = FreeText()


def route(q: Question, ctx: AnswerContext) -> Answer | None:
    """The first structured handler that matches and answers, None when none does."""
    for handler in HANDLERS:
        if handler.match(q, ctx):
            answer = handler.answer(q, ctx)
            if answer is not None:
                return answer
    return None


class Answerer:
    def __init__(self, kb):
        self.kb = kb
        self.ctx = AnswerContext(kb)

    def answer(self, question: str, history: list[str], llm: bool = False) -> Answer:
        """`llm`: a free-text answer to a single question is rephrased by the configured LLM when
        its text passes verification against the clauses (kb.llm); the answer notes either way."""
        text, answer, compound = self._extractive(question, history)
        if llm:
            answer = self._phrased(text, answer, compound)
        return answer

    def answer_stream(self, question: str, history: list[str]) -> Iterator[str | Answer]:
        """`answer(…, llm=True)` for a streaming UI: the LLM's verified text as it grows (each str
        the whole text so far), then the final Answer — the verified LLM answer, or the extractive
        one with the note. An answer the LLM may not phrase comes at once, as the only item."""
        from kb import llm
        text, answer, compound = self._extractive(question, history)
        if compound:
            yield self._phrased(text, answer, compound)
            return
        yield from llm.phrase_stream(text, answer, self._sources(answer))

    def _extractive(self, question: str, history: list[str]) -> tuple[str, Answer, bool]:
        """(the checked question, its extractive answer, whether it was asked in several parts)."""
        text = check_question(question, self.kb.settings.max_question_chars)
        ctx = self.ctx
        if not ctx.snap.clauses:
            return text, ctx.abstain(text, "知识库中还没有文档，请先导入文件。"), False
        q = parse(text, history, ctx.snap)
        answer = self._compound(q) if q.parts else self._single(q)
        corrections = [c for part in (q.parts or (q,)) for c in part.corrections]
        if corrections and not answer.abstained:
            answer.answer += "（" + "；".join(f"“{c.wrong}”按“{c.right}”理解" for c in corrections) + "）"
        return text, answer, bool(q.parts)

    def _phrased(self, text: str, answer: Answer, compound: bool) -> Answer:
        """The phrasing step of a free-text answer: the LLM's verified text, or this answer with
        a note saying why it stands. Structured answers, refusals and several-part answers (whose
        citations are numbered across parts) are never sent."""
        from kb import llm
        if compound:
            return llm.not_phrased(answer, "多个问题的回答按条款分别引用，不经大模型改写", "compound")
        return llm.phrase(text, answer, self._sources(answer))

    def _sources(self, answer: Answer):
        """The numbered clauses the LLM may phrase `answer` from."""
        from kb import llm
        return llm.sources(answer, self.ctx.retrieved, self.ctx.snap.documents)

    def _single(self, q: Question) -> Answer:
        if q.document_of and not q.documents:
            q = self._in_document_of(q)
        if q.unknown_documents and (not q.documents or any(
                other_place(name, q.documents, self.ctx.snap) for name in q.unknown_documents)):
            answer = self.ctx.abstain(q.text, "知识库中没有" + "、".join(f"《{d}》" for d in q.unknown_documents) + "。")
        elif policy.foreign(self.ctx, q.normalized):
            answer = self.ctx.abstain(q.text)
        else:
            answer = route(q, self.ctx) or FREE_TEXT.answer(q, self.ctx)
        if answer.abstained and q.completed is not None:
            return self._single(q.completed)      # read alone it has no answer: as a follow-up
        return answer

    def _in_document_of(self, q: Question) -> Question:
        """这部法… after a question that named no document: the document its best clause is in."""
        hits = self.ctx.search(q.document_of, k=5)
        if not hits or policy.unsupported(self.ctx, q.document_of, hits):
            return q        # the question before found no answer: it names no document either
        doc = self.ctx.snap.documents[hits[0].clause.doc_id]
        return replace(q, documents=(doc.doc_id,), context=f"《{doc.title}》{q.context}")

    def _compound(self, q: Question) -> Answer:
        """Several questions in one ("董事会最少几个人？对董事的教学经验有要求吗？"): each part is
        answered in turn (a later part completed from the earlier one when it refers back); the
        citations are numbered across the parts. Parts the documents do not answer are said to be
        unanswered."""
        ctx = self.ctx
        texts, unanswered, units, kinds = [], [], [], []
        unsupported = False       # the part before found nothing at all about its topic
        for part in q.parts:
            before = len(ctx.cited)
            # a part that leans on one the documents say nothing about (年终奖…？老板可以不发吗？)
            # is about that too
            leans = part.inherited or (part.completed is not None and len(part.topic_words) < 2)
            sub = ctx.abstain(part.text) if leans and unsupported else self._single(part)
            unsupported = sub.abstained and sub.answer == ABSTAIN_TEXT
            if sub.abstained:
                unanswered.append(part.normalized)
            elif _said_in(sub.answer, texts):
                continue          # an earlier part's answer already says it (its clause was quoted there)
            elif len(ctx.cited) > before or sub.answer not in texts:
                texts.append(sub.answer)
                units += [u for u in sub.responsible_units if u not in units]
                kinds.append(sub.kind)
        if not texts:
            return ctx.abstain(q.text)
        text = "\n".join(texts) + "".join(f"\n关于“{p}”，文件中没有相关规定。" for p in unanswered)
        return ctx.result(q.text, text, kinds[0], units)


_CITATION_MARK = re.compile(r"\[\d+\]")
_SOURCE = re.compile(r"^《[^》]+》[^：:。]{0,16}规定[：:]")


def _said_in(answer: str, earlier: list[str]) -> bool:
    """The answer's text, without its source and citation marks, stands in an earlier answer."""
    body = _SOURCE.sub("", _CITATION_MARK.sub("", answer)).strip().rstrip("。")
    return len(body) >= 8 and any(body in _CITATION_MARK.sub("", text) for text in earlier)
