"""The web app in a real browser (Debian's chromium through Playwright), at 1280×800 and 390×844.

A knowledge base is built from corpus/ and the two versions of 职业教育法 (../shared/related) in a
temporary data dir, the app is served on a free loopback port, and every test drives it like a
person would, once at desktop size and once at phone size. Screenshots go to
$KB_SCREENSHOT_DIR, default <temp dir>/kb-web-screenshots, for a person to look at.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from app.cli import main as cli  # noqa: E402
from app.web import start  # noqa: E402
from conftest import RELATED  # noqa: E402
from kb.api import KnowledgeBase  # noqa: E402
from kb.config import REPO_ROOT, Settings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("KB_SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "kb-web-screenshots")
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
TAG = {"desktop": "桌面", "phone": "手机"}     # in names of uploaded test files: every word is Chinese
LAWS = ["职业教育法(1996-05-15).md", "职业教育法(2022-04-20).md"]
TIMEOUT_MS = 60_000
expect.set_options(timeout=30_000)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium: `make browser`")

ADMIN_PASSWORD = "s3cret-测试"

NEW_DOC = """# 测试县职业教育补助实施细则

## 一、补助标准

测试县职业教育补助标准为每生每年1234元，由测试县教育局按学期发放。

## 二、工作要求

测试县各职业学校要按时报送受助学生名单。
"""

NOTICE = """楚雄州教育体育局关于开展职业教育活动周的通知
楚教体通〔2025〕99号
各县市教育体育局，州属各职业院校：
为展示职业教育改革发展成果，现将有关事项通知如下。
一、活动安排
活动周期间各校开放实训基地。
二、工作要求
各县市于2025年5月底前报送活动总结。
楚雄州教育体育局
2025年4月10日
"""

XSS_DOC = """安全测试文件<script>window.__xss=1</script>

一、脚本测试条款
防火墙演练制度规定：<script>window.__xss=1</script>不得执行，<img src=x onerror="window.__xss=2">只能显示为文字。

二、其他事项
防火墙演练每季度开展一次。
"""

# Visible English on the page (text, and the labels screen readers read), file-type names aside.
ENGLISH_JS = """() => {
  const allowed = /^(CSV|Excel|JSONL|Esc|ID|txt|md|html?|docx|pdf|xlsx)$/i;
  const words = (s) => (s.match(/[A-Za-z]{3,}/g) || []).filter((w) => !allowed.test(w));
  const shown = (el) => el && el.offsetParent !== null;
  const found = [];
  const it = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = it.nextNode(); n; n = it.nextNode()) {
    const el = n.parentElement;
    // document text (tables, evidence, the chat's answers) is data, not the page's own words
    if (!shown(el) || el.closest('script, style, .kb-evidence, .kb-docview, #kb-chat .message-content, table, [role=grid]')) continue;
    if (words(n.nodeValue).length) found.push(n.nodeValue.trim());
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder]')) {
    if (!shown(el)) continue;
    for (const a of ['title', 'aria-label', 'placeholder']) {
      const v = el.getAttribute(a);
      if (v && words(v.replace(/<[^>]*>/g, '')).length) found.push(a + '=' + v.slice(0, 80));
    }
  }
  return found;
}"""

# Header cells of the visible tables narrower than 4 characters of their own font.
NARROW_COLUMNS_JS = """() => [...document.querySelectorAll('.kb-table th')]
  .filter((th) => th.offsetParent !== null)
  .filter((th) => th.getBoundingClientRect().width < 4 * parseFloat(getComputedStyle(th).fontSize))
  .map((th) => th.textContent.trim())"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PacedKB:
    """The knowledge base with `delay` seconds added to every answer: lets a test see the
    正在检索… state that a fast answer replaces too quickly to look at."""

    def __init__(self, kb: KnowledgeBase):
        self._kb = kb
        self.delay = 0.0

    def __getattr__(self, name):
        return getattr(self._kb, name)

    def ask(self, *args, **kwargs):
        time.sleep(self.delay)
        return self._kb.ask(*args, **kwargs)


@pytest.fixture(scope="module")
def knowledge_base(tmp_path_factory):
    data = tmp_path_factory.mktemp("kb-web-data")
    kb = KnowledgeBase.open(data)
    kb.ingest([REPO_ROOT / "corpus"] + [RELATED / name for name in LAWS])
    return PacedKB(kb)


