"""The web app's pure helpers: escaping, highlighting, chat messages, evidence, tables, downloads."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from app import web_render as R
from app import web_tables as T
from app.web import admin_permission, chat_messages
from app.web_security import WebGuard
from kb.config import Settings
from kb.schema import Answer, Citation, Clause, Document, Target

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


SECTION = ["二、重点任务", "（二）拓宽三个人才培养渠道"]


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

def record(**kw) -> dict:
    """A chat record as the web app keeps it: the answer object as a dict, plus page fields."""
    base = Answer(question="职教高考改革由哪些单位负责？", answer="由州教育体育局负责[1]，另见[2]。",
                  abstained=False, responsible_units=["州教育体育局"], citations=[cite()]).to_dict()
    base.update(kw)
    return base


def test_answer_message_links_markers_to_their_own_citation():
    out = R.answer_message(record(answer="由州教育体育局负责[1]，另见[2]。" + XSS,
                                  responsible_units=["州教育体育局", "<b>州财政局</b>"]))
    link = re.search(r'<a class="kb-marker" href="#kb-evidence" title="([^"]*)">\[1\]</a>', out)
    assert link, out
    assert "二（二）1" in link[1] and "2025年起" in link[1]           # hovering shows where and what
    assert '<strong class="kb-marker">[2]</strong>' in out             # no citation [2]: not a link
    body = out.split('<pre class="kb-copytext">')[0]
    assert "<script" not in body and "<img" not in body and "<b>" not in body
    assert "责任单位：州教育体育局、&lt;b&gt;州财政局&lt;/b&gt;" in out
    assert "责任单位：" not in R.answer_message(record(answer="由州教育体育局负责[1]。")).split("<pre")[0]


def test_answer_message_actions_and_rating():
    out = R.answer_message(record())
    assert 'class="kb-copy"' in out and "👍 有用" in out and "👎 没用" in out
    assert "kb-on" not in out
    assert 'kb-rate kb-down kb-on' in R.answer_message(record(rating=-1))


def test_streaming_message_shows_plain_markers_and_says_it_is_being_checked():
    out = R.streaming_message("每年培训10万人次[1]" + XSS)
    assert '<strong class="kb-marker">[1]</strong>' in out and "kb-marker\" href" not in out
    assert "大模型正在作答" in out and "<script" not in out and "<img" not in out


@pytest.mark.parametrize("llm, shown", [
    (None, None),
    ({"used": True, "model": "qwen"}, "由大模型根据所引条款改写"),
    ({"used": False, "reason": "数字“15万”不在所引条款[1]中", "check": "number"}, "大模型回答未通过核对，已显示原文摘录答案"),
    ({"used": False, "reason": "大模型接口超时（ReadTimeout）", "check": "timeout"}, "大模型回答超时，已显示原文摘录答案"),
    ({"used": False, "reason": "大模型接口出错", "check": "endpoint"}, "大模型暂时不可用，已显示原文摘录答案"),
    # never sent: the answer is exact already, or a refusal: nothing to say
    ({"used": False, "reason": "结构化回答已是准确结果，不经大模型改写", "check": "structured"}, None),
    ({"used": False, "reason": "知识库没有依据，保持不回答", "check": "abstained"}, None),
])
def test_answer_message_says_whether_the_llm_phrased_it(llm, shown):
    out = R.answer_message(record(llm=llm) if llm else record()).split("<pre")[0]
    if shown is None:
        assert "kb-llm-note" not in out
        return
    assert shown in out
    if not llm["used"]:
        assert f'class="kb-llm-note kb-llm-fallback" title="{R.esc(llm["reason"])}"' in out


def test_the_llm_reason_is_escaped():
    out = R.answer_message(record(llm={"used": False, "reason": XSS, "check": "quote"}))
    assert "<script" not in out and "&lt;script&gt;" in out


def test_copy_text_is_plain_answer_and_sources():
    second = cite(n=2, doc_number="", clause_id="第四章第四十一条", section="第四章 职业学校 > 第四十一条",
                  quote="第四十一条 原文\n第二段")
    text = R.copy_text(record(citations=[cite().__dict__, second.__dict__]))
    lines = text.splitlines()
    assert lines[0] == "由州教育体育局负责[1]，另见[2]。"
    assert "出处：" in lines
    assert "[1] 《楚雄州职业教育提质增效工作实施方案》（楚政办通〔2024〕30号） 二（二）1 推进落实职教高考改革" \
           "（二、重点任务 › （二）拓宽三个人才培养渠道）" in lines
    assert "[2] 《楚雄州职业教育提质增效工作实施方案》 第四十一条（第四章 职业学校）" in lines
    assert "原文：第四十一条 原文 第二段" in lines
    assert "<" not in text.replace("<script", "")        # plain text, no markup


def test_copy_text_is_escaped_inside_the_message():
    out = R.answer_message(record(citations=[cite(quote=XSS).__dict__]))
    hidden = out.split('<pre class="kb-copytext">')[1]
    assert "<script" not in hidden and "&lt;script&gt;" in hidden


def test_abstention_says_so_and_suggests():
    tips = [{"label": "州审计局", "question": "州审计局负责哪些任务？"}, {"label": "<b>x</b>", "question": XSS}]
    out = R.answer_message(record(answer="知识库中的文档没有涉及这个问题。", abstained=True, citations=[],
                                  suggestions=tips))
    assert "文档未涉及" in out and "没有涉及" in out
    assert '<a class="kb-suggest" href="#kb-question" title="州审计局负责哪些任务？">州审计局</a>' in out
    assert "<b>x</b>" not in out and "<script" not in out.split("<pre")[0]
    # `**bold**` next to CJK punctuation is not bold in CommonMark: markers use <strong>.
    assert "**" not in out and "**" not in R.error_message("问题过长")


def test_user_and_error_messages_are_escaped():
    assert "<img" not in R.user_message(XSS)
    assert "<script" not in R.error_message(XSS)
    assert R.error_message("问题不能为空").startswith("<strong>【无法回答】</strong>")
    assert R.answer_message({"question": "q", "error": "问题过长"}) == R.error_message("问题过长")


def test_the_chat_is_rendered_from_its_records():
    msgs = chat_messages([record(), {"question": "职" * 3, "error": "太长"}])
    assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant"]
    assert "kb-marker" in msgs[1]["content"] and "【无法回答】" in msgs[3]["content"]


# -- where a clause sits: each heading once ---------------------------------------------------

@pytest.mark.parametrize("clause_id, section, expected", [
    ("二（二）1", "二、重点任务 > （二）拓宽三个人才培养渠道 > 1.推进落实职教高考改革",
     ("二（二）1", "推进落实职教高考改革", "二、重点任务 › （二）拓宽三个人才培养渠道")),
    ("三（二）", "三、保障措施 > （二）落实经费保障", ("三（二）", "落实经费保障", "三、保障措施")),
    ("第四章第四十一条", "第四章 职业学校 > 第四十一条", ("第四十一条", "", "第四章 职业学校")),
    ("第三条", "第三条", ("第三条", "", "")),
    ("文件信息", "文件信息", ("文件信息", "", "")),
    ("题注", "中华人民共和国职业教育法", ("题注", "", "")),
])
def test_clause_location_names_each_heading_once(clause_id, section, expected):
    assert R.clause_location(clause_id, section, "中华人民共和国职业教育法") == expected


# -- evidence panel ------------------------------------------------------------------------

PLAN_DOC = Document(doc_id="plan", title="楚雄州职业教育提质增效工作实施方案", source="/x/方案.txt", sha256="0",
                    doc_number="楚政办通〔2024〕30号", issuer="楚雄州人民政府办公室", written_date="2024-06-13",
                    kind="实施方案", level="州市")


def test_evidence_lists_the_answers_citations_and_opens_one():
    c2 = cite(n=2, clause_id="三（二）", section="三、保障措施 > （二）落实经费保障",
              quote="完善职业教育差异化生均拨款制度。", highlight="")
    rec = record(citations=[cite().__dict__, c2.__dict__])
    out = R.evidence_html(rec, 3, 1, {"plan": PLAN_DOC})
    assert 'data-a="3"' in out and "第 4 问的引用" in out
    assert len(re.findall(r'class="kb-cite( kb-selected)?"', out)) == 2 and out.count("kb-selected") == 1
    assert out.index("kb-selected") > out.index('data-i="0"')
    assert out.count('class="kb-open-doc"') == 1 and 'data-i="1"' in out.split('class="kb-open-doc"')[1]
    opened = out.split('data-i="1"')[1]
    assert '<table class="kb-facts">' in opened and "楚雄州人民政府办公室" in opened and "2024-06-13" in opened
    assert "完善职业教育差异化生均拨款制度。" in opened
    assert "推进落实职教高考改革" in out                           # the closed card: title and gist
    assert f'<mark class="kb-hl">{HIGHLIGHT}</mark>' not in out    # ... not its full quote
    first = R.evidence_html(rec, 0, 0, {"plan": PLAN_DOC})
    assert f'<mark class="kb-hl">{HIGHLIGHT}</mark>' in first


def test_evidence_card_names_headings_once():
    out = R.evidence_html(record(citations=[cite(clause_id="第四章第四十一条", section="第四章 职业学校 > 第四十一条",
                                                 doc_title="中华人民共和国职业教育法").__dict__]), 0)
    head = out.split('<div class="kb-quote">')[0]
    assert head.count("第四十一条") == 1 and head.count("第四章") == 1


def test_evidence_escapes_document_fields():
    out = R.evidence_html(record(citations=[cite(doc_title=XSS, doc_number=XSS, clause_id=XSS, section=XSS,
                                                 quote=XSS, highlight=XSS).__dict__], question=XSS), 0)
    assert "<script" not in out and "<img" not in out
    assert out.count("&lt;script&gt;") >= 4


def test_evidence_empty_abstained_and_header_clause():
    assert "提问后" in R.evidence_html(None)
    assert "没有涉及" in R.evidence_html(record(abstained=True, citations=[]), 0)
    assert "仅供参考" in R.evidence_html(record(abstained=True), 0)
    header = cite(clause_id="文件信息", section="文件信息", highlight="",
                  quote="索引号:115323000151673132-/2024-0614001 | 发布机构:楚雄州人民政府办公室 |\n"
                        "发布日期:2024年06月14日 | 文 号:楚政办通〔2024〕30号 |")
    out = R.evidence_html(record(citations=[header.__dict__]), 0)
    assert "<th>文号</th><td>楚政办通〔2024〕30号</td>" in out and " | " not in out


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


# -- the admin views follow the write rule (app/web_security.py), in their own words ---------

def test_admin_permission():
    base = Settings.from_env()
    public = dataclasses.replace(base, host="0.0.0.0", admin_password="")
    guarded = dataclasses.replace(base, host="0.0.0.0", admin_password="s3cret")
    assert admin_permission(WebGuard(guarded), "s3cret", None)[0]
    allowed, why = admin_permission(WebGuard(guarded), "wrong", None)
    assert not allowed and "无法打开管理视图" in why and "s3cret" not in why
    allowed, why = admin_permission(WebGuard(public), "", None)
    assert not allowed and "管理视图已禁用" in why


# -- tables (pure builders in app/web_tables.py) -------------------------------------------

def test_matrix_merges_split_clauses_orders_units_and_shows_deadlines():
    a1 = clause("二（五）", ["二、重点任务", "（五）构建五个“一体化”办学格局"], "第一部分。",
                part=1, units=["州教育体育局"], title="构建格局")
    a2 = clause("二（五）", ["二、重点任务", "（五）构建五个“一体化”办学格局"], "第二部分，到2026年完成。",
                part=2, units=["州教育体育局", "州财政局"], title="构建格局")
    b = clause("三（二）", ["三、保障措施", "（二）落实经费保障"], units=["州财政局", "州发展改革委"],
               title="落实经费保障")
    none = clause("一", ["一、工作目标"])
    merged = T.merge_parts([a1, a2, b, none])
    assert [(c.clause_id, c.part) for c in merged] == [("二（五）", 0), ("三（二）", 0), ("一", 0)]
    assert merged[0].text == "第一部分。\n第二部分，到2026年完成。"
    assert merged[0].units == ["州教育体育局", "州财政局"]
    assert a1.units == ["州教育体育局"]          # the inputs are not changed
    df = T.matrix_frame([a1, a2, b, none], {"plan": PLAN_DOC})
    assert list(df.columns) == ["条款", "任务", "期限", "州财政局", "州教育体育局", "州发展改革委"]
    assert df.values.tolist() == [["二（五）", "构建格局", "到2026年", "✓", "✓", ""],
                                  ["三（二）", "落实经费保障", "未规定", "✓", "", "✓"]]


def test_task_tables_carry_the_deadline():
    c = clause("二（一）1", ["二、重点任务", "（一）实施三个基础工程", "1.加快优质学校建设"],
               "1.加快优质学校建设。利用3年时间，力争……", units=["州教育体育局"], title="加快优质学校建设")
    shown = T.tasks_frame([c], {"plan": PLAN_DOC})
    assert list(shown.columns) == ["条款", "任务", "期限", "所在章节", "条款原文（摘要）"]
    assert shown["期限"].tolist() == ["2027年（利用3年时间）"]
    export = T.tasks_export_frame([c], {"plan": PLAN_DOC})
    assert export.iloc[0].tolist()[:4] == ["楚雄州职业教育提质增效工作实施方案", "二（一）1", "加快优质学校建设",
                                          "2027年（利用3年时间）"]
    assert export["责任单位"].tolist() == ["州教育体育局"]


def test_targets_split_plans_from_laws_and_filter():
    law = Document(doc_id="law", title="某职业教育法", source="", sha256="", kind="法律")
    def target(subject, period, display="1个"):
        return Target(text=subject, value=1.0, unit="个", display=display, comparison="=", period=period,
                      subject=subject)
    a = clause("二（一）3", ["二、重点任务"], "从2024年起，每年开展……", units=["州人力资源和社会保障局", "10县市人民政府"])
    b = clause("二（二）2", ["二、重点任务"], "到2026年……", units=["州教育体育局"])
    fine = Clause(doc_id="law", clause_id="第六十六条", path=["第六十六条"], text="处一万元罚款")
    pairs = [(a, target("职业技能培训", "从2024年起，每年", "10万人次")), (b, target("贯通培养", "到2026年")),
             (fine, target("罚款", "", "1万元"))]
    docs = {"plan": PLAN_DOC, "law": law}
    plan = T.targets_frame(pairs, docs)
    assert plan["指标内容"].tolist() == ["职业技能培训", "贯通培养"]
    assert plan["期限"].tolist() == ["2024年起，每年", "到2026年"]
    assert plan["责任单位"].tolist()[0] == "州人力资源和社会保障局、10县市人民政府"
    assert T.targets_frame(pairs, docs, T.TargetFilter(group=T.LAW_NUMBERS))["指标内容"].tolist() == ["罚款"]
    by_year = T.targets_frame(pairs, docs, T.TargetFilter(year=2026))
    assert by_year["指标内容"].tolist() == ["贯通培养"]
    # a county is covered by 10县市人民政府
    county = T.targets_frame(pairs, docs, T.TargetFilter(unit="禄丰市人民政府"),
                             covering=lambda u: [u, "10县市人民政府"])
    assert county["指标内容"].tolist() == ["职业技能培训"]
    assert T.targets_frame(pairs, docs, T.TargetFilter(text="培训 10万"))["指标内容"].tolist() == ["职业技能培训"]
    assert T.target_years(pairs[:2], docs) == [2024, 2026]


def test_filter_frame_needs_every_term():
    import pandas as pd
    df = pd.DataFrame([["培训", "10万人次", "每年"], ["升学", "60%", "2025年起"]],
                      columns=["指标", "数值", "期限"])
    assert T.filter_frame(df, "").equals(df)
    assert T.filter_frame(df, "培训").values.tolist() == [["培训", "10万人次", "每年"]]
    assert T.filter_frame(df, "60% 2025").values.tolist() == [["升学", "60%", "2025年起"]]
    assert T.filter_frame(df, "培训 60%").empty


def test_exports_never_write_formulas_and_fit_their_columns(tmp_path):
    import openpyxl
    import pandas as pd
    df = pd.DataFrame([["=HYPERLINK(\"http://x\")", "+1", "州财政局", 3, "长" * 200]], columns=["a", "b", "c", "d", "原文"])
    csv, xlsx = T.Exports().write(df, "单位/任务:清单")
    assert Path(csv).name == "单位_任务_清单.csv"
    text = Path(csv).read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text and "州财政局" in text
    ws = openpyxl.load_workbook(xlsx).active
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("'=")
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    widths = {c: ws.column_dimensions[c].width for c in "ABCDE"}
    assert widths["C"] == 10               # 州财政局: four CJK characters, two columns each, and a margin
    assert widths["D"] == 6                # never narrower than the least width
    assert widths["E"] == 60 and ws["E2"].alignment.wrap_text     # long text: capped and wrapped


def test_documents_list_versions_with_their_dates():
    old = Document(doc_id="职业教育法(1996-05-15)", title="中华人民共和国职业教育法", source="", sha256="",
                   issuer="全国人民代表大会常务委员会", dates={"通过": "1996-05-15", "施行": "1996-09-01"}, kind="法律")
    new = Document(doc_id="职业教育法(2022-04-20)", title="中华人民共和国职业教育法", source="", sha256="",
                   issuer="全国人民代表大会常务委员会",
                   dates={"通过": "1996-05-15", "修订": "2022-04-20", "施行": "2022-05-01"}, kind="法律")
    df = T.documents_frame([PLAN_DOC, old, new])
    assert list(df.columns) == T.DOC_COLS
    rows = {r["版本"]: r for r in df.to_dict("records")}
    assert set(rows) == {"2024-06-13 成文", "1996-05-15 通过（已被2022年版取代）", "2022-04-20 修订（现行）"}
    published = dataclasses.replace(PLAN_DOC, published_date="2024-06-14")
    assert T.version_label(published) == "2024-06-14 发布"
    assert rows["2022-04-20 修订（现行）"]["发布机构"] == "全国人民代表大会常务委员会"
    assert rows["2024-06-13 成文"]["文号"] == "楚政办通〔2024〕30号"


def test_document_html_shows_facts_headings_once_and_escapes():
    doc = Document(doc_id="plan", title="方案<script>x</script>", source="/a/b/方案.txt", sha256="0",
                   doc_number="楚政办通〔2024〕30号", issuer="楚雄州人民政府办公室", kind="实施方案")
    parts = [
        clause("二（二）1", SECTION + ["1.推进落实职教高考改革"], "1.推进落实职教高考改革。正文<img src=x>。"),
        clause("二（二）2", SECTION + ["2.开展“中高本”贯通培养"], "2.开展“中高本”贯通培养。"),
        clause("二（五）", ["二、重点任务", "（五）构建五个“一体化”办学格局"], "一是……", part=1),
        clause("二（五）", ["二、重点任务", "（五）构建五个“一体化”办学格局"], "二是……", part=2),
    ]
    out = R.document_html(doc, parts, focus="二（二）2")
    assert "方案&lt;script&gt;x&lt;/script&gt;" in out and "<script" not in out
    assert "&lt;img src=x&gt;" in out and "<img" not in out
    assert "<th>文号</th><td>楚政办通〔2024〕30号</td>" in out and "方案.txt" in out and "/a/b" not in out
    assert out.count("二、重点任务</div>") == 1                 # a heading shown once
    assert out.count("（二）拓宽三个人才培养渠道</div>") == 1
    assert "1.推进落实职教高考改革</div>" not in out            # its text opens with it
    assert out.count("（五）构建五个“一体化”办学格局</div>") == 1  # text does not: shown
    assert "二（五）（续）" in out
    assert "共 3 个条款" in out                                # parts of one clause count once
    assert out.count("kb-focus") == 1
    assert "二（二）2" in re.search(r'kb-focus">(.*?)</div></div>', out)[1]
    assert "选择一份文档" in R.document_html(None, [])


def test_document_html_law_articles_are_not_numbered_twice():
    law = Document(doc_id="law", title="中华人民共和国职业教育法", source="", sha256="")
    parts = [Clause(doc_id="law", clause_id="题注", path=["中华人民共和国职业教育法"], text="1996年5月15日通过"),
             Clause(doc_id="law", clause_id="第一章第一条", path=["第一章 总则", "第一条"], text="第一条 为了……")]
    out = R.document_html(law, parts)
    assert "第一章 总则</div>" in out
    assert out.count("第一条") == 1 and "第一章第一条" not in out
    assert out.count("中华人民共和国职业教育法") == 1            # the title, not again as a heading
