"""Mechanisms of question understanding, each tried on several wordings: where a term is
mentioned, what a defined term means, which version of a law is asked, slips that are not slips,
a closing remark that asks nothing, a speaker's role, and the thing an asked figure is of."""
from __future__ import annotations

import pytest

from kb.typos import corrector


def cited(ans) -> list[tuple[str, str]]:
    assert not ans.abstained, ans.answer
    return [(c.doc_id, c.clause_id) for c in ans.citations]


PLAN = "楚雄州职业教育提质增效工作实施方案"


@pytest.mark.parametrize("question", [
    "方案中哪些地方提到了“3+2”？",
    "文件里有几处讲到3+2？",
    "“3+2”在方案哪些地方出现？",
    "哪些条款说到了“3+2”",
])
def test_where_a_term_is_mentioned_lists_every_clause_whichever_side_the_term_stands(multi_kb, question):
    ans = multi_kb.ask(question)
    assert ans.kind == "mention"
    assert {c for _, c in cited(ans)} == {"二（二）2", "二（六）2"}


@pytest.mark.parametrize("question,doc_id,clause_id,must", [
    ("学前教育法里说的学前儿童是指多大的孩子？", "学前教育法(2024-11-08)", "第一章第二条", "三周岁到入小学前"),
    ("学前儿童指的是哪些孩子", "学前教育法(2024-11-08)", "第一章第二条", "三周岁到入小学前"),
    ("学前教育法里说的学前儿童，是指多大的孩子？", "学前教育法(2024-11-08)", "第一章第二条", "三周岁到入小学前"),
    ("什么叫未成年工？", "劳动法(2018-12-29)", "第七章第五十八条", "年满十六周岁未满十八周岁"),
    ("就业困难人员是什么意思", "就业促进法(2015-04-24)", "第六章第五十二条", "难以实现就业"),
])
def test_a_defined_term_is_answered_by_the_sentence_that_defines_it(multi_kb, question, doc_id, clause_id, must):
    ans = multi_kb.ask(question)
    assert ans.kind == "definition"
    assert cited(ans)[0] == (doc_id, clause_id)
    assert must in ans.answer


def test_a_question_about_something_of_a_defined_term_is_no_definition_question(multi_kb):
    assert multi_kb.ask("职业教育法规定的职业教育的目标是什么？").kind != "definition"


@pytest.mark.parametrize("question", [
    "上海实施义务教育法办法2024年修正后，义务教育管理体制跟2009年版比有什么变化？",
    "上海的义务教育法实施办法新旧版本在管理体制上有什么区别？",
])
def test_a_change_between_versions_is_shown_on_a_provision_that_changed(multi_kb, question):
    ans = multi_kb.ask(question)
    assert ans.kind == "version"
    new, old = ans.citations[:2]
    assert new.quote != old.quote
    assert "区人民政府为主管理" in new.quote and "区、县人民政府为主管理" in old.quote


@pytest.mark.parametrize("history,question", [
    (["国防教育法2024年修订后，全民国防教育日是哪天？"], "修订前的版本是怎么规定的？"),
    (["国防教育法2024年修订后，全民国防教育日是哪天？"], "那旧版里是怎么写的？"),
    ([], "国防教育法修改之前，全民国防教育日是怎么规定的？"),
])
def test_the_version_before_a_revision_is_answered_from_that_version(multi_kb, history, question):
    ans = multi_kb.ask(question, history)
    assert cited(ans)[0] == ("国防教育法(2018-04-27)", "第一章第十二条")
    assert "2018年版本" in ans.answer


def test_a_question_word_or_an_unknown_office_name_is_no_typing_slip(multi_kb):
    fix = corrector(multi_kb.snapshot())
    assert fix.correct("州税务局涉及方案里的哪项工作")[1] == []
    assert fix.correct("州教育体育局职成科的电话")[1] == []
    # …while a slip inside a name the documents use is still corrected
    assert fix.correct("州财正局负责哪些任务")[0] == "州财政局负责哪些任务"


@pytest.mark.parametrize("question", [
    "请问州教育体育局职成科的联系电话是多少？我想咨询职教高考的事",
    "州教体局的办公地址在哪里？想去当面问问职教高考",
])
def test_a_closing_remark_that_asks_nothing_does_not_become_a_question_of_its_own(multi_kb, question):
    assert multi_kb.ask(question).abstained


@pytest.mark.parametrize("question", [
    "文件里说要构建的协同发展机制是哪几方一起？",
    "方案里的协同发展机制由哪几方一起构建？",
])
def test_一起_is_no_question_about_time(multi_kb, question):
    ans = multi_kb.ask(question)
    assert cited(ans)[0] == (PLAN, "二（七）2")
    assert "政府+行业+企业+学校" in ans.answer


@pytest.mark.parametrize("question", [
    "我是一名中职老师，想问一下教师法规定我们有哪些权利？谢谢",
    "我是小学老师，请问按教师法我们享有哪些权利？",
])
def test_a_question_about_the_speaker_is_about_their_role(multi_kb, question):
    assert cited(multi_kb.ask(question))[0] == ("教师法(2009-08-27)", "第二章第七条")


@pytest.mark.parametrize("question", [
    "劳动法对年终奖是怎么规定的？",
    "按照劳动法，年终奖老板可以不发吗？",
    "试用期工资最低不能低于转正工资的百分之几？",
])
def test_a_law_named_or_a_figure_of_another_thing_is_no_support(multi_kb, question):
    assert multi_kb.ask(question).abstained


