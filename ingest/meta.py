"""Document facts from the page header and the text: 标题, 文号, 发布机构, dates, cited documents."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.textnorm import to_halfwidth

_DOC_NUMBER = r"[\u4e00-\u9fa5]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号"
_DATE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
# "key: value |" cells of the public-information header table.
_CELL = re.compile(r"([\u4e00-\u9fa5][\u4e00-\u9fa5 ]{0,6}?)\s*[:：]\s*([^|\n]*)")
_CITED = re.compile(r"《([^《》]{2,80})》\s*[（(]?\s*(" + _DOC_NUMBER + r")?")
_EVENT = re.compile(_DATE + r"[^\n]*?(通过|修订|修正|公布|批准|施行|发布)")
# The body that passed or amended a law: 第十三届全国人民代表大会常务委员会, 北京市第十届人民代表大会常务委员会.
_LEGISLATURE = re.compile(r"(?<![\u4e00-\u9fa5])(?P<place>[\u4e00-\u9fa5]{2,8}?[省市])?(?:第[一二三四五六七八九十]+届)?"
                          r"(?P<nation>全国)?人民代表大会(?P<standing>常务委员会)?")
_DECREE = re.compile(r"(?:中华人民共和国)?(?P<body>国务院|主席)令\s*第\s*(?P<n>\d+)\s*号")
# A notice names its sender before 关于: 楚雄州教育体育局关于开展……的通知.
_SENDER = re.compile(r"^(.{2,30}?(?:局|厅|委员会|委|政府|办公室|办公厅|院|部|中心|管委会))关于")
_LEVEL_BY_PREFIX = [("中华人民共和国", "国家"), ("国务院", "国家"), ("教育部", "国家")]


@dataclass
class Facts:
    title: str = ""
    notice_title: str = ""      # "关于印发X的通知" wrapping the document
    doc_number: str = ""
    issuer: str = ""
    written_date: str = ""
    published_date: str = ""
    kind: str = ""
    level: str = ""
    dates: dict[str, str] = field(default_factory=dict)
    cites: list[dict] = field(default_factory=list)
    implements: str = ""


def iso_date(text: str) -> str:
    m = re.search(_DATE, to_halfwidth(text))
    return f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}" if m else ""


def header_cells(raw: str) -> dict[str, str]:
    """The "索引号:… | 文 号:… |" table at the top of a government page."""
    cells: dict[str, str] = {}
    lines = raw.split("\n")
    for i, line in enumerate(lines[:40]):
        for key, value in _CELL.findall(line):
            key = re.sub(r"\s+", "", key)
            value = value.strip()
            if key == "标题" and not value and i + 1 < len(lines):
                value = lines[i + 1].strip()
            if value and key not in cells:
                cells[key] = value
    return cells


def header_block(raw: str) -> list[str]:
    """The header table, verbatim and contiguous (from its first row to its last), so document
    facts can be cited like clauses."""
    lines = raw.split("\n")[:40]
    rows = [i for i, ln in enumerate(lines) if "|" in ln and _CELL.search(ln)]
    return [ln.strip() for ln in lines[rows[0]:rows[-1] + 1] if ln.strip()] if rows else []


def _kind(title: str) -> str:
    for suffix, kind in (("实施方案", "实施方案"), ("方案", "方案"), ("通知", "通知"), ("实施条例", "条例"),
                         ("条例", "条例"), ("办法", "办法"), ("规定", "规定"), ("意见", "意见"), ("法", "法律")):
        if title.endswith(suffix):
            return kind
    return "其他"


def _level(title: str, issuer: str) -> str:
    name = title + issuer
    for prefix, level in _LEVEL_BY_PREFIX:
        if name.startswith(prefix):
            return level
    if re.match(r"^(北京|上海|天津|重庆)市", name) or re.match(r"^[\u4e00-\u9fa5]{2,3}省", name):
        return "省"
    if re.search(r"[\u4e00-\u9fa5]{1,4}(州|市)", name[:8]):
        return "州市"
    if re.search(r"[\u4e00-\u9fa5]{1,4}县", name[:8]):
        return "县"
    return ""


def _enacting_body(line: str) -> str:
    """全国人民代表大会常务委员会 / 北京市人民代表大会常务委员会 / 国务院, from a 通过/修订 line."""
    m = _LEGISLATURE.search(re.sub(_DATE, " ", line))
    if m:
        return f"{m['place'] or ('全国' if m['nation'] else '')}人民代表大会{m['standing'] or ''}"
    decree = _DECREE.search(line)
    return "国务院" if decree and decree["body"] == "国务院" else ""


def _number_line(lines: list[str], first: int = 15) -> str:
    """A notice's 文号 on a line of its own under the title: 楚教体通〔2025〕99号."""
    for line in lines[:first]:
        m = re.fullmatch(_DOC_NUMBER, to_halfwidth(line.strip()))
        if m:
            return re.sub(r"\s+", "", m.group())
    return ""


