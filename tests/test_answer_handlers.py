"""Each answer handler and the question parser on a knowledge base held in memory: a small plan
in the shipped plan's style and two versions of a small law (tests/tiny_kb.py). No model loads."""
from __future__ import annotations

import pytest

from kb.answer import Answerer
from kb.answer.context import AnswerContext
from kb.answer.question import parse
from kb.answer.router import HANDLERS

from tiny_kb import TinyKB

PLAN = """索引号:1153/2025-0301001 | 发布机构:楚雄州人民政府办公室 |
发布日期:2025年03月02日 | 文 号:楚政办通〔2025〕9号 |
成文日期:2025年03月01日 |
楚雄州蓝莓产业人才培养实施方案
为认真贯彻落实《云南省人民政府办公厅关于印发〈云南省蓝莓产业提升方案〉的通知》(云政办发〔2024〕99号)要求,特制定本方案。
一、工作目标
用2年时间,通过实施“21”重点任务,建设一批蓝莓实训基地,打响“楚雄蓝莓”品牌。
二、重点任务
(一)实施两个基础工程
1.建设实训基地。到2026年,建成州级蓝莓实训基地3个;力争把楚雄医专建设成为蓝莓人才培养基地。(责任单位:州农业农村局、州财政局、楚雄医专、10县市人民政府)
2.开展技能培训。从2025年起,每年开展不少于2万人次的蓝莓种植培训。其中,面向农村劳动力完成不少于1万人次。(责任单位:州人力资源和社会保障局、州教育体育局)
(二)打造一个示范项目
打造武定县蓝莓示范园,推动武定县职中开设蓝莓种植专业。(责任单位:武定县人民政府、州农业农村局)
三、保障措施
(一)加强组织领导
州教育体育局、州农业农村局联合成立工作专班,统筹推进各项任务。(责任单位:州教育体育局、州农业农村局)
"""

LAW_NEW = """# 中华人民共和国蓝莓种植法

2010年1月1日 第十一届全国人民代表大会常务委员会第十次会议通过

2020年6月1日 第十三届全国人民代表大会常务委员会第二十次会议修订

<!-- INFO END -->

## 第一章 总则

第一条 为了促进蓝莓种植，保护种植工人的合法权益，制定本法。

第二条 本法所称种植工人，是指受雇从事蓝莓采摘和管护的劳动者。

第三条 种植工人每日工作时间不超过八小时。

第四条 用人单位经与工会协商后可以延长工作时间，一般每日不得超过一小时。

## 第二章 法律责任

第五条 用人单位违反本法第三条规定的，由劳动行政部门给予警告，处五千元以上一万元以下的罚款。

第六条 本法自2020年9月1日起施行。
"""

LAW_OLD = """# 中华人民共和国蓝莓种植法

2010年1月1日 第十一届全国人民代表大会常务委员会第十次会议通过

<!-- INFO END -->

## 第一章 总则

第一条 为了促进蓝莓种植，制定本法。

第二条 种植工人每日工作时间不超过十小时。

第三条 本法自2010年3月1日起施行。
"""


@pytest.fixture(scope="module")
def tiny():
    return TinyKB({"蓝莓方案.txt": PLAN, "蓝莓种植法(2020-06-01).md": LAW_NEW, "蓝莓种植法(2010-01-01).md": LAW_OLD})


def ask(kb, question, history=()):
    return Answerer(kb).answer(question, list(history))


def cited(answer):
    return [c.clause_id for c in answer.citations]


# -- the parser --------------------------------------------------------------------------------

def test_wrappers_do_not_change_the_question(tiny):
    plain = parse("州财政局负责哪些任务？", [], tiny.snapshot())
    for wrapped in ("请问州财政局负责哪些任务？谢谢", "你好，麻烦问一下，州财政局负责哪些任务？",
                    "我是州财政局的，州财政局负责哪些任务？"):
        q = parse(wrapped, [], tiny.snapshot())
        assert (q.units, q.asks) == (plain.units, plain.asks), wrapped


def test_a_self_introduction_names_the_speaker(tiny):
    q = parse("我是武定县教体局的，这个方案要我们县里做哪些事？", [], tiny.snapshot())
    assert q.speaker == "武定县人民政府" and q.units == ("武定县人民政府",) and q.wants("tasks")
    # an introduction that names no unit is part of the question (it may be its topic)
    q = parse("我是乙肝病毒携带者，公司能不录用我吗？", [], tiny.snapshot())
    assert not q.speaker and "乙肝" in q.normalized


