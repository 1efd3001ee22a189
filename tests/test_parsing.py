"""The plan's heading tree, clause ids, document facts and page-chrome removal; law structure."""
from __future__ import annotations

import pytest

from conftest import PLAN, RELATED
from ingest.clean import clean
from ingest.meta import extract_facts
from ingest.outline import outline, split_long
from ingest.pipeline import parse_document

PLAN_CLAUSE_IDS = [
    "文件信息", "印发通知", "前言", "一",
    "二（一）1", "二（一）2", "二（一）3",
    "二（二）1", "二（二）2", "二（二）3",
    "二（三）", "二（四）", "二（五）",
    "二（六）1", "二（六）2",
    "二（七）1（1）", "二（七）1（2）", "二（七）1（3）", "二（七）2",
    "三（一）", "三（二）", "三（三）", "三（四）",
]


@pytest.fixture(scope="module")
def plan():
    return parse_document(PLAN.read_bytes(), PLAN.name)


def test_plan_clause_ids_in_document_order(plan):
    _, clauses = plan
    ids = list(dict.fromkeys(c.clause_id for c in clauses))
    assert ids == PLAN_CLAUSE_IDS


def test_heading_paths_use_one_bracket_style(plan):
    _, clauses = plan
    by_id = {c.clause_id: c for c in clauses}
    assert by_id["二（二）1"].path == ["二、重点任务", "（二）拓宽三个人才培养渠道", "1.推进落实职教高考改革"]
    assert by_id["二（七）1（2）"].path[-2:] == ["1.激活学校发展内生动力", "（2）改革绩效分配制度"]
    assert by_id["三（二）"].section == "三、保障措施 > （二）落实经费保障"


def test_headings_without_text_are_not_clauses(plan):
    _, clauses = plan
    # "二、重点任务", "（一）实施三个基础工程", "1.激活学校发展内生动力" only open sections
    assert all(c.text.strip() for c in clauses)
    assert not any(c.clause_id in ("二", "二（一）", "二（七）1") for c in clauses)


def test_task_text_and_its_units_stay_in_one_clause(plan):
    _, clauses = plan
    gaokao = [c for c in clauses if c.clause_id == "二（二）1"]
    assert len(gaokao) == 1
    assert "2025年起" in gaokao[0].text and "责任单位" in gaokao[0].text
    assert gaokao[0].units == ["州教育体育局", "州人力资源和社会保障局"]


def test_text_directly_under_a_section_heading_belongs_to_it(plan):
    _, clauses = plan
    seven = next(c for c in clauses if c.clause_id == "二（七）2")
    assert seven.text.startswith("支持职业院校多元化办学")
    assert seven.title == "激发社会参与外在动力"


def test_quotes_are_verbatim_document_text(plan):
    _, clauses = plan
    source = PLAN.read_text(encoding="utf-8")
    for c in clauses:
        for line in c.text.split("\n"):
            assert line.strip() in source, (c.clause_id, line)


def test_page_chrome_removed():
    lines = clean(PLAN.read_text(encoding="utf-8"))
    for chrome in ("首页", "相关解读", "|"):
        assert chrome not in lines
    assert not any(line.startswith("您当前所在的位置") or line.startswith("索引号") for line in lines)


def test_plan_document_facts(plan):
    doc, _ = plan
    assert doc.title == "楚雄州职业教育提质增效工作实施方案"
    assert doc.notice_title == "楚雄州人民政府办公室关于印发楚雄州职业教育提质增效工作实施方案的通知"
    assert doc.doc_number == "楚政办通〔2024〕30号"
    assert doc.issuer == "楚雄州人民政府办公室"
    assert doc.written_date == "2024-06-13"
    assert doc.published_date == "2024-06-14"
    assert doc.level == "州市" and doc.kind == "实施方案"
    assert {"title": "云南省人民政府办公厅关于印发《云南省职业教育提质效实施方案》的通知",
            "doc_number": "云政办发〔2024〕22号"} in doc.cites