def extract_facts(raw: str, lines: list[str], fallback_title: str) -> Facts:
    """`raw`: text as read (header table included); `lines`: cleaned lines."""
    cells = header_cells(raw)
    facts = Facts()
    body = "\n".join(lines)
    facts.doc_number = cells.get("文号", "")
    facts.issuer = cells.get("发布机构", "")
    facts.written_date = iso_date(cells.get("成文日期", ""))
    facts.published_date = iso_date(cells.get("发布日期", ""))
    heading = next((ln.lstrip("#").strip() for ln in lines if ln.startswith("# ")), "")
    title = cells.get("标题", "") or heading or (lines[0] if lines else fallback_title)
    notice = re.match(r"^(.*?)关于印发(.+?)的通知$", title)
    if notice:
        facts.notice_title, title = title, notice[2].strip("《》")
        facts.issuer = facts.issuer or notice[1]
    facts.title = title or fallback_title
    latest = ("", "")     # (date, line) of the latest adoption or amendment: who made this version
    head = to_halfwidth(body[:2000])
    for m in _EVENT.finditer(head):
        date = f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}"
        if m[4] == "通过":          # first adoption; later amendments keep the latest date
            facts.dates.setdefault("通过", date)
        else:
            facts.dates[m[4]] = max(date, facts.dates.get(m[4], ""))
        line = head[m.start():head.find("\n", m.start()) % (len(head) + 1)]
        if m[4] not in ("批准", "施行") and "批准" not in line and date >= latest[0]:
            latest = (date, line)     # an approval line names the approving body, not the author
    facts.issuer = facts.issuer or _enacting_body(latest[1])
    decree = _DECREE.search(latest[1])
    facts.doc_number = facts.doc_number or (f"{decree['body']}令第{decree['n']}号" if decree else "")
    facts.doc_number = facts.doc_number or _number_line(lines)
    sender = _SENDER.match(facts.notice_title or facts.title)
    facts.issuer = facts.issuer or (sender[1] if sender else "")
    effective = re.search(r"自\s*" + _DATE + r"\s*起施行", to_halfwidth(body))
    if effective:
        facts.dates["施行"] = f"{int(effective[1]):04d}-{int(effective[2]):02d}-{int(effective[3]):02d}"
    if not facts.written_date:
        signed = re.findall(r"^" + _DATE + r"$", to_halfwidth(body[:3000]), flags=re.M)
        if signed:
            y, mo, d = signed[0]
            facts.written_date = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
    seen = set()
    for m in _CITED.finditer(body):
        cited_title = m[1].replace("〈", "《").replace("〉", "》")
        if cited_title in (facts.title,) or cited_title in seen:
            continue
        seen.add(cited_title)
        facts.cites.append({"title": cited_title, "doc_number": (m[2] or "").replace(" ", "")})
    implements = re.search(r"(?:贯彻落实|贯彻|落实|根据|依据)《([^《》]+)》\s*[（(]?(" + _DOC_NUMBER + r")?", body)
    if implements:
        facts.implements = implements[1].replace("〈", "《").replace("〉", "》")
    facts.kind = _kind(facts.title)
    facts.level = _level(facts.title, facts.issuer)
    return facts
