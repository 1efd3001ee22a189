"""Settings from the environment, with defaults that work on a fresh clone."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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

    @classmethod
    def from_env(cls) -> "Settings":
        data = Path(os.environ.get("KB_DATA_DIR", REPO_ROOT / "data"))
        return cls(
            data_dir=data.resolve(),
            chroma_url=os.environ.get("KB_CHROMA_URL", ""),
            host=os.environ.get("KB_HOST", "127.0.0.1"),
            port=int(os.environ.get("KB_PORT", "7860")),
            admin_password=os.environ.get("KB_ADMIN_PASSWORD", ""),
            max_question_chars=int(os.environ.get("KB_MAX_QUESTION_CHARS", "500")),
            max_file_bytes=int(os.environ.get("KB_MAX_FILE_MB", "20")) * 1024 * 1024,
            allowed_hosts=tuple(h.strip() for h in os.environ.get("KB_ALLOWED_HOSTS", "").split(",")
                               if h.strip()),
        )


def shared_dir() -> Path:
    """../shared beside the repo (related laws, scale set); KB_SHARED_DIR overrides."""
    return Path(os.environ.get("KB_SHARED_DIR", REPO_ROOT.parent / "shared"))
