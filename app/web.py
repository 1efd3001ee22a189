"""The browser app: a thin Gradio layer over kb.api.KnowledgeBase.

Presentation only. Every fact on the page comes from a KnowledgeBase method; every piece
of document or user text is escaped (see app/web_render.py) before it is rendered.
"""
from __future__ import annotations

import atexit
import dataclasses
import functools
import logging
import re
import shutil
import tempfile
import threading
import uuid
from collections import deque
from pathlib import Path

import gradio as gr
import pandas as pd

from app import web_render as R
from app.web_security import RunningServer, WebGuard, is_loopback, run_until_stopped
from kb.api import IngestReport, KnowledgeBase
from kb.config import Settings
from kb.schema import Answer, Citation, Clause, InputError

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

TASK_COLS = ["条款", "任务", "所在章节", "条款原文（摘要）", "文档"]
TARGET_COLS = ["文档", "条款", "指标内容", "数值", "比较", "期限", "原文"]
TARGET_WIDTHS = {True: ["13%", "8%", "17%", "9%", "7%", "10%", "36%"],
                 False: ["10%", "20%", "10%", "8%", "12%", "40%"]}
DOC_COLS = ["标题", "文号", "发布机构", "成文日期", "类型", "层级", "条款数"]
MISSING_COLS = ["被引用文件", "文号", "引用它的文档"]
RETRIEVE_MODES = {"hybrid": "混合检索", "dense": "向量检索", "keyword": "关键词检索"}
RETRIEVE_COLS = ["名次", "条款", "任务/标题", "融合分", "向量相似度", "向量名次",
                 "关键词分", "关键词名次", "文档", "条款原文"]

# A click (or Enter) on an evidence card picks that citation; delegated, as the cards
# are re-rendered with every answer.
CARD_CLICK_JS = """
const pick = (e) => {
  const card = e.target.closest('.kb-cite[data-i]');
  if (card) trigger('click', {index: Number(card.dataset.i)});
};
element.addEventListener('click', pick);
element.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') pick(e); });
"""

# Deleting is for good: ask first (a cancelled confirm sends no document).
CONFIRM_REMOVE_JS = """
(doc, password) => [doc && confirm('确定从知识库中删除这份文档吗？删除后需重新上传才能恢复。') ? doc : null,
                    password]
"""

# Keep the emphasised clause of the context panel in view when the panel changes.
SCROLL_TO_CITED_JS = """
const box = element.closest('.kb-scroll-ctx') || element;
new MutationObserver(() => {
  const cited = element.querySelector('.kb-cited');
  if (!cited) return;
  const head = element.querySelector('.kb-ctx-head');
  const offset = cited.getBoundingClientRect().top - box.getBoundingClientRect().top;
  box.scrollTop += offset - (head ? head.offsetHeight : 0) - 8;
}).observe(element, {childList: true, subtree: true});
"""

