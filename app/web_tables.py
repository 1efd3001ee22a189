"""The web app's tables and their downloads: pure functions from knowledge-base objects to
DataFrames, and CSV / Excel files (formula-safe, sensible column widths, frozen header)."""
from __future__ import annotations

import atexit
import dataclasses
import re
import shutil
import tempfile
import threading
import unicodedata
import uuid
from collections import deque
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from app import web_render as R
from kb.deadlines import base_year, clause_deadline, deadline_of_text
from kb.retrieve import superseded, version_date
from kb.schema import Clause, Document, ScoredClause, Target

TASK_COLS = ["条款", "任务", "期限", "所在章节", "条款原文（摘要）", "文档"]
TASK_EXPORT_COLS = ["文档", "条款", "任务", "期限", "所在章节", "责任单位", "条款原文"]
TARGET_COLS = ["文档", "条款", "指标内容", "数值", "比较", "期限", "责任单位", "原文"]
DOC_COLS = ["标题", "版本", "文号", "发布机构", "成文/通过日期", "类型", "条款数"]
MISSING_COLS = ["被引用文件", "文号", "引用它的文档"]
RETRIEVE_COLS = ["名次", "条款", "标题", "综合得分", "语义相似度", "语义排名", "关键词得分",
                 "关键词排名", "文档", "条款原文"]
# Documents whose numbers are rules, not goals: a law's 罚款 amount is not a plan target.
LAW_KINDS = {"法律", "条例", "办法", "规定"}
PLAN_TARGETS, LAW_NUMBERS = "plan", "law"


def clause_title(c: Clause) -> str:
    return c.title or (c.path[-1] if c.path else c.clause_id)


def task_key(c: Clause) -> str:
    return f"{c.doc_id}::{c.clause_id}"


def merge_parts(clauses: Iterable[Clause]) -> list[Clause]:
    """One row per clause: the parts of a long clause (split for retrieval) joined again,
    their units united in order. Document order is kept."""
    merged: dict[str, Clause] = {}
    for c in clauses:
        key = task_key(c)
        if key not in merged:
            merged[key] = dataclasses.replace(c, part=0, units=list(c.units),
                                              lead_units=list(c.lead_units), targets=list(c.targets))
            continue
        m = merged[key]
        m.text = m.text + "\n" + c.text
        m.units += [u for u in c.units if u not in m.units]
        m.lead_units += [u for u in c.lead_units if u not in m.lead_units]
    return list(merged.values())


def deadline_label(c: Clause, documents: dict[str, Document]) -> str:
    return clause_deadline(c, documents.get(c.doc_id)).label


def _title(documents: dict[str, Document], doc_id: str) -> str:
    d = documents.get(doc_id)
    return d.title if d and d.title else doc_id


def tasks_frame(clauses: list[Clause], documents: dict[str, Document]) -> pd.DataFrame:
    """One row per task; the section is the path above the task's own heading, the text a
    short excerpt (the full text is in the task panel and the downloads). The document
    column only when the tasks come from more than one document."""
    many = len({c.doc_id for c in clauses}) > 1
    rows = [[c.clause_id, clause_title(c), deadline_label(c, documents), " > ".join(c.path[:-1]) or c.section,
             R.snippet(c.text, 45)] + ([_title(documents, c.doc_id)] if many else [])
            for c in clauses]
    return pd.DataFrame(rows, columns=TASK_COLS if many else TASK_COLS[:-1])


def tasks_export_frame(clauses: list[Clause], documents: dict[str, Document]) -> pd.DataFrame:
    rows = [[_title(documents, c.doc_id), c.clause_id, clause_title(c), deadline_label(c, documents),
             c.section, "、".join(c.units), c.text] for c in clauses]
    return pd.DataFrame(rows, columns=TASK_EXPORT_COLS)


def matrix_frame(clauses: list[Clause], documents: dict[str, Document]) -> pd.DataFrame:
    """Tasks × units, ✓ where the unit is responsible; units ordered by number of tasks;
    each task's 期限 after its title."""
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
        first = [c.clause_id, clause_title(c), deadline_label(c, documents)]
        first += [_title(documents, c.doc_id)] if many else []
        rows.append(first + ["✓" if u in have else "" for u in units])
    cols = ["条款", "任务", "期限"] + (["文档"] if many else []) + units
    return pd.DataFrame(rows, columns=cols)


# -- targets ---------------------------------------------------------------------------------

def target_group(doc: Document | None) -> str:
    """PLAN_TARGETS for plans, notices and opinions; LAW_NUMBERS for laws and regulations."""
    return LAW_NUMBERS if doc is not None and doc.kind in LAW_KINDS else PLAN_TARGETS


def target_deadline(c: Clause, t: Target, doc: Document | None):
    """The target's own period (到2026年 before its number), else its clause's deadline."""
    own = deadline_of_text(t.period, base_year(doc)) if t.period else None
    return own if own is not None and own.stated else clause_deadline(c, doc)


@dataclasses.dataclass(frozen=True)
class TargetFilter:
    group: str = PLAN_TARGETS     # PLAN_TARGETS | LAW_NUMBERS
    unit: str = ""                # canonical unit name; "" = any
    year: int | None = None
    doc_id: str = ""
    text: str = ""                # whitespace-separated words, all must appear


