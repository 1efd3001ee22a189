"""Persistence: clause facts (one JSON manifest), vectors (Chroma), BM25 (rebuilt from stored tokens).

Writes are atomic per ingest run. The manifest `kb.json` is the source of truth and is replaced
with os.replace() only after every vector it names is in Chroma. Vector ids carry a content hash,
so unchanged clauses keep their vectors and a half-finished run leaves only orphan vectors, which
readers ignore (they keep to the manifest's ids) and the next run deletes.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import bm25s
import numpy as np

from kb.schema import Clause, Document, Target

COLLECTION = "clauses"
SEARCH_EF = 2000
MANIFEST = "kb.json"


def embed_text(clause: Clause, doc_title: str) -> str:
    """What the encoder sees: where the clause sits, then its text."""
    return f"{doc_title} {' '.join(clause.path)}\n{clause.text}"


def vector_id(clause: Clause, doc_title: str) -> str:
    digest = hashlib.sha1(embed_text(clause, doc_title).encode("utf-8")).hexdigest()[:16]
    return f"{clause.uid}@{digest}"


@dataclass
class Snapshot:
    """One consistent, immutable state of the knowledge base, as readers see it."""
    generation: int
    documents: dict[str, Document]
    clauses: list[Clause]
    vector_ids: list[str]
    tokens: list[list[str]]
    bm25: bm25s.BM25 | None

    @classmethod
    def build(cls, generation: int, documents: dict[str, Document], clauses: list[Clause],
              vector_ids: list[str], tokens: list[list[str]]) -> "Snapshot":
        bm25 = None
        if clauses:
            bm25 = bm25s.BM25()
            bm25.index([t or ["∅"] for t in tokens], show_progress=False)
        return cls(generation, documents, clauses, vector_ids, tokens, bm25)

    @functools.cached_property
    def index_of(self) -> dict[str, int]:
        return {vid: i for i, vid in enumerate(self.vector_ids)}

    def memo(self, key: str, compute):
        """A value derived from this snapshot, computed once (the snapshot never changes)."""
        cache = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    @functools.cached_property
    def doc_freq(self) -> dict[str, int]:
        """token -> number of clauses containing it (for idf weights at answer time)."""
        df: dict[str, int] = {}
        for toks in self.tokens:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        return df

    @functools.cached_property
    def corpus_text(self) -> str:
        """All titles and clause texts, folded: "does the knowledge base mention X at all"."""
        from kb.textnorm import fold
        return fold("\n".join([d.title for d in self.documents.values()] + [c.text for c in self.clauses]))

    def keyword_scores(self, query_tokens: list[str]) -> np.ndarray:
        if self.bm25 is None or not query_tokens:
            return np.zeros(len(self.clauses), dtype=np.float32)
        return self.bm25.get_scores(query_tokens)


def _clause_from_dict(d: dict) -> Clause:
    d = dict(d)
    d["targets"] = [Target(**t) for t in d.get("targets", [])]
    return Clause(**d)


class Store:
    def __init__(self, data_dir: Path, chroma_url: str = ""):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.chroma_url = chroma_url
        self._collection = None
        # Vector counts of the last two manifests loaded or saved: Chroma may also hold vectors
        # no manifest names (a running or killed ingest), which queries must look past.
        self._manifest_sizes: list[int] = []
        self._count: int | None = None    # Chroma's vector count, cached: counting costs a query

    # -- vectors -----------------------------------------------------------
    @property
    def collection(self):
        if self._collection is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings
            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            if self.chroma_url:
                from urllib.parse import urlparse
                url = urlparse(self.chroma_url)
                client = chromadb.HttpClient(host=url.hostname, port=url.port or 8000,
                                             ssl=url.scheme == "https", settings=chroma_settings)
                # Several knowledge bases may share one server: one collection per data dir.
                name = f"{COLLECTION}-{hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:10]}"
            else:
                client = chromadb.PersistentClient(path=str(self.data_dir / "chroma"), settings=chroma_settings)
                name = COLLECTION
            collection = client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"})
            # A wide HNSW search: exact up to SEARCH_EF vectors, so answers repeat from run to run
            # (the default 100 missed true neighbours and differed between processes).
            if collection.configuration.get("hnsw", {}).get("ef_search", 0) < SEARCH_EF:
                collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
            self._collection = collection
        return self._collection

    def existing_vector_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 2000):
            found.update(self.collection.get(ids=ids[start:start + 2000], include=[])["ids"])
        return found

    def add_vectors(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict], documents: list[str]):
        self._count = None
        for start in range(0, len(ids), 1000):
            end = start + 1000
            self.collection.upsert(ids=ids[start:end], embeddings=vectors[start:end].tolist(),
                                   metadatas=metadatas[start:end], documents=documents[start:end])

    def all_vector_ids(self) -> set[str]:
        ids: set[str] = set()
        total, offset = self.collection.count(), 0
        while offset < total:
            ids.update(self.collection.get(include=[], limit=5000, offset=offset)["ids"])
            offset += 5000
        return ids

    def delete_vectors(self, ids: list[str]):
        self._count = None
        for start in range(0, len(ids), 2000):
            self.collection.delete(ids=ids[start:start + 2000])

    def vector_count(self) -> int:
        if self._count is None:
            self._count = self.collection.count()
        return self._count

    def query_vectors(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        count = self.vector_count()
        if count == 0:
            return []
        # Callers keep to their manifest's ids; fetch enough that vectors outside it (orphans of
        # an unfinished ingest) cannot push the manifest's own nearest vectors out of the top n.
        outside = max(count - min(self._manifest_sizes), 0) if self._manifest_sizes else 0
        res = self.collection.query(query_embeddings=[vector.tolist()], n_results=min(n + outside, count),
                                    include=["distances"])
        return [(vid, 1.0 - dist) for vid, dist in zip(res["ids"][0], res["distances"][0])]

    # -- manifest ----------------------------------------------------------
    def _seen_manifest(self, size: int):
        self._manifest_sizes = (self._manifest_sizes + [size])[-2:]

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / MANIFEST

    def manifest_mtime(self) -> float:
        try:
            return self.manifest_path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def load(self) -> Snapshot:
        if not self.manifest_path.exists():
            return Snapshot.build(0, {}, [], [], [])
        data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        documents = {d["doc_id"]: Document(**d) for d in data["documents"]}
        rows = data["clauses"]
        self._seen_manifest(len(rows))
        self._count = None      # another process may have written vectors
        clauses = [_clause_from_dict(r["clause"]) for r in rows]
        return Snapshot.build(data["generation"], documents, clauses,
                              [r["vector_id"] for r in rows], [r["tokens"] for r in rows])

    def save(self, snapshot: Snapshot):
        """Atomic: a reader sees the old manifest or the new one, never a partial file."""
        data = {
            "generation": snapshot.generation,
            "documents": [asdict(d) for d in snapshot.documents.values()],
            "clauses": [{"vector_id": v, "tokens": t, "clause": asdict(c)}
                        for c, v, t in zip(snapshot.clauses, snapshot.vector_ids, snapshot.tokens)],
        }
        fd, tmp = tempfile.mkstemp(dir=self.data_dir, prefix=".kb-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.manifest_path)
            self._seen_manifest(len(snapshot.vector_ids))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
