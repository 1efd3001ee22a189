"""Optional LLM answers (kb.llm): the verification rules on hand cases, then the whole path against a
scripted OpenAI-compatible server on 127.0.0.1 — faithful, invented number, [7] of 3 clauses,
timeout, malformed JSON/SSE — through kb.llm, KnowledgeBase.ask and `kb ask --json --llm`."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from conftest import PLAN_ID
from scripted_llm import Reply, ScriptedLLM

from app import cli
from kb import llm
from kb.schema import Answer, Citation

PLAN_TITLE = "楚雄州职业教育提质增效工作实施方案"


def source(n: int, quote: str, clause_id: str = "二（一）3", doc_title: str = PLAN_TITLE) -> Citation:
    return Citation(n=n, doc_id=PLAN_ID, doc_title=doc_title, doc_number="楚政办通〔2024〕30号", clause_id=clause_id,
                    section="二、重点任务", quote=quote, score=1.0)


SOURCES = [
    source(1, "从2024年起,每年开展不少于10万人次的职业技能及各类培训。其中,面向在校学生完成3万人次职业技能培训。"
              "(责任单位:州人力资源和社会保障局、州教育体育局)"),
    source(2, "2025年起全州中职学校学生升高职学校比例不低于毕业生总数的60%。", clause_id="二（二）1"),
    source(3, "本法自1995年1月1日起施行。", clause_id="第十三章第一百零七条", doc_title="中华人民共和国劳动法"),
]


# -- verification rules -------------------------------------------------------------------------

@pytest.mark.parametrize("text, renumbered", [
    ("从2024年起，每年开展不少于10万人次的培训[1]。", "从2024年起，每年开展不少于10万人次的培训[1]。"),
    # numbers written another way: 十万 = 10万, 三万 = 3万, 百分之六十 = 60%
    ("每年培训不少于十万人次，其中在校学生三万人次[1]。", None),
    ("升学比例不低于百分之六十[2]。", "升学比例不低于百分之六十[1]。"),
    # markers renumbered in order of first use; a group [2][1] or [2,1] cites both
    ("劳动法自1995年1月1日起施行[3]；培训由州人社局负责[1]。", "劳动法自1995年1月1日起施行[1]；培训由州人社局负责[2]。"),
    ("2025年起升学比例不低于60%，每年培训10万人次[2,1]。", "2025年起升学比例不低于60%，每年培训10万人次[1][2]。"),
    ("原文是“每年开展不少于10万人次的职业技能及各类培训”［1］。", "原文是“每年开展不少于10万人次的职业技能及各类培训”[1]。"),
    ("《中华人民共和国劳动法》自1995年1月1日起施行[3]。", "《中华人民共和国劳动法》自1995年1月1日起施行[1]。"),
    # the numbers of a list the model writes are not figures
    ("3. 每年培训10万人次[1]\n4. 升学比例不低于60%[2]", None),
])
def test_faithful_text_passes_and_is_renumbered(text, renumbered):
    verified = llm.verify(text, SOURCES)
    assert verified.text == (renumbered or text)
    assert verified.cited == sorted(set(verified.cited), key=verified.cited.index)


@pytest.mark.parametrize("text, check, says", [
    ("每年开展不少于15万人次的培训[1]。", "number", "15万"),
    ("每年开展不少于十五万人次的培训[1]。", "number", "十五万"),
    ("升学比例不低于70%[2]。", "percent", "70%"),
    ("劳动法自1995年5月1日起施行[3]。", "date", "1995年5月1日"),
    ("从2023年起每年培训10万人次[1]。", "date", "2023年"),
    ("培训由州财政局负责[1]。", "unit", "州财政局"),
    # a number true of another given clause, cited to the wrong one
    ("升学比例不低于60%[1]。", "percent", "60%"),
    ("原文是“每年开展10万人次的各类培训”[1]。", "quote", "每年开展10万人次的各类培训"),
    ("依据《职业教育法》[1]。", "quote", "职业教育法"),
    ("每年培训10万人次[7]。", "citation", "[7]"),
    ("每年培训10万人次。", "citation", "没有标注出处"),
    ("每年培训10万人次[1]。其中在校学生5万人次。", "citation", "最后一段"),
    ("很抱歉，条款中没有提及这一问题[1]。", "declined", ""),
])
def test_unfaithful_text_is_refused_with_the_rule_it_broke(text, check, says):
    with pytest.raises(llm.Unverified) as e:
        llm.verify(text, SOURCES)
    assert e.value.check == check
    assert says in str(e.value)


def test_a_passage_is_checked_against_the_clauses_its_markers_cite():
    # 60% is in [2], 10万 in [1]: each passage must find its figure in its own citation
    assert llm.verify("比例不低于60%[2]，每年培训10万人次[1]。", SOURCES).cited == [2, 1]
    with pytest.raises(llm.Unverified, match="10万"):
        llm.verify("比例不低于60%，每年培训10万人次[2]。", SOURCES)


# -- the scripted endpoint ------------------------------------------------------------------------

QUESTION = "每年开展多少人次职业技能培训？"
FAITHFUL = "从2024年起，每年开展不少于10万人次的职业技能及各类培训，其中面向在校学生完成3万人次[1]。"
INVENTED = "从2024年起，每年开展不少于15万人次的职业技能及各类培训[1]。"


def clauses_given(body: dict) -> int:
    return len(re.findall(r"^\[(\d+)\] ", body["messages"][-1]["content"], re.M))


SCRIPTS = {
    "faithful": lambda body: Reply(FAITHFUL),
    "invented-number": lambda body: Reply(INVENTED),
    "cites-7": lambda body: Reply(f"每年开展不少于10万人次的职业技能及各类培训[{clauses_given(body) + 4}]。"),
    "times-out": lambda body: Reply(FAITHFUL, delay=4),
    "malformed": lambda body: Reply(FAITHFUL, malformed=True),
    "server-error": lambda body: Reply(status=500),
    # streaming: a verified first passage, then an invented figure / a stall
    "wrong-later": lambda body: Reply("每年开展不少于10万人次的培训[1]，其中在校学生8万人次[1]。"),
    "stalls": lambda body: Reply("每年开展不少于10万人次的培训[1]，其中在校学生3万人次[1]。", delay=4, stall_after=4),
}

OUTCOMES = [("faithful", True, None), ("invented-number", False, "number"), ("cites-7", False, "citation"),
            ("times-out", False, "timeout"), ("malformed", False, "endpoint"), ("server-error", False, "endpoint")]


@pytest.fixture(scope="module")
def server():
    with ScriptedLLM(SCRIPTS) as s:
        yield s


def config(server, model: str) -> llm.LLMConfig:
    return llm.LLMConfig(base_url=server.url, model=model, api_key="test-key", timeout=1.5)


@pytest.fixture(scope="module")
def extractive(plan_kb):
    answer = plan_kb.ask(QUESTION)
    assert answer.kind == "number" and answer.citations[0].clause_id == "二（一）3"
    return answer, llm.sources(answer, plan_kb.retrieve(QUESTION), plan_kb.snapshot().documents)


def test_sources_are_the_cited_clauses_then_the_best_retrieved(extractive, plan_kb):
    answer, given = extractive
    assert [c.n for c in given] == list(range(1, llm.MAX_SOURCES + 1))
    assert given[:len(answer.citations)] == answer.citations
    uids = [(c.doc_id, c.clause_id) for c in given]
    assert len(set(uids)) == len(uids)
    retrieved = [(h.clause.doc_id, h.clause.clause_id) for h in plan_kb.retrieve(QUESTION)]
    assert uids[len(answer.citations):] == [u for u in retrieved if u not in uids[:len(answer.citations)]][:len(uids) - 1]


@pytest.mark.parametrize("model, used, check", OUTCOMES)
def test_each_script_ends_as_specified(server, extractive, model, used, check):
    answer, given = extractive
    result = llm.phrase(QUESTION, answer, given, config(server, model))
    assert result.llm["used"] is used
    if used:
        assert result.answer == FAITHFUL and result.llm["model"] == model
        assert [c.clause_id for c in result.citations] == ["二（一）3"]
        assert result.citations[0].highlight == answer.citations[0].highlight
    else:
        assert result.llm["check"] == check and result.llm["reason"]
        assert (result.answer, result.citations) == (answer.answer, answer.citations)


@pytest.mark.parametrize("model, used, check", OUTCOMES)
def test_each_script_ends_as_specified_when_streamed(server, extractive, model, used, check):
    answer, given = extractive
    events = list(llm.phrase_stream(QUESTION, answer, given, config(server, model)))
    final = events[-1]
    assert isinstance(final, Answer) and all(isinstance(e, str) for e in events[:-1])
    assert final.llm["used"] is used
    assert final.answer == (FAITHFUL if used else answer.answer)
    if not used:
        assert final.llm["check"] == check
    if used:        # what was shown on the way is the verified answer growing
        assert events[:-1] and all(final.answer.startswith(e) for e in events[:-1])


@pytest.mark.parametrize("model, check", [("wrong-later", "number"), ("stalls", "timeout")])
def test_a_stream_that_goes_wrong_after_a_verified_passage_falls_back(server, extractive, model, check):
    answer, given = extractive
    events = list(llm.phrase_stream(QUESTION, answer, given, config(server, model)))
    assert events[0] == "每年开展不少于10万人次的培训[1]"      # verified, so it may be shown
    assert not any("8万" in e for e in events[:-1] if isinstance(e, str))
    assert events[-1].answer == answer.answer and events[-1].llm["check"] == check


def test_the_model_is_given_the_question_and_the_numbered_clauses(server, extractive):
    answer, given = extractive
    llm.phrase(QUESTION, answer, given, config(server, "faithful"))
    body = server.requests[-1]
    assert body["model"] == "faithful" and body["temperature"] == 0
    system, user = body["messages"]
    assert system["role"] == "system" and "[1]" in system["content"]
    assert QUESTION in user["content"] and answer.answer in user["content"]
    for c in given:
        assert f"[{c.n}] 《{c.doc_title}》{c.clause_id}" in user["content"] and c.quote in user["content"]


def test_structured_and_abstained_answers_never_reach_the_model(server, plan_kb):
    before = len(server.requests)
    who = plan_kb.ask("职教高考改革由哪些单位负责？")
    assert who.kind == "who"
    result = llm.phrase(who.question, who, who.citations, config(server, "faithful"))
    assert result.llm == {"used": False, "reason": result.llm["reason"], "check": "structured"}
    assert result.answer == who.answer
    nothing = plan_kb.ask("楚雄州医保报销比例是多少？")
    assert nothing.abstained
    assert llm.phrase(nothing.question, nothing, [], config(server, "faithful")).llm["check"] == "abstained"
    assert len(server.requests) == before


def test_unconfigured_llm_is_off(plan_kb, monkeypatch):
    monkeypatch.delenv("KB_LLM_BASE_URL", raising=False)
    assert "llm" not in plan_kb.ask(QUESTION).to_dict()          # the contract: only when asked
    answer = plan_kb.ask(QUESTION, llm=True)
    assert answer.llm["used"] is False and answer.llm["check"] == "not_configured"
    assert "KB_LLM_BASE_URL" in answer.llm["reason"]
    assert answer.answer == plan_kb.ask(QUESTION).answer


# -- KnowledgeBase.ask_stream (the web app's streaming path) ----------------------------------------

def use_endpoint(monkeypatch, server, model: str) -> None:
    monkeypatch.setenv("KB_LLM_BASE_URL", server.url)
    monkeypatch.setenv("KB_LLM_MODEL", model)
    monkeypatch.setenv("KB_LLM_TIMEOUT", "1.5")


@pytest.mark.parametrize("model, used, check", [("faithful", True, None), ("invented-number", False, "number"),
                                                ("times-out", False, "timeout"), ("malformed", False, "endpoint"),
                                                ("wrong-later", False, "number")])
def test_ask_stream_ends_with_the_verified_or_the_extractive_answer(server, plan_kb, monkeypatch, model, used, check):
    use_endpoint(monkeypatch, server, model)
    extractive = plan_kb.ask(QUESTION)
    *partial, final = plan_kb.ask_stream(QUESTION)
    assert all(isinstance(text, str) for text in partial) and isinstance(final, Answer)
    assert final.llm["used"] is used
    if used:
        assert final.answer == FAITHFUL and final.llm["model"] == model
        assert partial and all(final.answer.startswith(text) for text in partial)
        assert [c.clause_id for c in final.citations] == ["二（一）3"]
    else:
        assert final.llm["check"] == check and final.llm["reason"]
        assert (final.answer, final.citations) == (extractive.answer, extractive.citations)
        assert not any("15万" in text or "8万" in text for text in partial)   # nothing unverified was shown
    if model in ("faithful", "invented-number"):       # the same end as without streaming
        assert final == plan_kb.ask(QUESTION, llm=True)


def test_ask_stream_gives_a_structured_answer_at_once_without_the_model(server, plan_kb, monkeypatch):
    use_endpoint(monkeypatch, server, "faithful")
    before = len(server.requests)
    items = list(plan_kb.ask_stream("职教高考改革由哪些单位负责？", ["每年开展多少人次职业技能培训？"]))
    assert len(items) == 1 and items[0].kind == "who" and items[0].llm["check"] == "structured"
    assert items[0].answer == plan_kb.ask("职教高考改革由哪些单位负责？").answer
    assert len(server.requests) == before


def test_ask_stream_refuses_an_empty_question(plan_kb):
    from kb.schema import InputError
    with pytest.raises(InputError):
        next(plan_kb.ask_stream("   "))


# -- kb ask --json --llm ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def data(plan_kb, tmp_path_factory):
    d = tmp_path_factory.mktemp("llm-cli") / "data"
    shutil.copytree(plan_kb.settings.data_dir, d)
    return d


def ask_json(capsys, data, *flags: str) -> dict:
    code = cli.main(["--data-dir", str(data), "ask", "--json", *flags, QUESTION])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("model", ["faithful", "invented-number"])
def test_kb_ask_json_llm(server, data, capsys, monkeypatch, model):
    monkeypatch.setenv("KB_LLM_BASE_URL", server.url)
    monkeypatch.setenv("KB_LLM_MODEL", model)
    monkeypatch.setenv("KB_LLM_TIMEOUT", "5")
    extractive = ask_json(capsys, data)
    assert "llm" not in extractive
    obj = ask_json(capsys, data, "--llm")
    assert [c["n"] for c in obj["citations"]] == list(range(1, len(obj["citations"]) + 1))
    assert all(f"[{c['n']}]" in obj["answer"] for c in obj["citations"])
    if model == "faithful":
        assert obj["llm"] == {"used": True, "model": "faithful"}
        assert obj["answer"] == FAITHFUL
        assert [c["clause_id"] for c in obj["citations"]] == ["二（一）3"]
    else:
        assert obj["llm"]["used"] is False and "15万" in obj["llm"]["reason"]
        assert {k: v for k, v in obj.items() if k != "llm"} == extractive


def test_kb_ask_llm_plain_text_says_whether_the_model_was_used(server, data, capsys, monkeypatch):
    monkeypatch.setenv("KB_LLM_BASE_URL", server.url)
    monkeypatch.setenv("KB_LLM_MODEL", "cites-7")
    assert cli.main(["--data-dir", str(data), "ask", "--llm", QUESTION]) == 0
    out = capsys.readouterr().out
    assert "未用大模型：引用了未提供的条款" in out and "10万人次" in out
