"""The browser app: a thin Gradio layer over kb.api.KnowledgeBase.

Presentation only. Every fact on the page comes from a KnowledgeBase method; every piece
of document or user text is escaped (see app/web_render.py) before it is rendered. Tables are
built in app/web_tables.py, the conversations kept in the browser in app/conversations.py.
"""
from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pandas as pd

from app import conversations as conv_store
from app import web_render as R
from app import web_tables as T
from app.web_security import RunningServer, WebGuard, is_loopback, run_until_stopped
from kb import units as unit_db
from kb.api import IngestReport, KnowledgeBase
from kb.config import Settings
from kb.feedback import DOWN, FeedbackStore
from kb.llm import LLMConfig
from kb.schema import InputError
from kb.suggest import suggestions

log = logging.getLogger(__name__)

EXAMPLE_QUESTIONS = [
    "职教高考改革由哪些单位负责？",
    "州财政局负责哪些任务？",
    "禄丰市人民政府要做什么？",
    "每年开展多少人次职业技能培训？",
    "“3377522”指什么？",
    "这份方案的文号是什么？",
]
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".docx", ".pdf"]
INTERNAL_ERROR = "出错了：服务器内部错误，请稍后再试。详细信息已写入服务日志。"
WARM_UP_QUESTION = "职业教育提质增效的工作目标是什么？"
ASSETS = Path(__file__).parent / "assets"

# Column widths in pixels: on a phone a table scrolls sideways (first column pinned) instead of
# squeezing every column to a character or two.
TASK_WIDTHS = {True: [84, 140, 120, 160, 240, 150], False: [84, 150, 124, 170, 250]}
TARGET_WIDTHS = {True: [150, 80, 170, 80, 70, 120, 160, 260], False: [80, 180, 80, 70, 120, 170, 280]}
MATRIX_FIRST_WIDTHS = [84, 150, 120]
MATRIX_UNIT_WIDTH = 96
TARGET_GROUPS = [("方案中的目标", T.PLAN_TARGETS), ("法规中的数值规定", T.LAW_NUMBERS)]
ANY = "（全部）"
RETRIEVE_MODES = [("综合（关键词＋语义）", "hybrid"), ("语义", "dense"), ("关键词", "keyword")]
FEEDBACK_COLS = ["时间", "问题", "回答", "说明", "引用的条款", "知识库版本"]

# Clicks in the chat and in the evidence panel (the [n] marks, the cards, "查看全文"): the
# answer they belong to travels with the click, so an old answer opens its own citations.
# window.kbChatLink (app/assets/web.js) listens once per page and calls the newest `trigger`.
EVIDENCE_JS = """
window.kbChatLink('evidence', 'a.kb-marker', trigger, (mark) => {
  window.kbReveal('kb-evidence');
  return {n: Number(mark.textContent.replace(/\\D/g, ''))};
});
const answerOf = () => Number((element.querySelector('[data-a]') || {dataset: {a: -1}}).dataset.a);
const pick = (e) => {
  const open = e.target.closest('.kb-open-doc');
  const card = e.target.closest('.kb-cite[data-i]');
  if (open) trigger('click', {answer: answerOf(), card: Number(open.dataset.i), open: true});
  else if (card && !card.classList.contains('kb-selected')) trigger('click', {answer: answerOf(), card: Number(card.dataset.i)});
};
element.addEventListener('click', pick);
element.addEventListener('keydown', (e) => {
  if ((e.key === 'Enter' || e.key === ' ') && e.target.closest('.kb-cite, .kb-open-doc')) { e.preventDefault(); pick(e); }
});
"""

RATE_JS = """
window.kbChatLink('rate', 'a.kb-rate', trigger, (link) => ({rating: link.classList.contains('kb-up') ? 1 : -1}));
"""

# The whole document over the page: its focused clause in view; Escape closes it.
DOC_MODAL_JS = """
const toFocus = (tries) => {   // the modal may become visible just after its content arrives
  const focus = element.querySelector('.kb-focus');
  if (!focus) return;
  if (focus.offsetParent === null && tries > 0) return setTimeout(() => toFocus(tries - 1), 100);
  focus.scrollIntoView({block: 'center'});
};
new MutationObserver(() => toFocus(20)).observe(element, {childList: true, subtree: true});
toFocus(20);   // mounted with its content when the modal opens
window.kbOnce('doc-modal', () => document.addEventListener('keydown', (e) => {
  const modal = document.getElementById('kb-doc-modal');
  if (e.key === 'Escape' && modal && modal.getClientRects().length) document.getElementById('kb-doc-close')?.click();
}));
"""

# Deleting is for good: ask first (a cancelled confirm sends no document).
CONFIRM_REMOVE_JS = """
(doc, password) => [doc && confirm('确定从知识库中删除这份文档吗？删除后需重新上传才能恢复。') ? doc : null,
                    password]
"""


def theme() -> gr.themes.Base:
    """Local CJK fonts only: nothing is fetched from a font CDN."""
    cjk = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
           "WenQuanYi Micro Hei", "sans-serif"]
    # Tables render cells in the mono font: the same CJK sans keeps digits and text alike.
    return gr.themes.Soft(primary_hue="blue", font=cjk, font_mono=cjk)


def page_assets() -> dict:
    """The app's CSS and script, and Gradio's own words in Chinese, from app/assets/.

    gradio_zh.json is Gradio's zh-CN locale with the keys it lacks translated; it replaces the
    English (and Traditional Chinese) strings too, so a browser set to English still shows a
    Chinese page. The few strings Gradio hard-codes in English are translated by web.js."""
    words = json.loads((ASSETS / "gradio_zh.json").read_text(encoding="utf-8"))
    return {"css": (ASSETS / "web.css").read_text(encoding="utf-8"),
            "head": f"<script>{(ASSETS / 'web.js').read_text(encoding='utf-8')}</script>",
            "i18n": gr.I18n(**{"en": words, "zh-CN": words, "zh-TW": words})}


