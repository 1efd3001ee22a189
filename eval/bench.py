"""`python -m eval.bench`: speed and scale of the knowledge base, in one process, with ratios.

    python -m eval.bench              # CI-sized: the plan + 30 related laws, and a 100-law scale subset
    python -m eval.bench --docs 300   # scale subset size (laws from ../shared/scale/laws.tar.gz)
    python -m eval.bench --scale      # every law of the scale set (takes long)
    python -m eval.bench --quick      # fewer questions, a small subset, one cold start

Writes eval/reports/bench.md and bench.json (or --out DIR) and prints the table.

What is measured (wall clock, time.perf_counter; models loaded before any timing except cold start):
* query, warm: p50/p95 of `kb.ask` (the full answer) over the gold questions (eval/gold/*.jsonl),
  beside the llama-index quick-start retriever (SentenceSplitter -> VectorStoreIndex on Chroma,
  same m3e-small, top-3; built by eval/baseline.py) on the same files and questions;
* ingest: the plan + the related laws into a fresh temp data dir, beside only encoding the same
  clause texts (kb.store.embed_text) with the same model (the floor); re-ingest unchanged; adding
  one document to the 31-document KB (only its clauses may be embedded);
* scale: N laws of the scale set (unpacked to a temp dir) + the plan: ingest time, peak RSS,
  index size, query latency beside the plan alone, RSS of a serving process (`kb ask --jsonl`);
* cold start: `kb ask "…" --json` in a new process, from start to the answer.
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
from pathlib import Path

import kb.config  # noqa: F401  (offline environment before any model code loads)
from kb.config import REPO_ROOT, shared_dir

REPORTS = REPO_ROOT / "eval" / "reports"
GOLD_DIR = REPO_ROOT / "eval" / "gold"
COLD_QUESTION = "职教高考改革由哪些单位负责？"
DEFAULT_DOCS = 100          # CI-sized scale subset (bench durations measured so far: docs/scaling.md)
QUICK_DOCS = 30
TARGETS = {                 # name -> (comparison, limit)
    "query_ratio": ("<=", 1.5),
    "ingest_ratio": ("<=", 1.25),
    "reingest_s": ("<", 2.0),
    "scale_query_ratio": ("<=", 2.0),
    "serving_rss_gb": ("<", 3.0),
    "cold_start_s": ("<", 10.0),
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


def child_env() -> dict:
    env = dict(os.environ)
    env.pop("KB_CHROMA_URL", None)          # the bench measures the embedded store
    env.setdefault("HF_HUB_OFFLINE", "1")
    return env


def cold_start(data_dir: Path, runs: int) -> dict:
    """`kb ask "…" --json` in a new process: seconds from spawn until the answer is printed."""
    times, answer = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([*kb_command(), "--data-dir", str(data_dir), "ask", COLD_QUESTION, "--json"],
                              capture_output=True, text=True, env=child_env(), cwd=REPO_ROOT, timeout=300)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(f"kb ask failed: {proc.stderr[-2000:]}")
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
    first = answer["citations"][0]["clause_id"] if answer.get("citations") else None
    return {"runs": runs, "first_s": times[0], "median_s": statistics.median(times), "all_s": times,
            "first_citation": first}


def serving_rss(data_dir: Path, qs: list[str]) -> dict:
    """A `kb ask --jsonl` process on this KB answers the questions; its RSS after that and its peak."""
    import psutil
    proc = subprocess.Popen([*kb_command(), "--data-dir", str(data_dir), "ask", "--jsonl"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=child_env(), cwd=REPO_ROOT)
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


# ----------------------------------------------------------------------------------------------

def run(args) -> dict:
    from kb.api import KnowledgeBase
    from kb.embed import embed, encoder, settings as encoder_settings
    from kb.store import embed_text
    from kb.tokenize import tokens

    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    res: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "args": vars(args)}
    try:
        corpus = [REPO_ROOT / "corpus", shared_dir() / "related"]
        qs = questions()
        if args.quick:
            qs = random.Random(0).sample(qs, min(100, len(qs)))
        plan_qs = questions(["plan.jsonl"])
        log(f"{len(qs)} questions; temp dir {tmp}")

        # -- warm-up: model and tokenizer loaded once, outside every timing but cold start ------
        t0 = time.perf_counter()
        encoder()
        embed(["热身"])
        tokens("职业教育提质增效")
        res["model_load_s"] = time.perf_counter() - t0
        res["encoder"] = encoder_settings()

        # -- ingest ------------------------------------------------------------------------------
        kb = KnowledgeBase.open(tmp / "kb31")
        c0 = time.process_time()
        rep = kb.ingest(corpus)
        ingest_cpu = time.process_time() - c0
        docs = {d.doc_id: d for d in kb.documents()}
        clauses = kb.clauses()
        texts = [embed_text(c, docs[c.doc_id].title) for c in clauses]
        t0, c0 = time.perf_counter(), time.process_time()
        embed(texts)
        floor, floor_cpu = time.perf_counter() - t0, time.process_time() - c0
        log(f"ingest {len(docs)} docs / {rep.clauses} clauses: {rep.seconds:.1f}s, encode only {floor:.1f}s")
        re_rep = kb.ingest(corpus)
        res["ingest"] = {"docs": len(docs), "clauses": len(clauses), "embedded": rep.clauses,
                         "rejected": rep.rejected, "seconds": rep.seconds, "encode_only_s": floor,
                         "ratio": rep.seconds / floor,
                         "cpu_s": ingest_cpu, "encode_only_cpu_s": floor_cpu, "cpu_ratio": ingest_cpu / floor_cpu,
                         "reingest_s": re_rep.seconds,
                         "reingest_embedded": re_rep.clauses, "index_mb": dir_bytes(tmp / "kb31") / 1e6}

        # -- scale set unpacked (also gives the document added to the 31) ------------------------
        laws = unpack_laws(tmp / "laws")
        related = {p.stem for p in (shared_dir() / "related").glob("*")}
        extra = next(f for f in laws if f.stem not in related and f.stem not in docs)
        add = kb.ingest([extra])
        added_clauses = len(kb.clauses(extra.stem))
        t0 = time.perf_counter()
        kb.remove_document(extra.stem)
        remove_s = time.perf_counter() - t0
        res["add_one"] = {"doc": extra.name, "seconds": add.seconds, "embedded": add.clauses,
                          "doc_clauses": added_clauses, "only_its_clauses": add.clauses == added_clauses,
                          "remove_s": remove_s}
        log(f"add one ({extra.name}): {add.seconds:.2f}s, embedded {add.clauses} of its {added_clauses} clauses")

        # -- warm query latency: ours beside the llama-index quick start ------------------------
        res["query"] = {"ours_ask": latency(kb.ask, qs),
                        "ours_retrieve_hybrid": latency(lambda q: kb.retrieve(q, "hybrid"), qs, reuse_vectors=True)}
        from eval.baseline import Baseline
        base = Baseline(corpus, clauses, kb.unit_names(), top_k=3)
        res["query"]["baseline_retrieve_top3"] = latency(base.retriever.retrieve, qs)
        res["query"]["baseline_build_s"] = base.build_seconds
        res["query"]["baseline_chunks"] = base.n_chunks
        res["query"]["ratio"] = res["query"]["ours_ask"]["p50_ms"] / res["query"]["baseline_retrieve_top3"]["p50_ms"]
        del base
        log("query: ours p50 {:.1f} ms, baseline p50 {:.1f} ms".format(
            res["query"]["ours_ask"]["p50_ms"], res["query"]["baseline_retrieve_top3"]["p50_ms"]))

        # -- cold start ----------------------------------------------------------------------------
        res["cold_start"] = cold_start(tmp / "kb31", 1 if args.quick else 3)
        log(f"cold start {res['cold_start']['median_s']:.1f}s")

        # -- scale -----------------------------------------------------------------------------------
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
                        "prebuilt": bool(args.scale_dir),
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
        res["scale"]["cold_start"] = cold_start(scale_dir, 1)
        res["bench_peak_rss_gb"] = ru_maxrss_bytes() / 1e9
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["machine"] = machine()
    res["targets"] = verdicts(res)
    return res


def machine() -> dict:
    import torch
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=REPO_ROOT).stdout.strip()
    except OSError:
        commit = ""
    return {"cpus": len(os.sched_getaffinity(0)), "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform(),
            "load_avg": os.getloadavg(), "commit": commit}


def verdicts(res: dict) -> dict:
    values = {"query_ratio": res["query"]["ratio"], "ingest_ratio": res["ingest"]["ratio"],
              "reingest_s": res["ingest"]["reingest_s"], "scale_query_ratio": res["scale"]["ratio"],
              "serving_rss_gb": res["scale"]["serving"]["rss_gb"], "cold_start_s": res["cold_start"]["median_s"]}
    out = {}
    for name, value in values.items():
        op, limit = TARGETS[name]
        out[name] = {"value": value, "target": f"{op} {limit}",
                     "met": value <= limit if op == "<=" else value < limit}
    return out


def _yes(ok: bool) -> str:
    return "met" if ok else "NOT met"


def table(res: dict) -> str:
    q, i, a, s, c, t = res["query"], res["ingest"], res["add_one"], res["scale"], res["cold_start"], res["targets"]
    rows = [
        ("query p50, warm (ms)", f"{q['ours_ask']['p50_ms']:.1f}", f"{q['baseline_retrieve_top3']['p50_ms']:.1f}",
         f"{q['ratio']:.2f}×", "≤ 1.5×", _yes(t["query_ratio"]["met"])),
        ("query p95, warm (ms)", f"{q['ours_ask']['p95_ms']:.1f}", f"{q['baseline_retrieve_top3']['p95_ms']:.1f}",
         f"{q['ours_ask']['p95_ms'] / q['baseline_retrieve_top3']['p95_ms']:.2f}×", "", ""),
        ("query p50, CPU time of the process (ms)", f"{q['ours_ask']['cpu_p50_ms']:.1f}",
         f"{q['baseline_retrieve_top3']['cpu_p50_ms']:.1f}",
         f"{q['ours_ask']['cpu_p50_ms'] / q['baseline_retrieve_top3']['cpu_p50_ms']:.2f}×", "", ""),
        ("retrieve only (hybrid) p50 / p95 (ms)",
         f"{q['ours_retrieve_hybrid']['p50_ms']:.1f} / {q['ours_retrieve_hybrid']['p95_ms']:.1f}",
         "", "", "", ""),
        (f"ingest {i['docs']} docs, {i['embedded']} clauses (s)", f"{i['seconds']:.1f}",
         f"{i['encode_only_s']:.1f} (encode only)", f"{i['ratio']:.2f}×", "≤ 1.25×", _yes(t["ingest_ratio"]["met"])),
        ("ingest, CPU time of the process (s)", f"{i['cpu_s']:.1f}", f"{i['encode_only_cpu_s']:.1f} (encode only)",
         f"{i['cpu_ratio']:.2f}×", "", ""),
        ("re-ingest unchanged (s)", f"{i['reingest_s']:.2f}", f"{i['reingest_embedded']} embedded", "", "< 2 s",
         _yes(t["reingest_s"]["met"])),
        ("add 1 doc to the 31 (s)", f"{a['seconds']:.2f}",
         f"{a['embedded']} embedded / {a['doc_clauses']} its clauses", "", "only its clauses",
         _yes(a["only_its_clauses"])),
        ("llama-index baseline build (s)", "", f"{q['baseline_build_s']:.1f} ({q['baseline_chunks']} chunks)",
         "", "", ""),
        (f"scale: ingest plan + {s['laws']} laws, {s['embedded']} clauses (s)"
         + (" — prebuilt index, catch-up only" if s.get("prebuilt") else ""), f"{s['ingest_s']:.1f}",
         f"{s['clauses_per_s']:.0f} clauses/s; CPU {s['ingest_cpu_s']:.0f} s", "", "", ""),
        ("scale: index on disk (MB)", f"{s['index_mb']:.0f}", f"31 docs: {i['index_mb']:.0f}", "", "", ""),
        ("scale: peak RSS while ingesting (GB)", f"{s['ingest_peak_rss_gb']:.2f}",
         f"+{s['ingest_rss_growth_gb']:.2f} during ingest", "", "", ""),
        ("scale: query p50 / p95 (ms)", f"{s['scale_query']['p50_ms']:.1f} / {s['scale_query']['p95_ms']:.1f}",
         f"{s['plan_query']['p50_ms']:.1f} / {s['plan_query']['p95_ms']:.1f} (plan only)",
         f"{s['ratio']:.2f}×", "≤ 2×", _yes(t["scale_query_ratio"]["met"])),
        ("scale: answer path p50, question vectors reused (ms)", f"{s['scale_answer_path']['p50_ms']:.1f}",
         f"{s['plan_answer_path']['p50_ms']:.1f} (plan only)",
         f"{s['scale_answer_path']['p50_ms'] / s['plan_answer_path']['p50_ms']:.2f}×", "", ""),
        ("scale: query p50 CPU time (ms)", f"{s['scale_query']['cpu_p50_ms']:.1f}",
         f"{s['plan_query']['cpu_p50_ms']:.1f} (plan only)",
         f"{s['scale_query']['cpu_p50_ms'] / s['plan_query']['cpu_p50_ms']:.2f}×", "", ""),
        ("scale: serving process RSS (GB)", f"{s['serving']['rss_gb']:.2f}", f"peak {s['serving']['peak_gb']:.2f}",
         "", "< 3 GB", _yes(t["serving_rss_gb"]["met"])),
        ("cold start `kb ask --json` (s)", f"{c['median_s']:.1f}",
         f"first {c['first_s']:.1f}; at scale {s['cold_start']['median_s']:.1f}", "", "< 10 s",
         _yes(t["cold_start_s"]["met"])),
    ]
    head = ("measure", "ours", "reference", "ratio", "target", "")
    widths = [max(len(str(r[k])) for r in rows + [head]) for k in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)) + " |")
    return "\n".join(lines)


def report_md(res: dict) -> str:
    m, e = res["machine"], res["encoder"]
    met = sum(v["met"] for v in res["targets"].values())
    q = res["query"]
    return f"""# Speed and scale bench

