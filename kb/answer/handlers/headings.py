"""Lists that are headings ("三个基础工程有哪些"), and every clause that names a term
("工作专班在哪些任务里提到")."""
from __future__ import annotations

from kb.answer import cues
from kb.answer.context import AnswerContext
from kb.answer.policy import thresholds
from kb.answer.question import Question
from kb.answer.text import bigram_index, quoted_phrases, sentence_with, strip_number, unquoted
from kb.retrieve import finest
from kb.schema import Answer
from kb.textnorm import fold
from kb.tokenize import tokens

_MAX_ITEMS = 12          # a law chapter's articles are not a list of named items


class HeadingList:
    name = "heading_list"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        return q.wants("list") and not q.wants("number") and not q.wants("time")

    def answer(self, q: Question, ctx: AnswerContext) -> Answer | None:
        topic = [t for t in tokens(cues.LIST.sub(" ", ctx.topic(q.context))) if len(t) > 1]
        if len(finest(topic)) < 2:
            return None      # one word ("学校") is too little to name a heading
        scope = ctx.scope_doc(q.context)
        best, best_cover = None, 0.0
        groups = ctx.sibling_groups()
        # only headings holding the start of one of the question's words can cover it
        starts = ctx.snap.memo("heading_bigrams", lambda: bigram_index([fold(p) for _, p, _ in groups]))
        for i in sorted({i for t in topic for i in starts.get(t[:2], ())}):
            doc_id, parent, children = groups[i]
            if scope is not None and doc_id != scope.doc_id:
                continue
            cover = ctx.overlap(topic, parent)
            if cover > best_cover:
                best, best_cover = (doc_id, parent, children), cover
        if best is None or best_cover < thresholds().names_heading:
            return None
        _, parent, children = best
        if len(children) > _MAX_ITEMS or not all(strip_number(label) for label, _ in children):
            return None
        parts = []
        for label, clause in children:
            n = ctx.cite(clause, 1.0)
            parts.append(f"{strip_number(label)}[{n}]")
        return ctx.result(q.text, f"{strip_number(parent)}包括{len(children)}项：" + "；".join(parts) + "。", "list")


class TermMentions:
    name = "term_mentions"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        return bool(q.mention_term)

    def answer(self, q: Question, ctx: AnswerContext) -> Answer | None:
        scope = ctx.scope_doc(q.context)
        snap = ctx.snap
        # quotes are how a text marks a term, not part of it (“双师型”教师 = 双师型教师)
        folded = snap.memo("unquoted_first_parts",
                           lambda: [(c, unquoted(fold(c.text))) for c in ctx.kb._first_parts(snap.clauses)])
        # the whole term, else the phrase the question quotes in it (“3+2”培养 -> 3+2)
        for shown in dict.fromkeys([q.mention_term, *quoted_phrases(q.normalized)]):
            term = fold(shown)
            clauses = [c for c, text in folded if term in text and c.clause_id != "文件信息"
                       and (scope is None or c.doc_id == scope.doc_id)]
            if clauses:
                break
        else:
            return None
        lines = []
        for i, c in enumerate(clauses, 1):
            sentence = strip_number(sentence_with(c.text, term, unquote=True))
            n = ctx.cite(c, 1.0, sentence)
            lines.append(f"{i}. {c.title or c.clause_id}（{c.clause_id}）：{sentence}[{n}]")
        return ctx.result(q.text, f"提到“{shown}”的条款共{len(clauses)}处：\n" + "\n".join(lines), "mention")
