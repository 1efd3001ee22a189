"""`python -m eval.bench`: speed, scale and accuracy of the two encoders, in one process, with ratios.

    python -m eval.bench              # CI-sized: the plan + 30 related laws, and a 100-law scale subset
    python -m eval.bench --docs 300   # scale subset size (laws from ../shared/scale/laws.tar.gz)
    python -m eval.bench --scale      # every law of the scale set (takes long)
    python -m eval.bench --scale-dir DIR  # every law, prebuilt in DIR (kb --data-dir DIR ingest corpus LAWS)
    python -m eval.bench --quick      # fewer questions, a small subset, one cold start

Writes eval/reports/bench.md and bench.json (or --out DIR) and prints the table.

What is measured (wall clock, time.perf_counter; models loaded before any timing except cold start),
for torch fp32 (the reference) and onnxruntime int8 (the default) in the same run:
* ingest: the plan + the related laws into a fresh temp data dir per encoder, beside only encoding
  the same clause texts (kb.store.embed_text) with the same encoder; re-ingest unchanged;
* query, warm: p50/p95 of `kb.ask` (the full answer) over the gold questions (eval/gold/*.jsonl),
  beside the llama-index quick-start retriever (SentenceSplitter -> VectorStoreIndex on Chroma,
  m3e-small on torch, top-3; built by eval/baseline.py) on the same files and questions;
* cold start: `kb ask "…" --json` in a new process, from start to the answer; serving RSS;
* accuracy: `python -m eval --no-baseline` on each encoder's knowledge base (--no-accuracy skips);
* with the default encoder: adding one document to the 31 (only its clauses may be embedded), and
  scale: N laws of the scale set (unpacked to a temp dir) + the plan: ingest time, peak RSS, index
  size, query latency beside the plan alone, cold start and RSS of a serving process.
The machine may be shared: figures are from one run, ratios compare phases of the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import kb.config  # noqa: F401  (offline environment before any model code loads)
from kb.config import REPO_ROOT, shared_dir

REPORTS = REPO_ROOT / "eval" / "reports"
GOLD_DIR = REPO_ROOT / "eval" / "gold"
COLD_QUESTION = "职教高考改革由哪些单位负责？"
DEFAULT_DOCS = 100          # CI-sized scale subset (bench durations measured so far: docs/scaling.md)
QUICK_DOCS = 30
BACKENDS = ("torch", "onnx")  # the fp32 reference first, then the default
TARGETS = {                 # name -> (comparison, limit); issue 15's goals
    "ingest_speedup": (">=", 2.5),          # onnx ingest of the 31 documents vs torch's, same run
    "cold_start_s": ("<=", 2.5),
    "query_ratio": ("<=", 1.0),             # full answer p50 / llama-index top-3 retrieval p50
    "serving_rss_gb": ("<=", 0.6),
    "reingest_s": ("<", 2.0),
    "scale_query_ratio": ("<=", 2.0),
    "scale_cold_start_s": ("<=", 4.0),      # the whole scale set only
    "scale_serving_rss_gb": ("<=", 1.2),
    "scale_build_min": ("<=", 15.0),
    "accuracy_drop_points": ("<=", 0.5),    # torch fp32 overall minus onnx int8 overall
    "hybrid_hit1_drop": ("<=", 0.01),
}


def log(msg: str):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    """Percentile by linear interpolation (numpy's default), values in any order."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * p / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency(fn, questions: list[str], warmup: int = 5, reuse_vectors: bool = False) -> dict:
    """Warm latency of fn over the questions. Each question's vector is computed anew (as for a
    user's new question) unless reuse_vectors: then the timing is of the answer path alone."""
    from kb.retrieve import forget_query_vectors
    for q in questions[:warmup]:
        fn(q)
    forget_query_vectors()
    if reuse_vectors:
        for q in questions:
            fn(q)
    times, cpu = [], []
    for q in questions:
        t0, c0 = time.perf_counter(), time.process_time()
        fn(q)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"n": len(times), "p50_ms": pct(times, 50) * 1000, "p95_ms": pct(times, 95) * 1000,
            "mean_ms": statistics.fmean(times) * 1000, "max_ms": max(times) * 1000,
            "cpu_p50_ms": pct(cpu, 50) * 1000, "cpu_p95_ms": pct(cpu, 95) * 1000}


