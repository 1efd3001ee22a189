"""Crash safety and consistency of the knowledge base.

(a) kill -9 of an ingest at several moments leaves the previous state answering exactly as
    before, with no missing vectors; the next ingest completes and leaves it fully clean;
(b) a changed file replaces its old clauses, a file deleted from a scanned directory goes;
(c) questions keep being answered (from the old or the new state) while an ingest runs;
(d) `kb check` exits 0 on a clean knowledge base and non-zero when a vector is missing;
(e) remove_document removes the document's clauses and vectors.

Every knowledge base here is a copy of the session's plan build (tests/conftest.py), so each
test starts from the same state and nothing is embedded twice for the plan.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from conftest import NOTICE

from app import cli
from kb.api import KnowledgeBase
from kb.config import REPO_ROOT, shared_dir
from kb.schema import InputError

# Three small laws: 80 clauses, two embedding batches (64 + 16).
SUBSET = ["上海市实施《教师法》办法(1997-11-03).md", "浙江省实施《教师法》办法(2004-05-28).md",
          "北京市实施《国防教育法》办法.md"]
SUBSET_CLAUSES = 80
# The kill inside a Chroma write gets more work (about 200 clauses, four batches), so that even
# on a fast machine it lands mid-ingest, never after the end.
MORE = ["河南省实施《职业教育法》办法(2010-07-30).md", "北京市实施《教师法》办法.md",
        "青岛市实施《民办教育促进法》办法(2017-12-01).md", "职业教育法(1996-05-15).md"]

QUESTIONS = [
    "职教高考改革由哪些单位负责？",
    "州财政局负责哪些任务？",
    "每年开展多少人次职业技能培训？",
    "这份方案的文号是什么？",
    "如何深化产教融合？",
    "教师的工资待遇如何保障？",          # the teachers' laws answer it once they are in
    "国防教育由哪个部门主管？",
    "楚雄州医保报销比例是多少？",        # out of scope
]



def copy_kb(plan_kb: KnowledgeBase, dest: Path) -> Path:
    """A copy of the plan knowledge base's data directory (not yet opened in this process)."""
    shutil.copytree(plan_kb.settings.data_dir, dest)
    return dest


def answers(kb: KnowledgeBase) -> list[dict]:
    return [kb.ask(q).to_dict() for q in QUESTIONS]


def manifest_bytes(data: Path) -> bytes:
    return (data / "kb.json").read_bytes()


@pytest.fixture(scope="module")
def subset_dir(tmp_path_factory) -> Path:
    related = shared_dir() / "related"
    if not related.is_dir():
        pytest.fail(f"{related} is missing: the reliability tests ingest laws from ../shared/related")
    d = tmp_path_factory.mktemp("related-subset")
    for name in SUBSET:
        shutil.copy(related / name, d / name)
    more = d.parent / (d.name + "-more")
    more.mkdir()
    for name in SUBSET + MORE:
        shutil.copy(related / name, more / name)
    return d


def more_dir(subset_dir: Path) -> Path:
    return subset_dir.parent / (subset_dir.name + "-more")


@pytest.fixture(scope="module")
def before(plan_kb) -> list[dict]:
    """The plan knowledge base's answers: what a crashed ingest must leave in place."""
    got = answers(plan_kb)
    assert not got[0]["abstained"] and got[-1]["abstained"]
    return got


# -- (a) kill -9 mid-ingest -------------------------------------------------------------

CHILD = textwrap.dedent("""
    import sys, time
    from kb.api import KnowledgeBase
    data, src, pause_at = sys.argv[1], sys.argv[2], sys.argv[3]
    kb = KnowledgeBase.open(data)
    if pause_at != "read":
        from kb.embed import encoder
        encoder()            # loaded now, so that "P embed 0" is followed by encoding at once
    upserts = [0]
    add_vectors = kb.store.add_vectors
    def traced_add_vectors(*args, **kwargs):
        upserts[0] += 1
        print(f"UPSERT {upserts[0]}", flush=True)      # the parent kills on this line
        return add_vectors(*args, **kwargs)
    kb.store.add_vectors = traced_add_vectors
    print("OPEN", flush=True)
    def progress(done, total, what):
        event = {"向量化条款": "embed", "完成": "done"}.get(what, "read")
        print(f"P {event} {done} {total}", flush=True)
        if (pause_at == "read" and event == "read" and done == 2) or \\
           (pause_at == "embed" and event == "embed" and done > 0) or \\
           (pause_at == "done" and event == "done"):
            print("PAUSED", flush=True)
            time.sleep(600)
    kb.ingest([src], progress)
    print("FINISHED", flush=True)
""")

