"""Metric functions of eval/metrics.py on small hand-computed cases."""
import math

import pytest

from eval import metrics as M


# -- normalisation ----------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("2024-06-13", "2024年6月13日"),
    ("2024年06月13日", "2024年6月13日"),
    ("2024/6/13", "2024年6月13日"),
    ("2024.06.14", "2024年06月14日"),
    ("十万人次", "10万人次"),
    ("１０万人次", "10万人次"),
    ("百分之六十", "60%"),
    ("不低于70％", "不低于70%"),
    ("百分之一点五", "1.5%"),
    ("三年", "3年"),
    ("二个示范项目", "2个示范项目"),
    ("两个月", "2个月"),
    ("九十天", "90天"),
    ("四十四小时", "44小时"),
    ("九月十日", "9月10日"),
    ("四至五年", "4至5年"),
    ("二〇二四年", "2024年"),
    ("３＋２", "3+2"),
    ("楚政办通(2024)30号", "楚政办通〔2024〕30号"),
    ("職業教育“三名”認定", "职业教育三名认定"),
    ("跨县（市）域招生", "跨县(市)域招生"),
])
def test_normalize_equivalents(a, b):
    assert M.normalize(a) == M.normalize(b)


@pytest.mark.parametrize("a, b", [
    ("2024年6月13日", "2024年6月14日"),
    ("60%", "70%"),
    ("10万人次", "1万人次"),
    ("3+2", "3+4"),
])
def test_normalize_keeps_differences(a, b):
    assert M.normalize(a) != M.normalize(b)


def test_normalize_leaves_words_with_numerals_alone():
    assert M.normalize("一体化") == "一体化"
    assert M.normalize("一线教师") == "一线教师"


def test_contains_all_reports_missing():
    ok, missing = M.contains_all("从2024年起，每年开展不少于十万人次的培训", ["10万人次", "2024年"])
    assert ok and missing == []
    ok, missing = M.contains_all("不低于毕业生总数的60％", ["60%", "2025年"])
    assert not ok and missing == ["2025年"]


def test_cn_number():
    assert M.cn_number("二十四") == "24"
    assert M.cn_number("二〇二四") == "2024"
    assert M.cn_number("十") == "10"
    assert M.cn_number("两") == "2"


# -- set metrics --------------------------------------------------------------------------------

def test_prf_partial_overlap():
    m = M.prf({"a", "b", "c"}, {"b", "c", "d", "e"})
    assert m.tp == 2
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 4)
    assert m.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_prf_edge_cases():
    both_empty = M.prf([], [])
    assert (both_empty.precision, both_empty.recall) == (1.0, 1.0)
    empty_pred = M.prf([], ["a"])
    assert (empty_pred.precision, empty_pred.recall, empty_pred.f1) == (0.0, 0.0, 0.0)
    exact = M.prf(["a", "b"], ["b", "a"])
    assert (exact.precision, exact.recall, exact.f1) == (1.0, 1.0, 1.0)


# -- ranking metrics ----------------------------------------------------------------------------

def test_mrr_and_hits():
    ranked = ["x", "y", "g", "z"]
    gold = {"g", "q"}
    assert M.first_rank(ranked, gold) == 3
    assert M.reciprocal_rank(ranked, gold) == pytest.approx(1 / 3)
    assert M.hit_at(ranked, gold, 1) == 0.0
    assert M.hit_at(ranked, gold, 3) == 1.0
    assert M.reciprocal_rank(["x"], gold) == 0.0


def test_ndcg_hand_case():
    # relevant at ranks 1 and 3, two gold items: DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3)
    value = M.ndcg_at(["g1", "x", "g2"], {"g1", "g2"}, 10)
    assert value == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert M.ndcg_at(["g1", "g2"], {"g1", "g2"}, 10) == pytest.approx(1.0)
    assert M.ndcg_at(["x", "y"], {"g"}, 10) == 0.0
    # more gold than k: the ideal is k relevant results
    assert M.ndcg_at(["a", "b"], {"a", "b", "c"}, 2) == pytest.approx(1.0)


def test_retrieval_metrics_average():
    r = M.retrieval_metrics([["a", "b"], ["x", "c"]], [{"a"}, {"c"}])
    assert r["hit@1"] == pytest.approx(0.5)
    assert r["hit@5"] == pytest.approx(1.0)
    assert r["mrr"] == pytest.approx((1 + 0.5) / 2)


# -- scoring answers ----------------------------------------------------------------------------

PLAN = "楚雄州职业教育提质增效工作实施方案"


def _answer(text="", units=(), cites=(), abstained=False):
    """cites: (doc_id, clause_id) or (doc_id, clause_id, quote)."""
    return {"answer": text, "abstained": abstained, "responsible_units": list(units),
            "citations": [{"doc_id": c[0], "clause_id": c[1], "quote": c[2] if len(c) > 2 else ""}
                          for c in cites]}


