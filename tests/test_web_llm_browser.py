"""The web app's LLM toggle in a real browser, against the scripted OpenAI-compatible server of
tests/scripted_llm.py: the toggle is offered only when KB_LLM_BASE_URL is set and is off by
default; when on, the verified text streams into the chat and ends as the LLM's answer with
clickable citations, or, when a check fails, as the extractive answer with a note — and text
that failed a check is never on the screen, not even for a moment."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402
from scripted_llm import Reply, ScriptedLLM  # noqa: E402
from test_web_browser import _open_page, _serve, bots, browser, pytestmark, shot  # noqa: E402,F401

QUESTION = "每年开展多少人次职业技能培训？"
FIRST = "从2024年起，每年开展不少于10万人次的职业技能及各类培训[1]。"
FAITHFUL = FIRST + "其中面向在校学生完成3万人次[1]。"
INVENTED = "从2024年起，每年开展不少于15万人次的职业技能及各类培训[1]。"
PIECE = 6              # characters per streamed event
PAUSE = 2.5            # seconds the faithful reply pauses after its first passage
STREAMING = "大模型正在作答"

SCRIPTS = {
    # the first passage and what follows its marker arrive, then the rest after a pause
    "faithful": lambda body: Reply(FAITHFUL, delay=PAUSE, piece=PIECE,
                                   stall_after=math.ceil((len(FIRST) + 1) / PIECE)),
    "invented-number": lambda body: Reply(INVENTED, piece=PIECE),
}

# Records whether the chat ever showed a text (a MutationObserver sees every intermediate state).
WATCH_JS = """(needle) => {
  window.kbSeen = false;
  const chat = document.getElementById('kb-chat');
  new MutationObserver(() => { if (chat.innerText.includes(needle)) window.kbSeen = true; })
    .observe(chat, {childList: true, subtree: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def llm_server():
    with ScriptedLLM(SCRIPTS) as server:
        yield server


@pytest.fixture(scope="module")
def llm_url(plan_kb, llm_server):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KB_LLM_BASE_URL", llm_server.url)
        env.setenv("KB_LLM_MODEL", "faithful")
        env.setenv("KB_LLM_TIMEOUT", "20")
        running = _serve(plan_kb, admin_password="")
        try:
            yield running.url
        finally:
            running.close()


@pytest.fixture
def page(browser, llm_url):    # noqa: F811 - `browser` is the fixture imported above
    ctx, pg = _open_page(browser, llm_url, "desktop")
    yield pg
    ctx.close()


def ask(page, question: str, polish: bool):
    toggle = page.get_by_label("用大模型润色回答")
    toggle.set_checked(polish)
    before = bots(page).count()
    page.fill("#kb-question textarea", question)
    page.click("#kb-ask")
    return bots(page).nth(before)


def finished(answer) -> None:
    expect(answer).not_to_contain_text("正在检索")
    expect(answer).not_to_contain_text(STREAMING)
    expect(answer.locator("a.kb-copy")).to_be_visible()


def test_toggle_is_offered_off_and_off_means_the_extractive_answer(page, plan_kb, llm_server):
    toggle = page.get_by_label("用大模型润色回答")
    expect(toggle).to_be_visible()
    expect(toggle).not_to_be_checked()
    asked = len(llm_server.requests)
    answer = ask(page, QUESTION, polish=False)
    finished(answer)
    expect(answer).to_contain_text(plan_kb.ask(QUESTION).answer[:30])
    expect(answer.locator(".kb-llm-note")).to_have_count(0)
    assert len(llm_server.requests) == asked
    assert not page.js_errors


def test_streamed_answer_grows_then_cites_like_any_answer(page, monkeypatch):
    monkeypatch.setenv("KB_LLM_MODEL", "faithful")
    page.evaluate(WATCH_JS, "其中面向在校学生")        # the watcher sees what is shown
    answer = ask(page, QUESTION, polish=True)
    # the first passage, verified, is on the screen while the rest is still on its way
    expect(answer).to_contain_text(STREAMING)
    expect(answer).to_contain_text("10万人次的职业技能及各类培训[1]")
    expect(answer).not_to_contain_text("3万人次")
    shot(page, "llm_streaming")
    finished(answer)
    expect(answer).to_contain_text("其中面向在校学生完成3万人次[1]")
    expect(answer.locator(".kb-llm-note")).to_contain_text("由大模型根据所引条款改写")
    evidence = page.locator("#kb-evidence")
    expect(evidence.locator(".kb-cite")).to_have_count(1)
    answer.locator("a.kb-marker", has_text="[1]").first.click()
    expect(evidence.locator(".kb-selected")).to_contain_text("二（一）3")
    expect(evidence.locator(".kb-selected .kb-quote")).to_contain_text("10万人次")
    shot(page, "llm_answer")
    assert page.evaluate("window.kbSeen")
    assert not page.js_errors and not page.outside


def test_invented_number_is_never_shown_and_the_extractive_answer_stands(page, plan_kb, monkeypatch):
    monkeypatch.setenv("KB_LLM_MODEL", "invented-number")
    page.evaluate(WATCH_JS, "15万")
    answer = ask(page, QUESTION, polish=True)
    finished(answer)
    expect(answer).to_contain_text(plan_kb.ask(QUESTION).answer[:30])
    note = answer.locator(".kb-llm-fallback")
    expect(note).to_have_text("大模型回答未通过核对，已显示原文摘录答案")
    assert "15万" in note.get_attribute("title")          # the reason, on hover
    assert not page.evaluate("window.kbSeen")
    answer.locator("a.kb-marker", has_text="[1]").first.click()
    expect(page.locator("#kb-evidence .kb-selected")).to_contain_text("二（一）3")
    shot(page, "llm_fallback")
    # the note stays with the answer when the conversation is read back
    page.reload()
    expect(bots(page).last.locator(".kb-llm-fallback")).to_be_visible()


def test_without_an_endpoint_there_is_no_toggle(browser, plan_kb, monkeypatch):    # noqa: F811
    monkeypatch.delenv("KB_LLM_BASE_URL", raising=False)
    running = _serve(plan_kb, admin_password="")
    try:
        ctx, pg = _open_page(browser, running.url, "desktop")
        expect(pg.locator("#kb-ask")).to_be_visible()
        expect(pg.get_by_label("用大模型润色回答")).to_have_count(0)
        expect(pg.locator("#kb-llm")).to_have_count(0)
        ctx.close()
    finally:
        running.close()


def test_api_clients_get_the_extractive_answer_unless_they_ask(llm_url, llm_server, plan_kb, monkeypatch):
    from gradio_client import Client
    monkeypatch.setenv("KB_LLM_MODEL", "faithful")
    client = Client(llm_url, verbose=False)

    def last_answer(*args) -> str:
        return "".join(part["text"] for part in client.predict(*args, api_name="/ask")[1][-1]["content"])
    asked = len(llm_server.requests)
    plain = last_answer(QUESTION, [])          # as eval/load.py and the warm-up call it
    assert "10万人次" in plain and "kb-llm-note" not in plain and len(llm_server.requests) == asked
    polished = last_answer(QUESTION, [], True)
    assert "其中面向在校学生完成3万人次" in polished and "由大模型根据所引条款改写" in polished
