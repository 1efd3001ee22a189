"""The Python API that the CLI and the web app both call. No UI logic here."""
from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from filelock import FileLock

from ingest.read import SUPPORTED, sha256_bytes

from kb import units as unit_db
from kb.config import Settings
from kb.schema import Answer, Clause, DiskFull, Document, IndexDamaged, InputError, ScoredClause, Target
from kb.store import UPLOADS, VECTOR_BYTES, Snapshot, Store, embed_text, rekeyed, vector_id
from kb.textnorm import fold
from kb.tokenize import tokens

Progress = Callable[[int, int, str], None]   # (done, total, what)
QUARANTINE = "quarantine"   # uploaded originals no manifest lists, kept for `kb rebuild`


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


@dataclass
class _Found:
    files: list[Path]                 # to read, resolved, in name order
    dirs: list[Path]                  # directories scanned
    unreadable_dirs: list[Path]       # under a scanned directory: their files' documents stay
    problems: dict[str, str]          # path -> why it was skipped (unreadable folder, broken link)


def _collect(paths: list[str | Path]) -> _Found:
    """Directories are read recursively; what cannot be read is reported, not silently skipped."""
    found = _Found([], [], [], {})
    for p in map(Path, paths):
        if p.is_dir():
            found.dirs.append(p.resolve())
            found.files += _scan(p, found)
        elif p.is_file():
            found.files.append(p)
        elif p.is_symlink():
            found.problems[str(p)] = _BROKEN_LINK
        else:
            raise InputError(f"找不到文件或目录：{p}")
    found.files = list(dict.fromkeys(f.resolve() for f in found.files))   # a file named twice is read once
    return found


_BROKEN_LINK = "链接指向的文件不存在（broken link），已跳过"


def _scan(root: Path, found: _Found) -> list[Path]:
    def unreadable(error: OSError):
        found.unreadable_dirs.append(Path(error.filename).resolve())
        found.problems[error.filename] = f"无法读取文件夹（{os_reason(error)}），其中的文件未导入"

    files = []
    for folder, _, names in os.walk(root, onerror=unreadable):
        for name in names:
            path = Path(folder, name)
            if name.startswith("."):
                continue
            if path.is_symlink() and not path.exists():
                found.problems[str(path)] = _BROKEN_LINK
            elif path.suffix.lower() in SUPPORTED and path.is_file():
                files.append(path)
    return sorted(files)


def os_reason(error: OSError) -> str:
    """An OSError in a few Chinese words."""
    if isinstance(error, PermissionError):
        return "没有读取权限"
    if error.errno == errno.EIO:
        return "磁盘读取错误（I/O error）"
    return error.strerror or type(error).__name__


def _new_doc_ids(paths: list[Path], taken: set[str]) -> dict[Path, str]:
    """Ids for files the knowledge base does not hold yet: the file stem (what citations, gold
    questions and links use), unless another document or another new file has that stem; then the
    shortest end of the path that tells them apart (b/通知, then b/通知.txt)."""
    stems = Counter(p.stem for p in paths)
    ids: dict[Path, str] = {}
    for path in paths:
        tails = [path.parts[-depth:] for depth in range(2, len(path.parts) + 1)]
        candidates = [path.stem] if stems[path.stem] == 1 else []
        candidates += [c for tail in tails for c in ("/".join(tail[:-1] + (path.stem,)), "/".join(tail))]
        ids[path] = next(c for c in candidates if c not in taken)
        taken.add(ids[path])
    return ids


def _duplicate_of(doc: Document, documents: dict[str, Document]) -> str | None:
    """Why `doc` is a copy of a document held from another file, or None: the same bytes, the
    same text once normalised (CRLF, GBK, full-width …), or the same 文号 and title."""
    number, title = fold(doc.doc_number), fold(doc.title)
    for other in documents.values():
        if other.source == doc.source:
            continue
        if other.sha256 == doc.sha256 or (doc.text_sha256 and other.text_sha256 == doc.text_sha256):
            return f"文档已存在：与《{other.title}》内容相同，未重复添加"
        if number and fold(other.doc_number) == number and fold(other.title) == title:
            return f"文档已存在：与《{other.title}》文号（{other.doc_number}）和标题相同，未重复添加"
    return None


