"""`python -m eval` / `kb eval`: answer the gold set, score answers and retrieval, compare with the
llama-index baseline, write eval/reports/latest.{md,json} and accuracy_by_kind.png.

See eval/README.md for the gold format and every metric's definition.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import kb.config  # noqa: F401  (offline environment first)
from kb.config import REPO_ROOT, shared_dir

from eval import metamorphic as MM
from eval import metrics as M
from eval import scope as scope_check

GOLD_DIR = REPO_ROOT / "eval" / "gold"
REPORTS = REPO_ROOT / "eval" / "reports"
MODES = ("dense", "keyword", "hybrid")
K = 10


# ----------------------------------------------------------------------------------------------
# gold
# ----------------------------------------------------------------------------------------------

def load_gold(path: str | Path | None = None) -> list[dict]:
    """Items of one JSONL file or of every *.jsonl in a directory (name order); adds `_file`."""
    path = Path(path) if path else GOLD_DIR
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise SystemExit(f"no gold files in {path}")
    items = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{f}:{n}: bad JSON: {e}")
            item["_file"] = f.name
            items.append(item)
    return items


def corpus_paths() -> list[Path]:
    return [REPO_ROOT / "corpus", shared_dir() / "related"]


def open_kb(data_dir: Path, log=print, paths: list[Path] | None = None):
    """The knowledge base in `data_dir`, brought up to date with `paths` (default: corpus + laws)."""
    from kb.api import KnowledgeBase
    t0 = time.perf_counter()
    kb = KnowledgeBase.open(data_dir)
    paths = [p for p in (paths or corpus_paths()) if p.exists()]
    report = kb.ingest(paths)
    log(f"eval KB {data_dir}: {len(report.added)} added, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed, {len(report.rejected)} rejected "
        f"({time.perf_counter() - t0:.1f}s)")
    for name, why in sorted(report.rejected.items()):
        log(f"  rejected {name}: {why}")
    return kb


def validate(items: list[dict], kb) -> dict:
    """Every gold (doc_id, clause_id) must exist in kb.clauses(); every doc_id in kb.documents()."""
    have = {(c.doc_id, c.clause_id) for c in kb.clauses()}
    docs = {d.doc_id for d in kb.documents()}
    missing, missing_docs, shape = [], [], []
    for it in items:
        for p in M.check_item(it):
            shape.append({"id": it.get("id"), "problem": p})
        if it.get("doc_id") and it["doc_id"] not in docs:
            missing_docs.append({"id": it["id"], "doc_id": it["doc_id"]})
        for d, c in M.gold_pairs(it):
            if (d, c) not in have:
                missing.append({"id": it["id"], "doc_id": d, "clause_id": c})
    ids = [it.get("id") for it in items]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    return {"ok": not (missing or missing_docs or shape or dup), "missing_clauses": missing,
            "missing_docs": missing_docs, "shape_problems": shape, "duplicate_ids": dup,
            "checked_pairs": sum(len(M.gold_pairs(it)) for it in items),
            "unit_disagreements": unit_disagreements(items, kb)}


def unit_disagreements(items: list[dict], kb) -> list[dict]:
    """Informational: 责任单位 the KB extracted for a gold `who` clause vs the gold units."""
    canon = M._default_canonical()
    units: dict[tuple[str, str], set[str]] = {}
    for c in kb.clauses():
        units.setdefault((c.doc_id, c.clause_id), set()).update(canon(u) for u in c.units)
    out, seen = [], set()
    for it in items:
        if it["kind"] != "who":
            continue
        for pair in M.gold_pairs(it):
            if pair in seen or pair not in units:
                continue
            seen.add(pair)
            want = {canon(u) for u in it["units"]}
            if units[pair] != want:
                out.append({"clause": f"{pair[0]}::{pair[1]}", "missing": sorted(want - units[pair]),
                            "extra": sorted(units[pair] - want)})
    return out


# ----------------------------------------------------------------------------------------------
# running the systems
# ----------------------------------------------------------------------------------------------

def _pairs(scored) -> list[tuple[str, str]]:
    return M.dedupe((s.clause.doc_id, s.clause.clause_id) for s in scored)


def clause_table(kb) -> dict[tuple[str, str], str]:
    """(doc_id, clause_id) -> the text the evidence check reads: the clause's heading path (the
    headings above it, as its citation card shows them) and its whole text (all its parts)."""
    parts: dict[tuple[str, str], list] = {}
    paths: dict[tuple[str, str], str] = {}
    for c in kb.clauses():
        parts.setdefault((c.doc_id, c.clause_id), []).append((c.part, c.text))
        paths[(c.doc_id, c.clause_id)] = "\n".join(c.path)
    return {key: paths[key] + "\n" + "".join(text for _, text in sorted(ps)) for key, ps in parts.items()}


def ask(kb, question: str, history: list[str] | None = None) -> dict:
    """kb.ask as an answer-contract dict; a crash is a wrong answer, reported, never fatal."""
    try:
        return kb.ask(question, history).to_dict()
    except Exception as e:
        return {"question": question, "answer": "", "abstained": False, "responsible_units": [],
                "citations": [], "error": f"{type(e).__name__}: {e}"}


def run_ours(items: list[dict], kb, log=print) -> tuple[list[dict], dict, dict]:
    """(answers, retrieval ranked lists by mode {id: [pairs]}, timing)."""
    answers, t_ask = [], 0.0
    for i, it in enumerate(items, 1):
        t0 = time.perf_counter()
        a = ask(kb, it["question"], it.get("history"))     # follow-ups carry their chat
        t_ask += time.perf_counter() - t0
        answers.append(a)
        if i % 50 == 0:
            log(f"  asked {i}/{len(items)}")
    ranked: dict[str, dict[str, list]] = {m: {} for m in MODES}
    t_ret = 0.0
    for it in items:
        if it["kind"] == "abstain" or not it.get("clause_ids"):
            continue
        for mode in MODES:
            t0 = time.perf_counter()
            try:
                ranked[mode][it["id"]] = _pairs(kb.retrieve(it["question"], mode, k=K))
            except Exception as e:
                log(f"  retrieve {mode} failed on {it['id']}: {type(e).__name__}: {e}")
                ranked[mode][it["id"]] = []
            t_ret += time.perf_counter() - t0
    return answers, ranked, {"ask_seconds": t_ask, "retrieve_seconds": t_ret}


def run_baseline(items: list[dict], kb, data_dir: Path, log=print):
    from eval.baseline import Baseline
    b = Baseline(corpus_paths(), kb.clauses(), kb.unit_names(), cache_dir=data_dir.parent / "eval-baseline-cache")
    log(f"baseline: {b.n_files} files, {b.n_chunks} chunks, {b.embedded} embedded now "
        f"({b.build_seconds:.1f}s)")
    answers, ranked = [], {}
    t0 = time.perf_counter()
    vectors = b.query_vectors([it["question"] for it in items]) or [None] * len(items)
    for it, vec in zip(items, vectors):
        a, r = b.run(it["question"], vec)
        answers.append(a)
        ranked[it["id"]] = r
    return answers, ranked, {"build_seconds": b.build_seconds, "query_seconds": time.perf_counter() - t0,
                             "chunks": b.n_chunks}


def evaluate(items: list[dict], answers: list[dict], ranked_by_mode: dict[str, dict],
             clause_texts: M.ClauseTexts) -> dict:
    canonical = M._default_canonical()
    scores = [M.score_answer(it, a, canonical, clause_texts) for it, a in zip(items, answers)]
    summary = M.summarize(items, scores)
    retrieval = {}
    targets = [it for it in items if it["kind"] != "abstain" and it.get("clause_ids")]
    for mode, ranked in ranked_by_mode.items():
        golds = [set(M.gold_pairs(it)) for it in targets]
        lists = [ranked.get(it["id"], []) for it in targets]
        retrieval[mode] = M.retrieval_metrics(lists, golds)
    summary["retrieval"] = retrieval
    return {"summary": summary, "scores": scores}


# ----------------------------------------------------------------------------------------------
# reports
# ----------------------------------------------------------------------------------------------

def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _f3(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _expected(it: dict) -> str:
    k = it["kind"]
    if k == "who":
        return "units: " + "、".join(it["units"])
    if k in ("unit_tasks", "mention"):
        return "clauses: " + ", ".join(it["clause_ids"])
    if k in ("list", "definition"):
        return "items: " + "、".join(it["items"])
    if k == "abstain":
        return "abstain"
    extra = f" (first citation in {', '.join(it['clause_ids'])})" if k in ("general", "version") else ""
    return "values: " + "、".join(it.get("values", [])) + extra


def _got(it: dict, a: dict) -> str:
    parts = []
    if a.get("error"):
        parts.append(f"ERROR {a['error']}")
    if a.get("abstained"):
        parts.append("[abstained]")
    if it["kind"] == "who":
        parts.append("units: " + "、".join(a.get("responsible_units", []) or []))
    text = " ".join((a.get("answer") or "").split())
    parts.append(text[:300] + ("…" if len(text) > 300 else ""))
    return " ".join(parts)


def _cited(a: dict) -> str:
    return ", ".join(f"{d}::{c}" if d != "楚雄州职业教育提质增效工作实施方案" else c
                     for d, c in M.citation_pairs(a)) or "-"


def _short(pairs) -> str:
    return ", ".join(f"{d}::{c}" if d != "楚雄州职业教育提质增效工作实施方案" else c for d, c in pairs) or "-"


def group_table(s: dict, b: dict | None) -> list[str]:
    """Accuracy per group (plan / laws / out-of-scope, by doc_id) beside issue 12's bar."""
    bar = M.BAR
    L = ["## Accuracy by group (by doc_id) against the bar", "",
         "| group | n | ours | baseline | bar |", "|---|---|---|---|---|"]
    for g, pg in s["per_group"].items():
        bg = b["per_group"].get(g) if b else None
        target = {"plan": f"≥ {100 * bar['plan']:.0f}%", "laws": f"≥ {100 * bar['laws']:.0f}%"}.get(g, "see abstention")
        L.append(f"| {g} | {pg['n']} | {_pct(pg['accuracy'])} ({pg['correct']}; {pg['abstained']} abstained) | "
                 f"{_pct(bg['accuracy']) if bg else '-'} | {target} |")
    ab = s["abstention"]
    L.append(f"| abstention precision / recall (n: abstained / out-of-scope) | {ab['predicted']} / {ab['gold']} | "
             f"{_pct(ab['precision'])} / {_pct(ab['recall'])} | - | ≥ {100 * bar['abstention']:.0f}% each |")
    L.append(f"| all (the gold set's bar) | {s['n']} | {_pct(s['accuracy'])} | {_pct(b['accuracy']) if b else '-'} | "
             f"≥ {100 * bar['gold']:.0f}% |")
    L.append("")
    return L


