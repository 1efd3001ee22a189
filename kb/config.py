"""Settings from the environment, with defaults that work on a fresh clone."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kb.schema import InputError

REPO_ROOT = Path(__file__).resolve().parent.parent

# Nothing may reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    chroma_url: str          # "" = embedded PersistentClient under data_dir
    host: str
    port: int
    admin_password: str
    max_question_chars: int
    max_file_bytes: int
    allowed_hosts: tuple[str, ...] = ()    # extra Host names of the web app (behind a proxy)
    parse_seconds: int = 120               # an upload's parsing, then it is refused
    parse_memory_bytes: int = 2048 * 1024 * 1024

    @classmethod
    def from_env(cls) -> "Settings":
        """Raises InputError (in Chinese, naming the variable) for a value that is not a number."""
        data = Path(os.environ.get("KB_DATA_DIR", REPO_ROOT / "data"))
        return cls(
            data_dir=data.resolve(),
            chroma_url=os.environ.get("KB_CHROMA_URL", ""),
            host=os.environ.get("KB_HOST", "127.0.0.1"),
            port=_int_env("KB_PORT", 7860, 1, 65535),
            admin_password=os.environ.get("KB_ADMIN_PASSWORD", ""),
            max_question_chars=_int_env("KB_MAX_QUESTION_CHARS", 500, 1),
            max_file_bytes=_int_env("KB_MAX_FILE_MB", 20, 1) * 1024 * 1024,
            allowed_hosts=tuple(h.strip() for h in os.environ.get("KB_ALLOWED_HOSTS", "").split(",")
                               if h.strip()),
            parse_seconds=_int_env("KB_PARSE_SECONDS", 120, 1),
            parse_memory_bytes=_int_env("KB_PARSE_MEMORY_MB", 2048, 64) * 1024 * 1024,
        )


def _int_env(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    bounds = f"{low}–{high} 之间的整数" if high is not None else f"不小于 {low} 的整数"
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        raise InputError(f"环境变量 {name} 应为{bounds}，现在是“{raw[:20]}”")
    return value


def shared_dir() -> Path:
    """../shared beside the repo (related laws, scale set); KB_SHARED_DIR overrides."""
    return Path(os.environ.get("KB_SHARED_DIR", REPO_ROOT.parent / "shared"))