`python -m eval.bench{' --quick' if res['args']['quick'] else ''}{' --scale' if res['args']['scale'] else ''}{' --scale-dir ' + res['args']['scale_dir'] if res['args'].get('scale_dir') else ''}` at {res['started']}, commit {m['commit']};
{m['cpus']} CPUs, torch {m['torch']} with {m['torch_threads']} threads, Python {m['python']};
load average at the end {', '.join(f'{x:.1f}' for x in m['load_avg'])} (the machine may be shared: absolute figures vary
between runs, the ratios compare phases of the same run). Encoder: {e}. Model load (excluded from
the warm figures, included in cold start): {res['model_load_s']:.1f} s.

{table(res)}

Targets met: {met} of {len(res['targets'])}.

* Queries: {q['ours_ask']['n']} gold questions (eval/gold/*.jsonl), 5 warm-up questions first; ours is
  `kb.ask` (full answer: retrieval, question analysis, answer and citations), the baseline is the
  llama-index quick-start retriever at top-3 (eval/baseline.py, same files, same m3e-small).
* Ingest: fresh temp data dir; the floor encodes the same {res['ingest']['clauses']} clause texts
  (`kb.store.embed_text`) with the same encoder in one call.
* Scale: {res['scale']['laws']} of the {res['scale']['laws_available']} laws of ../shared/scale/laws.tar.gz
  (spread evenly over the sorted list) + the plan, {res['scale']['docs']} documents, {res['scale']['clauses']}
  clauses; latency over the {res['scale']['plan_query']['n']} plan questions, beside a KB of the plan alone.
  Every latency embeds each question anew (a user's new question); the "answer path" row reuses
  the question vectors, timing retrieval and answering alone.
  Serving RSS: a `kb ask --jsonl` process on that KB after {res['scale']['serving']['questions']} questions.
  `kb.check()` at scale: {res['scale']['check'] or 'clean'}.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n")[0])
    p.add_argument("--docs", type=int, default=None, help=f"laws in the scale run (default {DEFAULT_DOCS})")
    p.add_argument("--scale", action="store_true", help="the scale run on every law of the scale set")
    p.add_argument("--quick", action="store_true", help=f"100 questions, {QUICK_DOCS} laws, one cold start")
    p.add_argument("--scale-dir", default=None,
                   help="a data dir holding the whole scale set already (kb --data-dir DIR ingest corpus LAWS): "
                        "its ingest is timed separately; the bench measures its queries, size and memory")
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
        print(f"{name:20} {v['value']:.2f}  target {v['target']:8}  {_yes(v['met'])}")
    print(f"bench {res['bench_s']:.0f} s; reports in {out}/bench.md and bench.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
