"""Who is responsible for a task: the 责任单位 list of the clause that states the task."""
from __future__ import annotations

from kb import units as unit_db
from kb.answer import cues
from kb.answer.context import AnswerContext
from kb.answer.handlers.unit_tasks import lead_note
from kb.answer.policy import thresholds
from kb.answer.question import Question
from kb.answer.text import responsibility_sentence
from kb.schema import Answer
from kb.tokenize import tokens


# what a who-question asks for, never what it is about (归哪几个部门管: 部门)
_ASKED_OF_WHO = frozenset({"部门", "单位", "负责", "机构", "牵头"})


class Who:
    name = "who"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        return q.wants("who")

    def answer(self, q: Question, ctx: AnswerContext) -> Answer | None:
        clauses = ctx.snap.clauses
        with_units = ctx.search(q.context, k=5, where=lambda i: bool(clauses[i].units))
        if not with_units:
            return None
        best = with_units[0]
        # The task must be the one asked about; otherwise the answer lies in a clause without a
        # 责任单位 list (a law article, say) and the extractive answer handles it.
        topic = cues.WHO.sub(" ", ctx.topic(q.context))
        for name in [topic[a:b] for a, b, _ in unit_db.matches(topic)]:
            topic = topic.replace(name, " ")     # "…有州发改委吗": the units are the answer, not the topic
        topic = [t for t in tokens(topic) if len(t) > 1 and t not in _ASKED_OF_WHO]
        overall = {h.clause.uid for h in ctx.search(q.context, k=3)}
        # the best matches have no 责任单位 list (a law article names its own bodies), unless the
        # question names the task's heading (经费保障归谁管 -> 落实经费保障)
        if best.clause.uid not in overall and ctx.overlap(topic, best.clause.title) < thresholds().names_heading:
            return None
        if ctx.overlap(topic, f"{' '.join(best.clause.path)} {best.clause.text}") < thresholds().min_coverage:
            return None
        c = best.clause
        n = ctx.cite(c, best.score, responsibility_sentence(c.text))
        lead = list(c.lead_units)
        if lead:
            co = [u for u in c.units if u not in lead]
            text = f"{c.title or c.clause_id}由{'、'.join(lead)}牵头" + (f"，{'、'.join(co)}配合" if co else "") + f"[{n}]。"
        else:
            text = (f"{c.title or c.clause_id}的责任单位是{'、'.join(c.units)}[{n}]。"
                    + lead_note(q.normalized, [[c]], "列出的全部责任单位"))
        return ctx.result(q.text, text, "who", list(c.units))
