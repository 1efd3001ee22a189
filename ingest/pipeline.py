"""One file -> Document + Clauses: read, clean, facts, outline, extract."""
from __future__ import annotations

from pathlib import Path

from ingest.clean import clean
from ingest.extract import extract_mentions, extract_targets, parse_responsibility, responsibility_spans
from ingest.meta import extract_facts, header_block
from ingest.outline import RawClause, outline, split_long
from ingest.read import read_bytes, sha256_bytes
from kb.schema import Clause, Document, InputError
from kb.tokenize import dictionary_version

# Bump when parsing changes what a file yields, so `kb ingest` re-parses unchanged files.
# Vectors are reused wherever a clause's text did not change.
PIPELINE_VERSION = "9+" + dictionary_version()


def keyword_text(clause: Clause, doc_title: str) -> str:
    """What BM25 indexes: where the clause sits and its text, without its 责任单位 list. Unit
    names in those lists would make every task match any question naming a unit, and units are
    answered from the structured lists anyway."""
    text = clause.text
    for start, end in reversed(responsibility_spans(text)):
        text = text[:start] + " " + text[end:]
    return f"{doc_title} {' '.join(clause.path)} {text}"


def parse_document(data: bytes, filename: str, max_bytes: int | None = None) -> tuple[Document, list[Clause]]:
    raw = read_bytes(data, filename, max_bytes=max_bytes)
    lines = clean(raw)
    doc_id = Path(filename).stem
    facts = extract_facts(raw, lines, fallback_title=doc_id)
    raw_clauses = outline(lines, facts.title, facts.notice_title)
    if not raw_clauses:
        raise InputError(f"{filename}: 没有可索引的正文内容")
    header = header_block(raw)
    if header:
        raw_clauses.insert(0, RawClause("文件信息", ["文件信息"], "文件信息", header))
    clauses: list[Clause] = []
    for rc in raw_clauses:
        text = rc.text
        resp = parse_responsibility(text)
        body = text[:resp.span[0]] + text[resp.span[1]:] if resp else text
        parts = split_long(text)
        for n, part in enumerate(parts, start=1 if len(parts) > 1 else 0):
            clauses.append(Clause(
                doc_id=doc_id, clause_id=rc.clause_id, path=rc.path, text=part, part=n, title=rc.title,
                units=list(resp.units) if resp else [],
                units_raw=list(resp.units_raw) if resp else [],
                lead_units=list(resp.lead) if resp else [],
                mentions=extract_mentions(body),
                targets=extract_targets(part),
            ))
    document = Document(
        doc_id=doc_id, title=facts.title, source=filename, sha256=sha256_bytes(data),
        doc_number=facts.doc_number, issuer=facts.issuer, written_date=facts.written_date,
        published_date=facts.published_date, kind=facts.kind, level=facts.level, dates=facts.dates,
        cites=facts.cites, implements=facts.implements, notice_title=facts.notice_title,
        clause_count=len(raw_clauses), pipeline=PIPELINE_VERSION)
    return document, clauses
