"""What a unit must do: every task whose 责任单位 list names it (or a group it belongs to)."""
from __future__ import annotations

import re
from dataclasses import replace

from kb import units as unit_db
from kb.answer.context import AnswerContext
from kb.answer.policy import plan_documents
from kb.answer.question import Question
from kb.answer.text import display_sentence, responsibility_sentence, sentences, strip_number, with_items
from kb.deadlines import Deadline, clause_deadline
from kb.schema import Answer, Clause


class UnitTasks:
    name = "unit_tasks"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        # 楚雄医专有哪些任务 / 楚雄医专做哪些: tasks; 楚雄医专开设了哪些专业: not tasks
        return bool(q.units) and q.wants("tasks") and not q.wants("who")

    def answer(self, q: Question, ctx: AnswerContext) -> Answer | None:
        qn = q.normalized
        tasks = {}
        for name in q.units:
            canonical, clauses = ctx.kb.unit_tasks(name, ctx.snap)
            tasks[canonical] = clauses
        if not any(tasks.values()):
            return None
        # 哪些有2025年的期限: only the tasks due by, or starting in, that year
        years = [int(y) for y in q.years]
        when = q.wants("time") or q.attribute in ("deadline", "start") or bool(years)
        if years:
            tasks = {u: [c for c in cs if any(deadline(ctx, c).matches_year(y) for y in years)] for u, cs in tasks.items()}
        scope = f"期限涉及{'、'.join(q.years)}年的" if years else ""
        if len(tasks) > 1 and re.search(r"共同|都|同时|一起|联合", qn):
            shared = set.intersection(*({c.uid for c in cs} for cs in tasks.values()))
            clauses = [c for c in next(iter(tasks.values())) if c.uid in shared]
            head = f"{'、'.join(tasks)}共同作为责任单位的{scope}任务共{len(clauses)}项：\n"
            return ctx.result(q.text, head + task_lines(ctx, clauses, when), "unit_tasks")
        parts = []
        for canonical, clauses in tasks.items():
            via_group = [g for g in unit_db.covering(canonical) if g != canonical]
            note = f"（含以“{'、'.join(via_group)}”名义列出的任务）" if any(
                set(via_group) & set(c.units) for c in clauses) else ""
            parts.append(f"{canonical}作为责任单位的{scope}任务共{len(clauses)}项{note}：\n" + task_lines(ctx, clauses, when))
            named = "" if years else _named_lines(ctx, canonical, clauses)
            if named:
                parts.append(named)
        return ctx.result(q.text, "\n".join(parts) + lead_note(qn, tasks.values()), "unit_tasks")


def _named_lines(ctx: AnswerContext, unit: str, responsible: list[Clause]) -> str:
    """The other clauses of the same documents that name the unit in their text, as the one who
    must act or as the one acted on (各县市要加大职业教育投入保障力度; 印发给各县市人民政府…请认真
    遵照执行), each with the sentence that names it; "" when there are none."""
    names = set(unit_db.covering(unit))
    documents = {c.doc_id for c in responsible}
    seen = {(c.doc_id, c.clause_id) for c in responsible}
    named = []
    for c, sentence, in_it in _units_named_in_text(ctx):
        if c.doc_id in documents and (c.doc_id, c.clause_id) not in seen and names & in_it:
            seen.add((c.doc_id, c.clause_id))
            named.append((c, sentence))
    if not named:
        return ""
    lines = [f"{i}. {c.title or c.clause_id}（{c.clause_id}）：{display_sentence(_first_sentence(strip_number(with_items(s, ctx.whole_text(c)))))}[{ctx.cite(c, 1.0, s)}]"
             for i, (c, s) in enumerate(named, 1)]
    groups = "、".join(sorted(names - {unit}))
    who = f"{unit}（或其所属的“{groups}”）" if groups else unit
    return f"文中还点名{who}的条款{len(named)}处：\n" + "\n".join(lines)


def _units_named_in_text(ctx: AnswerContext) -> list[tuple[Clause, str, frozenset[str]]]:
    """(clause, sentence, the units it names) for every sentence outside a 责任单位 list that names
    a unit by any of its names, in the plans (documents that assign 责任单位), in document order;
    built once per snapshot."""
    def build():
        found, done, plans = [], set(), plan_documents(ctx)
        for c in ctx.snap.clauses:
            if c.doc_id not in plans or (c.doc_id, c.clause_id) in done:
                continue
            done.add((c.doc_id, c.clause_id))
            for s in sentences(ctx.whole_text(c)):
                in_it = frozenset(unit_db.scan(s, query=True))
                if in_it and not responsibility_sentence(s):
                    found.append((c, s.strip(), in_it))
        return found
    return ctx.snap.memo("units_named_in_text", build)


def _first_sentence(text: str) -> str:
    return re.match(r"[^。]*。?", text)[0]


def deadline(ctx: AnswerContext, clause: Clause) -> Deadline:
    """A task's own deadline (到2026年, 2025年起, 利用3年时间 -> 2027年), from its whole text."""
    return clause_deadline(replace(clause, text=ctx.whole_text(clause)), ctx.snap.documents[clause.doc_id])


def task_lines(ctx: AnswerContext, clauses: list[Clause], when: bool = False) -> str:
    """One line per task, with its deadline when the task states one (and, when the question
    asks by when, the tasks that state none said to have none)."""
    lines = []
    for i, c in enumerate(clauses, 1):
        n = ctx.cite(c, 1.0, responsibility_sentence(c.text))
        due = deadline(ctx, c)
        term = f"，期限：{due.label}" if due.stated else ("，方案未规定期限" if when else "")
        lines.append(f"{i}. {c.title or c.clause_id}（{c.clause_id}）{term}[{n}]")
    return "\n".join(lines)


def lead_note(qn: str, clause_lists, listed: str = "列为责任单位的全部任务") -> str:
    """Asked for the lead unit of a document that does not name one: say so."""
    if "牵头" in qn and not any(c.lead_units for cs in clause_lists for c in cs):
        return f"\n（文件未区分牵头单位和配合单位，以上为{listed}。）"
    return ""