@pytest.mark.parametrize("question", [
    "国防教育法最新修订版哪天起施行？",
    "现行的国防教育法从哪天开始施行？",
])
def test_when_a_revised_law_takes_effect(multi_kb, question):
    assert "2024年9月21日" in multi_kb.ask(question).answer


@pytest.mark.parametrize("question", [
    "楚政办通〔2024〕30号是啥时候在网上发布的",
    "这个方案哪天挂网公开的？",
])
def test_when_the_plan_was_published(multi_kb, question):
    assert "2024年6月14日" in multi_kb.ask(question).answer


@pytest.mark.parametrize("question,clause_id", [
    ("每天最多工作几个小时？", "第四章第三十六条"),
    ("劳动法规定一天工作时间最长多少小时？", "第四章第三十六条"),
    ("我在一家厂里上班，老板让每天干10个小时，请问劳动法规定每天最多工作几个小时？", "第四章第三十六条"),
    ("加班一天最多几个小时？", "第四章第四十一条"),
    ("一个月最多加班多少小时？", "第四章第四十一条"),
])
def test_a_figure_narrowed_by_a_word_the_question_does_not_use_is_not_the_one_asked(multi_kb, question, clause_id):
    # 延长工作时间每日不得超过三小时 is overtime, not the working day asked about
    assert cited(multi_kb.ask(question))[0] == ("劳动法(2018-12-29)", clause_id)


@pytest.mark.parametrize("question,clause_id", [
    ("教师法规定教师有哪些权利？", "第二章第七条"),
    ("教师法里老师享有哪些权利", "第二章第七条"),
    ("教师法规定教师要履行哪些义务？", "第二章第八条"),
])
def test_a_list_question_is_answered_by_the_article_that_enumerates_it(multi_kb, question, clause_id):
    ans = multi_kb.ask(question)
    assert cited(ans)[0] == ("教师法(2009-08-27)", clause_id)
    assert "（一）" in ans.answer and "（六）" in ans.answer


@pytest.mark.parametrize("question", [
    "州科技局在方案中被列为哪些任务的责任单位？",
    "州科技局在哪项工作里当责任单位？",
    "我是州科技局的工作人员，请问这个方案里我们局被列为哪项工作的责任单位？",
])
def test_which_tasks_a_named_unit_is_责任单位_of_is_a_tasks_question(multi_kb, question):
    ans = multi_kb.ask(question)
    assert ans.kind == "unit_tasks"
    assert [c for _, c in cited(ans)] == ["二（一）2", "二（七）1（2）"]


@pytest.mark.parametrize("history,question,clause_id,must", [
    (["楚雄师院在这个方案里有什么任务？"], "它要建成什么样的学校？", "二（一）1", "省级优质本科高校"),
    (["方案里对职业院校引进高水平老师有什么新办法？"], "这项改革由哪些部门负责？", "二（七）1（1）", "州人力资源和社会保障局"),
])
def test_a_follow_up_that_points_back_keeps_the_earlier_subject(multi_kb, history, question, clause_id, must):
    ans = multi_kb.ask(question, history)
    assert cited(ans)[0] == (PLAN, clause_id)
    assert must in ans.answer


def test_a_version_named_by_its_year_in_a_follow_up(multi_kb):
    ans = multi_kb.ask("那2018年那个版本是怎么规定的？", ["国防教育法2024年修订后，全民国防教育日定在哪一天？"])
    assert cited(ans)[0] == ("国防教育法(2018-04-27)", "第一章第十二条")


@pytest.mark.parametrize("question", [
    "方案裏講的五個一體化，分別是哪五個？",
    "五个一体化分别是哪五个？",
    "五个一体化是哪些？",
])
def test_a_list_named_by_its_heading_is_enumerated(multi_kb, question):
    ans = multi_kb.ask(question)
    assert cited(ans)[0] == (PLAN, "二（五）")
    for item in ("人才培养一体化", "招生工作一体化", "专业布局一体化", "项目谋划一体化", "师资力量一体化"):
        assert item in ans.answer


@pytest.mark.parametrize("question", [
    "职中招生“一盘棋”具体实行哪几种招生方式？",
    "“一盘棋”招生是怎么搞的？",
])
def test_a_quoted_phrase_leads_to_the_clause_that_has_it(multi_kb, question):
    ans = multi_kb.ask(question)
    assert cited(ans)[0] == (PLAN, "二（五）")
    assert "一盘棋" in ans.answer


@pytest.mark.parametrize("question", [
    "经费保障这块由哪些部门负责？",
    "落实经费保障是哪几个部门的事？",
])
def test_a_who_question_naming_a_task_heading_is_answered_from_the_plan_whatever_else_is_indexed(multi_kb, question):
    ans = multi_kb.ask(question)
    assert cited(ans)[0] == (PLAN, "三（二）")
    assert ans.responsible_units == ["州财政局", "州发展改革委", "州教育体育局", "州人力资源和社会保障局"]


@pytest.mark.parametrize("question", [
    "老职教法和新职教法分别是哪天开始施行的？",
    "新旧职业教育法分别从什么时候开始施行？",
])
def test_a_fact_asked_of_both_versions_is_given_for_each(multi_kb, question):
    ans = multi_kb.ask(question)
    assert "1996年9月1日" in ans.answer and "2022年5月1日" in ans.answer
    assert "（1996年版）" in ans.answer and "（2022年版）" in ans.answer


