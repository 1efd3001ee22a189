"""The knowledge base inside llama-index: ClauseRetriever in llama-index's own RetrieverQueryEngine
(with MockLLM) and RetrieverEvaluator, metadata filters by document, PolicyQueryEngine."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.vector_stores import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters

from conftest import PLAN_ID, REPO_ROOT
from eval.llama_index_retrieval import kb_eval_figures, llama_index_figures
from eval.run import load_gold
from kb.integrations.llama_index import ClauseRetriever, PolicyQueryEngine
from kb.schema import InputError

METADATA_KEYS = {"doc_id", "doc_title", "doc_number", "clause_id", "section"}
LABOUR_LAW = "劳动法(2018-12-29)"


def test_the_integration_imports_alone_and_kb_does_not_load_llama_index():
    script = ("import sys\nimport kb.api, kb.answer, kb.llm, app.cli\n"
              "assert not [m for m in sys.modules if m.startswith('llama_index')], 'kb loaded llama-index'\n"
              "from kb.integrations.llama_index import ClauseRetriever, PolicyQueryEngine\n"
              "print(ClauseRetriever.__mro__[1].__module__)")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().startswith("llama_index.core")


def test_nodes_are_clauses_with_their_uid_text_and_metadata(plan_kb):
    nodes = ClauseRetriever(plan_kb, similarity_top_k=5).retrieve("职教高考改革由哪些单位负责？")
    assert len(nodes) == 5
    clauses = {c.uid: c for c in plan_kb.clauses()}
    top = nodes[0].node
    assert top.id_ == f"{PLAN_ID}::二（二）1#0"
    assert top.metadata == {"doc_id": PLAN_ID, "doc_title": "楚雄州职业教育提质增效工作实施方案",
                            "doc_number": "楚政办通〔2024〕30号", "clause_id": "二（二）1",
                            "section": "二、重点任务 > （二）拓宽三个人才培养渠道 > 1.推进落实职教高考改革"}
    for n in nodes:
        assert set(n.node.metadata) == METADATA_KEYS
        assert n.node.text == clauses[n.node.id_].text
    scores = [n.score for n in nodes]
    assert scores == sorted(scores, reverse=True)
    # the same ranking as the knowledge base's own hybrid search
    assert [n.node.metadata["clause_id"] for n in nodes] == \
        [h.clause.clause_id for h in plan_kb.retrieve("职教高考改革由哪些单位负责？", k=5)]


def test_a_question_the_knowledge_base_refuses_raises_its_error(plan_kb):
    with pytest.raises(InputError, match="不能为空"):
        ClauseRetriever(plan_kb).retrieve("   ")


def test_a_document_filter_searches_that_document(multi_kb):
    question = "每年开展多少人次职业技能培训？"
    unfiltered = ClauseRetriever(multi_kb, similarity_top_k=5).retrieve(question)
    assert unfiltered[0].node.metadata["doc_id"] == PLAN_ID
    only_law = MetadataFilters(filters=[MetadataFilter(key="doc_id", value=LABOUR_LAW)])
    nodes = ClauseRetriever(multi_kb, similarity_top_k=5, filters=only_law).retrieve(question)
    assert len(nodes) == 5 and {n.node.metadata["doc_id"] for n in nodes} == {LABOUR_LAW}
    assert "职业培训" in nodes[0].node.metadata["section"]       # 劳动法 第八章 职业培训
    not_plan = MetadataFilters(filters=[MetadataFilter(key="doc_id", value=PLAN_ID, operator=FilterOperator.NE)])
    nodes = ClauseRetriever(multi_kb, similarity_top_k=5, filters=not_plan).retrieve(question)
    assert len(nodes) == 5 and PLAN_ID not in {n.node.metadata["doc_id"] for n in nodes}
    two_clauses = MetadataFilters(condition=FilterCondition.OR, filters=[
        MetadataFilter(key="clause_id", value="二（一）3"), MetadataFilter(key="clause_id", value="二（二）1")])
    nodes = ClauseRetriever(multi_kb, similarity_top_k=5, filters=two_clauses).retrieve(question)
    assert [n.node.metadata["clause_id"] for n in nodes][:1] == ["二（一）3"]
    assert {n.node.metadata["clause_id"] for n in nodes} <= {"二（一）3", "二（二）1"}


def test_the_retriever_inside_retriever_query_engine_with_mock_llm(plan_kb):
    retriever = ClauseRetriever(plan_kb, similarity_top_k=3)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
    response = engine.query("每年开展多少人次职业技能培训？")
    assert [n.node.id_ for n in response.source_nodes] == \
        [n.node.id_ for n in retriever.retrieve("每年开展多少人次职业技能培训？")]
    top = response.source_nodes[0].node
    assert top.metadata["clause_id"] == "二（一）3"
    # MockLLM echoes its prompt: the clause text and its metadata reached the synthesiser
    assert "每年开展不少于10万人次的职业技能及各类培训" in str(response)
    assert "clause_id: 二（一）3" in str(response)


def test_retriever_evaluator_agrees_with_kb_eval_on_the_plan_gold(plan_kb):
    """llama-index's hit_rate and MRR over ClauseRetriever equal eval.metrics' hit@k and MRR over
    kb.retrieve on the same questions (the figures are in README.md)."""
    items = load_gold(REPO_ROOT / "eval" / "gold" / "plan.jsonl")[:40]
    theirs = llama_index_figures(items, plan_kb, k=10)
    ours = kb_eval_figures(items, plan_kb, k=10)
    assert theirs["n"] == ours["n"] > 35
    assert theirs["hit_rate"] == pytest.approx(ours["hit@10"])
    assert theirs["mrr"] == pytest.approx(ours["mrr"])
    assert theirs["mrr"] > 0.8


def test_policy_query_engine_carries_the_answer_contract(plan_kb):
    engine = PolicyQueryEngine(kb=plan_kb)
    response = engine.query("职教高考改革由哪些单位负责？")
    answer = plan_kb.ask("职教高考改革由哪些单位负责？")
    assert response.response == answer.answer
    assert response.metadata == {"abstained": False, "responsible_units": ["州教育体育局", "州人力资源和社会保障局"],
                                 "kind": "who", "llm": None}
    assert [(n.node.metadata["n"], n.node.metadata["clause_id"]) for n in response.source_nodes] == \
        [(c.n, c.clause_id) for c in answer.citations]
    first = response.source_nodes[0]
    assert first.node.id_ == f"{PLAN_ID}::二（二）1#0" and first.node.text == answer.citations[0].quote
    assert first.score == answer.citations[0].score


def test_policy_query_engine_abstains_without_sources(plan_kb):
    response = PolicyQueryEngine(kb=plan_kb).query("楚雄州医保报销比例是多少？")
    assert response.metadata["abstained"] is True
    assert response.source_nodes == []
    assert "无法回答" in response.response
    json.dumps(response.metadata, ensure_ascii=False)     # plain data, ready for a pipeline's logs
