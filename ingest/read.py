"""Bytes -> text. Encodings are detected, not guessed."""
from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from kb.schema import InputError


def decode_text(data: bytes, name: str = "") -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise InputError(f"{name}: 无法识别文本编码（不是文本文件？）")
        return str(best)


def read_document(path: str | Path) -> str:
    path = Path(path)
    return decode_text(path.read_bytes(), path.name)