CSS = """
.gradio-container { max-width: 1360px !important; }
#kb-header { display:flex; align-items:baseline; gap:14px; margin:2px 0 4px; }
#kb-header h1 { font-size:22px; margin:0; font-weight:700; }
#kb-header span { color:var(--body-text-color-subdued); font-size:14px; }
.kb-evidence, .kb-context { font-size:14px; line-height:1.65; }
.kb-scroll { max-height: 290px; overflow-y: auto; padding-right: 4px; }
.kb-scroll-ctx { max-height: 245px; overflow-y: auto; padding-right: 4px;
                 border-top: 1px dashed var(--border-color-primary); padding-top: 6px; }
.kb-panel-head { font-weight:600; font-size:15px; margin:4px 0 2px; }
.kb-panel-head span { font-weight:400; font-size:13px; margin-left:10px; color:var(--body-text-color-subdued); }
#kb-chat .kb-marker { color: var(--color-accent); }
.kb-ctx-id { margin-bottom: 2px; }
.kb-ctx-title { font-weight:600; }
.kb-cite { border:1px solid var(--border-color-primary); border-radius:8px; padding:8px 10px;
           margin-bottom:8px; background:var(--background-fill-primary); cursor:pointer;
           transition:border-color .15s; }
.kb-cite:hover { border-color:var(--color-accent); }
.kb-cite.kb-selected { border-color:var(--color-accent); box-shadow:0 0 0 1px var(--color-accent); }
.kb-cite-head { font-weight:600; }
.kb-n { color:var(--color-accent); font-weight:700; }
.kb-docno { margin-left:8px; color:var(--body-text-color-subdued); font-weight:400; font-size:13px; }
.kb-path { color:var(--body-text-color-subdued); font-size:13px; }
.kb-cid { display:inline-block; font-weight:600; color:var(--body-text-color);
          background:var(--background-fill-secondary); border-radius:4px; padding:0 5px; margin-right:4px; }
.kb-quote { margin:6px 0 2px; padding:4px 10px; border-left:3px solid var(--color-accent);
            background:var(--background-fill-secondary); white-space:pre-wrap; }
mark.kb-hl { background:#ffe58f; color:inherit; padding:0 1px; border-radius:2px; }
.kb-empty { color:var(--body-text-color-subdued); padding:10px 4px; }
.kb-note { color:#ad6800; font-size:13px; margin-bottom:6px; }
.kb-ctx-head { font-weight:600; padding:4px 0 6px; position:sticky; top:-6px; z-index:1;
               background:var(--body-background-fill); }
.kb-ctx-clause { padding:6px 8px; border-radius:6px; margin-bottom:4px; color:var(--body-text-color-subdued); }
.kb-ctx-clause.kb-cited { color:var(--body-text-color); background:#fffbe6; border:1px solid #ffd666; }
.kb-ctx-text { white-space:pre-wrap; }
.kb-notice { padding:8px 12px; border-radius:6px; font-size:14px; }
.kb-info { background:#e6f4ff; color:#003a8c; }
.kb-ok { background:#f6ffed; color:#135200; border:1px solid #b7eb8f; }
.kb-error { background:#fff1f0; color:#a8071a; border:1px solid #ffa39e; }
.kb-units { font-size:14px; line-height:1.65; }
.kb-scroll-task { max-height: 420px; overflow-y: auto; }
.kb-units .kb-path { margin-top:8px; }
.kb-units-head { margin-bottom:6px; font-weight:600; }
.kb-count { margin-left:8px; color:var(--body-text-color-subdued); font-weight:400; }
.kb-chip { display:inline-block; padding:2px 10px; margin:3px 4px 3px 0; border-radius:12px;
           background:#e6f4ff; border:1px solid #91caff; font-size:13px; }
.kb-chip.kb-lead { background:#fff7e6; border-color:#ffd591; font-weight:600; }
.kb-hint { color:var(--body-text-color-subdued); font-size:13px; }
.kb-scroll-doc { max-height: 330px; overflow-y: auto; margin-top: 6px; }
.kb-docview { font-size:14px; line-height:1.65; }
.kb-doc-meta { color:var(--body-text-color-subdued); font-size:13px; margin-bottom:6px; }
.kb-doc-meta span { margin-right:14px; }
.kb-doc-h { font-weight:700; margin:8px 0 2px; }
.kb-doc-h1, .kb-doc-h2, .kb-doc-h3 { font-weight:600; padding-left:12px; }
.kb-doc-clause { margin:2px 0 6px; }
/* dark mode (Gradio follows the system setting) */
.dark mark.kb-hl { background:#7c5e00; }
.dark .kb-ctx-clause.kb-cited { background:#2e2700; border-color:#8a6d00; }
.dark .kb-note { color:#f0c060; }
.dark .kb-info { background:#0b2a4a; color:#bcdcff; }
.dark .kb-ok { background:#112a11; color:#c7f0b5; border-color:#2f6b2f; }
.dark .kb-error { background:#3a1212; color:#ffc9c9; border-color:#7a2b2b; }
.dark .kb-chip { background:#0b2a4a; border-color:#1d4f85; }
.dark .kb-chip.kb-lead { background:#3a2a00; border-color:#8a6d00; }
"""


def theme() -> gr.themes.Base:
    """Local CJK fonts only: nothing is fetched from a font CDN."""
    cjk = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
           "WenQuanYi Micro Hei", "sans-serif"]
    # Tables render cells in the mono font: the same CJK sans keeps digits and text alike.
    return gr.themes.Soft(primary_hue="blue", font=cjk, font_mono=cjk)


def launch_options(settings: Settings) -> dict:
    """launch() keywords that belong to the app (theme, CSS, upload size, no API links)."""
    return {"theme": theme(), "css": CSS, "max_file_size": settings.max_file_bytes,
            "footer_links": [], "show_error": False}


def start(kb: KnowledgeBase, settings: Settings, guard: WebGuard | None = None) -> RunningServer:
    """The app, behind app/web_security.py's checks (`guard`), served in a background thread."""
    guard = guard or WebGuard(settings)
    demo = build_app(kb, settings, guard)
    demo.queue(default_concurrency_limit=4, max_size=64)
    return guard.start(demo, **launch_options(settings))


