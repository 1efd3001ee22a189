"""Is the index whole, and making it whole again: `kb check`, `kb check --repair`, `kb rebuild`.

The manifest (kb.json) is derived from the originals, the vectors from the manifest. So a damaged
vector store is rebuilt from the manifest, and a damaged manifest from the originals: uploads in
data/files/ (and quarantine/), and every path ever ingested (roots.json). Nothing is deleted on
the way: a damaged file is moved aside under a new name.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kb.schema import IndexDamaged, InputError
from kb.store import UPLOADS, rekeyed

if TYPE_CHECKING:
    from kb.api import IngestReport, KnowledgeBase, Progress


def check(kb: KnowledgeBase) -> list[str]:
    """Problems, each saying what to run; [] when manifest, vectors and BM25 agree, every vector
    can be found by a query, and this machine has the encoder that made them."""
    from kb.embed import backend_for, describe
    problems: list[str] = []
    try:
        snap = kb.store.load()
        stored = kb.store.all_vector_ids()
        reachable = kb.store.reachable_vector_ids()
    except InputError as e:        # a damaged manifest or vector store, or a full disk
        return [str(e)] + _quarantined(kb)
    missing = [v for v in snap.vector_ids if v not in stored]
    if missing:
        problems.append(f"{len(missing)} 个条款缺少向量（例如 {missing[0]}），运行 kb check --repair 补上")
    unreachable = [v for v in snap.vector_ids if v in stored and v not in reachable]
    if unreachable:
        found = len(snap.vector_ids) - len(missing) - len(unreachable)
        problems.append(f"{len(unreachable)} 个条款的向量在向量索引中查不到（索引文件缺失或损坏），"
                        f"检索只能找到 {found}/{len(snap.vector_ids)} 个；运行 kb check --repair 重新生成")
    orphans = stored - set(snap.vector_ids)
    if orphans:
        problems.append(f"{len(orphans)} 个向量不属于任何条款（中断的写入留下的），"
                        "下次 kb ingest 或 kb check --repair 会清理")
    if snap.bm25 is not None and int(snap.bm25.scores["num_docs"]) != len(snap.clauses):
        problems.append("BM25 索引与条款数不一致，运行 kb check --repair 重建")
    elif snap.clauses and not snap.bm25_dir:
        problems.append("关键词索引（BM25）的文件缺失或损坏：每次打开知识库都要从条款重新建立，"
                        "运行 kb check --repair 重写")
    if snap.clauses and backend_for(snap.encoder) is None:
        problems.append(f"向量由 {describe(snap.encoder)} 生成，本机没有这个编码器：检索暂不用向量；"
                        "运行 kb check --repair（或 kb ingest）用当前编码器重新生成全部向量")
    unknown = {c.doc_id for c in snap.clauses} - set(snap.documents)
    if unknown:
        problems.append(f"条款引用了不存在的文档：{sorted(unknown)}，运行 kb rebuild 从原文件重建")
    return problems + _quarantined(kb)


def encoder_status(kb: KnowledgeBase) -> str:
    """Which encoder made the index's vectors and, when KB_ENCODER names another, what happens
    next; "" when the manifest cannot be read. A different KB_ENCODER is no fault of the index:
    questions are embedded by the encoder that made it until the next ingest re-embeds."""
    from kb.embed import backend_for, backend_name, describe, record_for
    try:
        snap = kb.snapshot()
    except InputError:
        return ""
    if not snap.clauses:
        return "（空知识库）"
    configured = record_for(backend_name())
    if snap.encoder == configured or backend_for(snap.encoder) is None:    # the latter: a problem of check()
        return describe(snap.encoder)
    return (f"{describe(snap.encoder)}（当前编码器 KB_ENCODER 是 {describe(configured)}：提问仍用原编码器，"
            "下次 kb ingest 会用当前编码器重新生成全部向量）")


def _quarantined(kb: KnowledgeBase) -> list[str]:
    folder = kb.quarantine_dir
    files = sorted(f.name for f in folder.iterdir() if f.is_file()) if folder.is_dir() else []
    if not files:
        return []
    return [f"{len(files)} 个上传的原文件不在知识库中，已移到 {folder}（{'、'.join(files[:3])}"
            f"{' 等' if len(files) > 3 else ''}）；运行 kb rebuild 重新导入"]


def repair(kb: KnowledgeBase, progress: Progress | None = None) -> list[str]:
    """Fix what check() finds; returns what was done. A damaged manifest means a rebuild from the
    originals; a damaged vector store is moved aside and every vector embedded again; vectors that
    are missing or that a query cannot reach are embedded again; orphans are deleted."""
    try:
        snap = kb.store.load()
    except IndexDamaged:
        report = rebuild(kb, progress)
        return [f"索引文件已损坏，已从原文件重建：{len(report.added)} 篇文档"] + _rejections(report)
    from kb.embed import backend_for, backend_name, describe, key, record_for
    done = []
    with kb._writing():
        try:
            kb.store.reachable_vector_ids()
        except IndexDamaged:
            done.append(f"向量库已损坏，已移到 {kb.store.reset_vectors()}，全部向量重新生成")
        rows: dict[str, list] = {}
        for c, v, t in zip(snap.clauses, snap.vector_ids, snap.tokens):
            if c.doc_id in snap.documents:
                rows.setdefault(c.doc_id, []).append((c, v, t))
        orphans = len(kb.store.all_vector_ids() - set(snap.vector_ids))
        # Vectors are made again by the encoder that made the index (its record stays), unless
        # this machine lacks it: then every vector is made anew by the configured one.
        encoder, backend = snap.encoder, backend_for(snap.encoder)
        if rows and backend is None:
            encoder = record_for(backend_name())
            backend = encoder["backend"]
            rows = rekeyed(rows, snap.documents, key(encoder))
            done.append(f"本机没有生成向量的编码器（{describe(snap.encoder)}），改用 {describe(encoder)}")
        kb._forget_unreachable([v for doc_rows in rows.values() for _, v, _ in doc_rows])
        embedded = kb._embed_missing(snap.documents, rows, backend, progress)
        if embedded:
            done.append(f"重新生成 {embedded} 个条款的向量")
        if sum(map(len, rows.values())) != len(snap.clauses) or encoder != snap.encoder or \
                (snap.clauses and not snap.bm25_dir) or \
                (snap.bm25 is not None and int(snap.bm25.scores["num_docs"]) != len(snap.clauses)):
            kb._commit(snap.generation + 1, snap.documents, rows, encoder)
            done.append("条款清单与关键词索引已重写")
        else:
            kb._delete_orphans(snap.vector_ids)
        if orphans:
            done.append(f"删除 {orphans} 个不属于任何条款的向量")
    return done


def rebuild(kb: KnowledgeBase, progress: Progress | None = None) -> IngestReport:
    """A new manifest from the originals. The old kb.json is moved aside (kept), a damaged vector
    store too; vectors still held are reused (the old manifest's encoder is kept when it can be
    read and this machine has it; else KB_ENCODER's). Quarantined uploads go back to data/files/ first;
    the ones that still cannot be imported return to quarantine."""
    from kb.embed import backend_for
    uploads = kb.settings.data_dir / UPLOADS
    with kb._writing():
        try:
            old = kb.store.load()
            sources = [Path(d.source) for d in old.documents.values()]
            # the encoder that made the vectors stays, when this machine has it: they are reused
            encoder = old.encoder if old.encoder and backend_for(old.encoder) else None
            kb.store.move_manifest_aside("before-rebuild")
        except IndexDamaged:
            sources, encoder = [], None
            kb.store.move_manifest_aside("damaged")
        try:
            kb.store.reachable_vector_ids()
        except IndexDamaged:
            kb.store.reset_vectors()
        restored = _restore_quarantined(kb, uploads)
        wanted = list(dict.fromkeys(kb.store.roots() + [s for s in sources if not s.is_relative_to(uploads)]))
        paths = [p for p in wanted if p.exists()] + ([uploads] if uploads.is_dir() else [])
        report = kb._ingest(paths, progress, encoder=encoder)
        report.rejected.update({str(p): "找不到，未导入" for p in wanted if not p.exists()})
        held = {Path(d.source) for d in kb.documents()}
        for path in restored:
            if path.exists() and path.resolve() not in held:
                kb.quarantine(path)
    return report


def _restore_quarantined(kb: KnowledgeBase, uploads: Path) -> list[Path]:
    folder = kb.quarantine_dir
    if not folder.is_dir():
        return []
    uploads.mkdir(parents=True, exist_ok=True)
    restored = []
    for f in sorted(folder.iterdir()):
        target = uploads / f.name
        if f.is_file() and not f.name.startswith(".") and not target.exists():
            f.rename(target)
            restored.append(target)
    return restored


def _rejections(report: IngestReport) -> list[str]:
    return [f"未导入 {name}：{why}" for name, why in report.rejected.items()]
