"""The web app in a real browser (Debian's chromium through Playwright).

A knowledge base is built from corpus/ in a temporary data dir, the app is served on a free
loopback port, and the tests drive it like a person would. A screenshot of every tab at
1280×800 goes to tests/artifacts/ (git-ignored) for a human to look at.
"""
from __future__ import annotations

import dataclasses
import re
import socket
import time
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from app.web import start  # noqa: E402
from kb.api import KnowledgeBase  # noqa: E402
from kb.config import REPO_ROOT, Settings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 60_000
expect.set_options(timeout=30_000)   # the first answer may wait for the models

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium: `make browser`")

ADMIN_PASSWORD = "s3cret-测试"

NEW_DOC = """# 测试县职业教育补助实施细则

## 一、补助标准

测试县职业教育补助标准为每生每年1234元，由测试县教育局按学期发放。

## 二、工作要求

测试县各职业学校要按时报送受助学生名单。
"""

XSS_DOC = """安全测试文件<script>window.__xss=1</script>

一、脚本测试条款
防火墙演练制度规定：<script>window.__xss=1</script>不得执行，<img src=x onerror="window.__xss=2">只能显示为文字。

二、其他事项
防火墙演练每季度开展一次。
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def knowledge_base(tmp_path_factory):
    data = tmp_path_factory.mktemp("kb-web-data")
    kb = KnowledgeBase.open(data)
    kb.ingest([REPO_ROOT / "corpus"])
    return kb


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


def _open_page(browser, url):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
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
    pg.js_errors, pg.dialogs, pg.outside = errors, dialogs, outside   # for the tests to inspect
    return ctx, pg


@pytest.fixture
def page(browser, app_url):
    ctx, pg = _open_page(browser, app_url)
    yield pg
    ctx.close()


@pytest.fixture
def guarded_page(browser, guarded_url):
    ctx, pg = _open_page(browser, guarded_url)
    yield pg
    ctx.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    time.sleep(0.4)   # let transitions settle
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).first.click()


def ask(page: Page, question: str) -> str:
    """Ask in the 问答 tab; returns the text of the new answer."""
    open_tab(page, "问答")
    bots = page.locator('#kb-chat [data-testid="bot"]')
    before = bots.count()
    page.fill("#kb-question textarea", question)
    page.click("#kb-ask")
    expect(bots).to_have_count(before + 1)
    return bots.nth(before).inner_text()


def upload(page: Page, path: Path) -> str:
    open_tab(page, "文档库")
    page.locator("#kb-upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#kb-upload")).to_contain_text(path.stem)   # shown as "stem .ext"
    page.click("#kb-import")
    msg = page.locator("#kb-upload-msg .kb-notice")
    expect(msg).to_be_visible()
    return msg.inner_text()


# -- tests ---------------------------------------------------------------------------

def test_ask_shows_answer_markers_and_evidence(page):
    shot(page, "qa_empty")
    answer = ask(page, "职教高考改革由哪些单位负责？")
    assert "州教育体育局" in answer
    assert "[1]" in answer
    evidence = page.locator("#kb-evidence")
    expect(evidence.locator(".kb-cite").first).to_contain_text("二（二）1")
    quote = evidence.locator(".kb-quote").first
    assert len(quote.inner_text().strip()) > 10
    # The evidence starts at the clause it cites; its section context is shown beside it.
    context = page.locator("#kb-context")
    expect(context.locator(".kb-cited")).to_contain_text("二（二）1")
    shot(page, "qa")
    assert not page.js_errors
    assert not page.outside, f"requests left the machine: {page.outside}"


def test_example_question_on_empty_chat(page):
    bots = page.locator('#kb-chat [data-testid="bot"]')
    page.locator("#kb-chat").get_by_text("这份方案的文号是什么？").click()
    expect(bots).to_have_count(1)
    expect(bots.first).to_contain_text("楚政办通〔2024〕30号")


def test_abstention_is_plain(page):
    answer = ask(page, "高考一本分数线是多少？")
    assert "文档未涉及" in answer, answer
    expect(page.locator("#kb-evidence .kb-cite")).to_have_count(0)
    shot(page, "qa_abstain")


def test_follow_up_and_bad_input(page):
    ask(page, "职教高考改革由哪些单位负责？")
    follow = ask(page, "州财政局负责哪些任务？")
    assert follow.strip()
    # An oversized question is refused with a message, never a traceback.
    bad = ask(page, "职" * 5000)
    assert "Traceback" not in bad and "Error" not in bad
    assert bad.strip().startswith("【无法回答】"), bad
    assert "500" in bad   # the limit, from kb's InputError message


def test_citation_click_shows_section_context(page):
    ask(page, "州财政局负责哪些任务？")
    cards = page.locator("#kb-evidence .kb-cite")
    if cards.count() < 3:
        pytest.skip("the answer has fewer than three citations")
    expect(cards.first).to_have_class(re.compile("kb-selected"))
    # Clicking a card shows that clause in its section, emphasised, and marks the card.
    for i in (2, 1):
        cards.nth(i).click()
        expect(page.locator("#kb-context .kb-cited .kb-n").first).to_have_text(f"[{i + 1}]")
        expect(cards.nth(i)).to_have_class(re.compile("kb-selected"))
        expect(page.locator("#kb-context .kb-cited").first).to_be_in_viewport()
    # The cards work from the keyboard too.
    cards.first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#kb-context .kb-cited .kb-n").first).to_have_text("[1]")


def test_unit_tasks_by_name(page):
    open_tab(page, "责任单位")
    box = page.locator("#kb-unit input")
    box.fill("州财政局")
    box.press("Enter")
    page.click("#kb-unit-btn")
    table = page.locator("#kb-unit-tasks")
    expect(table).to_contain_text("二（一）1")
    expect(table).to_contain_text("三（二）")
    expect(page.locator("#kb-unit-msg")).to_contain_text("州财政局")
    # A task's full list of units and its text.
    panel = page.locator("#kb-task-units")
    expect(panel.locator(".kb-chip").first).to_be_visible()
    expect(panel).to_contain_text("州财政局")
    # Another row: its units replace the first task's.
    page.locator("#kb-unit-tasks").get_by_text("落实经费保障").filter(visible=True).first.click()
    expect(panel).to_contain_text("三（二）")
    expect(panel).to_contain_text("生均拨款")
    shot(page, "units")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载任务清单 CSV").click()
    csv = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert "三（二）" in csv and "生均拨款" in csv


def test_unit_alias_and_unknown_unit(page):
    open_tab(page, "责任单位")
    box = page.locator("#kb-unit input")
    box.fill("州教体局")
    box.press("Enter")
    page.click("#kb-unit-btn")
    expect(page.locator("#kb-unit-msg")).to_contain_text("州教育体育局")
    expect(page.locator("#kb-unit-tasks")).to_contain_text("二（二）1")
    box.fill("不存在的单位")
    box.press("Enter")
    page.click("#kb-unit-btn")
    expect(page.locator("#kb-unit-msg .kb-error")).to_contain_text("不存在的单位")
    expect(page.locator("#kb-unit-msg")).not_to_contain_text("Traceback")


def test_unit_matrix_and_downloads(page):
    open_tab(page, "责任单位")
    page.get_by_role("tab", name="任务 × 单位矩阵").click()
    matrix = page.locator("#kb-matrix")
    expect(matrix).to_contain_text("州教育体育局")
    expect(matrix).to_contain_text("✓")
    shot(page, "units_matrix")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 CSV").first.click()
    csv = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert "州财政局" in csv and "✓" in csv
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 Excel").first.click()
    assert Path(dl.value.path()).read_bytes()[:2] == b"PK"   # an xlsx is a zip


def test_targets_tab_filters(page):
    open_tab(page, "目标指标")
    table = page.locator("#kb-targets")
    expect(table).to_contain_text("10万")
    page.fill("#kb-target-filter textarea", "60%")
    page.keyboard.press("Enter")
    expect(table).to_contain_text("60%")
    expect(table).not_to_contain_text("10万")
    page.fill("#kb-target-filter textarea", "")
    page.keyboard.press("Enter")
    expect(table).to_contain_text("10万")
    shot(page, "targets")


def test_library_and_retrieval_tabs(page):
    open_tab(page, "文档库")
    expect(page.locator("#kb-docs")).to_contain_text("楚政办通〔2024〕30号")
    # A row opens the document as the knowledge base holds it.
    page.locator("#kb-docs").get_by_text("楚政办通〔2024〕30号").filter(visible=True).first.click()
    view = page.locator("#kb-docview")
    expect(view).to_contain_text("二（二）1")
    expect(view).to_contain_text("推进落实职教高考改革")
    expect(page.locator("#kb-missing")).to_contain_text("云政办发〔2024〕22号")
    shot(page, "library")
    open_tab(page, "检索测试")
    page.fill("#kb-retrieve-q textarea", "职业技能培训")
    page.keyboard.press("Enter")
    table = page.locator("#kb-retrieve")
    expect(table).to_contain_text("二（一）3")
    shot(page, "retrieve")


def test_upload_then_ask(page, tmp_path):
    doc = tmp_path / "测试县职业教育补助实施细则.md"
    doc.write_text(NEW_DOC, encoding="utf-8")
    msg = upload(page, doc)
    assert "已导入" in msg, msg
    expect(page.locator("#kb-docs")).to_contain_text("测试县")
    shot(page, "library_uploaded")
    answer = ask(page, "测试县职业教育补助标准是多少？")
    assert "1234" in answer, answer
    evidence = page.locator("#kb-evidence")
    expect(evidence.locator(".kb-cite").first).to_contain_text("测试县")
    expect(evidence).to_contain_text("1234")


def test_rejected_upload_is_explained(page, tmp_path):
    bad = tmp_path / "坏文件.pdf"
    bad.write_bytes(b"this is not a pdf at all")
    msg = upload(page, bad)
    assert "已导入" not in msg
    assert "Traceback" not in msg
    expect(page.locator("#kb-upload-msg .kb-error")).to_be_visible()


def test_hostile_document_is_shown_not_run(page, tmp_path):
    doc = tmp_path / "安全测试文件.txt"
    doc.write_text(XSS_DOC, encoding="utf-8")
    msg = upload(page, doc)
    assert "已导入" in msg, msg
    expect(page.locator("#kb-docs")).to_contain_text("安全测试文件")
    page.locator("#kb-remove-pick input").click()
    option = page.get_by_role("option", name=re.compile("安全测试文件")).first
    expect(option).to_contain_text("<script>")
    option.click()
    expect(page.locator("#kb-docview")).to_contain_text('<img src=x onerror="window.__xss=2">')
    shot(page, "xss_library")

    answer = ask(page, '防火墙演练制度规定了什么？<img src=x onerror="window.__xss=3">')
    user = page.locator('#kb-chat [data-testid="user"]').last
    expect(user).to_contain_text('<img src=x onerror="window.__xss=3">')
    evidence = page.locator("#kb-evidence")
    expect(evidence).to_contain_text("<script>window.__xss=1</script>")
    expect(evidence).to_contain_text('<img src=x onerror="window.__xss=2">')
    expect(page.locator("#kb-context")).to_contain_text('<img src=x onerror="window.__xss=2">')
    assert answer
    shot(page, "xss_qa")

    open_tab(page, "检索测试")
    page.fill("#kb-retrieve-q textarea", "防火墙演练制度")
    page.keyboard.press("Enter")
    expect(page.locator("#kb-retrieve")).to_contain_text("window.__xss=2")
    shot(page, "xss_retrieve")

    assert page.evaluate("window.__xss") is None
    assert page.locator("#kb-evidence script, #kb-evidence img, #kb-context img").count() == 0
    assert not page.dialogs
    assert not [e for e in page.js_errors if "__xss" in e]


def test_remove_document(page, tmp_path):
    doc = tmp_path / "待删除的测试文件.md"
    doc.write_text("# 待删除的测试文件\n\n## 一、内容\n\n这份文件只用于测试删除功能。\n", encoding="utf-8")
    assert "已导入" in upload(page, doc)
    docs = page.locator("#kb-docs")
    expect(docs).to_contain_text("待删除的测试文件")
    pick = page.locator("#kb-remove-pick input")
    pick.click()
    page.get_by_role("option", name=re.compile("待删除的测试文件")).first.click()
    # Cancelling the confirmation keeps the document ...
    page.get_by_role("button", name="删除", exact=True).click()
    expect(page.locator("#kb-remove-msg")).to_contain_text("已取消")
    assert page.dialogs and "删除" in page.dialogs[-1]
    expect(docs).to_contain_text("待删除的测试文件")
    # ... accepting it removes the document.
    pick.click()
    page.get_by_role("option", name=re.compile("待删除的测试文件")).first.click()
    page.accept_confirm = True
    page.get_by_role("button", name="删除", exact=True).click()
    expect(page.locator("#kb-remove-msg")).to_contain_text("已删除")
    expect(docs).not_to_contain_text("待删除的测试文件")


def test_writes_need_the_admin_password(guarded_page, tmp_path):
    page = guarded_page
    doc = tmp_path / "口令测试文件.md"
    doc.write_text("# 口令测试文件\n\n## 一、内容\n\n口令测试。\n", encoding="utf-8")
    open_tab(page, "文档库")
    password = page.locator("#kb-password input")
    expect(password).to_have_attribute("type", "password")
    # No password, or a wrong one: the file is not even uploaded, and nothing imported.
    password.fill("wrong")
    password.press("Enter")
    page.locator("#kb-upload input[type=file]").set_input_files(str(doc))
    expect(page.get_by_text("上传文件需要管理员口令").first).to_be_visible()
    shot(page, "upload_needs_password")
    page.click("#kb-import")
    msg = page.locator("#kb-upload-msg .kb-notice")
    expect(msg).to_contain_text("口令不正确")
    assert "wrong" not in msg.inner_text() and ADMIN_PASSWORD not in msg.inner_text()
    expect(page.locator("#kb-docs")).not_to_contain_text("口令测试文件")
    # The right password (entered, then the file picked): uploaded and imported.
    password.fill(ADMIN_PASSWORD)
    password.press("Enter")
    page.locator("#kb-upload input[type=file]").set_input_files(str(doc))
    expect(page.locator("#kb-upload")).to_contain_text(doc.stem)
    page.click("#kb-import")
    expect(page.locator("#kb-upload-msg")).to_contain_text("已导入")
    expect(page.locator("#kb-docs")).to_contain_text("口令测试文件")
