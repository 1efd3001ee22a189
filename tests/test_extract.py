"""责任单位 parsing variants, targets on every numeric sentence of the plan, mentions, gazetteer."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.extract import DEADLINE, describe, extract_mentions, extract_targets, parse_responsibility
from kb.units import all_names, canonical, covering, find_entities, find_units, members

PLAN = (Path(__file__).resolve().parent.parent / "corpus" / "楚雄州职业教育提质增效工作实施方案.txt").read_text(
    encoding="utf-8")
RS, JYT, CZ = "州人力资源和社会保障局", "州教育体育局", "州财政局"


# ------------------------------------------------------------------ 责任单位

@pytest.mark.parametrize("text", [
    "做好工作。（责任单位：州人社局、州教育体育局、州财政局）",
    "做好工作。(责任单位:州人社局,州教育体育局;州财政局)",
    "做好工作。（责任单位:州人社局，州教育体育局；州财政局）",
    "做好工作。（责任单位：州人社局 州教育体育局  州财政局）",
    "做好工作。（责任单位：州人社局、\n州教育体育局、\n  州财政局）",
    "做好工作。（責任單位：州人力資源和社會保障局、州教育體育局、州財政局）",
    "做好工作。（责任单位：州人力资源和社\n会保障局、州教育体育局、州财政局）",
])
def test_bracket_separator_and_line_break_variants(text):
    resp = parse_responsibility(text)
    assert resp.units == [RS, JYT, CZ]
    assert resp.lead == [] and resp.co == []
    assert text[resp.span[0]] in "（(" and text[resp.span[1] - 1] in "）)"
    assert text[:resp.span[0]] == "做好工作。"


def test_units_raw_as_written_and_deduplicated_units():
    resp = parse_responsibility("（责任单位：州人社局、州人力资源和社会保障局、楚雄师范学院）")
    assert resp.units_raw == ["州人社局", "州人力资源和社会保障局", "楚雄师范学院"]
    assert resp.units == [RS, "楚雄师院"]


def test_truncated_last_name():
    resp = parse_responsibility("（责任单位：州教育体育局、州人力资源和社会保障）")
    assert resp.units == [JYT, RS]
    assert resp.units_raw == ["州教育体育局", "州人力资源和社会保障"]


def test_unclosed_list_at_end_of_text():
    assert parse_responsibility("任务。（责任单位：州财政局、州教育体育局").units == [CZ, JYT]


def test_lead_and_co_labels():
    resp = parse_responsibility("推进。（牵头单位：州教育体育局；配合单位：州财政局,州人社局）")
    assert resp.units == [JYT, CZ, RS]
    assert resp.lead == [JYT]
    assert resp.co == [CZ, RS]
    resp = parse_responsibility("推进。(牵头单位:州发改委;协办单位:州工信局)")
    assert (resp.lead, resp.co) == (["州发展改革委"], ["州工业和信息化局"])


def test_lead_suffix_form():
    resp = parse_responsibility("推进。（责任单位：州人社局（牵头）、州教育体育局、各县市人民政府）")
    assert resp.units == [RS, JYT, "10县市人民政府"]
    assert resp.units_raw == ["州人社局", "州教育体育局", "各县市人民政府"]
    assert resp.lead == [RS]
    assert resp.co == [JYT, "10县市人民政府"]


def test_last_parenthetical_wins_and_unknown_names_are_kept():
    text = "甲（责任单位：州财政局）。乙。（责任单位：州某某中心、州税务局）"
    resp = parse_responsibility(text)
    assert resp.units == ["州某某中心", "州税务局"]
    assert text[resp.span[0]:resp.span[1]] == "（责任单位：州某某中心、州税务局）"


def test_bare_responsibility_line():
    text = "做好宣传。\n责任单位：州财政局、州教育体育局（牵头）。\n（二）下一条"
    resp = parse_responsibility(text)
    assert (resp.units, resp.lead, resp.co) == ([CZ, JYT], [JYT], [CZ])
    assert text[resp.span[0]:resp.span[1]] == "责任单位：州财政局、州教育体育局（牵头）。"


@pytest.mark.parametrize("text", [
    "各县市人民政府,州直有关部门,楚雄高新区管委会:",
    "各县市人民政府，州直有关部门，楚雄高新区管委会：",
    "（此件公开发布）",
    "（1）改革教师选聘制度。深化职业院校人才管理体制机制改革。",
    "州教育体育局、州人力资源和社会保障局联合成立工作专班。",
])
def test_not_responsibilities(text):
    assert parse_responsibility(text) is None


# ------------------------------------------------------------------ gazetteer

@pytest.mark.parametrize("alias, name", [
    ("州人社局", RS), ("州人力資源和社會保障局", RS), ("州人力资源社会保障局", RS), ("楚雄州人力资源和社会保障局", RS),
    ("州发改委", "州发展改革委"), ("州发展和改革委员会", "州发展改革委"), ("州發展改革委", "州发展改革委"),
    ("州教体局", JYT), ("州教育局", JYT), ("州住建局", "州住房城乡建设局"), ("州住房和城乡建设局", "州住房城乡建设局"),
    ("楚雄师范学院", "楚雄师院"), ("楚雄醫藥高等專科學校", "楚雄医专"), ("州市场监督管理局", "州市场监管局"),
    ("州工信局", "州工业和信息化局"), ("州科学技术局", "州科技局"), ("财政局", CZ), ("楚雄州财政局", CZ),
    ("武定县职业高级中学", "武定县职中"), ("楚雄市职业高级中学", "楚雄市职中"), ("十县市人民政府", "10县市人民政府"),
    ("州人力资源和社会保障", RS), ("州人力资源和社会保障局等", RS), ("州财政局等部门", CZ),
    ("各县（市）人民政府", "10县市人民政府"), ("各县(市)人民政府（含楚雄高新区）", "10县市人民政府"),
])
def test_canonical(alias, name):
    assert canonical(alias) == name


@pytest.mark.parametrize("name", ["州", "楚雄", "州直有关部门", "职业院校", ""])
def test_canonical_unknown(name):
    assert canonical(name) is None


def test_covering():
    assert covering("禄丰市人民政府") == ["禄丰市人民政府", "10县市人民政府"]
    assert covering("武定县政府") == ["武定县人民政府", "10县市人民政府"]
    assert covering("禄丰") == ["禄丰市人民政府", "10县市人民政府"]
    assert covering("州人社局") == [RS]
    assert covering("不存在的局") == []
    assert len(members("10县市人民政府")) == 10


@pytest.mark.parametrize("question, units", [
    ("州人社局负责哪些任务", [RS]),
    ("州人社局負責哪些任務", [RS]),
    ("禄丰市人民政府要做什么", ["禄丰市人民政府"]),
    ("禄丰市要做什么？", ["禄丰市人民政府"]),
    ("州财政局和州发改委分别负责什么", [CZ, "州发展改革委"]),
    ("楚雄医专承担哪些任务", ["楚雄医专"]),
    ("武定县职中涉及哪些任务？", []),
    ("武定县财政局负责什么", []),       # a county body we do not know, not 州财政局
    ("楚雄州商务局和楚雄州审计局负责什么", ["州商务局", "州审计局"]),
    ("州财正局负责哪些任务", [CZ]),      # one-character typo in a question
    ("州民政局负责什么", ["州民政局"]),   # a known unit the plan gives no task
    ("职业教育的目标是什么", []),
    ("国务院教育行政部门负责什么", []),  # a law's generic 部门 is not the 州 bureau
])
def test_find_units(question, units):
    assert find_units(question) == units


def test_find_entities():
    assert find_entities("武定县职中涉及哪些任务？") == ["武定县职中"]
    assert find_entities("武定县职业高级中学和云南农业大学合作什么") == ["武定县职中", "云南农业大学"]
    assert find_entities("各县市要做什么") == []


def test_all_names_cover_canonical_and_aliases():
    names = set(all_names())
    assert {RS, "州人社局", "10县市人民政府", "禄丰市人民政府", "武定县职中", "武定县职业高级中学"} <= names


def test_terms_file_has_policy_terms():
    terms = (Path(__file__).resolve().parent.parent / "kb" / "data" / "terms.txt").read_text(encoding="utf-8").split()
    assert {"产教融合", "职教高考", "双师型", "3+2", "中高本", "职普融通", "产教联合体", "乡村振兴学院", "五长",
            "生均拨款"} <= set(terms)
    assert len(terms) == len(set(terms))


# ------------------------------------------------------------------ targets

def _plan_targets():
    return [t for line in PLAN.splitlines() for t in extract_targets(line)]


def _one(targets, display, subject_part=""):
    hits = [t for t in targets if t.display == display and subject_part in t.subject]
    assert len(hits) == 1, (display, subject_part, [(t.display, t.subject) for t in targets])
    return hits[0]


# (display, a piece of the subject, value, unit, comparison, period)
PLAN_TARGETS = [
    ("5所", "省级优质学校", 5, "所", "=", "利用3年时间"),
    ("6所", "州级优质中职学校", 6, "所", "=", "利用3年时间"),
    ("10个", "省级优质专业(群)", 10, "个", "左右", ""),
    ("30个", "州级优质专业(群)", 30, "个", "左右", ""),
    ("10万人次", "职业技能及各类培训", 100000, "人次", "不少于", "从2024年起，每年"),
    ("3万人次", "面向在校学生", 30000, "人次", "=", "从2024年起，每年"),
    ("2万人次", "面向企业职工、社会人员", 20000, "人次", "不少于", "从2024年起，每年"),
    ("5万人次", "面向农村劳动力", 50000, "人次", "不少于", "从2024年起，每年"),
    ("60%", "中职学校学生升高职学校比例", 60, "%", "不低于", "2025年起"),
    ("1个—2个", "优质专业", 1, "个", "区间", ""),
    ("5个", "州级示范的县域产教联合体", 5, "个", "左右", ""),
    ("10个", "州级示范的行业共同体", 10, "个", "左右", ""),
    ("20个", "州级示范的现代产业学院", 20, "个", "左右", ""),
    ("3个", "州级示范的乡村振兴学院", 3, "个", "左右", ""),
    ("10个", "州级示范的产教融合实践中心", 10, "个", "左右", ""),
    ("50个", "州级示范企业", 50, "个", "左右", ""),
    ("70%", "奖励研发团队", 70, "%", "不低于", ""),
    ("60%", "提取资金", 60, "%", "不超过", ""),
]


@pytest.mark.parametrize("display, subject, value, unit, comparison, period", PLAN_TARGETS)
def test_plan_targets(display, subject, value, unit, comparison, period):
    t = _one(_plan_targets(), display, subject)
    assert (t.value, t.unit, t.comparison, t.period) == (value, unit, comparison, period)
    assert t.text in PLAN


def test_plan_targets_exact_subjects():
    targets = _plan_targets()
    assert _one(targets, "10万人次").subject == "职业技能及各类培训"
    assert _one(targets, "3万人次").subject == "面向在校学生 职业技能培训"
    assert _one(targets, "5个").subject == "州级示范的县域产教联合体"
    assert _one(targets, "60%", "升高职").subject == "中职学校学生升高职学校比例"
    assert _one(targets, "10万人次").text == "整合全州职业教育资源、技工教育资源,从2024年起,每年开展不少于10万人次的职业技能及各类培训"


def test_plan_has_no_other_targets():
    """Years, 3377522, (1), 用3年时间 and the 七个/三个 headings are not targets."""
    targets = _plan_targets()
    assert len(targets) == len(PLAN_TARGETS) + 3          # + 3 time-frame goals, see below
    for t in targets:
        assert t.unit not in ("年",) and "2024" not in t.display and "3377522" not in t.display


def test_deadline_goals():
    goals = [t for t in _plan_targets() if t.comparison == DEADLINE]
    assert [g.period for g in goals] == ["用3年时间", "利用3年时间", "到2026年"]
    assert goals[1].subject == "楚雄师院建成省级优质本科高校,培养本科高层次高技能人才"
    g = goals[2]
    assert (g.value, g.unit, g.display, g.period) == (0.0, "", "", "到2026年")
    assert g.subject == "实现中高职“3+2”贯通培养全覆盖"
    assert g.text == "到2026年,实现中高职“3+2”贯通培养全覆盖"
    assert describe(g) == "到2026年，实现中高职“3+2”贯通培养全覆盖"


@pytest.mark.parametrize("text, display, value, comparison, period", [
    ("每年开展不少于十万人次的培训。", "10万人次", 100000, "不少于", "每年"),
    ("每年开展不少于１０万人次的培训。", "10万人次", 100000, "不少于", "每年"),
    ("到2026年，升学比例达到百分之六十。", "60%", 60, "达到", "到2026年"),
    ("用3年时间，建成至少8所示范校。", "8所", 8, "至少", "用3年时间"),
    ("比例不高于30％。", "30%", 30, "不高于", ""),
    ("培育100家以上企业。", "100家", 100, "以上", ""),
    ("逐年提高，缺口控制在5个以内。", "5个", 5, "以内", "逐年"),
    ("按职工工资总额百分之一点五提取。", "1.5%", 1.5, "=", ""),
    ("到2027年底前，新增培训基地1.5万平方米。", "1.5万平方米", 15000, "=", "到2027年底前"),
    ("经费的百分之十至百分之二十用于农村职业教育。", "10%—20%", 10, "区间", ""),
])

def test_target_variants(text, display, value, comparison, period):
    (t,) = extract_targets(text)
    assert (t.display, t.value, t.comparison, t.period) == (display, value, comparison, period)


def test_subject_trims_article_number_and_modal():
    (t,) = extract_targets("第十四条 教师的平均工资水平应当高于本市国家公务员的平均工资水平百分之十。")
    assert (t.comparison, t.display, t.subject) == ("高于", "10%", "教师的平均工资水平")


def test_time_frame_is_a_period_not_a_number():
    (t,) = extract_targets("用3年时间，通过实施“3377522”重点任务，建设一批优质学校。")
    assert (t.comparison, t.period, t.value, t.unit) == (DEADLINE, "用3年时间", 0.0, "")
    assert t.subject == "通过实施“3377522”重点任务，建设一批优质学校"


@pytest.mark.parametrize("text", [
    "(三)实施内涵提升七个专项行动",
    "（1）改革教师选聘制度。",
    "成文日期:2024年06月13日",
    "楚政办通〔2024〕30号",
    "打响“楚雄职教”品牌。（责任单位：州教育体育局、10县市人民政府）",
    "在终止前6个月发布公告，不少于2个月。",
])
def test_not_targets(text):
    assert extract_targets(text) == []


def test_describe():
    t = _one(_plan_targets(), "10万人次")
    assert describe(t) == "不少于10万人次"
    assert describe(_one(_plan_targets(), "50个")) == "50个左右"


# ------------------------------------------------------------------ mentions

def test_mentions_in_plan_clause():
    line = next(l for l in PLAN.splitlines() if l.startswith("2.开展“中高本”"))
    assert extract_mentions(line) == ["武定县职中", "云南农业大学"]   # 责任单位 list excluded


def test_mentions_schools_in_order():
    line = next(l for l in PLAN.splitlines() if l.startswith("1.加快优质学校建设"))
    m = extract_mentions(line)
    assert m[:3] == ["楚雄师院", "楚雄医专", "楚雄技师学院"]
    assert "大姚县职教中心" in m and "永仁县职中" in m and "10县市人民政府" not in m
    assert "云南现代职业技术学院" not in m            # only in its 责任单位 list


def test_mentions_unknown_schools_by_pattern():
    text = "推动昆明市第一中学与云南大学、曲靖市职业技术学院、红河州技师学院合作，支持镇雄县职中发展。"
    assert extract_mentions(text) == ["昆明市第一中学", "云南大学", "曲靖市职业技术学院", "红河州技师学院", "镇雄县职中"]


@pytest.mark.parametrize("text", [
    "引导龙头企业与高等学校、职业院校联合组建共同体。",
    "争取把州内基础较好的中职学校优质专业与省内本科院校开展合作。",
    "聚焦省级优质学校培育建设目标。",
    "2025年起全州中职学校学生升高职学校比例不低于毕业生总数的60%。",
    "建设20个左右州级示范的现代产业学院，打造成为省级乡村振兴示范学校。",
    "推进职教高考，加强县级职业学校建设。",
    "为认真贯彻落实《云南省人民政府办公厅关于印发〈云南省职业教育提质效实施方案〉的通知》要求",
    "县长、教体局局长、乡镇长、校长、村主任",
    "第十三条 区人民政府应当按照学校布局规划，制定本市学校设置标准。",
    "改善城镇地区薄弱学校和农村地区学校办学条件，省人民政府统筹。",
    "中国共产党职业学校基层组织按照章程开展工作。",
])
def test_no_generic_mentions(text):
    assert extract_mentions(text) == []


def test_mentions_traditional_and_departments():
    assert extract_mentions("深化武定縣職業高級中學與雲南農業大學合作") == ["武定县职中", "云南农业大学"]
    assert extract_mentions("州教育体育局、州人力资源和社会保障局联合成立工作专班") == [JYT, RS]
