"""What a term means, from the sentence that defines it: 本法所称职业教育，是指…; （一）各级各类学校，
是指…; …对三周岁到入小学前的儿童（以下称学前儿童）实施的… ("以下称的学前儿童具体指哪些孩子？")."""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.answer.context import AnswerContext
from kb.answer.question import Question
from kb.answer.text import display_sentence, sentences, strip_number, with_items
from kb.schema import Answer, Clause
from kb.textnorm import fold

_DEFINES = (
    re.compile(r"所称(?:的)?(?P<term>[^，。；：]{2,30}?)[，,]?(?:是指|指)"),
    re.compile(r"(?:^|[：；。）)\s])(?P<term>[\u4e00-\u9fa5]{2,12})[，,]?是指"),
    re.compile(r"[（(]以下(?:简称|称)[“\"]?(?P<term>[^）)”\"]{2,15})[”\"]?[）)]"),
)


@dataclass(frozen=True)
class _Definition:
    term: str          # folded
    clause: Clause
    sentence: str


def _definitions(snap) -> list[_Definition]:
    found = []
    for clause in snap.clauses:
        for s in sentences(clause.text):
            for pattern in _DEFINES:
                for m in pattern.finditer(s):
                    for term in re.split(r"[、和及]", m["term"]):
                        if len(term) >= 2:
                            found.append(_Definition(fold(term), clause, s.strip()))
    return found


def _asks_meaning(qn: str, term: str) -> bool:
    """The question asks what `term` itself means, not something about it (职业教育的目标是什么)."""
    t = re.escape(term)
    return bool(re.search(rf"{t}[”\"]?[，,]?(?:到底|究竟|具体)?(?:是指|指的是|指|是什么|是啥|的(?:含义|定义|意思|范围)"
                          rf"|什么意思|啥意思|怎么界定|如何界定|包括)", qn)
                or re.search(rf"(?:什么(?:叫|是)|何谓|啥叫|啥是)[“\"]?{t}", qn))


class Definitions:
    name = "definitions"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        return bool(self._asked(q, ctx))

    def answer(self, q: Question, ctx: AnswerContext) -> Answer | None:
        found = self._asked(q, ctx)
        # the named document's definition, else the current version's, else the best-retrieved one's
        old = ctx.superseded()
        ranked = [h.clause.doc_id for h in ctx.search(q.context, k=10)]
        found.sort(key=lambda d: (d.clause.doc_id not in q.documents, d.clause.doc_id in old,
                                  ranked.index(d.clause.doc_id) if d.clause.doc_id in ranked else len(ranked)))
        best = found[0]
        if q.documents and best.clause.doc_id not in q.documents:
            return None
        n = ctx.cite(best.clause, 1.0, best.sentence)
        text = display_sentence(strip_number(with_items(best.sentence, best.clause.text)))
        return ctx.result(q.text, f"{ctx.source(best.clause)}{text}[{n}]{ctx.version_note(best.clause.doc_id)}",
                          "definition")

    @staticmethod
    def _asked(q: Question, ctx: AnswerContext) -> list[_Definition]:
        qn = fold(q.normalized)
        found = [d for d in ctx.snap.memo("definitions", lambda: _definitions(ctx.snap))
                 if d.term in qn and _asks_meaning(qn, d.term)]
        longest = max((len(d.term) for d in found), default=0)
        return [d for d in found if len(d.term) == longest]
