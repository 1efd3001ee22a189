"""Scope independence: a plan question must get the same answer whether the index holds the plan
alone (what `make run` serves) or the plan and the 30 laws (the eval knowledge base).

`compare` is pure: it takes the plan questions' answers and scores from both knowledge bases and
lists every question whose first citation or correctness differs. eval/run.py builds the plan-only
knowledge base in its own data directory and calls it (`python -m eval --scope-check`).
"""
from __future__ import annotations

from eval import metrics as M


def _first(answer: dict) -> str:
    cited = M.citation_pairs(answer)
    if not cited:
        return "abstained" if answer.get("abstained") else "-"
    d, c = cited[0]
    return c if d == M.PLAN_DOC else f"{d}::{c}"


def compare(items: list[dict], full: list[tuple[dict, M.Score]], plan_only: list[tuple[dict, M.Score]]) -> dict:
    """items: the plan questions; full / plan_only: (answer, score) for each, in the same order."""
    differences = []
    same_first = same_correct = 0
    for it, (a_full, s_full), (a_plan, s_plan) in zip(items, full, plan_only):
        first_full, first_plan = _first(a_full), _first(a_plan)
        same_first += first_full == first_plan
        same_correct += s_full.correct == s_plan.correct
        if first_full != first_plan or s_full.correct != s_plan.correct:
            differences.append({"id": it["id"], "question": it["question"],
                                "full": {"first": first_full, "correct": s_full.correct},
                                "plan_only": {"first": first_plan, "correct": s_plan.correct}})
    n = len(items)
    return {"n": n, "same_first_citation": same_first, "same_correctness": same_correct,
            "same": n - len(differences),
            "accuracy_full": M._mean([float(s.correct) for _, s in full]),
            "accuracy_plan_only": M._mean([float(s.correct) for _, s in plan_only]),
            "differences": differences}


def markdown(result: dict) -> list[str]:
    r = result
    lines = ["## Scope independence: plan questions, plan-only index vs plan + 30 laws", "",
             f"{r['n']} plan questions: {r['same']} get the same answer (first citation and correctness) "
             f"from both indexes; first citation equal {r['same_first_citation']}, correctness equal "
             f"{r['same_correctness']}. Accuracy: plan + laws {100 * r['accuracy_full']:.1f}%, plan only "
             f"{100 * r['accuracy_plan_only']:.1f}%. The bar: no differences.", ""]
    if r["differences"]:
        lines += ["| id | question | plan + laws: first citation, correct | plan only: first citation, correct |",
                  "|---|---|---|---|"]
        for d in r["differences"]:
            lines.append(f"| {d['id']} | {d['question']} | {d['full']['first']}, {'yes' if d['full']['correct'] else 'no'} | "
                         f"{d['plan_only']['first']}, {'yes' if d['plan_only']['correct'] else 'no'} |")
        lines.append("")
    return lines
