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

import errno
import functools
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import bm25s
import numpy as np

from kb.schema import Clause, DiskFull, Document, IndexDamaged, InputError, Target

COLLECTION = "clauses"
SEARCH_EF = 2000
MANIFEST = "kb.json"
BM25_PREFIX = "bm25-"        # BM25 index directories beside the manifest
UPLOADS = "files"            # uploaded originals, under the data dir
ROOTS = "roots.json"         # every path ingested
MB = 1024 * 1024
# Free space an ingest must leave: SQLite's journal and Chroma's compaction of its write-ahead log
# need room beyond the rows themselves (a full disk mid-compaction leaves Chroma unreadable).
RESERVE_BYTES = 32 * MB
# Disk per vector while it is written: log entry, SQLite row (vector, text, metadata) and HNSW
# node; 8.8 MB for the 1,582 clauses of the plan and the 30 laws once compacted, doubled for the log.
VECTOR_BYTES = 12 * 1024


def embed_text(clause: Clause, doc_title: str) -> str:
    """What the encoder sees: where the clause sits, then its text."""
    return f"{doc_title} {' '.join(clause.path)}\n{clause.text}"


def vector_id(clause: Clause, doc_title: str, encoder_key: str) -> str:
    """The clause's vector as one encoder (kb.embed.key) made it from the clause's text."""
    digest = hashlib.sha1(f"{encoder_key}\n{embed_text(clause, doc_title)}".encode("utf-8")).hexdigest()[:16]
    return f"{clause.uid}@{digest}"


