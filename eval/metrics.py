"""Scoring functions for the gold set: normalisation, set P/R/F1, ranking metrics, per-kind scoring.

Pure functions (no knowledge base needed) so that tests can check them on hand cases. The scorer
works on plain dicts shaped like the answer contract (`Answer.to_dict()`), so our system and the
baseline are scored by the same code.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from kb.textnorm import cn_to_int, fold

KINDS = ("who", "unit_tasks", "mention", "number", "list", "definition", "meta", "general", "version",
         "abstain")
STYLES = ("formal", "colloquial", "alias", "traditional", "typo", "wrapped", "compound", "followup")
PLAN_DOC = "楚雄州职业教育提质增效工作实施方案"
GROUPS = ("plan", "laws", "out-of-scope")
# issue 12's bar, per group of the fresh blind batches; abstention precision/recall over the batch
BAR = {"plan": 0.90, "laws": 0.85, "abstention": 0.90, "gold": 0.96, "invariance": 0.95}
# kinds whose gold values/items must appear in the answer AND in the text of a cited gold clause
EVIDENCED = {"number": "values", "meta": "values", "list": "items", "definition": "items"}

# ----------------------------------------------------------------------------------------------
# normalisation
# ----------------------------------------------------------------------------------------------

_FW = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}      # all full-width ASCII
_FW["\u3000"] = " "
_BRACKETS = str.maketrans({"（": "(", "）": ")", "〔": "(", "〕": ")", "［": "(", "］": ")", "[": "(",
                           "]": ")", "【": "(", "】": ")", "﹝": "(", "﹞": ")", "{": "(", "}": ")"})
_DROP = re.compile(r"[\"'“”‘’「」『』《》〈〉<>\s]")
_DASHES = re.compile(r"[—–－~～]+")
_CN = "零〇一二三四五六七八九十百千两"
_CN_DIGIT = {"零": "0", "〇": "0", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5",
             "六": "6", "七": "7", "八": "8", "九": "9"}
# A Chinese numeral is turned into digits only before one of these (so 一体化, 一线, 五长 stay).
_MEASURES = ("周岁", "小时", "人次", "个", "项", "所", "年", "月", "日", "天", "岁", "万", "亿", "倍",
             "级", "次", "条", "号", "届", "分", "名", "元", "周")
_PERCENT = re.compile(rf"百分之([{_CN}\d]+)(?:点([{_CN}\d]+))?")
_NUMERAL = re.compile(rf"[{_CN}]+(?=(?:{'|'.join(_MEASURES)}))")
_RANGE = re.compile(rf"[{_CN}]+(?=[至到-][{_CN}\d]+(?:{'|'.join(_MEASURES)}))")
_DATE_SEP = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DATE_CN = re.compile(r"(\d{4})年0*(\d{1,2})月0*(\d{1,2})日")
_MONTH_DAY = re.compile(r"(?<!\d)0(\d)(?=[月日])")


def cn_number(text: str) -> str | None:
    """二十四 -> "24", 二〇二四 -> "2024", 十 -> "10", 两 -> "2"; None when not a number."""
    if not text:
        return None
    if all(c in _CN_DIGIT for c in text):
        if len(text) == 1 or text[0] not in "零〇":
            return "".join(_CN_DIGIT[c] for c in text)
    n = cn_to_int(text.replace("两", "二"))
    return None if n is None else str(n)


def _digits(m: re.Match) -> str:
    return cn_number(m.group(0)) or m.group(0)


def _percent(m: re.Match) -> str:
    whole = m.group(1) if m.group(1).isdigit() else cn_number(m.group(1))
    if whole is None:
        return m.group(0)
    frac = m.group(2)
    if frac:
        frac = frac if frac.isdigit() else "".join(_CN_DIGIT.get(c, c) for c in frac)
        return f"{whole}.{frac}%"
    return f"{whole}%"


def normalize(text: str) -> str:
    """Comparison key for answers and gold strings (see eval/README.md)."""
    if not text:
        return ""
    text = "".join(_FW.get(c, c) for c in text)
    text = fold(text)
    text = text.translate(_BRACKETS)
    text = _DROP.sub("", text)
    text = _DASHES.sub("-", text)
    text = _PERCENT.sub(_percent, text)
    text = _RANGE.sub(_digits, text)
    text = _NUMERAL.sub(_digits, text)
    text = _DATE_SEP.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", text)
    text = _DATE_CN.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", text)
    text = _MONTH_DAY.sub(r"\1", text)
    return text


def contains_all(answer: str, needles: Iterable[str]) -> tuple[bool, list[str]]:
    """(all present, missing) after normalising both sides."""
    key = normalize(answer)
    missing = [n for n in needles if normalize(n) not in key]
    return not missing, missing


# ----------------------------------------------------------------------------------------------
# set and ranking metrics
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PRF:
    precision: float | None
    recall: float | None
    f1: float | None
    tp: int
    n_pred: int
    n_gold: int


def prf(predicted: Iterable, gold: Iterable) -> PRF:
    """Set precision/recall/F1. Empty prediction -> precision 1.0 iff gold is empty too."""
    p, g = set(predicted), set(gold)
    tp = len(p & g)
    precision = tp / len(p) if p else (1.0 if not g else 0.0)
    recall = tp / len(g) if g else (1.0 if not p else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PRF(precision, recall, f1, tp, len(p), len(g))


def dedupe(seq: Iterable) -> list:
    seen, out = set(), []
    for x in seq:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def first_rank(ranked: list, gold: set) -> int | None:
    """1-based rank of the first relevant result; None when absent."""
    for i, x in enumerate(ranked, 1):
        if x in gold:
            return i
    return None


def hit_at(ranked: list, gold: set, k: int) -> float:
    return 1.0 if any(x in gold for x in ranked[:k]) else 0.0


def reciprocal_rank(ranked: list, gold: set) -> float:
    r = first_rank(ranked, gold)
    return 1.0 / r if r else 0.0


def ndcg_at(ranked: list, gold: set, k: int = 10) -> float:
    """Binary-relevance nDCG@k; the ideal ranking puts min(|gold|, k) relevant results first."""
    if not gold:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, x in enumerate(ranked[:k], 1) if x in gold)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), k) + 1))
    return dcg / ideal


# ----------------------------------------------------------------------------------------------
# gold helpers
# ----------------------------------------------------------------------------------------------

def gold_pairs(item: dict) -> list[tuple[str, str]]:
    """(doc_id, clause_id) pairs of a gold item; "other_doc::clause" entries name another document."""
    out = []
    for c in item.get("clause_ids", []):
        if "::" in c:
            d, cid = c.split("::", 1)
            out.append((d, cid))
        else:
            out.append((item.get("doc_id", ""), c))
    return out


REQUIRED = ("id", "question", "kind", "doc_id", "clause_ids", "answer", "style")
KIND_FIELDS = {"who": ("units",), "number": ("values",), "meta": ("values",), "general": ("values",),
               "version": ("values",), "list": ("items",), "definition": ("items",)}


def check_item(item: dict) -> list[str]:
    """Problems with one gold item's shape (empty list when fine)."""
    problems = [f"missing field {f}" for f in REQUIRED if f not in item]
    kind = item.get("kind")
    if kind not in KINDS:
        problems.append(f"unknown kind {kind!r}")
        return problems
    for f in KIND_FIELDS.get(kind, ()):
        v = item.get(f)
        if not isinstance(v, list) or not v or not all(isinstance(s, str) and s for s in v):
            problems.append(f"{kind} needs a non-empty list of strings in {f}")
    if item.get("style") not in STYLES:
        problems.append(f"unknown style {item.get('style')!r}")
    if not isinstance(item.get("clause_ids", []), list):
        problems.append("clause_ids must be a list")
    if kind == "abstain" and item.get("clause_ids"):
        problems.append("abstain items have no clause_ids")
    if kind != "abstain" and not item.get("doc_id"):
        problems.append("answerable items need a doc_id")
    if kind in ("who", "unit_tasks", "mention", "general", "version") and not item.get("clause_ids"):
        problems.append(f"{kind} needs clause_ids")
    if not str(item.get("question", "")).strip():
        problems.append("empty question")
    history = item.get("history", [])
    if not isinstance(history, list) or not all(isinstance(h, str) and h.strip() for h in history):
        problems.append("history must be a list of earlier questions (non-empty strings)")
    return problems


