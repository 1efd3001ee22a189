"""Baseline: the llama-index quick-start pipeline over the same files, scored by the same scorer.

SimpleDirectoryReader -> SentenceSplitter (defaults) -> VectorStoreIndex on a ChromaVectorStore
(chromadb EphemeralClient) with HuggingFaceEmbedding(m3e-small) -> retriever top-k.

* The answer is the top chunk's text; the baseline never abstains.
* Chunks are mapped to clause ids by text overlap with the clause texts from `kb.clauses()`:
  a clause belongs to a chunk when at least COVER of its character n-grams occur in the chunk
  (or it is the best-covered clause when none does); within a chunk, clauses are ordered by the
  number of shared n-grams, most first. Citations = the clauses of the top chunk; the ranked clause
  list (all top-k chunks, deduplicated) is used for the retrieval metrics.
* responsible_units = the known unit names that occur in the top chunk.
* Chunk vectors are cached on disk (keyed by model and text) so that a re-run does not re-embed.
Offline: Settings.llm = None, the embedding model is loaded from its local folder.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import kb.config  # noqa: F401  (offline environment before any model code loads)
from kb.textnorm import fold

NGRAM = 6
COVER = 0.5
TOP_K = 10


def _grams(text: str, n: int = NGRAM) -> frozenset[str]:
    key = "".join(fold(text).split())
    if len(key) <= n:
        return frozenset([key]) if key else frozenset()
    return frozenset(key[i:i + n] for i in range(len(key) - n + 1))


@dataclass
class _ClauseGrams:
    doc_id: str
    clause_id: str
    grams: frozenset[str]


class ClauseMapper:
    """Maps a chunk of a document to the clause ids it contains, by n-gram overlap."""

    def __init__(self, clauses):
        self.by_doc: dict[str, list[_ClauseGrams]] = {}
        merged: dict[tuple[str, str], set[str]] = {}
        for c in clauses:                       # split parts of one clause count as one clause
            merged.setdefault((c.doc_id, c.clause_id), set()).update(_grams(c.text))
        for (doc, cid), grams in merged.items():
            if grams:
                self.by_doc.setdefault(doc, []).append(_ClauseGrams(doc, cid, frozenset(grams)))
        self._cache: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def map(self, doc_id: str, chunk: str) -> list[tuple[str, str]]:
        key = (doc_id, chunk)
        if key in self._cache:
            return self._cache[key]
        grams = _grams(chunk)
        scored = []
        for i, cg in enumerate(self.by_doc.get(doc_id, [])):
            shared = len(cg.grams & grams)
            if shared:
                scored.append((shared, shared / len(cg.grams), i, cg))
        inside = [s for s in scored if s[1] >= COVER]
        if not inside and scored:
            inside = [max(scored, key=lambda s: (s[1], s[0], -s[2]))]
        inside.sort(key=lambda s: (-s[0], s[2]))
        out = [(s[3].doc_id, s[3].clause_id) for s in inside]
        self._cache[key] = out
        return out


def _file_metadata(path: str) -> dict:
    """The reader's default metadata minus what depends on the checkout: the pipeline embeds
    `file_path` with every chunk, so it is written relative ("corpus/….txt", "related/….md") and the
    baseline ranks the same wherever the repository lives; dates and sizes are left out (the default
    pipeline excludes them from embeddings anyway)."""
    p = Path(path)
    return {"file_path": f"{p.parent.name}/{p.name}", "file_name": p.name}


def source_files(paths: list[Path]) -> list[Path]:
    """The files the knowledge base ingests from these paths (same suffixes, name order)."""
    suffixes = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in suffixes
                          and not f.name.startswith("."))
        elif p.is_file():
            out.append(p)
    return out


class Baseline:
    def __init__(self, paths: list[Path], clauses, unit_names: list[str], model_dir: str | None = None,
                 top_k: int = TOP_K, cache_dir: Path | None = None):
        t0 = time.perf_counter()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import chromadb
        from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        if model_dir is None:
            from kb.embed import model_path
            model_dir = str(model_path())
        Settings.llm = None
        embed = HuggingFaceEmbedding(model_name=model_dir, device="cpu")
        Settings.embed_model = embed

        files = source_files(paths)
        docs = SimpleDirectoryReader(input_files=[str(f) for f in files], filename_as_id=True,
                                     file_metadata=_file_metadata).load_data()
        client = chromadb.EphemeralClient()
        name = "baseline"
        try:
            client.delete_collection(name)
        except Exception:
            pass
        # ef_search far above the number of chunks makes the HNSW search exhaustive, so results do
        # not change from run to run (the default ef_search=100 gave different tails across runs)
        collection = client.create_collection(name, configuration={"hnsw": {
            "space": "cosine", "ef_search": 2000, "ef_construction": 400, "max_neighbors": 32}})
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        nodes = SentenceSplitter().get_nodes_from_documents(docs)
        self.embedded = self._fill_embeddings(nodes, embed, model_dir, cache_dir)
        self.index = VectorStoreIndex(nodes, storage_context=storage, embed_model=embed)
        self.retriever = self.index.as_retriever(similarity_top_k=top_k)
        self.mapper = ClauseMapper(clauses)
        self.units = [(u, fold(u)) for u in unit_names]
        self.n_files = len(files)
        self.n_chunks = collection.count()
        self.build_seconds = time.perf_counter() - t0

    @staticmethod
    def _fill_embeddings(nodes, embed, model_dir: str, cache_dir: Path | None) -> int:
        """Chunk vectors from a cache keyed by (model, text the pipeline embeds); embeds the rest.
        Only saves time: VectorStoreIndex embeds exactly the nodes whose embedding is None."""
        from llama_index.core.schema import MetadataMode
        cache: dict[str, list[float]] = {}
        path = Path(cache_dir) / "embeddings.json" if cache_dir else None
        if path and path.exists():
            try:
                cache = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                cache = {}
        keys = [hashlib.sha256((Path(model_dir).name + "\0" + n.get_content(metadata_mode=MetadataMode.EMBED))
                               .encode("utf-8")).hexdigest() for n in nodes]
        todo = [i for i, k in enumerate(keys) if k not in cache]
        if todo:
            vecs = embed.get_text_embedding_batch([nodes[i].get_content(metadata_mode=MetadataMode.EMBED)
                                                   for i in todo])
            for i, v in zip(todo, vecs):
                cache[keys[i]] = [float(x) for x in v]
        for n, k in zip(nodes, keys):
            n.embedding = cache[k]
        if path and todo:
            path.parent.mkdir(parents=True, exist_ok=True)
            live = {k: cache[k] for k in keys}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(live), encoding="utf-8")
            tmp.replace(path)
        return len(todo)

    @staticmethod
    def _doc_id(node) -> str:
        name = node.metadata.get("file_name") or Path(node.metadata.get("file_path", "")).name
        return Path(name).stem

    def query_vectors(self, questions: list[str]) -> list[list[float]] | None:
        """Question vectors in one batch — the same vectors the retriever would compute one by one
        (m3e-small has no query instruction); None when the model distinguishes queries."""
        embed = self.index._embed_model
        if getattr(embed, "query_instruction", None) or getattr(embed, "text_instruction", None):
            return None
        return embed.get_text_embedding_batch(list(questions))

    def run(self, question: str, vector: list[float] | None = None) -> tuple[dict, list[tuple[str, str]]]:
        """(answer-contract dict, ranked deduplicated clause list)."""
        from llama_index.core.schema import QueryBundle
        nodes = self.retriever.retrieve(QueryBundle(query_str=question, embedding=vector)
                                        if vector is not None else question)
        # ties (equal scores) are broken by text so that the order never depends on chunk uuids
        nodes = sorted(nodes, key=lambda n: (-round(float(n.score or 0.0), 6), n.node.get_content()))
        ranked: list[tuple[str, str]] = []
        per_chunk = []
        for n in nodes:
            pairs = self.mapper.map(self._doc_id(n.node), n.node.get_content())
            per_chunk.append(pairs)
            for p in pairs:
                if p not in ranked:
                    ranked.append(p)
        top = nodes[0].node.get_content() if nodes else ""
        top_key = fold(top)
        answer = {
            "question": question,
            "answer": top,
            "abstained": False,
            "responsible_units": [u for u, key in self.units if key and key in top_key],
            "citations": [{"n": i + 1, "doc_id": d, "clause_id": c, "score": float(nodes[0].score or 0.0)}
                          for i, (d, c) in enumerate(per_chunk[0] if per_chunk else [])],
            "kind": "baseline",
        }
        return answer, ranked
