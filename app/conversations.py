"""Conversations kept in the user's browser (local storage), as plain JSON-able dicts.

The store is {"current": id | None, "conversations": [conversation, …]} with the newest first;
a conversation is {"id", "title", "updated", "answers": [record, …]}. A record is one asked
question and what came back: the answer object (kb.schema.Answer as a dict, citations included)
plus "generation" (the snapshot that answered), "rating" and "feedback_id" once rated, or
"error" (a message) when the question was refused. The chat is rendered from the records, so
nothing but data is stored. The server keeps none of this: one user's conversations never
reach another's browser.
"""
from __future__ import annotations

import secrets
import time
import uuid
from pathlib import Path

MAX_CONVERSATIONS = 50
TITLE_CHARS = 24
SECRET_FILE = ".browser-state-secret"


def empty_store() -> dict:
    return {"current": None, "conversations": []}


def valid_store(store) -> dict:
    """A store as read back from the browser; anything malformed becomes an empty one."""
    if not isinstance(store, dict) or not isinstance(store.get("conversations"), list):
        return empty_store()
    convs = [c for c in store["conversations"]
             if isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("answers"), list)]
    current = store.get("current") if any(c["id"] == store.get("current") for c in convs) else None
    return {"current": current, "conversations": convs}


def find(store: dict, conv_id: str | None) -> dict | None:
    return next((c for c in store["conversations"] if c["id"] == conv_id), None) if conv_id else None


def title_of(answers: list[dict]) -> str:
    first = next((r.get("question", "") for r in answers if r.get("question")), "") or "新对话"
    return first if len(first) <= TITLE_CHARS else first[:TITLE_CHARS] + "…"


def save(store: dict, conv_id: str | None, answers: list[dict]) -> tuple[dict, str]:
    """The store with this conversation saved (new id when conv_id is None), newest first, at
    most MAX_CONVERSATIONS kept; returns (store, conversation id)."""
    conv_id = conv_id or uuid.uuid4().hex[:12]
    conv = {"id": conv_id, "title": title_of(answers), "updated": time.strftime("%Y-%m-%d %H:%M"),
            "answers": answers}
    others = [c for c in store["conversations"] if c["id"] != conv_id]
    return {"current": conv_id, "conversations": ([conv] + others)[:MAX_CONVERSATIONS]}, conv_id


def delete(store: dict, conv_id: str | None) -> dict:
    convs = [c for c in store["conversations"] if c["id"] != conv_id]
    return {"current": None if store.get("current") == conv_id else store.get("current"), "conversations": convs}


def choices(store: dict) -> list[tuple[str, str]]:
    """(label, id) for the history picker: "标题 · 2026-11-29 14:05（3问）"."""
    return [(f"{c['title']} · {c.get('updated', '')}（{len(c['answers'])}问）", c["id"])
            for c in store["conversations"]]


def asked_before(answers: list[dict]) -> list[str]:
    """The chat's earlier questions that were answered, for follow-up questions."""
    return [r["question"] for r in answers if r.get("question") and not r.get("error")]


def browser_secret(data_dir: Path) -> str:
    """The key the browser's stored conversations are encrypted with. Kept in the data dir so a
    restarted server still reads what browsers stored before."""
    path = Path(data_dir) / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
