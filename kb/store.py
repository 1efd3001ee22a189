"""Persistence: clause facts (one JSON manifest), vectors (Chroma), BM25 (saved beside the manifest).

Writes are atomic per ingest run. The manifest `kb.json` is the source of truth and is replaced
with os.replace() only after every vector it names is in Chroma and the BM25 index it names is on
disk (`bm25-<generation>-<n>/`, bm25s' own format, written to a temp dir and renamed). Vector ids
carry a hash of the clause text and of the encoder, so unchanged clauses keep their vectors, a
new encoder gets new vectors (never a mix), and a half-finished run leaves only orphan vectors,
which readers ignore (they keep to the manifest's ids) and the next run deletes. The manifest
records the encoder that made its vectors (kb.embed.record_for).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import bm25s
import numpy as np

from kb.schema import Clause, Document, Target

COLLECTION = "clauses"
SEARCH_EF = 2000
MANIFEST = "kb.json"
BM25_PREFIX = "bm25-"


def embed_text(clause: Clause, doc_title: str) -> str:
    """What the encoder sees: where the clause sits, then its text."""
    return f"{doc_title} {' '.join(clause.path)}\n{clause.text}"


def vector_id(clause: Clause, doc_title: str, encoder_key: str) -> str:
    """The clause's vector as one encoder (kb.embed.key) made it from the clause's text."""
    digest = hashlib.sha1(f"{encoder_key}\n{embed_text(clause, doc_title)}".encode("utf-8")).hexdigest()[:16]
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
    encoder: dict | None = None     # kb.embed.record_for(...) of the vectors; None: written before records

    @classmethod
    def build(cls, generation: int, documents: dict[str, Document], clauses: list[Clause],
              vector_ids: list[str], tokens: list[list[str]], encoder: dict | None = None,
              bm25: bm25s.BM25 | None = None) -> "Snapshot":
        if clauses and bm25 is None:
            bm25 = bm25s.BM25()
            bm25.index([t or ["∅"] for t in tokens], show_progress=False)
        return cls(generation, documents, clauses, vector_ids, tokens, bm25, encoder)

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
        self._bm25_dir = ""               # the BM25 directory of the last manifest loaded or saved

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
        self._bm25_dir = data.get("bm25", "")
        return Snapshot.build(data["generation"], documents, clauses,
                              [r["vector_id"] for r in rows], [r["tokens"] for r in rows],
                              data.get("encoder"), self._load_bm25(data.get("bm25", ""), len(rows)))

    def _load_bm25(self, name: str, clauses: int) -> bm25s.BM25 | None:
        """The BM25 index the manifest names, when it is there whole; else None (rebuilt from the
        manifest's tokens: an index from before BM25 was saved, or a damaged one)."""
        if not name or not (self.data_dir / name).is_dir():
            return None
        try:
            bm25 = bm25s.BM25.load(str(self.data_dir / name), mmap=True, show_progress=False)
        except (OSError, ValueError, KeyError):
            return None
        return bm25 if int(bm25.scores["num_docs"]) == clauses else None

    def _save_bm25(self, snapshot: Snapshot) -> str:
        """The snapshot's BM25 index in a new directory beside the manifest; returns its name."""
        if snapshot.bm25 is None:
            return ""
        tmp = Path(tempfile.mkdtemp(dir=self.data_dir, prefix=f".{BM25_PREFIX}"))
        try:
            snapshot.bm25.save(str(tmp), show_progress=False)
            for f in tmp.iterdir():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
            final = self.data_dir / f"{BM25_PREFIX}{snapshot.generation}-{tmp.name.removeprefix('.' + BM25_PREFIX)}"
            os.rename(tmp, final)
            return final.name
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _drop_old_bm25(self, keep: set[str]):
        """BM25 directories no manifest names any more, and temp ones of a killed run (writers
        hold the ingest lock). The previous one stays: a reader may have just read its manifest."""
        for d in [*self.data_dir.glob(f"{BM25_PREFIX}*"), *self.data_dir.glob(f".{BM25_PREFIX}*")]:
            if d.name not in keep:
                shutil.rmtree(d, ignore_errors=True)

    def save(self, snapshot: Snapshot):
        """Atomic: a reader sees the old manifest or the new one, never a partial file; the BM25
        index the new manifest names is on disk before the manifest is."""
        previous = self._bm25_dir
        bm25_dir = self._save_bm25(snapshot)
        data = {
            "generation": snapshot.generation,
            "encoder": snapshot.encoder,
            "bm25": bm25_dir,
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
            self._bm25_dir = bm25_dir
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            if bm25_dir:
                shutil.rmtree(self.data_dir / bm25_dir, ignore_errors=True)
            raise
        self._drop_old_bm25({bm25_dir, previous})
