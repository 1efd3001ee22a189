"""Every kind of bad input, in one table: questions through the Python API, `kb ask` and
`kb ask --jsonl`, files through KnowledgeBase.add_file.

A refusal must say why (a message matching the expected pattern) AND change nothing: the
manifest generation, the document list and the uploads folder are the same before and after.
Accepted oddities (GBK, UTF-16, hostile names, HTML in a question) must work normally and keep
everything inside the data directory. File *reading* is tested in tests/test_read.py; here the
point is what reaches the knowledge base.
"""
from __future__ import annotations

import io
import json
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import ingest.read
from app import cli
from kb.api import KnowledgeBase
from kb.schema import InputError

PLAN_FILE = Path(__file__).resolve().parent.parent / "corpus" / "楚雄州职业教育提质增效工作实施方案.txt"
MAX_Q = 500   # Settings.max_question_chars default

# A small notice with a fact the plan does not hold (蓝莓 / 芒果 … 实训基地 3个).
NOTICE = """楚雄州技工院校{fruit}实训基地建设补充通知
一、建设目标
到2026年，建成{fruit}栽培技术实训基地3个。
二、保障措施
（一）加强经费保障
州财政局统筹安排{fruit}实训专项资金。
责任单位：州财政局
"""


def notice(fruit: str) -> str:
    return NOTICE.format(fruit=fruit)


# -- the table ---------------------------------------------------------------------------
# channel: "api" (kb.ask), "cli" (kb ask), "jsonl" (kb ask --jsonl), "file" (kb.add_file)
# expect:  "refused"  -> InputError / exit 2 / {"question","error"}, message matches `message`
#          "answered" -> answered or abstained, never an error; the question comes back as
#                        plain data (`echo`: the expected returned question, if not the input)
#          "accepted" -> file stored and answerable (`ask` -> (question, expected in answer))


@dataclass
class Case:
    id: str
    channel: str
    value: object            # question text, or (filename, bytes) for files
    expect: str
    message: str = ""        # regex the refusal message must match
    echo: str | None = None
    ask: tuple[str, str] | None = None
    stored_as: str | None = None     # accepted files: name under <data>/files
    marks: list = field(default_factory=list)


