"""The web app's pure helpers: escaping, highlighting, citation and context HTML, tables."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import web_render as R
from kb.schema import Answer, Citation, Clause, Document

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'
QUOTE = ("1.推进落实职教高考改革。加大职教高考宣传力度，充分调动中职学校学生参加职教高考积极性；"
         "2025年起全州中职学校学生升高职学校比例不低于毕业生总数的60%。"
         "（责任单位：州教育体育局、州人力资源和社会保障局）")
HIGHLIGHT = "2025年起全州中职学校学生升高职学校比例不低于毕业生总数的60%。"


def cite(n=1, quote=QUOTE, highlight=HIGHLIGHT, **kw) -> Citation:
    base = dict(n=n, doc_id="plan", doc_title="楚雄州职业教育提质增效工作实施方案",
                doc_number="楚政办通〔2024〕30号", clause_id="二（二）1",
                section="二、重点任务 > （二）拓宽三个人才培养渠道 > 1.推进落实职教高考改革",
                quote=quote, score=0.91, highlight=highlight)
    base.update(kw)
    return Citation(**base)


def clause(cid, path, text="正文。", **kw) -> Clause:
    return Clause(doc_id="plan", clause_id=cid, path=path, text=text, **kw)


# -- escaping ----------------------------------------------------------------------

def test_esc_escapes_markup_and_quotes():
    assert R.esc(XSS) == ("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x "
                          "onerror=&quot;alert(2)&quot;&gt;")
    assert R.esc(None) == ""
    assert R.esc(3) == "3"


def test_md_text_renders_nothing():
    out = R.md_text("**粗体** [链接](javascript:alert(1)) $x$ 1. 列表 " + XSS)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out
    # Markdown punctuation is backslash-escaped, so nothing becomes bold, a link or LaTeX.
    assert r"\*\*粗体\*\*" in out
    assert r"\[链接\]\(javascript:alert\(1\)\)" in out or r"\[链接\]\(javascript\:alert\(1\)\)" in out
    assert r"\$x\$" in out
    # Chinese text passes through untouched.
    assert R.md_text("州教育体育局负责") == "州教育体育局负责"


@pytest.mark.parametrize("escape", [R.esc, R.md_text])
def test_control_and_bidi_characters_are_not_shown(escape):
    shown = escape("甲\u202e乙\x1b[31m丙\x00丁\u2066戊\u200f己\r\n第二行\t末")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]", shown)
    assert "\n第二行\t末" in shown and "甲乙" in shown


# -- highlighting --------------------------------------------------------------------

def test_highlight_marks_the_answering_sentence():
    out = R.highlight_quote(QUOTE, HIGHLIGHT)
    assert out.count('<mark class="kb-hl">') == 1
    marked = re.search(r'<mark class="kb-hl">(.*?)</mark>', out).group(1)
    assert marked == HIGHLIGHT
    # The text around the mark is all there, in order.
    assert re.sub(r"</?mark[^>]*>", "", out) == QUOTE


def test_highlight_ignores_whitespace_differences():
    quote = "第一句。第二句 有空格\n换行。第三句。"
    out = R.highlight_quote(quote, "第二句有空格换行。")
    assert re.search(r'<mark class="kb-hl">(.*?)</mark>', out, re.S).group(1) == "第二句 有空格\n换行。"


@pytest.mark.parametrize("highlight", ["", "   ", "不在原文中的句子。"])
def test_highlight_missing_or_absent_leaves_the_quote_plain(highlight):
    assert R.highlight_quote(QUOTE, highlight) == R.esc(QUOTE)


def test_highlight_escapes_both_quote_and_sentence():
    quote = "前文" + XSS + "后文。"
    out = R.highlight_quote(quote, XSS)
    assert "<script" not in out and "<img" not in out
    assert '<mark class="kb-hl">&lt;script&gt;' in out
    assert out.startswith("前文") and out.endswith("后文。")


# -- chat messages -----------------------------------------------------------------------

def test_answer_message_keeps_markers_and_escapes_text():
    ans = Answer(question="q", answer="由州教育体育局负责[1]，另见[2]。" + XSS, abstained=False,
                 responsible_units=["州教育体育局", "<b>州财政局</b>"])
    out = R.answer_message(ans)
    assert '<strong class="kb-marker">[1]</strong>' in out
    assert '<strong class="kb-marker">[2]</strong>' in out
    assert "<script" not in out and "<img" not in out and "<b>" not in out
    assert "责任单位：州教育体育局、&lt;b&gt;州财政局&lt;/b&gt;" in out
    named = Answer(question="q", answer="由州教育体育局负责[1]。", abstained=False,
                   responsible_units=["州教育体育局"])
    assert "责任单位：" not in R.answer_message(named)


def test_abstention_says_so_plainly():
    ans = Answer(question="q", answer="知识库中的文档没有涉及这个问题。", abstained=True)
    out = R.answer_message(ans)
    assert "文档未涉及" in out and "没有涉及" in out
    # `**bold**` next to CJK punctuation is not bold in CommonMark: markers use <strong>.
    assert "**" not in out and "**" not in R.error_message("问题过长")


def test_user_and_error_messages_are_escaped():
    assert "<img" not in R.user_message(XSS)
    assert "<script" not in R.error_message(XSS)
    assert R.error_message("问题不能为空").startswith("<strong>【无法回答】</strong>")


# -- evidence panel ------------------------------------------------------------------------

def test_citations_html_lists_every_citation():
    c2 = cite(n=2, clause_id="三（二）", section="三、保障措施 > （二）落实经费保障",
              quote="完善职业教育差异化生均拨款制度。", highlight="")
    out = R.citations_html([cite(), c2])
    assert out.count('class="kb-cite"') == 2 and 'data-i="1"' in out
    assert "kb-selected" not in out
    chosen = R.citations_html([cite(), c2], selected=1)
    assert chosen.count("kb-selected") == 1
    assert chosen.index("kb-selected") > chosen.index('data-i="0"')
    assert "[1]" in out and "[2]" in out
    assert "二（二）1" in out and "三（二）" in out
    assert "楚政办通〔2024〕30号" in out
    assert "楚雄州职业教育提质增效工作实施方案" in out
    assert "二、重点任务 &gt; （二）拓宽三个人才培养渠道" in out
    assert f'<mark class="kb-hl">{HIGHLIGHT}</mark>' in out


def test_citations_html_escapes_document_fields():
    out = R.citations_html([cite(doc_title=XSS, doc_number=XSS, clause_id=XSS, section=XSS,
                                 quote=XSS, highlight=XSS)])
    assert "<script" not in out and "<img" not in out
    assert out.count("&lt;script&gt;") >= 5


def test_citations_html_empty_and_abstained():
    assert "提问后" in R.citations_html([])
    assert "没有涉及" in R.citations_html([], abstained=True)
    assert "仅供参考" in R.citations_html([cite()], abstained=True)


def test_card_names_the_clause_heading_once():
    out = R.citations_html([cite()])
    assert '<span class="kb-cid">二（二）1 推进落实职教高考改革</span>' in out
    assert out.count("推进落实职教高考改革") == 2   # card title and the quote, not the path
    assert 'tabindex="0"' in out
    assert R.heading_text("（三）强化考核评价") == "强化考核评价"
    assert R.heading_text("第二十四条 ") == "第二十四条"


# -- section context ------------------------------------------------------------------------

SECTION = ["二、重点任务", "（二）拓宽三个人才培养渠道"]
CLAUSES = [
    clause("一", ["一、工作目标"], "一、工作目标。用3年时间。"),
    clause("二（一）1", ["二、重点任务", "（一）实施三个基础工程", "1.加快优质学校建设"]),
    clause("二（二）1", SECTION + ["1.推进落实职教高考改革"], QUOTE),
    clause("二（二）2", SECTION + ["2.开展“中高本”贯通培养"], "2.开展“中高本”贯通培养。"),
    clause("二（二）3", SECTION + ["3.推动“职普技”融合培养"], "3.推动“职普技”融合培养。<i>x</i>"),
    clause("三（一）", ["三、保障措施", "（一）加强组织领导"]),
]


def test_section_context_keeps_the_section_only():
    parent, shown = R.section_context(CLAUSES, "二（二）1")
    assert parent == SECTION
    assert [c.clause_id for c in shown] == ["二（二）1", "二（二）2", "二（二）3"]


def test_section_context_radius_and_missing():
    _, shown = R.section_context(CLAUSES, "二（二）3", radius=1)
    assert [c.clause_id for c in shown] == ["二（二）2", "二（二）3"]
    assert R.section_context(CLAUSES, "九（九）9") == ([], [])
    parent, shown = R.section_context(CLAUSES, "一")
    assert parent == ["一、工作目标"] and [c.clause_id for c in shown] == ["一"]
    preamble = [clause("前言", [], "为认真贯彻落实……")] + CLAUSES
    assert R.section_context(preamble, "前言") == ([], [preamble[0]])


def test_section_context_keeps_all_parts_of_a_split_clause():
    parts = CLAUSES[:3] + [clause("二（二）1", SECTION + ["1.推进落实职教高考改革"], "续。", part=2)] + CLAUSES[3:]
    _, shown = R.section_context(parts, "二（二）1", radius=0)
    assert [(c.clause_id, c.part) for c in shown] == [("二（二）1", 0), ("二（二）1", 2)]


def test_context_html_emphasises_the_cited_clause():
    out = R.context_html(CLAUSES, cite())
    assert out.count("kb-ctx-clause kb-cited") == 1
    cited = out.split("kb-ctx-clause kb-cited", 1)[1].split("kb-ctx-clause", 1)[0]
    assert "二（二）1" in cited and '<mark class="kb-hl">' in cited
    assert "二（二）2" in out and "二（二）3" in out
    assert "三（一）" not in out and "一、工作目标。" not in out
    assert "&lt;i&gt;x&lt;/i&gt;" in out and "<i>" not in out
    assert "二、重点任务 &gt; （二）拓宽三个人才培养渠道" in out


def test_context_html_without_citation_or_clause():
    assert "选择一条引文" in R.context_html([], None)
    assert "未找到" in R.context_html(CLAUSES, cite(clause_id="九（九）9"))


# -- small pieces ---------------------------------------------------------------------------

def test_notice_and_units_html():
    assert R.notice_html(XSS, "error").startswith('<div class="kb-notice kb-error">')
    assert "<script" not in R.notice_html(XSS)
    assert 'kb-info' in R.notice_html("x", "bogus")
    c = clause("二（二）1", SECTION + ["1.推进落实职教高考改革"], title="推进落实职教高考改革",
               units=["州教育体育局", "<b>州人社局</b>"], lead_units=["州教育体育局"])
    out = R.units_html(c, doc_title="方案<b>")
    assert "共 2 个责任单位" in out
    assert "方案&lt;b&gt;" in out and R.esc(c.text) in out
    assert 'kb-chip kb-lead">州教育体育局' in out
    assert "&lt;b&gt;州人社局&lt;/b&gt;" in out and "<b>" not in out
    assert "选择一项任务" in R.units_html(None)
    assert "未写明责任单位" in R.units_html(clause("一", ["一、工作目标"]))


def test_snippet():
    assert R.snippet("短文本") == "短文本"
    assert R.snippet("一二三四五六", limit=4) == "一二三四…"
    assert R.snippet("换行\n  和   空格") == "换行 和 空格"


# -- tables (pure builders in app/web.py) ---------------------------------------------------

def test_matrix_merges_split_clauses_and_orders_units():
    from app.web import matrix_frame, merge_parts
    a1 = clause("二（五）", ["二、重点任务", "（五）构建五个“一体化”办学格局"], "第一部分。",
                part=1, units=["州教育体育局"], title="构建格局")
    a2 = clause("二（五）", ["二、重点任务", "（五）构建五个“一体化”办学格局"], "第二部分。",
                part=2, units=["州教育体育局", "州财政局"], title="构建格局")
    b = clause("三（二）", ["三、保障措施", "（二）落实经费保障"], units=["州财政局", "州发展改革委"],
               title="落实经费保障")
    none = clause("一", ["一、工作目标"])
    merged = merge_parts([a1, a2, b, none])
    assert [(c.clause_id, c.part) for c in merged] == [("二（五）", 0), ("三（二）", 0), ("一", 0)]
    assert merged[0].text == "第一部分。\n第二部分。"
    assert merged[0].units == ["州教育体育局", "州财政局"]
    assert a1.units == ["州教育体育局"]          # the inputs are not changed
    df = matrix_frame([a1, a2, b, none], {"plan": "方案"})
    assert list(df.columns) == ["条款", "任务", "州财政局", "州教育体育局", "州发展改革委"]
    assert df.values.tolist() == [["二（五）", "构建格局", "✓", "✓", ""],
                                  ["三（二）", "落实经费保障", "✓", "", "✓"]]


def test_filter_frame_needs_every_term():
    import pandas as pd
    from app.web import filter_frame
    df = pd.DataFrame([["培训", "10万人次", "每年"], ["升学", "60%", "2025年起"]],
                      columns=["指标", "数值", "期限"])
    assert filter_frame(df, "").equals(df)
    assert filter_frame(df, "培训").values.tolist() == [["培训", "10万人次", "每年"]]
    assert filter_frame(df, "60% 2025").values.tolist() == [["升学", "60%", "2025年起"]]
    assert filter_frame(df, "培训 60%").empty


def test_exports_never_write_formulas(tmp_path):
    import openpyxl
    import pandas as pd
    from app.web import _Exports
    df = pd.DataFrame([["=HYPERLINK(\"http://x\")", "+1", "州财政局", 3]], columns=["a", "b", "c", "d"])
    csv, xlsx = _Exports().write(df, "单位/任务:清单")
    assert Path(csv).name == "单位_任务_清单.csv"
    text = Path(csv).read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text and "州财政局" in text
    cell = openpyxl.load_workbook(xlsx).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_document_html_shows_facts_headings_once_and_escapes():
    doc = Document(doc_id="plan", title="方案<script>x</script>", source="/a/b/方案.txt", sha256="0",
                   doc_number="楚政办通〔2024〕30号", issuer="楚雄州人民政府办公室", kind="实施方案")
    parts = [
        clause("二（二）1", SECTION + ["1.推进落实职教高考改革"], "1.推进落实职教高考改革。正文<img src=x>。"),
        clause("二（二）2", SECTION + ["2.开展“中高本”贯通培养"], "2.开展“中高本”贯通培养。"),
        clause("二（五）", ["二、重点任务", "（五）构建五个“一体化”办学格局"], "一是……", part=1),
        clause("二（五）", ["二、重点任务", "（五）构建五个“一体化”办学格局"], "二是……", part=2),
    ]
    out = R.document_html(doc, parts)
    assert "方案&lt;script&gt;x&lt;/script&gt;" in out and "<script" not in out
    assert "&lt;img src=x&gt;" in out and "<img" not in out
    assert "楚政办通〔2024〕30号" in out and "方案.txt" in out and "/a/b" not in out
    assert out.count("二、重点任务</div>") == 1                 # a heading shown once
    assert out.count("（二）拓宽三个人才培养渠道</div>") == 1
    assert "1.推进落实职教高考改革</div>" not in out            # its text opens with it
    assert out.count("（五）构建五个“一体化”办学格局</div>") == 1  # text does not: shown
    assert "二（五）（续）" in out
    assert "共 3 个条款" in out                                # parts of one clause count once
    assert "选择一份文档" in R.document_html(None, [])
