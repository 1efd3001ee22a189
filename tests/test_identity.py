"""Which file is which document (issue 13, items 2 and 3).

Item 2: files that share a stem (a/通知.md, b/通知.md, b/通知.txt) are three documents, not one, and
a question about one county is answered from that county's file; a stem held once keeps its id
(the file stem: gold questions, citations and links use it); re-ingesting changes nothing.
Item 3: a copy of a held document saved differently (CRLF, GBK, another name) or bearing the same
文号 and title is refused with the existing message, by upload and by ingest.
"""
from __future__ import annotations

import shutil

import pytest

from conftest import PLAN, PLAN_ID

from kb.api import KnowledgeBase
from kb.schema import InputError

COUNTIES = {"a/通知.md": ("甲县", "200"), "b/通知.md": ("乙县", "250"), "b/通知.txt": ("丙县", "300")}


def county_notice(county: str, number: str) -> str:
    return (f"{county}教师培训工作通知\n一、培训安排\n{county}每年培训教师{number}人，"
            f"由{county}教育体育局组织实施。\n二、经费保障\n{county}财政局安排培训经费。\n")


@pytest.fixture
def kb(plan_kb, tmp_path) -> KnowledgeBase:
    shutil.copytree(plan_kb.settings.data_dir, tmp_path / "data")
    return KnowledgeBase.open(tmp_path / "data")


def test_files_sharing_a_stem_are_separate_documents(kb, tmp_path):
    root = tmp_path / "notices"
    for rel, (county, number) in COUNTIES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(county_notice(county, number), encoding="utf-8")
    report = kb.ingest([PLAN, root])
    assert sorted(report.added) == ["a/通知", "b/通知", "b/通知.txt"] and not report.rejected
    by_source = {d.source: d.doc_id for d in kb.documents()}
    assert by_source[str(PLAN)] == PLAN_ID, "a stem held once keeps the stem as its id"
    for rel, (county, number) in COUNTIES.items():
        doc_id = by_source[str((root / rel).resolve())]
        text = "".join(c.text for c in kb.clauses(doc_id))
        assert f"{county}每年培训教师{number}人" in text and kb.clauses(doc_id)[0].doc_id == doc_id
        assert len({c.uid for c in kb.clauses(doc_id)}) == len(kb.clauses(doc_id))
        top = kb.retrieve(f"{county}每年培训教师多少人？", k=1)[0]
        assert top.clause.doc_id == doc_id and f"{number}人" in top.clause.text, (county, top.clause.text)
    assert kb.check() == []

    manifest = (kb.settings.data_dir / "kb.json").read_bytes()
    again = kb.ingest([PLAN, root])
    assert (again.added, again.removed, again.clauses) == ([], [], 0)
    assert sorted(again.unchanged) == sorted([PLAN_ID, "a/通知", "b/通知", "b/通知.txt"])
    assert (kb.settings.data_dir / "kb.json").read_bytes() == manifest


def test_a_renamed_file_is_the_same_text_under_a_new_name_not_a_copy(kb, tmp_path):
    folder = tmp_path / "notices"
    folder.mkdir()
    (folder / "甲县通知.txt").write_text(county_notice("甲县", "200"), encoding="utf-8")
    kb.ingest([folder])
    (folder / "甲县通知.txt").rename(folder / "甲县培训通知.txt")
    report = kb.ingest([folder])
    assert (report.added, report.removed, report.rejected) == (["甲县培训通知"], ["甲县通知"], {})


def copies_of_the_plan() -> dict[str, bytes]:
    text = PLAN.read_text(encoding="utf-8")
    return {
        "方案CRLF.txt": text.replace("\n", "\r\n").encode("utf-8"),
        "方案GBK.txt": text.encode("gb18030"),
        "方案全角.md": text.replace("2024", "２０２４").encode("utf-8"),
    }


@pytest.mark.parametrize("name", list(copies_of_the_plan()))
def test_an_upload_of_the_plan_saved_differently_is_refused(kb, name):
    manifest = (kb.settings.data_dir / "kb.json").read_bytes()
    with pytest.raises(InputError, match="文档已存在：与《楚雄州职业教育提质增效工作实施方案》内容相同，未重复添加"):
        kb.add_file(name, copies_of_the_plan()[name])
    assert (kb.settings.data_dir / "kb.json").read_bytes() == manifest
    assert not (kb.settings.data_dir / "files" / name).exists()


def test_ingesting_copies_of_the_plan_keeps_one_document(kb, tmp_path):
    folder = tmp_path / "copies"
    folder.mkdir()
    for name, data in copies_of_the_plan().items():
        (folder / name).write_bytes(data)
    tasks = len(kb.unit_tasks("州财政局")[1])
    report = kb.ingest([folder])
    assert not report.added and set(report.rejected) == set(copies_of_the_plan())
    assert all("文档已存在" in why for why in report.rejected.values())
    assert [d.doc_id for d in kb.documents()] == [PLAN_ID]
    assert len(kb.unit_tasks("州财政局")[1]) == tasks, "州财政局's tasks are counted once"


def test_the_same_number_and_title_is_the_same_document(kb):
    """The plan as another site republished it: a line more, the same 文号 and title."""
    republished = PLAN.read_text(encoding="utf-8") + "\n（来源：楚雄州人民政府网站，转载请注明出处）\n"
    with pytest.raises(InputError, match="文档已存在：与《楚雄州职业教育提质增效工作实施方案》文号（楚政办通〔2024〕30号）和标题相同"):
        kb.add_file("州政府网站转载.txt", republished.encode("utf-8"))
