"""ingest.read: every kind of upload becomes clean text or a clear InputError."""
from __future__ import annotations

import html
import io
import os
import random
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from ingest import read
from ingest.read import decode_text, read_bytes, read_document, safe_filename
from kb.schema import InputError

CORPUS = next((Path(__file__).resolve().parent.parent / "corpus").glob("*.txt"))
PLAN = CORPUS.read_text(encoding="utf-8")
PLAN_LINES = [line.strip() for line in PLAN.splitlines() if line.strip()]
PLAN_BODY = PLAN_LINES[PLAN_LINES.index("楚雄州职业教育提质增效工作实施方案"):]
NO_TEXT_LAYER = "PDF 没有文本层（可能是扫描件），请先进行文字识别(OCR)后再上传"
MB = 1024 * 1024


# ---- fixtures, built in memory -------------------------------------------

def pdf_bytes(*pages: bytes, resources: bytes = b"<< >>", extra: tuple[bytes, ...] = ()) -> bytes:
    """A minimal PDF with correct xref offsets: one content stream per page.

    Objects 1-2 are the catalog and page tree; `extra` objects come next (the
    font, image … a page's resources refer to as 3 0 R, 4 0 R …), then pages.
    """
    first_page = 3 + len(extra)
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(pages)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)), *extra]
    for i, content in enumerate(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources %s"
                       b" /Contents %d 0 R >>" % (resources, first_page + 2 * i + 1))
        objects.append(stream(content))
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def stream(data: bytes, attributes: bytes = b"") -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (attributes, len(data), data)


def chinese_pdf(*pages: list[str]) -> bytes:
    """A text-layer PDF in Chinese: a Helvetica font whose ToUnicode CMap maps
    one-byte codes to the characters used, so no CJK font is needed."""
    chars = sorted({c for lines in pages for line in lines for c in line})
    code = {c: 0x21 + i for i, c in enumerate(chars)}
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "1 begincodespacerange <00> <FF> endcodespacerange\n"
            f"{len(chars)} beginbfchar\n"
            + "".join(f"<{code[c]:02X}> <{ord(c):04X}>\n" for c in chars)
            + "endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end").encode()
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 4 0 R >>"
    contents = [("BT /F1 12 Tf 20 170 Td 14 TL\n"
                 + "".join("<" + "".join(f"{code[c]:02X}" for c in line) + "> Tj T*\n" for line in lines)
                 + "ET").encode() for lines in pages]
    return pdf_bytes(*contents, resources=b"<< /Font << /F1 3 0 R >> >>", extra=(font, stream(cmap)))


def vector_only_pdf() -> bytes:
    return pdf_bytes(b"0 0 1 RG 20 20 m 280 180 l S 50 50 100 80 re f")


def image_only_pdf() -> bytes:
    image = stream(bytes(range(0, 256, 16)) * 4, b"/Type /XObject /Subtype /Image /Width 8 /Height 8"
                   b" /ColorSpace /DeviceGray /BitsPerComponent 8")
    return pdf_bytes(b"q 200 0 0 150 50 25 cm /Im1 Do Q",
                     resources=b"<< /XObject << /Im1 3 0 R >> >>", extra=(image,))


def encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(chinese_pdf(["一、工作目标"]))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(build=lambda document: document.add_paragraph("一、工作目标")) -> bytes:
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_zip_member(archive: bytes, name: str, data: bytes, method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO(archive)
    with zipfile.ZipFile(out, "a") as zf:
        zf.writestr(name, data, compress_type=method)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    # 10 MB of zeros deflate to ~10 KB: ratio ~1000.
    return with_zip_member(docx_bytes(), "word/media/bomb.bin", bytes(10 * MB))


def zip_without_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("hello.txt", "不是 Word 文档")
    return out.getvalue()


def random_bytes(n: int, low: int = 0) -> bytes:
    rng = random.Random(n)
    return bytes(rng.randrange(low, 256) for _ in range(n))


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


# ---- bad input: one table, every case ----------------------------------------

BAD_INPUTS = [
    # (id, filename, data factory, max_bytes, expected message fragment, reaches a parser)
    ("empty", "空.txt", lambda: b"", None, "空文件", False),
    ("too-large-50MB", "大文件.pdf", lambda: b"%PDF-1.4\n" + bytes(50 * MB), 20 * MB, "上限为 20 MB", False),
    ("exe", "setup.exe", lambda: b"MZ\x90\x00\x03" + bytes(100), None, "不支持的文件类型「.exe」", False),
    ("png", "photo.png", lambda: PNG, None, "不支持的文件类型「.png」", False),
    ("old-word-doc", "方案.doc", lambda: b"\xd0\xcf\x11\xe0" + bytes(100), None, "不支持的文件类型「.doc」", False),
    ("no-extension", "README", lambda: b"text", None, "无扩展名", False),
    ("png-renamed-txt", "photo.txt", lambda: PNG, None, "PNG 图片", True),
    ("pdf-renamed-md", "plan.md", lambda: chinese_pdf(["一"]), None, "PDF 文档", True),
    ("binary-with-nul", "garbage.txt", lambda: random_bytes(4096), None, "二进制", True),
    ("binary-no-nul", "garbage.md", lambda: random_bytes(4096, low=1), None, "无法识别文本编码", True),
    ("control-chars", "ctrl.txt", lambda: b"\x01\x02\x03\x04\x05abc" * 50, None, "二进制", True),
    ("whitespace-only", "blank.txt", lambda: "  \r\n\u3000\t\n".encode(), None, "没有可提取的文字", True),
    ("corrupt-docx", "损坏.docx", lambda: b"PK\x03\x04" + random_bytes(2000), None, "文件已损坏", True),
    ("zip-not-word", "伪装.docx", zip_without_document, None, "不是 Word 文档", True),
    ("docx-zip-bomb", "炸弹.docx", zip_bomb_docx, None, "压缩炸弹", True),
    ("empty-docx", "空白.docx", lambda: docx_bytes(lambda d: None), None, "没有可提取的文字", True),
    ("corrupt-pdf", "损坏.pdf", lambda: b"%PDF-1.4\n" + random_bytes(3000, low=1), None, "无法读取 PDF", True),
    ("pdf-vector-only", "扫描件.pdf", vector_only_pdf, None, NO_TEXT_LAYER, True),
    ("pdf-image-only", "扫描件.pdf", image_only_pdf, None, NO_TEXT_LAYER, True),
    ("pdf-user-password", "加密.pdf", lambda: encrypted_pdf("secret"), None, "PDF 已加密", True),
    ("html-nav-only", "nav.html", lambda: "<nav><a href='/'>首页</a></nav><script>alert(1)</script>".encode(),
     None, "没有可提取的文字", True),
]


@pytest.mark.parametrize("filename, make, max_bytes, expected, parsed",
                         [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_refused_with_a_clear_message(monkeypatch, filename, make, max_bytes, expected, parsed):
    calls = []
    extract = read._extract
    monkeypatch.setattr(read, "_extract", lambda *args: calls.append(args) or extract(*args))
    with pytest.raises(InputError) as refused:
        read_bytes(make(), filename, max_bytes=max_bytes)
    message = str(refused.value)
    assert expected in message
    assert message.startswith(filename + "：")
    assert bool(calls) == parsed, "size, emptiness and type are checked before any parsing"


def test_unsupported_type_message_lists_the_supported_ones():
    with pytest.raises(InputError, match=r"\.txt、\.md、\.html、\.htm、\.docx、\.pdf"):
        read_bytes(b"MZ", "setup.exe")


def test_docx_refused_on_declared_total_size_even_when_it_compresses_badly(monkeypatch):
    monkeypatch.setattr(read, "ZIP_MAX_TOTAL", 1 * MB)
    incompressible = with_zip_member(docx_bytes(), "word/media/photo.bin", os.urandom(2 * MB), zipfile.ZIP_STORED)
    with pytest.raises(InputError, match="压缩炸弹"):
        read_bytes(incompressible, "大图.docx")


def test_size_limit_allows_a_file_exactly_at_the_limit():
    data = "一、工作目标".encode()
    assert read_bytes(data, "a.txt", max_bytes=len(data)) == "一、工作目标"


# ---- file names ------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("/abs/path/x.md", "x.md"),
    ("..\\..\\win.txt", "win.txt"),
    ("C:\\Users\\张三\\楚雄州职业教育提质增效工作实施方案.docx", "楚雄州职业教育提质增效工作实施方案.docx"),
    (".hidden.pdf", "hidden.pdf"),
    ("  方案\x00\r\n（修订）.txt ", "方案（修订）.txt"),
    ("C:方案.pdf", "C方案.pdf"),
    ("通知.PDF", "通知.pdf"),           # extension normalised
    ("notes.md.", "notes.md"),
])
def test_safe_filename_keeps_only_a_bare_name(tmp_path, name, expected):
    safe = safe_filename(name)
    assert safe == expected
    assert (tmp_path / safe).resolve().parent == tmp_path.resolve()


@pytest.mark.parametrize("name, expected", [
    ("", "文件名无效"),
    ("..", "文件名无效"),
    ("../..", "文件名无效"),
    ("dir/", "文件名无效"),
    ("\x00\x01", "文件名无效"),
    (".txt", "不支持的文件类型"),           # a hidden file with no name
    ("evil.exe", "不支持的文件类型"),
    ("报告\u202etxt.exe", "不支持的文件类型"),  # right-to-left override shows as 报告exe.txt
])
def test_safe_filename_refuses_names_with_nothing_usable(name, expected):
    with pytest.raises(InputError, match=expected):
        safe_filename(name)


def test_safe_filename_fits_the_file_system_limit():
    safe = safe_filename("楚" * 300 + ".docx")
    assert safe.endswith(".docx") and len(safe.encode()) <= 255


# ---- text encodings -------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom",
                                      "gbk", "gb18030"])