def build_report(items, ours, base, validation, timing, answers, base_answers, ranked, base_ranked,
                 metamorphic: dict | None = None, scope: dict | None = None) -> tuple[str, dict]:
    s, b = ours["summary"], (base["summary"] if base else None)
    L = ["# Evaluation report", ""]
    files = ", ".join(f"{k} {v['n']}" for k, v in s["per_file"].items())
    L.append(f"Gold: {len(items)} questions ({files}). Definitions: eval/README.md. Reproduce: `python -m eval`.")
    L.append("")
    v = validation
    L.append(f"Validator: {'all gold clause ids found' if v['ok'] else 'PROBLEMS'} "
             f"({v['checked_pairs']} (doc, clause) pairs checked; {len(v['missing_clauses'])} missing clauses, "
             f"{len(v['missing_docs'])} missing documents, {len(v['shape_problems'])} shape problems).")
    for m in v["missing_clauses"]:
        L.append(f"- missing: {m['id']} {m['doc_id']} :: {m['clause_id']}")
    ud = v.get("unit_disagreements", [])
    L.append(f"责任单位 extracted by the KB for the gold `who` clauses: "
             f"{'all agree with the gold' if not ud else f'{len(ud)} clauses disagree'}.")
    for d in ud:
        L.append(f"- {d['clause']}: missing {'、'.join(d['missing']) or '-'}; extra {'、'.join(d['extra']) or '-'}")
    L.append("")
    L.append("## Summary")
    L.append("")
    L.append("| metric | ours | baseline |")
    L.append("|---|---|---|")

    def row(name, f):
        L.append(f"| {name} | {f(s)} | {f(b) if b else '-'} |")
    row("overall accuracy", lambda x: f"{_pct(x['accuracy'])} ({x['correct']}/{x['n']})")
    row("overall accuracy, previous scoring (a value anywhere in the answer; shown for one report)",
        lambda x: _pct(x["accuracy_lenient"]))
    row("accuracy on answerable questions", lambda x: _pct(x["answerable_accuracy"]))
    row("answer length, median characters", lambda x: str(x["answer_chars_median"]))
    row("who: unit F1 (micro)", lambda x: f"{_f3(x['who_units']['micro_f1'])} (P {_f3(x['who_units']['micro_precision'])} / R {_f3(x['who_units']['micro_recall'])})")
    row("who: unit F1 (macro)", lambda x: _f3(x['who_units']['macro_f1']))
    row("unit_tasks+mention: clause F1 (macro)", lambda x: f"{_f3(x['clause_sets']['macro_f1'])} (P {_f3(x['clause_sets']['macro_precision'])} / R {_f3(x['clause_sets']['macro_recall'])})")
    row("citation accuracy (first citation is gold)", lambda x: f"{_pct(x['citation_accuracy'])} (n={x['citation_n']})")
    row("abstention precision", lambda x: f"{_pct(x['abstention']['precision'])} ({x['abstention']['predicted']} abstained)")
    row("abstention recall", lambda x: f"{_pct(x['abstention']['recall'])} (of {x['abstention']['gold']})")
    L.append("")
    L += group_table(s, b)
    L.append("## Accuracy by kind")
    L.append("")
    L.append("| kind | n | ours | baseline |")
    L.append("|---|---|---|---|")
    for k, pk in s["per_kind"].items():
        bk = b["per_kind"].get(k) if b else None
        bcell = f"{_pct(bk['accuracy'])} ({bk['correct']})" if bk else "-"
        L.append(f"| {k} | {pk['n']} | {_pct(pk['accuracy'])} ({pk['correct']}) | {bcell} |")
    L.append("")
    L.append("## Accuracy by style and by file")
    L.append("")
    L.append("| group | n | ours | baseline |")
    L.append("|---|---|---|---|")
    for key in ("per_style", "per_file"):
        for k, pk in s[key].items():
            bk = b[key].get(k) if b else None
            L.append(f"| {k} | {pk['n']} | {_pct(pk['accuracy'])} | {_pct(bk['accuracy']) if bk else '-'} |")
    L.append("")
    L.append(f"## Retrieval by clause id (k={K}; n = answerable questions with gold clauses)")
    L.append("")
    L.append("| system / mode | n | hit@1 | hit@5 | MRR | nDCG@10 |")
    L.append("|---|---|---|---|---|---|")
    rows = [(f"ours / {m}", s["retrieval"][m]) for m in MODES]
    if b:
        rows.append(("baseline / llama-index dense", b["retrieval"]["baseline"]))
    for name, r in rows:
        L.append(f"| {name} | {r['n']} | {_f3(r['hit@1'])} | {_f3(r['hit@5'])} | {_f3(r['mrr'])} | {_f3(r['ndcg@10'])} |")
    L.append("")
    if metamorphic:
        L += MM.markdown(metamorphic)
    if scope:
        L += scope_check.markdown(scope)
    L.append("## Timing (not part of the compared numbers)")
    L.append("")
    for k2, v2 in timing.items():
        L.append(f"- {k2}: {v2:.1f}s" if isinstance(v2, float) else f"- {k2}: {v2}")
    L.append("")
    misses = [(it, a, sc) for it, a, sc in zip(items, answers, ours["scores"]) if not sc.correct]
    L.append(f"## Misses: ours ({len(misses)})")
    L.append("")
    for it, a, sc in misses:
        L.append(f"### {it['id']} [{it['kind']}, {it['style']}] {it['question']}")
        L.append(f"- expected: {_expected(it)}")
        L.append(f"- got: {_got(it, a)}")
        d = sc.detail
        if d.get("missing") or d.get("extra"):
            L.append(f"- missing: {'、'.join(d.get('missing', [])) or '-'}; extra: {'、'.join(d.get('extra', [])) or '-'}")
        if d.get("unsupported"):
            L.append(f"- in the answer but in no cited gold clause: {'、'.join(d['unsupported'])}")
        L.append(f"- cited: {_cited(a)}")
        if it["id"] in ranked.get("hybrid", {}):
            L.append(f"- retrieved (hybrid top 5): {_short(ranked['hybrid'][it['id']][:5])}")
        L.append("")
    if base:
        bm = [(it, a) for it, a, sc in zip(items, base_answers, base["scores"]) if not sc.correct]
        L.append(f"## Misses: baseline ({len(bm)})")
        L.append("")
        L.append("| id | kind | question | got (start of the top chunk) | cited (top chunk) | retrieved top 5 |")
        L.append("|---|---|---|---|---|---|")
        for it, a in bm:
            got = " ".join((a.get("answer") or "").split())[:60].replace("|", "/")
            L.append(f"| {it['id']} | {it['kind']} | {it['question']} | {got}… | {_cited(a)[:120]} | "
                     f"{_short(base_ranked.get(it['id'], [])[:5])[:160]} |")
        L.append("")

    def per_q(scores, ans, rk):
        out = []
        for it, a, sc in zip(items, ans, scores):
            out.append({"id": it["id"], "kind": it["kind"], "style": it["style"], "question": it["question"],
                        "correct": sc.correct, "abstained": sc.abstained,
                        "first_citation_ok": sc.first_citation_ok, "detail": sc.detail,
                        "answer": a.get("answer", ""), "responsible_units": a.get("responsible_units", []),
                        "cited": [f"{d}::{c}" for d, c in M.citation_pairs(a)],
                        "retrieved": {m: [f"{d}::{c}" for d, c in r.get(it["id"], [])] for m, r in rk.items()},
                        **({"error": a["error"]} if a.get("error") else {})})
        return out
    data = {"fingerprint": "",
            "gold": {"n": len(items), "files": sorted({it["_file"] for it in items})},
            "validation": validation,
            "ours": {**s, "questions": per_q(ours["scores"], answers, ranked)},
            "baseline": ({**b, "questions": per_q(base["scores"], base_answers, {"baseline": base_ranked})}
                         if base else None),
            "metamorphic": metamorphic, "scope_check": scope,
            "timing": timing}
    data["fingerprint"] = fingerprint(data)
    L.insert(2, f"Fingerprint of all figures and per-question results (equal across runs when the run "
                f"is deterministic): `{data['fingerprint']}`")
    L.insert(3, "")
    return "\n".join(L) + "\n", data