@pytest.mark.parametrize("question", [
    "方案里哪里写到了“双师型”教师？",
    "文件中哪些地方说到双师型教师？",
    "方案讲到“双师型”教师的是哪几处",
])
def test_quotes_are_no_part_of_a_mentioned_term(multi_kb, question):
    # the plan writes it both ways: 双师型教师能力提升 and 加强“双师型”教师选拔
    ans = multi_kb.ask(question)
    assert ans.kind == "mention"
    assert {c for _, c in cited(ans)} == {"二（三）", "二（七）1（3）"}


def test_a_mentioned_term_not_in_the_documents_falls_back_to_the_phrase_it_quotes(multi_kb):
    ans = multi_kb.ask("方案里提到“3+2”模式的是哪几处？")
    assert ans.kind == "mention" and "“3+2”" in ans.answer
    assert {c for _, c in cited(ans)} == {"二（二）2", "二（六）2"}


@pytest.mark.parametrize("history,question,doc_id,must", [
    (["职业教育活动周定在每年几月？"], "这部法律什么时候开始实施的？", "职业教育法(2022-04-20)", "2022年5月1日"),
    (["职业教育活动周定在每年几月？"], "该法是哪天起施行的", "职业教育法(2022-04-20)", "2022年5月1日"),
    (["孩子几岁要上小学？"], "这部法叫什么名字？", "义务教育法(2018-12-29)", "义务教育法"),
    (["劳动法规定每天工作几个小时？"], "这个法律是哪一年通过的？", "劳动法(2018-12-29)", "1994年7月5日"),
])
def test_a_follow_up_naming_its_law_as_this_law_means_the_law_that_answered_before(multi_kb, history, question,
                                                                                  doc_id, must):
    ans = multi_kb.ask(question, history)
    assert not ans.abstained, ans.answer
    assert ans.citations[0].doc_id == doc_id
    assert must in ans.answer


@pytest.mark.parametrize("question", ["州财政要做哪些事？", "州财政在方案里涉及哪些工作", "方案里跟州财政有关的任务有哪些"])
def test_a_department_named_without_its_ju_is_that_department(multi_kb, question):
    ans = multi_kb.ask(question)
    assert ans.kind == "unit_tasks"
    assert {"二（一）1", "二（五）", "三（二）"} <= {c for _, c in cited(ans)}


@pytest.mark.parametrize("text", ["楚雄州教育事业发展得怎么样", "全州教育系统有多少老师", "楚雄州科技创新有什么政策"])
def test_a_place_and_a_field_are_no_department(text):
    from kb.units import find_units
    assert find_units(text) == []


@pytest.mark.parametrize("question", ["五个一体化分别指哪几个方面？", "五个“一体化”包括哪几块", "五个一体化具体是指哪五个"])
def test_the_asking_words_of_a_list_question_are_not_its_topic(multi_kb, question):
    ans = multi_kb.ask(question)
    assert cited(ans)[0] == (PLAN, "二（五）")
    for item in ("人才培养一体化", "招生工作一体化", "师资力量一体化"):
        assert item in ans.answer


@pytest.mark.parametrize("wrong", ["不收", "不发", "不给"])
def test_a_negated_verb_is_no_slip(multi_kb, wrong):
    fixed, found = corrector(multi_kb.snapshot()).correct(f"学校哪些费用是{wrong}的")
    assert found == [] and wrong in fixed


@pytest.mark.parametrize("history,question", [
    (["周末让我加班又不安排补休，加班费怎么算？"], "那国庆节那天上班呢？"),
    (["休息日加班又不给补休，工资怎么算？"], "那春节期间上班呢？"),
])
def test_a_follow_up_that_swaps_the_case_keeps_what_was_asked(multi_kb, history, question):
    ans = multi_kb.ask(question, history)
    assert cited(ans)[0] == ("劳动法(2018-12-29)", "第四章第四十四条")
    assert "百分之三百" in ans.answer


@pytest.mark.parametrize("question,heading_clause", [
    ("优质学校建设这块由哪些单位负责？", "二（一）1"),
    ("经费保障那部分由哪些部门负责落实？", "三（二）"),
    ("职教高考改革归哪些单位管？", "二（二）1"),
])
def test_a_who_question_may_quote_a_heading_without_its_leading_verb(multi_kb, question, heading_clause):
    ans = multi_kb.ask(question)
    assert ans.kind == "who"
    assert cited(ans)[0] == (PLAN, heading_clause)


@pytest.mark.parametrize("sentence,years", [
    ("用3年时间,通过实施重点任务", True),
    ("利用三年时间建成", True),
    ("2024年起每年完成培训", False),
    ("成文日期:2024年06月13日", False),
])
def test_a_number_of_years_is_no_calendar_year(sentence, years):
    from kb.answer.text import has_quantity
    assert has_quantity(sentence, "年") is years


@pytest.mark.parametrize("question", ["这个方案总共打算用几年时间？", "提质增效方案计划用几年完成重点任务", "方案要用几年时间"])
def test_how_many_years_the_plan_takes_is_answered_from_the_sentence_that_counts_them(plan_kb, question):
    ans = plan_kb.ask(question)
    assert cited(ans)[0] == (PLAN, "一")
    assert "3年" in ans.answer


def test_a_question_word_for_a_figure_matches_the_figure_in_a_phrase():
    from kb.retrieve import phrase_share
    assert phrase_share("方案用几年时间", "用3年时间,通过实施") > phrase_share("方案用几年时间", "每年度向各县市印发")


def test_one_everyday_word_is_one_piece_of_keyword_evidence():
    from kb.tokenize import synonym_groups
    groups = synonym_groups("孩子几岁上学")
    child = next(g for g in groups if ["儿童"] in g)
    assert len(child) == 4 and ["子女"] in child and "未成年人" in child[0]   # 孩子: one group of 4 alternatives


