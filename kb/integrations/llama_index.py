"""The knowledge base inside llama-index pipelines.

- `ClauseRetriever`: the hybrid retrieval (BM25 + m3e-small, rerank, document scoping) as a
  llama-index retriever. Each result is NodeWithScore(TextNode(clause text, id_=clause uid,
  metadata={doc_id, doc_title, doc_number, clause_id, section})); `filters` (MetadataFilters on
  those keys) narrow it, e.g. to one document.
- `PolicyQueryEngine`: the full answerer as a query engine. The Response carries the answer text,
  `source_nodes` for its citations (in citation order, metadata with the citation number `n`) and
  `metadata` with `abstained`, `responsible_units`, `kind` and `llm`.

Importing this module loads llama-index; nothing else in kb/ does.
"""
from __future__ import annotations

from typing import Any

from llama_index.core.base.response.schema import Response
from llama_index.core.bridge.pydantic import Field
from llama_index.core.callbacks import CallbackManager
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores.types import MetadataFilters
from llama_index.core.vector_stores.utils import build_metadata_filter_fn

from kb.answer import check_question
from kb.schema import Citation, Clause, Document
from kb.store import Snapshot

# A filter that keeps this few documents lets each of them put its own best keyword matches
# among the candidates; one that keeps more narrows the usual candidates only.
FEW_DOCUMENTS = 20


def clause_metadata(clause: Clause, doc: Document) -> dict[str, str]:
    return {"doc_id": clause.doc_id, "doc_title": doc.title, "doc_number": doc.doc_number,
            "clause_id": clause.clause_id, "section": clause.section}


def clause_node(clause: Clause, doc: Document) -> TextNode:
    return TextNode(text=clause.text, id_=clause.uid, metadata=clause_metadata(clause, doc))


class ClauseRetriever(BaseRetriever):
    """kb.retrieve's clause-level search as a llama-index retriever.

    kb: an open `kb.api.KnowledgeBase`. mode: "hybrid" | "keyword" | "dense". A question the
    knowledge base refuses (empty, too long) raises kb.schema.InputError with the reason."""

    def __init__(self, kb, similarity_top_k: int = 10, mode: str = "hybrid",
                 filters: MetadataFilters | None = None, callback_manager: CallbackManager | None = None):
        super().__init__(callback_manager=callback_manager)
        self._kb = kb
        self._k = similarity_top_k
        self._mode = mode
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        snap = self._kb.snapshot()
        question = check_question(query_bundle.query_str, self._kb.settings.max_question_chars)
        where, within = self._narrowing(snap)
        hits = self._kb.retriever.search(question, self._mode, self._k, where=where, snap=snap, within=within)
        return [NodeWithScore(node=clause_node(h.clause, snap.documents[h.clause.doc_id]), score=float(h.score))
                for h in hits]

    def _narrowing(self, snap: Snapshot):
        """(`where` over clause indexes, documents to search within) for the filters; worked out
        once per snapshot and filter."""
        if not self._filters or not self._filters.filters:
            return None, ()

        def metadata(index: str) -> dict[str, str]:
            clause = snap.clauses[int(index)]
            return clause_metadata(clause, snap.documents[clause.doc_id])

        def build():
            keep = build_metadata_filter_fn(metadata, self._filters)
            kept = frozenset(i for i in range(len(snap.clauses)) if keep(str(i)))
            docs = tuple(dict.fromkeys(snap.clauses[i].doc_id for i in sorted(kept)))
            return kept.__contains__, docs if len(docs) <= FEW_DOCUMENTS else ()
        return snap.memo(f"llama_index_filter:{self._filters.model_dump_json()}", build)


class PolicyQueryEngine(CustomQueryEngine):
    """The answerer (structured answers, extractive answers, abstention) as a query engine.
    use_llm: free-text answers are phrased by the configured LLM when verified (kb.llm)."""

    kb: Any = Field(description="an open kb.api.KnowledgeBase")
    use_llm: bool = Field(default=False, description="phrase free-text answers with the configured LLM")

    def custom_query(self, query_str: str) -> Response:
        answer = self.kb.ask(query_str, llm=self.use_llm)
        uids = self._uids(self.kb.snapshot())
        nodes = [NodeWithScore(node=self._citation_node(c, uids), score=c.score) for c in answer.citations]
        return Response(response=answer.answer, source_nodes=nodes,
                        metadata={"abstained": answer.abstained, "responsible_units": answer.responsible_units,
                                  "kind": answer.kind, "llm": answer.llm})

    @staticmethod
    def _uids(snap: Snapshot) -> dict[tuple[str, str, str], str]:
        """(doc_id, clause_id, text) -> uid: a citation quotes one part of a clause."""
        return snap.memo("uid_by_text", lambda: {(c.doc_id, c.clause_id, c.text): c.uid for c in snap.clauses})

    @staticmethod
    def _citation_node(c: Citation, uids: dict) -> TextNode:
        uid = uids.get((c.doc_id, c.clause_id, c.quote), f"{c.doc_id}::{c.clause_id}#0")
        return TextNode(text=c.quote, id_=uid, metadata={
            "n": c.n, "doc_id": c.doc_id, "doc_title": c.doc_title, "doc_number": c.doc_number,
            "clause_id": c.clause_id, "section": c.section})