def targets_frame(pairs: list[tuple[Clause, Target]], documents: dict[str, Document],
                  flt: TargetFilter = TargetFilter(), covering=None) -> pd.DataFrame:
    """One row per target of the chosen group, filtered. `covering(unit)` gives the names that
    count for a unit (a county is covered by 10县市人民政府); None = the name itself."""
    names = set(covering(flt.unit)) if flt.unit and covering else {flt.unit}
    rows = []
    for c, t in pairs:
        doc = documents.get(c.doc_id)
        if target_group(doc) != flt.group or (flt.doc_id and c.doc_id != flt.doc_id):
            continue
        if flt.unit and not names & set(c.units):
            continue
        due = target_deadline(c, t, doc)
        if flt.year is not None and not due.matches_year(flt.year):
            continue
        rows.append([_title(documents, c.doc_id), c.clause_id, t.subject, t.display, t.comparison,
                     due.label, "、".join(c.units) or "未写明", t.text])
    return filter_frame(pd.DataFrame(rows, columns=TARGET_COLS), flt.text)


def target_years(pairs: list[tuple[Clause, Target]], documents: dict[str, Document]) -> list[int]:
    years = {y for c, t in pairs for y in target_deadline(c, t, documents.get(c.doc_id)).years}
    return sorted(years)


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


# -- documents -------------------------------------------------------------------------------

def documents_frame(documents: list[Document]) -> pd.DataFrame:
    """One row per document; versions of one law are separate rows, each with its date and
    whether it is the current one."""
    old = superseded({d.doc_id: d for d in documents})
    by_id = {d.doc_id: d for d in documents}
    rows = []
    for d in documents:
        version = version_label(d)
        if d.doc_id in old:
            version += f"（已被{version_date(by_id[old[d.doc_id]])[:4]}年版取代）"
        elif any(v == d.doc_id for v in old.values()):
            version += "（现行）"
        rows.append([d.title or d.doc_id, version, d.doc_number, d.issuer,
                     d.written_date or d.dates.get("通过", "") or d.published_date, d.kind, d.clause_count])
    return pd.DataFrame(rows, columns=DOC_COLS)


def version_label(d: Document) -> str:
    """"2022-04-20 修订" — the latest date the document states and what happened then."""
    date = version_date(d)
    if not date:
        return ""
    event = next((k for k, v in d.dates.items() if v == date and k != "施行"), "")
    event = event or ("成文" if date == d.written_date else "发布" if date == d.published_date else "")
    return f"{date} {event}".strip()


def missing_frame(missing: list[dict], documents: dict[str, Document]) -> pd.DataFrame:
    rows = []
    for m in missing:
        by = m.get("cited_by", [])
        by = [by] if isinstance(by, str) else list(by or [])
        rows.append([m.get("title", ""), m.get("doc_number", ""), "、".join(_title(documents, b) for b in by)])
    return pd.DataFrame(rows, columns=MISSING_COLS)


def retrieval_frame(hits: list[ScoredClause], documents: dict[str, Document]) -> pd.DataFrame:
    def num(x, nd=3):
        return "" if x is None else round(float(x), nd)

    def rank(x):
        return "" if x is None else int(x)

    rows = []
    for i, h in enumerate(hits, 1):
        c = h.clause
        rows.append([i, c.clause_id, clause_title(c), num(h.score, 4), num(h.dense), rank(h.dense_rank),
                     num(h.keyword), rank(h.keyword_rank), _title(documents, c.doc_id), R.snippet(c.text, 100)])
    return pd.DataFrame(rows, columns=RETRIEVE_COLS)


# -- downloads ---------------------------------------------------------------------------------

def _inert_cell(value):
    """Document text must not become a spreadsheet formula (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def display_width(text: object) -> int:
    """Columns a text takes in a spreadsheet: CJK and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def column_widths(df: pd.DataFrame, least: int = 6, most: int = 60) -> list[int]:
    """Excel column widths that fit the header and most cells (the 90th percentile, so one long
    text does not make a column huge), between `least` and `most`."""
    widths = []
    for col in df.columns:
        cells = sorted(display_width(v) for v in df[col].astype(str)) or [0]
        typical = cells[min(len(cells) - 1, int(len(cells) * 0.9))]
        widths.append(max(least, min(most, max(display_width(col), typical) + 2)))
    return widths


def write_xlsx(df: pd.DataFrame, path: Path, sheet: str) -> None:
    """An Excel sheet with a bold frozen header row, fitted column widths and wrapped long text."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        df.to_excel(writer, index=False, sheet_name=sheet)
        ws = writer.sheets[sheet]
        ws.freeze_panes = "A2"
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for i, width in enumerate(column_widths(df), 1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = width
            if width >= 30:
                for cell in ws[letter][1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")


class Exports:
    """CSV / Excel files for download, each written to its own fresh folder; only the
    newest `keep` folders are kept (Gradio copies a returned file into its own cache)."""

    def __init__(self, keep: int = 50) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kb-web-"))
        atexit.register(shutil.rmtree, self.root, ignore_errors=True)
        self.keep = keep
        self.folders: deque[Path] = deque()
        self.lock = threading.Lock()

    def folder(self) -> Path:
        folder = self.root / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True)
        with self.lock:
            self.folders.append(folder)
            while len(self.folders) > self.keep:
                shutil.rmtree(self.folders.popleft(), ignore_errors=True)
        return folder

    @staticmethod
    def stem(name: str) -> str:
        return re.sub(r'[\\/:*?"<>|\[\]\s]+', "_", name).strip("._") or "export"

    def write(self, df: pd.DataFrame, stem: str) -> tuple[str, str]:
        df = df.map(_inert_cell)
        stem = self.stem(stem)
        folder = self.folder()
        csv, xlsx = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
        df.to_csv(csv, index=False, encoding="utf-8-sig")   # BOM: Excel reads UTF-8 Chinese
        write_xlsx(df, xlsx, stem[:31])
        return str(csv), str(xlsx)

    def write_text(self, text: str, name: str) -> str:
        path = self.folder() / self.stem(name)
        path.write_text(text, encoding="utf-8")
        return str(path)
