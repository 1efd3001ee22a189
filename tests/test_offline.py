"""The model loads and encodes with networking disabled: nothing is downloaded at run time; and
the default (onnx) encoder, ingest and the query path never import torch or transformers."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from conftest import REPO_ROOT


def test_model_loads_and_answers_with_every_socket_connect_failing(tmp_path):
    script = textwrap.dedent(f"""
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network disabled by test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse

        from kb.embed import embed, model_path
        vectors = embed(["职教高考改革由哪些单位负责"])
        assert vectors.shape == (1, 512), vectors.shape
        assert (model_path() / "model-int8.onnx").exists()

        from kb.api import KnowledgeBase
        kb = KnowledgeBase.open({str(tmp_path)!r})
        kb.ingest([{str(REPO_ROOT / "corpus")!r}])
        print(kb.ask("职教高考改革由哪些单位负责？").citations[0].clause_id)
        import sys
        assert not set(sys.modules).intersection(["torch", "transformers", "sentence_transformers"])
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "KB_ENCODER"))}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("二（二）1")
