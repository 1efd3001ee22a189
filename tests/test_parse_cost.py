"""Parsing cost (issue 13, item 1): work linear in a clause's length, and an upload's parsing held to
a time and a memory budget, refused clearly when it overruns.

Work is counted in Python steps (trace events), not seconds, so the test means the same on any
machine; the seconds are measured by `python -m eval.parse_bench`.
"""
from __future__ import annotations

import dataclasses
import shutil
import sys

import pytest

from conftest import NOTICE

from ingest.pipeline import parse_document
from kb.api import KnowledgeBase
from kb.schema import InputError

# Schools, units and a target in every sentence: each part of a split clause carries all of them.
SENTENCE = ("推进楚雄州职业技术学院、武定县职业高级中学与云南农业大学合作，每年培训教师不少于300人"
            "（责任单位：州教育体育局、州人社局）。")


def one_clause(sentences: int) -> bytes:
    return ("测试方案\n一、重点任务\n（一）长条款\n" + SENTENCE * sentences + "\n").encode()


def python_steps(data: bytes) -> int:
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        count += 1
        return tracer
    sys.settrace(tracer)
    try:
        parse_document(data, "长条款.txt")
    finally:
        sys.settrace(None)
    return count


def test_parsing_work_grows_linearly_with_clause_length():
    parse_document(one_clause(3), "warm-up.txt")          # caches and lazy imports
    short, long = python_steps(one_clause(150)), python_steps(one_clause(300))
    # twice the text, about twice the work (it was 7× and minutes for a 800 KB clause)
    assert long / short < 2.3, (short, long)


@pytest.fixture
def budget_kb(plan_kb, tmp_path) -> KnowledgeBase:
    """The plan, with a parse budget of 1 second and 64 MB."""
    shutil.copytree(plan_kb.settings.data_dir, tmp_path / "data")
    settings = dataclasses.replace(plan_kb.settings, data_dir=(tmp_path / "data").resolve(),
                                   parse_seconds=1, parse_memory_bytes=64 * 1024 * 1024)
    return KnowledgeBase(settings)


def test_an_upload_over_the_parse_budget_is_refused_and_changes_nothing(budget_kb):
    manifest = (budget_kb.settings.data_dir / "kb.json").read_bytes()
    big = one_clause(40_000)            # 7 MB: seconds and hundreds of MB to parse, within 20 MB
    with pytest.raises(InputError, match=r"超过 1 秒|内存超过上限 64 MB") as refused:
        budget_kb.add_file("大文件.txt", big)
    assert "拒绝导入" in str(refused.value)
    assert (budget_kb.settings.data_dir / "kb.json").read_bytes() == manifest
    assert not (budget_kb.settings.data_dir / "files" / "大文件.txt").exists()
    # the same budgets let an ordinary document through, in a fresh worker
    report = budget_kb.add_file("蓝莓通知.txt", NOTICE.encode())
    assert report.added == ["蓝莓通知"]


def test_the_memory_budget_refuses_what_would_take_more(budget_kb):
    slow_allowed = dataclasses.replace(budget_kb.settings, parse_seconds=600)
    kb = KnowledgeBase(slow_allowed)
    with pytest.raises(InputError, match="内存超过上限 64 MB"):
        kb.add_file("大文件.txt", one_clause(40_000))