def questions(files: list[str] | None = None) -> list[str]:
    out = []
    for f in sorted(GOLD_DIR.glob("*.jsonl")):
        if files and f.name not in files:
            continue
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return out


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def rss_bytes() -> int:
    import psutil
    return psutil.Process().memory_info().rss


def ru_maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024     # Linux: KiB


class PeakRSS:
    """Peak resident memory of this process while the block runs (sampled every 20 ms)."""

    def __enter__(self):
        self.start = self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def kb_command() -> list[str]:
    exe = Path(sys.executable).parent / "kb"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]


def child_env(backend: str | None = None) -> dict:
    env = dict(os.environ)
    env.pop("KB_CHROMA_URL", None)          # the bench measures the embedded store
    env.setdefault("HF_HUB_OFFLINE", "1")
    if backend:
        env["KB_ENCODER"] = backend
    return env


def cold_start(data_dir: Path, runs: int, backend: str | None = None) -> dict:
    """`kb ask "…" --json` in a new process: seconds from spawn until the answer is printed."""
    times, answer = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([*kb_command(), "--data-dir", str(data_dir), "ask", COLD_QUESTION, "--json"],
                              capture_output=True, text=True, env=child_env(backend), cwd=REPO_ROOT, timeout=300)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(f"kb ask failed: {proc.stderr[-2000:]}")
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
    first = answer["citations"][0]["clause_id"] if answer.get("citations") else None
    return {"runs": runs, "first_s": times[0], "median_s": statistics.median(times), "all_s": times,
            "first_citation": first}