def test_a_follow_up_swaps_the_unit_into_the_earlier_question(tiny):
    q = parse("那州财政局呢？", ["州农业农村局负责哪些任务？"], tiny.snapshot())
    assert q.inherited and q.units == ("州财政局",) and q.wants("tasks")


def test_a_follow_up_takes_the_earlier_topic_and_asks_its_own_thing(tiny):
    q = parse("它的目标是什么？", ["开展技能培训由哪些单位负责？"], tiny.snapshot())
    assert q.inherited and q.attribute == "target" and "技能培训" in q.context and not q.wants("who")


def test_a_question_with_a_topic_of_its_own_reads_alone_first(tiny):
    q = parse("蓝莓种植法规定每天工作几小时？", ["州财政局负责哪些任务？"], tiny.snapshot())
    assert not q.inherited and q.completed is None         # names a document and asks of it


def test_parts_are_split_before_routing_and_lean_on_each_other(tiny):
    q = parse("农村劳动力每年要培训多少人次？这项工作由哪些单位负责？", [], tiny.snapshot())
    assert len(q.parts) == 2 and q.parts[1].wants("who") and q.parts[1].inherited
    assert "农村劳动力" in q.parts[1].context
    # two stretches that each ask are two parts even without a question mark between them
    assert len(parse("楚雄医专开了哪些专业，学费一年多少？", [], tiny.snapshot()).parts) == 2


def test_what_is_asked(tiny):
    snap = tiny.snapshot()
    assert parse("技能培训要达到什么目标？", [], snap).attribute == "target"
    assert parse("楚雄医专要在哪一年前建成培养基地？", [], snap).attribute == "deadline"
    assert parse("什么时候开始培训？", [], snap).attribute == "start"
    assert parse("工资最低不能低于多少？", [], snap).measure == "money"
    assert parse("示范企业计划孵化多少家？", [], snap).measure == "家"
    assert parse("民办学校给老师缴住房公积金的比例是多少？", [], snap).asked_of == ("公积金",)
    assert parse("今年什么时候报名？", [], snap).asked_of == ("报名",)
    assert parse("每天工作几小时？", [], snap).counted == "工作"


def test_names_in_the_story_are_not_what_is_asked(tiny):
    q = parse("我家孩子在楚雄医专读书，听说培训有人数要求，请问是多少？", [], tiny.snapshot())
    assert "楚雄医专" in q.entities and q.asked_names == ()


def test_documents_named_in_the_users_words(tiny):
    snap = tiny.snapshot()
    assert set(parse("蓝莓法是哪天开始施行的？", [], snap).documents) >= {"蓝莓种植法(2020-06-01)"}
    q = parse("云南省蓝莓条例是哪一年通过的？", [], snap)
    assert q.unknown_documents == ("云南省蓝莓条例",) and not q.documents


def test_typing_slips_are_read_as_the_word_meant(tiny):
    q = parse("州财正局负责哪些任务？", [], tiny.snapshot())
    assert q.units == ("州财政局",) and [(c.wrong, c.right) for c in q.corrections] == [("州财正局", "州财政局")]


# -- routing -------------------------------------------------------------------------------------

def test_the_registry_is_the_order_questions_are_offered_in():
    names = [h.name for h in HANDLERS]
    assert names.index("document_facts") < names.index("unit_tasks") < names.index("who") < names.index("heading_list")


@pytest.mark.parametrize("question, handler", [
    ("这个方案的文号是多少？", "document_facts"),
    ("“21”重点任务指什么？", "slogans"),
    ("州农业农村局负责哪些任务？", "unit_tasks"),
    ("武定县职中涉及哪些任务？", "entity_mentions"),
    ("开展技能培训由哪些单位负责？", "who"),
    ("两个基础工程包括哪些？", "heading_list"),
    ("工作专班在哪些地方提到？", "term_mentions"),
])
def test_each_question_is_answered_by_its_handler(tiny, question, handler):
    q, ctx = parse(question, [], tiny.snapshot()), AnswerContext(tiny)
    answering = next(h.name for h in HANDLERS if h.match(q, ctx) and h.answer(q, ctx) is not None)
    assert answering == handler


# -- the handlers ------------------------------------------------------------------------------------

