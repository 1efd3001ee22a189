"""Many documents: facts of each, versions, scoping to a named law, cross-references, and
incremental ingest (adding one document embeds only that document)."""
from __future__ import annotations


import pytest

from conftest import RELATED

# doc_id -> (title, level, kind, a date it states) read from the documents themselves
FACTS = {
    "楚雄州职业教育提质增效工作实施方案": ("楚雄州职业教育提质增效工作实施方案", "州市", "实施方案", ("written", "2024-06-13")),
    "职业教育法(2022-04-20)": ("中华人民共和国职业教育法", "国家", "法律", ("修订", "2022-04-20")),
    "职业教育法(1996-05-15)": ("中华人民共和国职业教育法", "国家", "法律", ("通过", "1996-05-15")),
    "劳动法(2018-12-29)": ("中华人民共和国劳动法", "国家", "法律", ("修正", "2018-12-29")),
    "教师法(2009-08-27)": ("中华人民共和国教师法", "国家", "法律", ("通过", "1993-10-31")),
    "学前教育法(2024-11-08)": ("中华人民共和国学前教育法", "国家", "法律", ("施行", "2025-06-01")),
    "上海市职业教育条例(2018-11-22)": ("上海市职业教育条例", "省", "条例", ("修订", "2018-11-22")),
    "青岛市职业教育条例(2015-09-24)": ("青岛市职业教育条例", "州市", "条例", ("施行", "2015-11-01")),
    "北京市实施《职业教育法》办法": ("北京市实施《中华人民共和国职业教育法》办法", "省", "办法", ("通过", "1997-09-05")),
    "河南省实施《职业教育法》办法(2010-07-30)": ("河南省实施《中华人民共和国职业教育法》办法", "省", "办法", ("修正", "2010-07-30")),
    "民办教育促进法实施条例(2021-04-07)": ("中华人民共和国民办教育促进法实施条例", "国家", "条例", ("修订", "2021-04-07")),
    "宁波市中等职业教育条例(2010-08-11)": ("宁波市中等职业教育条例", "州市", "条例", ("通过", "1995-03-31")),
}


def test_all_related_documents_are_ingested(multi_kb):
    held = {d.doc_id for d in multi_kb.documents()}
    assert {p.stem for p in RELATED.glob("*.md")} <= held
    assert len(held) == 31


@pytest.mark.parametrize("doc_id", FACTS)
def test_document_facts(multi_kb, doc_id):
    doc = next(d for d in multi_kb.documents() if d.doc_id == doc_id)
    title, level, kind, (which, date) = FACTS[doc_id]
    assert (doc.title, doc.level, doc.kind) == (title, level, kind)
    assert (doc.written_date if which == "written" else doc.dates.get(which)) == date


def test_current_version_answers_and_says_so(multi_kb):
    ans = multi_kb.ask("职业教育法规定的职业教育是指什么？")
    assert ans.citations[0].doc_id == "职业教育法(2022-04-20)"
    assert "现行版本" in ans.answer


def test_old_version_question_gets_the_old_text(multi_kb):
    ans = multi_kb.ask("1996年职业教育法对职业学校的设立有什么规定？")
    assert ans.citations[0].doc_id == "职业教育法(1996-05-15)"
    assert "1996年版本" in ans.answer


def test_change_question_cites_both_versions(multi_kb):
    ans = multi_kb.ask("新旧职业教育法对职业学校教育层次的规定有什么不同？")
    assert {c.doc_id for c in ans.citations} == {"职业教育法(2022-04-20)", "职业教育法(1996-05-15)"}
    assert "现行版本" in ans.answer and "旧版本" in ans.answer


@pytest.mark.parametrize("question,doc_id", [
    ("职业教育法对校企合作怎么规定？", "职业教育法(2022-04-20)"),
    ("楚雄州每年开展多少人次职业技能培训？", "楚雄州职业教育提质增效工作实施方案"),
    ("上海市职业教育条例规定企业应当提取多少职工教育经费？", "上海市职业教育条例(2018-11-22)"),
    ("劳动法规定每日工作时间不超过几小时？", "劳动法(2018-12-29)"),
])
def test_a_named_document_is_searched_first(multi_kb, question, doc_id):
    ans = multi_kb.ask(question)
    assert not ans.abstained
    assert ans.citations[0].doc_id == doc_id
    assert ans.citations[0].doc_title        # a citation always names its document


def test_plan_answers_are_unchanged_by_the_laws(multi_kb):
    ans = multi_kb.ask("职教高考改革由哪些单位负责？")
    assert ans.responsible_units == ["州教育体育局", "州人力资源和社会保障局"]
    assert ans.citations[0].clause_id == "二（二）1"


def test_article_references_resolve(multi_kb):
    clause = next(c for c in multi_kb.clauses("劳动法(2018-12-29)") if c.clause_id == "第四章第三十九条")
    assert "第三十六条" in clause.text
    assert [c.clause_id for c in multi_kb.references(clause)] == ["第四章第三十六条"]


def test_missing_cited_documents_are_listed(multi_kb):
    missing = multi_kb.missing_citations()
    cited = next(m for m in missing if m["doc_number"] == "云政办发〔2024〕22号")
    assert cited["cited_by"] == ["楚雄州职业教育提质增效工作实施方案"]
    # a cited document that is held is not missing
    assert not any("中华人民共和国职业教育法" == m["title"] for m in missing)


def test_adding_one_document_embeds_only_that_document(multi_kb, tmp_path):
    src = tmp_path / "测试县职业教育补助办法.md"
    src.write_text("# 测试县职业教育补助办法\n\n第一条 测试县中职学生每生每年补助1234元。\n\n"
                   "第二条 本办法由测试县教育局负责解释。\n\n第三条 本办法自2025年1月1日起施行。\n",
                   encoding="utf-8")
    report = multi_kb.ingest([src])
    try:
        assert report.added == [src.stem] and len(report.unchanged) == 0
        assert report.clauses == len(multi_kb.clauses(src.stem)) == 3     # its 3 articles, nothing else
        assert "1234元" in multi_kb.ask("测试县中职学生每年补助多少元？").answer
    finally:
        multi_kb.remove_document(src.stem)
    assert src.stem not in {d.doc_id for d in multi_kb.documents()}
    assert multi_kb.check() == []
