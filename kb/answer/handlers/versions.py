"""What changed between two versions of a law: the matching clause of each, newest first."""
from __future__ import annotations

import re
from dataclasses import replace

from kb.answer import cues
from kb.answer.context import AnswerContext
from kb.answer.question import Question
from kb.answer.text import WHOLE_ARTICLE, display_sentence, lead_with, sentences, similarity, strip_number
from kb.retrieve import version_date
from kb.schema import Answer
from kb.textnorm import fold
from kb.tokenize import tokens


# characters of each version's article shown: a comparison reads the provision with its frame
# (职业学校教育分为…。…由…实施。…), not one sentence of it
COMPARED_ARTICLE = 2 * WHOLE_ARTICLE


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
        candidates = [self._search(ctx, topic, v.doc_id) for v in versions]
        if not all(candidates):
            return None
        new_hits, old_hits = candidates
        top_new, top_old = new_hits[0].score, old_hits[0].score
        pairs = [(a, b) for a in new_hits for b in old_hits]
        # what changed is asked: a provision worded alike in both versions is no answer
        changed = [(a, b) for a, b in pairs if fold(strip_number(a.clause.text)) != fold(strip_number(b.clause.text))]
        # answering the topic (two shares of up to 1) and being one provision in two wordings count alike
        pair = max(changed or pairs, key=lambda ab: ab[0].score / top_new + ab[1].score / top_old
                   + 2 * similarity(ab[0].clause.text, ab[1].clause.text))
        q_tokens = tokens(topic)
        parts = []
        for label, version, hit in (("现行版本", versions[0], pair[0]), ("旧版本", versions[1], pair[1])):
            best = max(sentences(hit.clause.text), key=lambda s: ctx.overlap(q_tokens, s))
            sentence = ctx.short_article(hit.clause) or lead_with(best, hit.clause.text, COMPARED_ARTICLE)
            n = ctx.cite(hit.clause, hit.score, sentence.strip())
            parts.append(f"{label}（{version_date(version)[:4]}年）{hit.clause.clause_id}：{display_sentence(sentence)}[{n}]")
        return ctx.result(q.text, f"《{doc.title}》各版本的相关规定：\n" + "\n".join(parts), "version")

    @staticmethod
    def _search(ctx: AnswerContext, topic: str, doc_id: str) -> list:
        """The version's best articles for the topic read with and without the law's name: within
        the law the name pulls title-like articles (本法适用于…), yet its words may be the topic's
        too (义务教育 of 义务教育法实施办法)."""
        clauses = ctx.snap.clauses
        fused: dict = {}
        for text in (topic, ctx.topic(topic)):
            hits = ctx.search(text, k=5, where=lambda i: clauses[i].doc_id == doc_id)
            for h in hits:
                key = (h.clause.clause_id, h.clause.part)
                best, share = fused.get(key, (h, 0.0))
                fused[key] = (best, share + h.score / hits[0].score)
        return [replace(h, score=share) for h, share in sorted(fused.values(), key=lambda x: -x[1])[:5]]
