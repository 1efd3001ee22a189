"""Load test of the web app, on the loopback interface only.

    python -m eval.load [--clients 20] [--duration 60] [--data-dir DIR] [--out eval/reports/load]

1. builds a knowledge base from corpus/ in a temporary directory (or uses --data-dir),
2. starts `kb serve` in a subprocess on a free 127.0.0.1 port,
3. steady phase: N concurrent clients ask questions through the app's Gradio API ("/ask", the
   chat's submit event) for --duration seconds,
4. upload phase: the same clients keep asking while files are uploaded one after another through
   the app's "/upload" endpoint (an ingest runs in the server), until the uploads are done,
5. stops the server and writes <out>.json and <out>.md: throughput, p50/p95/p99 latency, errors,
   answers that lost their expected content, upload times, server memory.

Every loop is bounded by time; nothing listens or connects beyond 127.0.0.1.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# (question, text the answer must contain; "" = any answer, None = a refusal is expected)
QUESTIONS = [
    ("职教高考改革由哪些单位负责？", "州教育体育局"),
    ("州财政局负责哪些任务？", "加快优质学校建设"),
    ("每年开展多少人次职业技能培训？", "10万人次"),
    ("这份方案的文号是什么？", "楚政办通〔2024〕30号"),
    ("如何深化产教融合？", ""),
    ("“3377522”指什么？", ""),
    ("楚雄州医保报销比例是多少？", "无法回答"),
    ("<script>alert(1)</script>禄丰市人民政府要做什么？", ""),
    ("", None),
]
INTERNAL_ERROR = "出错了"
UPLOADS = ["上海市实施《教师法》办法(1997-11-03).md", "北京市实施《国防教育法》办法.md",
           "河南省实施《职业教育法》办法(2010-07-30).md"]
UPLOAD_CHECK = ("上海市教师的工资待遇如何保障？", "上海市实施")


@dataclass
class Sample:
    phase: str
    question: str
    start: float
    seconds: float
    ok: bool
    error: str = ""
    wrong: bool = False


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    phase: str = "warmup"

    def add(self, s: Sample):
        with self.lock:
            self.samples.append(s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the web app did not answer at {url} within {timeout:.0f} s")


def last_text(chat) -> str:
    """The last assistant message of the chat output, as text."""
    if not chat:
        return ""
    content = chat[-1].get("content") if isinstance(chat[-1], dict) else chat[-1]
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def ask_once(client, question: str, expect, timeout: float) -> tuple[bool, str, bool]:
    """(ok, error, wrong) for one question through /ask."""
    try:
        job = client.submit(question, [], api_name="/ask")
        result = job.result(timeout=timeout)
    except Exception as e:   # noqa: BLE001 - every failure is counted and shown
        return False, f"{type(e).__name__}: {str(e)[:200]}", False
    text = re.sub(r"<[^>]+>", "", last_text(result[1]))
    if INTERNAL_ERROR in text:
        return False, f"internal error: {text[:200]}", False
    if expect is None:
        return True, "", "无法回答" not in text and "不能为空" not in text
    return True, "", bool(expect) and expect not in text


def client_loop(url: str, worker: int, rec: Recorder, stop: threading.Event, timeout: float):
    from gradio_client import Client
    try:
        client = Client(url, verbose=False)
    except Exception as e:   # noqa: BLE001
        rec.add(Sample(rec.phase, "<connect>", time.time(), 0.0, False, f"connect: {e}"))
        return
    i = worker
    while not stop.is_set():
        question, expect = QUESTIONS[i % len(QUESTIONS)]
        i += 1
        phase = rec.phase
        t0 = time.perf_counter()
        ok, error, wrong = ask_once(client, question, expect, timeout)
        rec.add(Sample(phase, question, time.time(), time.perf_counter() - t0, ok, error, wrong))


def summarise(samples: list[Sample], seconds: float) -> dict:
    lat = np.array([s.seconds for s in samples if s.ok]) if samples else np.array([])
    errors = [s for s in samples if not s.ok]

    def pct(p):
        return round(float(np.percentile(lat, p)), 3) if len(lat) else None

    return {
        "requests": len(samples),
        "ok": int(len(lat)),
        "errors": len(errors),
        "wrong_answers": sum(1 for s in samples if s.ok and s.wrong),
        "seconds": round(seconds, 1),
        "throughput_rps": round(len(lat) / seconds, 2) if seconds else None,
        "latency_s": {"p50": pct(50), "p95": pct(95), "p99": pct(99),
                      "mean": round(float(lat.mean()), 3) if len(lat) else None,
                      "max": round(float(lat.max()), 3) if len(lat) else None},
        "error_samples": sorted({s.error for s in errors})[:10],
        "wrong_samples": sorted({s.question for s in samples if s.ok and s.wrong})[:10],
    }


class Sampler(threading.Thread):
    """Server RSS and CPU, every second."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        import psutil
        self.proc = psutil.Process(pid)
        self.rss: list[int] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(1.0):
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
                self.rss.append(sum(p.memory_info().rss for p in procs))
            except Exception:   # noqa: BLE001 - the server may be stopping
                return