def serve(kb: KnowledgeBase, settings: Settings) -> None:
    run_until_stopped(lambda: start(kb, settings))


# -- tables (pure: KnowledgeBase objects -> DataFrames) ---------------------------------

def _titles(kb: KnowledgeBase) -> dict[str, str]:
    return {d.doc_id: d.title for d in kb.documents()}


def _clause_title(c: Clause) -> str:
    return c.title or (c.path[-1] if c.path else c.clause_id)


def _task_label(c: Clause, title: str, many_docs: bool) -> str:
    label = f"{c.clause_id} {_clause_title(c)}"
    return f"{label}｜{title}" if many_docs else label


def task_key(c: Clause) -> str:
    return f"{c.doc_id}::{c.clause_id}"


def merge_parts(clauses: list[Clause]) -> list[Clause]:
    """One row per clause: the parts of a long clause (split for retrieval) joined again,
    their units united in order. Document order is kept."""
    merged: dict[str, Clause] = {}
    for c in clauses:
        key = task_key(c)
        if key not in merged:
            merged[key] = dataclasses.replace(c, part=0, units=list(c.units),
                                              lead_units=list(c.lead_units))
            continue
        m = merged[key]
        m.text = m.text + "\n" + c.text
        m.units += [u for u in c.units if u not in m.units]
        m.lead_units += [u for u in c.lead_units if u not in m.lead_units]
    return list(merged.values())


TASK_WIDTHS = {True: ["11%", "17%", "22%", "35%", "15%"], False: ["12%", "20%", "28%", "40%"]}


def tasks_frame(clauses: list[Clause], titles: dict[str, str]) -> pd.DataFrame:
    """One row per task; the section is the path above the task's own heading, the text a
    short excerpt (the full text is in the task panel and the downloads). The document
    column only when the tasks come from more than one document."""
    many = len({c.doc_id for c in clauses}) > 1
    rows = [[c.clause_id, _clause_title(c), " > ".join(c.path[:-1]) or c.section,
             R.snippet(c.text, 45)] + ([titles.get(c.doc_id, c.doc_id)] if many else [])
            for c in clauses]
    return pd.DataFrame(rows, columns=TASK_COLS if many else TASK_COLS[:-1])


def tasks_export_frame(clauses: list[Clause], titles: dict[str, str]) -> pd.DataFrame:
    rows = [[titles.get(c.doc_id, c.doc_id), c.clause_id, _clause_title(c), c.section,
             "、".join(c.units), c.text] for c in clauses]
    return pd.DataFrame(rows, columns=["文档", "条款", "任务", "所在章节", "责任单位", "条款原文"])


def matrix_frame(clauses: list[Clause], titles: dict[str, str]) -> pd.DataFrame:
    """Tasks × units, ✓ where the unit is responsible; units ordered by number of tasks."""
    tasks = [c for c in merge_parts(clauses) if c.units]
    many = len({c.doc_id for c in tasks}) > 1
    counts: dict[str, int] = {}
    for c in tasks:
        for u in dict.fromkeys(c.units):
            counts[u] = counts.get(u, 0) + 1
    units = sorted(counts, key=lambda u: -counts[u])   # stable: document order on ties
    rows = []
    for c in tasks:
        have = set(c.units)
        first = [c.clause_id, _clause_title(c)] + ([titles.get(c.doc_id, c.doc_id)] if many else [])
        rows.append(first + ["✓" if u in have else "" for u in units])
    cols = ["条款", "任务"] + (["文档"] if many else []) + units
    return pd.DataFrame(rows, columns=cols)


def targets_frame(pairs, titles: dict[str, str]) -> pd.DataFrame:
    rows = [[titles.get(c.doc_id, c.doc_id), c.clause_id, t.subject, t.display, t.comparison,
             t.period, t.text] for c, t in pairs]
    return pd.DataFrame(rows, columns=TARGET_COLS)