@pytest.mark.parametrize("question,doc_id", [
    ("北京国防教育办法里全民国防教育日是哪天？", "北京市实施《国防教育法》办法"),
    ("北京职教办法对企业职工教育经费怎么规定？", "北京市实施《职业教育法》办法"),
    ("河南教师法实施办法里师范生服务期几年？", "河南省实施《教师法》办法(2010-07-30)"),
])
def test_a_local_regulation_named_by_place_and_abbreviated_law(multi_kb, question, doc_id):
    ans = multi_kb.ask(question)
    assert cited(ans)[0][0] == doc_id


@pytest.mark.parametrize("question", [
    "云南省实施《教师法》办法对乡村教师补贴怎么规定？",
    "贵州省实施教师法办法里教师工资怎么定？",
])
def test_a_regulation_of_a_place_the_knowledge_base_lacks_is_refused_though_it_names_a_held_law(multi_kb, question):
    ans = multi_kb.ask(question)
    assert ans.abstained and "知识库中没有" in ans.answer


@pytest.mark.parametrize("question,kind", [
    ("职教高考改革是那些单位负责的？", "who"),
    ("这个方案的文号是好多？", None),
    ("全民国防教育日是那天？", None),
])
def test_that_and_haoduo_typed_for_the_question_word_are_read_as_it(multi_kb, question, kind):
    ans = multi_kb.ask(question)
    assert not ans.abstained, ans.answer
    if kind:
        assert ans.kind == kind
    assert any(v in ans.answer for v in ("楚政办通〔2024〕30号", "第三个星期六", "州教育体育局"))


def test_that_in_a_statement_stays_that():
    from kb.answer.question import normalise
    assert normalise("我家那个孩子在读书") == "我家那个孩子在读书"
    assert normalise("那些单位我都问过了，谁负责呢？") == "那些单位我都问过了，谁负责呢？"


@pytest.mark.parametrize("history,question", [
    (["职业教育法什么时候开始施行？"], "旧的那版呢？"),
    (["职业教育法什么时候开始施行？"], "老的那个版本呢？"),
])
def test_the_old_one_in_a_follow_up_is_the_version_before(multi_kb, history, question):
    ans = multi_kb.ask(question, history)
    assert cited(ans)[0][0] == "职业教育法(1996-05-15)"
    assert "1996年9月1日" in ans.answer


@pytest.mark.parametrize("question", [
    "方案里哪些地方提到了武定？我是武定县的，想全面了解一下。",
    "方案里哪些地方提到武定？我在武定县教体局上班。",
])
def test_an_introduction_after_the_question_is_read_as_one_before_it(multi_kb, question):
    ans = multi_kb.ask(question)
    assert ans.kind == "mention"
    assert {c for _, c in cited(ans)} == {"二（一）1", "二（二）2", "二（六）2"}


@pytest.mark.parametrize("question", ["中职升高职有比例要求，方案里定的是多少？", "方案里定的中职升高职比例是多少？"])
def test_a_word_the_tagger_guessed_is_no_unknown_thing_asked(multi_kb, question):
    ans = multi_kb.ask(question)
    assert cited(ans)[0] == (PLAN, "二（二）1") and "60%" in ans.answer


def test_a_second_part_asking_when_keeps_what_the_figure_was_of(multi_kb):
    ans = multi_kb.ask("中职升高职有比例要求，具体是多少？哪年开始执行？")
    assert not ans.abstained and "没有相关规定" not in ans.answer
    assert "2025年" in ans.answer and "60%" in ans.answer


@pytest.mark.parametrize("question", ["春节被安排上班，老板该给多少加班费？", "元旦那天加班，单位得付多少加班费"])
def test_an_amount_of_a_fee_is_money(multi_kb, question):
    ans = multi_kb.ask(question)
    assert cited(ans)[0] == ("劳动法(2018-12-29)", "第四章第四十四条")
    assert "百分之三百" in ans.answer


@pytest.mark.parametrize("question", [
    "云南省在国家规定的产假之外还多给几天？",
    "我在武定上班，云南的年休假比国家规定额外多几天？",
])
def test_a_places_addition_to_a_national_rule_needs_a_document_of_that_place(multi_kb, question):
    assert multi_kb.ask(question).abstained


def test_a_national_rule_asked_plainly_is_still_answered(multi_kb):
    ans = multi_kb.ask("女职工产假有多少天？")
    assert cited(ans)[0] == ("劳动法(2018-12-29)", "第七章第六十二条")


def test_two_facts_asked_in_one_sentence_with_a_slip_for_the_question_word(multi_kb):
    ans = multi_kb.ask("劳动法是那天通过的，又是从啥时候开始施行的？")
    assert "1994年7月5日" in ans.answer and "1995年1月1日" in ans.answer


@pytest.mark.parametrize("history,question", [
    (["我想辞职，要提前多久告诉公司？"], "要是还在试用期呢？"),
    (["不想干了，辞职得提前多久跟单位说？"], "那要是在试用期呢？"),
])
def test_a_follow_up_changing_the_case_is_answered_from_a_clause_of_that_case(multi_kb, history, question):
    ans = multi_kb.ask(question, history)
    assert "试用期" in ans.citations[0].quote or "试用期" in ans.answer


@pytest.mark.parametrize("question", ["职中要拿几个专业出来跟高职搞五年一贯制？", "中职要选几个专业和高职搞五年一贯制"])
def test_zhizhong_is_the_plans_zhongzhi_school(multi_kb, question):
    ans = multi_kb.ask(question)
    assert cited(ans)[0] == (PLAN, "二（二）2") and "1个—2个" in ans.answer