def test_plan_excerpt_round_trips_in_every_supported_encoding(encoding):
    excerpt = PLAN[:200]
    if encoding.endswith("-bom"):
        data = "\ufeff".encode(encoding[:-4]) + excerpt.encode(encoding[:-4])
    else:
        data = excerpt.encode(encoding)
    expected = "\n".join(line.strip() for line in excerpt.splitlines())
    assert read_bytes(data, "方案.txt") == expected


def test_every_plan_line_in_gbk_decodes_on_its_own():
    """Short GBK lines are where detectors guess Korean, Big5 or UTF-16."""
    wrong = [line for line in PLAN_LINES if decode_text(line.encode("gbk"), "x.txt") != line]
    assert wrong == []


@pytest.mark.parametrize("encoding, text", [
    ("big5", "中華人民共和國職業教育法規定，國家發展職業教育，推進職業教育改革。"),
    ("shift_jis", "日本の職業教育は、専門学校や高等専門学校で行われています。"),
    ("euc_kr", "대한민국 직업교육은 전문대학과 특성화고등학교에서 이루어집니다."),
])
def test_preferring_gbk_does_not_swallow_other_cjk_encodings(encoding, text):
    assert decode_text(text.encode(encoding)) == text


def test_text_lines_are_trimmed_and_blank_runs_collapsed():
    data = "\ufeff\u3000\u3000一、工作目标  \r\n\r\n\r\n\r\n（一）实施三个基础工程\r\n".encode("utf-8")
    assert read_bytes(data, "a.md") == "一、工作目标\n\n（一）实施三个基础工程"


# ---- html -----------------------------------------------------------------------

NAV_WORDS = ["网站首页", "政务公开", "互动交流", "主办单位", "滇ICP备", "分享到", "您当前所在的位置"]