def build_kb(data_dir: Path, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "ingest", "-q",
                    str(REPO / "corpus")], check=True, cwd=REPO, env=env, timeout=600)


def start_server(data_dir: Path, port: int, env: dict, log_path: Path) -> subprocess.Popen:
    env = {**env, "KB_HOST": HOST, "KB_PORT": str(port)}
    env.pop("KB_ADMIN_PASSWORD", None)     # loopback without a password: uploads allowed
    log = open(log_path, "w")
    return subprocess.Popen([sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "serve"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def run(args) -> dict:
    from gradio_client import Client, handle_file
    from kb.config import shared_dir

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(REPO)}
    tmp = Path(tempfile.mkdtemp(prefix="kb-load-"))
    data_dir = Path(args.data_dir) if args.data_dir else tmp / "data"
    started = time.time()
    if not (data_dir / "kb.json").exists():
        print(f"building the knowledge base from corpus/ in {data_dir}", file=sys.stderr)
        build_kb(data_dir, env)
    port = free_port()
    url = f"http://{HOST}:{port}/"
    server = start_server(data_dir, port, env, tmp / "server.log")
    result: dict = {}
    try:
        wait_http(url, args.startup_timeout)
        sampler = Sampler(server.pid)
        sampler.start()
        client = Client(url, verbose=False)
        endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
        missing = [e for e in ("/ask", "/upload") if e not in endpoints]
        if missing:
            raise SystemExit(f"the app exposes no {missing} API endpoint: see app/web.py")
        t0 = time.perf_counter()
        ok, error, _ = ask_once(client, QUESTIONS[0][0], QUESTIONS[0][1], args.timeout)   # loads the model
        warmup = time.perf_counter() - t0
        if not ok:
            raise SystemExit(f"warm-up question failed: {error}")

        rec = Recorder()
        stop = threading.Event()
        rec.phase = "steady"
        workers = [threading.Thread(target=client_loop, args=(url, w, rec, stop, args.timeout), daemon=True)
                   for w in range(args.clients)]
        steady_start = time.perf_counter()
        for w in workers:
            w.start()
        time.sleep(args.duration)
        steady_seconds = time.perf_counter() - steady_start

        # Upload phase: the clients keep asking while files are ingested one after another.
        rec.phase = "upload"
        upload_start = time.perf_counter()
        uploads = []
        related = shared_dir() / "related"
        for name in UPLOADS:
            path = related / name
            if not path.exists():
                uploads.append({"file": name, "seconds": 0.0, "message": "missing in ../shared/related"})
                continue
            u0 = time.perf_counter()
            try:
                msg = client.submit(handle_file(str(path)), "", api_name="/upload").result(timeout=args.upload_timeout)
                message = re.sub(r"<[^>]+>", "", str(msg))
            except Exception as e:   # noqa: BLE001
                message = f"ERROR {type(e).__name__}: {e}"
            uploads.append({"file": name, "seconds": round(time.perf_counter() - u0, 1), "message": message[:200]})
        upload_seconds = time.perf_counter() - upload_start
        stop.set()
        for w in workers:
            w.join(args.timeout + 10)

        # After the uploads, the new documents answer: the evidence cites the uploaded law.
        try:
            answer = client.submit(UPLOAD_CHECK[0], [], api_name="/ask").result(timeout=args.timeout)
            ok, error, wrong = True, "", UPLOAD_CHECK[1] not in str(answer[2])
        except Exception as e:   # noqa: BLE001
            ok, error, wrong = False, f"{type(e).__name__}: {e}", False
        sampler.stop.set()
        # Requests still in flight when a phase ended count for the phase they started in.
        steady = [s for s in rec.samples if s.phase == "steady"]
        during = [s for s in rec.samples if s.phase == "upload"]
        result = {
            "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
            "setup": {"clients": args.clients, "duration_s": args.duration, "endpoint": "/ask",
                      "server": "kb serve (queue: default_concurrency_limit=4, max_size=64)",
                      "questions": [q for q, _ in QUESTIONS], "warmup_s": round(warmup, 1)},
            "steady": summarise(steady, steady_seconds),
            "during_upload": summarise(during, upload_seconds),
            "uploads": uploads,
            "after_upload": {"question": UPLOAD_CHECK[0], "ok": ok and not wrong, "error": error},
            "server_rss_mb_max": round(max(sampler.rss) / 2**20) if sampler.rss else None,
        }
    finally:
        stop_server(server)
    if server.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL, None):
        result["server_exit"] = server.returncode
    result["server_log_tail"] = (tmp / "server.log").read_text(errors="replace")[-1500:]
    shutil.rmtree(tmp, ignore_errors=True)      # the built knowledge base and the server log
    return result