@pytest.mark.parametrize("question,first_item", [
    ("想开一所职业学校，要满足哪些基本条件？", "有组织机构和章程"),
    ("教师享有哪些权利？", "进行教育教学活动"),
])
def test_a_list_question_is_answered_by_the_sentence_announcing_that_list(multi_kb, question, first_item):
    assert first_item in multi_kb.ask(question).answer


def test_an_announced_list_of_something_else_does_not_outrank_an_inline_list(multi_kb):
    ans = multi_kb.ask("高等学校教师职务分哪几级？")   # 第四十七条 also announces 下列基本条件：
    assert "助教、讲师、副教授、教授" in ans.answer


@pytest.mark.parametrize("history", [["河南师范毕业生任教服务期是几年？"], ["劳动法规定每天工作几个小时？"]])
def test_this_file_after_a_law_question_is_still_the_plan(multi_kb, history):
    ans = multi_kb.ask("这个文件的文号是多少？", history)
    assert "楚政办通〔2024〕30号" in ans.answer


@pytest.mark.parametrize("question", ["市域产教联合体示范这个事谁来负责？", "职教高考改革这件事由哪些单位负责？"])
def test_a_follow_up_with_a_topic_of_its_own_leaves_the_earlier_law_when_that_law_has_no_answer(multi_kb, question):
    ans = multi_kb.ask(question, ["北京市实施《职业教育法》办法规定企业提取职工教育经费的比例不低于多少？"])
    assert ans.kind == "who" and ans.citations[0].doc_id == PLAN


@pytest.mark.parametrize("question", ["劳动法对年终奖怎么规定？公司能扣吗？", "年终奖法律上有规定吗？老板可以不发吗？"])
def test_a_part_leaning_on_a_part_the_documents_say_nothing_about_is_refused_too(multi_kb, question):
    assert multi_kb.ask(question).abstained


def test_a_part_leaning_on_an_answered_part_is_answered(multi_kb):
    ans = multi_kb.ask("加班费怎么算？老板可以不给吗？")
    assert not ans.abstained and "百分之一百五十" in ans.answer


@pytest.mark.parametrize("question", ["年终奖法律上有规定吗？", "法律对年终奖有相关规定吗", "公积金缴存比例法律有规定吗？"])
def test_framing_words_are_no_evidence_that_a_clause_answers(multi_kb, question):
    assert multi_kb.ask(question).abstained


def test_a_question_framed_as_what_the_law_says_is_still_answered(multi_kb):
    ans = multi_kb.ask("法律对加班时间有什么规定？")
    assert cited(ans)[0] == ("劳动法(2018-12-29)", "第四章第四十一条")


@pytest.mark.parametrize("text,unwrapped", [
    ("请问我是一名中职老师，想问一下教师法规定我们有哪些权利？谢谢", "教师法规定教师有哪些权利？"),
    ("您好，我是职业学校的老师，想咨询一下：我是一名小学老师，教育局多长时间内要作出处理？",
     "教育局多长时间内要作出处理？"),
    ("麻烦问一下：我是禄丰市教体局的，县里要做哪些事？", "禄丰市人民政府要做哪些事？"),
])
def test_stacked_greetings_politeness_and_introductions_are_all_unwrapped(text, unwrapped):
    from kb.answer.question import _unwrap, normalise
    assert _unwrap(normalise(text))[0] == unwrapped


def test_an_introduction_that_is_the_question_stays(multi_kb):
    from kb.answer.question import _unwrap, normalise
    assert _unwrap(normalise("我是乙肝病毒携带者，学校能不能拒绝录用我？"))[0].startswith("我是乙肝病毒携带者")


@pytest.mark.parametrize("text,standard", [
    ("新职教法咋个定位职业教育？", "新职教法怎么定位职业教育？"),
    ("喊他们配合哪样工作？", "喊他们配合什么工作？"),
    ("每天最多上几个小时班？", "每天最多上班几个小时？"),
    ("顶岗实习每天干几个钟头？", "顶岗实习每天干几个小时？"),
])
def test_yunnan_chat_forms_are_read_as_standard_chinese(text, standard):
    from kb.answer.question import normalise
    assert normalise(text) == standard


@pytest.mark.parametrize("question,unit", [
    ("医专在方案里头都被安排了哪些活？", "楚雄医专"),
    ("师院要承担哪些任务？", "楚雄师院"),
    ("公安局为什么会出现在这个方案里？", "州公安局"),
    ("州税务局咋个也在方案里面？", "州税务局"),
])
def test_a_school_or_department_named_short_or_asked_why_it_is_in_the_plan_gets_its_tasks(multi_kb, question, unit):
    ans = multi_kb.ask(question)
    assert ans.kind == "unit_tasks" and unit in ans.answer


def test_they_in_a_follow_up_part_is_the_unit_named_before(multi_kb):
    ans = multi_kb.ask("州公安局怎么也在方案里？他们要配合什么工作？")
    assert ans.kind == "unit_tasks" and "二（三）" in {c.clause_id for c in ans.citations}


@pytest.mark.parametrize("question", ["我是元谋的，去昆明找工作被中介收了押金，合法吗？", "我在大理打工，到昆明找工作被中介收押金，这合法吗？",
                                      "我是曲靖人，来楚雄找工作，中介要收押金，这合法吗？"])
def test_a_place_the_story_goes_to_is_no_place_the_rule_is_of(multi_kb, question):
    ans = multi_kb.ask(question)
    assert not ans.abstained and ans.citations[0].doc_id == "就业促进法(2015-04-24)"


