"""The Python API that the CLI and the web app both call. No UI logic here."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kb.schema import Answer, Clause, Document, ScoredClause, Target

Progress = Callable[[int, int, str], None]   # (done, total, what)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)      # doc_ids new or changed
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # file name -> reason
    clauses: int = 0          # clauses (re)embedded in this run
    seconds: float = 0.0


class KnowledgeBase:
    """Open once per process; thread-safe for queries; writes are atomic."""

    @classmethod
    def open(cls, data_dir: str | Path | None = None) -> "KnowledgeBase": ...

    # -- questions -------------------------------------------------------
    def ask(self, question: str, history: list[str] | None = None) -> Answer:
        """Answer contract. `history`: earlier questions of the chat, for follow-ups.
        Raises kb.schema.InputError for an empty or oversized question."""

    def retrieve(self, question: str, mode: str = "hybrid", k: int = 10) -> list[ScoredClause]:
        """mode: "hybrid" | "dense" | "keyword"."""

    # -- structured knowledge -------------------------------------------
    def documents(self) -> list[Document]: ...
    def clauses(self, doc_id: str | None = None) -> list[Clause]: ...
    def unit_names(self) -> list[str]: ...
    def unit_tasks(self, name: str) -> tuple[str, list[Clause]]: ...
    def targets(self) -> list[tuple[Clause, Target]]: ...
    def missing_citations(self) -> list[dict]: ...

    # -- writes ------------------------------------------------------------
    def ingest(self, paths: list[str | Path], progress: Progress | None = None) -> IngestReport: ...
    def add_file(self, filename: str, data: bytes, progress: Progress | None = None) -> IngestReport: ...
    def remove_document(self, doc_id: str) -> None: ...
    def check(self) -> list[str]: ...