def test_half_width_and_full_width_headings_give_the_same_ids():
    text = "一、目标\n正文一。\n（一）甲项\n1.第一项。内容。\n(二)乙项\n2.第二项。内容。\n（1）细项。内容。"
    ids = [c.clause_id for c in outline(clean(text), "测试")]
    assert ids == ["一", "一（一）1", "一（二）2", "一（二）2（1）"]


def test_long_clause_split_at_sentence_ends_keeps_every_sentence():
    text = "。".join(f"第{i}句内容较长用于测试切分是否在句末进行" for i in range(60)) + "。"
    parts = split_long(text, limit=200)
    assert len(parts) > 1
    assert all(p.endswith("。") for p in parts)
    assert "".join(parts) == text


def test_law_articles_get_chapter_and_article_ids():
    path = RELATED / "职业教育法(2022-04-20).md"
    doc, clauses = parse_document(path.read_bytes(), path.name)
    ids = [c.clause_id for c in clauses]
    assert ids[0] == "题注"
    assert "第一章第一条" in ids and "第三章第二十四条" in ids and "第八章第六十九条" in ids
    article = next(c for c in clauses if c.clause_id == "第四章第三十三条")
    assert article.path == ["第四章 职业学校和职业培训机构", "第三十三条"]
    assert "（一）" in article.text      # items stay inside their article in law mode
    assert doc.title == "中华人民共和国职业教育法"
    assert doc.kind == "法律" and doc.level == "国家"
    assert doc.dates["通过"] == "1996-05-15" and doc.dates["修订"] == "2022-04-20"


def test_law_without_chapters_uses_article_ids():
    path = RELATED / "北京市实施《职业教育法》办法.md"
    _, clauses = parse_document(path.read_bytes(), path.name)
    assert [c.clause_id for c in clauses][:3] == ["题注", "第一条", "第二条"]


def test_facts_from_header_lines_only_when_present():
    facts = extract_facts("标题\n正文。", ["标题", "正文。"], "fallback")
    assert facts.doc_number == "" and facts.written_date == ""


# An uploaded notice: its 文号 on a line of its own under the title, its sender before 关于.
NOTICE_WITH_NUMBER = """楚雄州教育体育局关于开展2025年职业教育活动周的通知
楚教体通〔2025〕99号
各县市教育体育局，州属各职业院校：
为展示职业教育改革发展成果，现将有关事项通知如下。
一、活动时间
2025年5月。
二、工作要求
各县市要认真组织，按时报送总结（见楚政办通〔2024〕30号）。
楚雄州教育体育局
2025年4月10日
"""


def test_an_uploaded_notice_gives_its_number_sender_and_date():
    doc, _ = parse_document(NOTICE_WITH_NUMBER.encode(), "活动周通知.txt")
    assert doc.doc_number == "楚教体通〔2025〕99号"
    assert doc.issuer == "楚雄州教育体育局"
    assert doc.written_date == "2025-04-10"
    assert doc.kind == "通知"
    # a number cited inside a sentence is not the notice's own
    cited, _ = parse_document(NOTICE_WITH_NUMBER.replace("楚教体通〔2025〕99号\n", "").encode(), "b.txt")
    assert cited.doc_number == ""


@pytest.mark.parametrize("name, issuer, number", [
    ("职业教育法(2022-04-20).md", "全国人民代表大会常务委员会", ""),
    ("义务教育法(2018-12-29).md", "全国人民代表大会常务委员会", ""),
    ("北京市实施《职业教育法》办法.md", "北京市人民代表大会常务委员会", ""),
    ("民办教育促进法实施条例(2021-04-07).md", "国务院", "国务院令第741号"),
    # approved by the province, made by the city: the approval line does not name the author
    ("宁波市职业教育校企合作促进条例(2020-10-10).md", "宁波市人民代表大会常务委员会", ""),
    ("青岛市职业教育条例(2015-09-24).md", "青岛市人民代表大会常务委员会", ""),
])
def test_a_law_names_the_body_that_made_it(name, issuer, number):
    path = RELATED / name
    doc, _ = parse_document(path.read_bytes(), path.name)
    assert (doc.issuer, doc.doc_number) == (issuer, number)
