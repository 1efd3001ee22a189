"""Metamorphic variants (eval/metamorphic.py) and the scope comparison (eval/scope.py) on hand
cases: no knowledge base, answers are stubs."""
import pytest

from kb.units import canonical

from eval import metamorphic as MM
from eval import metrics as M
from eval import scope
from eval.run import GOLD_DIR, load_gold, parse_args

PLAN = M.PLAN_DOC
LAW = "劳动法(2018-12-29)"


def _item(id_, question, kind="number", doc=PLAN, clauses=("二（四）2",), **kw):
    it = {"id": id_, "question": question, "kind": kind, "doc_id": doc, "clause_ids": list(clauses),
          "answer": "", "style": "formal"}
    if kind in ("number", "meta", "general", "version"):
        kw.setdefault("values", ["3年"])
    return {**it, **kw}


def _answer(text="", cites=(), units=(), abstained=False):
    return {"answer": text, "abstained": abstained, "responsible_units": list(units),
            "citations": [{"doc_id": c[0], "clause_id": c[1], "quote": c[2] if len(c) > 2 else ""}
                          for c in cites]}


ITEMS = [
    _item("p1", "州财政局负责哪些任务？", "unit_tasks", clauses=("二（一）1", "三（二）")),
    _item("p2", "用多长时间完成？"),
    _item("p3", "职教高考改革由哪些单位负责？", "who", clauses=("二（二）1",),
          units=["州教育体育局", "州人力资源和社会保障局"]),
    _item("p4", "3+2贯通培养什么时候全覆盖？"),
    _item("l1", "劳动者每日工作时间不超过几小时？", doc=LAW, clauses=("第四章第三十六条",), values=["8小时"]),
    _item("l2", "加班费怎么算？", "general", doc=LAW, clauses=("第四章第四十四条",), values=["150%"]),
    _item("l3", "它的目标是什么？", "general", doc=LAW, clauses=("第一章第一条",), values=["保护"],
          history=["劳动法的立法目的是什么？"]),
    _item("a1", "医保报销比例是多少？", "abstain", doc="", clauses=()),
]


def _by(variants, name):
    return [v for v in variants if v.transformation == name]


def test_variants_are_deterministic_and_cover_every_transformation():
    first, again = MM.variants(ITEMS), MM.variants(ITEMS)
    assert first == again
    assert {v.transformation for v in first} == {name for name, _ in MM.TRANSFORMATIONS}
    assert all("a1" not in v.parts for v in first)          # out-of-scope questions get no variants


def test_wrapper_keeps_the_question_and_fits_the_group():
    for v in _by(MM.variants(ITEMS), "wrapper"):
        original = next(it for it in ITEMS if it["id"] == v.parts[0])
        assert original["question"] in v.question and v.question != original["question"]
        if M.group(original) == "laws":
            assert "方案" not in v.question
        assert v.history == tuple(original.get("history", []))


def test_traditional_and_width_forms():
    vs = MM.variants(ITEMS)
    trad = {v.parts[0]: v.question for v in _by(vs, "traditional")}
    assert trad["p1"] == "州財政局負責哪些任務？"
    width = {v.parts[0]: (v.template, v.question) for v in _by(vs, "fullwidth")}
    assert width["p4"] == ("ASCII → full-width", "３＋２贯通培养什么时候全覆盖？")
    assert width["p2"] == ("full-width → ASCII", "用多长时间完成?")


def test_unit_alias_swaps_both_ways_only_in_plan_questions():
    [v] = _by(MM.variants(ITEMS), "unit_alias")
    assert v.parts == ("p1",) and v.template == "full name → alias"
    name = v.question[:-len("负责哪些任务？")]
    assert v.question.endswith("负责哪些任务？") and name != "州财政局" and canonical(name) == "州财政局"
    alias = [_item("p9", "州人社局负责哪些任务？", "unit_tasks")]
    [back] = _by(MM.variants(alias), "unit_alias")
    assert back.question == "州人力资源和社会保障局负责哪些任务？" and back.template == "alias → full name"


