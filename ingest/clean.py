"""Drop government-site page chrome and markup noise; keep the document's own lines."""
from __future__ import annotations

import re

from kb.textnorm import clean_text

# Whole lines that belong to the web page, not to the document.
_CHROME_LINES = re.compile(
    r"^(首页|相关解读|相关文件|打印本页|关闭窗口|【?打印】?|【?关闭】?|\|"
    r"|您当前所在的位置.*|当前位置[:：].*|分享到.*|扫一扫.*)$")
# Header rows of the public-information table: "索引号:… | 发布机构:… |".
_HEADER_ROW = re.compile(r"^[^|]{0,40}[:：][^|]*\|")
_TITLE_LABEL = re.compile(r"^标\s*题[:：]\s*$")


def clean(text: str) -> list[str]:
    """Document text -> non-empty, stripped lines without page chrome or HTML comments."""
    text = re.sub(r"<!--.*?-->", "", clean_text(text), flags=re.S)
    lines = [ln.strip() for ln in text.split("\n")]
    kept: list[str] = []
    skip_next = False
    for line in lines:
        if skip_next:        # the value line after "标 题:" repeats the title below
            skip_next = False
            continue
        if not line or _CHROME_LINES.match(line) or _HEADER_ROW.match(line):
            continue
        if _TITLE_LABEL.match(line):
            skip_next = True
            continue
        kept.append(line)
    return kept
