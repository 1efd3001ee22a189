"""Uploaded or ingested files -> clean text, one heading or paragraph per line.

Encodings are detected, not guessed. Anything we cannot read safely is refused
with an InputError whose message is shown to the user as is.
"""
from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from pathlib import Path

import docx
import lxml.html
import trafilatura
from charset_normalizer import from_bytes
from docx.table import Table
from lxml import etree
from pypdf import PdfReader
from pypdf.errors import DependencyError

from kb.schema import InputError

SUPPORTED = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")

MB = 1024 * 1024
ZIP_MAX_TOTAL = 200 * MB   # declared uncompressed size of a .docx
ZIP_MAX_RATIO = 100        # uncompressed / compressed, over the whole archive

# Files people upload under a text extension by mistake.
_SIGNATURES = {
    b"%PDF-": "PDF 文档",
    b"PK\x03\x04": "压缩包或 Word(.docx) 文档",
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
}
_NOT_TEXT = "文件包含二进制内容，不是文本文件（binary content）"
_CORRUPT_DOCX = "无法读取 .docx：文件已损坏或不是 Word 文档（corrupt .docx）"
_CORRUPT_PDF = "无法读取 PDF：文件已损坏（corrupt PDF）"

_BINARY_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_BINARY_SHARE = 0.05
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b\ufeff]")
_GB_NAMES = {"gb18030", "gbk", "gb2312"}
_GB_CHAOS_TOLERANCE = 0.05
_LINE_CHAOS = 0.1           # a line detection reads as noisier than this is not text
# Control and bidi-override characters (which can disguise an extension), and
# characters Windows refuses in names.
_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069<>:"|?*]')
_HTML_DROP = "//script|//style|//noscript|//template|//head|//nav|//header|//footer|//aside|//form|//iframe"
_HTML_BLOCKS = ("p", "div", "br", "li", "tr", "table", "section", "article", "blockquote", "pre",
                "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_document(path: str | Path) -> str:
    path = Path(path)
    return read_bytes(path.read_bytes(), path.name)


def read_bytes(data: bytes, filename: str, max_bytes: int | None = None) -> str:
    """The text of a document; max_bytes=None means no size limit (uploads pass one)."""
    name = _basename(filename)
    check_size(data, name, max_bytes)
    if not data:
        raise _error(name, "空文件（empty file）")
    ext = _extension(name)
    if ext not in SUPPORTED:
        raise _unsupported(name, ext)
    text = _clean(_extract(data, ext, name))
    if not text:
        raise _error(name, "文件中没有可提取的文字（no text found）")
    return text


def check_size(data: bytes, filename: str, max_bytes: int | None) -> None:
    if max_bytes is not None and len(data) > max_bytes:
        raise _error(_basename(filename), f"文件过大（{_mb(len(data))}），上限为 {_mb(max_bytes)}（file too large）")


def safe_filename(name: str) -> str:
    """A bare file name that stays inside any directory it is joined to."""
    base = unicodedata.normalize("NFC", _basename(name))
    base = _UNSAFE_NAME_CHARS.sub("", base).strip()
    base = base.lstrip(". ").rstrip(". ")   # hidden files, "..", Windows' trailing dots
    if not base:
        raise InputError("文件名无效（invalid file name）")
    ext = _extension(base)
    if ext not in SUPPORTED:
        raise _unsupported(base, ext)
    stem = base[: -len(ext)] if ext else base
    # 255 bytes is the usual file-name limit; Chinese takes 3 bytes a character.
    stem = stem.encode()[: 255 - len(ext.encode())].decode("utf-8", "ignore")
    return stem + ext


def decode_text(data: bytes, name: str = "") -> str:
    """Bytes of a .txt/.md/.html file -> str, refusing binary content."""
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            raise _error(name, f"文件内容实际是{kind}，不是文本文件，请检查扩展名（content is not text）")
    text = _decode(data, name)
    if len(_BINARY_CHARS.findall(text)) > _BINARY_SHARE * len(text):
        raise _error(name, _NOT_TEXT)
    return text


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _error(name, _NOT_TEXT) from exc
    if b"\x00" in data:
        raise _error(name, _NOT_TEXT)
    results = from_bytes(data)
    best = results.best()
    gb = next((m for m in results if m.encoding in _GB_NAMES), None)
    # Short GBK text is often taken for Korean, Big5 or BOM-less UTF-16, or
    # nothing is found at all: prefer GB18030 when it reads as common Chinese
    # and no candidate fits clearly better (e.g. real EUC-KR Korean).
    if not (gb and best and gb.chaos > best.chaos + _GB_CHAOS_TOLERANCE):
        text = _as_common_chinese(data)
        if text is not None:
            return text
    if best is None:
        raise _error(name, "无法识别文本编码（不是文本文件？），请另存为 UTF-8 后再上传（unknown encoding）")
    return str(best)


def decode_line(data: bytes) -> str:
    """One line of text in an undeclared encoding (a question read from stdin): UTF-8, else GB18030
    when it reads as common Chinese, else what charset detection finds; InputError otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = _as_common_chinese(data)
    if text is not None:
        return text
    best = from_bytes(data).best()
    if best is None or best.chaos > _LINE_CHAOS:
        raise InputError("这一行不是可识别的文字编码（既不是 UTF-8 也不是 GBK），请另存为 UTF-8 后再提问")
    return str(best)


def _as_common_chinese(data: bytes, sample: int = 50_000) -> str | None:
    """data decoded as GB18030 when its non-ASCII characters are mostly in GB2312."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    wide = [c for c in text[:sample] if ord(c) > 0x7F]
    common = sum(1 for c in wide if _in_gb2312(c))
    return text if wide and common >= 0.9 * len(wide) else None


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _extract(data: bytes, ext: str, name: str) -> str:
    if ext == ".docx":
        return _read_docx(data, name)
    if ext == ".pdf":
        return _read_pdf(data, name)
    if ext in (".html", ".htm"):
        return _html_text(decode_text(data, name))
    return decode_text(data, name)


def _html_text(markup: str) -> str:
    """Main text of a saved web page, without menus, footers or scripts."""
    text = trafilatura.extract(markup, favor_recall=True, include_comments=False,
                               include_tables=True, deduplicate=False)
    return text or _lxml_text(markup)


def _lxml_text(markup: str) -> str:
    """All visible text, one block per line: for fragments trafilatura gives up on."""
    try:
        root = lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return ""
    for element in root.xpath(_HTML_DROP):
        element.drop_tree()
    for element in root.iter(*_HTML_BLOCKS):
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    return root.text_content()


def _read_docx(data: bytes, name: str) -> str:
    _check_zip(data, name)
    try:
        blocks = docx.Document(io.BytesIO(data)).iter_inner_content()
        lines = [line for block in blocks
                 for line in (_table_lines(block) if isinstance(block, Table) else [block.text])]
    except Exception as exc:  # python-docx raises many different types on a damaged package
        raise _error(name, _CORRUPT_DOCX) from exc
    return "\n".join(lines)


def _check_zip(data: bytes, name: str) -> None:
    """Refuse zip bombs from the declared sizes, before anything is extracted."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise _error(name, _CORRUPT_DOCX) from exc
    total = sum(m.file_size for m in members)
    ratio = total / max(sum(m.compress_size for m in members), 1)
    if total > ZIP_MAX_TOTAL or ratio > ZIP_MAX_RATIO:
        raise _error(name, f".docx 解压后达 {_mb(total)}（压缩比 {ratio:.0f}），疑似压缩炸弹，已拒绝（zip bomb）")


def _table_lines(table: Table) -> list[str]:
    """One line per data row, each repeating the header: 单位：州财政局；任务：…"""
    rows = [_row_cells(row) for row in table.rows]
    if len(rows) < 2:
        return ["；".join(text for _, text in row) for row in rows]
    header = dict(enumerate(_cell_text(cell) for cell in table.rows[0].cells))
    return ["；".join(f"{header[col]}：{text}" if header.get(col) else text for col, text in row)
            for row in rows[1:]]


def _row_cells(row) -> list[tuple[int, str]]:
    """(grid column, text) of the non-empty cells; a merged cell counts once."""
    cells, previous = [], None
    for column, cell in enumerate(row.cells):
        if cell._tc is not previous and (text := _cell_text(cell)):
            cells.append((column, text))
        previous = cell._tc
    return cells


def _cell_text(cell) -> str:
    return " ".join(cell.text.split())


def _read_pdf(data: bytes, name: str) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        # Many PDFs are encrypted with an empty user password, only to restrict printing.
        locked = reader.is_encrypted and not reader.decrypt("")
    except DependencyError:   # AES needs the optional `cryptography` package
        locked = True
    except Exception as exc:  # pypdf raises many different types on a damaged file
        raise _error(name, _CORRUPT_PDF) from exc
    if locked:
        raise _error(name, "PDF 已加密，无法读取，请解除密码保护后再上传（encrypted PDF）")
    try:
        text = "\n".join(page.extract_text() for page in reader.pages)
    except Exception as exc:
        raise _error(name, _CORRUPT_PDF) from exc
    if not text.strip():
        raise _error(name, "PDF 没有文本层（可能是扫描件），请先进行文字识别(OCR)后再上传")
    return text


def _clean(text: str) -> str:
    """Trim every line; blank lines kept as separators, never two in a row."""
    lines = (line.strip() for line in _INVISIBLE.sub("", text).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _basename(name: str) -> str:
    return re.split(r"[/\\]", name)[-1]


def _extension(name: str) -> str:
    return Path(name).suffix.lower()


def _mb(size: int) -> str:
    return f"{round(size / MB, 2):g} MB"


def _unsupported(name: str, ext: str) -> InputError:
    return _error(name, f"不支持的文件类型「{ext or '无扩展名'}」，请上传 {'、'.join(SUPPORTED)} 文件（unsupported file type）")


def _error(name: str, message: str) -> InputError:
    return InputError(f"{name}：{message}" if name else message)