# ----------------------------------------------------------------------------------------------
# scoring one answer
# ----------------------------------------------------------------------------------------------

def _default_canonical() -> Callable[[str], str]:
    try:
        from kb.units import canonical as kb_canonical
    except Exception:          # the unit gazetteer is optional for the scorer
        kb_canonical = None

    def canon(name: str) -> str:
        found = kb_canonical(name) if kb_canonical else None
        return found or normalize(name)
    return canon


@dataclass
class Score:
    id: str
    kind: str
    correct: bool
    abstained: bool
    first_citation_ok: bool | None     # None when the item has no gold clauses
    detail: dict = field(default_factory=dict)


def citation_pairs(answer: dict) -> list[tuple[str, str]]:
    return dedupe((c.get("doc_id", ""), c.get("clause_id", "")) for c in answer.get("citations", []))


ClauseTexts = Mapping[tuple[str, str], str]


def evidence_pairs(item: dict, cited: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The cited clauses that may back a gold value: the cited gold clauses, or — when the gold
    names no clause (a document-level fact) — every cited clause of the gold document."""
    gold = set(gold_pairs(item))
    if gold:
        return [p for p in cited if p in gold]
    return [p for p in cited if p[0] == item.get("doc_id")]


def _clause_text(pair: tuple[str, str], answer: dict, clause_texts: ClauseTexts | None) -> str:
    """A clause's whole text from the knowledge base's table; without one, the quotes cited for it."""
    if clause_texts is not None and pair in clause_texts:
        return clause_texts[pair]
    return "\n".join(c.get("quote", "") for c in answer.get("citations", [])
                     if (c.get("doc_id", ""), c.get("clause_id", "")) == pair)


def evidenced(item: dict, answer: dict, needles: list[str],
              clause_texts: ClauseTexts | None = None) -> tuple[list[str], list[str]]:
    """(missing, unsupported): gold strings absent from the answer text, and those present in the
    answer but in the text of no cited gold clause (see `evidence_pairs`)."""
    _, missing = contains_all(answer.get("answer", "") or "", needles)
    evidence = [normalize(_clause_text(p, answer, clause_texts))
                for p in evidence_pairs(item, citation_pairs(answer))]
    unsupported = [n for n in needles if n not in missing and not any(normalize(n) in e for e in evidence)]
    return missing, unsupported


def score_answer(item: dict, answer: dict, canonical: Callable[[str], str] | None = None,
                 clause_texts: ClauseTexts | None = None) -> Score:
    """Score one answer (answer-contract dict) against one gold item. `clause_texts` maps
    (doc_id, clause_id) to the clause's whole text (all its parts), for the evidence check of
    number/meta/list/definition answers."""
    canonical = canonical or _default_canonical()
    kind = item["kind"]
    abstained = bool(answer.get("abstained"))
    text = answer.get("answer", "") or ""
    cited = citation_pairs(answer)
    gold = set(gold_pairs(item))
    first_ok = (bool(cited) and cited[0] in gold) if gold else None
    detail: dict = {}

    if kind == "abstain":
        correct = abstained
    elif kind == "who":
        pred = {canonical(u) for u in answer.get("responsible_units", []) or []}
        want = {canonical(u) for u in item["units"]}
        m = prf(pred, want)
        detail = {"unit_p": m.precision, "unit_r": m.recall, "unit_f1": m.f1, "tp": m.tp,
                  "n_pred": m.n_pred, "n_gold": m.n_gold,
                  "missing": sorted(want - pred), "extra": sorted(pred - want)}
        correct = not abstained and pred == want
    elif kind in ("unit_tasks", "mention"):
        m = prf(cited, gold)
        detail = {"clause_p": m.precision, "clause_r": m.recall, "clause_f1": m.f1,
                  "missing": sorted(f"{d}::{c}" for d, c in gold - set(cited)),
                  "extra": sorted(f"{d}::{c}" for d, c in set(cited) - gold)}
        correct = not abstained and m.recall == 1.0 and m.precision == 1.0
    elif kind in EVIDENCED:
        needles = item[EVIDENCED[kind]]
        missing, unsupported = evidenced(item, answer, needles, clause_texts)
        detail = {"missing": missing, "unsupported": unsupported,
                  # the scoring before the evidence check: every string anywhere in the answer
                  "lenient_correct": not abstained and not missing}
        if EVIDENCED[kind] == "items":
            detail["item_recall"] = (len(needles) - len(missing)) / len(needles)
        correct = not abstained and not missing and not unsupported
    elif kind in ("general", "version"):
        ok, missing = contains_all(text, item.get("values", []))
        detail = {"missing": missing, "first_citation_ok": bool(first_ok)}
        correct = not abstained and ok and bool(first_ok)
    else:
        raise ValueError(f"unknown kind {kind}")
    detail["answer_chars"] = len(text)
    return Score(item["id"], kind, bool(correct), abstained, first_ok, detail)


# ----------------------------------------------------------------------------------------------
# aggregation
# ----------------------------------------------------------------------------------------------

def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def group(item: dict) -> str:
    """plan / laws / out-of-scope, by the gold doc_id (a batch may mix them in one file)."""
    if item["kind"] == "abstain":
        return "out-of-scope"
    return "plan" if item.get("doc_id") == PLAN_DOC else "laws"


def summarize(items: list[dict], scores: list[Score]) -> dict:
    """Overall and per-kind accuracy, unit P/R/F1, citation accuracy, abstention P/R."""
    by_kind: dict[str, list[Score]] = {}
    for s in scores:
        by_kind.setdefault(s.kind, []).append(s)
    per_kind = {k: {"n": len(v), "correct": sum(s.correct for s in v),
                    "accuracy": _mean([float(s.correct) for s in v])}
                for k, v in sorted(by_kind.items(), key=lambda kv: KINDS.index(kv[0]))}
    styles: dict[str, list[bool]] = {}
    files: dict[str, list[bool]] = {}
    groups: dict[str, list[Score]] = {}
    for it, s in zip(items, scores):
        styles.setdefault(it.get("style", ""), []).append(s.correct)
        files.setdefault(it.get("_file", ""), []).append(s.correct)
        groups.setdefault(group(it), []).append(s)

    who = [s for s in scores if s.kind == "who"]
    tp = sum(s.detail["tp"] for s in who)
    npred = sum(s.detail["n_pred"] for s in who)
    ngold = sum(s.detail["n_gold"] for s in who)
    micro = PRF(None, None, None, 0, 0, 0)      # no who questions: nothing to report
    if who:
        mp = tp / npred if npred else 0.0
        mr = tp / ngold if ngold else 0.0
        micro = PRF(mp, mr, 2 * mp * mr / (mp + mr) if mp + mr else 0.0, tp, npred, ngold)
    cl = [s for s in scores if s.kind in ("unit_tasks", "mention")]

    cit = [s for s in scores if s.kind != "abstain" and s.first_citation_ok is not None]
    pos = [s for s in scores if s.kind == "abstain"]
    predicted_abstain = [s for s in scores if s.abstained]
    tp_ab = sum(1 for s in predicted_abstain if s.kind == "abstain")
    lengths = sorted(s.detail.get("answer_chars", 0) for s in scores)
    return {
        "n": len(scores),
        "answer_chars_median": lengths[len(lengths) // 2] if lengths else 0,
        "correct": sum(s.correct for s in scores),
        "accuracy": _mean([float(s.correct) for s in scores]),
        # shown for one report after the evidence check was added, so the change is visible
        "accuracy_lenient": _mean([float(s.detail.get("lenient_correct", s.correct)) for s in scores]),
        "answerable_accuracy": _mean([float(s.correct) for s in scores if s.kind != "abstain"]),
        "per_kind": per_kind,
        "per_style": {k: {"n": len(v), "accuracy": _mean([float(x) for x in v])} for k, v in sorted(styles.items())},
        "per_file": {k: {"n": len(v), "accuracy": _mean([float(x) for x in v])} for k, v in sorted(files.items())},
        "per_group": {g: {"n": len(groups[g]), "correct": sum(s.correct for s in groups[g]),
                          "accuracy": _mean([float(s.correct) for s in groups[g]]),
                          "abstained": sum(s.abstained for s in groups[g])}
                      for g in GROUPS if g in groups},
        "who_units": {
            "micro_precision": micro.precision, "micro_recall": micro.recall, "micro_f1": micro.f1,
            "macro_f1": _mean([s.detail["unit_f1"] for s in who]) if who else None, "n": len(who)},
        "clause_sets": {
            "macro_precision": _mean([s.detail["clause_p"] for s in cl]) if cl else None,
            "macro_recall": _mean([s.detail["clause_r"] for s in cl]) if cl else None,
            "macro_f1": _mean([s.detail["clause_f1"] for s in cl]) if cl else None, "n": len(cl)},
        "citation_accuracy": _mean([float(s.first_citation_ok) for s in cit]) if cit else None,
        "citation_n": len(cit),
        "abstention": {
            "precision": tp_ab / len(predicted_abstain) if predicted_abstain else None,
            "recall": tp_ab / len(pos) if pos else None,
            "predicted": len(predicted_abstain), "gold": len(pos)},
    }


def retrieval_metrics(ranked_lists: list[list[tuple[str, str]]], golds: list[set]) -> dict:
    """hit@1, hit@5, MRR, nDCG@10 averaged over questions (each ranked list already deduplicated)."""
    n = len(golds)
    if not n:
        return {"n": 0, "hit@1": None, "hit@5": None, "mrr": None, "ndcg@10": None}
    return {
        "n": n,
        "hit@1": _mean([hit_at(r, g, 1) for r, g in zip(ranked_lists, golds)]),
        "hit@5": _mean([hit_at(r, g, 5) for r, g in zip(ranked_lists, golds)]),
        "mrr": _mean([reciprocal_rank(r, g) for r, g in zip(ranked_lists, golds)]),
        "ndcg@10": _mean([ndcg_at(r, g, 10) for r, g in zip(ranked_lists, golds)]),
    }
