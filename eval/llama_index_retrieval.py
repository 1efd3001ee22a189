"""llama-index's own RetrieverEvaluator on the gold clause ids, beside `kb eval`'s retrieval figures.

`python -m eval.llama_index_retrieval` runs `kb.integrations.llama_index.ClauseRetriever` (the
hybrid retrieval, top k) through `RetrieverEvaluator` with its `hit_rate` and `mrr` metrics on every
answerable gold question that names its clauses, and prints them beside eval.metrics' hit@1,
hit@5, hit@k and MRR on `kb.retrieve` for the same questions. The two must agree on hit@k and MRR:
a gold clause is expected as any of its parts (node ids are clause uids, `doc::clause#part`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import kb.config  # noqa: F401  (offline environment first)
from kb.config import REPO_ROOT

from eval import metrics as M

K = 10


def expected_uids(item: dict, parts: dict[tuple[str, str], list[str]]) -> list[str]:
    """Node ids that count as the gold clauses: every part of each (`parts`: see `clause_parts`)."""
    return [uid for pair in M.gold_pairs(item) for uid in parts.get(pair, [])]


def clause_parts(kb) -> dict[tuple[str, str], list[str]]:
    """(doc_id, clause_id) -> the uids of its parts."""
    parts: dict[tuple[str, str], list[str]] = {}
    for c in kb.clauses():
        parts.setdefault((c.doc_id, c.clause_id), []).append(c.uid)
    return parts


def targets(items: list[dict]) -> list[dict]:
    """The questions `kb eval` scores retrieval on."""
    return [it for it in items if it["kind"] != "abstain" and it.get("clause_ids")]


def llama_index_figures(items: list[dict], kb, k: int = K) -> dict:
    """{"n", "hit_rate", "mrr"} from llama-index's RetrieverEvaluator over ClauseRetriever."""
    from llama_index.core.evaluation import RetrieverEvaluator
    from kb.integrations.llama_index import ClauseRetriever
    evaluator = RetrieverEvaluator.from_metric_names(["hit_rate", "mrr"],
                                                     retriever=ClauseRetriever(kb, similarity_top_k=k))
    parts = clause_parts(kb)
    results = [evaluator.evaluate(query=it["question"], expected_ids=expected_uids(it, parts))
               for it in targets(items)]
    n = len(results)
    return {"n": n,
            "hit_rate": sum(r.metric_vals_dict["hit_rate"] for r in results) / n if n else None,
            "mrr": sum(r.metric_vals_dict["mrr"] for r in results) / n if n else None}


def kb_eval_figures(items: list[dict], kb, k: int = K) -> dict:
    """eval.metrics on kb.retrieve (hybrid, top k), as `kb eval` computes them, plus hit@k."""
    scored = targets(items)
    ranked = [M.dedupe((h.clause.doc_id, h.clause.clause_id) for h in kb.retrieve(it["question"], "hybrid", k=k))
              for it in scored]
    golds = [set(M.gold_pairs(it)) for it in scored]
    figures = M.retrieval_metrics(ranked, golds)
    figures[f"hit@{k}"] = sum(M.hit_at(r, g, k) for r, g in zip(ranked, golds)) / len(golds) if golds else None
    return figures


def main(argv: list[str] | None = None) -> int:
    from eval.run import load_gold, open_kb
    p = argparse.ArgumentParser(prog="python -m eval.llama_index_retrieval", description=__doc__.splitlines()[0])
    p.add_argument("--gold", help="a gold JSONL file or a directory of them (default eval/gold)")
    p.add_argument("--data-dir", help="eval knowledge base location (default <repo>/data/eval-kb)")
    p.add_argument("-k", type=int, default=K)
    args = p.parse_args(argv)
    items = load_gold(args.gold)
    kb = open_kb(Path(args.data_dir) if args.data_dir else REPO_ROOT / "data" / "eval-kb",
                 lambda m: print(m, file=sys.stderr))
    ours, theirs = kb_eval_figures(items, kb, args.k), llama_index_figures(items, kb, args.k)
    print(f"{ours['n']} gold questions with clause ids, hybrid retrieval, top {args.k}")
    print(f"kb eval (eval.metrics):          hit@1 {ours['hit@1']:.3f}  hit@5 {ours['hit@5']:.3f}  "
          f"hit@{args.k} {ours[f'hit@{args.k}']:.3f}  MRR {ours['mrr']:.3f}")
    print(f"llama-index RetrieverEvaluator:  hit_rate {theirs['hit_rate']:.3f}  MRR {theirs['mrr']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
