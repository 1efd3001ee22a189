"""Shared fixtures: knowledge bases built once per test session (the model loads once)."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from kb.config import REPO_ROOT, shared_dir  # noqa: E402

PLAN = REPO_ROOT / "corpus" / "楚雄州职业教育提质增效工作实施方案.txt"
PLAN_ID = PLAN.stem
RELATED = shared_dir() / "related"

# A small notice in the plan's style, for tests that add a document of their own.
NOTICE = """楚雄州技工院校蓝莓实训基地建设补充通知
一、建设目标
到2026年，建成蓝莓栽培技术实训基地3个。
二、保障措施
（一）加强经费保障
州财政局统筹安排蓝莓实训专项资金。
责任单位：州财政局
"""


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`kb ARGV…` in this process (the model loads once): (exit code, stdout, stderr)."""
    from app import cli
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="session")
def plan_kb(tmp_path_factory):
    """The shipped corpus only (the plan)."""
    from kb.api import KnowledgeBase
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("plan-kb"))
    kb.ingest([REPO_ROOT / "corpus"])
    return kb


@pytest.fixture(scope="session")
def multi_kb(tmp_path_factory):
    """The plan plus the 30 related laws read from ../shared/related."""
    if not RELATED.is_dir():
        pytest.fail(f"{RELATED} is missing: the multi-document tests read the related laws from ../shared")
    from kb.api import KnowledgeBase
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("multi-kb"))
    kb.ingest([REPO_ROOT / "corpus", RELATED])
    return kb