def _serve(kb, **overrides):
    """Start the app as `kb serve` does, in a thread on a free loopback port."""
    settings = dataclasses.replace(Settings.from_env(), data_dir=kb.settings.data_dir,
                                   host="127.0.0.1", port=_free_port(), **overrides)
    return start(kb, settings)


@pytest.fixture(scope="module")
def app_url(knowledge_base):
    running = _serve(knowledge_base, admin_password="")
    try:
        yield running.url
    finally:
        running.close()


@pytest.fixture(scope="module")
def guarded_url(knowledge_base):
    """The same knowledge base behind an admin password."""
    running = _serve(knowledge_base, admin_password=ADMIN_PASSWORD)
    try:
        yield running.url
    finally:
        running.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


def _open_page(browser, url, viewport, locale="zh-CN"):
    ctx = browser.new_context(viewport=VIEWPORTS[viewport], locale=locale, accept_downloads=True,
                              permissions=["clipboard-read", "clipboard-write"])
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    dialogs: list[str] = []
    outside: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("request", lambda r: None if r.url.startswith((url.rstrip("/"), "data:", "blob:"))
          else outside.append(r.url))

    def on_dialog(d):
        dialogs.append(d.message)
        if d.type == "confirm" and getattr(pg, "accept_confirm", False):
            d.accept()
        else:
            d.dismiss()
    pg.on("dialog", on_dialog)
    pg.goto(url)
    pg.wait_for_selector("#kb-question textarea")
    pg.js_errors, pg.dialogs, pg.outside, pg.viewport_name = errors, dialogs, outside, viewport
    return ctx, pg


@pytest.fixture
def page(browser, app_url, viewport):
    ctx, pg = _open_page(browser, app_url, viewport)
    yield pg
    ctx.close()


@pytest.fixture
def guarded_page(browser, guarded_url, viewport):
    ctx, pg = _open_page(browser, guarded_url, viewport)
    yield pg
    ctx.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    time.sleep(0.4)   # let transitions settle
    page.screenshot(path=str(SHOTS / f"{name}_{page.viewport_name}.png"))


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).first.click()


def bots(page: Page):
    return page.locator('#kb-chat [data-testid="bot"]')


def ask(page: Page, question: str):
    """Ask in the 问答 tab; returns the locator of the new answer, once it is there."""
    open_tab(page, "问答")
    before = bots(page).count()
    page.fill("#kb-question textarea", question)
    page.click("#kb-ask")
    answer = bots(page).nth(before)
    expect(bots(page)).to_have_count(before + 1)
    expect(answer).not_to_contain_text("正在检索")
    return answer


def choose_file(page: Page, path: Path) -> None:
    """Put a file in the upload box, removing the one chosen before."""
    box = page.locator("#kb-upload")
    empty = box.locator("input[type=file]")
    clear = box.get_by_role("button", name=re.compile("清除|移除"))
    expect(empty.or_(clear).first).to_be_attached()
    if not empty.count():
        clear.first.click()
    empty.set_input_files(str(path))


def upload(page: Page, path: Path) -> str:
    open_tab(page, "文档库")
    choose_file(page, path)
    expect(page.locator("#kb-upload")).to_contain_text(path.stem)   # shown as "stem .ext"
    page.click("#kb-import")
    msg = page.locator("#kb-upload-msg .kb-notice")
    expect(msg).to_be_visible()
    return msg.inner_text()


def table_row(page: Page, table: str, text: str):
    """The visible row of a table holding `text`; the table is scrolled to its end first (rows
    are rendered only when in view, and new documents come last)."""
    page.locator(f"#{table} [role=grid] *").evaluate_all(
        "els => els.filter(e => e.scrollHeight > e.clientHeight + 2).forEach(e => e.scrollTop = e.scrollHeight)")
    return page.locator(f"#{table} [role=row]:visible", has_text=text)


def unit_tasks(page: Page, unit: str) -> None:
    open_tab(page, "责任单位")
    box = page.locator("#kb-unit input")
    box.fill(unit)
    box.press("Enter")
    page.click("#kb-unit-btn")


# -- 问答: answers, evidence, citations ------------------------------------------------------

