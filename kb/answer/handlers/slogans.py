"""Numbered slogans ("3377522"): the headings whose counts spell the number."""
from __future__ import annotations

import re

from kb.answer.context import AnswerContext
from kb.answer.question import Question
from kb.answer.text import sentence_with, strip_number
from kb.schema import Answer
from kb.textnorm import cn_to_int

_COUNTED = re.compile(r"([一二三四五六七八九十两\d]+)\s*(?:个|项|大|类|条|种|所)")


class Slogans:
    name = "slogans"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        return bool(q.slogan)

    def answer(self, q: Question, ctx: AnswerContext) -> Answer | None:
        code = q.slogan
        for doc_id, parent, children in ctx.sibling_groups():
            digits = []
            for child in children:
                counted = _COUNTED.search(child[0])
                digits.append(str(cn_to_int(counted[1])) if counted else "?")
            if "".join(digits) != code:
                continue
            mention = ctx.first_clause(doc_id, lambda c: code in c.text)
            if mention:
                ctx.cite(mention, 1.0, sentence_with(mention.text, code))
            parts = []
            for label, clause in children:
                n = ctx.cite(clause, 1.0)
                parts.append(f"{strip_number(label)}[{n}]")
            head = f"“{code}”指{strip_number(parent)}中的{len(children)}项内容"
            lead = "[1]" if mention else ""
            return ctx.result(q.text, f"{head}{lead}：" + "；".join(parts) + "。", "definition")
        return None