def launch_options(settings: Settings) -> dict:
    """launch() keywords that belong to the app (theme, CSS, upload size, no API links)."""
    return {"theme": theme(), **page_assets(), "max_file_size": settings.max_file_bytes,
            "footer_links": [], "show_error": False}


def warm_up(kb: KnowledgeBase) -> float:
    """Load the models and indexes before the server reports ready, so the first question is
    answered as fast as any other; returns the seconds it took."""
    started = time.perf_counter()
    kb.ask(WARM_UP_QUESTION)
    return time.perf_counter() - started


def warm_up_app(running: RunningServer) -> RunningServer:
    """One question through the running app's own /ask: Gradio's first request costs seconds
    of one-off work (its queue, the components' data models) that no user should wait for."""
    from gradio_client import Client
    try:
        Client(running.url, verbose=False).predict(WARM_UP_QUESTION, api_name="/ask")
    except Exception:   # noqa: BLE001 - a failed warm-up only makes the first answer slower
        log.warning("warming up the web app at %s failed", running.url, exc_info=True)
    return running


def start(kb: KnowledgeBase, settings: Settings, guard: WebGuard | None = None) -> RunningServer:
    """The app, behind app/web_security.py's checks (`guard`), served in a background thread."""
    guard = guard or WebGuard(settings)
    demo = build_app(kb, settings, guard)
    demo.queue(default_concurrency_limit=4, max_size=64)
    return guard.start(demo, **launch_options(settings))


def serve(kb: KnowledgeBase, settings: Settings) -> None:
    """Models, indexes and the app itself are warm before the server says it has started."""
    print(f"模型与索引已加载（{warm_up(kb):.1f} 秒），正在启动网页服务……", flush=True)
    run_until_stopped(lambda: warm_up_app(start(kb, settings)))


def admin_permission(guard: WebGuard, password: str | None, request) -> tuple[bool, str]:
    """The admin views (检索测试, 用户反馈) open for whoever may write."""
    ok, why = guard.write_permission(password, request)
    return ok, why.replace("未执行写入操作", "无法打开管理视图").replace("上传和删除", "管理视图")


# -- the chat ----------------------------------------------------------------------------

def chat_messages(records: list[dict]) -> list[dict]:
    """The chat, rendered from its records: each question and what came back."""
    out = []
    for r in records:
        out.append({"role": "user", "content": R.user_message(r.get("question", ""))})
        out.append({"role": "assistant", "content": R.answer_message(r)})
    return out


def _index(value, items: list) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(items) else None


# -- the app ----------------------------------------------------------------------------