@pytest.mark.parametrize("question", ["高考找人替考会有什么后果？", "考试代考被抓了会怎么处理？"])
def test_sitting_an_exam_for_someone_is_the_education_laws_case(multi_kb, question):
    assert multi_kb.ask(question).citations[0].doc_id == "教育法(2021-04-29)"


def test_a_quoted_phrase_names_the_heading_whose_list_is_asked(multi_kb):
    ans = multi_kb.ask("开会时听领导说“五个一体化办学格局”，分别是哪五个？")
    assert cited(ans)[0] == (PLAN, "二（五）") and "师资力量一体化" in ans.answer


@pytest.mark.parametrize("question,doc_id", [
    ("上海那个实施义务教育法的办法里，适龄儿童几岁入学？", "上海市实施《义务教育法》办法(2024-09-27)"),
    ("北京的实施教师法的办法里对教师培训怎么规定？", "北京市实施《教师法》办法"),
])
def test_a_de_inside_a_local_regulations_name_joins_it(multi_kb, question, doc_id):
    from kb.retrieve import named_documents
    assert doc_id in named_documents(question, multi_kb.snapshot())


@pytest.mark.parametrize("text,standard", [
    ("96年那版职业教育法", "1996年那版职业教育法"),
    ("老职教法（96版）里", "老职教法（1996年版）里"),
    ("09版的上海办法", "2009年版的上海办法"),
    ("第96条怎么说", "第96条怎么说"),
])
def test_a_versions_year_in_two_digits_is_read_in_four(text, standard):
    from kb.answer.question import normalise
    assert normalise(text) == standard


@pytest.mark.parametrize("question,unit", [
    ("州农业农村局要管方案里的哪几项？", "州农业农村局"),
    ("医专在这个方案里都要干些啥？", "楚雄医专"),
    ("州公安局怎么也在方案的责任单位里？", "州公安局"),
    ("您好，我是楚雄师院教务处的，想问问这个方案给我们学校分了哪些任务？", "楚雄师院"),
])
def test_more_ways_of_asking_a_units_tasks(multi_kb, question, unit):
    ans = multi_kb.ask(question)
    assert ans.kind == "unit_tasks" and unit in ans.answer


@pytest.mark.parametrize("question", ["方案里的办学格局要在哪几个方面实现一体化？", "方案要在哪几个方面实现一体化？"])
def test_in_which_aspects_is_no_question_of_place(multi_kb, question):
    ans = multi_kb.ask(question)
    assert cited(ans)[0] == (PLAN, "二（五）")


@pytest.mark.parametrize("question", ["文件中涉及职教高考的内容分布在哪几条？", "职教高考在方案里哪几个地方有提到"])
def test_more_ways_of_asking_where_a_term_is_mentioned(multi_kb, question):
    ans = multi_kb.ask(question)
    assert ans.kind == "mention"
    assert {"二（一）1", "二（二）1", "二（二）3"} <= {c for _, c in cited(ans)}


@pytest.mark.parametrize("question", ["职教高考是怎么考的，按什么评价方式？", "职教高考怎么搞的，用什么方式评价？"])
def test_a_stretch_continuing_the_sentence_is_about_its_topic(multi_kb, question):
    assert "文化素质+职业技能" in multi_kb.ask(question).answer


@pytest.mark.parametrize("question", [
    "我是州人社局的，想确认下：从哪年起，全州每年的培训总量最少要达到多少人次？",
    "从哪年开始，全州每年要完成多少人次的职业技能培训？",
])
def test_a_first_stretch_naming_nothing_is_one_question_with_the_rest(multi_kb, question):
    from kb.answer.question import _split_parts
    assert len(_split_parts(question)) == 1
    ans = multi_kb.ask(question)
    assert "10万人次" in ans.answer


@pytest.mark.parametrize("history,question", [
    (["上海的企业按职工工资总额的多少提取职业教育培训经费？"], "用于一线职工身上的比例不低于多少？"),
    (["北京的企业提取职工教育经费的比例不低于多少？"], "这笔经费主要用在哪些人身上？"),
])
def test_a_follow_up_stays_in_the_place_the_question_before_asked_about(multi_kb, history, question):
    ans = multi_kb.ask(question, history)
    place = history[0][:2]
    assert not ans.abstained and place in ans.citations[0].doc_id


def test_a_locative_word_is_no_thing_a_figure_is_of():
    from kb.answer.question import _asked_of
    assert "身上" not in _asked_of("用在一线职工身上的比例是多少")


@pytest.mark.parametrize("question,values", [
    ("职业技能培训里，在校学生和企业职工、社会人员分别要完成多少？", ("3万人次", "2万人次")),
    ("州级示范的行业产教融合共同体和现代产业学院各建多少个？", ("10个左右", "20个左右")),
])
def test_a_figure_for_each_thing_asked_respectively(multi_kb, question, values):
    ans = multi_kb.ask(question)
    assert all(v in ans.answer for v in values), ans.answer


@pytest.mark.parametrize("question", [
    "招聘时公司要求女职工在合同里写三年内不准生孩子，合法吗？",
    "单位在劳动合同里规定女工几年内不许结婚，这合法吗？",
])
def test_a_figure_in_the_story_of_a_whether_question_is_not_asked(multi_kb, question):
    ans = multi_kb.ask(question)
    assert not ans.abstained and ans.citations[0].doc_id == "就业促进法(2015-04-24)"