def test_question_is_echoed_at_once_then_answered(page, knowledge_base):
    shot(page, "qa_empty")
    knowledge_base.delay = 6.0      # the question and 正在检索… are seen before the answer comes
    try:
        page.fill("#kb-question textarea", "职教高考改革由哪些单位负责？")
        page.click("#kb-ask")
        expect(page.locator('#kb-chat [data-testid="user"]').last).to_contain_text("职教高考改革由哪些单位负责？")
        expect(bots(page).last).to_contain_text("正在检索…")
        expect(page.locator("#kb-question textarea")).to_have_value("")
        shot(page, "qa_pending")
    finally:
        knowledge_base.delay = 0.0
    expect(bots(page).last).to_contain_text("州教育体育局")
    answer = bots(page).last.inner_text()
    assert "[1]" in answer and "正在检索" not in answer
    evidence = page.locator("#kb-evidence")
    expect(evidence.locator(".kb-cite").first).to_contain_text("二（二）1")
    expect(evidence.locator(".kb-selected .kb-quote")).to_contain_text("2025年起")
    shot(page, "qa")
    assert not page.js_errors
    assert not page.outside, f"requests left the machine: {page.outside}"


def test_an_old_answer_keeps_its_own_citations(page):
    """Ask two questions, click [1] of the first answer: the first answer's clause is shown."""
    first = ask(page, "职教高考改革由哪些单位负责？")
    ask(page, "州财政局负责哪些任务？")
    evidence = page.locator("#kb-evidence")
    expect(evidence.locator(".kb-ev-head")).to_contain_text("第 2 问")
    expect(evidence.locator(".kb-cite").first).to_contain_text("二（一）1")
    first.locator("a.kb-marker", has_text="[1]").click()
    expect(evidence.locator(".kb-ev-head")).to_contain_text("第 1 问")
    expect(evidence.locator(".kb-selected")).to_contain_text("二（二）1")
    expect(evidence.locator(".kb-selected")).to_contain_text("推进落实职教高考改革")
    expect(evidence.locator(".kb-selected")).to_be_in_viewport()      # on a phone: scrolled to it
    shot(page, "qa_old_answer")
    # The marks are links: the hover text is the quote, and the keyboard opens them.
    mark = bots(page).nth(1).locator("a.kb-marker", has_text="[3]")
    assert "二（五）" in mark.get_attribute("title") and "一体化" in mark.get_attribute("title")
    mark.focus()
    page.keyboard.press("Enter")
    expect(evidence.locator(".kb-ev-head")).to_contain_text("第 2 问")
    expect(evidence.locator(".kb-selected .kb-n")).to_have_text("[3]")
    # A card opens from the keyboard too.
    evidence.locator(".kb-cite").first.focus()
    page.keyboard.press("Enter")
    expect(evidence.locator(".kb-selected .kb-n")).to_have_text("[1]")


def test_citation_card_is_clean_and_opens_the_whole_document(page):
    ask(page, "职业教育法规定的罚款是多少？")
    card = page.locator("#kb-evidence .kb-selected")
    expect(card.locator("table.kb-facts")).to_contain_text("修订日期")
    head = card.locator(".kb-loc").inner_text()
    assert head.count("条") == 1 and re.search(r"第.+条", head), head      # no "第X章第Y条 第Y条 第X章"
    assert " | " not in card.inner_text()
    assert page.locator("#kb-evidence .kb-evidence").evaluate("e => getComputedStyle(e).overflowY") == "visible"
    shot(page, "citation_card")
    cited = head.split()[0]
    card.locator(".kb-open-doc").click()
    modal = page.locator("#kb-doc-modal")
    expect(modal).to_be_visible()
    focus = modal.locator(".kb-focus")
    expect(focus).to_contain_text(cited)
    expect(focus).to_be_in_viewport()
    expect(modal.locator(".kb-docview")).to_contain_text("第一条")      # the whole document
    shot(page, "document_at_clause")
    page.keyboard.press("Escape")
    expect(modal).to_be_hidden()