def government_page(charset: str = "utf-8") -> str:
    paragraphs = "\n".join(
        f"<p><strong>{html.escape(line)}</strong></p>" if len(line) < 25 else f"<p>\u3000\u3000{html.escape(line)}</p>"
        for line in PLAN_BODY)
    return f"""<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>楚雄州人民政府办公室关于印发楚雄州职业教育提质增效工作实施方案的通知</title>
<style>.nav {{ color: red }}</style>
<script>var tracker = "SCRIPT_IN_HEAD"; document.write("<p>注入</p>");</script></head>
<body>
<div class="header"><a href="/">网站首页</a> <a href="/zwgk">政务公开</a> <a href="/hdjl">互动交流</a></div>
<nav><ul><li><a href="/">网站首页</a></li><li><a href="/xxgk">政务公开</a></li></ul></nav>
<div class="location">您当前所在的位置: 首页 &gt;&gt; 公开信息内容</div>
<div class="content"><h1>楚雄州人民政府办公室关于印发楚雄州职业教育提质增效工作实施方案的通知</h1>
<div class="TRS_Editor">
{paragraphs}
<p>示例：正文里写的 &lt;script&gt;alert(1)&lt;/script&gt; 按原文显示。</p>
<p>三、附则<br>（一）本方案自印发之日起施行</p>
<script>console.log("SCRIPT_IN_BODY")</script>
</div></div>
<div class="share">分享到：微信 微博</div>
<footer><div class="footer">主办单位：楚雄州人民政府办公室 | 滇ICP备12345678号</div></footer>
<script src="/js/stat.js"></script><script>window.SCRIPT_IN_FOOTER = 1</script>
</body></html>"""


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_html_keeps_every_policy_paragraph_and_drops_the_page_chrome(charset):
    text = read_bytes(government_page(charset).encode(charset), "通知.html")
    lines = text.splitlines()
    assert [line for line in PLAN_BODY if line not in lines] == []
    assert {"一、工作目标", "二、重点任务", "三、附则", "（一）本方案自印发之日起施行"} <= set(lines)
    assert "SCRIPT_" not in text and "tracker" not in text and "console.log" not in text
    assert [word for word in NAV_WORDS if word in text] == []
    assert "示例：正文里写的 <script>alert(1)</script> 按原文显示。" in lines


def test_html_fragment_falls_back_to_all_visible_text():
    page = ("<p>一、工作目标</p><div>（一）实施三个基础工程<br>1.加快优质学校建设</div>"
            "<script>SECRET()</script><style>p{}</style><p>&lt;script&gt; 是文字</p>")
    assert read_bytes(page.encode(), "片段.htm") == "一、工作目标\n（一）实施三个基础工程\n1.加快优质学校建设\n<script> 是文字"


# ---- docx -------------------------------------------------------------------------

def tasks_document(document):
    document.add_heading("二、重点任务", level=1)
    document.add_paragraph("（二）落实经费保障")
    table = document.add_table(rows=4, cols=3)
    rows = [["单位", "任务", "完成时限"],
            ["州财政局", "落实经费保障", "2025年"],
            ["州教育体育局", "统筹推进", ""],
            ["各县市", "加大投入", "长期"]]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(3, 1).merge(table.cell(3, 2))
    document.add_paragraph("三、保障措施")


def test_docx_keeps_body_order_and_repeats_the_header_on_every_row(tmp_path):
    path = tmp_path / "任务清单.docx"
    path.write_bytes(docx_bytes(tasks_document))
    assert read_document(path).splitlines() == [
        "二、重点任务",
        "（二）落实经费保障",
        "单位：州财政局；任务：落实经费保障；完成时限：2025年",
        "单位：州教育体育局；任务：统筹推进",
        "单位：各县市；任务：加大投入 长期",
        "三、保障措施",
    ]


# ---- pdf --------------------------------------------------------------------------

def test_pdf_text_layer_is_extracted_page_by_page():
    data = chinese_pdf(["一、工作目标", "（一）实施三个基础工程"], ["二、重点任务"])
    lines = [line for line in read_bytes(data, "方案.pdf").splitlines() if line]
    assert lines == ["一、工作目标", "（一）实施三个基础工程", "二、重点任务"]


def test_pdf_with_an_empty_user_password_is_read():
    """Encrypted only to restrict printing/copying: opens without a password."""
    assert read_bytes(encrypted_pdf(""), "限制打印.pdf") == "一、工作目标"