def _docx(parts: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def _zip_bomb() -> bytes:
    """A .docx whose document.xml inflates 1000x: 20 MB of zeros in ~20 KB."""
    return _docx({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * (20 * 1024 * 1024)})


def _corrupt_docx() -> bytes:
    good = _docx({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document>"})
    return good[: len(good) // 2]          # truncated: no central directory


def _huge_file() -> bytes:
    return ("职业教育" * 20).encode() * (50 * 1024 * 1024 // 240 + 1)   # > 50 MB of valid UTF-8


HTML_Q = '<script>alert("x")</script><img src=x onerror=alert(1)>职教高考改革由哪些单位负责？'
LONG_WORD = "职" + "a" * 450
MIXED = "职教高考 reform Реформа ｶﾞｲﾄﾞ العربية 由哪些单位负责？"
CTRL_Q = "职教高考\x00改革\x07由哪些\x1b单位负责？\u200b"


def question_cases(channel: str) -> list[Case]:
    return [
        Case(f"{channel}-empty", channel, "", "refused", r"不能为空"),
        Case(f"{channel}-whitespace", channel, " \t\u3000  ", "refused", r"不能为空"),
        Case(f"{channel}-100KB", channel, "职业教育" * 25_600, "refused", rf"过长.*{MAX_Q} 字以内"),
        Case(f"{channel}-only-control-chars", channel, "\x00\x01\x1b\x7f", "refused", r"不能为空"),
        Case(f"{channel}-control-chars", channel, CTRL_Q, "answered", echo="职教高考改革由哪些单位负责？"),
        Case(f"{channel}-emoji-only", channel, "😀🎓📚🙏", "refused", r"没有可识别的文字"),
        Case(f"{channel}-punctuation-only", channel, "？？！。……，、《》", "refused", r"没有可识别的文字"),
        Case(f"{channel}-html-js", channel, HTML_Q, "answered"),
        Case(f"{channel}-long-word", channel, LONG_WORD, "answered"),
        Case(f"{channel}-word-over-limit", channel, "a" * (MAX_Q + 1), "refused", rf"{MAX_Q} 字以内"),
        Case(f"{channel}-mixed-scripts", channel, MIXED, "answered"),
    ]


FILE_CASES = [
    Case("file-0-bytes", "file", ("空.txt", b""), "refused", r"空文件"),
    Case("file-binary-as-txt", "file", ("垃圾.txt", bytes(range(256)) * 64), "refused", r"二进制|不是文本"),
    Case("file-png-as-txt", "file", ("图片.txt", b"\x89PNG\r\n\x1a\n" + b"\0" * 100), "refused", r"PNG"),
    Case("file-wrong-extension", "file", ("通知.exe", notice("梨").encode()), "refused", r"不支持的文件类型"),
    Case("file-no-extension", "file", ("通知", notice("梨").encode()), "refused", r"不支持的文件类型"),
    Case("file-50MB", "file", ("大文件.txt", None), "refused", r"文件过大.*上限为 20 MB"),
    Case("file-corrupt-docx", "file", ("坏.docx", None), "refused", r"无法读取 \.docx"),
    Case("file-corrupt-pdf", "file", ("坏.pdf", b"%PDF-1.4\n1 0 obj<<>>\n%%garbage"), "refused",
         r"无法读取 PDF|PDF"),
    Case("file-docx-zip-bomb", "file", ("炸弹.docx", None), "refused", r"压缩炸弹"),
    Case("file-duplicate-of-plan", "file", ("另一个名字.txt", PLAN_FILE.read_bytes()), "refused",
         r"文档已存在.*楚雄州职业教育提质增效工作实施方案"),
    Case("file-duplicate-same-name", "file", (PLAN_FILE.name, PLAN_FILE.read_bytes()), "refused",
         r"文档已存在"),
    Case("file-same-name-as-corpus-doc", "file", (PLAN_FILE.name, "通知\n一、总则\n本方案作废。\n".encode()),
         "refused", r"已有同名文档《楚雄州职业教育提质增效工作实施方案》"),
    Case("file-gbk", "file", ("蓝莓通知.txt", notice("蓝莓").encode("gbk")), "accepted",
         ask=("蓝莓栽培技术实训基地建成几个？", "3个"), stored_as="蓝莓通知.txt"),
    Case("file-utf16-bom", "file", ("芒果通知.txt", notice("芒果").encode("utf-16")), "accepted",
         ask=("芒果栽培技术实训基地建成几个？", "3个"), stored_as="芒果通知.txt"),
    Case("file-dotdot-name", "file", ("../../../荔枝通知.txt", notice("荔枝").encode()), "accepted",
         ask=("荔枝栽培技术实训基地建成几个？", "3个"), stored_as="荔枝通知.txt"),
    Case("file-absolute-name", "file", ("/tmp/kb-abs-path/龙眼通知.txt", notice("龙眼").encode()), "accepted",
         ask=("龙眼栽培技术实训基地建成几个？", "3个"), stored_as="龙眼通知.txt"),
    Case("file-windows-dotdot-name", "file", ("..\\..\\柠檬通知.txt", notice("柠檬").encode()), "accepted",
         ask=("柠檬栽培技术实训基地建成几个？", "3个"), stored_as="柠檬通知.txt"),
    Case("file-only-dots-name", "file", ("../..", notice("桃").encode()), "refused", r"文件名无效|不支持"),
]

LAZY_BYTES = {"file-50MB": _huge_file, "file-corrupt-docx": _corrupt_docx, "file-docx-zip-bomb": _zip_bomb}

CASES = question_cases("api") + question_cases("cli") + question_cases("jsonl") + FILE_CASES


# -- the knowledge base: the plan, copied from the session build -------------------------

@pytest.fixture(scope="module")
def kb(plan_kb, tmp_path_factory) -> KnowledgeBase:
    data = tmp_path_factory.mktemp("bad-input") / "data"
    shutil.copytree(plan_kb.settings.data_dir, data)
    kb = KnowledgeBase.open(data)
    assert [d.doc_id for d in kb.documents()] == [PLAN_FILE.stem]
    return kb


def state(kb: KnowledgeBase) -> tuple:
    """What a refusal must not change."""
    manifest = json.loads((kb.settings.data_dir / "kb.json").read_text(encoding="utf-8"))
    uploads = kb.settings.data_dir / "files"
    files = sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []
    return (manifest["generation"], sorted(d["doc_id"] for d in manifest["documents"]),
            len(manifest["clauses"]), files, sorted(d.doc_id for d in kb.documents()))


# -- channels ----------------------------------------------------------------------------

def run_api(kb, case):
    """(error message or None, answer dict or None)"""
    try:
        return None, kb.ask(case.value).to_dict()
    except InputError as e:
        return str(e), None


def run_cli(kb, case, capsys):
    code = cli.main(["--data-dir", str(kb.settings.data_dir), "ask", "--json", case.value])
    out, err = capsys.readouterr()
    if case.expect == "refused":
        assert code == 2, (code, out, err)
        assert out == "", "a refused question prints nothing on stdout"
        assert err.startswith("错误："), err
        return err, None
    assert code == 0, (code, err)
    return None, json.loads(out)


def run_jsonl(kb, case, capsys, monkeypatch):
    """The bad line between two good ones: one object per line, in order, and it keeps going."""
    lines = ["州财政局负责哪些任务？", case.value.replace("\n", " "), "职教高考改革由哪些单位负责？"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(("\n".join(lines) + "\n").encode())))
    code = cli.main(["--data-dir", str(kb.settings.data_dir), "ask", "--jsonl"])
    out, err = capsys.readouterr()
    assert code == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    assert len(objs) == 3, f"expected one object per input line, got {len(objs)}: {out[:500]}"
    assert objs[0]["citations"] and objs[2]["citations"] and not objs[0]["abstained"]
    assert "error" not in objs[0] and "error" not in objs[2]
    bad = objs[1]
    if case.expect == "refused":
        assert set(bad) == {"question", "error"}, bad
        # at most a short prefix of the question comes back with its error
        assert bad["question"] == lines[1][:cli.ECHO_CHARS] + ("…" if len(lines[1]) > cli.ECHO_CHARS else "")
        return bad["error"], None
    assert "error" not in bad, bad
    return None, bad


def run_file(kb, case, monkeypatch):
    name, data = case.value
    if data is None:
        data = LAZY_BYTES[case.id]()
    if case.id == "file-50MB":
        # Refused by size before any parsing: the reader must never see the bytes.
        def no_parse(*a, **k):
            raise AssertionError("a file over the size limit was parsed")
        monkeypatch.setattr(ingest.read, "_extract", no_parse)
    try:
        return None, kb.add_file(name, data)
    except InputError as e:
        return str(e), None


# -- the one test --------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, kb: KnowledgeBase, capsys, monkeypatch):
    before = state(kb)
    if case.channel == "api":
        error, result = run_api(kb, case)
    elif case.channel == "cli":
        error, result = run_cli(kb, case, capsys)
    elif case.channel == "jsonl":
        error, result = run_jsonl(kb, case, capsys, monkeypatch)
    else:
        error, result = run_file(kb, case, monkeypatch)
    after = state(kb)

    if case.expect == "refused":
        assert error is not None, f"{case.id}: accepted, expected a refusal ({result})"
        assert re.search(case.message, error), f"{case.id}: unclear message {error!r}"
        assert len(error) < 300, "the message is a sentence, not an echo of the input"
        assert after == before, f"{case.id}: a refusal changed the knowledge base"
        return

    assert error is None, f"{case.id}: refused with {error!r}"
    if case.expect == "answered":
        assert after == before
        ans = result
        assert isinstance(ans["answer"], str) and ans["answer"].strip()
        assert isinstance(ans["abstained"], bool)
        # Plain data: the question comes back as text (control characters dropped), not
        # escaped, not interpreted; and the answer text never carries the markup along.
        assert ans["question"] == (case.echo if case.echo is not None else case.value.strip())
        assert "<script" not in ans["answer"] and "onerror" not in ans["answer"]
        if case.echo:   # the control-character question is a real question: it is answered
            assert not ans["abstained"] and ans["citations"], ans
        json.dumps(ans, ensure_ascii=False)
        return

    # accepted files: stored inside <data>/files only, and answerable
    report = result
    assert report.added and not report.rejected
    uploads = (kb.settings.data_dir / "files").resolve()
    doc = next(d for d in kb.documents() if d.doc_id == report.added[0])
    stored = Path(doc.source).resolve()
    assert stored.parent == uploads and stored.name == case.stored_as, stored
    assert stored.read_bytes() == (case.value[1]), "stored bytes are the uploaded bytes"
    assert not Path("/tmp/kb-abs-path").exists()
    assert not (kb.settings.data_dir.parent / case.stored_as).exists()
    assert not (kb.settings.data_dir.parent.parent / case.stored_as).exists()
    assert after[0] == before[0] + 1 and len(after[1]) == len(before[1]) + 1
    question, expected = case.ask
    ans = kb.ask(question)
    assert not ans.abstained and expected in ans.answer, ans.answer
    assert ans.citations[0].doc_id == doc.doc_id
    assert kb.check() == []