def fingerprint(data: dict) -> str:
    """sha256 (first 16 hex) of everything in the report except timing: two runs should match."""
    import hashlib
    keep = {k: v for k, v in data.items() if k not in ("timing", "fingerprint")}
    return hashlib.sha256(json.dumps(keep, ensure_ascii=False, sort_keys=True, default=str)
                          .encode("utf-8")).hexdigest()[:16]


def chart(ours: dict, base: dict | None, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    names = {f.name for f in font_manager.fontManager.ttflist}
    for font in ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "WenQuanYi Zen Hei", "SimHei",
                 "Source Han Sans SC"):
        if font in names:
            plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
            break
    plt.rcParams["axes.unicode_minus"] = False
    kinds = list(ours["per_kind"])
    x = range(len(kinds))
    w = 0.4 if base else 0.6
    fig, ax = plt.subplots(figsize=(11, 4.8), dpi=110)
    ov = [100 * ours["per_kind"][k]["accuracy"] for k in kinds]
    bars = ax.bar([i - (w / 2 if base else 0) for i in x], ov, w, label=f"ours ({100 * ours['accuracy']:.1f}% overall)",
                  color="#2b6cb0")
    ax.bar_label(bars, fmt="%.0f", fontsize=8)
    if base:
        bv = [100 * base["per_kind"].get(k, {"accuracy": 0})["accuracy"] for k in kinds]
        bars = ax.bar([i + w / 2 for i in x], bv, w,
                      label=f"llama-index baseline ({100 * base['accuracy']:.1f}% overall)", color="#a0aec0")
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks(list(x))
    ax.set_xticklabels([f"{k}\n(n={ours['per_kind'][k]['n']})" for k in kinds], fontsize=9)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 110)
    ax.set_title("楚雄州职教知识库：各类问题的回答准确率 (accuracy by kind)")
    ax.legend(loc="upper right", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def terminal_table(ours: dict, base: dict | None, metamorphic: dict | None = None,
                   scope: dict | None = None) -> str:
    lines = [f"{'':34}{'ours':>12}{'baseline':>12}"]

    def line(name, f):
        lines.append(f"{name:34}{f(ours):>12}{(f(base) if base else '-'):>12}")
    line("overall accuracy", lambda x: _pct(x["accuracy"]))
    line("  previous scoring (one report)", lambda x: _pct(x["accuracy_lenient"]))
    for g in ours["per_group"]:
        line(f"  group {g} (n={ours['per_group'][g]['n']})",
             lambda x, g=g: _pct(x["per_group"][g]["accuracy"]) if g in x["per_group"] else "-")
    for k in ours["per_kind"]:
        line(f"  {k} (n={ours['per_kind'][k]['n']})",
             lambda x, k=k: _pct(x["per_kind"][k]["accuracy"]) if k in x["per_kind"] else "-")
    line("who unit F1 (micro)", lambda x: _f3(x['who_units']['micro_f1']))
    line("citation accuracy", lambda x: _pct(x["citation_accuracy"]))
    line("abstention precision", lambda x: _pct(x["abstention"]["precision"]))
    line("abstention recall", lambda x: _pct(x["abstention"]["recall"]))
    for m in MODES:
        lines.append(f"{'retrieval ' + m + ' hit@1 / MRR':34}"
                     f"{_f3(ours['retrieval'][m]['hit@1'])} / {_f3(ours['retrieval'][m]['mrr'])}")
    if base:
        r = base["retrieval"]["baseline"]
        lines.append(f"{'baseline retrieval hit@1 / MRR':34}{_f3(r['hit@1'])} / {_f3(r['mrr'])}")
    if metamorphic:
        lines.append("invariance (metamorphic)")
        for name, t in metamorphic["transformations"].items():
            lines.append(f"  {name:32}{_pct(t['rate']):>12}   {t['invariant']}/{t['n']}")
    if scope:
        lines.append(f"{'scope: plan-only = plan + laws':34}{scope['same']:>12}   of {scope['n']} plan questions "
                     f"({len(scope['differences'])} differ)")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    if argv and argv[0] == "--":          # `kb eval -- --no-baseline` hands the separator on
        argv = argv[1:]
    p = argparse.ArgumentParser(prog="python -m eval", description="Evaluate the knowledge base on the gold set.")
    p.add_argument("--gold", help="a gold JSONL file or a directory of them (default eval/gold)")
    p.add_argument("--no-baseline", action="store_true", help="skip the llama-index baseline")
    p.add_argument("--validate", action="store_true", help="only check that every gold clause id exists")
    p.add_argument("--data-dir", help="eval knowledge base location (default <repo>/data/eval-kb); the "
                   "plan-only knowledge base of the scope check lives beside it, in <data-dir>-plan")
    p.add_argument("--out", help="report directory (default eval/reports)")
    p.add_argument("--metamorphic", action="store_true",
                   help="only the gold answers and the metamorphic invariance report (no baseline, no scope check)")
    p.add_argument("--scope-check", action="store_true",
                   help="only the gold answers and the plan-only vs plan + laws comparison (no baseline, "
                        "no metamorphic variants)")
    p.add_argument("--no-metamorphic", action="store_true", help="skip the metamorphic variants")
    p.add_argument("--no-scope-check", action="store_true", help="skip the plan-only knowledge base")
    args = p.parse_args(argv)
    # --metamorphic / --scope-check select their sections; the default full run has every section
    only = args.metamorphic or args.scope_check
    args.run_baseline = not (args.no_baseline or only)
    args.run_metamorphic = not args.no_metamorphic and (args.metamorphic or not only)
    args.run_scope = not args.no_scope_check and (args.scope_check or not only)
    return args


def run_scope_check(items: list[dict], answers: list[dict], scores: list[M.Score], data_dir: Path,
                    log=print) -> dict | None:
    """Answer the plan questions from a plan-only knowledge base (its own data dir) and compare."""
    chosen = [i for i, it in enumerate(items) if M.group(it) == "plan"]
    if not chosen:
        return None
    kb = open_kb(data_dir, log, paths=[REPO_ROOT / "corpus"])
    table, canonical = clause_table(kb), M._default_canonical()
    plan_only = []
    for i in chosen:
        a = ask(kb, items[i]["question"], items[i].get("history"))
        plan_only.append((a, M.score_answer(items[i], a, canonical, table)))
    return scope_check.compare([items[i] for i in chosen], [(answers[i], scores[i]) for i in chosen], plan_only)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)   # noqa: E731
    started = time.perf_counter()
    items = load_gold(args.gold)
    data_dir = Path(args.data_dir) if args.data_dir else REPO_ROOT / "data" / "eval-kb"
    out = Path(args.out) if args.out else REPORTS
    kb = open_kb(data_dir, log)
    validation = validate(items, kb)
    if args.validate:
        print(f"{len(items)} questions, {validation['checked_pairs']} (doc_id, clause_id) pairs checked")
        for m in validation["missing_clauses"]:
            print(f"missing clause: {m['id']}  {m['doc_id']} :: {m['clause_id']}")
        for m in validation["missing_docs"]:
            print(f"missing document: {m['id']}  {m['doc_id']}")
        for m in validation["shape_problems"]:
            print(f"bad item: {m['id']}  {m['problem']}")
        for i in validation["duplicate_ids"]:
            print(f"duplicate id: {i}")
        for d in validation["unit_disagreements"]:
            print(f"note: KB units for {d['clause']} differ from the gold: missing {d['missing']}, extra {d['extra']}")
        print("OK" if validation["ok"] else "PROBLEMS FOUND")
        return 0 if validation["ok"] else 1
    if validation["shape_problems"] or validation["duplicate_ids"]:
        # a gold item that cannot be scored: say which, score nothing
        for m in validation["shape_problems"]:
            log(f"bad item: {m['id']}  {m['problem']}")
        for i in validation["duplicate_ids"]:
            log(f"duplicate id: {i}")
        log("the gold file has items that cannot be scored (see above); fix them or run --validate")
        return 2

    log(f"answering {len(items)} questions …")
    answers, ranked, t_ours = run_ours(items, kb, log)
    table = clause_table(kb)
    ours = evaluate(items, answers, ranked, table)
    timing = {**t_ours}
    base = base_answers = base_ranked = metamorphic = scope = None
    if args.run_baseline:
        log("baseline …")
        base_answers, base_ranked, t_base = run_baseline(items, kb, data_dir, log)
        base = evaluate(items, base_answers, {"baseline": base_ranked}, table)
        timing.update({f"baseline_{k}": v for k, v in t_base.items()})
    if args.run_metamorphic:
        log("metamorphic variants …")
        t0 = time.perf_counter()
        metamorphic = MM.run(items, answers, lambda q, h: ask(kb, q, h), table, log)
        timing["metamorphic_seconds"] = time.perf_counter() - t0
    if args.run_scope:
        log("scope check: plan-only knowledge base …")
        t0 = time.perf_counter()
        scope = run_scope_check(items, answers, ours["scores"], data_dir.with_name(data_dir.name + "-plan"), log)
        timing["scope_check_seconds"] = time.perf_counter() - t0
    timing["total_seconds"] = time.perf_counter() - started

    md, data = build_report(items, ours, base, validation, timing, answers, base_answers or [],
                            ranked, base_ranked or {}, metamorphic, scope)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.md").write_text(md, encoding="utf-8")
    (out / "latest.json").write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n",
                                     encoding="utf-8")
    try:
        chart(ours["summary"], base["summary"] if base else None, out / "accuracy_by_kind.png")
    except Exception as e:                 # the chart is a convenience; never fail the run on it
        log(f"chart not written: {type(e).__name__}: {e}")
    print(terminal_table(ours["summary"], base["summary"] if base else None, metamorphic, scope))
    print(f"\nfingerprint {data['fingerprint']} (equal across runs when the run is deterministic)")
    print(f"reports: {out / 'latest.md'}, {out / 'latest.json'}, {out / 'accuracy_by_kind.png'} "
          f"({timing['total_seconds']:.0f}s)")
    if not validation["ok"]:
        print(f"validator: {len(validation['missing_clauses'])} gold clause ids not in the KB "
              "(see latest.md)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