@pytest.mark.parametrize("question", ["职教高考在方案里出现在哪些地方？", "“3+2”在文件中出现在哪几个地方"])
def test_a_term_appearing_in_which_places(multi_kb, question):
    assert multi_kb.ask(question).kind == "mention"


def test_miansho_is_not_charging(multi_kb):
    ans = multi_kb.ask("上海义务教育阶段免收哪些费用？")
    assert "教科书费" in ans.answer


@pytest.mark.parametrize("question", [
    "我是大姚县教体局新来的，想问下州里这个职教提质增效方案是为了落实省里哪个文件？",
    "咱们这个职教提质增效方案是依据省里哪份文件定的？",
])
def test_a_document_named_by_its_abbreviation_is_still_the_document_asked_about(multi_kb, question):
    assert "云政办发〔2024〕22号" in multi_kb.ask(question).answer


@pytest.mark.parametrize("question", ["州财政局在方案里有哪些责任？", "州审计局有什么责任？"])
def test_a_units_responsibilities_are_its_tasks(multi_kb, question):
    assert multi_kb.ask(question).kind == "unit_tasks"


@pytest.mark.parametrize("question", [
    "幼儿园能不能提前教一年级的拼音算术这些小学课程？",
    "幼儿园能不能教拼音、算术这些小学课程？",
])
def test_examples_named_before_their_kind_do_not_make_a_question_unanswerable(multi_kb, question):
    ans = multi_kb.ask(question)
    assert not ans.abstained and cited(ans)[0] == ("学前教育法(2024-11-08)", "第五章第五十九条")


def test_divided_into_how_many_asks_which():
    from kb.answer.question import _asks
    assert "list" in _asks("职业学校教育分几个层次？") and "number" not in _asks("职业学校教育分几个层次？")


@pytest.mark.parametrize("question", ["大理州的职业教育提质增效方案要建几个产教联合体？", "红河今年中职学校招多少人？",
                                      "德国的双元制职业教育是怎么规定的？"])
def test_a_place_the_documents_never_name_is_refused_with_or_without_its_suffix(multi_kb, question):
    assert multi_kb.ask(question).abstained


@pytest.mark.parametrize("question,doc_id", [
    ("孩子在幼儿园上大班，能不能提前教小学的课程？", "学前教育法(2024-11-08)"),
    ("刚上岗的新员工试用期最长多久？", "劳动法(2018-12-29)"),
])
def test_everyday_words_the_tagger_calls_places_are_no_places(multi_kb, question, doc_id):
    ans = multi_kb.ask(question)
    assert not ans.abstained and ans.citations[0].doc_id == doc_id


@pytest.mark.parametrize("question,units", [
    ("乡村振兴学院争创省级示范那件事，牵头的是谁？", {"武定县人民政府", "州教育体育局"}),
    ("改革绩效分配这块，是财政局管还是人社局管？", {"州财政局", "州人力资源和社会保障局"}),
    ("中高本贯通培养是教体局负责还是医专负责？", {"州教育体育局", "楚雄医专"}),
])
def test_asking_which_of_two_or_who_leads_is_a_who_question(multi_kb, question, units):
    ans = multi_kb.ask(question)
    assert ans.kind == "who" and units <= set(ans.responsible_units)


@pytest.mark.parametrize("question,doc_id", [
    ("学校让我们实习前先交500块管理费，这样收钱合法吗？", "职业教育法(2022-04-20)"),
    ("中介收了我两次共1500块押金，这样合法吗？会怎么处罚？", "就业促进法(2015-04-24)"),
])
def test_a_sum_the_story_tells_of_is_not_what_is_asked(multi_kb, question, doc_id):
    ans = multi_kb.ask(question)
    assert not ans.abstained and doc_id in {c.doc_id for c in ans.citations}


def test_a_figure_or_year_asked_about_that_the_documents_never_give_is_still_refused(multi_kb):
    assert multi_kb.ask("楚雄州2035年要建成几所优质学校？").abstained


@pytest.mark.parametrize("question,unit", [
    ("我是楚雄技师学院的老师，学校在方案里承担哪些任务？", "楚雄技师学院"),
    ("我在州农业农村局上班，局里要配合做什么？", "州农业农村局"),
    ("我在州财政局上班，我们局要干哪些活，帮忙列一下", "州财政局"),
])
def test_the_speakers_school_or_office_named_by_its_kind_gets_its_tasks(multi_kb, question, unit):
    ans = multi_kb.ask(question)
    assert ans.kind == "unit_tasks" and ans.answer.startswith(unit)


@pytest.mark.parametrize("question,unit,clauses", [
    ("州商务局在方案里哪些地方被点名了？", "州商务局", {"二（四）"}),
    ("师院在方案里在哪些地方出现？", "楚雄师院", {"二（一）1", "二（一）3"}),
])
def test_where_a_unit_is_mentioned_includes_the_responsibility_lists_naming_it(multi_kb, question, unit, clauses):
    ans = multi_kb.ask(question)
    assert ans.kind == "mention" and clauses <= {c for _, c in cited(ans)} and "列为责任单位" in ans.answer


@pytest.mark.parametrize("history,question,new,old", [
    ([], "上海义务教育实施办法里，义务教育学生的学籍管理，09版和24版一样吗？",
     "上海市实施《义务教育法》办法(2024-09-27)", "上海市实施《义务教育法》办法(2009-02-24)"),
    (["全民国防教育日定在哪一天？"], "18年那版国防教育法也是这么规定的吗？", "国防教育法(2024-09-13)", "国防教育法(2018-04-27)"),
    ([], "职业教育法里职业培训分哪些种类，新旧两版有没有变？", "职业教育法(2022-04-20)", "职业教育法(1996-05-15)"),
    ([], "职业学校教育现在分几级？跟96年老版职教法比有什么不一样？", "职业教育法(2022-04-20)", "职业教育法(1996-05-15)"),
])
def test_asking_whether_two_versions_say_the_same_compares_them(multi_kb, history, question, new, old):
    docs = [d for d, _ in cited(multi_kb.ask(question, history))]
    assert new in docs and old in docs


