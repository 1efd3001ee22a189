"""Chinese text normalisation shared by ingest and query time.

`fold()` gives a comparison key: full-width ASCII to half-width, traditional to simplified,
bracket and dash variants unified, whitespace removed. Display text is never folded; only keys.
"""
from __future__ import annotations

import functools
import re
import unicodedata

import opencc

_T2S = opencc.OpenCC("t2s")

# Brackets and punctuation that documents write in several ways.
_PUNCT = {
    "(": "（", ")": "）", "〔": "〔", "[": "〔", "]": "〕", "【": "〔", "】": "〕",
    ",": "，", ";": "；", ":": "：", "?": "？", "!": "！",
    "—": "-", "–": "-", "－": "-", "~": "-", "～": "-",
    "“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"',
    "　": " ",
}
# Rare in running text: found by one scan in C, then replaced (a translate table looks up every character).
_PUNCT_RE = re.compile("[" + re.escape("".join(_PUNCT)) + "]")

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


_FULLWIDTH_ALNUM = re.compile("[０-９Ａ-Ｚａ-ｚ]+")


def to_halfwidth(text: str) -> str:
    """Full-width ASCII letters/digits to half-width (NFKC would also touch CJK punctuation)."""
    return _FULLWIDTH_ALNUM.sub(lambda m: "".join(chr(ord(c) - 0xFEE0) for c in m.group()), text)


@functools.lru_cache(maxsize=65536)
def t2s(text: str) -> str:
    return _T2S.convert(text)


def clean_text(text: str) -> str:
    """Display-safe cleanup: NFC, no control characters, unified newlines."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(map(_without_controls, text.split("\n")))


def _without_controls(line: str) -> str:
    if line.isprintable():      # the usual line, checked in C; it holds no control character
        return line
    return "".join(c for c in line if c == "\t" or unicodedata.category(c)[0] != "C")


def fold(text: str) -> str:
    """Comparison key: half-width digits/letters, simplified, one bracket style, no spaces."""
    text = _PUNCT_RE.sub(lambda m: _PUNCT[m.group()], t2s(to_halfwidth(text)))
    return re.sub(r"\s+", "", text).lower()


def cn_to_int(text: str) -> int | None:
    """二十四 -> 24, 十 -> 10, 一百零三 -> 103, 24 -> 24; None when not a number."""
    text = to_halfwidth(text.strip())
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in text):
        return None
    total, digit = 0, None
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[c]
            digit = None
    return total + (digit or 0)