def test_score_who_sets():
    item = {"id": "w", "kind": "who", "doc_id": PLAN, "clause_ids": ["二（二）1"],
            "units": ["州教育体育局", "州人力资源和社会保障局"]}
    exact = lambda s: s   # noqa: E731  (canonicalisation under test is the identity)
    good = M.score_answer(item, _answer(units=["州人力资源和社会保障局", "州教育体育局"],
                                        cites=[(PLAN, "二（二）1")]), exact)
    assert good.correct and good.first_citation_ok
    half = M.score_answer(item, _answer(units=["州教育体育局", "州财政局"]), exact)
    assert not half.correct
    assert half.detail["unit_p"] == 0.5 and half.detail["unit_r"] == 0.5


def test_score_unit_tasks_needs_exact_set():
    item = {"id": "u", "kind": "unit_tasks", "doc_id": PLAN, "clause_ids": ["二（一）1", "三（二）"]}
    assert M.score_answer(item, _answer(cites=[(PLAN, "三（二）"), (PLAN, "二（一）1")])).correct
    extra = M.score_answer(item, _answer(cites=[(PLAN, "二（一）1"), (PLAN, "三（二）"), (PLAN, "三（一）")]))
    assert not extra.correct and extra.detail["clause_p"] == pytest.approx(2 / 3)
    short = M.score_answer(item, _answer(cites=[(PLAN, "二（一）1")]))
    assert not short.correct and short.detail["clause_r"] == 0.5


def test_score_number_and_general():
    num = {"id": "n", "kind": "number", "doc_id": PLAN, "clause_ids": ["二（二）1"], "values": ["60%"]}
    cite = (PLAN, "二（二）1", "升学比例不低于60%")
    assert M.score_answer(num, _answer("比例不低于百分之六十", cites=[cite])).correct
    assert not M.score_answer(num, _answer("比例不低于60%", cites=[cite], abstained=True)).correct
    gen = {"id": "g", "kind": "general", "doc_id": PLAN, "clause_ids": ["二（二）3"], "values": ["办学合力"]}
    assert M.score_answer(gen, _answer("形成办学合力", cites=[(PLAN, "二（二）3")])).correct
    assert not M.score_answer(gen, _answer("形成办学合力", cites=[(PLAN, "二（二）2")])).correct


def test_score_version_accepts_other_document_clause():
    item = {"id": "v", "kind": "version", "doc_id": "职业教育法(2022-04-20)",
            "clause_ids": ["第一章第三条", "职业教育法(1996-05-15)::第一章第三条"], "values": ["同等重要地位"]}
    a = _answer("……同等重要地位……", cites=[("职业教育法(1996-05-15)", "第一章第三条")])
    assert M.score_answer(item, a).correct


def test_summary_abstention_precision_recall():
    items = [{"id": "a1", "kind": "abstain", "doc_id": "", "clause_ids": [], "style": "formal"},
             {"id": "a2", "kind": "abstain", "doc_id": "", "clause_ids": [], "style": "formal"},
             {"id": "n1", "kind": "number", "doc_id": PLAN, "clause_ids": ["一"], "values": ["3年"],
              "style": "formal"}]
    answers = [_answer(abstained=True), _answer("不知道"), _answer(abstained=True)]
    s = M.summarize(items, [M.score_answer(i, a) for i, a in zip(items, answers)])
    assert s["abstention"]["precision"] == pytest.approx(0.5)
    assert s["abstention"]["recall"] == pytest.approx(0.5)
    assert s["accuracy"] == pytest.approx(1 / 3)


def test_check_item_flags_missing_fields():
    assert M.check_item({"id": "x", "question": "q", "kind": "who", "doc_id": PLAN, "clause_ids": ["一"],
                         "answer": "a", "style": "formal"})  # no units
    assert not M.check_item({"id": "x", "question": "q", "kind": "abstain", "doc_id": "", "clause_ids": [],
                             "answer": "a", "style": "formal"})


# -- the evidence check: a value counts only when a cited gold clause states it -----------------

NUM = {"id": "n", "kind": "number", "doc_id": PLAN, "clause_ids": ["二（四）2"], "values": ["3年"]}


def test_value_found_only_in_a_non_gold_clause_is_wrong():
    # a long answer that happens to contain "3年" while citing the wrong clause passed before
    a = _answer("……用3年时间……", cites=[(PLAN, "一", "用3年时间，建成…")])
    s = M.score_answer(NUM, a)
    assert not s.correct
    assert s.detail["unsupported"] == ["3年"] and s.detail["missing"] == []
    assert s.detail["lenient_correct"]          # the old scoring's verdict, kept for the report


def test_value_in_answer_but_not_in_the_cited_gold_clause_is_wrong():
    a = _answer("每年培训3年制学生", cites=[(PLAN, "二（四）2", "每年开展不少于10万人次的培训")])
    assert not M.score_answer(NUM, a).correct


def test_value_in_answer_and_in_a_cited_gold_clause_is_right():
    a = _answer("用三年时间完成", cites=[(PLAN, "一", "无关"), (PLAN, "二（四）2", "力争用3年时间完成")])
    s = M.score_answer(NUM, a)
    assert s.correct and s.detail["unsupported"] == []


