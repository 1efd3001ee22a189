"""kb.deadlines: a clause's own deadline from its text (and its document's year)."""
from __future__ import annotations

import pytest

from kb.deadlines import NOT_SET, clause_deadline, deadline_of_text
from kb.schema import Clause, Document

PLAN_DOC = Document(doc_id="plan", title="楚雄州职业教育提质增效工作实施方案", source="plan.txt",
                    sha256="", written_date="2024-06-13", published_date="2024-06-14")


@pytest.mark.parametrize("text, label", [
    ("到2026年，实现中高职“3+2”贯通培养全覆盖", "到2026年"),
    ("2025年起全州中职学校学生升高职学校比例不低于毕业生总数的60%。", "2025年起"),
    ("从2024年起，每年开展不少于10万人次的职业技能及各类培训。", "2024年起，每年"),
    ("州教育体育局每年度向各县市和职业学校印发提质增效重点任务清单", "每年度"),
    ("力争2025年底前建成实训基地", "2025年底前"),
    ("纳入“康居工程”计划，在1997年前解决好城近郊区教师中住房困难户的住房问题", "1997年前"),
    ("到“十四五”末，建成一批高水平专业", "到“十四五”末（2025年）"),
    ("小学生和初中学生每学年参加社会实践活动的时间", "每学年"),
    ("应当自收到申请之日起三十日内作出决定", "收到申请之日起三十日内"),
    ("完善职业教育差异化生均拨款制度，探索高职学校生均拨款与办学质量挂钩。", NOT_SET),
])
def test_labels(text, label):
    assert deadline_of_text(text).label == label


@pytest.mark.parametrize("text", [
    "本法自2022年5月1日起施行。",
    "情节严重的，1至5年内不得新成为民办学校举办者",
    "被撤销教师资格的，自撤销之日起五年内不得重新取得教师资格。",
    "不作为人力资源社会保障部门和财政部门核定单位下一年度绩效工资总量的基数。",
    "2022年4月20日第十三届全国人民代表大会常务委员会第三十四次会议修订",
])
def test_effective_dates_bans_and_dates_of_record_are_not_deadlines(text):
    d = deadline_of_text(text)
    assert not d.stated and d.label == NOT_SET


def test_a_span_counts_from_the_documents_written_date():
    clause = Clause(doc_id="plan", clause_id="二（一）1", path=["二、重点任务"],
                    text="1.加快优质学校建设。聚焦省级优质学校培育建设目标，利用3年时间，力争把楚雄师院建成省级优质本科高校")
    d = clause_deadline(clause, PLAN_DOC)
    assert d.label == "2027年（利用3年时间）"
    assert d.due_year == 2027 and d.matches_year(2027) and not d.matches_year(2026)
    # without the document the span stays as written, with no year
    alone = clause_deadline(clause)
    assert alone.label == "利用3年时间" and alone.due_year is None


def test_chinese_numerals_and_full_width_digits():
    assert deadline_of_text("用三年时间建成", base=2024).label == "2027年（用三年时间）"
    assert deadline_of_text("到２０２６年，建成").label == "到2026年"


def test_years_named_and_due_year():
    d = deadline_of_text("2025年起推进；到2026年，全覆盖；逐年提升比例")
    assert d.years == {2025, 2026}
    assert d.due_year == 2026
    assert d.matches_year(2025) and d.matches_year(2026) and not d.matches_year(2024)
    open_ended = deadline_of_text("2025年起全州中职学校学生升高职学校比例不低于60%")
    assert open_ended.due_year is None and open_ended.matches_year(2025)


def test_base_year_falls_back_to_published_then_effective_date():
    law = Document(doc_id="law", title="某法", source="", sha256="", dates={"施行": "2022-05-01"})
    clause = Clause(doc_id="law", clause_id="第一条", path=[], text="用2年时间完成")
    assert clause_deadline(clause, law).due_year == 2024


def test_the_plans_clauses(plan_kb):
    """The plan's tasks, as ingested: the four kinds the web app's 期限 column shows."""
    docs = {d.doc_id: d for d in plan_kb.documents()}
    labels = {c.clause_id: clause_deadline(c, docs[c.doc_id]).label for c in plan_kb.clauses()}
    assert labels["二（一）1"] == "2027年（利用3年时间）"
    assert labels["二（一）3"] == "2024年起，每年"
    assert labels["二（二）1"] == "2025年起"
    assert labels["二（二）2"] == "到2026年"
    assert labels["三（三）"] == "每年度"
    assert labels["二（七）1（2）"] == NOT_SET      # 州审计局's only task sets no deadline
    assert labels["三（二）"] == NOT_SET