def test_compound_pairs_within_a_group_in_both_orders():
    vs = _by(MM.variants(ITEMS), "compound")
    pairs = {v.parts for v in vs}
    assert all(M.group(next(it for it in ITEMS if it["id"] == a)) ==
               M.group(next(it for it in ITEMS if it["id"] == b)) for a, b in pairs)
    assert all((b, a) in pairs for a, b in pairs)
    assert not any("l3" in p for p in pairs)                 # a follow-up is not paired
    asked = {p for pair in pairs for p in pair}
    assert {"p1", "p2", "p3", "p4", "l1", "l2"} <= asked
    v = next(v for v in vs if v.parts[0] == "p2")
    assert v.question.startswith("用多长时间完成？") and v.question.count("？") == 2


def test_followups():
    vs = MM.variants(ITEMS)
    unrelated = {v.parts[0]: v for v in _by(vs, "followup_unrelated")}
    assert unrelated["p1"].question == "州财政局负责哪些任务？"
    assert M.group(next(it for it in ITEMS if it["question"] == unrelated["p1"].history[0])) == "laws"
    assert unrelated["l3"].history[-1] == "劳动法的立法目的是什么？"   # its own chat stays last
    [unit] = [v for v in _by(vs, "followup_unit")]
    assert unit.parts == ("p1",) and unit.question == "那州财政局呢？"
    first = unit.history[0]
    assert first.endswith("负责哪些任务？") and "州财政局" not in first


def test_invariant_when_first_citation_and_facts_are_kept():
    item = ITEMS[1]
    orig = MM.key_facts(item, _answer("用3年时间", [(PLAN, "二（四）2", "用3年时间")]))
    same = MM.key_facts(item, _answer("力争用三年", [(PLAN, "二（四）2", "用3年时间"), (PLAN, "一")]))
    assert MM.differences([(item, orig, same)]) == []
    moved = MM.key_facts(item, _answer("用3年时间", [(PLAN, "一", "用3年时间"), (PLAN, "二（四）2", "用3年时间")]))
    assert MM.differences([(item, orig, moved)]) == ["first citation 二（四）2 → 一"]
    refused = MM.key_facts(item, _answer("无法回答", abstained=True))
    why = MM.differences([(item, orig, refused)])
    assert why == ["first citation 二（四）2 → none", "p2: lost 3年"]


def test_a_wrong_original_only_needs_to_stay_the_same():
    item = ITEMS[1]
    orig = MM.key_facts(item, _answer("用5年时间", [(PLAN, "一")]))
    assert MM.differences([(item, orig, MM.key_facts(item, _answer("用5年", [(PLAN, "一")])))]) == []


def test_added_units_break_invariance_unless_another_part_brings_them():
    who = ITEMS[2]
    orig = MM.key_facts(who, _answer(cites=[(PLAN, "二（二）1")], units=who["units"]))
    wrapped = MM.key_facts(who, _answer(cites=[(PLAN, "二（二）1")], units=[*who["units"], "禄丰市人民政府"]))
    assert MM.differences([(who, orig, wrapped)]) == ["p3: added 禄丰市人民政府"]
    tasks = ITEMS[0]
    other = MM.key_facts(tasks, _answer(cites=[(PLAN, "二（一）1"), (PLAN, "三（二）")], units=["禄丰市人民政府"]))
    both = _answer(cites=[(PLAN, "二（二）1"), (PLAN, "二（一）1"), (PLAN, "三（二）")],
                   units=[*who["units"], "禄丰市人民政府"])
    parts = [(who, orig, MM.key_facts(who, both)), (tasks, other, MM.key_facts(tasks, both))]
    assert MM.differences(parts) == []
    dropped = _answer(cites=[(PLAN, "二（二）1")], units=who["units"])
    parts = [(who, orig, MM.key_facts(who, dropped)), (tasks, other, MM.key_facts(tasks, dropped))]
    assert MM.differences(parts) == ["p1: its first citation 二（一）1 is gone", "p1: lost 三（二）、二（一）1"]


