"""The knowledge base on a real Chroma server (KB_CHROMA_URL / Settings.chroma_url -> chromadb.HttpClient).

A module fixture starts `chroma run` (the CLI installed with chromadb) on a free local port with a
temporary path, waits for its heartbeat and stops it afterwards. Nothing else changes for the KB:
the manifest and BM25 stay in the data dir, only the vectors live on the server.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kb.config import REPO_ROOT, Settings

PLAN_ID = "楚雄州职业教育提质增效工作实施方案"
QUESTION = "职教高考改革由哪些单位负责？"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chroma_cli() -> str:
    local = Path(sys.executable).parent / "chroma"
    found = str(local) if local.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the `chroma` CLI (installed with chromadb) is missing: run `make setup`")
    return found


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = open(path / "server.log", "wb")
    proc = subprocess.Popen([_chroma_cli(), "run", "--path", str(path / "db"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"chroma run exited with {proc.returncode}: {(path / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no heartbeat from chroma at {url} within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _open(data_dir: Path, url: str):
    from kb.api import KnowledgeBase
    settings = dataclasses.replace(Settings.from_env(), data_dir=data_dir.resolve(), chroma_url=url)
    return KnowledgeBase(settings)


@pytest.fixture(scope="module")
def server_kb(chroma_url, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("server-kb")
    kb = _open(data_dir, chroma_url)
    report = kb.ingest([REPO_ROOT / "corpus"])
    assert report.added == [PLAN_ID] and report.clauses > 0
    return kb


def test_vectors_live_on_the_server(server_kb, chroma_url):
    import chromadb
    from urllib.parse import urlparse
    assert not (server_kb.settings.data_dir / "chroma").exists(), "embedded store used instead of the server"
    url = urlparse(chroma_url)
    client = chromadb.HttpClient(host=url.hostname, port=url.port)
    counts = {c.name: c.count() for c in client.list_collections()}
    assert counts.get(server_kb.store.collection.name) == len(server_kb.snapshot().vector_ids)


def test_answer_cites_the_right_clause(server_kb):
    ans = server_kb.ask(QUESTION)
    assert not ans.abstained
    assert ans.citations[0].doc_id == PLAN_ID and ans.citations[0].clause_id == "二（二）1"


def test_dense_retrieval_comes_from_the_server(server_kb):
    hits = server_kb.retrieve(QUESTION, "dense", k=5)
    assert hits and all(h.dense is not None and h.dense > 0 for h in hits)
    assert "二（二）1" in [h.clause.clause_id for h in hits]


def test_check_is_clean(server_kb):
    assert server_kb.check() == []


def test_reingest_does_no_work(server_kb):
    report = server_kb.ingest([REPO_ROOT / "corpus"])
    assert report.unchanged == [PLAN_ID]
    assert not report.changed and report.clauses == 0


def test_second_process_view_shares_the_index(server_kb, chroma_url):
    """Another KnowledgeBase (as another app process would open it) on the same data dir and
    server reads the same manifest and vectors, and embeds nothing on ingest."""
    other = _open(server_kb.settings.data_dir, chroma_url)
    assert other.store.collection.name == server_kb.store.collection.name
    assert other.ask(QUESTION).citations[0].clause_id == "二（二）1"
    assert other.ingest([REPO_ROOT / "corpus"]).clauses == 0