def test_copy_gives_the_answer_with_its_sources(page):
    answer = ask(page, "职教高考改革由哪些单位负责？")
    answer.locator("a.kb-copy").click()
    expect(answer.locator("a.kb-copy")).to_have_text("已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    lines = copied.splitlines()
    assert "州教育体育局" in lines[0] and "[1]" in lines[0]
    assert "出处：" in lines
    assert any(ln.startswith("[1] 《楚雄州职业教育提质增效工作实施方案》（楚政办通〔2024〕30号） 二（二）1") for ln in lines)
    assert any(ln.startswith("原文：1.推进落实职教高考改革") for ln in lines)
    assert "<" not in copied


def test_refusal_suggests_what_to_ask(page):
    answer = ask(page, "州审计厅负责什么？")
    expect(answer).to_contain_text("文档未涉及")
    tip = answer.locator("a.kb-suggest", has_text="州审计局")
    expect(tip).to_be_visible()
    shot(page, "qa_refusal")
    tip.click()
    expect(bots(page)).to_have_count(2)
    expect(bots(page).last).to_contain_text("改革绩效分配制度")


def test_empty_and_oversized_questions(page):
    ask(page, "职教高考改革由哪些单位负责？")
    page.fill("#kb-question textarea", "   ")
    page.click("#kb-ask")
    expect(page.locator("#kb-ask-msg .kb-error")).to_contain_text("请先输入问题")
    assert bots(page).count() == 1                # not added to the previous answer's bubble
    bad = ask(page, "职" * 5000).inner_text()
    assert bad.strip().startswith("【无法回答】") and "500" in bad and "Traceback" not in bad
    expect(page.locator("#kb-ask-msg")).to_be_empty()


# -- conversations and feedback -----------------------------------------------------------------

def test_conversation_survives_a_reload(page):
    ask(page, "职教高考改革由哪些单位负责？")
    ask(page, "州财政局负责哪些任务？")
    page.reload()
    page.wait_for_selector("#kb-question textarea")
    expect(bots(page)).to_have_count(2)
    expect(bots(page).first).to_contain_text("州教育体育局")
    bots(page).first.locator("a.kb-marker").first.click()           # its citations came back too
    expect(page.locator("#kb-evidence .kb-selected")).to_contain_text("二（二）1")
    shot(page, "qa_reloaded")
    # A new conversation; the first is in the list and opens again; then it is deleted.
    page.click("#kb-new")
    expect(bots(page)).to_have_count(0)
    ask(page, "每年开展多少人次职业技能培训？")
    history = page.locator("#kb-history")
    history.locator("input").click()
    page.get_by_role("option", name=re.compile("职教高考改革由哪些单位负责")).click()
    expect(bots(page)).to_have_count(2)
    expect(bots(page).first).to_contain_text("州教育体育局")
    page.click("#kb-delete")
    expect(bots(page)).to_have_count(0)
    history.locator("input").click()
    expect(page.get_by_role("option", name=re.compile("职业技能培训"))).to_be_visible()
    expect(page.get_by_role("option", name=re.compile("职教高考改革"))).to_have_count(0)


def test_conversations_are_kept_per_browser(browser, app_url, viewport):
    ctx, mine = _open_page(browser, app_url, viewport)
    ask(mine, "职教高考改革由哪些单位负责？")
    other_ctx, theirs = _open_page(browser, app_url, viewport)       # another person's browser
    expect(bots(theirs)).to_have_count(0)
    theirs.locator("#kb-history input").click()
    expect(theirs.get_by_role("option", name=re.compile("职教高考改革"))).to_have_count(0)
    other_ctx.close()
    ctx.close()


def test_thumbs_down_is_stored_listed_and_exported(page, knowledge_base, capsys):
    answer = ask(page, "州审计局要做什么？")
    answer.locator("a.kb-down").click()
    expect(page.locator("#kb-rate-msg")).to_contain_text("已记录 👎")
    expect(answer.locator("a.kb-down.kb-on")).to_be_visible()
    comment = f"缺少期限说明（{TAG[page.viewport_name]}）"
    page.fill("#kb-comment-text textarea", comment)
    page.click("#kb-comment-send")
    expect(page.locator("#kb-rate-msg")).to_contain_text("说明已记录")
    shot(page, "feedback")
    assert cli(["--data-dir", str(knowledge_base.settings.data_dir), "feedback", "--export"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    mine = [x for x in lines if x["feedback"]["comment"] == comment]
    assert len(mine) == 1
    assert mine[0]["question"] == "州审计局要做什么？" and mine[0]["feedback"]["rating"] == "down"
    assert mine[0]["doc_id"] == "楚雄州职业教育提质增效工作实施方案" and "二（七）1（2）" in mine[0]["clause_ids"]
    # The admin view lists it.
    open_tab(page, "管理")
    open_tab(page, "用户反馈")
    expect(page.locator("#kb-feedback")).to_contain_text(comment)
    shot(page, "admin_feedback")


# -- 责任单位, 目标指标: deadlines, filters, downloads -----------------------------------------

def test_unit_tasks_show_deadlines_and_download(page):
    unit_tasks(page, "州教体局")
    table = page.locator("#kb-unit-tasks")
    expect(page.locator("#kb-unit-msg")).to_contain_text("州教育体育局")
    expect(table).to_contain_text("期限")
    expect(table).to_contain_text("2027年（利用3年时间）")
    expect(table).to_contain_text("2025年起")
    expect(table).to_contain_text("未规定")
    panel = page.locator("#kb-task-units")
    expect(panel.locator(".kb-due")).to_contain_text("期限")
    page.locator("#kb-unit-tasks").get_by_text("落实经费保障").filter(visible=True).first.click()
    expect(panel).to_contain_text("生均拨款")
    shot(page, "units")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载任务清单 CSV").click()
    csv = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert "期限" in csv.splitlines()[0] and "2025年起" in csv and "生均拨款" in csv
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载任务清单 Excel").click()
    import io

    import openpyxl
    ws = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active
    header = [c.value for c in ws[1]]
    assert "期限" in header and ws.freeze_panes == "A2"
    assert ws.column_dimensions["G"].width >= 30           # the clause text column is wide


def test_unit_alias_and_unknown_unit(page):
    unit_tasks(page, "不存在的单位")
    expect(page.locator("#kb-unit-msg .kb-error")).to_contain_text("不存在的单位")
    expect(page.locator("#kb-unit-msg")).not_to_contain_text("Traceback")


def test_matrix_has_deadlines_and_downloads(page):
    open_tab(page, "责任单位")
    page.get_by_role("tab", name="任务 × 单位矩阵").click()
    matrix = page.locator("#kb-matrix")
    expect(matrix).to_contain_text("州教育体育局")
    expect(matrix).to_contain_text("✓")
    expect(matrix).to_contain_text("到2026年")
    shot(page, "units_matrix")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 CSV").first.click()
    csv = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert csv.splitlines()[0].startswith("条款,任务,期限,") and "✓" in csv
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 Excel").first.click()
    assert Path(dl.value.path()).read_bytes()[:2] == b"PK"   # an xlsx is a zip


def test_targets_have_units_and_filters(page):
    open_tab(page, "目标指标")
    table = page.locator("#kb-targets")
    expect(table).to_contain_text("10万")
    expect(table).to_contain_text("责任单位")
    expect(table).not_to_contain_text("罚款")                     # numbers in laws are apart
    page.locator("#kb-target-year input").click()
    page.get_by_role("option", name="2026年").click()
    expect(table).to_contain_text("到2026年")
    expect(table).not_to_contain_text("10万")
    expect(page.locator("#kb-target-note")).to_contain_text("2026年")
    page.locator("#kb-target-year input").click()
    page.get_by_role("option", name="（全部）").click()
    unit = page.locator("#kb-target-unit input")
    unit.fill("州人社局")
    unit.press("Enter")
    expect(page.locator("#kb-target-note")).to_contain_text("州人力资源和社会保障局")
    expect(table).to_contain_text("10万")
    shot(page, "targets")
    page.get_by_text("法规中的数值规定").click()
    expect(table).to_contain_text("罚款")
    expect(page.locator("#kb-target-note")).not_to_contain_text("州人力资源和社会保障局")


# -- 文档库 --------------------------------------------------------------------------------

def test_library_lists_versions_and_opens_a_document(page):
    open_tab(page, "文档库")
    docs = page.locator("#kb-docs")
    expect(docs).to_contain_text("楚政办通〔2024〕30号")
    expect(docs).to_contain_text("1996-05-15 通过（已被2022年版取代）")
    expect(docs).to_contain_text("2022-04-20 修订（现行）")
    expect(docs).to_contain_text("全国人民代表大会常务委员会")
    expect(page.locator("#kb-missing")).to_contain_text("云政办发〔2024〕22号")
    shot(page, "library")
    docs.get_by_text("楚政办通〔2024〕30号").filter(visible=True).first.click()
    modal = page.locator("#kb-doc-modal")
    expect(modal).to_contain_text("推进落实职教高考改革")
    expect(modal.locator("table.kb-facts")).to_contain_text("楚雄州人民政府办公室")
    page.click("#kb-doc-close")
    expect(modal).to_be_hidden()


def test_an_uploaded_notice_shows_its_number(page, tmp_path):
    doc = tmp_path / f"活动周通知{TAG[page.viewport_name]}.txt"
    doc.write_text(NOTICE.replace("活动周", f"活动周{TAG[page.viewport_name]}"), encoding="utf-8")
    assert "已导入" in upload(page, doc)
    row = table_row(page, "kb-docs", f"活动周{TAG[page.viewport_name]}")
    expect(row).to_contain_text("楚教体通〔2025〕99号")
    expect(row).to_contain_text("楚雄州教育体育局")
    expect(row).to_contain_text("2025-04-10")


def test_upload_then_ask(page, tmp_path):
    doc = tmp_path / f"测试县职业教育补助实施细则{TAG[page.viewport_name]}.md"
    doc.write_text(NEW_DOC, encoding="utf-8")
    msg = upload(page, doc)
    assert "已导入" in msg or "相同" in msg, msg
    expect(page.locator("#kb-docs")).to_contain_text("测试县")
    shot(page, "library_uploaded")
    answer = ask(page, "测试县职业教育补助标准是多少？")
    expect(answer).to_contain_text("1234")
    expect(page.locator("#kb-evidence .kb-cite").first).to_contain_text("测试县")


def test_rejected_uploads_are_explained_in_chinese(page, tmp_path):
    bad = tmp_path / "坏文件.pdf"
    bad.write_bytes(b"this is not a pdf at all")
    msg = upload(page, bad)
    assert "已导入" not in msg and "Traceback" not in msg
    expect(page.locator("#kb-upload-msg .kb-error")).to_be_visible()
    wrong = tmp_path / "程序.exe"
    wrong.write_bytes(b"MZ")
    choose_file(page, wrong)
    toast = page.get_by_text(re.compile("不支持的文件类型"))
    expect(toast.first).to_be_visible()
    shot(page, "upload_wrong_type")
    expect(page.get_by_text(re.compile("Invalid file type"))).to_have_count(0)


def test_hostile_document_is_shown_not_run(page, tmp_path):
    doc = tmp_path / f"安全测试文件{TAG[page.viewport_name]}.txt"
    doc.write_text(XSS_DOC, encoding="utf-8")
    msg = upload(page, doc)
    assert "已导入" in msg or "相同" in msg, msg
    page.locator("#kb-docs").get_by_text("安全测试文件").filter(visible=True).first.click()
    expect(page.locator("#kb-doc-modal")).to_contain_text('<img src=x onerror="window.__xss=2">')
    page.click("#kb-doc-close")
    ask(page, '防火墙演练制度规定了什么？<img src=x onerror="window.__xss=3">')
    expect(page.locator('#kb-chat [data-testid="user"]').last).to_contain_text('<img src=x onerror="window.__xss=3">')
    evidence = page.locator("#kb-evidence")
    expect(evidence).to_contain_text('<img src=x onerror="window.__xss=2">')
    shot(page, "xss_qa")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#kb-evidence script, #kb-evidence img, #kb-doc-modal img").count() == 0
    assert not page.dialogs
    assert not [e for e in page.js_errors if "__xss" in e]


def test_remove_document(page, tmp_path):
    name = f"待删除的测试文件{TAG[page.viewport_name]}"
    doc = tmp_path / f"{name}.md"
    doc.write_text(f"# {name}\n\n## 一、内容\n\n这份文件只用于测试删除功能。\n", encoding="utf-8")
    assert "已导入" in upload(page, doc)
    docs = page.locator("#kb-docs")
    expect(docs).to_contain_text(name)
    pick = page.locator("#kb-remove-pick input")
    pick.click()
    page.get_by_role("option", name=re.compile(name)).first.click()
    # Cancelling the confirmation keeps the document ...
    page.get_by_role("button", name="删除", exact=True).last.click()
    expect(page.locator("#kb-remove-msg")).to_contain_text("已取消")
    assert page.dialogs and "删除" in page.dialogs[-1]
    expect(docs).to_contain_text(name)
    # ... accepting it removes the document.
    pick.click()
    page.get_by_role("option", name=re.compile(name)).first.click()
    page.accept_confirm = True
    page.get_by_role("button", name="删除", exact=True).last.click()
    expect(page.locator("#kb-remove-msg")).to_contain_text("已删除")
    expect(docs).not_to_contain_text(name)


# -- admin views and writes behind the password -----------------------------------------------

def test_admin_views_need_the_password(guarded_page):
    page = guarded_page
    open_tab(page, "管理")
    expect(page.locator("#kb-retrieve-q")).to_have_count(0)
    page.fill("#kb-admin-password input", "wrong")
    page.click("#kb-admin-enter")
    expect(page.locator("#kb-admin-msg .kb-error")).to_contain_text("口令不正确")
    expect(page.locator("#kb-retrieve-q")).to_have_count(0)
    page.fill("#kb-admin-password input", ADMIN_PASSWORD)
    page.click("#kb-admin-enter")
    page.fill("#kb-retrieve-q textarea", "职业技能培训")
    page.keyboard.press("Enter")
    table = page.locator("#kb-retrieve")
    expect(table).to_contain_text("二（一）3")
    for column in ("综合得分", "语义相似度", "关键词排名", "条款原文"):
        expect(table).to_contain_text(column)
    shot(page, "admin_retrieve")


def test_writes_need_the_admin_password(guarded_page, tmp_path):
    page = guarded_page
    name = f"口令测试文件{TAG[page.viewport_name]}"
    doc = tmp_path / f"{name}.md"
    doc.write_text(f"# {name}\n\n## 一、内容\n\n口令测试。\n", encoding="utf-8")
    open_tab(page, "文档库")
    password = page.locator("#kb-password input")
    expect(password).to_have_attribute("type", "password")
    # No password, or a wrong one: the file is not even uploaded, and nothing imported.
    password.fill("wrong")
    password.press("Enter")
    choose_file(page, doc)
    expect(page.get_by_text("上传文件需要管理员口令").first).to_be_visible()
    shot(page, "upload_needs_password")
    page.click("#kb-import")
    msg = page.locator("#kb-upload-msg .kb-notice")
    expect(msg).to_contain_text("口令不正确")
    assert "wrong" not in msg.inner_text() and ADMIN_PASSWORD not in msg.inner_text()
    expect(page.locator("#kb-docs")).not_to_contain_text(name)
    # The right password (entered, then the file picked): uploaded and imported.
    password.fill(ADMIN_PASSWORD)
    password.press("Enter")
    choose_file(page, doc)
    expect(page.locator("#kb-upload")).to_contain_text(doc.stem)
    page.click("#kb-import")
    expect(page.locator("#kb-upload-msg")).to_contain_text("已导入")
    expect(page.locator("#kb-docs")).to_contain_text(name)


# -- every page: Chinese, phone layout ---------------------------------------------------------

def test_every_word_is_chinese_even_in_an_english_browser(browser, app_url, viewport):
    ctx, page = _open_page(browser, app_url, viewport, locale="en-US")
    try:
        found = set(page.evaluate(ENGLISH_JS))
        ask(page, "职教高考改革由哪些单位负责？")
        found |= set(page.evaluate(ENGLISH_JS))
        for tab in ("责任单位", "目标指标", "文档库", "管理"):
            open_tab(page, tab)
            time.sleep(1.0)
            found |= set(page.evaluate(ENGLISH_JS))
        assert not found, found
        expect(page.locator("#kb-upload")).to_contain_text("拖放")
    finally:
        ctx.close()


def test_layout_words_and_tables_fit_the_screen(page):
    phone = page.viewport_name == "phone"
    ask(page, "职教高考改革由哪些单位负责？")
    # The chat has no floating label over the messages; the history row sits above it.
    assert page.locator("#kb-chat [data-testid='block-label']").count() == 0
    row = page.locator("#kb-history-row").bounding_box()
    first = page.locator('#kb-chat [data-testid="user"]').first.bounding_box()
    assert row["y"] + row["height"] <= first["y"]
    unit_tasks(page, "州教体局")
    msg = page.locator("#kb-unit-msg")
    expect(msg.get_by_text("下方" if phone else "右侧")).to_be_visible()
    expect(msg.get_by_text("右侧" if phone else "下方")).to_be_hidden()
    tables = [("责任单位", None), ("责任单位", "任务 × 单位矩阵"), ("目标指标", None), ("文档库", None)]
    for tab, sub in tables:
        open_tab(page, tab)
        if sub:
            page.get_by_role("tab", name=sub).click()
        page.wait_for_selector(".kb-table th >> visible=true")
        time.sleep(0.5)
        narrow = page.evaluate(NARROW_COLUMNS_JS)
        assert not narrow, f"{tab}/{sub}: columns narrower than 4 characters: {narrow}"
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[page.viewport_name]["width"] + 1
        shot(page, f"table_{tab}{'_' + sub if sub else ''}")
