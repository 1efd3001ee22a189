"""Parsing an upload in a child process, within a time and a memory budget.

A file within every size limit can still be costly to parse (a .docx that unpacks to hundreds of
megabytes of XML, a pathological layout): the web server must not freeze for it or run out of
memory. One worker process, started on first use and reused, parses one file at a time; it runs
under an address-space limit (RLIMIT_AS) set after its imports, and is killed when it overruns the
time budget. Either way the upload is refused with a message that says why, and a new worker
starts for the next one.
"""
from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.connection import Connection

from kb.schema import Clause, Document, InputError

_lock = threading.Lock()
_worker: tuple[multiprocessing.Process, Connection, int] | None = None   # (process, pipe, memory budget)


def parse_within(data: bytes, filename: str, max_bytes: int, seconds: float,
                 memory_bytes: int) -> tuple[Document, list[Clause]]:
    """parse_document(data, filename, max_bytes) in the worker. InputError for a bad file, or when
    parsing takes longer than `seconds` or more than `memory_bytes` of memory."""
    with _lock:
        process, conn = _ready_worker(memory_bytes)
        conn.send((data, filename, max_bytes))
        if not conn.poll(seconds):
            _stop_worker()
            raise InputError(f"{filename}：解析超过 {seconds:g} 秒仍未完成，已停止并拒绝导入"
                             "（文件结构过于复杂或内容过大，请拆分后再上传）")
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            kind, payload = "memory", None
        if kind == "memory":
            _stop_worker()
            raise InputError(f"{filename}：解析所需内存超过上限 {memory_bytes // (1024 * 1024)} MB，"
                             "已停止并拒绝导入（文件内容过大，请拆分后再上传）")
    if kind == "error":
        raise InputError(payload)
    return payload


def _ready_worker(memory_bytes: int) -> tuple[multiprocessing.Process, Connection]:
    global _worker
    if _worker and (not _worker[0].is_alive() or _worker[2] != memory_bytes):
        _stop_worker()
    if _worker is None:
        parent, child = multiprocessing.get_context("spawn").Pipe()
        process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(child, memory_bytes), name="kb-parse", daemon=True)
        process.start()
        child.close()
        if parent.recv() != "ready":          # imports done: the clock runs for parsing only
            raise RuntimeError("parse worker failed to start")
        _worker = (process, parent, memory_bytes)
    return _worker[0], _worker[1]


def _stop_worker():
    global _worker
    if _worker:
        process, conn, _ = _worker
        process.kill()
        process.join(10)
        conn.close()
        _worker = None


def _serve(conn: Connection, memory_bytes: int):
    """The worker: imports, caps its address space at what they take plus the budget, then parses
    one request at a time until the pipe closes."""
    from ingest.pipeline import parse_document
    _limit_memory(memory_bytes)
    conn.send("ready")
    while True:
        try:
            data, filename, max_bytes = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", parse_document(data, filename, max_bytes)))
        except InputError as e:
            conn.send(("error", str(e)))
        except MemoryError:
            conn.send(("memory", None))
            return
        except Exception as e:  # noqa: BLE001 - a parser's own failure on this file; the worker goes on
            conn.send(("error", f"{filename}：无法解析此文件（{type(e).__name__}）"))


def _limit_memory(budget: int):
    try:
        import resource
        with open("/proc/self/statm") as f:
            in_use = int(f.read().split()[0]) * resource.getpagesize()
    except (ImportError, OSError):       # not Linux: the time budget still applies
        return
    resource.setrlimit(resource.RLIMIT_AS, (in_use + budget, in_use + budget))
