"""Re-run the calibration sweep behind the answer layer's thresholds and sentence weights.

Each setting in `kb.answer.policy.Thresholds` and `kb.answer.handlers.free_text.SentenceWeights`
is swept over a grid around its current value, one at a time, the others held; every point
answers the whole gold set and reports accuracy and abstention precision / recall. The current
values should sit on (or next to) the best plateau; a value chosen by this sweep must hold on
the blind batches too, which the sweep never sees.

    python -m eval.calibrate                          # every setting (about a minute per point)
    python -m eval.calibrate --only min_coverage oov_coverage
    python -m eval.calibrate --gold eval/gold/abstain.jsonl --points 7
"""
from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from eval import metrics as M
from eval.run import clause_table, load_gold, open_kb
from kb.answer import policy
from kb.answer.handlers import free_text
from kb.config import REPO_ROOT

SCALES = (0.5, 0.75, 1.0, 1.25, 1.5)       # the grid: the current value times these


def settings() -> dict[str, tuple[object, str]]:
    """Setting name -> (the module attribute holding its dataclass, that attribute's name)."""
    out = {}
    for module, attr in ((policy, "THRESHOLDS"), (free_text, "WEIGHTS")):
        for f in dataclasses.fields(getattr(module, attr)):
            if isinstance(getattr(getattr(module, attr), f.name), (int, float)):
                out[f.name] = (module, attr)
    return out


def grid(value: float, points: int) -> list[float]:
    scales = SCALES if points == len(SCALES) else [0.5 + i / (points - 1) for i in range(points)]
    kind = type(value)
    return sorted({kind(round(value * s, 3)) for s in scales})


def score(kb, items: list[dict], table) -> dict:
    answers = [kb.ask(it["question"], it.get("history")).to_dict() for it in items]
    summary = M.summarize(items, [M.score_answer(it, a, None, table) for it, a in zip(items, answers)])
    return {"accuracy": summary["accuracy"], "abstention": summary["abstention"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.split("\n")[0])
    p.add_argument("--gold", default=str(REPO_ROOT / "eval" / "gold"))
    p.add_argument("--data-dir", default=str(REPO_ROOT / "data" / "eval-kb"))
    p.add_argument("--only", nargs="*", help="setting names (default: all)")
    p.add_argument("--points", type=int, default=len(SCALES))
    a = p.parse_args(argv)
    kb = open_kb(Path(a.data_dir))
    items, table = load_gold(a.gold), clause_table(kb)
    known = settings()
    names = a.only or list(known)
    print(f"{len(items)} gold questions; baseline: {score(kb, items, table)}")
    for name in names:
        module, attr = known[name]
        current = getattr(module, attr)
        value = getattr(current, name)
        print(f"\n{name} (now {value})")
        for candidate in grid(value, a.points):
            setattr(module, attr, dataclasses.replace(current, **{name: candidate}))
            t0 = time.perf_counter()
            result = score(kb, items, table)
            ab = result["abstention"]
            mark = " *" if candidate == value else ""
            print(f"  {candidate:>8}  accuracy {result['accuracy']:.1%}  abstention P {ab['precision']:.1%} "
                  f"R {ab['recall']:.1%}  ({time.perf_counter() - t0:.0f}s){mark}")
        setattr(module, attr, current)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
