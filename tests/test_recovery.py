"""Damage, loss and odd files (issue 13, items 4, 8, 9, 10, 11, 12), reproduced as the probe found them.

4  an uploaded original the manifest does not list is quarantined, never deleted; `kb check` says so
   and `kb rebuild` brings it back; a failed update of an upload puts the previous original back;
8  a truncated or foreign kb.json, a damaged chroma.sqlite3: ask, check, ingest and serve say in
   Chinese what is damaged and what to run; `kb check --repair` restores a working index, uploads kept;
9  vectors SQLite lists but a query cannot reach (HNSW segment deleted) fail `kb check`; repair
   embeds them again;
10 a full disk is said before anything is written, and the previous state stays readable;
11 an unreadable file or folder, a broken link: reported one by one, the rest ingested, exit 1;
12 orphan vectors are deleted by an ingest that changes nothing.

Every knowledge base is a copy of a session build (tests/conftest.py); commands run through
app.cli.main, and in a real process where the process boundary is the point.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import NOTICE, PLAN_ID, RELATED, run_cli as run

import kb.store as store_module
from kb.api import KnowledgeBase
from kb.config import REPO_ROOT
from kb.schema import DiskFull, IndexDamaged

KB_BIN = Path(sys.executable).parent / "kb"
CORPUS = str(REPO_ROOT / "corpus")
QUESTION = "职教高考改革由哪些单位负责？"
MANGO = NOTICE.replace("蓝莓", "芒果")
LAWS = ["上海市实施《教师法》办法(1997-11-03).md", "北京市实施《国防教育法》办法.md"]


def copy_kb(source: KnowledgeBase, dest: Path) -> Path:
    shutil.copytree(source.settings.data_dir, dest)
    return dest


def run_process(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(KB_BIN), *argv], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, cwd=REPO_ROOT)


def make_old(*paths: Path):
    """Older than the ten minutes an upload under way may take."""
    old = time.time() - 3600
    for p in paths:
        os.utime(p, (old, old))


# -- 4: uploaded originals are never deleted ---------------------------------------------------

def test_uploads_the_manifest_lost_are_quarantined_reported_and_rebuilt(plan_kb, tmp_path, capsys):
    data = copy_kb(plan_kb, tmp_path / "data")
    older_manifest = (data / "kb.json").read_bytes()
    kb = KnowledgeBase.open(data)
    kb.add_file("蓝莓通知.txt", NOTICE.encode())
    kb.add_file("芒果通知.txt", MANGO.encode())
    uploads = data / "files"
    make_old(*uploads.iterdir())
    stale = [data / ".kb-dead.json", uploads / ".upload-dead"]
    for f in stale:
        f.write_text("x", encoding="utf-8")
    make_old(*stale)
    fresh = uploads / ".upload-in-progress"
    fresh.write_text("x", encoding="utf-8")

    # an older kb.json is restored (or a damaged one deleted), then any ingest runs
    (data / "kb.json").write_bytes(older_manifest)
    assert run(capsys, "--data-dir", str(data), "ingest", "-q", CORPUS)[0] == 0
    quarantine = data / "quarantine"
    assert sorted(p.name for p in quarantine.iterdir()) == ["芒果通知.txt", "蓝莓通知.txt"]
    assert (quarantine / "蓝莓通知.txt").read_text(encoding="utf-8") == NOTICE, "the original, intact"
    assert not any(f.exists() for f in stale) and fresh.exists()

    code, out, _ = run(capsys, "--data-dir", str(data), "check")
    assert code == 1 and "2 个上传的原文件不在知识库中" in out and "kb rebuild" in out, out

    code, out, err = run(capsys, "--data-dir", str(data), "rebuild", "-q")
    assert code == 0, err
    kb = KnowledgeBase.open(data)
    assert sorted(d.doc_id for d in kb.documents()) == sorted([PLAN_ID, "蓝莓通知", "芒果通知"])
    assert sorted(p.name for p in uploads.iterdir() if not p.name.startswith(".")) == ["芒果通知.txt", "蓝莓通知.txt"]
    assert not list(quarantine.iterdir())
    assert kb.retrieve("芒果栽培技术实训基地建成几个？", k=1)[0].clause.doc_id == "芒果通知"
    assert run(capsys, "--data-dir", str(data), "check")[0] == 0
    assert list(data.glob("kb.json.before-rebuild-*")), "the manifest it replaced is kept"


def test_a_failed_update_of_an_upload_keeps_the_previous_original(plan_kb, tmp_path, monkeypatch):
    kb = KnowledgeBase.open(copy_kb(plan_kb, tmp_path / "data"))
    kb.add_file("蓝莓通知.txt", NOTICE.encode())
    manifest = (kb.settings.data_dir / "kb.json").read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(kb.store.collection, "upsert", disk_full)
    with pytest.raises(DiskFull, match="磁盘空间不足"):
        kb.add_file("蓝莓通知.txt", NOTICE.replace("3个", "4个").encode())
    uploads = kb.settings.data_dir / "files"
    assert (uploads / "蓝莓通知.txt").read_text(encoding="utf-8") == NOTICE
    assert [p.name for p in uploads.iterdir()] == ["蓝莓通知.txt"], "no temporary copy left behind"
    assert (kb.settings.data_dir / "kb.json").read_bytes() == manifest


# -- 8: a damaged manifest or vector store ----------------------------------------------------

MANIFEST_DAMAGE = {
    "truncated": lambda b: b[: len(b) // 2],
    "not-json": lambda b: b"\x00\x01garbage",
    "no-clauses": lambda b: b'{"generation": 3, "documents": []}',
}


@pytest.fixture
def uploaded_kb(plan_kb, tmp_path) -> Path:
    """The plan and one upload; the upload must survive every repair."""
    data = copy_kb(plan_kb, tmp_path / "data")
    KnowledgeBase.open(data).add_file("蓝莓通知.txt", NOTICE.encode())
    return data


COMMANDS = (["ask", QUESTION], ["check"], ["ingest", "-q", CORPUS], ["serve"])


def every_command_says(capsys, monkeypatch, data: Path, commands, *words: str):
    """Each command refuses with the message, no traceback."""
    def no_server(*args, **kwargs):
        raise AssertionError("the web app started on a damaged index")
    monkeypatch.setattr("app.web.serve", no_server)
    for argv in commands:
        code, out, err = run(capsys, "--data-dir", str(data), *argv)
        assert code != 0, argv
        assert all(w in out + err for w in words), (argv, out, err)


def assert_answers_with_upload(data: Path):
    kb = KnowledgeBase.open(data)
    assert sorted(d.doc_id for d in kb.documents()) == sorted([PLAN_ID, "蓝莓通知"])
    assert (data / "files" / "蓝莓通知.txt").read_text(encoding="utf-8") == NOTICE
    ans = kb.ask(QUESTION)
    assert not ans.abstained and ans.citations[0].doc_id == PLAN_ID
    assert kb.retrieve("蓝莓栽培技术实训基地", k=1)[0].clause.doc_id == "蓝莓通知"
    assert kb.check() == []


@pytest.mark.parametrize("damage", list(MANIFEST_DAMAGE))
def test_a_damaged_manifest_is_named_and_rebuilt_from_the_originals(damage, uploaded_kb, capsys, monkeypatch):
    data = uploaded_kb
    running = KnowledgeBase.open(data)          # a server that was running when it happened
    manifest = data / "kb.json"
    manifest.write_bytes(MANIFEST_DAMAGE[damage](manifest.read_bytes()))
    with pytest.raises(IndexDamaged, match="kb.json 已损坏"):
        running.ask(QUESTION)
    every_command_says(capsys, monkeypatch, data, COMMANDS + (["units"],), "kb.json 已损坏", "kb rebuild")
    proc = run_process("--data-dir", str(data), "ask", QUESTION)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.startswith("错误：索引文件") and "kb rebuild" in proc.stderr

    code, out, err = run(capsys, "--data-dir", str(data), "check", "--repair", "-q")
    assert code == 0 and "已从原文件重建" in out and "一致" in out, (out, err)
    assert list(data.glob("kb.json.damaged-*")), "the damaged manifest is kept aside"
    assert_answers_with_upload(data)


def test_a_damaged_vector_store_is_named_and_repaired(uploaded_kb, capsys, monkeypatch):
    data = uploaded_kb
    sqlite = data / "chroma" / "chroma.sqlite3"
    sqlite.write_bytes(os.urandom(4096))
    # (kb units reads the manifest only, and still answers)
    every_command_says(capsys, monkeypatch, data, COMMANDS, "向量库", "已损坏", "kb check --repair")

    code, out, err = run(capsys, "--data-dir", str(data), "check", "--repair", "-q")
    assert code == 0 and "向量库已损坏" in out and "一致" in out, (out, err)
    assert list(data.glob("chroma.damaged-*")), "the damaged store is kept aside"
    assert_answers_with_upload(data)


# -- 9: what a query can reach -----------------------------------------------------------------

def test_check_finds_vectors_a_query_cannot_reach_and_repair_embeds_them(multi_kb, tmp_path, capsys):
    data = copy_kb(multi_kb, tmp_path / "data")
    segments = [d for d in (data / "chroma").iterdir() if d.is_dir()]
    assert segments, "the vector index keeps an HNSW segment folder"
    for d in segments:
        shutil.rmtree(d)
    kb = KnowledgeBase.open(data)
    total = len(kb.snapshot().vector_ids)
    assert len(kb.store.all_vector_ids()) == total          # SQLite still lists them all …
    lost = total - len(kb.store.reachable_vector_ids())     # … a query finds fewer
    assert lost > 0

    code, out, _ = run(capsys, "--data-dir", str(data), "check")
    assert code == 1 and f"{lost} 个条款的向量在向量索引中查不到" in out, out
    code, out, err = run(capsys, "--data-dir", str(data), "check", "--repair", "-q")
    assert code == 0 and f"重新生成 {lost} 个条款的向量" in out and "一致" in out, (out, err)
    proc = run_process("--data-dir", str(data), "check")       # and a new process sees it whole
    assert proc.returncode == 0 and "一致" in proc.stdout, proc.stdout + proc.stderr[-1000:]


# -- 10: a full disk ---------------------------------------------------------------------------

@contextlib.contextmanager
def small_disk(path: Path, size_mb: int):
    """A tmpfs of size_mb mounted at path when this process may mount (root on Linux): True then."""
    path.mkdir()
    mounted = shutil.which("mount") is not None and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)], capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_full_disk_is_said_before_anything_is_written(plan_kb, tmp_path, capsys, monkeypatch):
    laws = tmp_path / "laws"
    laws.mkdir()
    for name in LAWS:
        shutil.copy(RELATED / name, laws / name)
    with small_disk(tmp_path / "disk", 8) as mounted:
        if not mounted:      # no mount allowed here: the same check, told the disk is nearly full
            monkeypatch.setattr(store_module, "free_bytes", lambda path: 4 * 1024 * 1024)
        data = copy_kb(plan_kb, tmp_path / "disk" / "data")
        manifest = (data / "kb.json").read_bytes()
        code, out, err = run(capsys, "--data-dir", str(data), "ingest", "-q", str(laws))
        assert code == 2 and "磁盘空间不足" in err and "知识库保持原状" in err, (out, err)
        assert (data / "kb.json").read_bytes() == manifest
        # the previous state stays readable, by new processes too
        proc = run_process("--data-dir", str(data), "ask", "--json", QUESTION)
        assert proc.returncode == 0 and PLAN_ID in proc.stdout, proc.stderr[-2000:]
        proc = run_process("--data-dir", str(data), "check")
        assert proc.returncode == 0 and "一致" in proc.stdout, proc.stdout + proc.stderr[-1000:]


def test_running_out_of_space_while_writing_is_said_and_changes_nothing(plan_kb, tmp_path, monkeypatch):
    """Space checked, then taken by someone else: the write itself fails with ENOSPC."""
    kb = KnowledgeBase.open(copy_kb(plan_kb, tmp_path / "data"))
    before = kb.ask(QUESTION).to_dict()
    manifest = (kb.settings.data_dir / "kb.json").read_bytes()

    def no_space(*args):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(store_module.os, "fsync", no_space)         # the manifest's write
    with pytest.raises(DiskFull, match="磁盘空间不足.*知识库保持原状"):
        kb.add_file("蓝莓通知.txt", NOTICE.encode())
    assert (kb.settings.data_dir / "kb.json").read_bytes() == manifest
    assert not list(kb.settings.data_dir.glob(".kb-*.json")), "no half-written manifest left"
    assert KnowledgeBase.open(kb.settings.data_dir).ask(QUESTION).to_dict() == before


# -- 11: files that cannot be read -------------------------------------------------------------

def test_unreadable_files_and_folders_and_broken_links_are_reported_and_the_rest_ingested(
        plan_kb, tmp_path, capsys, monkeypatch):
    data = copy_kb(plan_kb, tmp_path / "data")
    docs = tmp_path / "docs"
    locked = docs / "锁住的文件夹"
    locked.mkdir(parents=True)
    (docs / "蓝莓通知.txt").write_text(NOTICE, encoding="utf-8")
    (docs / "坏盘.txt").write_text(NOTICE.replace("蓝莓", "荔枝"), encoding="utf-8")
    (locked / "芒果通知.txt").write_text(MANGO, encoding="utf-8")
    (docs / "断链.txt").symlink_to(tmp_path / "不存在.txt")

    # Root reads everything: the kernel's answers are injected where the reads happen.
    read_bytes, scandir = Path.read_bytes, os.scandir

    def failing_read(path):
        if path.name == "坏盘.txt":
            raise OSError(errno.EIO, "Input/output error", str(path))
        return read_bytes(path)

    def locked_scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return scandir(path)
    monkeypatch.setattr(Path, "read_bytes", failing_read)
    monkeypatch.setattr(os, "scandir", locked_scandir)

    code, out, err = run(capsys, "--data-dir", str(data), "ingest", "-q", str(docs))
    assert code == 1, (out, err)
    assert "新增或更新 1" in out
    assert "坏盘.txt：无法读取（磁盘读取错误" in err
    assert "锁住的文件夹：无法读取文件夹（没有读取权限），其中的文件未导入" in err
    assert "断链.txt：链接指向的文件不存在" in err
    assert "有 3 个文件或文件夹未导入" in err
    kb = KnowledgeBase.open(data)
    assert sorted(d.doc_id for d in kb.documents()) == sorted([PLAN_ID, "蓝莓通知"])

    # the folder readable again: its file comes in; unreadable again: its document stays
    monkeypatch.setattr(os, "scandir", scandir)
    assert "芒果通知" in kb.ingest([docs]).added
    monkeypatch.setattr(os, "scandir", locked_scandir)
    report = kb.ingest([docs])
    assert not report.removed and "芒果通知" in {d.doc_id for d in kb.documents()}


# -- 12: orphan vectors when nothing changed ----------------------------------------------------

def test_orphan_vectors_are_deleted_by_an_ingest_that_changes_nothing(plan_kb, tmp_path, capsys):
    data = copy_kb(plan_kb, tmp_path / "data")
    kb = KnowledgeBase.open(data)
    kb.store.add_vectors(["stray::x#0@0"], np.ones((1, 512), dtype=np.float32) / np.sqrt(512),
                          [{"doc_id": "stray", "clause_id": "x", "part": 0}], ["stray"])
    assert run(capsys, "--data-dir", str(data), "check")[0] == 1
    manifest = (data / "kb.json").read_bytes()
    code, out, _ = run(capsys, "--data-dir", str(data), "ingest", "-q", CORPUS)
    assert code == 0 and "新增或更新 0" in out
    assert "stray::x#0@0" not in kb.store.all_vector_ids()
    assert (data / "kb.json").read_bytes() == manifest
    assert run(capsys, "--data-dir", str(data), "check")[0] == 0
