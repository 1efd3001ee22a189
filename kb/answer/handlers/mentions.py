"""Where a document names a school or body: the schools a document names, or every clause that
names one entity."""
from __future__ import annotations

import re

from kb import units as unit_db
from kb.answer import cues
from kb.answer.context import AnswerContext
from kb.answer.question import Question
from kb.answer.text import sentence_with, sentences
from kb.schema import Answer, Clause

_RESPONSIBILITY_LIST = re.compile(r"[（(]?责任单位")
_SCHOOL = re.compile(r"(学校|学院|大学|中学|职中|职教中心|医专|师院|技校)$")


class SchoolList:
    """"方案中提到了哪些学校": every school the document names, each cited where first named."""
    name = "school_list"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        return bool(cues.SCHOOL_LIST.search(q.normalized)) and not q.entities

    def answer(self, q: Question, ctx: AnswerContext) -> Answer | None:
        doc = ctx.scope_doc(q.context) or ctx.default_doc
        first: dict[str, Clause] = {}
        for c in ctx.snap.clauses:
            if c.doc_id == doc.doc_id:
                for name in c.mentions:
                    if _SCHOOL.search(name):
                        first.setdefault(name, c)
        if not first:
            return None
        items = [f"{name}[{ctx.cite(c, 1.0, sentence_with(c.text, name))}]" for name, c in first.items()]
        return ctx.result(q.text, f"《{doc.title}》提到的学校共{len(items)}所：" + "、".join(items) + "。", "list")


class EntityMentions:
    """"武定县职中涉及哪些任务": every clause whose text names the school or body, or whose
    责任单位 list names it (医专在方案里哪些地方被点名了)."""
    name = "entity_mentions"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        return bool(q.entities) and not q.wants("who") and (q.wants("mention") or q.wants("tasks"))

    def answer(self, q: Question, ctx: AnswerContext) -> Answer | None:
        name = q.entities[0]
        entry = unit_db.entry(name)
        if entry is not None and entry.kind == "政府" and "政府" not in q.normalized:
            return None         # 哪些地方提到了武定: the place, wherever it is written (the term's mentions)
        clauses = ctx.kb.mention_tasks(name, ctx.snap, listed=True)
        if not clauses:
            return None
        lines = []
        for i, c in enumerate(clauses, 1):
            sentence = next((s.strip() for s in sentences(c.text) if name in unit_db.scan(s, query=False)
                             and not _RESPONSIBILITY_LIST.match(s.strip())), "")
            n = ctx.cite(c, 1.0, sentence)
            listed = "列为责任单位" if name in c.units else ""
            said = "；".join(filter(None, (listed, sentence)))
            lines.append(f"{i}. {c.title or c.clause_id}（{c.clause_id}）：{said}[{n}]")
        return ctx.result(q.text, f"文件中提到{name}的条款共{len(clauses)}处：\n" + "\n".join(lines), "mention")