def serving_rss(data_dir: Path, qs: list[str], backend: str | None = None) -> dict:
    """A `kb ask --jsonl` process on this KB answers the questions; its RSS after that and its peak."""
    import psutil
    proc = subprocess.Popen([*kb_command(), "--data-dir", str(data_dir), "ask", "--jsonl"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=child_env(backend), cwd=REPO_ROOT)
    ps = psutil.Process(proc.pid)
    peak = 0
    try:
        for q in qs:
            proc.stdin.write(q + "\n")
            proc.stdin.flush()
            proc.stdout.readline()
            peak = max(peak, ps.memory_info().rss)
        rss = ps.memory_info().rss
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    return {"questions": len(qs), "rss_gb": rss / 1e9, "peak_gb": peak / 1e9}


def unpack_laws(dest: Path) -> list[Path]:
    """The scale set's law files (unique file names; the same law filed under two categories counts once)."""
    archive = shared_dir() / "scale" / "laws.tar.gz"
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    seen, files = set(), []
    for f in sorted(dest.rglob("*.md")):
        if f.stem not in seen:
            seen.add(f.stem)
            files.append(f)
    return files


def subset(files: list[Path], n: int, dest: Path) -> Path:
    """n laws spread evenly over the (sorted) set, copied flat into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    if n < len(files):
        step = len(files) / n
        files = [files[int(i * step)] for i in range(n)]
    for f in files:
        shutil.copy2(f, dest / f.name)
    return dest


@contextmanager
def using(backend: str):
    """KB_ENCODER=backend inside the block (ingest and the CLI read it)."""
    before = os.environ.get("KB_ENCODER")
    os.environ["KB_ENCODER"] = backend
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("KB_ENCODER", None)
        else:
            os.environ["KB_ENCODER"] = before


def accuracy(backend: str, data_dir: Path, out: Path) -> dict:
    """`python -m eval --no-baseline` with this encoder on its own 31-document KB (already built)."""
    env = {**child_env(), "KB_ENCODER": backend}
    proc = subprocess.run([sys.executable, "-m", "eval", "--no-baseline", "--data-dir", str(data_dir),
                           "--out", str(out)], capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"eval ({backend}) failed: {proc.stderr[-2000:]}")
    ours = json.loads((out / "latest.json").read_text(encoding="utf-8"))["ours"]
    return {"overall": ours["accuracy"], "correct": ours["correct"], "n": ours["n"],
            **{f"{m}_hit@1": ours["retrieval"][m]["hit@1"] for m in ("hybrid", "keyword", "dense")},
            "citation_accuracy": ours["citation_accuracy"]}


# ----------------------------------------------------------------------------------------------

def run(args) -> dict:
    from kb.api import KnowledgeBase
    from kb.embed import embed, encoder, settings as encoder_settings
    from kb.store import embed_text
    from kb.tokenize import tokens

    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    res: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "args": vars(args),
                 "backends": {}}
    try:
        corpus = [REPO_ROOT / "corpus", shared_dir() / "related"]
        qs = questions()
        if args.quick:
            qs = random.Random(0).sample(qs, min(100, len(qs)))
        plan_qs = questions(["plan.jsonl"])
        log(f"{len(qs)} questions; temp dir {tmp}")
        tokens("职业教育提质增效")

        # -- each encoder: load, ingest the 31 documents, encode-only floor, warm queries --------
        kbs = {}
        for backend in BACKENDS:
            with using(backend):
                t0 = time.perf_counter()
                encoder(backend)
                embed(["热身"], backend)
                load_s = time.perf_counter() - t0
                kb = kbs[backend] = KnowledgeBase.open(tmp / f"kb31-{backend}")
                c0 = time.process_time()
                rep = kb.ingest(corpus)
                ingest_cpu = time.process_time() - c0
                docs = {d.doc_id: d for d in kb.documents()}
                clauses = kb.clauses()
                texts = [embed_text(c, docs[c.doc_id].title) for c in clauses]
                t0, c0 = time.perf_counter(), time.process_time()
                embed(texts, backend)
                floor, floor_cpu = time.perf_counter() - t0, time.process_time() - c0
                re_rep = kb.ingest(corpus)
                res["backends"][backend] = {
                    "encoder": encoder_settings(backend), "model_load_s": load_s,
                    "ingest": {"docs": len(docs), "clauses": len(clauses), "embedded": rep.clauses,
                               "rejected": rep.rejected, "seconds": rep.seconds, "cpu_s": ingest_cpu,
                               "encode_only_s": floor, "encode_only_cpu_s": floor_cpu,
                               "ratio": rep.seconds / floor, "reingest_s": re_rep.seconds,
                               "reingest_embedded": re_rep.clauses, "index_mb": dir_bytes(tmp / f"kb31-{backend}") / 1e6},
                    "ask": latency(kb.ask, qs),
                    "retrieve_hybrid": latency(lambda q: kb.retrieve(q, "hybrid"), qs, reuse_vectors=True)}
                log(f"{backend}: ingest {len(docs)} docs / {rep.clauses} clauses {rep.seconds:.1f}s "
                    f"(encode only {floor:.1f}s); ask p50 {res['backends'][backend]['ask']['p50_ms']:.1f} ms")
        kb = kbs["onnx"]

        # -- the llama-index quick start (torch, top-3) on the same files and questions -----------
        from eval.baseline import Baseline
        base = Baseline(corpus, kb.clauses(), kb.unit_names(), top_k=3)
        res["baseline"] = {"retrieve_top3": latency(base.retriever.retrieve, qs),
                           "build_s": base.build_seconds, "chunks": base.n_chunks}
        del base
        log(f"baseline p50 {res['baseline']['retrieve_top3']['p50_ms']:.1f} ms")

        # -- scale set unpacked (also gives the document added to the 31) ------------------------
        laws = unpack_laws(tmp / "laws")
        related = {p.stem for p in (shared_dir() / "related").glob("*")}
        docs = {d.doc_id for d in kb.documents()}
        extra = next(f for f in laws if f.stem not in related and f.stem not in docs)
        add = kb.ingest([extra])
        added_clauses = len(kb.clauses(extra.stem))
        t0 = time.perf_counter()
        kb.remove_document(extra.stem)
        res["add_one"] = {"doc": extra.name, "seconds": add.seconds, "embedded": add.clauses,
                          "doc_clauses": added_clauses, "only_its_clauses": add.clauses == added_clauses,
                          "remove_s": time.perf_counter() - t0}

        # -- a new process per backend: cold start and serving memory --------------------------
        for backend in BACKENDS:
            b = res["backends"][backend]
            b["cold_start"] = cold_start(tmp / f"kb31-{backend}", 1 if args.quick else 3, backend)
            b["serving"] = serving_rss(tmp / f"kb31-{backend}", plan_qs[:30], backend)
            log(f"{backend}: cold start {b['cold_start']['median_s']:.1f}s, serving RSS {b['serving']['rss_gb']:.2f} GB")

        # -- accuracy of each encoder on the gold set ---------------------------------------------
        if not args.no_accuracy:
            for backend in BACKENDS:
                res["backends"][backend]["accuracy"] = accuracy(backend, tmp / f"kb31-{backend}", tmp / f"eval-{backend}")
                log(f"{backend}: accuracy {res['backends'][backend]['accuracy']}")

        # -- scale (the default encoder) ------------------------------------------------------------
        n = len(laws) if args.scale or args.scale_dir else (args.docs or (QUICK_DOCS if args.quick else DEFAULT_DOCS))
        n = min(n, len(laws))
        plan_kb = KnowledgeBase.open(tmp / "plan")
        plan_kb.ingest([REPO_ROOT / "corpus"])
        plan_lat = latency(plan_kb.ask, plan_qs)
        plan_path_lat = latency(plan_kb.ask, plan_qs, reuse_vectors=True)
        sub = subset(laws, n, tmp / "subset")
        scale_dir = Path(args.scale_dir) if args.scale_dir else tmp / "scale"
        big = KnowledgeBase.open(scale_dir)
        c0 = time.process_time()
        with PeakRSS() as mem:
            # a prebuilt index (--scale-dir) only catches up: nothing is embedded when it is current
            srep = big.ingest([REPO_ROOT / "corpus", sub])
        scale_cpu = time.process_time() - c0
        big_lat = latency(big.ask, plan_qs)
        big_path_lat = latency(big.ask, plan_qs, reuse_vectors=True)
        res["scale"] = {"laws": n, "laws_available": len(laws), "docs": len(big.documents()),
                        "prebuilt": bool(args.scale_dir), "encoder": big.index_encoder(),
                        "clauses": len(big.clauses()), "embedded": srep.clauses, "rejected": len(srep.rejected),
                        "ingest_s": srep.seconds, "ingest_cpu_s": scale_cpu,
                        "clauses_per_s": srep.clauses / srep.seconds if srep.clauses else 0.0,
                        "index_mb": dir_bytes(scale_dir) / 1e6,
                        "ingest_peak_rss_gb": mem.peak / 1e9, "ingest_rss_growth_gb": (mem.peak - mem.start) / 1e9,
                        "plan_query": plan_lat, "scale_query": big_lat,
                        "ratio": big_lat["p50_ms"] / plan_lat["p50_ms"],
                        "plan_answer_path": plan_path_lat, "scale_answer_path": big_path_lat,
                        "check": big.check()}
        log(f"scale {n} laws: {srep.clauses} clauses in {srep.seconds:.1f}s; p50 {big_lat['p50_ms']:.1f} ms "
            f"vs plan {plan_lat['p50_ms']:.1f} ms")
        del big, plan_kb
        res["scale"]["serving"] = serving_rss(scale_dir, plan_qs[:30])
        res["scale"]["cold_start"] = cold_start(scale_dir, 1 if args.quick else 3)
        res["bench_peak_rss_gb"] = ru_maxrss_bytes() / 1e9
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["machine"] = machine()
    res["targets"] = verdicts(res)
    return res


def machine() -> dict:
    import onnxruntime
    import torch
    from kb.embed import threads
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=REPO_ROOT).stdout.strip()
    except OSError:
        commit = ""
    return {"cpus": len(os.sched_getaffinity(0)), "encoder_threads": threads(),
            "python": platform.python_version(), "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
            "platform": platform.platform(), "load_avg": os.getloadavg(), "commit": commit}


def verdicts(res: dict) -> dict:
    t, o, s = res["backends"]["torch"], res["backends"]["onnx"], res["scale"]
    values = {"ingest_speedup": t["ingest"]["seconds"] / o["ingest"]["seconds"],
              "cold_start_s": o["cold_start"]["median_s"],
              "query_ratio": o["ask"]["p50_ms"] / res["baseline"]["retrieve_top3"]["p50_ms"],
              "serving_rss_gb": o["serving"]["rss_gb"],
              "reingest_s": o["ingest"]["reingest_s"], "scale_query_ratio": s["ratio"]}
    if s["laws"] == s["laws_available"]:            # the whole scale set: the scale goals apply
        values |= {"scale_cold_start_s": s["cold_start"]["median_s"], "scale_serving_rss_gb": s["serving"]["rss_gb"]}
        if not s["prebuilt"]:
            values["scale_build_min"] = s["ingest_s"] / 60
    if "accuracy" in o:
        values |= {"accuracy_drop_points": 100 * (t["accuracy"]["overall"] - o["accuracy"]["overall"]),
                   "hybrid_hit1_drop": t["accuracy"]["hybrid_hit@1"] - o["accuracy"]["hybrid_hit@1"]}
    out = {}
    for name, value in values.items():
        op, limit = TARGETS[name]
        out[name] = {"value": value, "target": f"{op} {limit}",
                     "met": {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[op]}
    return out


def _yes(targets: dict, name: str) -> str:
    if name not in targets:
        return ""
    return "met" if targets[name]["met"] else "NOT met"


def _md(rows: list[tuple], head: tuple) -> str:
    widths = [max(len(str(r[k])) for r in rows + [head]) for k in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)) + " |")
    return "\n".join(lines)


def table(res: dict) -> str:
    """The issue's figures: torch fp32 beside onnxruntime int8, measured in this run."""
    t, o, s, base, tg = res["backends"]["torch"], res["backends"]["onnx"], res["scale"], res["baseline"], res["targets"]
    bp50 = base["retrieve_top3"]["p50_ms"]
    whole = s["laws"] == s["laws_available"]
    scale_label = f"plan + {s['laws']} laws, {s['clauses']} clauses"
    rows = [
        (f"ingest {o['ingest']['docs']} docs, {o['ingest']['clauses']} clauses (s)", f"{t['ingest']['seconds']:.1f}",
         f"{o['ingest']['seconds']:.1f}", f"{t['ingest']['seconds'] / o['ingest']['seconds']:.2f}× faster",
         "≥ 2.5× faster", _yes(tg, "ingest_speedup")),
        ("ingest, CPU time of the process (s)", f"{t['ingest']['cpu_s']:.1f}", f"{o['ingest']['cpu_s']:.1f}",
         f"{t['ingest']['cpu_s'] / o['ingest']['cpu_s']:.2f}× less", "", ""),
        ("ingest vs encoding alone", f"{t['ingest']['ratio']:.2f}× ({t['ingest']['encode_only_s']:.1f} s)",
         f"{o['ingest']['ratio']:.2f}× ({o['ingest']['encode_only_s']:.1f} s)", "", "", ""),
        ("cold start to first answer, 31 docs (s)", f"{t['cold_start']['median_s']:.1f}",
         f"{o['cold_start']['median_s']:.1f}", f"{t['cold_start']['median_s'] / o['cold_start']['median_s']:.2f}× faster",
         "≤ 2.5 s", _yes(tg, "cold_start_s")),
        (f"cold start, {scale_label} (s)", "", f"{s['cold_start']['median_s']:.1f}", "",
         "≤ 4 s" if whole else "", _yes(tg, "scale_cold_start_s")),
        ("full answer p50 vs llama-index quick start (top-3, torch)",
         f"{t['ask']['p50_ms']:.1f} ms = {t['ask']['p50_ms'] / bp50:.2f}×", f"{o['ask']['p50_ms']:.1f} ms = {o['ask']['p50_ms'] / bp50:.2f}×",
         f"baseline {bp50:.1f} ms", "≤ 1.0×", _yes(tg, "query_ratio")),
        ("full answer p95 (ms)", f"{t['ask']['p95_ms']:.1f}", f"{o['ask']['p95_ms']:.1f}",
         f"baseline {base['retrieve_top3']['p95_ms']:.1f}", "", ""),
        (f"build the index, {scale_label}" + (" (prebuilt: catch-up only)" if s["prebuilt"] else "") + " (min)", "",
         f"{s['ingest_s'] / 60:.1f}", f"{s['clauses_per_s']:.0f} clauses/s" if s["embedded"] else "",
         "≤ 15 min" if whole else "", _yes(tg, "scale_build_min")),
        ("serving RSS, 31 docs (GB)", f"{t['serving']['rss_gb']:.2f}", f"{o['serving']['rss_gb']:.2f}", "",
         "≤ 0.6 GB", _yes(tg, "serving_rss_gb")),
        (f"serving RSS, {scale_label} (GB)", "", f"{s['serving']['rss_gb']:.2f}", "",
         "≤ 1.2 GB" if whole else "", _yes(tg, "scale_serving_rss_gb")),
    ]
    if "accuracy" in o:
        ta, oa = t["accuracy"], o["accuracy"]
        rows += [
            (f"`kb eval` overall, {oa['n']} gold questions", f"{100 * ta['overall']:.1f}% ({ta['correct']})",
             f"{100 * oa['overall']:.1f}% ({oa['correct']})", f"{100 * (oa['overall'] - ta['overall']):+.1f} points",
             "within 0.5 points", _yes(tg, "accuracy_drop_points")),
            ("retrieval hit@1: hybrid", f"{ta['hybrid_hit@1']:.3f}", f"{oa['hybrid_hit@1']:.3f}",
             f"{oa['hybrid_hit@1'] - ta['hybrid_hit@1']:+.3f}", "within 0.01", _yes(tg, "hybrid_hit1_drop")),
            ("retrieval hit@1: dense · keyword", f"{ta['dense_hit@1']:.3f} · {ta['keyword_hit@1']:.3f}",
             f"{oa['dense_hit@1']:.3f} · {oa['keyword_hit@1']:.3f}", "", "", ""),
            ("citation accuracy", f"{100 * ta['citation_accuracy']:.1f}%", f"{100 * oa['citation_accuracy']:.1f}%", "", "", ""),
        ]
    return _md(rows, ("figure", "torch fp32", "onnx int8", "ratio", "goal", ""))


def detail_table(res: dict) -> str:
    """The default encoder's other figures (as in earlier reports)."""
    o, a, s, tg = res["backends"]["onnx"], res["add_one"], res["scale"], res["targets"]
    rows = [
        ("retrieve only (hybrid) p50 / p95 (ms)", f"{o['retrieve_hybrid']['p50_ms']:.1f} / {o['retrieve_hybrid']['p95_ms']:.1f}",
         "", "", ""),
        ("full answer p50, CPU time of the process (ms)", f"{o['ask']['cpu_p50_ms']:.1f}",
         f"{res['baseline']['retrieve_top3']['cpu_p50_ms']:.1f} (baseline)", "", ""),
        ("re-ingest unchanged (s)", f"{o['ingest']['reingest_s']:.2f}", f"{o['ingest']['reingest_embedded']} embedded",
         "< 2 s", _yes(tg, "reingest_s")),
        ("add 1 doc to the 31 (s)", f"{a['seconds']:.2f}", f"{a['embedded']} embedded / {a['doc_clauses']} its clauses",
         "only its clauses", "met" if a["only_its_clauses"] else "NOT met"),
        ("llama-index baseline build (s)", "", f"{res['baseline']['build_s']:.1f} ({res['baseline']['chunks']} chunks)", "", ""),
        ("scale: index on disk (MB)", f"{s['index_mb']:.0f}", f"31 docs: {o['ingest']['index_mb']:.0f}", "", ""),
        ("scale: peak RSS while ingesting (GB)", f"{s['ingest_peak_rss_gb']:.2f}",
         f"+{s['ingest_rss_growth_gb']:.2f} during ingest", "", ""),
        ("scale: query p50 / p95 (ms)", f"{s['scale_query']['p50_ms']:.1f} / {s['scale_query']['p95_ms']:.1f}",
         f"{s['plan_query']['p50_ms']:.1f} / {s['plan_query']['p95_ms']:.1f} (plan only), {s['ratio']:.2f}×",
         "≤ 2×", _yes(tg, "scale_query_ratio")),
        ("scale: answer path p50, question vectors reused (ms)", f"{s['scale_answer_path']['p50_ms']:.1f}",
         f"{s['plan_answer_path']['p50_ms']:.1f} (plan only)", "", ""),
    ]
    return _md(rows, ("measure (onnx int8)", "ours", "reference", "target", ""))


def report_md(res: dict) -> str:
    m, t, o, s = res["machine"], res["backends"]["torch"], res["backends"]["onnx"], res["scale"]
    met = sum(v["met"] for v in res["targets"].values())
    flags = "".join(f" --{k.replace('_', '-')}" for k in ("quick", "scale", "no_accuracy") if res["args"].get(k))
    flags += f" --scale-dir {res['args']['scale_dir']}" if res["args"].get("scale_dir") else ""
    return f"""# Speed and scale bench

`python -m eval.bench{flags}` at {res['started']}, commit {m['commit']};
{m['cpus']} CPUs, encoders on {m['encoder_threads']} threads, torch {m['torch']}, onnxruntime {m['onnxruntime']},
Python {m['python']}; load average at the end {', '.join(f'{x:.1f}' for x in m['load_avg'])}. The machine may be
shared: absolute figures vary between runs, the ratios compare phases of the same run.

Encoders: torch — {t['encoder']}; onnx — {o['encoder']}. Model load (excluded from the warm figures,
included in cold start): torch {t['model_load_s']:.1f} s, onnx {o['model_load_s']:.1f} s.

{table(res)}

Targets met: {met} of {len(res['targets'])}.

{detail_table(res)}

* Each encoder ingests the plan + the related laws into its own fresh data dir (KB_ENCODER); the
  encoding-alone figure encodes the same {o['ingest']['clauses']} clause texts with the same encoder in one call.
* Queries: {o['ask']['n']} gold questions (eval/gold/*.jsonl), 5 warm-up questions first; ours is `kb.ask`
  (the full answer, each question embedded anew), the baseline the llama-index quick-start retriever
  at top-3 (eval/baseline.py, same files, m3e-small on torch).
* Cold start: `kb ask "…" --json` in a new process, spawn to printed answer; serving RSS: a
  `kb ask --jsonl` process after {o['serving']['questions']} questions.
* Accuracy: `python -m eval --no-baseline` on each encoder's KB, in this run.
* Scale: {s['laws']} of the {s['laws_available']} laws of ../shared/scale/laws.tar.gz + the plan, {s['docs']} documents,
  {s['clauses']} clauses, encoder {s['encoder']}; latency over the {s['plan_query']['n']} plan questions
  beside a KB of the plan alone. `kb.check()` at scale: {s['check'] or 'clean'}.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n")[0])
    p.add_argument("--docs", type=int, default=None, help=f"laws in the scale run (default {DEFAULT_DOCS})")
    p.add_argument("--scale", action="store_true", help="the scale run on every law of the scale set")
    p.add_argument("--quick", action="store_true", help=f"100 questions, {QUICK_DOCS} laws, one cold start")
    p.add_argument("--scale-dir", default=None,
                   help="a data dir holding the whole scale set already (kb --data-dir DIR ingest corpus LAWS): "
                        "its ingest is timed separately; the bench measures its queries, size and memory")
    p.add_argument("--no-accuracy", action="store_true", help="skip `python -m eval` with each encoder")
    p.add_argument("--out", default=str(REPORTS), help="report directory (default eval/reports)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    res = run(args)
    res["bench_s"] = time.perf_counter() - started
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "bench.md").write_text(report_md(res), encoding="utf-8")
    print(table(res))
    for name, v in res["targets"].items():
        print(f"{name:22} {v['value']:.2f}  target {v['target']:8}  {_yes(res['targets'], name)}")
    print(f"bench {res['bench_s']:.0f} s; reports in {out}/bench.md and bench.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