def test_a_refused_first_part_lets_the_second_part_cite_first():
    first, second = ITEMS[1], ITEMS[3]
    refused = MM.key_facts(first, _answer("无法回答", abstained=True))
    answered = MM.key_facts(second, _answer("用3年", [(PLAN, "二（二）2", "用3年")]))
    both = _answer("用3年。关于前一问，文件中没有相关规定。", [(PLAN, "二（二）2", "用3年")])
    parts = [(first, refused, MM.key_facts(first, both)), (second, answered, MM.key_facts(second, both))]
    assert MM.differences(parts) == []
    other = _answer("用3年", [(PLAN, "一", "用3年"), (PLAN, "二（二）2", "用3年")])
    parts = [(first, refused, MM.key_facts(first, other)), (second, answered, MM.key_facts(second, other))]
    assert MM.differences(parts) == ["first citation 二（二）2 → 一"]


def test_run_reports_rates_per_transformation_with_failures():
    items = [it for it in ITEMS if it["id"] in ("p2", "l1")]
    right = {"p2": _answer("用3年", [(PLAN, "二（四）2", "用3年时间")]),
             "l1": _answer("8小时", [(LAW, "第四章第三十六条", "每日工作时间不超过8小时")])}

    def ask(question, history):           # the system under test: wrappers make it refuse
        if question.startswith(("我是", "请问", "您好", "麻烦")):
            return _answer("无法回答", abstained=True)
        return right["p2"] if "完成" in question else right["l1"]
    result = MM.run(items, [right[it["id"]] for it in items], ask)
    t = result["transformations"]
    assert t["wrapper"]["n"] == 2 and t["wrapper"]["invariant"] == 0 and t["wrapper"]["rate"] == 0.0
    assert t["traditional"]["rate"] == 1.0
    assert t["wrapper"]["failures"][0]["why"][0].endswith("→ none")
    assert "invariant" in MM.markdown(result)[2] and any("✗" in line for line in MM.markdown(result))


def test_gold_variants_are_generated_from_every_answerable_question():
    items = load_gold(GOLD_DIR)
    vs = MM.variants(items)
    answerable = {it["id"] for it in items if it["kind"] != "abstain"}
    for name in ("wrapper", "followup_unrelated"):
        assert {v.parts[0] for v in _by(vs, name)} == answerable, name
    # every answerable question without a history is paired, in both orders (an odd one out twice)
    standalone = [it for it in items if it["kind"] != "abstain" and not it.get("history")]
    assert len(_by(vs, "compound")) >= len(standalone) - 2
    assert {i for v in _by(vs, "compound") for i in v.parts} == {it["id"] for it in standalone}
    assert len(_by(vs, "unit_alias")) >= 30 and len(_by(vs, "followup_unit")) >= 30


# -- scope independence ---------------------------------------------------------------------------

def test_scope_compare_lists_differences():
    items = [ITEMS[1], ITEMS[3]]
    good = _answer("用3年", [(PLAN, "二（四）2", "用3年")])
    full = [(good, M.score_answer(items[0], good)), (good, M.score_answer(items[1], good))]
    refused = _answer("无法回答", abstained=True)
    plan_only = [(good, M.score_answer(items[0], good)), (refused, M.score_answer(items[1], refused))]
    r = scope.compare(items, full, plan_only)
    assert (r["n"], r["same"], r["same_first_citation"], r["same_correctness"]) == (2, 1, 1, 1)
    [d] = r["differences"]
    assert d["id"] == "p4" and d["full"] == {"first": "二（四）2", "correct": True}
    assert d["plan_only"] == {"first": "abstained", "correct": False}
    assert "| p4 |" in "\n".join(scope.markdown(r))


@pytest.mark.parametrize("argv, sections", [
    ([], (True, True, True)),
    (["--no-baseline"], (False, True, True)),
    (["--metamorphic"], (False, True, False)),
    (["--scope-check"], (False, False, True)),
    (["--metamorphic", "--scope-check"], (False, True, True)),
    (["--no-metamorphic", "--no-scope-check"], (True, False, False)),
])
def test_sections_selected_by_the_command_line(argv, sections):
    a = parse_args(argv)
    assert (a.run_baseline, a.run_metamorphic, a.run_scope) == sections