class KnowledgeBase:
    """Open once per process; thread-safe for queries; writes are atomic."""

    def __init__(self, settings: Settings, create: bool = True):
        """create=False: the data dir must exist (InputError otherwise). A damaged index does not
        stop the opening: every read raises IndexDamaged, and check / repair / rebuild work."""
        self.settings = settings
        self.store = Store(settings.data_dir, settings.chroma_url, create=create)
        self._snap_mtime = -1     # never a real mtime: the first snapshot() always loads
        try:
            self._snap = self.snapshot()
        except IndexDamaged:
            self._snap = None
        # One writer at a time: threads of this process, then processes (reentrant, so that a
        # rebuild can run an ingest while it holds them)
        self._write_lock = threading.RLock()
        self._file_lock = FileLock(str(settings.data_dir / ".ingest.lock"))
        from kb.retrieve import Retriever
        self.retriever = Retriever(self.store, self.snapshot)

    @classmethod
    def open(cls, data_dir: str | Path | None = None, create: bool = True) -> "KnowledgeBase":
        settings = Settings.from_env()
        if data_dir is not None:
            settings = Settings(**{**settings.__dict__, "data_dir": Path(data_dir).resolve()})
        return cls(settings, create)

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

    def ask_stream(self, question: str, history: list[str] | None = None) -> Iterator[str | Answer]:
        """`ask(…, llm=True)` for a streaming UI: the LLM's text verified so far, as it grows
        (each str the whole text, in place of the last), then the final Answer with its `llm`
        note — the verified LLM answer, or the extractive one when a later passage fails, the
        reply times out or the endpoint errs. A structured or abstained answer, never sent to
        the LLM, is the only item. Raises InputError, when iterated, for an empty or oversized
        question."""
        from kb.answer import Answerer
        return Answerer(self).answer_stream(question, history or [])

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

    def mention_tasks(self, name: str, snap: Snapshot | None = None, listed: bool = False) -> list[Clause]:
        """Clauses whose text names a school or body; with `listed`, also those that list it by
        name among their 责任单位 (not as a member of a group such as 10县市人民政府)."""
        fields = ("mentions", "units") if listed else ("mentions",)
        return self._clauses_naming(fields, [unit_db.canonical(name) or name], snap)

    def _clauses_naming(self, fields: tuple[str, ...] | str, names, snap: Snapshot | None) -> list[Clause]:
        """First parts of the clauses whose `fields` (units, mentions) hold one of the names, in
        document order; looked up in an index built once per snapshot."""
        snap = snap or self.snapshot()

        def build(field: str) -> dict[str, list[int]]:
            index: dict[str, list[int]] = {}
            for i, c in enumerate(snap.clauses):
                for name in getattr(c, field):
                    index.setdefault(name, []).append(i)
            return index
        found = set()
        for field in ([fields] if isinstance(fields, str) else fields):
            index = snap.memo(f"clauses_by_{field}", lambda: build(field))
            found.update(i for name in names for i in index.get(name, []))
        return self._first_parts(snap.clauses[i] for i in sorted(found))

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
        directory are removed; a file that cannot be read or parsed is skipped and reported in
        `rejected`, the others are indexed. Atomic: a crash leaves the previous state answering.
        Vectors are made by the configured encoder (KB_ENCODER); an index another encoder made is
        embedded anew, all of it, and committed in one step."""
        return self._ingest(paths, progress)

    def _ingest(self, paths: list[str | Path], progress: Progress | None = None,
                parsed_upload: tuple[Path, Document, list[Clause]] | None = None,
                encoder: dict | None = None) -> IngestReport:
        """`parsed_upload`: a file already parsed (within the upload budget), not parsed again.
        `encoder`: the record (kb.embed.record_for) of the encoder to embed with; default KB_ENCODER's."""
        from ingest.pipeline import PIPELINE_VERSION, keyword_text, parse_document, with_doc_id
        from kb.embed import backend_name, key, record_for
        from kb.retrieve import title_keys
        from kb.tokenize import words_of_ingest
        started = time.perf_counter()
        encoder = encoder or record_for(backend_name())
        found = _collect(paths)
        report = IngestReport(rejected=dict(found.problems))
        with self._writing():
            snap = self.store.load()
            self._sweep(snap, keep=set(found.files))
            documents = dict(snap.documents)
            rows = {}    # doc_id -> [(clause, vector_id, tokens)]
            for c, v, t in zip(snap.clauses, snap.vector_ids, snap.tokens):
                rows.setdefault(c.doc_id, []).append((c, v, t))
            # Vectors of another encoder are never mixed with this one's: all are made anew.
            new_encoder = bool(rows) and snap.encoder != encoder
            if new_encoder:
                rows = rekeyed(rows, documents, key(encoder))
            # Files gone from a scanned directory first: a renamed file is then no copy of itself.
            listed = set(map(str, found.files))
            for doc_id, doc in list(documents.items()):
                if doc.source not in listed and self._gone(Path(doc.source), found):
                    del documents[doc_id]
                    rows.pop(doc_id, None)
                    report.removed.append(doc_id)
            held = {d.source: d.doc_id for d in documents.values()}
            new_ids = _new_doc_ids([f for f in found.files if str(f) not in held], set(documents))
            parsed: dict[str, list[Clause]] = {}
            for n, path in enumerate(found.files, 1):
                if progress:
                    progress(n - 1, len(found.files), f"读取 {path.name}")
                try:
                    data = path.read_bytes()
                except OSError as e:
                    report.rejected[str(path)] = f"无法读取（{os_reason(e)}），已跳过"
                    continue
                doc_id = held.get(str(path)) or new_ids[path]
                old = documents.get(doc_id)
                if old and old.sha256 == sha256_bytes(data) and old.pipeline == PIPELINE_VERSION:
                    report.unchanged.append(doc_id)
                    continue
                try:
                    if parsed_upload and parsed_upload[0] == path:
                        doc, clauses = parsed_upload[1:]
                    else:
                        doc, clauses = parse_document(data, path.name, self.settings.max_file_bytes)
                except InputError as e:
                    report.rejected[path.name] = str(e)
                    continue
                doc, clauses = with_doc_id(doc, clauses, doc_id)
                doc.source = str(path)
                duplicate = _duplicate_of(doc, documents)
                if duplicate:
                    report.rejected[path.name] = duplicate
                    continue
                documents[doc_id] = doc
                parsed[doc_id] = clauses
                report.added.append(doc_id)
            # every title is a word before any clause is tokenised, so a fresh ingest stores the
            # same tokens as a re-ingest in a process that opened the knowledge base first
            with words_of_ingest(k for d in documents.values() for k in title_keys(d)):
                for doc_id, clauses in parsed.items():
                    title = documents[doc_id].title
                    rows[doc_id] = [(c, vector_id(c, title, key(encoder)), tokens(keyword_text(c, title)))
                                    for c in clauses]
            # Vectors a query cannot reach (a damaged HNSW index) are embedded again, like missing ones.
            self._forget_unreachable([v for doc_rows in rows.values() for _, v, _ in doc_rows])
            if report.changed or new_encoder:
                to_embed = rows.values() if new_encoder else parsed.values()
                self.store.ensure_space(sum(map(len, to_embed)) * VECTOR_BYTES + self.store.manifest_size())
                report.clauses = self._embed_missing(documents, rows, encoder["backend"], progress)
                self._commit(snap.generation + 1, documents, rows, encoder)
            else:
                # Nothing to re-parse, but vectors lost from Chroma are restored and orphans of an
                # interrupted run deleted (ids are content hashes, so the manifest stays as it is).
                report.clauses = self._embed_missing(documents, rows, encoder["backend"], progress)
                self._delete_orphans(snap.vector_ids)
            self.store.remember_roots([Path(p).resolve() for p in paths])
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _gone(source: Path, found: _Found) -> bool:
        """A document's file is gone: it was under a directory scanned now, not under a folder that
        could not be read, and it does not exist (when its existence cannot be told, it stays)."""
        if not any(source.is_relative_to(d) for d in found.dirs):
            return False
        if any(source.is_relative_to(d) for d in found.unreadable_dirs):
            return False
        try:
            return not source.exists()
        except OSError:
            return False

    def _forget_unreachable(self, vector_ids: list[str]):
        reachable = self.store.reachable_vector_ids()
        lost = [v for v in vector_ids if v not in reachable]
        if lost:
            self.store.delete_vectors(lost)

    @contextlib.contextmanager
    def _writing(self):
        with self._write_lock, self._file_lock:
            yield

    def _sweep(self, snap: Snapshot, keep: set[Path], grace_seconds: float = 600):
        """Leftovers of a killed run (called under the ingest lock). Temporary files are deleted;
        an uploaded original the manifest does not list (nor this run: `keep`) is never deleted:
        it goes to quarantine/, which `kb check` reports and `kb rebuild` imports again. Recent
        files may belong to an upload under way and stay."""
        now = time.time()
        uploads = self.settings.data_dir / UPLOADS
        held = {Path(d.source) for d in snap.documents.values()} | keep
        temporary = list(self.settings.data_dir.glob(".kb-*.json"))
        orphans = []
        if uploads.is_dir():
            temporary += list(uploads.glob(".upload-*"))
            orphans = [f for f in uploads.iterdir() if f.is_file() and f not in held and f not in temporary]
        for f in temporary + orphans:
            try:
                if now - f.stat().st_mtime <= grace_seconds:
                    continue
                if f in orphans:
                    self.quarantine(f)
                else:
                    f.unlink()
            except FileNotFoundError:
                pass

    @property
    def quarantine_dir(self) -> Path:
        return self.settings.data_dir / QUARANTINE

    def quarantine(self, path: Path) -> Path:
        """Move a file to quarantine/ under a name not yet taken there."""
        self.quarantine_dir.mkdir(exist_ok=True)
        target = self.quarantine_dir / path.name
        n = 1
        while target.exists():
            n += 1
            target = self.quarantine_dir / f"{path.stem} ({n}){path.suffix}"
        path.rename(target)
        return target

    def _embed_missing(self, documents, rows, backend: str, progress: Progress | None) -> int:
        """Vectors the store lacks, made by `backend` (the encoder the rows' vector ids name)."""
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
            self.store.add_vectors([v for _, v in chunk], embed(texts, backend),
                                   [{"doc_id": c.doc_id, "clause_id": c.clause_id, "part": c.part} for c, _ in chunk],
                                   [c.text for c, _ in chunk])
        if progress:
            progress(len(todo), len(todo), "完成")
        return len(todo)

    def _commit(self, generation: int, documents: dict[str, Document], rows: dict[str, list], encoder: dict | None):
        ordered = [r for doc_id in documents for r in rows.get(doc_id, [])]
        snap = Snapshot.build(generation, documents, [r[0] for r in ordered], [r[1] for r in ordered],
                              [r[2] for r in ordered], encoder)
        self.store.save(snap)
        self._use(snap, self.store.manifest_mtime())
        self._delete_orphans(snap.vector_ids)

    def _delete_orphans(self, vector_ids: list[str]):
        orphans = self.store.all_vector_ids() - set(vector_ids)
        if orphans:
            self.store.delete_vectors(sorted(orphans))

    def add_file(self, filename: str, data: bytes, progress: Progress | None = None) -> IngestReport:
        """An uploaded file: parsed within the time and memory budget, and checked for copies of
        held documents, before anything is written. Re-uploading an uploaded file updates it; if
        the update fails, the previous original is put back."""
        from ingest.read import check_size, safe_filename
        from ingest.sandbox import parse_within
        name = safe_filename(filename)
        check_size(data, name, self.settings.max_file_bytes)
        doc, clauses = parse_within(data, name, self.settings.max_file_bytes, self.settings.parse_seconds,
                                    self.settings.parse_memory_bytes)
        uploads = self.settings.data_dir / UPLOADS
        target = uploads / name
        doc.source = str(target)
        documents = self.snapshot().documents
        updated = next((d for d in documents.values() if d.source == doc.source), None)
        if updated and updated.sha256 == doc.sha256:
            raise InputError(f"文档已存在：与《{updated.title}》内容相同，未重复添加")
        duplicate = _duplicate_of(doc, documents)
        if duplicate:
            raise InputError(duplicate)
        # An upload must not silently replace a document that came from elsewhere (corpus/, a
        # scanned directory) and has the same file stem.
        same = documents.get(Path(name).stem)
        if same and same.source != doc.source:
            raise InputError(f"知识库中已有同名文档《{same.title}》（{Path(same.source).name}），"
                             "上传不会覆盖它；如是新版本，请改用其他文件名")
        uploads.mkdir(parents=True, exist_ok=True)
        self.store.ensure_space(len(data))
        fd, tmp = tempfile.mkstemp(dir=uploads, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except BaseException as e:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(e, OSError) and e.errno == errno.ENOSPC:
                raise DiskFull("磁盘空间不足：上传的文件无法保存，知识库保持原状；请释放空间后重试") from e
            raise
        previous = None
        if target.exists():     # kept (a second name for the same bytes) until the update is in
            previous = uploads / f".previous-{name}"
            previous.unlink(missing_ok=True)
            os.link(target, previous)
        os.replace(tmp, target)
        try:
            report = self._ingest([target], progress, parsed_upload=(target.resolve(), doc, clauses))
            if report.rejected:
                raise InputError("；".join(report.rejected.values()))
        except BaseException:
            if previous:
                os.replace(previous, target)
            else:
                target.unlink(missing_ok=True)
            raise
        if previous:
            previous.unlink(missing_ok=True)
        return report

    def remove_document(self, doc_id: str) -> None:
        """Removes the document's clauses and vectors; an uploaded original is deleted with it (the
        user asked for it to go; `kb rebuild` would otherwise bring it back)."""
        with self._writing():
            snap = self.store.load()
            if doc_id not in snap.documents:
                raise InputError(f"知识库中没有文档“{doc_id}”")
            documents = {k: v for k, v in snap.documents.items() if k != doc_id}
            rows: dict[str, list] = {}
            for c, v, t in zip(snap.clauses, snap.vector_ids, snap.tokens):
                if c.doc_id != doc_id:
                    rows.setdefault(c.doc_id, []).append((c, v, t))
            self._commit(snap.generation + 1, documents, rows, snap.encoder)
            source = Path(snap.documents[doc_id].source)
            if source.parent == self.settings.data_dir / UPLOADS:
                source.unlink(missing_ok=True)

    # -- health --------------------------------------------------------------
    def check(self) -> list[str]:
        """What is wrong with the index, each with what to run; an empty list means consistent."""
        from kb.health import check
        return check(self)

    def repair(self, progress: Progress | None = None) -> list[str]:
        """Fix what check() finds, from the manifest and the originals; returns what was done."""
        from kb.health import repair
        return repair(self, progress)

    def rebuild(self, progress: Progress | None = None) -> IngestReport:
        """A new manifest from the originals: uploads (quarantined ones too) and every ingested path."""
        from kb.health import rebuild
        return rebuild(self, progress)

    def index_encoder(self) -> str:
        """Which encoder made the index's vectors, and what KB_ENCODER changes (`kb check` prints
        it); "" when the manifest cannot be read."""
        from kb.health import encoder_status
        return encoder_status(self)


_ARTICLE_REF = re.compile(r"(?:本法|本条例|本办法|本规定|《(?P<title>[^《》]{2,40})》)\s*(?P<article>第[一二三四五六七八九十百零]+条)")


def _inner_titles(title: str) -> list[str]:
    """《云南省…关于印发〈X〉的通知》 also names X."""
    return re.findall(r"[《〈]([^《》〈〉]+)[》〉]", title)
