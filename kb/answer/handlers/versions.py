"""What changed between two versions of a law: the matching clause of each, newest first."""
from __future__ import annotations

import re

from kb.answer import cues
from kb.answer.context import AnswerContext
from kb.answer.question import Question
from kb.answer.text import display_sentence, lead_with, sentences, similarity, strip_number
from kb.retrieve import version_date
from kb.schema import Answer
from kb.textnorm import fold
from kb.tokenize import tokens


class Versions:
    name = "versions"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        return q.wants("compare") and ctx.scope_doc(q.context) is not None

    def answer(self, q: Question, ctx: AnswerContext) -> Answer | None:
        """The two clauses are chosen together: each must answer the topic, and they should be the
        same provision in both versions (similar wording), not two unrelated articles."""
        doc = ctx.scope_doc(q.context)
        versions = sorted((d for d in ctx.snap.documents.values() if fold(d.title) == fold(doc.title)),
                          key=version_date, reverse=True)[:2]
        if len(versions) < 2:
            return None
        topic = re.sub(r"(19|20)\d\d\s*年?(版|修订|修正)?", "", cues.COMPARE.sub("", q.context))
        clauses = ctx.snap.clauses
        candidates = [ctx.search(topic, k=5, where=lambda i, d=v.doc_id: clauses[i].doc_id == d) for v in versions]
        if not all(candidates):
            return None
        new_hits, old_hits = candidates
        top_new, top_old = new_hits[0].score, old_hits[0].score
        pairs = [(a, b) for a in new_hits for b in old_hits]
        # what changed is asked: a provision worded alike in both versions is no answer
        changed = [(a, b) for a, b in pairs if fold(strip_number(a.clause.text)) != fold(strip_number(b.clause.text))]
        pair = max(changed or pairs, key=lambda ab: ab[0].score / top_new + ab[1].score / top_old
                   + similarity(ab[0].clause.text, ab[1].clause.text))
        q_tokens = tokens(topic)
        parts = []
        for label, version, hit in (("现行版本", versions[0], pair[0]), ("旧版本", versions[1], pair[1])):
            best = max(sentences(hit.clause.text), key=lambda s: ctx.overlap(q_tokens, s))
            sentence = ctx.short_article(hit.clause) or lead_with(best, hit.clause.text)
            n = ctx.cite(hit.clause, hit.score, sentence.strip())
            parts.append(f"{label}（{version_date(version)[:4]}年）{hit.clause.clause_id}：{display_sentence(sentence)}[{n}]")
        return ctx.result(q.text, f"《{doc.title}》各版本的相关规定：\n" + "\n".join(parts), "version")
