"""Users' 👍/👎 on answers: kept in SQLite in the data dir, exported as gold candidates for eval/.

One row per rated answer: the question (and the chat's earlier questions), the answer and its
citations as shown, the snapshot generation that produced it, the time, and an optional comment.
`gold_candidates()` turns rows into eval/gold JSONL lines for a person to review: a 👍 keeps the
system's answer as the gold answer, a 👎 leaves the gold answer empty to be written.
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from kb.schema import InputError

DB_NAME = "feedback.sqlite3"
UP, DOWN = 1, -1
MAX_COMMENT_CHARS = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created     TEXT NOT NULL,
    rating      INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment     TEXT NOT NULL DEFAULT '',
    question    TEXT NOT NULL,
    history     TEXT NOT NULL DEFAULT '[]',
    answer      TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT '',
    abstained   INTEGER NOT NULL DEFAULT 0,
    citations   TEXT NOT NULL DEFAULT '[]',
    generation  INTEGER NOT NULL DEFAULT 0
)"""


@dataclass
class Feedback:
    id: int
    created: str                 # local time, "YYYY-MM-DD HH:MM:SS"
    rating: int                  # UP or DOWN
    question: str
    answer: str
    comment: str = ""
    history: list[str] = field(default_factory=list)
    kind: str = ""
    abstained: bool = False
    citations: list[dict] = field(default_factory=list)
    generation: int = 0


class FeedbackStore:
    """Thread-safe: every call opens its own short connection (SQLite serialises the writes)."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / DB_NAME

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        con.execute(_SCHEMA)
        return con

    def rate(self, rating: int, answer: dict, generation: int, history: list[str] | None = None,
             feedback_id: int | None = None) -> int:
        """Store a rating of `answer` (an Answer.to_dict()); with `feedback_id`, change that row's
        rating instead (a 👍 turned into 👎). Returns the row id."""
        if rating not in (UP, DOWN):
            raise InputError("评价只能是 👍 或 👎")
        if not str(answer.get("question", "")).strip():
            raise InputError("没有可评价的回答")
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        with closing(self._connect()) as con, con:
            if feedback_id is not None:
                cur = con.execute("UPDATE feedback SET rating = ?, created = ? WHERE id = ?",
                                  (rating, now, int(feedback_id)))
                if cur.rowcount:
                    return int(feedback_id)
            cur = con.execute(
                "INSERT INTO feedback (created, rating, question, history, answer, kind, abstained,"
                " citations, generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, rating, answer["question"], json.dumps(list(history or []), ensure_ascii=False),
                 answer.get("answer", ""), answer.get("kind", ""), int(bool(answer.get("abstained"))),
                 json.dumps(answer.get("citations", []), ensure_ascii=False), int(generation)))
            return int(cur.lastrowid)

    def comment(self, feedback_id: int, text: str) -> None:
        text = (text or "").strip()
        if len(text) > MAX_COMMENT_CHARS:
            raise InputError(f"说明太长（{len(text)} 字），请控制在 {MAX_COMMENT_CHARS} 字以内")
        with closing(self._connect()) as con, con:
            if not con.execute("UPDATE feedback SET comment = ? WHERE id = ?", (text, int(feedback_id))).rowcount:
                raise InputError("找不到这条评价，请先点 👍 或 👎")

    def entries(self, rating: int | None = None) -> list[Feedback]:
        """Newest first; only one rating when given."""
        if not self.path.exists():
            return []
        query = "SELECT * FROM feedback" + (" WHERE rating = ?" if rating is not None else "") + " ORDER BY id DESC"
        with closing(self._connect()) as con:
            con.row_factory = sqlite3.Row
            rows = con.execute(query, () if rating is None else (rating,)).fetchall()
        return [Feedback(id=r["id"], created=r["created"], rating=r["rating"], question=r["question"],
                         answer=r["answer"], comment=r["comment"], history=json.loads(r["history"]),
                         kind=r["kind"], abstained=bool(r["abstained"]),
                         citations=json.loads(r["citations"]), generation=r["generation"]) for r in rows]

    def gold_candidates(self, rating: int | None = None) -> Iterator[dict]:
        """eval/gold-style lines (oldest first) for a person to review before they join the gold set."""
        for f in reversed(self.entries(rating)):
            yield gold_candidate(f)


def gold_candidate(f: Feedback) -> dict:
    cites = f.citations
    doc_id = "" if f.abstained or not cites else cites[0].get("doc_id", "")
    clause_ids = list(dict.fromkeys(c.get("clause_id", "") for c in cites if c.get("doc_id") == doc_id))
    line = {"id": f"fb-{f.id:04d}", "question": f.question,
            "kind": "abstain" if f.abstained else (f.kind or "general"),
            "doc_id": doc_id, "clause_ids": clause_ids,
            "answer": f.answer if f.rating == UP else "",
            "style": "colloquial"}
    if f.history:
        line["history"] = f.history
    line["feedback"] = {"rating": "up" if f.rating == UP else "down", "comment": f.comment,
                        "created": f.created, "generation": f.generation, "system_answer": f.answer}
    return line
