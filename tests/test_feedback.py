"""👍/👎 feedback in SQLite and its export as gold candidates; refusal suggestions."""
from __future__ import annotations

import json

import pytest

from app.cli import main as cli
from kb.feedback import DOWN, UP, FeedbackStore
from kb.schema import Answer, Citation, InputError
from kb.suggest import suggestions

CITE = Citation(n=1, doc_id="plan", doc_title="方案", doc_number="楚政办通〔2024〕30号", clause_id="二（二）1",
                section="二、重点任务 > （二）拓宽三个人才培养渠道 > 1.推进落实职教高考改革",
                quote="1.推进落实职教高考改革。", score=0.9)
ANSWER = Answer(question="职教高考改革由哪些单位负责？", answer="由州教育体育局负责[1]。", abstained=False,
                responsible_units=["州教育体育局"], citations=[CITE], kind="who").to_dict()


def test_a_rating_keeps_the_answer_as_shown(tmp_path):
    store = FeedbackStore(tmp_path)
    fid = store.rate(DOWN, ANSWER, generation=7, history=["上一个问题"])
    store.comment(fid, "漏了州人社局")
    [f] = store.entries()
    assert (f.rating, f.question, f.answer, f.comment, f.generation, f.kind) == (
        DOWN, ANSWER["question"], ANSWER["answer"], "漏了州人社局", 7, "who")
    assert f.history == ["上一个问题"] and f.citations[0]["clause_id"] == "二（二）1"
    assert (tmp_path / "feedback.sqlite3").exists()


def test_changing_a_rating_updates_the_same_row(tmp_path):
    store = FeedbackStore(tmp_path)
    fid = store.rate(UP, ANSWER, generation=1)
    assert store.rate(DOWN, ANSWER, generation=1, feedback_id=fid) == fid
    assert [f.rating for f in store.entries()] == [DOWN]
    assert store.entries(UP) == []


def test_bad_ratings_and_comments_change_nothing(tmp_path):
    store = FeedbackStore(tmp_path)
    with pytest.raises(InputError):
        store.rate(5, ANSWER, generation=1)
    with pytest.raises(InputError):
        store.rate(UP, {**ANSWER, "question": " "}, generation=1)
    fid = store.rate(UP, ANSWER, generation=1)
    with pytest.raises(InputError, match="1000"):
        store.comment(fid, "长" * 1001)
    with pytest.raises(InputError):
        store.comment(fid + 1, "没有这条")
    assert [(f.id, f.comment) for f in store.entries()] == [(fid, "")]


def test_gold_candidates_follow_the_gold_format(tmp_path):
    store = FeedbackStore(tmp_path)
    store.rate(UP, ANSWER, generation=3)
    store.rate(DOWN, {**ANSWER, "question": "州审计局要做什么？"}, generation=3, history=["职教高考改革由哪些单位负责？"])
    store.rate(DOWN, Answer(question="高考一本分数线", answer="无法回答。", abstained=True).to_dict(), generation=3)
    up, down, refused = store.gold_candidates()
    for line in (up, down, refused):
        assert {"id", "question", "kind", "doc_id", "clause_ids", "answer", "style"} <= set(line)
    assert (up["doc_id"], up["clause_ids"], up["answer"], up["kind"]) == ("plan", ["二（二）1"], ANSWER["answer"], "who")
    assert down["answer"] == "" and down["feedback"]["system_answer"] == ANSWER["answer"]
    assert down["history"] == ["职教高考改革由哪些单位负责？"] and down["feedback"]["rating"] == "down"
    assert (refused["kind"], refused["doc_id"], refused["clause_ids"]) == ("abstain", "", [])
    assert [c["id"] for c in store.gold_candidates(DOWN)] == [down["id"], refused["id"]]


def test_cli_exports_the_thumbs_down_as_jsonl(tmp_path, capsys):
    store = FeedbackStore(tmp_path)
    store.rate(UP, ANSWER, generation=1)
    fid = store.rate(DOWN, ANSWER, generation=1)
    store.comment(fid, "引用不对")
    assert cli(["--data-dir", str(tmp_path), "feedback", "--export", "--rating", "down"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1 and lines[0]["feedback"]["comment"] == "引用不对"
    out = tmp_path / "fb.jsonl"
    assert cli(["--data-dir", str(tmp_path), "feedback", "--export", "--out", str(out)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    assert cli(["--data-dir", str(tmp_path), "feedback"]) == 0
    assert "共 2 条评价" in capsys.readouterr().out


def test_a_refusal_suggests_close_units_and_clause_titles(plan_kb):
    tips = suggestions(plan_kb, "州审计厅负责什么？")
    assert tips[0].label == "州审计局" and tips[0].question == "州审计局负责哪些任务？"
    titles = [s.label for s in suggestions(plan_kb, "职教高考的宣传怎么搞？")]
    assert "推进落实职教高考改革" in titles
    assert len(suggestions(plan_kb, "职业教育", k=2)) <= 2