def build_app(kb: KnowledgeBase, settings: Settings, guard: WebGuard | None = None) -> gr.Blocks:
    """The Gradio app; `guard` decides who may write (app/web_security.py)."""
    guard = guard or WebGuard(settings)
    exports = T.Exports()
    feedback = FeedbackStore(settings.data_dir)
    admin_open = not settings.admin_password and is_loopback(settings.host)
    llm_on = LLMConfig.from_env().enabled     # the 问答 tab offers the LLM toggle

    def guarded(fn, fallback):
        """Run a handler; an unexpected error is logged and becomes `fallback(message)`.
        The wrapper keeps fn's signature: Gradio reads gr.Request / gr.Progress / gr.EventData
        from it."""
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except InputError as e:
                return fallback(str(e))
            except Exception:   # noqa: BLE001 - the page shows a message, the log the trace
                log.exception("web handler %s failed", fn.__name__)
                return fallback(INTERNAL_ERROR)
        return run

    def documents() -> dict:
        return {d.doc_id: d for d in kb.documents()}

    def evidence_for(records: list[dict], index: int | None, card: int | None = 0) -> str:
        if index is None or not records:
            return R.evidence_html(None)
        return R.evidence_html(records[index], index, card, documents())

    # ---------------------------------------------------------------- 问答
    def answer_records(question: str, records: list[dict], polish: bool) -> Iterator[str | dict]:
        """One chat turn: with `polish`, the LLM's verified text as it grows (str), then the
        record — the answer object as a dict, the snapshot that gave it and, after a refusal,
        what to try instead; or the reason the question was refused."""
        shown = question if len(question) <= 200 else question[:200] + "…"
        try:
            earlier = conv_store.asked_before(records) or None
            if polish:
                for ans in kb.ask_stream(question, earlier):
                    if isinstance(ans, str):
                        yield ans
            else:
                ans = kb.ask(question, history=earlier)
        except InputError as e:
            yield {"question": shown, "error": str(e)}
            return
        except Exception:   # noqa: BLE001
            log.exception("ask failed")
            yield {"question": shown, "error": INTERNAL_ERROR}
            return
        record = {**ans.to_dict(), "generation": kb.snapshot().generation}
        if ans.abstained:
            record["suggestions"] = [{"label": s.label, "question": s.question}
                                     for s in guarded(suggestions, lambda m: [])(kb, question)]
        yield record

    def persist(saved: dict, conv_id: str | None, records: list[dict]):
        """The conversation saved: (browser store, the page's copy of it, conversation id,
        history picker). The page's copy (a gr.State) is what handlers read, so /ask takes no
        browser state from API clients and an answer is stored with it, not after it."""
        store, conv_id = conv_store.save(conv_store.valid_store(saved), conv_id, records)
        return store, store, conv_id, gr.update(choices=conv_store.choices(store), value=conv_id)

    def ask(question: str, chat: list, records: list, saved: dict, conv_id: str | None, polish: bool = False):
        """Echo the question at once with 正在检索…, then the answer (with `polish`, the LLM's
        verified text streaming in first), its evidence, and the conversation saved in the browser."""
        q = (question or "").strip()
        if not q:
            yield (gr.skip(),) * 4 + (R.notice_html("请先输入问题，再点“提问”。", "error"),) + (gr.skip(),) * 4
            return
        records = list(records or [])
        shown = q if len(q) <= 200 else q[:200] + "…"

        def pending(message: str) -> list[dict]:
            return chat_messages(records) + [{"role": "user", "content": R.user_message(shown)},
                                             {"role": "assistant", "content": message}]
        yield ("", pending(R.pending_message()), gr.skip(), gr.skip(), "") + (gr.skip(),) * 4
        for record in answer_records(q, records, bool(polish)):
            if isinstance(record, str):
                yield (gr.skip(), pending(R.streaming_message(record))) + (gr.skip(),) * 7
        records.append(record)
        yield ((question if record.get("error") else "", chat_messages(records), records,
                evidence_for(records, len(records) - 1), "") + persist(saved, conv_id, records))

    def evidence_clicked(records: list, evt: gr.EventData):
        """A [n] in the chat, a card, or 查看全文: show that answer's citation (and its document)."""
        records = records or []
        index = _index(getattr(evt, "answer", None), records)
        if index is None:
            return gr.skip(), gr.skip(), gr.skip()
        cites = records[index].get("citations") or []
        n = getattr(evt, "n", None)
        card = next((i for i, c in enumerate(cites) if c.get("n") == n), None) if n is not None \
            else _index(getattr(evt, "card", None), cites)
        panel = evidence_for(records, index, card if card is not None else 0)
        if not getattr(evt, "open", False) or card is None:
            return panel, gr.skip(), gr.skip()
        c = cites[card]
        doc = documents().get(c.get("doc_id"))
        if doc is None:
            return panel, gr.update(visible=True), R.notice_html("这份文档已不在知识库中。", "error")
        return (panel, gr.update(visible=True),
                R.document_html(doc, kb.clauses(doc.doc_id), focus=c.get("clause_id"), highlight=c.get("highlight", "")))

    def rated(records: list, saved: dict, conv_id: str | None, evt: gr.EventData):
        """👍/👎 on an answer: stored with the answer as shown; the comment box opens."""
        records = list(records or [])
        index = _index(getattr(evt, "answer", None), records)
        rating = getattr(evt, "rating", None)
        if index is None or records[index].get("error") or rating not in (1, -1):
            return (gr.skip(),) * 9
        record = records[index]
        fid = feedback.rate(rating, record, record.get("generation", 0),
                            history=conv_store.asked_before(records[:index]), feedback_id=record.get("feedback_id"))
        records[index] = {**record, "rating": rating, "feedback_id": fid}
        prompt = ("已记录 👍，谢谢！如愿意，可以补充说明（可选）：" if rating == 1 else
                  "已记录 👎。请说明哪里不对或缺了什么（可选），这会帮助改进知识库：")
        return (chat_messages(records), records, gr.update(visible=True), index, R.notice_html(prompt, "ok"),
                *persist(saved, conv_id, records))

    def rate_error(message: str):
        return (gr.skip(), gr.skip(), gr.update(visible=True), gr.skip(), R.notice_html(message, "error"),
                *(gr.skip(),) * 4)

    def commented(text: str, target, records: list):
        records = records or []
        index = _index(target, records)
        if index is None or not records[index].get("feedback_id"):
            return R.notice_html("请先点 👍 或 👎。", "error"), gr.skip(), gr.skip()
        feedback.comment(records[index]["feedback_id"], text)
        return R.notice_html("说明已记录，谢谢！", "ok"), gr.update(visible=False), ""

    def restore(store):
        """On load: the conversation the browser was showing, and the list of its conversations."""
        store = conv_store.valid_store(store)
        conv = conv_store.find(store, store["current"])
        records = conv["answers"] if conv else []
        return (chat_messages(records), records, evidence_for(records, len(records) - 1 if records else None),
                conv["id"] if conv else None, store,
                gr.update(choices=conv_store.choices(store), value=conv["id"] if conv else None))

    def open_conversation(conv_id: str | None, saved: dict):
        store = conv_store.valid_store(saved)
        conv = conv_store.find(store, conv_id)
        if conv is None:
            return (gr.skip(),) * 6
        store = {**store, "current": conv["id"]}
        records = conv["answers"]
        return chat_messages(records), records, evidence_for(records, len(records) - 1), conv["id"], store, store

    def new_conversation(saved: dict):
        store = {**conv_store.valid_store(saved), "current": None}
        return ([], [], evidence_for([], None), None, store, store, gr.update(value=None), "",
                gr.update(visible=False))

    def delete_conversation(conv_id: str | None, saved: dict):
        store = conv_store.delete(conv_store.valid_store(saved), conv_id)
        return ([], [], evidence_for([], None), None, store, store,
                gr.update(choices=conv_store.choices(store), value=None), "", gr.update(visible=False))

    def pick_example(evt: gr.SelectData):
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value or "")

    # ---------------------------------------------------------------- 责任单位
    def unit_lookup(name: str):
        name = (name or "").strip()
        if not name:
            return unit_lookup_error("还没有选择单位")
        canonical, clauses = kb.unit_tasks(name)
        canonical = canonical or name
        if not clauses:
            return unit_lookup_error(f"没有找到“{canonical}”负责的任务。")
        docs = documents()
        clauses = T.merge_parts(clauses)
        alias = f"（“{name}”即“{canonical}”）" if canonical != name else ""
        msg = (R.esc(f"{canonical}{alias}：共负责 {len(clauses)} 项任务。点击表格中的一行，")
               + R.where("右侧", "下方") + "显示该任务的全部责任单位、期限和原文。")
        keys = [T.task_key(c) for c in clauses]
        csv, xlsx = exports.write(T.tasks_export_frame(clauses, docs), f"{canonical}的任务"[:60])
        first = clauses[0]
        table = T.tasks_frame(clauses, docs)
        widths = TASK_WIDTHS[len(table.columns) == len(T.TASK_COLS)]
        return (f'<div class="kb-notice kb-ok">{msg}</div>', gr.update(value=table, column_widths=widths), keys,
                gr.update(value=keys[0]), task_panel(first, docs),
                gr.update(value=csv, visible=True), gr.update(value=xlsx, visible=True))

    def unit_lookup_error(message: str):
        if message != INTERNAL_ERROR:
            message = message.rstrip("。") + "。可从下拉列表选择单位，或输入常用简称（如“州教体局”）。"
        return (R.notice_html(message, "error"), T.tasks_frame([], {}), [], gr.skip(),
                R.units_html(None), gr.update(visible=False), gr.update(visible=False))

    def task_panel(c, docs) -> str:
        doc = docs.get(c.doc_id)
        return R.units_html(c, doc.title if doc else "", T.deadline_label(c, docs))

    def row_selected(keys: list[str], evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return keys[row] if _index(row, keys or []) is not None else gr.skip()

    def task_units(key: str):
        if not key:
            return R.units_html(None)
        doc_id = key.split("::", 1)[0]
        for c in T.merge_parts(kb.clauses(doc_id)):
            if T.task_key(c) == key:
                return task_panel(c, documents())
        return R.units_html(None)

    def unit_data():
        """Choices for the unit and task pickers, the matrix and its download files."""
        clauses = kb.clauses()
        docs = documents()
        tasks = [c for c in T.merge_parts(clauses) if c.units]
        many = len({c.doc_id for c in tasks}) > 1
        task_choices = [(f"{c.clause_id} {T.clause_title(c)}" + (f"｜{docs[c.doc_id].title}" if many else ""),
                         T.task_key(c)) for c in tasks]
        matrix = T.matrix_frame(clauses, docs)
        csv, xlsx = exports.write(matrix, "责任单位矩阵")
        firsts = MATRIX_FIRST_WIDTHS + ([150] if many else [])
        widths = firsts + [MATRIX_UNIT_WIDTH] * (len(matrix.columns) - len(firsts))
        return (gr.update(choices=kb.unit_names()), gr.update(choices=task_choices),
                gr.update(value=matrix, column_widths=widths),
                gr.update(value=csv), gr.update(value=xlsx))

    # ---------------------------------------------------------------- 目标指标
    def target_data(group: str, unit: str, year: str, doc_id: str, text: str):
        docs = documents()
        pairs = kb.targets()
        unit = "" if unit in (None, ANY) else (unit_db.canonical(unit) or unit)
        flt = T.TargetFilter(group=group or T.PLAN_TARGETS, unit=unit,
                             year=int(year[:4]) if year and year[:4].isdigit() else None,
                             doc_id="" if doc_id in (None, ANY) else doc_id, text=(text or "").strip())
        df = T.targets_frame(pairs, docs, flt, covering=unit_db.covering)
        csv, xlsx = exports.write(df, "目标指标" if flt.group == T.PLAN_TARGETS else "法规中的数值")
        in_group = [(c, t) for c, t in pairs if T.target_group(docs.get(c.doc_id)) == flt.group]
        units = sorted({u for c, _ in in_group for u in c.units})
        doc_choices = [(docs[d].title, d) for d in dict.fromkeys(c.doc_id for c, _ in in_group) if d in docs]
        what = [x for x in (unit, f"{flt.year}年" if flt.year else "", docs[flt.doc_id].title if flt.doc_id in docs else "",
                            flt.text) if x]
        one_doc = df["文档"].nunique() <= 1       # the column says nothing then: shown in the note
        lead = f"{df['文档'].iloc[0]}：" if one_doc and len(df) else ""
        note = R.notice_html(f"{lead}共 {len(df)} 条" + (f"（筛选：{'，'.join(what)}）" if what else ""))
        shown = df.drop(columns=["文档"]) if one_doc else df
        return (gr.update(value=shown, column_widths=TARGET_WIDTHS[not one_doc]), note,
                gr.update(value=csv), gr.update(value=xlsx),
                gr.update(choices=[ANY] + units), gr.update(choices=[ANY] + [f"{y}年" for y in T.target_years(in_group, docs)]),
                gr.update(choices=[(ANY, ANY)] + doc_choices))

    def target_error(message: str):
        return (gr.skip(), R.notice_html(message, "error")) + (gr.skip(),) * 5

    # ---------------------------------------------------------------- 文档库
    def library_data():
        docs = kb.documents()
        choices = [(f"{d.title}（{d.doc_id}）" if d.title and d.title != d.doc_id else d.doc_id,
                    d.doc_id) for d in docs]
        by_id = {d.doc_id: d for d in docs}
        return (T.documents_frame(docs), T.missing_frame(kb.missing_citations(), by_id),
                gr.update(choices=choices, value=None), [d.doc_id for d in docs])

    def doc_row_opened(doc_ids: list[str], evt: gr.SelectData):
        """A row of 文档库: the whole document over the page."""
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        doc = documents().get(doc_ids[row]) if _index(row, doc_ids or []) is not None else None
        if doc is None:
            return gr.skip(), gr.skip()
        return gr.update(visible=True), R.document_html(doc, kb.clauses(doc.doc_id))

    def upload(file_path, password, request: gr.Request, progress=gr.Progress()):
        ok, why = guard.write_permission(password, request)
        if not ok:
            return R.notice_html(why, "error")
        if not file_path:
            return R.notice_html("请先选择要导入的文件。", "error")
        path = Path(file_path)
        name = path.name
        if path.suffix.lower() not in UPLOAD_TYPES:
            return R.notice_html(f"不支持的文件类型：{name}。可导入 "
                                 + " ".join(UPLOAD_TYPES) + " 文件。", "error")

        def tick(done: int, total: int, what: str) -> None:
            progress(done / total if total else 0.0, desc=what or "导入中")

        progress(0.0, desc=f"读取 {name}")
        report: IngestReport = kb.add_file(name, path.read_bytes(), progress=tick)
        return R.notice_html(*_report_message(name, report))

    def remove(doc_id, password, request: gr.Request):
        ok, why = guard.write_permission(password, request)
        if not ok:
            return R.notice_html(why, "error")
        if not doc_id:
            return R.notice_html("未删除：没有选择文档，或已取消。", "info")
        kb.remove_document(doc_id)
        return R.notice_html(f"已删除文档 {doc_id}。", "ok")

    def write_error(message: str):
        return R.notice_html(message, "error")

    # ---------------------------------------------------------------- 管理
    def unlock(password: str, request: gr.Request):
        ok, why = admin_permission(guard, password, request)
        return gr.update(visible=ok), R.notice_html("已进入管理视图。" if ok else why, "ok" if ok else "error")

    def retrieve(query: str, mode: str, password: str, request: gr.Request):
        ok, why = admin_permission(guard, password, request)
        if not ok:
            return R.notice_html(why, "error"), gr.skip()
        q = (query or "").strip()
        if not q:
            return R.notice_html("请输入检索词。", "error"), gr.skip()
        hits = kb.retrieve(q, mode or "hybrid", k=10)
        label = dict((v, k) for k, v in RETRIEVE_MODES).get(mode, mode)
        return R.notice_html(f"{label}：返回 {len(hits)} 个条款（得分越高越靠前；排名为空表示该方式未检索到）"), \
            T.retrieval_frame(hits, documents())

    def retrieve_error(message: str):
        return R.notice_html(message, "error"), gr.skip()

    def feedback_data(password: str, request: gr.Request):
        ok, why = admin_permission(guard, password, request)
        if not ok:
            return R.notice_html(why, "error"), gr.skip(), gr.skip()
        down = feedback.entries(DOWN)
        rows = [[f.created, f.question, R.snippet(f.answer, 120), f.comment,
                 "；".join(f"《{c.get('doc_title', '')}》{c.get('clause_id', '')}" for c in f.citations),
                 f.generation] for f in down]
        export = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in feedback.gold_candidates())
        path = exports.write_text(export, "feedback-gold-candidates.jsonl")
        note = f"共 {len(down)} 条 👎 评价（全部评价 {len(feedback.entries())} 条，可下载为评测候选题 JSONL）。"
        return R.notice_html(note), pd.DataFrame(rows, columns=FEEDBACK_COLS), gr.update(value=path)

    # ================================================================= layout
    with gr.Blocks(title="职业教育政策知识库", analytics_enabled=False,
                   delete_cache=(3600, 3600)) as demo:
        gr.HTML('<div id="kb-header"><h1>楚雄州职业教育政策知识库</h1>'
                "<span>结构化检索与有引文的问答 · 每个回答都给出原文条款</span></div>",
                js_on_load=None)
        with gr.Tabs():
            # ---------------------------------------------------------- 问答
            with gr.Tab("问答", id="qa"):
                store = gr.BrowserState(conv_store.empty_store(), storage_key="kb-conversations",
                                        secret=conv_store.browser_secret(settings.data_dir))
                saved = gr.State(conv_store.empty_store())     # the page's copy of `store`
                records = gr.State([])
                conv_id = gr.State(None)
                rated_index = gr.State(None)
                with gr.Row(equal_height=False):
                    with gr.Column(scale=11, min_width=320):
                        with gr.Row(elem_id="kb-history-row"):
                            history_pick = gr.Dropdown(choices=[], value=None, label="历史对话（仅存于本浏览器）",
                                                       scale=4, min_width=300, elem_id="kb-history")
                            new_btn = gr.Button("新对话", scale=1, min_width=80, size="md", elem_id="kb-new")
                            delete_btn = gr.Button("删除", scale=1, min_width=64, variant="stop", size="md",
                                                   elem_id="kb-delete")
                        chat = gr.Chatbot(
                            show_label=False, height=455, latex_delimiters=[], elem_id="kb-chat",
                            placeholder="请输入关于政策文件的问题，或点击下面的示例问题。",
                            examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
                            feedback_options=None, buttons=[], allow_tags=False)
                        with gr.Row():
                            question = gr.Textbox(placeholder="输入问题，按回车提问；可以追问，如“它的目标是什么？”",
                                                  show_label=False, scale=6, lines=1, max_lines=3,
                                                  max_length=max(settings.max_question_chars * 2, 100),
                                                  elem_id="kb-question")
                            ask_btn = gr.Button("提问", variant="primary", scale=1, min_width=80,
                                                elem_id="kb-ask")
                        # Off by default: answers are the extractive ones unless a user asks.
                        polish = gr.Checkbox(False, label="用大模型润色回答", container=False,
                                             elem_id="kb-llm") if llm_on else None
                        ask_msg = gr.HTML("", js_on_load=None, elem_id="kb-ask-msg")
                        rate_msg = gr.HTML("", js_on_load=RATE_JS, elem_id="kb-rate-msg")
                        with gr.Group(visible=False, elem_id="kb-comment") as comment_box:
                            comment = gr.Textbox(show_label=False, lines=2, max_lines=5, max_length=1000,
                                                 placeholder="例如：漏了某个责任单位；引用的条款不对……",
                                                 elem_id="kb-comment-text")
                            with gr.Row():
                                comment_btn = gr.Button("提交说明", size="sm", variant="primary",
                                                        elem_id="kb-comment-send")
                                comment_skip = gr.Button("不用了", size="sm", elem_id="kb-comment-skip")
                    with gr.Column(scale=9, min_width=320):
                        gr.HTML('<div class="kb-panel-head">引用的条款<span>点击回答中的 [1] 等标记或下面的条款，'
                                "查看原文</span></div>", js_on_load=None)
                        evidence = gr.HTML(R.evidence_html(None), elem_id="kb-evidence", js_on_load=EVIDENCE_JS)
                # One public endpoint, /ask, for the box, the button and API clients (eval/load.py);
                # the UI-only events stay out of the API docs.
                saving = [store, saved, conv_id, history_pick]
                ask_outputs = [question, chat, records, evidence, ask_msg] + saving
                ask_inputs = [question, chat, records, saved, conv_id] + ([polish] if polish is not None else [])
                gr.on([question.submit, ask_btn.click], ask, ask_inputs, ask_outputs, api_name="ask",
                      show_progress="hidden")
                chat.example_select(pick_example, None, question, api_visibility="undocumented").then(
                    ask, ask_inputs, ask_outputs, api_visibility="undocumented", show_progress="hidden")
                rate_outputs = [chat, records, comment_box, rated_index, rate_msg] + saving
                rate_msg.click(guarded(rated, rate_error), [records, saved, conv_id], rate_outputs,
                               api_visibility="undocumented")
                comment_fn = guarded(commented, lambda m: (R.notice_html(m, "error"), gr.skip(), gr.skip()))
                comment_btn.click(comment_fn, [comment, rated_index, records], [rate_msg, comment_box, comment],
                                  api_visibility="undocumented")
                comment.submit(comment_fn, [comment, rated_index, records], [rate_msg, comment_box, comment],
                               api_visibility="undocumented")
                comment_skip.click(lambda: (gr.update(visible=False), ""), None, [comment_box, rate_msg],
                                   api_visibility="undocumented")
                conv_outputs = [chat, records, evidence, conv_id, store, saved, history_pick, rate_msg, comment_box]
                new_btn.click(new_conversation, saved, conv_outputs, api_visibility="undocumented")
                delete_btn.click(delete_conversation, [history_pick, saved], conv_outputs,
                                 api_visibility="undocumented")
                chat.clear(new_conversation, saved, conv_outputs, api_visibility="undocumented")
                history_pick.input(open_conversation, [history_pick, saved], [chat, records, evidence, conv_id, store, saved],
                                   api_visibility="undocumented")

            # ---------------------------------------------------------- 责任单位
            with gr.Tab("责任单位", id="units") as units_tab:
                with gr.Tabs():
                    with gr.Tab("按单位查任务"):
                        with gr.Row():
                            unit_pick = gr.Dropdown(choices=[], allow_custom_value=True,
                                                    label="责任单位（可从列表选择，也可输入简称，如“州教体局”）",
                                                    scale=5, min_width=200, elem_id="kb-unit")
                            unit_btn = gr.Button("查询任务", variant="primary", scale=1, min_width=90,
                                                 elem_id="kb-unit-btn")
                        unit_msg = gr.HTML(R.notice_html("选择或输入一个单位，查看它负责的全部任务和期限。"),
                                           js_on_load=None, elem_id="kb-unit-msg")
                        unit_keys = gr.State([])
                        with gr.Row(equal_height=False):
                            with gr.Column(scale=13, min_width=320):
                                unit_tasks_df = gr.Dataframe(
                                    value=T.tasks_frame([], {}), interactive=False, wrap=True,
                                    max_height=420, label="该单位负责的任务（点击一行查看详情）",
                                    column_widths=TASK_WIDTHS[False], pinned_columns=1,
                                    elem_id="kb-unit-tasks", elem_classes=["kb-table"])
                                with gr.Row():
                                    unit_csv = gr.DownloadButton("下载任务清单 CSV", size="sm", visible=False)
                                    unit_xlsx = gr.DownloadButton("下载任务清单 Excel", size="sm", visible=False)
                            with gr.Column(scale=7, min_width=300):
                                task_pick = gr.Dropdown(choices=[], label="任务（可选任意任务）", elem_id="kb-task")
                                task_units_html = gr.HTML(R.units_html(None), js_on_load=None,
                                                          elem_id="kb-task-units")
                    with gr.Tab("任务 × 单位矩阵"):
                        gr.HTML('<div class="kb-hint">每行一项任务（含期限），每列一个责任单位（按负责任务数排序），'
                                "✓ 表示该单位负责此任务。</div>", js_on_load=None)
                        matrix_df = gr.Dataframe(interactive=False, max_height=450, pinned_columns=2,
                                                 elem_id="kb-matrix", elem_classes=["kb-table"])
                        with gr.Row():
                            matrix_csv = gr.DownloadButton("下载 CSV", size="sm", variant="secondary")
                            matrix_xlsx = gr.DownloadButton("下载 Excel", size="sm", variant="secondary")
                unit_outputs = [unit_msg, unit_tasks_df, unit_keys, task_pick, task_units_html, unit_csv, unit_xlsx]
                unit_fn = guarded(unit_lookup, unit_lookup_error)
                # Typing fires an event per keystroke: one at a time, in order, so the last word wins.
                in_order = {"concurrency_id": "kb-unit-lookup", "concurrency_limit": 1, "trigger_mode": "always_last"}
                unit_btn.click(unit_fn, unit_pick, unit_outputs, **in_order)
                unit_pick.input(unit_fn, unit_pick, unit_outputs, **in_order)
                unit_pick.select(unit_fn, unit_pick, unit_outputs, **in_order)
                unit_tasks_df.select(row_selected, unit_keys, task_pick)
                task_pick.change(guarded(task_units, lambda m: R.notice_html(m, "error")), task_pick, task_units_html)
                unit_data_outputs = [unit_pick, task_pick, matrix_df, matrix_csv, matrix_xlsx]
                units_tab.select(unit_data, None, unit_data_outputs)

            # ---------------------------------------------------------- 目标指标
            with gr.Tab("目标指标", id="targets") as targets_tab:
                with gr.Row():
                    target_kind = gr.Radio(TARGET_GROUPS, value=T.PLAN_TARGETS, show_label=False,
                                           scale=3, min_width=260, elem_id="kb-target-kind")
                    target_unit = gr.Dropdown([ANY], value=ANY, label="责任单位", allow_custom_value=True,
                                              scale=2, min_width=150, elem_id="kb-target-unit")
                    target_year = gr.Dropdown([ANY], value=ANY, label="年份", scale=1, min_width=110,
                                              elem_id="kb-target-year")
                    target_doc = gr.Dropdown([(ANY, ANY)], value=ANY, label="文档", scale=2, min_width=150,
                                             elem_id="kb-target-doc")
                with gr.Row():
                    target_filter = gr.Textbox(placeholder="关键词，如 培训、% ……（多个词用空格分开）",
                                               show_label=False, scale=5, elem_id="kb-target-filter")
                    target_btn = gr.Button("筛选", scale=1, min_width=80, elem_id="kb-target-btn")
                target_note = gr.HTML(js_on_load=None, elem_id="kb-target-note")
                targets_df = gr.Dataframe(
                    value=pd.DataFrame(columns=T.TARGET_COLS[1:]), interactive=False, wrap=True,
                    max_height=430, column_widths=TARGET_WIDTHS[False], pinned_columns=1,
                    elem_id="kb-targets", elem_classes=["kb-table"])
                with gr.Row():
                    targets_csv = gr.DownloadButton("下载 CSV", size="sm")
                    targets_xlsx = gr.DownloadButton("下载 Excel", size="sm")
                target_inputs = [target_kind, target_unit, target_year, target_doc, target_filter]
                target_outputs = [targets_df, target_note, targets_csv, targets_xlsx, target_unit, target_year,
                                  target_doc]
                target_fn = guarded(target_data, target_error)
                in_order = {"concurrency_id": "kb-targets", "concurrency_limit": 1, "trigger_mode": "always_last"}
                target_filter.submit(target_fn, target_inputs, target_outputs, **in_order)
                target_btn.click(target_fn, target_inputs, target_outputs, **in_order)
                target_kind.input(lambda: (ANY, ANY, ANY), None, [target_unit, target_year, target_doc]).then(
                    target_fn, target_inputs, target_outputs, **in_order)     # another group: its own filters
                for pick in (target_unit, target_year, target_doc):
                    pick.input(target_fn, target_inputs, target_outputs, **in_order)
                targets_tab.select(target_fn, target_inputs, target_outputs, **in_order)

            # ---------------------------------------------------------- 文档库
            with gr.Tab("文档库", id="library") as library_tab:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=13, min_width=320):
                        docs_df = gr.Dataframe(value=pd.DataFrame(columns=T.DOC_COLS), interactive=False,
                                               wrap=True, max_height=360, pinned_columns=1,
                                               label="已收录的文档（点击一行查看全文；同一法规的各版本分别列出）",
                                               column_widths=[190, 130, 120, 130, 96, 56, 60],
                                               elem_id="kb-docs", elem_classes=["kb-table"])
                        missing_df = gr.Dataframe(value=pd.DataFrame(columns=T.MISSING_COLS),
                                                  interactive=False, wrap=True, max_height=220, pinned_columns=1,
                                                  label="被引用但未收录的文件（建议补充）",
                                                  column_widths=[300, 140, 240],
                                                  elem_id="kb-missing", elem_classes=["kb-table"])
                    with gr.Column(scale=7, min_width=300):
                        if settings.admin_password:
                            password = gr.Textbox(label="管理员口令（上传、删除需要）", type="password",
                                                  elem_id="kb-password")
                            guard.unlock_uploads_with(password)
                        else:
                            password = gr.Textbox(visible=False, type="password")
                            gr.HTML(R.notice_html(
                                "本机运行，未设置管理员口令：可以直接上传、删除。" if admin_open else
                                "未设置管理员口令且服务对外开放：上传、删除已禁用。",
                                "info" if admin_open else "error"), js_on_load=None)
                        upload_file = gr.File(label="上传文档（.txt .md .html .docx .pdf）",
                                              file_types=UPLOAD_TYPES, type="filepath", height=120,
                                              elem_id="kb-upload")
                        upload_btn = gr.Button("导入知识库", variant="primary", elem_id="kb-import")
                        upload_msg = gr.HTML(js_on_load=None, elem_id="kb-upload-msg")
                        with gr.Row():
                            remove_pick = gr.Dropdown(choices=[], label="选择要删除的文档",
                                                      scale=3, elem_id="kb-remove-pick")
                            remove_btn = gr.Button("删除", variant="stop", scale=1, min_width=70)
                        remove_msg = gr.HTML(js_on_load=None, elem_id="kb-remove-msg")
                doc_ids = gr.State([])
                library_outputs = [docs_df, missing_df, remove_pick, doc_ids]
                write_opts = {"concurrency_id": "kb-write", "concurrency_limit": 1}
                upload_fn = guarded(upload, lambda m: write_error(f"未能导入：{m}"))
                remove_fn = guarded(remove, lambda m: write_error(f"未能删除：{m}"))
                upload_btn.click(upload_fn, [upload_file, password], upload_msg, **write_opts).then(
                    library_data, None, library_outputs)
                remove_btn.click(remove_fn, [remove_pick, password], remove_msg, js=CONFIRM_REMOVE_JS,
                                 **write_opts).then(library_data, None, library_outputs)
                library_tab.select(library_data, None, library_outputs)

            # ---------------------------------------------------------- 管理
            with gr.Tab("管理", id="admin"):
                if settings.admin_password:
                    with gr.Row():
                        admin_password = gr.Textbox(label="管理员口令（检索测试、用户反馈需要）", type="password",
                                                    scale=4, elem_id="kb-admin-password")
                        admin_btn = gr.Button("进入", variant="primary", scale=1, min_width=80,
                                              elem_id="kb-admin-enter")
                    admin_msg = gr.HTML(js_on_load=None, elem_id="kb-admin-msg")
                else:
                    admin_password = gr.Textbox(visible=False, type="password")
                    admin_msg = gr.HTML(R.notice_html(
                        "本机运行，未设置管理员口令：管理视图直接可用。" if admin_open else
                        "未设置管理员口令且服务对外开放：管理视图已禁用。", "info" if admin_open else "error"),
                        js_on_load=None, elem_id="kb-admin-msg")
                with gr.Column(visible=admin_open) as admin_body:
                    with gr.Tabs():
                        with gr.Tab("检索测试", id="retrieve"):
                            with gr.Row():
                                rq = gr.Textbox(placeholder="输入检索词，查看各检索方式的打分与排名", show_label=False,
                                                scale=5, min_width=200, elem_id="kb-retrieve-q")
                                rmode = gr.Radio(RETRIEVE_MODES, value="hybrid", show_label=False, scale=2,
                                                 min_width=220)
                                rbtn = gr.Button("检索", variant="primary", scale=1, min_width=80)
                            rnote = gr.HTML(js_on_load=None)
                            rdf = gr.Dataframe(value=pd.DataFrame(columns=T.RETRIEVE_COLS), interactive=False,
                                               wrap=True, max_height=500, pinned_columns=2,
                                               column_widths=[56, 90, 140, 80, 90, 80, 90, 90, 140, 300],
                                               elem_id="kb-retrieve", elem_classes=["kb-table"])
                        with gr.Tab("用户反馈", id="feedback") as feedback_tab:
                            fnote = gr.HTML(js_on_load=None, elem_id="kb-feedback-note")
                            fdf = gr.Dataframe(value=pd.DataFrame(columns=FEEDBACK_COLS), interactive=False,
                                               wrap=True, max_height=500, pinned_columns=1,
                                               column_widths=[140, 220, 280, 200, 200, 90],
                                               elem_id="kb-feedback", elem_classes=["kb-table"])
                            with gr.Row():
                                frefresh = gr.Button("刷新", size="sm", elem_id="kb-feedback-refresh")
                                fexport = gr.DownloadButton("下载评测候选题 JSONL", size="sm",
                                                            elem_id="kb-feedback-export")
                if settings.admin_password:
                    admin_btn.click(unlock, admin_password, [admin_body, admin_msg])
                    admin_password.submit(unlock, admin_password, [admin_body, admin_msg])
                r_fn = guarded(retrieve, retrieve_error)
                rq.submit(r_fn, [rq, rmode, admin_password], [rnote, rdf])
                rbtn.click(r_fn, [rq, rmode, admin_password], [rnote, rdf])
                f_fn = guarded(feedback_data, lambda m: (R.notice_html(m, "error"), gr.skip(), gr.skip()))
                feedback_tab.select(f_fn, admin_password, [fnote, fdf, fexport])
                frefresh.click(f_fn, admin_password, [fnote, fdf, fexport])

        # The whole document over the page (from a citation or from 文档库).
        with gr.Column(visible=False, elem_id="kb-doc-modal") as doc_modal:
            doc_close = gr.Button("关闭（Esc）", size="sm", elem_id="kb-doc-close")
            doc_view = gr.HTML("", js_on_load=DOC_MODAL_JS, elem_id="kb-doc-modal-body")
        doc_close.click(lambda: gr.update(visible=False), None, doc_modal, api_visibility="undocumented")
        evidence.click(guarded(evidence_clicked, lambda m: (R.notice_html(m, "error"), gr.skip(), gr.skip())),
                       records, [evidence, doc_modal, doc_view], api_visibility="undocumented")
        docs_df.select(guarded(doc_row_opened, lambda m: (gr.update(visible=True), R.notice_html(m, "error"))),
                       doc_ids, [doc_modal, doc_view])

        demo.load(restore, store, [chat, records, evidence, conv_id, saved, history_pick])
        demo.load(guarded(unit_data, lambda m: (gr.skip(),) * 5), None, unit_data_outputs)
        demo.load(target_fn, target_inputs, target_outputs)
        demo.load(guarded(library_data, lambda m: (gr.skip(),) * 4), None, library_outputs)
    return demo


def _report_message(name: str, report: IngestReport) -> tuple[str, str]:
    """(message, kind) for an ingest report."""
    if report.rejected:
        reasons = "；".join(f"{n}：{why}" for n, why in report.rejected.items())
        return f"未能导入：{reasons}", "error"
    if report.added:
        return (f"已导入 {name}：{report.clauses} 个条款"
                f"（文档ID {'、'.join(report.added)}，用时 {report.seconds:.1f} 秒）。", "ok")
    if report.unchanged:
        return f"{name} 与已收录的版本相同，未作改动。", "info"
    return f"{name} 未产生新的条款。", "info"