def markdown(r: dict) -> str:
    def row(name, s):
        lat = s["latency_s"]
        return (f"| {name} | {s['seconds']} | {s['requests']} | {s['throughput_rps']} | {lat['p50']} | {lat['p95']} | "
                f"{lat['p99']} | {lat['max']} | {s['errors']} | {s['wrong_answers']} |")

    lines = [
        "# Web app load test",
        "",
        f"{r['when']} · {r['setup']['clients']} concurrent clients through the Gradio API `/ask` "
        f"(`kb serve`, knowledge base from corpus/) · {r['machine']['cpus']} CPUs, load average at the end "
        f"{r['machine']['load_average_at_end']} (the machine is shared: other work inflates the latencies) · "
        f"model warm-up {r['setup']['warmup_s']} s, not counted.",
        "",
        "| phase | seconds | requests | answers/s | p50 s | p95 s | p99 s | max s | errors | wrong |",
        "|---|---|---|---|---|---|---|---|---|---|",
        row("steady", r["steady"]),
        row("during uploads", r["during_upload"]),
        "",
        "Latency is client-side: queue wait + answer + transfer. The server runs 4 answers at a time "
        "(queue `default_concurrency_limit=4`), so with 20 clients most of p50 is queueing. "
        "`errors`: failed requests or the app's internal-error message; `wrong`: an answer without its expected "
        "fact (or a bad question not refused).",
        "",
        "## Uploads while the clients keep asking",
        "",
        "| file | seconds | app message |",
        "|---|---|---|",
        *[f"| {u['file']} | {u['seconds']} | {u['message']} |" for u in r["uploads"]],
        "",
        f"After the uploads, “{r['after_upload']['question']}” is answered from the uploaded law: "
        f"{'yes' if r['after_upload']['ok'] else 'NO ' + r['after_upload']['error']}.",
        f"Server memory (RSS, max): {r['server_rss_mb_max']} MB.",
    ]
    for phase in ("steady", "during_upload"):
        if r[phase]["error_samples"]:
            lines += ["", f"Errors ({phase}):", *[f"- `{e}`" for e in r[phase]["error_samples"]]]
        if r[phase]["wrong_samples"]:
            lines += ["", f"Wrong answers ({phase}):", *[f"- {q}" for q in r[phase]["wrong_samples"]]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--duration", type=float, default=60.0, help="seconds of the steady phase")
    p.add_argument("--data-dir", help="an existing knowledge base (default: build one from corpus/)")
    p.add_argument("--out", default=str(REPO / "eval" / "reports" / "load"), help="report path without suffix")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds one question may take")
    p.add_argument("--upload-timeout", type=float, default=600.0)
    p.add_argument("--startup-timeout", type=float, default=300.0)
    args = p.parse_args(argv)
    result = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    bad = result["steady"]["errors"] + result["during_upload"]["errors"]
    return 1 if bad or not result["after_upload"]["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