# moment -> (pause_at in the child, the stdout line after which the parent kills, extra delay)
MOMENTS = {
    "right-after-start": ("never", None, 0.3),          # while importing / opening
    "while-reading-files": ("read", "PAUSED", 0.0),     # parsed 2 of 3 files, nothing embedded
    "after-first-batch": ("embed", "PAUSED", 0.0),      # 64 vectors in Chroma, 16 to go
    "inside-chroma-upsert": ("never", "UPSERT 2", 0.0),  # no pause: killed as batch 2 is written
    "before-manifest": ("done", "PAUSED", 0.0),         # every vector in Chroma, manifest old
}


def kill_ingest(data: Path, src: Path, moment: str, log: Path) -> list[str]:
    pause_at, wait_for, delay = MOMENTS[moment]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "HF_HUB_OFFLINE": "1"}
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(data), str(src), pause_at],
                                stdout=subprocess.PIPE, stderr=err, text=True, env=env, cwd=REPO_ROOT)
        guard = threading.Timer(120, proc.kill)     # never hang the suite
        guard.start()
        seen = []
        try:
            if wait_for is not None:
                for line in proc.stdout:
                    seen.append(line.strip())
                    if line.startswith(wait_for):
                        break
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        finally:
            guard.cancel()
    assert "FINISHED" not in seen, f"{moment}: the ingest finished before the kill: {seen}"
    assert proc.returncode == -signal.SIGKILL, f"{moment}: {proc.returncode} {log.read_text()[-2000:]}"
    if wait_for is not None:
        assert any(s.startswith(wait_for) for s in seen), \
            f"{moment}: never reached {wait_for!r}: {seen} {log.read_text()[-2000:]}"
    return seen


@pytest.fixture(scope="module", autouse=True)
def killed_runs(plan_kb, subset_dir, tmp_path_factory):
    """Starts the killed ingests when the module starts, side by side, each into its own copy
    of the plan knowledge base; the other tests run meanwhile (children only write their copies)."""
    root = tmp_path_factory.mktemp("killed")
    runs: dict[str, tuple] = {}

    def run(moment: str):
        data = copy_kb(plan_kb, root / moment / "data")
        manifest = manifest_bytes(data)
        try:
            src = more_dir(subset_dir) if moment == "inside-chroma-upsert" else subset_dir
            runs[moment] = (data, manifest, kill_ingest(data, src, moment, root / moment / "child.log"))
        except BaseException as e:      # re-raised in the moment's own test
            runs[moment] = (data, manifest, e)

    threads = [threading.Thread(target=run, args=(m,)) for m in MOMENTS]
    for t in threads:
        t.start()
    yield threads, runs
    for t in threads:
        t.join()


@pytest.fixture(scope="module")
def killed(killed_runs) -> dict:
    """moment -> (data dir, manifest before, child's progress lines or the error)."""
    threads, runs = killed_runs
    for t in threads:
        t.join()
    return runs


# -- (b) changed and removed files --------------------------------------------------------

def test_changed_file_replaces_old_clauses_and_removed_file_disappears(plan_kb, tmp_path):
    kb = KnowledgeBase.open(copy_kb(plan_kb, tmp_path / "data"))
    docs = tmp_path / "docs"
    docs.mkdir()
    path = docs / "蓝莓通知.txt"
    path.write_text(NOTICE, encoding="utf-8")
    report = kb.ingest([docs])
    assert report.added == ["蓝莓通知"]
    old_vectors = {v for c, v in zip(kb.snapshot().clauses, kb.snapshot().vector_ids) if c.doc_id == "蓝莓通知"}
    ans = kb.ask("蓝莓栽培技术实训基地建成几个？")
    assert "3个" in ans.answer and ans.citations[0].doc_id == "蓝莓通知"

    path.write_text(NOTICE.replace("3个", "5个").replace("专项资金", "奖补经费"), encoding="utf-8")
    report = kb.ingest([docs])
    assert report.added == ["蓝莓通知"] and not report.removed
    texts = "\n".join(c.text for c in kb.clauses("蓝莓通知"))
    assert "5个" in texts and "奖补经费" in texts
    assert "3个" not in texts and "专项资金" not in texts
    ans = kb.ask("蓝莓栽培技术实训基地建成几个？")
    assert "5个" in ans.answer and "3个" not in ans.answer, ans.answer
    assert all("3个" not in c.quote for c in ans.citations)
    for mode in ("keyword", "dense", "hybrid"):
        hits = kb.retrieve("蓝莓实训专项资金", mode=mode, k=30)
        assert all("专项资金" not in h.clause.text for h in hits if h.clause.doc_id == "蓝莓通知"), mode
    # the changed clauses' old vectors are gone from Chroma, not just unreferenced
    assert not (old_vectors - {v for c, v in zip(kb.snapshot().clauses, kb.snapshot().vector_ids)}) & \
        kb.store.all_vector_ids()
    assert kb.check() == []

    path.unlink()
    report = kb.ingest([docs])
    assert report.removed == ["蓝莓通知"]
    assert "蓝莓通知" not in [d.doc_id for d in kb.documents()] and not kb.clauses("蓝莓通知")
    ans = kb.ask("蓝莓栽培技术实训基地建成几个？")
    assert all(c.doc_id != "蓝莓通知" for c in ans.citations) and "5个" not in ans.answer
    assert kb.check() == []
    # a file missing from a directory that was NOT scanned this time stays
    assert [d.doc_id for d in kb.documents()] == [d.doc_id for d in plan_kb.documents()]