def test_a_version_comparison_shows_the_provision_with_its_frame(multi_kb):
    ans = multi_kb.ask("1996年和2022年的职业教育法相比，职业学校教育的层次划分有什么变化？")
    assert "职业学校教育分为中等职业学校教育、高等职业学校教育" in ans.answer and "初等" in ans.answer


@pytest.mark.parametrize("question,doc_id", [
    ("依河南省实施办法，企业不实施职业教育会被怎么收费？", "河南省实施《职业教育法》办法(2010-07-30)"),
    ("上海2009年那版义务教育办法里，延缓入学由谁批准？", "上海市实施《义务教育法》办法(2009-02-24)"),
])
def test_a_preposition_or_version_word_before_a_document_name_is_not_part_of_it(multi_kb, question, doc_id):
    assert cited(multi_kb.ask(question))[0][0] == doc_id


def test_a_word_of_the_dictionary_is_no_typing_slip(multi_kb):
    assert not any(c.wrong == "犯法" for c in corrector(multi_kb.snapshot()).correct("招童工犯法吗")[1])


def test_the_speakers_unit_called_by_the_end_of_its_name(multi_kb):
    ans = multi_kb.ask("我是楚雄高新区管委会的，跟我们管委会有关的任务有哪些？")
    assert ans.kind == "unit_tasks" and {"二（五）", "印发通知"} <= {c for _, c in cited(ans)}


def test_asking_into_how_many_parts_a_thing_divides_is_answered_by_the_division(multi_kb):
    ans = multi_kb.ask("现在的职业学校教育分几个层次？")
    assert "分为中等职业学校教育、高等职业学校教育" in ans.answer


@pytest.mark.parametrize("told", ["我们几个股东", "好几年", "十几个人", "几十家企业"])
def test_a_rough_count_in_the_story_asks_no_number(told):
    from kb.answer import cues
    assert not cues.NUMBER.search(told) and not cues.ASKING.search(told)


@pytest.mark.parametrize("question", ["我们几个朋友想办一所职业学校，按职业教育法要满足哪些条件？",
                                      "好几家企业想合办职业学校，职业教育法规定要具备什么条件"])
def test_a_story_with_a_rough_count_is_answered_by_the_rule_asked(multi_kb, question):
    assert cited(multi_kb.ask(question))[0][0] == "职业教育法(2022-04-20)"


@pytest.mark.parametrize("question", ["民办学校要是倒闭了，财产怎么清偿？", "民办学校关门了，剩下的财产先还谁？"])
def test_a_school_closing_in_everyday_words_finds_the_liquidation_rule(multi_kb, question):
    assert cited(multi_kb.ask(question))[0] == ("民办教育促进法(2018-12-29)", "第八章第五十九条")


def test_zhigao_is_a_vocational_high_school(multi_kb):
    assert cited(multi_kb.ask("在职高当专业课老师，教师资格要什么学历？"))[0] == ("教师法(2009-08-27)", "第三章第十一条")


@pytest.mark.parametrize("question,said", [("方案页面上的索引号是多少", "115323000151673132-/2024-0614001"),
                                           ("这个文件的公开目录是什么", "政府文件"),
                                           ("方案的主题词是什么", "为空")])
def test_a_labelled_fact_of_the_documents_page_is_read_from_its_label(multi_kb, question, said):
    ans = multi_kb.ask(question)
    assert ans.kind == "meta" and said in ans.answer and cited(ans)[0] == (PLAN, "文件信息")


@pytest.mark.parametrize("question", ["招十五岁的孩子打工犯法吗？", "老板让小孩加班犯法不"])
def test_a_word_ending_in_fa_that_is_no_law_is_not_taken_for_a_missing_document(multi_kb, question):
    from kb.doc_names import names_in
    assert not any(n.endswith("犯法") for n in names_in(question))
    assert "知识库中没有《" not in multi_kb.ask(question).answer


@pytest.mark.parametrize("question", ["村里有人招十五岁的孩子进厂打工，会怎么处理",
                                      "有厂子招十五岁的孩子打工，这犯法吗？会怎么处理"])
def test_hiring_a_child_in_everyday_words_finds_the_rule_and_its_penalty(multi_kb, question):
    assert ("劳动法(2018-12-29)", "第十二章第九十四条") in cited(multi_kb.ask(question))


@pytest.mark.parametrize("question,measure", [("经费里一线职工要占多少？", "%"), ("每年培训10万人次里面，农村劳动力占多少？", "人次"),
                                              ("学生占了多大", "%")])
def test_a_part_of_a_whole_is_counted_as_the_whole_or_as_a_share(question, measure):
    from kb.answer.question import asked_unit
    assert asked_unit(question) == measure


def test_a_later_part_answered_by_what_an_earlier_part_quoted_is_not_repeated(multi_kb):
    ans = multi_kb.ask("上海的企业职业教育培训经费按工资总额提多少？效益好的企业可以提多少？一线职工要占多少？")
    assert ans.answer.count("百分之二点五") == 1 and "百分之六十" in ans.answer
    assert "没有相关规定" not in ans.answer
