"""The Python API that the CLI and the web app both call. No UI logic here."""
from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from filelock import FileLock

from ingest.read import SUPPORTED, sha256_bytes

from kb import units as unit_db
from kb.config import Settings
from kb.schema import Answer, Clause, Document, InputError, ScoredClause, Target
from kb.store import Snapshot, Store, embed_text, vector_id
from kb.textnorm import fold
from kb.tokenize import tokens

Progress = Callable[[int, int, str], None]   # (done, total, what)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)      # doc_ids new or changed
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # file name -> reason
    clauses: int = 0          # clauses (re)embedded in this run
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _collect(paths: list[str | Path]) -> tuple[list[Path], list[Path]]:
    """(files to read, directories scanned): directories are read recursively, in name order."""
    files, dirs = [], []
    for p in map(Path, paths):
        if p.is_dir():
            dirs.append(p.resolve())
            files += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED
                            and not f.name.startswith("."))
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"找不到文件或目录：{p}")
    return [f.resolve() for f in files], dirs


class KnowledgeBase:
    """Open once per process; thread-safe for queries; writes are atomic."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.data_dir, settings.chroma_url)
        self._snap_mtime = -1     # never a real mtime: the first snapshot() always loads
        self._snap = self.snapshot()
        self._write_lock = threading.Lock()
        from kb.retrieve import Retriever
        self.retriever = Retriever(self.store, self.snapshot)

    @classmethod
    def open(cls, data_dir: str | Path | None = None) -> "KnowledgeBase":
        settings = Settings.from_env()
        if data_dir is not None:
            settings = Settings(**{**settings.__dict__, "data_dir": Path(data_dir).resolve()})
        return cls(settings)

    def snapshot(self) -> Snapshot:
        """The current state; picks up an ingest finished by another process."""
        mtime = self.store.manifest_mtime()
        if mtime != self._snap_mtime:
            self._use(self.store.load(), mtime)
        return self._snap

    def _use(self, snap: Snapshot, mtime: float):
        from kb.retrieve import title_keys
        from kb.tokenize import add_words
        add_words(k for d in snap.documents.values() for k in title_keys(d))
        self._snap, self._snap_mtime = snap, mtime

    # -- questions -------------------------------------------------------
    def ask(self, question: str, history: list[str] | None = None, llm: bool = False) -> Answer:
        """Answer contract. `history`: earlier questions of the chat, for follow-ups. `llm`: a
        free-text answer is rephrased by the configured LLM when its text passes verification
        (kb.llm); the answer then carries an `llm` note either way.
        Raises InputError for an empty or oversized question."""
        from kb.answer import Answerer
        return Answerer(self).answer(question, history or [], llm=llm)

    def retrieve(self, question: str, mode: str = "hybrid", k: int = 10) -> list[ScoredClause]:
        """mode: "hybrid" | "dense" | "keyword"."""
        from kb.answer import check_question
        return self.retriever.search(check_question(question, self.settings.max_question_chars), mode, k)

    # -- structured knowledge -------------------------------------------
    def documents(self) -> list[Document]:
        return list(self.snapshot().documents.values())

    def clauses(self, doc_id: str | None = None) -> list[Clause]:
        return [c for c in self.snapshot().clauses if doc_id is None or c.doc_id == doc_id]

    def unit_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for c in self.snapshot().clauses:
            for u in c.units:
                seen.setdefault(u)
                for m in unit_db.members(u):
                    seen.setdefault(m)
        return list(seen)

    def unit_tasks(self, name: str, snap: Snapshot | None = None) -> tuple[str, list[Clause]]:
        """Every clause a unit is responsible for, in document order (groups such as 10县市人民政府
        count for their members). Raises InputError for an unknown unit."""
        canonical = unit_db.canonical(name)
        if not canonical:
            raise InputError(f"未找到单位“{name}”")
        return canonical, self._clauses_naming("units", unit_db.covering(canonical), snap)

    def mention_tasks(self, name: str, snap: Snapshot | None = None) -> list[Clause]:
        """Clauses whose text names a school or body (not responsibility)."""
        return self._clauses_naming("mentions", [unit_db.canonical(name) or name], snap)

    def _clauses_naming(self, field: str, names, snap: Snapshot | None) -> list[Clause]:
        """First parts of the clauses whose `field` (units or mentions) holds one of the names, in
        document order; looked up in an index built once per snapshot."""
        snap = snap or self.snapshot()

        def build() -> dict[str, list[int]]:
            index: dict[str, list[int]] = {}
            for i, c in enumerate(snap.clauses):
                for name in getattr(c, field):
                    index.setdefault(name, []).append(i)
            return index
        index = snap.memo(f"clauses_by_{field}", build)
        found = sorted({i for name in names for i in index.get(name, [])})
        return self._first_parts(snap.clauses[i] for i in found)

    @staticmethod
    def _first_parts(clauses) -> list[Clause]:
        seen, out = set(), []
        for c in clauses:
            if (c.doc_id, c.clause_id) not in seen:
                seen.add((c.doc_id, c.clause_id))
                out.append(c)
        return out

    def references(self, clause: Clause) -> list[Clause]:
        """Articles a clause refers to: 依照本法第二十四条 (same document) or
        《中华人民共和国职业教育法》第三十条 (another document, when it is held)."""
        from kb.retrieve import named_documents
        found: list[Clause] = []
        for m in _ARTICLE_REF.finditer(clause.text):
            if m["title"]:
                doc_ids = named_documents(m["title"], self.snapshot())
            else:
                doc_ids = [clause.doc_id]
            for doc_id in doc_ids[:1]:
                target = next((c for c in self.snapshot().clauses
                               if c.doc_id == doc_id and c.clause_id.split("第")[-1] == m["article"][1:]), None)
                if target and target.uid != clause.uid and target not in found:
                    found.append(target)
        return found

    def targets(self) -> list[tuple[Clause, Target]]:
        return [(c, t) for c in self.snapshot().clauses for t in c.targets]

    def missing_citations(self) -> list[dict]:
        """Documents cited (《…》 / 文号) that the knowledge base does not hold."""
        docs = self.snapshot().documents.values()
        held_titles = {fold(d.title) for d in docs} | {fold(d.notice_title) for d in docs if d.notice_title}
        held_numbers = {fold(d.doc_number) for d in docs if d.doc_number}
        missing: dict[str, dict] = {}
        for d in docs:
            for cite in d.cites:
                title, number = fold(cite["title"]), fold(cite.get("doc_number", ""))
                inner = {fold(t) for t in _inner_titles(cite["title"])}
                if title in held_titles or (number and number in held_numbers) or inner & held_titles:
                    continue
                key = number or title
                entry = missing.setdefault(key, {"title": cite["title"], "doc_number": cite.get("doc_number", ""),
                                                 "cited_by": []})
                entry["cited_by"].append(d.title)
        return list(missing.values())

    # -- writes ------------------------------------------------------------
    def ingest(self, paths: list[str | Path], progress: Progress | None = None) -> IngestReport:
        """Index files and directories. Unchanged files cost nothing; files gone from a scanned
        directory are removed. Atomic: a crash leaves the previous state answering."""
        from ingest.pipeline import PIPELINE_VERSION, keyword_text, parse_document
        from kb.retrieve import title_keys
        from kb.tokenize import add_words
        started = time.perf_counter()
        report = IngestReport()
        files, dirs = _collect(paths)
        with self._write_lock, FileLock(str(self.settings.data_dir / ".ingest.lock")):
            snap = self.store.load()
            self._sweep(snap)
            documents = dict(snap.documents)
            rows = {}    # doc_id -> [(clause, vector_id, tokens)]
            for c, v, t in zip(snap.clauses, snap.vector_ids, snap.tokens):
                rows.setdefault(c.doc_id, []).append((c, v, t))
            seen_ids = set()
            parsed: dict[str, list[Clause]] = {}
            for n, path in enumerate(files, 1):
                if progress:
                    progress(n - 1, len(files), f"读取 {path.name}")
                data = path.read_bytes()
                doc_id = path.stem
                seen_ids.add(doc_id)
                old = documents.get(doc_id)
                if old and old.sha256 == sha256_bytes(data) and old.pipeline == PIPELINE_VERSION:
                    report.unchanged.append(doc_id)
                    continue
                try:
                    doc, clauses = parse_document(data, path.name, self.settings.max_file_bytes)
                except InputError as e:
                    report.rejected[path.name] = str(e)
                    continue
                doc.source = str(path)
                documents[doc_id] = doc
                parsed[doc_id] = clauses
                report.added.append(doc_id)
            # every title is a word before any clause is tokenised, so a fresh ingest stores the
            # same tokens as a re-ingest in a process that opened the knowledge base first
            add_words(k for d in documents.values() for k in title_keys(d))
            for doc_id, clauses in parsed.items():
                title = documents[doc_id].title
                rows[doc_id] = [(c, vector_id(c, title), tokens(keyword_text(c, title))) for c in clauses]
            for doc_id, doc in list(documents.items()):
                source = Path(doc.source)
                if doc_id not in seen_ids and any(source.is_relative_to(d) for d in dirs) and not source.exists():
                    del documents[doc_id]
                    rows.pop(doc_id, None)
                    report.removed.append(doc_id)
            if report.changed:
                report.clauses = self._embed_missing(documents, rows, progress)
                self._commit(snap.generation + 1, documents, rows)
            else:
                # Nothing to re-parse, but vectors lost from Chroma are restored (ids are content
                # hashes, so the manifest stays as it is); usually an id lookup and nothing else.
                report.clauses = self._embed_missing(documents, rows, progress)
        report.seconds = time.perf_counter() - started
        return report

    def _sweep(self, snap: Snapshot, grace_seconds: float = 600):
        """Leftovers of a killed run (called under the ingest lock): manifest temp files, and
        uploads that never reached a manifest. Recent files may belong to an upload under way."""
        now = time.time()
        uploads = self.settings.data_dir / "files"
        held = {Path(d.source) for d in snap.documents.values()}
        candidates = list(self.settings.data_dir.glob(".kb-*.json"))
        if uploads.is_dir():
            candidates += [f for f in uploads.iterdir() if f.is_file() and f not in held]
        for f in candidates:
            try:
                if now - f.stat().st_mtime > grace_seconds:
                    f.unlink()
            except FileNotFoundError:
                pass

    def _embed_missing(self, documents, rows, progress: Progress | None) -> int:
        from kb.embed import embed
        todo = [(c, v) for doc_rows in rows.values() for c, v, _ in doc_rows]
        have = self.store.existing_vector_ids([v for _, v in todo])
        todo = [(c, v) for c, v in todo if v not in have]
        # Similar lengths in one batch waste less padding.
        todo.sort(key=lambda cv: len(cv[0].text))
        batch = 64
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            if progress:
                progress(start, len(todo), "向量化条款")
            texts = [embed_text(c, documents[c.doc_id].title) for c, _ in chunk]
            self.store.add_vectors([v for _, v in chunk], embed(texts),
                                   [{"doc_id": c.doc_id, "clause_id": c.clause_id, "part": c.part} for c, _ in chunk],
                                   [c.text for c, _ in chunk])
        if progress:
            progress(len(todo), len(todo), "完成")
        return len(todo)

    def _commit(self, generation: int, documents: dict[str, Document], rows: dict[str, list]):
        ordered = [r for doc_id in documents for r in rows.get(doc_id, [])]
        snap = Snapshot.build(generation, documents, [r[0] for r in ordered], [r[1] for r in ordered],
                              [r[2] for r in ordered])
        self.store.save(snap)
        self._use(snap, self.store.manifest_mtime())
        orphans = self.store.all_vector_ids() - set(snap.vector_ids)
        self.store.delete_vectors(sorted(orphans))

    def add_file(self, filename: str, data: bytes, progress: Progress | None = None) -> IngestReport:
        """An uploaded file: validated and parsed before anything is written."""
        from ingest.pipeline import parse_document
        from ingest.read import safe_filename
        name = safe_filename(filename)
        doc, _ = parse_document(data, name, self.settings.max_file_bytes)   # raises InputError
        digest = sha256_bytes(data)
        for existing in self.snapshot().documents.values():
            if existing.sha256 == digest:
                raise InputError(f"文档已存在：与《{existing.title}》内容相同，未重复添加")
        uploads = self.settings.data_dir / "files"
        target = uploads / name
        # doc_id is the file stem: an upload must not silently replace a document that came from
        # elsewhere (corpus/, a scanned directory); re-uploading an uploaded file updates it.
        same = self.snapshot().documents.get(Path(name).stem)
        if same and Path(same.source).resolve() != target.resolve():
            raise InputError(f"知识库中已有同名文档《{same.title}》（{Path(same.source).name}），"
                             "上传不会覆盖它；如是新版本，请改用其他文件名")
        uploads.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=uploads, prefix=".upload-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
        try:
            report = self.ingest([target], progress)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        if report.rejected:
            target.unlink(missing_ok=True)
            raise InputError("；".join(report.rejected.values()))
        return report

    def remove_document(self, doc_id: str) -> None:
        with self._write_lock, FileLock(str(self.settings.data_dir / ".ingest.lock")):
            snap = self.store.load()
            if doc_id not in snap.documents:
                raise InputError(f"知识库中没有文档“{doc_id}”")
            documents = {k: v for k, v in snap.documents.items() if k != doc_id}
            rows: dict[str, list] = {}
            for c, v, t in zip(snap.clauses, snap.vector_ids, snap.tokens):
                if c.doc_id != doc_id:
                    rows.setdefault(c.doc_id, []).append((c, v, t))
            self._commit(snap.generation + 1, documents, rows)
            source = Path(snap.documents[doc_id].source)
            if source.parent == self.settings.data_dir / "files":
                source.unlink(missing_ok=True)

    def check(self) -> list[str]:
        """Consistency of manifest, vectors and BM25; an empty list means consistent."""
        snap = self.store.load()
        problems = []
        stored = self.store.all_vector_ids()
        missing = [v for v in snap.vector_ids if v not in stored]
        if missing:
            problems.append(f"{len(missing)} 个条款缺少向量（例如 {missing[0]}）")
        orphans = stored - set(snap.vector_ids)
        if orphans:
            problems.append(f"{len(orphans)} 个向量不属于任何条款（中断的写入留下的，下次 ingest 会清理）")
        if snap.bm25 is not None and int(snap.bm25.scores["num_docs"]) != len(snap.clauses):
            problems.append("BM25 索引与条款数不一致")
        unknown = {c.doc_id for c in snap.clauses} - set(snap.documents)
        if unknown:
            problems.append(f"条款引用了不存在的文档：{sorted(unknown)}")
        return problems


_ARTICLE_REF = re.compile(r"(?:本法|本条例|本办法|本规定|《(?P<title>[^《》]{2,40})》)\s*(?P<article>第[一二三四五六七八九十百零]+条)")


def _inner_titles(title: str) -> list[str]:
    """《云南省…关于印发〈X〉的通知》 also names X."""
    return re.findall(r"[《〈]([^《》〈〉]+)[》〉]", title)
