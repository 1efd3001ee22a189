"""What one answer works with: the snapshot it reads, the citations it has made so far, and the
look-ups every handler shares (search, a document's clauses, a clause's whole text)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.answer.text import WHOLE_ARTICLE, strip_number
from kb.retrieve import (article_number, clauses_of, coverage, document_scope, home_document, named_documents,
                         superseded, version_date)
from kb.schema import Answer, Citation, Clause, Document, ScoredClause

ABSTAIN_TEXT = "知识库中的文件没有涉及这个问题，无法回答。"


@dataclass
class _Cited:
    clause: Clause
    score: float
    highlight: str = ""


class AnswerContext:
    """One per answer. Reads one snapshot, even when an ingest publishes a new one meanwhile."""

    def __init__(self, kb):
        self.kb = kb
        self.snap = kb.snapshot()
        self.cited: list[_Cited] = []
        self.retrieved: list[ScoredClause] = []    # what the free-text answer was chosen from

    # -- retrieval ---------------------------------------------------------
    def search(self, question: str, **kwargs) -> list[ScoredClause]:
        return self.kb.retriever.search(question, snap=self.snap, **kwargs)

    def topic(self, question: str) -> str:
        return self.kb.retriever.topic(question, self.snap)

    def overlap(self, q_tokens: list[str], text: str) -> float:
        return coverage(self.snap, q_tokens, text)

    def names_clause(self, q_tokens: list[str], clause: Clause) -> bool:
        return self.overlap([t for t in q_tokens if len(t) > 1], clause.title) >= 0.8

    # -- documents and clauses ---------------------------------------------
    def names_document(self, qn: str) -> bool:
        return bool(named_documents(qn, self.snap))

    def scope_doc(self, qn: str) -> Document | None:
        """The document the question is about (the current version when it names a law with
        several), None when it names none."""
        scope = document_scope(qn, self.snap)
        if scope:
            best = max(scope.values())
            docs = [self.snap.documents[d] for d, s in scope.items() if s == best]
            old = self.superseded()
            current = [d for d in docs if d.doc_id not in old]
            return (current or docs)[0]
        return None

    @property
    def default_doc(self) -> Document:
        return home_document(self.snap)

    def superseded(self) -> dict[str, str]:
        return self.snap.memo("superseded", lambda: superseded(self.snap.documents))

    def version_note(self, doc_id: str) -> str:
        """Which version of a law an answer comes from, when the knowledge base holds several."""
        old = self.superseded()
        doc = self.snap.documents[doc_id]
        if doc_id in old:
            current = self.snap.documents[old[doc_id]]
            return f"（出自{version_date(doc)[:4]}年版本；现行版本为{version_date(current)[:4]}年版）"
        if doc_id in old.values():
            return f"（依据现行版本：{version_date(doc)[:4]}年版《{doc.title}》）"
        return ""

    def doc_clauses(self, doc_id: str) -> list[Clause]:
        return [self.snap.clauses[i] for i in clauses_of(self.snap).get(doc_id, ())]

    def first_clause(self, doc_id: str, predicate) -> Clause | None:
        return next((c for c in self.doc_clauses(doc_id) if predicate(c)), None)

    def whole_text(self, clause: Clause) -> str:
        """A clause's text with all its parts (a long clause is stored split at sentence ends)."""
        def join_parts() -> dict[tuple[str, str], str]:
            whole: dict[tuple[str, str], str] = {}
            for c in self.snap.clauses:
                key = (c.doc_id, c.clause_id)
                whole[key] = whole.get(key, "") + c.text
            return whole
        return self.snap.memo("whole_text", join_parts)[(clause.doc_id, clause.clause_id)]

    def short_article(self, clause: Clause) -> str:
        """The whole text of a law article up to WHOLE_ARTICLE characters, without its number
        (a rule, its exception and its remedy are read together); "" for anything else."""
        if article_number(clause.clause_id) is None:
            return ""
        text = strip_number(self.whole_text(clause))
        return text if len(text) <= WHOLE_ARTICLE else ""

    def source(self, clause: Clause) -> str:
        """Whose rule a law article is, said in the answer itself: 《中华人民共和国劳动法》第三十六条规定："""
        article = re.search(r"第[零〇一二两三四五六七八九十百千\d]+条$", clause.clause_id)
        return f"《{self.snap.documents[clause.doc_id].title}》{article[0]}规定：" if article else ""

    def sibling_groups(self):
        """(doc_id, parent heading, [(child heading, its first clause)]) for every heading level."""
        def compute():
            groups: dict[tuple[str, str, int], list[tuple[str, Clause]]] = {}
            for c in self.snap.clauses:
                for depth in range(1, len(c.path)):
                    key = (c.doc_id, c.path[depth - 1], depth)
                    children = groups.setdefault(key, [])
                    if not any(label == c.path[depth] for label, _ in children):
                        children.append((c.path[depth], c))
            return [(doc_id, parent, children) for (doc_id, parent, _), children in groups.items()
                    if len(children) > 1]
        return self.snap.memo("sibling_groups", compute)

    # -- the answer being built ----------------------------------------------
    def cite(self, clause: Clause, score: float, highlight: str = "") -> int:
        """The citation number of a clause, numbered in order of first citation."""
        for n, c in enumerate(self.cited, 1):
            if c.clause.uid == clause.uid:
                return n
        self.cited.append(_Cited(clause, score, highlight))
        return len(self.cited)

    def result(self, q: str, text: str, kind: str, units: list[str] | None = None) -> Answer:
        docs = self.snap.documents
        citations = [Citation(n=n, doc_id=c.clause.doc_id, doc_title=docs[c.clause.doc_id].title,
                              doc_number=docs[c.clause.doc_id].doc_number, clause_id=c.clause.clause_id,
                              section=c.clause.section, quote=c.clause.text, score=round(float(c.score), 4),
                              highlight=c.highlight)
                     for n, c in enumerate(self.cited, 1)]
        return Answer(question=q, answer=text, abstained=False, responsible_units=units or [],
                      citations=citations, kind=kind)

    @staticmethod
    def abstain(q: str, reason: str = "") -> Answer:
        return Answer(question=q, answer=ABSTAIN_TEXT + reason, abstained=True, kind="abstain")