def test_document_facts(tiny):
    a = ask(tiny, "这个方案的文号是多少？")
    assert "楚政办通〔2025〕9号" in a.answer and cited(a) == ["文件信息"]
    a = ask(tiny, "方案是为落实省里哪个文件制定的？")
    assert "云政办发〔2024〕99号" in a.answer
    a = ask(tiny, "蓝莓种植法什么时候修订的？")
    assert "2020年6月1日" in a.answer and "2010年1月1日" not in a.answer     # the revision, not the adoption


def test_a_slogan_is_spelled_out_by_its_headings(tiny):
    a = ask(tiny, "“21”重点任务指什么？")
    assert a.kind == "definition" and "实施两个基础工程" in a.answer and "打造一个示范项目" in a.answer


def test_a_units_tasks_with_their_deadlines(tiny):
    a = ask(tiny, "州农业农村局负责哪些任务？")
    assert cited(a) == ["二（一）1", "二（二）", "三（一）"] and a.kind == "unit_tasks"
    assert "期限：到2026年" in a.answer
    a = ask(tiny, "州农业农村局什么时候要完成任务？")
    assert "方案未规定期限" in a.answer                      # 三（一） sets none, and says so
    a = ask(tiny, "州教体局的任务里哪些有2025年的期限？")
    assert cited(a) == ["二（一）2"]


def test_a_county_answers_for_the_tasks_of_the_group_it_belongs_to(tiny):
    a = ask(tiny, "武定县要做什么？")
    assert set(cited(a)) == {"二（一）1", "二（二）"} and "10县市人民政府" in a.answer


def test_follow_up_about_another_unit(tiny):
    a = ask(tiny, "那州财政局呢？", ["州农业农村局负责哪些任务？"])
    assert cited(a) == ["二（一）1"] and a.kind == "unit_tasks"


def test_who_is_responsible(tiny):
    a = ask(tiny, "蓝莓种植培训由哪些单位负责？")
    assert a.responsible_units == ["州人力资源和社会保障局", "州教育体育局"] and cited(a) == ["二（一）2"]


def test_entity_mentions_and_term_mentions(tiny):
    assert cited(ask(tiny, "武定县职中涉及哪些任务？")) == ["二（二）"]
    assert cited(ask(tiny, "工作专班在哪些地方提到？")) == ["三（一）"]


def test_heading_list(tiny):
    a = ask(tiny, "两个基础工程包括哪些？")
    assert "建设实训基地" in a.answer and "开展技能培训" in a.answer and a.kind == "list"


def test_free_text_picks_the_sentence_that_states_the_asked_figure(tiny):
    a = ask(tiny, "面向农村劳动力每年培训多少人次？")
    assert "1万人次" in a.answer and "2万人次" not in a.answer
    a = ask(tiny, "蓝莓种植法规定每天工作几小时？")          # the rule, not the overtime limit
    assert "八小时" in a.answer and "第三条" in a.answer and cited(a) == ["第一章第三条"]


def test_a_time_stated_once_for_the_clause_governs_its_sentences(tiny):
    a = ask(tiny, "楚雄医专要在哪一年前建成蓝莓人才培养基地？")
    assert "楚雄医专" in a.answer and "2026" in a.answer
    a = ask(tiny, "2024年面向农村劳动力培训了多少人次？")     # 从2025年起 covers the 其中 sentence
    assert a.abstained


def test_refusals(tiny):
    assert ask(tiny, "2025年实际完成了多少人次培训？").abstained          # a plan states targets
    assert ask(tiny, "云南省蓝莓条例是哪一年通过的？").abstained          # not held
    assert ask(tiny, "民办学校给老师缴住房公积金的比例是多少？").abstained
    assert ask(tiny, "蓝莓实训基地的地址在哪里？").abstained


def test_a_penalty_question_follows_the_rule_to_its_penalty(tiny):
    a = ask(tiny, "种植工人每天干超过八小时，单位会被怎么罚？")
    assert cited(a)[0] == "第二章第五条" and "五千元以上一万元以下" in a.answer


def test_versions_are_compared_clause_to_clause(tiny):
    a = ask(tiny, "新旧蓝莓种植法对每日工作时间的规定有什么不同？")
    assert a.kind == "version" and "八小时" in a.answer and "十小时" in a.answer


def test_several_questions_in_one_message(tiny):
    a = ask(tiny, "农村劳动力每年要培训多少人次？这项工作由哪些单位负责？")
    assert "1万人次" in a.answer and "州人力资源和社会保障局" in a.answer
