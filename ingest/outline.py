"""Heading tree -> clauses with stable ids.

Two outline styles:
- policy documents: 一、 › （一） › 1. › （1）, ids such as "二（二）1" or "二（七）1（2）";
- laws and regulations: 第X编/章/节 › 第X条, ids such as "第三章第二十四条" (节 and 编 stay in the
  path, not in the id, since article numbers are unique within a law).
Markdown "#" headings are recognised in both. A heading whose line holds only its title opens a
section; body text belongs to the nearest heading above it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.textnorm import to_halfwidth

CN_NUM = "一二三四五六七八九十百零〇两"
_POLICY_LEVELS = [
    re.compile(rf"^([{CN_NUM}]+)[、.．]\s*(.*)$"),                 # 一、
    re.compile(rf"^[（(]\s*([{CN_NUM}]+)\s*[）)]\s*[、.．]?\s*(.*)$"),  # （一）
    re.compile(r"^(\d{1,2})\s*[.．、]\s*(?!\d)(.*)$"),              # 1.
    re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]\s*[、.．]?\s*(.*)$"),    # （1）
]
_ID_FORMAT = ["{}", "（{}）", "{}", "（{}）"]
_LABEL_SEP = ["、", "", ".", ""]
_LAW_DIVISION = re.compile(rf"^#*\s*(第[{CN_NUM}\d]+(编|章|节))\s*(.*)$")
_ARTICLE = re.compile(rf"^(第[{CN_NUM}\d]+条(?:之[{CN_NUM}]+)?)\s*(.*)$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
MAX_PART_CHARS = 480


@dataclass
class RawClause:
    clause_id: str
    path: list[str]
    title: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _short_title(rest: str) -> tuple[str, bool]:
    """Heading text -> (title, heading_only). "加快优质学校建设。聚焦…" -> ("加快优质学校建设", False)."""
    m = re.match(r"^([^。；;！？]{1,40})[。；;]?(.*)$", rest)
    if not m:
        return rest[:40], False
    return m[1].strip(), not m[2].strip()


def is_law(lines: list[str]) -> bool:
    return sum(1 for ln in lines if _ARTICLE.match(ln)) >= 3


def outline(lines: list[str], title: str, notice_title: str = "") -> list[RawClause]:
    """Cleaned lines (title and chrome included) -> clauses in document order."""
    return _law_outline(lines, title) if is_law(lines) else _policy_outline(lines, title, notice_title)


def _policy_outline(lines: list[str], title: str, notice_title: str) -> list[RawClause]:
    clauses: list[RawClause] = []
    # Text before the document's own title line belongs to the covering notice, if there is one.
    title_at = next((i for i, ln in enumerate(lines) if ln.lstrip("# ") == title), None)
    if notice_title and title_at:
        notice = [ln for ln in lines[:title_at] if ln.lstrip("# ") != notice_title]
        if notice:
            clauses.append(RawClause("印发通知", [notice_title], "印发通知", notice))
    start = title_at + 1 if title_at is not None else 0
    current = RawClause("前言", [], "前言")
    stack: list[tuple[int, str, str]] = []    # (level, id piece, heading text)
    for line in lines[start:]:
        level, number, rest = _policy_heading(line)
        if level is None:
            current.lines.append(line)
            continue
        if current.lines:
            clauses.append(current)
        head_title, heading_only = _short_title(rest)
        piece = _ID_FORMAT[level].format(number)
        stack = [s for s in stack if s[0] < level] + [(level, piece, piece + _LABEL_SEP[level] + head_title)]
        path = [s[2] for s in stack]
        current = RawClause("".join(s[1] for s in stack), path, head_title, [] if heading_only else [line])
    if current.lines:
        clauses.append(current)
    return clauses


def _policy_heading(line: str) -> tuple[int | None, str, str]:
    probe = to_halfwidth(line.lstrip("#").strip())
    for level, pattern in enumerate(_POLICY_LEVELS):
        m = pattern.match(probe)
        if m and len(m[2]) > 0:
            return level, m[1], m[2]
    return None, "", ""


def _law_outline(lines: list[str], title: str) -> list[RawClause]:
    clauses: list[RawClause] = []
    header = RawClause("题注", [title], "题注")
    current: RawClause | None = header
    divisions: dict[str, str] = {}          # 编/章/节 -> heading text
    for line in lines:
        bare = line.lstrip("#").strip()
        division = _LAW_DIVISION.match(bare)
        article = _ARTICLE.match(bare)
        if division and not article:
            kind = division[2]
            divisions = {k: v for k, v in divisions.items() if "编章节".index(k) < "编章节".index(kind)}
            name = re.sub(r"\s+", "", division[3])
            divisions[kind] = f"{division[1]} {name}".strip()
            if current is not None and current.lines:
                clauses.append(current)
            current = None
            continue
        if article:
            if current is not None and current.lines:
                clauses.append(current)
            chapter = divisions.get("章", "").split(" ")[0]
            path = [divisions[k] for k in "编章节" if k in divisions] + [article[1]]
            current = RawClause(chapter + article[1], path, article[1], [line])
            continue
        if _MD_HEADING.match(line) and bare == title:
            continue
        if current is None:      # text right under a chapter heading, before its first article
            current = RawClause(divisions.get("章", "").split(" ")[0] or "前言", list(divisions.values()), "")
        current.lines.append(line)
    if current is not None and current.lines:
        clauses.append(current)
    return clauses


def split_long(text: str, limit: int = MAX_PART_CHARS) -> list[str]:
    """Split at sentence ends (。！？；) into parts of at most ~limit characters."""
    if len(text) <= limit:
        return [text]
    sentences = re.findall(r"[^。！？；\n]*[。！？；]?\n?", text)
    parts, buf = [], ""
    for s in filter(None, sentences):
        if buf and len(buf) + len(s) > limit:
            parts.append(buf)
            buf = ""
        buf += s
    if buf.strip():
        parts.append(buf)
    return [p.strip("\n") for p in parts if p.strip()]
