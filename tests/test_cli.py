"""The `kb` command line: ingest reports and incrementality, the answer contract of
`kb ask --json` / `--jsonl`, and the structured listings (`kb units`, `kb targets`).

Commands run in-process through app.cli.main (the model loads once); the console script itself
runs once per command family where the process boundary matters (exit codes, a fresh process).
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOTICE, run_cli as run

from app import cli
from kb.api import KnowledgeBase
from kb.config import REPO_ROOT

PLAN_FILE = REPO_ROOT / "corpus" / "楚雄州职业教育提质增效工作实施方案.txt"
PLAN_ID = PLAN_FILE.stem
KB_BIN = Path(sys.executable).parent / "kb"

ANSWER_KEYS = {"question", "answer", "abstained", "responsible_units", "citations"}
CITATION_KEYS = {"n", "doc_id", "doc_title", "doc_number", "clause_id", "section", "quote", "score"}



@pytest.fixture(scope="module")
def data(plan_kb, tmp_path_factory) -> Path:
    """A copy of the plan knowledge base, read-only for the tests below."""
    d = tmp_path_factory.mktemp("cli") / "data"
    shutil.copytree(plan_kb.settings.data_dir, d)
    return d


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- kb ingest -----------------------------------------------------------------------------

INGEST_LINE = re.compile(r"文档 (\d+) 篇（新增或更新 (\d+)，未变 (\d+)，删除 (\d+)）；"
                         r"条款 (\d+) 条，本次向量化 (\d+) 条；用时 ([\d.]+) 秒")


def test_ingest_reports_counts_and_a_second_run_does_no_work(plan_kb, tmp_path, capsys):
    d = tmp_path / "data"
    shutil.copytree(plan_kb.settings.data_dir, d)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "蓝莓通知.txt").write_text(NOTICE, encoding="utf-8")

    code, out, err = run(capsys, "--data-dir", str(d), "ingest", "-q", str(REPO_ROOT / "corpus"), str(extra))
    assert code == 0, err
    m = INGEST_LINE.search(out)
    assert m, out
    docs, added, unchanged, removed, clauses, embedded, seconds = m.groups()
    kb = KnowledgeBase.open(d)
    assert (int(docs), int(added), int(unchanged), int(removed)) == (2, 1, 1, 0)
    assert int(clauses) == len(kb.clauses()) == len(plan_kb.clauses()) + len(kb.clauses("蓝莓通知"))
    assert int(embedded) == len(kb.clauses("蓝莓通知")) > 0      # the plan's vectors were reused
    assert float(seconds) > 0
    manifest = (d / "kb.json").read_bytes()
    mtime = (d / "kb.json").stat().st_mtime_ns

    # The second run, by the installed command in a fresh process: nothing to do, nothing written.
    proc = subprocess.run([str(KB_BIN), "--data-dir", str(d), "ingest", "-q", str(REPO_ROOT / "corpus"),
                           str(extra)], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-1000:]
    m = INGEST_LINE.search(proc.stdout)
    assert m, proc.stdout
    assert m.groups()[:6] == (docs, "0", "2", "0", clauses, "0"), proc.stdout
    assert (d / "kb.json").read_bytes() == manifest and (d / "kb.json").stat().st_mtime_ns == mtime


def test_ingest_of_a_missing_path_is_an_error(data, capsys):
    code, out, err = run(capsys, "--data-dir", str(data), "ingest", "-q", "/nonexistent/dir")
    assert code == 2 and err.startswith("错误：找不到文件或目录：/nonexistent/dir"), err


# -- kb ask --json: the answer contract -------------------------------------------------------

def check_contract(obj: dict, question: str):
    assert ANSWER_KEYS <= set(obj), set(obj)
    assert obj["question"] == question
    assert isinstance(obj["answer"], str) and obj["answer"]
    assert isinstance(obj["abstained"], bool)
    assert isinstance(obj["responsible_units"], list) and all(isinstance(u, str) for u in obj["responsible_units"])
    assert [c["n"] for c in obj["citations"]] == list(range(1, len(obj["citations"]) + 1))
    for c in obj["citations"]:
        assert CITATION_KEYS <= set(c), set(c)
        assert isinstance(c["score"], float)
        assert all(isinstance(c[k], str) for k in CITATION_KEYS - {"n", "score"})
        assert f"[{c['n']}]" in obj["answer"], "every citation is referenced in the answer"
    if obj["abstained"]:
        assert obj["citations"] == [] and obj["responsible_units"] == []
    else:
        assert obj["citations"], "an answer that does not abstain cites its source"


def document_text(doc_id: str) -> str:
    path = REPO_ROOT / "corpus" / f"{doc_id}.txt"
    return squash(path.read_text(encoding="utf-8"))


def test_ask_json_answer_contract(data, capsys):
    q = "职教高考改革由哪些单位负责？"
    code, out, err = run(capsys, "--data-dir", str(data), "ask", "--json", q)
    assert code == 0 and err == "", err
    assert out.count("\n") == 1, "one JSON object on one line"
    obj = json.loads(out)
    check_contract(obj, q)
    assert not obj["abstained"]
    assert obj["responsible_units"] == ["州教育体育局", "州人力资源和社会保障局"]
    c = obj["citations"][0]
    assert c["doc_id"] == PLAN_ID and c["doc_title"] == "楚雄州职业教育提质增效工作实施方案"
    assert c["doc_number"] == "楚政办通〔2024〕30号"
    assert c["clause_id"] == "二（二）1"
    assert c["section"] == "二、重点任务 > （二）拓宽三个人才培养渠道 > 1.推进落实职教高考改革"
    assert "州人力资源和社会保障局" in c["quote"]
    assert squash(c["quote"]) in document_text(c["doc_id"]), "quote is verbatim document text"


QUOTE_QUESTIONS = ["州财政局负责哪些任务？", "每年开展多少人次职业技能培训？", "这份方案的文号是什么？",
                   "如何深化产教融合？", "“3377522”指什么？"]

@pytest.mark.parametrize("question", QUOTE_QUESTIONS)
def test_every_quote_line_is_document_text(data, capsys, question):
    code, out, err = run(capsys, "--data-dir", str(data), "ask", "--json", question)
    assert code == 0, err
    obj = json.loads(out)
    check_contract(obj, question)
    assert not obj["abstained"], obj["answer"]
    for c in obj["citations"]:
        text = document_text(c["doc_id"])
        assert all(squash(line) in text for line in c["quote"].splitlines()), (c["clause_id"], c["quote"][:80])
        assert c["section"] and c["clause_id"]


@pytest.mark.parametrize("question", QUOTE_QUESTIONS)
def test_every_quote_is_one_verbatim_passage(data, capsys, question):
    code, out, _ = run(capsys, "--data-dir", str(data), "ask", "--json", question)
    for c in json.loads(out)["citations"]:
        assert squash(c["quote"]) in document_text(c["doc_id"]), (c["clause_id"], c["quote"][:80])


def test_ask_json_abstains_out_of_scope(data, capsys):
    q = "楚雄州医保报销比例是多少？"
    code, out, _ = run(capsys, "--data-dir", str(data), "ask", "--json", q)
    assert code == 0
    obj = json.loads(out)
    check_contract(obj, q)
    assert obj["abstained"] and "无法回答" in obj["answer"]


def test_ask_plain_text_prints_answer_and_citations(data, capsys):
    code, out, _ = run(capsys, "--data-dir", str(data), "ask", "职教高考改革由哪些单位负责？")
    assert code == 0
    assert "州教育体育局" in out and "[1]" in out and "楚政办通〔2024〕30号" in out and "二（二）1" in out


def test_ask_without_a_question_is_a_usage_error(data, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--data-dir", str(data), "ask"])
    assert exc.value.code == 2
    assert "ask 需要一个问题" in capsys.readouterr().err


# -- kb ask --jsonl --------------------------------------------------------------------------------

def test_ask_jsonl_answers_every_line_in_order(data, capsys, monkeypatch):
    questions = ["州财政局负责哪些任务？", "楚雄州医保报销比例是多少？", "职教高考改革由哪些单位负责？",
                 "每年开展多少人次职业技能培训？"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(questions) + "\n"))
    code, out, err = run(capsys, "--data-dir", str(data), "ask", "--jsonl")
    assert code == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["question"] for o in objs] == questions
    for q, o in zip(questions, objs):
        check_contract(o, q)
    assert [o["abstained"] for o in objs] == [False, True, False, False]
    assert objs[2]["responsible_units"] == ["州教育体育局", "州人力资源和社会保障局"]
    assert "10万人次" in objs[3]["answer"]


def test_ask_jsonl_in_a_real_process_flushes_per_line(data, tmp_path):
    """The console script: objects arrive one per line, in order, before stdin is closed."""
    proc = subprocess.Popen([str(KB_BIN), "--data-dir", str(data), "ask", "--jsonl"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        for q in ("职教高考改革由哪些单位负责？", "", "州财政局负责哪些任务？"):
            proc.stdin.write(q + "\n")
            proc.stdin.flush()
            obj = json.loads(proc.stdout.readline())     # answered while stdin stays open
            assert obj["question"] == q
            assert ("error" in obj) == (q == "")
        proc.stdin.close()
        assert proc.wait(60) == 0
    finally:
        proc.kill()


def test_ask_jsonl_decodes_each_line_and_a_bad_line_spoils_only_itself(data):
    """Issue 13 item 13, in a real process under a strict C locale: a line that is not text, a GBK
    line and a 100,000-character line among UTF-8 ones; every line gets its own object."""
    long_question = "职业教育" * 25_000
    lines = ["职教高考改革由哪些单位负责？".encode(), bytes(range(0x80, 0xC0)),
             "州财政局负责哪些任务？".encode("gbk"), long_question.encode(), "楚雄州医保报销比例是多少？".encode()]
    proc = subprocess.run([str(KB_BIN), "--data-dir", str(data), "ask", "--jsonl"], input=b"\n".join(lines) + b"\n",
                          capture_output=True, timeout=300, env={**os.environ, "LC_ALL": "C", "LANG": "C"})
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    objs = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(objs) == len(lines)
    check_contract(objs[0], "职教高考改革由哪些单位负责？")
    assert set(objs[1]) == {"question", "error"} and objs[1]["error"].startswith("第 2 行：") and "UTF-8" in objs[1]["error"]
    check_contract(objs[2], "州财政局负责哪些任务？")
    assert not objs[2]["abstained"] and objs[2]["citations"], "the GBK line is read as the question it is"
    assert set(objs[3]) == {"question", "error"} and "过长" in objs[3]["error"]
    assert objs[3]["question"] == long_question[:cli.ECHO_CHARS] + "…", "only a short prefix is echoed"
    check_contract(objs[4], "楚雄州医保报销比例是多少？")
    assert objs[4]["abstained"]


# -- settings and paths the commands are given (issue 13, item 14) ------------------------------

def test_a_port_that_is_not_a_number_is_said_not_traced(data):
    proc = subprocess.run([str(KB_BIN), "--data-dir", str(data), "serve"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "KB_PORT": "abc"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.strip() == "错误：环境变量 KB_PORT 应为1–65535 之间的整数，现在是“abc”"


def test_a_busy_port_is_said_not_traced(data, capsys, monkeypatch):
    def no_server(*args, **kwargs):
        raise AssertionError("the web app was started on a busy port")
    monkeypatch.setattr("app.web.serve", no_server)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("KB_HOST", "127.0.0.1")
        monkeypatch.setenv("KB_PORT", str(port))
        code, out, err = run(capsys, "--data-dir", str(data), "serve")
    assert code == 2 and f"端口 {port} 已被占用" in err and "KB_PORT" in err, err


@pytest.mark.parametrize("argv", [["ask", "职教高考改革由哪些单位负责？"], ["check"], ["units"], ["targets"], ["serve"]])
def test_a_data_dir_that_does_not_exist_is_not_an_empty_knowledge_base(argv, tmp_path, capsys, monkeypatch):
    misspelled = tmp_path / "dta"
    monkeypatch.setenv("KB_DATA_DIR", str(misspelled))
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "", out
    assert f"知识库目录 {misspelled} 不存在" in err and "KB_DATA_DIR" in err, err
    assert not misspelled.exists(), "nothing was created"


# -- kb units / kb targets ---------------------------------------------------------------------------

def test_units_for_one_unit_as_csv(data, plan_kb, capsys):
    code, out, err = run(capsys, "--data-dir", str(data), "units", "--unit", "州人社局", "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and list(rows[0]) == ["unit", "doc_id", "clause_id", "title", "section", "units"]
    assert {r["unit"] for r in rows} == {"州人力资源和社会保障局"}
    assert all("州人力资源和社会保障局" in r["units"].split("、") for r in rows)
    assert "二（二）1" in [r["clause_id"] for r in rows]
    _, tasks = plan_kb.unit_tasks("州人力资源和社会保障局")
    assert [(r["doc_id"], r["clause_id"]) for r in rows] == [(c.doc_id, c.clause_id) for c in tasks]


def test_units_unknown_unit_is_refused(data, capsys):
    code, out, err = run(capsys, "--data-dir", str(data), "units", "--unit", "火星事务局", "--csv")
    assert code == 2 and out == "" and "未找到单位" in err


def test_targets_as_json(data, plan_kb, capsys):
    code, out, err = run(capsys, "--data-dir", str(data), "targets", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list) and len(rows) == len(plan_kb.targets()) > 0
    keys = {"doc_id", "clause_id", "text", "value", "unit", "display", "comparison", "period", "subject"}
    assert all(keys <= set(r) for r in rows)
    training = [r for r in rows if r["unit"] == "人次" and r["value"] == 100000.0]
    assert training and training[0]["comparison"] == "不少于", training
    plan = document_text(PLAN_ID)
    assert all(squash(r["text"]) in plan for r in rows), "a target's text is document text"
