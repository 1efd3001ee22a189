"""A knowledge base held in memory for answer-layer tests: small documents parsed from text by
the real ingest pipeline, searched by keyword only (no vectors, so no model is loaded)."""
from __future__ import annotations

import dataclasses

from ingest.pipeline import keyword_text, parse_document
from kb.api import KnowledgeBase
from kb.config import Settings
from kb.retrieve import Retriever, title_keys
from kb.store import Snapshot, vector_id
from kb.tokenize import add_words, tokens


class _NoVectors:
    def vector_count(self) -> int:
        return 0

    def query_vectors(self, vector, n: int) -> list:
        return []


class TinyKB(KnowledgeBase):
    def __init__(self, files: dict[str, str]):
        self.settings = dataclasses.replace(Settings.from_env(), max_question_chars=500)
        documents, rows = {}, []
        parsed = [parse_document(text.encode("utf-8"), name) for name, text in files.items()]
        add_words(k for doc, _ in parsed for k in title_keys(doc))
        for doc, clauses in parsed:
            documents[doc.doc_id] = doc
            rows += [(c, vector_id(c, doc.title, "keywords-only"), tokens(keyword_text(c, doc.title))) for c in clauses]
        self._snap = Snapshot.build(1, documents, *map(list, zip(*rows)))
        self.retriever = Retriever(_NoVectors(), self.snapshot)

    def snapshot(self) -> Snapshot:
        return self._snap