# -- (c) questions during an ingest ---------------------------------------------------------

def test_queries_keep_answering_during_ingest(plan_kb, before, subset_dir, tmp_path):
    kb = KnowledgeBase.open(copy_kb(plan_kb, tmp_path / "data"))
    two = tmp_path / "two-laws"        # 46 clauses: an ingest of a few seconds
    two.mkdir()
    for name in SUBSET[:2]:
        shutil.copy(subset_dir / name, two / name)
    done = threading.Event()
    failure: list[BaseException] = []

    def ingest():
        try:
            kb.ingest([two])
        except BaseException as e:     # reported below
            failure.append(e)
        finally:
            done.set()

    during: list[tuple[int, dict]] = []
    errors: list[str] = []
    worker = threading.Thread(target=ingest)
    worker.start()
    i = 0
    while not done.is_set():
        q = i % len(QUESTIONS)
        try:
            during.append((q, kb.ask(QUESTIONS[q]).to_dict()))
        except Exception as e:          # noqa: BLE001 - any error is the failure
            errors.append(f"{QUESTIONS[q]}: {type(e).__name__}: {e}")
        i += 1
    worker.join()
    assert not failure, failure
    assert not errors, errors[:5]
    assert len(during) >= 4, f"only {len(during)} questions ran during the ingest"
    after = answers(kb)
    assert after != before, "the ingest changed nothing visible"
    mixed = [(QUESTIONS[q], a["answer"][:60]) for q, a in during if a != before[q] and a != after[q]]
    assert not mixed, f"answers from neither the old nor the new state: {mixed[:3]}"


# -- (d) kb check ------------------------------------------------------------------------------

