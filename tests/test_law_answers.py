"""Answers from laws, asked as staff and parents ask: everyday words for the law's terms, an
article by number, a law's history, definitions, penalties, two questions in one message."""
from __future__ import annotations

import pytest

import numpy as np

from kb.retrieve import phrase_share, top_indexes
from kb.textnorm import to_halfwidth
from kb.tokenize import synonym_groups


def first(ans):
    assert not ans.abstained, ans.answer
    return ans.citations[0].doc_id, ans.citations[0].clause_id


def test_phrase_share_counts_verbatim_runs_only():
    assert phrase_share("负责职业教育工作的统筹规划", "国务院教育行政部门负责职业教育工作的统筹规划、综合协调") == 1.0
    assert phrase_share("统筹安排", "统筹规划") == 0.0          # a shared run of two characters is no phrase
    assert 0.4 < phrase_share("职业教育工作的定义", "发展职业教育工作") < 0.7


def test_top_indexes_is_a_stable_top_n():
    rng = np.random.default_rng(0)
    for _ in range(100):
        scores = rng.integers(0, 4, size=int(rng.integers(1, 200))).astype(float)   # many ties
        n = int(rng.integers(1, 60))
        assert list(top_indexes(scores, n)) == list(np.argsort(-scores, kind="stable")[:n])


def test_full_width_letters_and_digits_only_are_folded():
    assert to_halfwidth("３３７７５２２ＡＢｃ（一）！，") == "3377522ABc（一）！，"


def test_everyday_words_reach_the_law_words():
    extra = {t for group in synonym_groups("每天最多工作几小时") for alternative in group for t in alternative}
    assert {"每日", "不得", "超过"} <= extra
    assert "每天" not in extra    # the question's own words are not repeated


@pytest.mark.parametrize("question,doc_id,clause_id,must", [
    # 公司/孩子/上班 are not the law's words (用人单位/未成年人/招用)
    ("按劳动法，公司可以招十五岁的孩子来上班吗？", "劳动法(2018-12-29)", "第二章第十五条", "未满十六周岁"),
    ("我有乙肝，用人单位能因为这个不录用我吗？", "就业促进法(2015-04-24)", "第三章第三十条", "传染病病原携带者"),
    ("加班的话每个月最多能加多少小时？", "劳动法(2018-12-29)", "第四章第四十一条", "三十六小时"),
])
def test_colloquial_questions_are_answered_not_abstained(multi_kb, question, doc_id, clause_id, must):
    ans = multi_kb.ask(question)
    assert first(ans) == (doc_id, clause_id)
    assert must in ans.answer


@pytest.mark.parametrize("question,doc_id,clause_id,must", [
    pytest.param("职业教育法第三条规定了什么？", "职业教育法(2022-04-20)", "第一章第三条", "同等重要地位",
                 id="article named by number"),
    pytest.param("职业教育法里职业教育的定义是什么？", "职业教育法(2022-04-20)", "第一章第二条", "职业学校教育和职业培训",
                 id="definition by the drafting formula"),
    pytest.param("职业学校通过劳务派遣单位安排学生实习实训，会受到什么处罚？", "职业教育法(2022-04-20)",
                 "第七章第六十六条", "罚款", id="penalty article"),
    pytest.param("求职时被用人单位就业歧视，可以去法院告吗？", "就业促进法(2015-04-24)", "第八章第六十二条",
                 "人民法院提起诉讼", id="remedy in the 法律责任 chapter"),
])
def test_the_article_the_law_answers_with_is_cited(multi_kb, question, doc_id, clause_id, must):
    ans = multi_kb.ask(question)
    assert first(ans) == (doc_id, clause_id)
    assert must in ans.answer


def test_law_history_comes_from_the_header(multi_kb):
    ans = multi_kb.ask("劳动法修改过几次，分别是哪一年？")
    assert first(ans) == ("劳动法(2018-12-29)", "题注")
    assert "2009年8月27日" in ans.answer and "2018年12月29日" in ans.answer


def test_legislative_purpose_is_the_first_article_in_both_versions(multi_kb):
    ans = multi_kb.ask("职业教育法修订前后立法目的有什么变化？")
    assert [(c.doc_id, c.clause_id) for c in ans.citations] == [
        ("职业教育法(2022-04-20)", "第一章第一条"), ("职业教育法(1996-05-15)", "第一章第一条")]


def test_a_permission_question_gets_the_rule_not_the_penalty(multi_kb):
    ans = multi_kb.ask("幼儿园能不能对入园的孩子组织考试或者测评？")
    doc_id, _ = first(ans)
    assert doc_id == "学前教育法(2024-11-08)"
    cited = next(c for c in multi_kb.clauses(doc_id) if c.clause_id == ans.citations[0].clause_id)
    assert not any("法律责任" in part for part in cited.path)
    assert "不得对其组织任何形式的考试或者测试" in ans.answer


def test_a_short_article_is_answered_whole(multi_kb):
    ans = multi_kb.ask("上海企业按职工工资总额的多少提取职业教育培训经费？")
    assert first(ans)[0] == "上海市职业教育条例(2018-11-22)"
    assert "百分之一点五" in ans.answer and "百分之二点五" in ans.answer


def test_a_question_naming_no_place_prefers_national_law(multi_kb):
    ans = multi_kb.ask("义务教育阶段学校可以开除学生吗？")
    assert first(ans)[0] == "义务教育法(2018-12-29)"
    assert "不得开除" in ans.answer


def test_two_questions_in_one_message_are_both_answered(multi_kb):
    ans = multi_kb.ask("民办学校的理事会至少几个人？理事要有几年教育教学经验？")
    assert "五人以上" in ans.answer and "五年以上" in ans.answer
    assert all(f"[{c.n}]" in ans.answer for c in ans.citations)


def test_the_unanswerable_part_of_a_message_is_said_to_be_unanswered(multi_kb):
    ans = multi_kb.ask("劳动法规定的法定休假节日有哪些？楚雄州公务员考试什么时候报名？")
    assert not ans.abstained
    assert "国庆节" in ans.answer
    assert "关于“楚雄州公务员考试什么时候报名？”，文件中没有相关规定" in ans.answer


def test_a_figure_the_law_leaves_to_others_is_not_invented(multi_kb):
    ans = multi_kb.ask("劳动法规定带薪年休假每年能休几天？")
    assert ans.abstained


def test_how_many_kinds_is_answered_with_the_kinds(multi_kb):
    ans = multi_kb.ask("大学的学位分几种？")
    assert all(k in ans.answer for k in ("学士", "硕士", "博士"))


def test_a_bound_named_by_a_standard_answers_how_low(multi_kb):
    ans = multi_kb.ask("在青岛，职校学生顶岗实习的报酬最低不能低于多少？")
    assert first(ans)[0] == "青岛市职业教育条例(2015-09-24)"
    assert "最低工资标准" in ans.answer


def test_a_head_count_the_documents_do_not_give_is_not_invented(multi_kb):
    assert multi_kb.ask("2023年楚雄州中职学校招生人数是多少？").abstained


def test_an_effective_date_stated_only_in_the_closing_article(multi_kb):
    ans = multi_kb.ask("浙江省实施教师法办法是啥时候开始施行的？")
    assert "1997年9月10日" in ans.answer
