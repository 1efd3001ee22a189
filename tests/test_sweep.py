"""Leftovers of a killed run are cleaned by the next ingest; recent files are left alone."""
from __future__ import annotations

import os
import time

from conftest import REPO_ROOT


def test_ingest_sweeps_stale_temp_files_and_orphan_uploads(tmp_path):
    from kb.api import KnowledgeBase
    kb = KnowledgeBase.open(tmp_path)
    uploads = tmp_path / "files"
    uploads.mkdir()
    old = time.time() - 3600
    stale = [tmp_path / ".kb-dead.json", uploads / ".upload-dead", uploads / "never-indexed.txt"]
    fresh = uploads / ".upload-in-progress"
    for f in stale + [fresh]:
        f.write_text("x", encoding="utf-8")
    for f in stale:
        os.utime(f, (old, old))
    kb.ingest([REPO_ROOT / "corpus"])
    assert not any(f.exists() for f in stale)
    assert fresh.exists()
    assert kb.check() == []
