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
