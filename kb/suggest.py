"""What to try when the knowledge base cannot answer: the closest clause titles and unit names."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb import units as unit_db

if TYPE_CHECKING:
    from kb.api import KnowledgeBase

# A word that names a body: 州审计厅, 县教育局, 楚雄职业学院 …
_ARTICLE = re.compile(r"第[一二三四五六七八九十百零〇\d]+条$")
_BODY = re.compile(r"[\u4e00-\u9fa5]{1,12}?(?:委员会|管委会|政府|局|委|厅|部|办|院|校|中心)")


@dataclass(frozen=True)
class Suggestion:
    label: str       # what the user sees: "推进落实职教高考改革", "州审计局"
    question: str    # what is asked when it is picked


def suggestions(kb: "KnowledgeBase", question: str, k: int = 4) -> list[Suggestion]:
    """Up to k suggestions: units whose names are close to a body the question names but the
    knowledge base does not know, then the titles of the clauses closest to the question."""
    found = _close_units(question, kb.unit_names())
    for hit in kb.retrieve(question, "hybrid", k=8):
        c = hit.clause
        if c.title and len(c.title) >= 4 and not _ARTICLE.match(c.title):
            found.append(Suggestion(c.title, f"{c.title}有哪些要求？"))
        elif _ARTICLE.search(c.clause_id):      # a law article: no title of its own
            doc = kb.snapshot().documents.get(c.doc_id)
            name = f"《{doc.title}》{c.clause_id.split('章')[-1]}" if doc else c.clause_id
            found.append(Suggestion(name, f"{name}是怎么规定的？"))
    unique = {s.label: s for s in reversed(found)}       # first occurrence wins
    return [unique[label] for label in dict.fromkeys(s.label for s in found)][:k]


def _close_units(question: str, names: list[str]) -> list[Suggestion]:
    out = []
    for word in dict.fromkeys(m.group() for m in _BODY.finditer(question)):
        if unit_db.canonical(word):
            continue
        for name in difflib.get_close_matches(word, names, n=2, cutoff=0.6):
            out.append(Suggestion(name, f"{name}负责哪些任务？"))
    return out