def test_value_cited_but_absent_from_the_answer_is_wrong():
    a = _answer("见第二条", cites=[(PLAN, "二（四）2", "力争用3年时间完成")])
    s = M.score_answer(NUM, a)
    assert not s.correct and s.detail["missing"] == ["3年"]


def test_clause_table_gives_the_whole_clause():
    # the value is in part 2 of the clause; the citation quotes part 1 only
    a = _answer("用3年时间", cites=[(PLAN, "二（四）2", "第一部分")])
    assert not M.score_answer(NUM, a).correct
    table = {(PLAN, "二（四）2"): "第一部分。第二部分：力争用3年时间完成"}
    assert M.score_answer(NUM, a, clause_texts=table).correct


def test_list_items_may_sit_in_different_gold_clauses():
    item = {"id": "l", "kind": "list", "doc_id": PLAN, "clause_ids": ["二（一）1", "二（一）2"],
            "items": ["中职学校", "高职院校"]}
    both = _answer("中职学校、高职院校", cites=[(PLAN, "二（一）1", "建设中职学校"), (PLAN, "二（一）2", "建设高职院校")])
    assert M.score_answer(item, both).correct
    one = _answer("中职学校、高职院校", cites=[(PLAN, "二（一）1", "建设中职学校")])
    s = M.score_answer(item, one)
    assert not s.correct and s.detail["unsupported"] == ["高职院校"] and s.detail["item_recall"] == 1.0


def test_document_level_fact_without_clause_ids_needs_a_clause_of_the_gold_document():
    item = {"id": "m", "kind": "meta", "doc_id": PLAN, "clause_ids": [], "values": ["楚政办通〔2024〕30号"]}
    text = "文号是楚政办通（2024）30号"
    own = _answer(text, cites=[(PLAN, "文件信息", "文号：楚政办通〔2024〕30号")])
    assert M.score_answer(item, own).correct
    other = _answer(text, cites=[("某法", "题注", "楚政办通〔2024〕30号")])
    assert not M.score_answer(item, other).correct


def test_summary_shows_the_lenient_figure_beside_the_strict_one():
    items = [dict(NUM, style="formal")]
    s = M.summarize(items, [M.score_answer(NUM, _answer("用3年时间", cites=[(PLAN, "一", "用3年时间")]))])
    assert s["accuracy"] == 0.0 and s["accuracy_lenient"] == 1.0


def test_groups_by_doc_id():
    items = [{"id": "p", "kind": "number", "doc_id": PLAN, "clause_ids": ["一"], "values": ["3年"], "style": "formal"},
             {"id": "l", "kind": "general", "doc_id": "劳动法", "clause_ids": ["第三条"], "values": ["x"],
              "style": "formal"},
             {"id": "a", "kind": "abstain", "doc_id": "", "clause_ids": [], "style": "formal"}]
    assert [M.group(it) for it in items] == ["plan", "laws", "out-of-scope"]
    answers = [_answer("3年", cites=[(PLAN, "一", "3年")]), _answer("y", cites=[("劳动法", "第三条")]),
               _answer(abstained=True)]
    g = M.summarize(items, [M.score_answer(i, a) for i, a in zip(items, answers)])["per_group"]
    assert (g["plan"]["correct"], g["laws"]["correct"], g["out-of-scope"]["correct"]) == (1, 0, 1)


def test_check_item_history_and_new_styles():
    base = {"id": "x", "question": "它的目标是什么？", "kind": "general", "doc_id": PLAN, "clause_ids": ["一"],
            "answer": "a", "values": ["60%"]}
    for style in ("wrapped", "compound", "followup"):
        assert not M.check_item({**base, "style": style, "history": ["职教高考改革由哪些单位负责？"]})
    assert M.check_item({**base, "style": "followup", "history": "职教高考改革由哪些单位负责？"})
    assert M.check_item({**base, "style": "followup", "history": [""]})
    assert M.check_item({**base, "style": "chatty"})


def test_group_table_states_each_group_against_the_bar():
    from eval.run import group_table
    items = [{"id": "p", "kind": "number", "doc_id": PLAN, "clause_ids": ["一"], "values": ["3年"], "style": "formal"},
             {"id": "a", "kind": "abstain", "doc_id": "", "clause_ids": [], "style": "formal"}]
    answers = [_answer("3年", cites=[(PLAN, "一", "用3年时间")]), _answer("不知道")]
    s = M.summarize(items, [M.score_answer(i, a) for i, a in zip(items, answers)])
    table = "\n".join(group_table(s, None))
    assert "| plan | 1 | 100.0% (1; 0 abstained) | - | ≥ 90% |" in table
    assert "| out-of-scope | 1 | 0.0% (0; 0 abstained) | - | see abstention |" in table
    assert "| 0 / 1 | - / 0.0% | - | ≥ 90% each |" in table