def test_kb_check_cli_detects_a_missing_vector(plan_kb, tmp_path, capsys):
    data = copy_kb(plan_kb, tmp_path / "data")
    assert cli.main(["--data-dir", str(data), "check"]) == 0
    assert "一致" in capsys.readouterr().out

    kb = KnowledgeBase.open(data)
    victim = kb.snapshot().vector_ids[5]
    kb.store.delete_vectors([victim])
    assert victim not in kb.store.all_vector_ids()
    assert cli.main(["--data-dir", str(data), "check"]) == 1
    out = capsys.readouterr().out
    assert "1 个条款缺少向量" in out and victim in out, out

    # and the real command, in its own process, sees the same
    proc = subprocess.run([sys.executable, "-m", "app.cli", "--data-dir", str(data), "check"],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert proc.returncode != 0 and "缺少向量" in proc.stdout, (proc.returncode, proc.stdout, proc.stderr[-500:])

    # `kb ingest` with nothing changed restores the lost vector without rewriting the manifest
    manifest = manifest_bytes(data)
    assert cli.main(["--data-dir", str(data), "ingest", "-q", str(REPO_ROOT / "corpus")]) == 0
    assert "本次向量化 1 条" in capsys.readouterr().out
    assert manifest_bytes(data) == manifest
    assert victim in kb.store.all_vector_ids()
    assert cli.main(["--data-dir", str(data), "check"]) == 0


def test_kb_check_reports_orphan_vectors(plan_kb, tmp_path, capsys):
    data = copy_kb(plan_kb, tmp_path / "data")
    kb = KnowledgeBase.open(data)
    import numpy as np
    kb.store.add_vectors(["stray::x#0@0"], np.ones((1, 512), dtype=np.float32) / np.sqrt(512),
                         [{"doc_id": "stray", "clause_id": "x", "part": 0}], ["stray"])
    assert cli.main(["--data-dir", str(data), "check"]) == 1
    assert "1 个向量不属于任何条款" in capsys.readouterr().out


# -- (e) remove_document ------------------------------------------------------------------------

def test_remove_document_removes_clauses_and_vectors(plan_kb, tmp_path):
    kb = KnowledgeBase.open(copy_kb(plan_kb, tmp_path / "data"))
    kb.add_file("蓝莓通知.txt", NOTICE.encode())
    # re-uploading a changed version of an uploaded file updates it (same document id)
    report = kb.add_file("蓝莓通知.txt", NOTICE.replace("3个", "4个").encode())
    assert report.added == ["蓝莓通知"] and "4个" in "".join(c.text for c in kb.clauses("蓝莓通知"))
    snap = kb.snapshot()
    vectors = {v for c, v in zip(snap.clauses, snap.vector_ids) if c.doc_id == "蓝莓通知"}
    stored = kb.settings.data_dir / "files" / "蓝莓通知.txt"
    assert vectors and vectors <= kb.store.all_vector_ids() and stored.exists()
    generation = snap.generation

    with pytest.raises(InputError, match="没有文档"):
        kb.remove_document("没有这个文档")
    assert kb.store.load().generation == generation

    kb.remove_document("蓝莓通知")
    assert "蓝莓通知" not in [d.doc_id for d in kb.documents()]
    assert not kb.clauses("蓝莓通知")
    assert not vectors & kb.store.all_vector_ids()
    assert not stored.exists()
    assert kb.store.load().generation == generation + 1
    assert kb.check() == []
    ans = kb.ask("蓝莓栽培技术实训基地建成几个？")
    assert all(c.doc_id != "蓝莓通知" for c in ans.citations)
    # the plan is untouched
    assert [d.doc_id for d in kb.documents()] == [d.doc_id for d in plan_kb.documents()]
    assert len(kb.clauses()) == len(plan_kb.clauses())


# -- (a) the killed ingests, checked last: they ran while the tests above did -------------

@pytest.mark.parametrize("moment", list(MOMENTS))
def test_kill_9_mid_ingest_keeps_previous_state(moment, killed, plan_kb, before, subset_dir):
    data, manifest, seen = killed[moment]
    if isinstance(seen, BaseException):
        raise seen

    # The manifest was not touched; no half-written manifest is in its place.
    assert manifest_bytes(data) == manifest
    # A fresh knowledge base (first open of this directory in this process) answers as before.
    kb = KnowledgeBase.open(data)
    assert [d.doc_id for d in kb.documents()] == [d.doc_id for d in plan_kb.documents()]
    assert answers(kb) == before, f"{moment}: answers changed after the killed ingest ({seen[-3:]})"
    problems = kb.check()
    orphans = len(kb.store.all_vector_ids()) - len(kb.snapshot().vector_ids)
    print(f"\n{moment}: killed after {seen[-2:]}, {orphans} orphan vectors left")
    assert not [p for p in problems if "缺少向量" in p], problems
    assert all("不属于任何条款" in p for p in problems), problems     # orphans only, reported
    if moment in ("after-first-batch", "before-manifest"):
        assert problems, "vectors of the killed run are in Chroma: check() must report the orphans"

    if moment in ("right-after-start", "while-reading-files"):
        return   # nothing was embedded: completing would repeat the full ingest the others test
    # The next ingest completes, reuses what the killed run embedded, and leaves it clean.
    report = kb.ingest([subset_dir])
    assert sorted(report.added) == sorted(Path(n).stem for n in SUBSET) and not report.rejected
    total = len([c for c in kb.clauses() if c.doc_id in report.added])
    assert total == SUBSET_CLAUSES
    if moment == "before-manifest":
        assert report.clauses == 0, "every vector was already in Chroma"
    elif moment == "after-first-batch":
        assert report.clauses == total - 64
    assert kb.check() == []
    after = kb.ask("上海市教师的工资待遇如何保障？")
    assert not after.abstained and after.citations[0].doc_id == Path(SUBSET[0]).stem, after.answer


def test_an_answer_reads_one_snapshot_while_another_is_published(plan_kb, multi_kb, monkeypatch):
    from kb.answer import Answerer
    answerer = Answerer(plan_kb)                       # reads the plan's snapshot …
    # … while an ingest publishes a snapshot with 30 more documents
    monkeypatch.setattr(plan_kb.retriever, "snapshot", multi_kb.snapshot)
    for question in ("国防教育由哪个部门主管？", "州财政局负责哪些任务？", "职教高考改革由哪些单位负责？"):
        ans = answerer.answer(question, [])
        assert all(c.doc_id in answerer.ctx.snap.documents for c in ans.citations), question
