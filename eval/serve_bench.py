"""`python -m eval.serve_bench`: how fast `kb serve` answers its first question once it says it is ready.

    python -m eval.serve_bench [--data-dir DIR] [--warm 10] [--out eval/reports/serve]

1. builds a knowledge base from corpus/ in a temporary directory (or uses --data-dir),
2. starts `kb serve` on a free 127.0.0.1 port and times it until it reports ready (its
   "网页应用已启动" line; models, indexes and the app are warmed before it, see app/web.py serve),
3. the first question through the app's Gradio API (/ask, what the chat box calls), then --warm
   more, and reports the first answer beside the warm median (the ratio is the point: a server
   that loaded its models lazily answers its first question many times slower than the rest),
4. stops the server; writes <out>.json and <out>.md.

Loopback only; every wait is bounded.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from eval.load import HOST, build_kb, free_port, last_text, start_server, stop_server

REPO = Path(__file__).resolve().parent.parent
READY = "网页应用已启动"      # kb serve's line once it listens, warm (app/web_security.run_until_stopped)
QUESTIONS = ["职教高考改革由哪些单位负责？", "州财政局负责哪些任务？", "每年开展多少人次职业技能培训？",
             "这份方案的文号是什么？", "如何深化产教融合？"]


def wait_ready(log_path: Path, server, timeout: float) -> float:
    """Seconds until the server's log says it is ready."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if READY in log_path.read_text(encoding="utf-8", errors="replace"):
            return time.perf_counter() - started
        if server.poll() is not None:
            raise SystemExit(f"kb serve exited ({server.returncode}):\n{log_path.read_text()[-2000:]}")
        time.sleep(0.05)
    raise SystemExit(f"kb serve did not report ready within {timeout:.0f} s")


def timed_ask(client, question: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    result = client.predict(question, api_name="/ask")
    return time.perf_counter() - t0, last_text(result[1])


def run(args) -> dict:
    from gradio_client import Client
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(REPO)}
    tmp = Path(tempfile.mkdtemp(prefix="kb-serve-bench-"))
    data_dir = Path(args.data_dir) if args.data_dir else tmp / "data"
    if not (data_dir / "kb.json").exists():
        print(f"building the knowledge base from corpus/ in {data_dir}", file=sys.stderr)
        build_kb(data_dir, env)
    port = free_port()
    log_path = tmp / "server.log"
    started = time.perf_counter()
    server = start_server(data_dir, port, env, log_path)
    try:
        ready = wait_ready(log_path, server, args.timeout)
        t0 = time.perf_counter()
        client = Client(f"http://{HOST}:{port}/", verbose=False)
        connect = time.perf_counter() - t0
        first, text = timed_ask(client, QUESTIONS[0])
        if "州教育体育局" not in text:
            raise SystemExit(f"the first answer is wrong: {text[:200]}")
        warm = [timed_ask(client, QUESTIONS[i % len(QUESTIONS)])[0] for i in range(args.warm)]
    finally:
        stop_server(server)
    warm_p50 = statistics.median(warm)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "seconds_to_ready": round(ready, 2),
        "client_connect_s": round(connect, 3),
        "first_answer_s": round(first, 3),
        "first_answer_with_connect_s": round(connect + first, 3),
        "warm_answer_p50_s": round(warm_p50, 3),
        "first_over_warm": round(first / warm_p50, 2) if warm_p50 else None,
        "warm_questions": args.warm,
        "bar_first_answer_s": 1.5,
        "total_s": round(time.perf_counter() - started, 1),
    }


def report(result: dict) -> str:
    ok = "met" if result["first_answer_s"] < result["bar_first_answer_s"] else "NOT met"
    return "\n".join([
        "# First answer after `kb serve` is ready",
        "",
        f"Machine: {result['machine']}. Command: `python -m eval.serve_bench`.",
        "",
        "| | seconds |",
        "|---|---|",
        f"| start to ready (models, indexes and the app warmed before it says so) | {result['seconds_to_ready']} |",
        f"| first /ask answer | {result['first_answer_s']} |",
        f"| … plus the client's connect (config fetch) | {result['first_answer_with_connect_s']} |",
        f"| warm /ask answer, median of {result['warm_questions']} | {result['warm_answer_p50_s']} |",
        f"| first ÷ warm | {result['first_over_warm']}× |",
        "",
        f"Bar: first answer < {result['bar_first_answer_s']} s — {ok}.",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.serve_bench", description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", help="an existing knowledge base (default: build one from corpus/)")
    p.add_argument("--warm", type=int, default=10, help="warm questions after the first")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for the server")
    p.add_argument("--out", default=str(REPO / "eval" / "reports" / "serve"), help="report path without suffix")
    args = p.parse_args(argv)
    result = run(args)
    text = report(result)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
