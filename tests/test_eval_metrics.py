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
    return {"answer": text, "abstained": abstained, "responsible_units": list(units),
            "citations": [{"doc_id": d, "clause_id": c} for d, c in cites]}


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
    assert M.score_answer(num, _answer("比例不低于百分之六十")).correct
    assert not M.score_answer(num, _answer("比例不低于60%", abstained=True)).correct
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