def rekeyed(rows: dict[str, list], documents: dict[str, Document], encoder_key: str) -> dict[str, list]:
    """doc_id -> [(clause, vector id, tokens)] with the vector ids of another encoder: rows whose
    vectors are all to be made anew, never mixed with the previous encoder's."""
    return {d: [(c, vector_id(c, documents[d].title, encoder_key), t) for c, _, t in r] for d, r in rows.items()}


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
    bm25_dir: str = ""              # where `bm25` is saved beside the manifest; "": not saved (yet)

    @classmethod
    def build(cls, generation: int, documents: dict[str, Document], clauses: list[Clause],
              vector_ids: list[str], tokens: list[list[str]], encoder: dict | None = None,
              saved_bm25: tuple[str, bm25s.BM25] | None = None) -> "Snapshot":
        """`saved_bm25`: (directory, index) read from disk; else BM25 is indexed from the tokens."""
        bm25_dir, bm25 = saved_bm25 or ("", None)
        if clauses and bm25 is None:
            bm25 = bm25s.BM25()
            bm25.index([t or ["∅"] for t in tokens], show_progress=False)
        return cls(generation, documents, clauses, vector_ids, tokens, bm25, encoder, bm25_dir)

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


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def _vector_errors(method):
    """The embedded Chroma store's own errors (SQLite, HNSW files, a full disk) become a Chinese
    message that says what is wrong and what to run; a Chroma server's errors pass unchanged."""
    @functools.wraps(method)
    def guarded(self: "Store", *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except InputError:
            raise
        except Exception as e:
            if self.chroma_url or not (isinstance(e, (sqlite3.Error, OSError))
                                       or type(e).__module__.startswith("chromadb")):
                raise
            raise self._vector_failure(e) from e
    return guarded


class Store:
    def __init__(self, data_dir: Path, chroma_url: str = "", create: bool = True):
        """create=False: a missing data dir is an error (a misspelled KB_DATA_DIR must not read as
        an empty knowledge base)."""
        self.data_dir = Path(data_dir)
        if not create and not self.data_dir.is_dir():
            raise InputError(f"知识库目录 {self.data_dir} 不存在（KB_DATA_DIR 或 --data-dir 是否写错？）。"
                             "如要新建知识库，请先运行 kb ingest")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.chroma_url = chroma_url
        self._client = None
        self._collection = None
        # Vector counts of the last two manifests loaded or saved: Chroma may also hold vectors
        # no manifest names (a running or killed ingest), which queries must look past.
        self._manifest_sizes: list[int] = []
        self._count: int | None = None    # Chroma's vector count, cached: counting costs a query
        self._bm25_dir = ""               # the BM25 directory of the last manifest loaded or saved

    # -- vectors -----------------------------------------------------------
    @property
    @_vector_errors
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
                try:
                    client = chromadb.PersistentClient(path=str(self.data_dir / "chroma"), settings=chroma_settings)
                except Exception:
                    _drop_cached_system(self.data_dir / "chroma")
                    raise
                name = COLLECTION
            try:
                collection = client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"})
                # A wide HNSW search: exact up to SEARCH_EF vectors, so answers repeat from run to run
                # (the default 100 missed true neighbours and differed between processes).
                if collection.configuration.get("hnsw", {}).get("ef_search", 0) < SEARCH_EF:
                    collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
            except BaseException:
                client.close()      # Chroma keeps one client per path: a damaged one must not stay
                raise
            self._client, self._collection = client, collection
        return self._collection

    @_vector_errors
    def existing_vector_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 2000):
            found.update(self.collection.get(ids=ids[start:start + 2000], include=[])["ids"])
        return found

    @_vector_errors
    def add_vectors(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict], documents: list[str]):
        self._count = None
        for start in range(0, len(ids), 1000):
            end = start + 1000
            self.collection.upsert(ids=ids[start:end], embeddings=vectors[start:end].tolist(),
                                   metadatas=metadatas[start:end], documents=documents[start:end])

    @_vector_errors
    def all_vector_ids(self) -> set[str]:
        ids: set[str] = set()
        total, offset = self.collection.count(), 0
        while offset < total:
            ids.update(self.collection.get(include=[], limit=5000, offset=offset)["ids"])
            offset += 5000
        return ids

    @_vector_errors
    def delete_vectors(self, ids: list[str]):
        self._count = None
        for start in range(0, len(ids), 2000):
            self.collection.delete(ids=ids[start:start + 2000])

    @_vector_errors
    def vector_count(self) -> int:
        if self._count is None:
            self._count = self.collection.count()
        return self._count

    @_vector_errors
    def reachable_vector_ids(self) -> set[str]:
        """Ids a similarity query can return. SQLite may list vectors the HNSW index lost (its
        segment folder deleted or damaged): those are found by get() but never by a query."""
        count = self.collection.count()
        if not count:
            return set()
        # Chroma records the dimension with the collection (no public accessor); fetched afresh,
        # since a collection object keeps what it was when created
        dimension = self._client.get_collection(self.collection.name)._model.dimension
        res = self.collection.query(query_embeddings=[[1.0] * dimension], n_results=count, include=[])
        return set(res["ids"][0])

    def reset_vectors(self) -> Path | None:
        """Move a damaged embedded vector store aside (kept, never deleted); the next use starts an
        empty one. Returns where it went."""
        chroma = self.data_dir / "chroma"
        if self.chroma_url or not chroma.exists():
            return None
        if self._client is not None:
            self._client.close()
        self._client, self._collection, self._count = None, None, None
        _drop_cached_system(chroma)
        aside = _aside(chroma, "damaged")
        chroma.rename(aside)
        return aside

    def _vector_failure(self, error: Exception) -> InputError:
        detail = str(error).strip().splitlines()[0][:120] if str(error).strip() else type(error).__name__
        free = free_bytes(self.data_dir)
        if _is_disk_full(error) or free < RESERVE_BYTES:
            return DiskFull(f"磁盘空间不足：{self.data_dir} 所在磁盘只剩 {_mb(free)}，向量库无法写入或读取"
                            f"（{detail}）。请释放空间后重试；之后如仍报错，运行 kb check --repair")
        return IndexDamaged(f"向量库 {self.data_dir / 'chroma'} 已损坏，无法使用（{detail}）。"
                            "请运行 kb check --repair 重建向量；条款和上传的原文件不受影响")

    def ensure_space(self, needed: int, reserve: int = RESERVE_BYTES) -> None:
        """DiskFull unless the data dir's disk has `needed` bytes free, and the reserve beyond."""
        free = free_bytes(self.data_dir)
        if free < needed + reserve:
            raise DiskFull(f"磁盘空间不足：{self.data_dir} 所在磁盘只剩 {_mb(free)}，本次写入约需 "
                           f"{_mb(needed + reserve)}（含 {_mb(reserve)} 余量）。"
                           "知识库保持原状，请释放空间后重试")

    @_vector_errors
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

    def manifest_size(self) -> int:
        try:
            return self.manifest_path.stat().st_size
        except FileNotFoundError:
            return 0

    def manifest_mtime(self) -> float:
        try:
            return self.manifest_path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def load(self) -> Snapshot:
        """IndexDamaged when kb.json is truncated, not JSON, or lacks what a manifest holds."""
        if not self.manifest_path.exists():
            return Snapshot.build(0, {}, [], [], [])
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            generation = int(data["generation"])
            documents = {d["doc_id"]: Document(**d) for d in data["documents"]}
            rows = data["clauses"]
            clauses = [_clause_from_dict(r["clause"]) for r in rows]
            vector_ids, tokens = [str(r["vector_id"]) for r in rows], [list(r["tokens"]) for r in rows]
            encoder = _encoder_record(data.get("encoder"))
            bm25_dir = data.get("bm25", "")
            if not isinstance(bm25_dir, str):
                raise TypeError("bm25")
        except (OSError, ValueError, LookupError, TypeError, AttributeError) as e:
            raise self._damaged_manifest(e) from e
        self._seen_manifest(len(rows))
        self._count = None      # another process may have written vectors
        self._bm25_dir = bm25_dir
        return Snapshot.build(generation, documents, clauses, vector_ids, tokens, encoder,
                              self._load_bm25(bm25_dir, len(rows)))

    def _load_bm25(self, name: str, clauses: int) -> tuple[str, bm25s.BM25] | None:
        """The BM25 index the manifest names, when it is there whole; else None (indexed again
        from the manifest's tokens: an index from before BM25 was saved, or a damaged one, which
        `kb check` reports)."""
        path = self.data_dir / name
        if not name.startswith(BM25_PREFIX) or Path(name).name != name or not path.is_dir():
            return None
        try:
            bm25 = bm25s.BM25.load(str(path), mmap=True, show_progress=False)
            complete = int(bm25.scores["num_docs"]) == clauses
        except (OSError, ValueError, LookupError, TypeError):
            return None
        return (name, bm25) if complete else None

    def _save_bm25(self, snapshot: Snapshot) -> str:
        """The snapshot's BM25 index in a new directory beside the manifest (a temporary one,
        renamed when whole); returns its name. DiskFull, with nothing left behind, when it does
        not fit."""
        if snapshot.bm25 is None:
            return ""
        scores = snapshot.bm25.scores
        size = sum(scores[part].nbytes for part in ("data", "indices", "indptr")) \
            + 64 * len(snapshot.bm25.vocab_dict)         # the vocabulary, as JSON
        self.ensure_space(size, reserve=MB)
        tmp = Path(tempfile.mkdtemp(dir=self.data_dir, prefix=f".{BM25_PREFIX}"))
        final = self.data_dir / f"{BM25_PREFIX}{snapshot.generation}-{tmp.name.removeprefix('.' + BM25_PREFIX)}"
        try:
            snapshot.bm25.save(str(tmp), show_progress=False)
            for f in tmp.iterdir():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
            os.rename(tmp, final)
        except BaseException as e:
            shutil.rmtree(tmp, ignore_errors=True)
            if _is_disk_full(e):
                raise _out_of_space(final) from e
            raise
        return final.name

    def _drop_old_bm25(self, keep: set[str]):
        """BM25 directories no manifest names any more, and temporary ones of a killed run
        (writers hold the ingest lock). The previous one stays: a reader may have just read its
        manifest."""
        for d in [*self.data_dir.glob(f"{BM25_PREFIX}*"), *self.data_dir.glob(f".{BM25_PREFIX}*")]:
            if d.name not in keep and d.is_dir():
                shutil.rmtree(d, ignore_errors=True)

    def _damaged_manifest(self, error: Exception) -> IndexDamaged:
        if isinstance(error, OSError):
            reason = f"无法读取：{error.strerror or error}"
        elif isinstance(error, ValueError):
            reason = "内容不完整或不是有效的 JSON"
        else:
            reason = f"缺少或错误的字段 {str(error)[:60]}"
        return IndexDamaged(f"索引文件 {self.manifest_path} 已损坏（{reason}），知识库无法读取。"
                            f"请运行 kb rebuild 从原文件重建索引；上传的原文件在 {self.data_dir / UPLOADS}，不会丢失")

    def move_manifest_aside(self, why: str = "damaged") -> Path | None:
        """kb.json is kept for inspection under a new name, never deleted."""
        if not self.manifest_path.exists():
            return None
        aside = _aside(self.manifest_path, why)
        self.manifest_path.rename(aside)
        return aside

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
        try:
            self._write_json(self.manifest_path, data)
        except BaseException:
            if bm25_dir:
                shutil.rmtree(self.data_dir / bm25_dir, ignore_errors=True)
            raise
        self._seen_manifest(len(snapshot.vector_ids))
        self._bm25_dir = snapshot.bm25_dir = bm25_dir
        self._drop_old_bm25({bm25_dir, previous})

    def _write_json(self, path: Path, data):
        """Atomic (a temporary file, then os.replace); DiskFull, with nothing changed, when the
        disk has no room for it."""
        payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.ensure_space(len(payload), reserve=MB)      # no Chroma write follows: a small margin
        fd, tmp = tempfile.mkstemp(dir=self.data_dir, prefix=".kb-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException as e:
            Path(tmp).unlink(missing_ok=True)
            if _is_disk_full(e):
                raise _out_of_space(path) from e
            raise

    # -- what was ingested: for `kb rebuild` when the manifest is lost ----------------------
    def roots(self) -> list[Path]:
        """Every file and directory ever ingested (uploads apart)."""
        try:
            return [Path(p) for p in json.loads((self.data_dir / ROOTS).read_text(encoding="utf-8"))["paths"]]
        except (OSError, ValueError, LookupError, TypeError):
            return []

    def remember_roots(self, paths: list[Path]):
        known = self.roots()
        new = [p for p in paths if p not in known and not p.is_relative_to(self.data_dir / UPLOADS)]
        if new:
            self._write_json(self.data_dir / ROOTS, {"paths": [str(p) for p in known + new]})


def _drop_cached_system(chroma_dir: Path):
    """Chroma keeps one system per path for the life of the process, even one that failed to start
    (a damaged chroma.sqlite3), and every later client on that path gets it back. Dropped, the next
    client starts afresh (Chroma has no public call for this)."""
    from chromadb.api.shared_system_client import SharedSystemClient
    SharedSystemClient._identifier_to_system.pop(str(chroma_dir), None)
    SharedSystemClient._identifier_to_refcount.pop(str(chroma_dir), None)


def _is_disk_full(error: BaseException) -> bool:
    text = str(error).lower()
    return (isinstance(error, OSError) and error.errno == errno.ENOSPC) or "disk is full" in text \
        or "no space left" in text


def _out_of_space(path: Path) -> DiskFull:
    return DiskFull(f"磁盘空间不足：写入 {path} 时空间用尽。知识库保持原状，请释放空间后重试")


_ENCODER_FIELDS = ("model", "backend", "precision", "sha256")


def _encoder_record(record) -> dict | None:
    """The manifest's record of its encoder (kb.embed.record_for), checked: TypeError when malformed."""
    if record is not None and not (isinstance(record, dict)
                                   and all(isinstance(record.get(f), str) for f in _ENCODER_FIELDS)):
        raise TypeError("encoder")
    return record


def _aside(path: Path, why: str) -> Path:
    """path.<why>-<time>, a name not yet taken."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        aside = path.with_name(f"{path.name}.{why}-{stamp}" + (f"-{n}" if n else ""))
        if not aside.exists():
            return aside
    raise FileExistsError(path)


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"