def filter_frame(df: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows containing every whitespace-separated term of `query` (any column)."""
    terms = [t.lower() for t in (query or "").split() if t]
    if not terms or df.empty:
        return df
    hay = df.astype(str).agg(" ".join, axis=1).str.lower()
    keep = pd.Series(True, index=df.index)
    for t in terms:
        keep &= hay.str.contains(t, regex=False)
    return df[keep].reset_index(drop=True)


def documents_frame(kb: KnowledgeBase) -> pd.DataFrame:
    rows = [[d.title or d.doc_id, d.doc_number, d.issuer, d.written_date, d.kind, d.level,
             d.clause_count] for d in kb.documents()]
    return pd.DataFrame(rows, columns=DOC_COLS)


def missing_frame(kb: KnowledgeBase) -> pd.DataFrame:
    titles = _titles(kb)
    rows = []
    for m in kb.missing_citations():
        by = m.get("cited_by", [])
        by = [by] if isinstance(by, str) else list(by or [])
        rows.append([m.get("title", ""), m.get("doc_number", ""),
                     "、".join(titles.get(b, b) for b in by)])
    return pd.DataFrame(rows, columns=MISSING_COLS)


def retrieval_frame(hits, titles: dict[str, str]) -> pd.DataFrame:
    def num(x, nd=3):
        return "" if x is None else round(float(x), nd)

    def rank(x):
        return "" if x is None else int(x)

    rows = []
    for i, h in enumerate(hits, 1):
        c = h.clause
        text = c.text if len(c.text) <= 100 else c.text[:100] + "…"
        rows.append([i, c.clause_id, _clause_title(c), num(h.score, 4), num(h.dense), rank(h.dense_rank),
                     num(h.keyword), rank(h.keyword_rank), titles.get(c.doc_id, c.doc_id), text])
    return pd.DataFrame(rows, columns=RETRIEVE_COLS)


def _inert_cell(value):
    """Document text must not become a spreadsheet formula (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class _Exports:
    """CSV / Excel files for download, each written to its own fresh folder; only the
    newest `keep` folders are kept (Gradio copies a returned file into its own cache)."""

    def __init__(self, keep: int = 50) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kb-web-"))
        atexit.register(shutil.rmtree, self.root, ignore_errors=True)
        self.keep = keep
        self.folders: deque[Path] = deque()
        self.lock = threading.Lock()

    def write(self, df: pd.DataFrame, stem: str) -> tuple[str, str]:
        df = df.map(_inert_cell)
        stem = re.sub(r'[\\/:*?"<>|\[\]\s]+', "_", stem).strip("._") or "export"
        folder = self.root / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True)
        with self.lock:
            self.folders.append(folder)
            while len(self.folders) > self.keep:
                shutil.rmtree(self.folders.popleft(), ignore_errors=True)
        csv, xlsx = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
        df.to_csv(csv, index=False, encoding="utf-8-sig")   # BOM: Excel reads UTF-8 Chinese
        df.to_excel(xlsx, index=False, sheet_name=stem[:31], engine="openpyxl")
        return str(csv), str(xlsx)


# -- the app ----------------------------------------------------------------------

def build_app(kb: KnowledgeBase, settings: Settings, guard: WebGuard | None = None) -> gr.Blocks:
    """The Gradio app; `guard` decides who may write (app/web_security.py)."""
    guard = guard or WebGuard(settings)
    exports = _Exports()
    can_write_locally = not settings.admin_password and is_loopback(settings.host)

    def guarded(fn, fallback):
        """Run a handler; an unexpected error is logged and becomes `fallback(message)`.
        The wrapper keeps fn's signature: Gradio reads gr.Request / gr.Progress from it."""
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

    # ---------------------------------------------------------------- 问答
    def ask(question: str, chat: list, asked: list):
        q = (question or "").strip()
        chat = list(chat or [])
        asked = list(asked or [])
        try:
            ans: Answer = kb.ask(q, history=asked or None)
        except InputError as e:
            if q:
                shown = q if len(q) <= 200 else q[:200] + "…"
                chat.append({"role": "user", "content": R.user_message(shown)})
            chat.append({"role": "assistant", "content": R.error_message(str(e))})
            return (question, chat, asked) + tuple(gr.skip() for _ in range(4))
        except Exception:   # noqa: BLE001
            log.exception("ask failed")
            chat.append({"role": "user", "content": R.user_message(q)})
            chat.append({"role": "assistant", "content": R.error_message(INTERNAL_ERROR)})
            return (question, chat, asked) + tuple(gr.skip() for _ in range(4))
        chat.append({"role": "user", "content": R.user_message(q)})
        chat.append({"role": "assistant", "content": R.answer_message(ans)})
        asked.append(q)
        cites = list(ans.citations)
        first = 0 if cites else None
        return ("", chat, asked, cites, ans.abstained,
                R.citations_html(cites, ans.abstained, selected=first), show_context(cites, first))

    def show_context(cites: list[Citation], index):
        if index is None or not cites or not (0 <= int(index) < len(cites)):
            return R.context_html([], None)
        c = cites[int(index)]
        try:
            clauses = kb.clauses(c.doc_id)
        except Exception:   # noqa: BLE001
            log.exception("clauses(%s) failed", c.doc_id)
            return R.notice_html(INTERNAL_ERROR, "error")
        return R.context_html(clauses, c)

    def card_clicked(cites: list[Citation], abstained: bool, evt: gr.EventData):
        """A click on an evidence card: mark it, show its clause in its section."""
        index = getattr(evt, "index", None)
        if not isinstance(index, int) or not (0 <= index < len(cites or [])):
            return gr.skip(), gr.skip()
        return R.citations_html(cites, abstained, selected=index), show_context(cites, index)

    def pick_example(evt: gr.SelectData):
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value or "")

    def clear_chat():
        return [], [], [], False, R.citations_html([]), R.context_html([], None), ""

    # ---------------------------------------------------------------- 责任单位
    def unit_lookup(name: str):
        name = (name or "").strip()
        if not name:
            return unit_lookup_error("还没有选择单位")
        canonical, clauses = kb.unit_tasks(name)
        canonical = canonical or name
        if not clauses:
            return unit_lookup_error(f"没有找到“{canonical}”负责的任务。")
        titles = _titles(kb)
        clauses = merge_parts(clauses)
        alias = f"（“{name}”即“{canonical}”）" if canonical != name else ""
        msg = R.notice_html(f"{canonical}{alias}：共负责 {len(clauses)} 项任务。"
                            "点击表格中的一行，右侧显示该任务的全部责任单位和原文。", "ok")
        keys = [task_key(c) for c in clauses]
        csv, xlsx = exports.write(tasks_export_frame(clauses, titles), f"{canonical}的任务"[:60])
        first = clauses[0]
        table = tasks_frame(clauses, titles)
        widths = TASK_WIDTHS[len(table.columns) == len(TASK_COLS)]
        return (msg, gr.update(value=table, column_widths=widths), keys, gr.update(value=keys[0]),
                R.units_html(first, titles.get(first.doc_id, "")),
                gr.update(value=csv, visible=True), gr.update(value=xlsx, visible=True))

    def unit_lookup_error(message: str):
        if message != INTERNAL_ERROR:
            message = message.rstrip("。") + "。可从下拉列表选择单位，或输入常用简称（如“州教体局”）。"
        return (R.notice_html(message, "error"), tasks_frame([], {}), [], gr.skip(),
                R.units_html(None), gr.update(visible=False), gr.update(visible=False))

    def task_row_selected(keys: list[str], evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not keys or row is None or not (0 <= int(row) < len(keys)):
            return gr.skip()
        return keys[int(row)]

    def task_units(key: str):
        if not key:
            return R.units_html(None)
        doc_id = key.split("::", 1)[0]
        for c in merge_parts(kb.clauses(doc_id)):
            if task_key(c) == key:
                return R.units_html(c, _titles(kb).get(doc_id, ""))
        return R.units_html(None)

    def unit_data():
        """Choices for the unit and task pickers, the matrix and its download files."""
        clauses = kb.clauses()
        titles = _titles(kb)
        tasks = [c for c in merge_parts(clauses) if c.units]
        many = len({c.doc_id for c in tasks}) > 1
        task_choices = [(_task_label(c, titles.get(c.doc_id, c.doc_id), many), task_key(c))
                        for c in tasks]
        matrix = matrix_frame(clauses, titles)
        csv, xlsx = exports.write(matrix, "责任单位矩阵")
        return (gr.update(choices=kb.unit_names()), gr.update(choices=task_choices), matrix,
                gr.update(value=csv), gr.update(value=xlsx))

    # ---------------------------------------------------------------- 目标指标
    def target_data(query: str):
        df = filter_frame(targets_frame(kb.targets(), _titles(kb)), query)
        csv, xlsx = exports.write(df, "目标指标")
        query = (query or "").strip()
        note = R.notice_html(f"共 {len(df)} 条指标" + (f"（筛选：{query}）" if query else ""))
        one_doc = df["文档"].nunique() <= 1       # the column says nothing then: shown in the note
        shown = df.drop(columns=["文档"]) if one_doc else df
        if one_doc and len(df):
            note = R.notice_html(f"{df['文档'].iloc[0]}：共 {len(df)} 条指标"
                                 + (f"（筛选：{query}）" if query else ""))
        return (gr.update(value=shown, column_widths=TARGET_WIDTHS[not one_doc]), note,
                gr.update(value=csv), gr.update(value=xlsx))

    # ---------------------------------------------------------------- 文档库
    def library_data():
        docs = kb.documents()
        choices = [(f"{d.title}（{d.doc_id}）" if d.title and d.title != d.doc_id else d.doc_id,
                    d.doc_id) for d in docs]
        return (documents_frame(kb), missing_frame(kb), gr.update(choices=choices, value=None),
                [d.doc_id for d in docs])

    def doc_row_selected(doc_ids: list[str], evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not doc_ids or row is None or not (0 <= int(row) < len(doc_ids)):
            return gr.skip()
        return doc_ids[int(row)]

    def view_document(doc_id: str | None):
        doc = next((d for d in kb.documents() if d.doc_id == doc_id), None) if doc_id else None
        return R.document_html(doc, kb.clauses(doc_id) if doc else [])

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

    # ---------------------------------------------------------------- 检索测试
    def retrieve(query: str, mode: str):
        q = (query or "").strip()
        if not q:
            return R.notice_html("请输入检索词。", "error"), gr.skip()
        hits = kb.retrieve(q, mode or "hybrid", k=10)
        note = R.notice_html(f"{RETRIEVE_MODES.get(mode, mode)}：返回 {len(hits)} 个条款")
        return note, retrieval_frame(hits, _titles(kb))

    def retrieve_error(message: str):
        return R.notice_html(message, "error"), gr.skip()

    # ================================================================= layout
    with gr.Blocks(title="职业教育政策知识库", analytics_enabled=False,
                   delete_cache=(3600, 3600)) as demo:
        gr.HTML('<div id="kb-header"><h1>楚雄州职业教育政策知识库</h1>'
                "<span>结构化检索与有引文的问答 · 每个回答都给出原文条款</span></div>",
                js_on_load=None)
        with gr.Tabs():
            # ---------------------------------------------------------- 问答
            with gr.Tab("问答", id="qa"):
                asked = gr.State([])
                cites = gr.State([])
                abstained = gr.State(False)
                with gr.Row(equal_height=False):
                    with gr.Column(scale=11, min_width=420):
                        chat = gr.Chatbot(
                            label="对话", height=455, latex_delimiters=[], elem_id="kb-chat",
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
                            clear_btn = gr.Button("清空", scale=1, min_width=70)
                    with gr.Column(scale=9, min_width=360):
                        gr.HTML('<div class="kb-panel-head">引用的条款'
                                '<span>点击条款，查看它在原文中的上下文</span></div>', js_on_load=None)
                        evidence = gr.HTML(R.citations_html([]), elem_id="kb-evidence",
                                           elem_classes=["kb-scroll"], js_on_load=CARD_CLICK_JS)
                        context = gr.HTML(R.context_html([], None), elem_id="kb-context",
                                          elem_classes=["kb-scroll-ctx"], js_on_load=SCROLL_TO_CITED_JS)
                ask_outputs = [question, chat, asked, cites, abstained, evidence, context]
                # One public endpoint, /ask, for the box, the button and API clients (eval/load.py);
                # the UI-only events stay out of the API docs.
                gr.on([question.submit, ask_btn.click], ask, [question, chat, asked], ask_outputs, api_name="ask")
                chat.example_select(pick_example, None, question, api_visibility="undocumented").then(
                    ask, [question, chat, asked], ask_outputs, api_visibility="undocumented")
                evidence.click(card_clicked, [cites, abstained], [evidence, context], api_visibility="undocumented")
                clear_outputs = [chat, asked, cites, abstained, evidence, context, question]
                clear_btn.click(clear_chat, None, clear_outputs, api_visibility="undocumented")
                chat.clear(clear_chat, None, clear_outputs, api_visibility="undocumented")

            # ---------------------------------------------------------- 责任单位
            with gr.Tab("责任单位", id="units") as units_tab:
                with gr.Tabs():
                    with gr.Tab("按单位查任务"):
                        with gr.Row():
                            unit_pick = gr.Dropdown(choices=[], allow_custom_value=True,
                                                    label="责任单位（可从列表选择，也可输入简称，如“州教体局”）",
                                                    scale=5, elem_id="kb-unit")
                            unit_btn = gr.Button("查询任务", variant="primary", scale=1, min_width=90,
                                                 elem_id="kb-unit-btn")
                        unit_msg = gr.HTML(R.notice_html("选择或输入一个单位，查看它负责的全部任务。"),
                                           js_on_load=None, elem_id="kb-unit-msg")
                        unit_keys = gr.State([])
                        with gr.Row(equal_height=False):
                            with gr.Column(scale=13):
                                unit_tasks_df = gr.Dataframe(
                                    value=tasks_frame([], {}), interactive=False, wrap=True,
                                    max_height=420, label="该单位负责的任务（点击一行查看详情）",
                                    column_widths=TASK_WIDTHS[False],
                                    elem_id="kb-unit-tasks", elem_classes=["kb-table"])
                                with gr.Row():
                                    unit_csv = gr.DownloadButton("下载任务清单 CSV", size="sm",
                                                                 visible=False)
                                    unit_xlsx = gr.DownloadButton("下载任务清单 Excel", size="sm",
                                                                  visible=False)
                            with gr.Column(scale=7, min_width=300):
                                task_pick = gr.Dropdown(choices=[], label="任务（可选任意任务）",
                                                        elem_id="kb-task")
                                task_units_html = gr.HTML(R.units_html(None), js_on_load=None,
                                                          elem_id="kb-task-units",
                                                          elem_classes=["kb-scroll-task"])
                    with gr.Tab("任务 × 单位矩阵"):
                        gr.HTML('<div class="kb-hint">每行一项任务，每列一个责任单位（按负责任务数排序），'
                                "✓ 表示该单位负责此任务。</div>", js_on_load=None)
                        matrix_df = gr.Dataframe(interactive=False, max_height=450, pinned_columns=2,
                                                 elem_id="kb-matrix", elem_classes=["kb-table"])
                        with gr.Row():
                            matrix_csv = gr.DownloadButton("下载 CSV", size="sm", variant="secondary")
                            matrix_xlsx = gr.DownloadButton("下载 Excel", size="sm", variant="secondary")
                unit_outputs = [unit_msg, unit_tasks_df, unit_keys, task_pick, task_units_html,
                                unit_csv, unit_xlsx]
                unit_fn = guarded(unit_lookup, unit_lookup_error)
                unit_btn.click(unit_fn, unit_pick, unit_outputs)
                unit_pick.input(unit_fn, unit_pick, unit_outputs)
                unit_pick.select(unit_fn, unit_pick, unit_outputs)
                unit_tasks_df.select(task_row_selected, unit_keys, task_pick)
                task_pick.change(guarded(task_units, lambda m: R.notice_html(m, "error")),
                                 task_pick, task_units_html)
                unit_data_outputs = [unit_pick, task_pick, matrix_df, matrix_csv, matrix_xlsx]
                units_tab.select(unit_data, None, unit_data_outputs)

            # ---------------------------------------------------------- 目标指标
            with gr.Tab("目标指标", id="targets") as targets_tab:
                with gr.Row():
                    target_filter = gr.Textbox(placeholder="筛选：输入关键词，如 培训、2026、% ……",
                                               show_label=False, scale=5, elem_id="kb-target-filter")
                    target_btn = gr.Button("筛选", scale=1, min_width=80)
                target_note = gr.HTML(js_on_load=None)
                targets_df = gr.Dataframe(
                    value=pd.DataFrame(columns=TARGET_COLS), interactive=False, wrap=True,
                    max_height=430, column_widths=TARGET_WIDTHS[True],
                    elem_id="kb-targets", elem_classes=["kb-table"])
                with gr.Row():
                    targets_csv = gr.DownloadButton("下载 CSV", size="sm")
                    targets_xlsx = gr.DownloadButton("下载 Excel", size="sm")
                target_outputs = [targets_df, target_note, targets_csv, targets_xlsx]
                target_fn = guarded(target_data, lambda m: (gr.skip(), R.notice_html(m, "error"),
                                                            gr.skip(), gr.skip()))
                target_filter.submit(target_fn, target_filter, target_outputs)
                target_btn.click(target_fn, target_filter, target_outputs)
                targets_tab.select(target_fn, target_filter, target_outputs)

            # ---------------------------------------------------------- 文档库
            with gr.Tab("文档库", id="library") as library_tab:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=13):
                        docs_df = gr.Dataframe(value=pd.DataFrame(columns=DOC_COLS), interactive=False,
                                               wrap=True, max_height=300, label="已收录的文档",
                                               column_widths=["30%", "16%", "15%", "12%", "10%", "8%", "9%"],
                                               elem_id="kb-docs", elem_classes=["kb-table"])
                        missing_df = gr.Dataframe(value=pd.DataFrame(columns=MISSING_COLS),
                                                  interactive=False, wrap=True, max_height=220,
                                                  label="被引用但未收录的文件（建议补充）",
                                                  column_widths=["55%", "20%", "25%"],
                                                  elem_id="kb-missing", elem_classes=["kb-table"])
                        doc_view = gr.HTML(R.document_html(None, []), js_on_load=None,
                                           elem_id="kb-docview", elem_classes=["kb-scroll-doc"])
                    with gr.Column(scale=7, min_width=320):
                        if settings.admin_password:
                            password = gr.Textbox(label="管理员口令（上传、删除需要）", type="password",
                                                  elem_id="kb-password")
                            guard.unlock_uploads_with(password)
                        else:
                            password = gr.Textbox(visible=False, type="password")
                            gr.HTML(R.notice_html(
                                "本机运行，未设置管理员口令：可以直接上传、删除。" if can_write_locally else
                                "未设置管理员口令且服务对外开放：上传、删除已禁用。",
                                "info" if can_write_locally else "error"), js_on_load=None)
                        upload_file = gr.File(label="上传文档（.txt .md .html .docx .pdf）",
                                              file_types=UPLOAD_TYPES, type="filepath", height=120,
                                              elem_id="kb-upload")
                        upload_btn = gr.Button("导入知识库", variant="primary", elem_id="kb-import")
                        upload_msg = gr.HTML(js_on_load=None, elem_id="kb-upload-msg")
                        with gr.Row():
                            remove_pick = gr.Dropdown(choices=[], label="选择文档（查看 / 删除）",
                                                      scale=3, elem_id="kb-remove-pick")
                            remove_btn = gr.Button("删除", variant="stop", scale=1, min_width=70)
                        remove_msg = gr.HTML(js_on_load=None, elem_id="kb-remove-msg")
                doc_ids = gr.State([])
                library_outputs = [docs_df, missing_df, remove_pick, doc_ids]
                docs_df.select(doc_row_selected, doc_ids, remove_pick)
                remove_pick.change(guarded(view_document, lambda m: R.notice_html(m, "error")),
                                   remove_pick, doc_view)
                write_opts = {"concurrency_id": "kb-write", "concurrency_limit": 1}
                upload_fn = guarded(upload, lambda m: write_error(f"未能导入：{m}"))
                remove_fn = guarded(remove, lambda m: write_error(f"未能删除：{m}"))
                upload_btn.click(upload_fn, [upload_file, password], upload_msg, **write_opts).then(
                    library_data, None, library_outputs)
                remove_btn.click(remove_fn, [remove_pick, password], remove_msg, js=CONFIRM_REMOVE_JS,
                                 **write_opts).then(library_data, None, library_outputs)
                library_tab.select(library_data, None, library_outputs)

            # ---------------------------------------------------------- 检索测试
            with gr.Tab("检索测试", id="retrieve"):
                with gr.Row():
                    rq = gr.Textbox(placeholder="输入检索词，查看混合检索的打分与排名", show_label=False,
                                    scale=5, elem_id="kb-retrieve-q")
                    rmode = gr.Radio([("混合", "hybrid"), ("向量", "dense"), ("关键词", "keyword")],
                                     value="hybrid", show_label=False, scale=2, min_width=220)
                    rbtn = gr.Button("检索", variant="primary", scale=1, min_width=80)
                rnote = gr.HTML(js_on_load=None)
                rdf = gr.Dataframe(value=pd.DataFrame(columns=RETRIEVE_COLS), interactive=False,
                                   wrap=True, max_height=500,
                                   column_widths=["5%", "8%", "12%", "7%", "8%", "7%", "7%", "7%", "11%", "28%"],
                                   elem_id="kb-retrieve", elem_classes=["kb-table"])
                r_fn = guarded(retrieve, retrieve_error)
                rq.submit(r_fn, [rq, rmode], [rnote, rdf])
                rbtn.click(r_fn, [rq, rmode], [rnote, rdf])

        demo.load(guarded(unit_data, lambda m: tuple(gr.skip() for _ in range(5))), None,
                  unit_data_outputs)
        demo.load(target_fn, target_filter, target_outputs)
        demo.load(guarded(library_data, lambda m: tuple(gr.skip() for _ in range(4))), None,
                  library_outputs)
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
