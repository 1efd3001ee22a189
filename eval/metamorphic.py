"""Metamorphic robustness: CheckList-style invariance tests generated from the gold set.

Every answerable gold question gets variants that must not change its answer: a wrapper (self-
introduction, politeness), traditional characters, full/half-width forms, a unit alias swapped for
its full name or back, a two-part question (paired with another gold question, both orders), and
follow-up forms (after an unrelated first question; "那X呢？" after the same question about another
unit). A variant is *invariant* when its answer keeps the original answer's first cited clause and
every key fact the original answer got right (gold values, units, items or clauses, checked as
eval/metrics.py scores them), and adds no unit or clause outside the gold that the original did
not have.

Variants are made mechanically from the gold items with fixed seeds (one `random.Random` per item
and transformation, seeded by a string), never by hand per question. See eval/README.md.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

import opencc

from kb import units as unit_db
from kb.textnorm import fold

from eval import metrics as M

SEED = "kb-metamorphic-1"
EXAMPLES = 3                     # failing examples per transformation in latest.md

# (name, template, groups it applies to); {q} is the original question
WRAPPERS = (
    ("self-introduction", "我是禄丰市教体局的，{q}", ("plan", "laws")),
    ("please-thanks", "请问{q}谢谢", ("plan", "laws")),
    ("this-plan", "麻烦问一下，这个方案里{q}", ("plan",)),
    ("teacher", "您好，我是职业学校的老师，想咨询一下：{q}", ("plan", "laws")),
)
_S2T = opencc.OpenCC("s2t")
_ASCII = re.compile(r"[A-Za-z0-9]")
_TO_FULL = {c: c + 0xFEE0 for c in range(0x21, 0x7F)} | {0x20: 0x3000}
_TO_HALF = {v: k for k, v in _TO_FULL.items()}
_UNIT_KINDS = ("who", "unit_tasks", "mention")


@dataclass(frozen=True)
class Variant:
    transformation: str
    template: str                 # which form of the transformation (wrapper, order, direction)
    question: str
    history: tuple[str, ...]
    parts: tuple[str, ...]        # ids of the gold items the variant asks, in question order


@dataclass
class Facts:
    """What one answer says about one gold item: its first citation, the gold facts it got right,
    and the non-gold units or clauses it gives (unit and clause kinds only)."""
    first: tuple[str, str] | None
    cited: set[tuple[str, str]]
    units: set[str]
    right: set[str] = field(default_factory=set)
    wrong: set[str] = field(default_factory=set)


def key_facts(item: dict, answer: dict, clause_texts: M.ClauseTexts | None = None,
              canonical: Callable[[str], str] | None = None) -> Facts:
    """The facts the invariance check compares, found the way eval/metrics.py scores them."""
    canonical = canonical or M._default_canonical()
    cited = M.citation_pairs(answer)
    pred = {canonical(u) for u in answer.get("responsible_units") or []}
    facts = Facts(cited[0] if cited else None, set(cited), pred)
    if answer.get("abstained"):
        return facts
    kind, gold = item["kind"], set(M.gold_pairs(item))
    if kind == "who":
        want = {canonical(u) for u in item["units"]}
        facts.right = {f"unit:{u}" for u in pred & want}
        facts.wrong = {f"unit:{u}" for u in pred - want}
    elif kind in ("unit_tasks", "mention"):
        facts.right = {f"clause:{_short(p)}" for p in set(cited) & gold}
        facts.wrong = {f"clause:{_short(p)}" for p in set(cited) - gold}
    elif kind in M.EVIDENCED:
        needles = item[M.EVIDENCED[kind]]
        missing, unsupported = M.evidenced(item, answer, needles, clause_texts)
        facts.right = {f"value:{n}" for n in needles if n not in missing and n not in unsupported}
    elif kind in ("general", "version"):
        _, missing = M.contains_all(answer.get("answer", "") or "", item["values"])
        facts.right = {f"value:{n}" for n in item["values"] if n not in missing}
    return facts


def _short(pair: tuple[str, str] | None) -> str:
    if pair is None:
        return "none"
    return pair[1] if pair[0] == M.PLAN_DOC else f"{pair[0]}::{pair[1]}"


def differences(parts: list[tuple[dict, Facts, Facts]]) -> list[str]:
    """Why a variant's answer is not invariant ([] when it is). `parts`: (gold item, facts of its
    original answer, facts of the variant's answer for that item), in question order. The first
    citation of the first part that had one must come first (a part whose original answer was a
    refusal cites nothing); every other part's first citation must still be cited."""
    why = []
    first = parts[0][2].first
    expected = next((orig.first for _, orig, _ in parts if orig.first is not None), None)
    if first != expected:
        why.append(f"first citation {_short(expected)} → {_short(first)}")
    for item, orig, var in parts[1:]:
        if orig.first is not None and orig.first not in var.cited:
            why.append(f"{item['id']}: its first citation {_short(orig.first)} is gone")
    for item, orig, var in parts:
        lost = orig.right - var.right
        # another part of the question may bring its own units and clauses
        others = set().union(*({f"unit:{u}" for u in o.units} | {f"clause:{_short(p)}" for p in o.cited}
                               for it, o, _ in parts if it is not item))
        added = var.wrong - orig.wrong - others
        if lost:
            why.append(f"{item['id']}: lost {'、'.join(sorted(x.split(':', 1)[1] for x in lost))}")
        if added:
            why.append(f"{item['id']}: added {'、'.join(sorted(x.split(':', 1)[1] for x in added))}")
    return why


# ----------------------------------------------------------------------------------------------
# transformations: each turns the answerable gold items into variants
# ----------------------------------------------------------------------------------------------

def _rng(*key: str) -> random.Random:
    return random.Random(":".join((SEED, *key)))


def _history(item: dict) -> tuple[str, ...]:
    return tuple(item.get("history", []))


def wrapper(items: list[dict]) -> Iterator[Variant]:
    """A self-introduction or politeness wrapper, one template per question (seeded choice among
    the templates that fit its group)."""
    for it in items:
        options = [w for w in WRAPPERS if M.group(it) in w[2]]
        name, template, _ = _rng("wrapper", it["id"]).choice(options)
        yield Variant("wrapper", name, template.format(q=it["question"]), _history(it), (it["id"],))


def traditional(items: list[dict]) -> Iterator[Variant]:
    """The question in traditional characters (OpenCC s2t); questions already traditional are skipped."""
    for it in items:
        q = _S2T.convert(it["question"])
        if q != it["question"]:
            yield Variant("traditional", "s2t", q, _history(it), (it["id"],))


def fullwidth(items: list[dict]) -> Iterator[Variant]:
    """Letters and digits typed full-width (２０２４, ＧＤＰ) with all ASCII turned full-width; a
    question without them is typed with half-width punctuation instead (？ → ?, （ → ()."""
    for it in items:
        q = it["question"]
        if _ASCII.search(q):
            yield Variant("fullwidth", "ASCII → full-width", q.translate(_TO_FULL), _history(it), (it["id"],))
        elif q.translate(_TO_HALF) != q:
            yield Variant("fullwidth", "full-width → ASCII", q.translate(_TO_HALF), _history(it), (it["id"],))


def _named_units(question: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical) of the gazetteer names in a plan question, as written (offsets into
    the question itself); [] when folding changes the question's length or a name is a typo."""
    if len(fold(question)) != len(question):
        return []
    found = unit_db.matches(question)
    if any(fold(question[s:e]) not in _names(c) for s, e, c in found):
        return []
    return found


def _names(canonical: str) -> list[str]:
    """Every folded name of a gazetteer entry: canonical first, then full aliases, then short names."""
    g = unit_db.gazetteer()
    names = [fold(canonical)] + [a for a, c in g.full.items() if c == canonical] + \
            [a for a, c in g.short.items() if c == canonical]
    return list(dict.fromkeys(names))


def unit_alias(items: list[dict]) -> Iterator[Variant]:
    """Plan questions that name a unit: an alias becomes the full name, a full name becomes an alias
    (seeded choice). The first named unit is swapped."""
    for it in items:
        if M.group(it) != "plan":
            continue
        found = _named_units(it["question"])
        if not found:
            continue
        s, e, canonical = found[0]
        q = it["question"]
        if fold(q[s:e]) == fold(canonical):
            aliases = _names(canonical)[1:]
            if not aliases:
                continue
            new, template = _rng("alias", it["id"]).choice(aliases), "full name → alias"
        else:
            new, template = canonical, "alias → full name"
        yield Variant("unit_alias", template, q[:s] + new + q[e:], _history(it), (it["id"],))


def _ended(q: str) -> str:
    return q if q.rstrip()[-1:] in ("？", "?", "。", "！", "!") else q + "？"


def compound(items: list[dict]) -> Iterator[Variant]:
    """Two gold questions of the same group in one message, in both orders. Questions are paired
    after a seeded shuffle per group; an odd one out is paired with the first of the shuffle.
    Questions with a history are left out (their follow-up would refer to the other part)."""
    for grp in ("plan", "laws"):
        pool = [it for it in items if M.group(it) == grp and not it.get("history")]
        _rng("compound", grp).shuffle(pool)
        pairs = [(pool[i], pool[i + 1]) for i in range(0, len(pool) - 1, 2)]
        if len(pool) % 2 and len(pool) > 1:
            pairs.append((pool[-1], pool[0]))
        for a, b in pairs:
            for x, y, order in ((a, b, "A then B"), (b, a, "B then A")):
                yield Variant("compound", order, _ended(x["question"]) + _ended(y["question"]), (),
                              (x["id"], y["id"]))


def followup_unrelated(items: list[dict]) -> Iterator[Variant]:
    """The question asked after an unrelated first question: a gold question of the other group
    (a law question before a plan question and the other way round), seeded choice."""
    by_group = {g: [it for it in items if M.group(it) == g] for g in ("plan", "laws")}
    for it in items:
        other = by_group["laws" if M.group(it) == "plan" else "plan"]
        if not other:
            continue
        first = _rng("unrelated", it["id"]).choice(other)
        yield Variant("followup_unrelated", f"after a {M.group(first)} question", it["question"],
                      (first["question"], *_history(it)), (it["id"],))


def followup_unit(items: list[dict]) -> Iterator[Variant]:
    """who/unit_tasks/mention plan questions naming one unit X: "那X呢？" after the same question
    about another unit of the same kind (部门, 政府, 学校 …; seeded choice)."""
    g = unit_db.gazetteer()
    for it in items:
        if it["kind"] not in _UNIT_KINDS or M.group(it) != "plan" or it.get("history"):
            continue
        found = _named_units(it["question"])
        if len({c for _, _, c in found}) != 1:
            continue
        s, e, canonical = found[0]
        kind = g.entries[canonical].kind
        others = sorted(n for n, en in g.entries.items() if en.kind == kind and n != canonical)
        if not others:
            continue
        q = it["question"]
        first = q[:s] + _rng("unit", it["id"]).choice(others) + q[e:]
        yield Variant("followup_unit", f"那X呢 ({kind})", f"那{q[s:e]}呢？", (first,), (it["id"],))


TRANSFORMATIONS: tuple[tuple[str, Callable[[list[dict]], Iterator[Variant]]], ...] = (
    ("wrapper", wrapper),
    ("traditional", traditional),
    ("fullwidth", fullwidth),
    ("unit_alias", unit_alias),
    ("compound", compound),
    ("followup_unrelated", followup_unrelated),
    ("followup_unit", followup_unit),
)


def variants(items: list[dict]) -> list[Variant]:
    """Every variant of the answerable items, transformation by transformation, in gold order."""
    answerable = [it for it in items if it["kind"] != "abstain"]
    return [v for _, make in TRANSFORMATIONS for v in make(answerable)]


# ----------------------------------------------------------------------------------------------
# running
# ----------------------------------------------------------------------------------------------

def run(items: list[dict], answers: list[dict], ask: Callable[[str, list[str]], dict],
        clause_texts: M.ClauseTexts | None = None, log=print) -> dict:
    """Ask every variant (`ask(question, history) -> answer dict`) and compare it with the original
    answers; per transformation: n, invariant, rate, per template, and every failure."""
    canonical = M._default_canonical()
    by_id = {it["id"]: it for it in items}
    original = {it["id"]: key_facts(it, a, clause_texts, canonical) for it, a in zip(items, answers)}
    out = {name: {"n": 0, "invariant": 0, "rate": None, "by_template": {}, "failures": []}
           for name, _ in TRANSFORMATIONS}
    all_variants = variants(items)
    for i, v in enumerate(all_variants, 1):
        answer = ask(v.question, list(v.history))
        why = differences([(by_id[p], original[p], key_facts(by_id[p], answer, clause_texts, canonical))
                           for p in v.parts])
        t = out[v.transformation]
        t["n"] += 1
        t["invariant"] += not why
        tpl = t["by_template"].setdefault(v.template, {"n": 0, "invariant": 0})
        tpl["n"] += 1
        tpl["invariant"] += not why
        if why:
            t["failures"].append({"ids": list(v.parts), "template": v.template, "question": v.question,
                                  "history": list(v.history), "why": why,
                                  "answer": " ".join((answer.get("answer") or "").split())[:160]})
        if i % 200 == 0:
            log(f"  metamorphic {i}/{len(all_variants)}")
    for t in out.values():
        t["rate"] = t["invariant"] / t["n"] if t["n"] else None
    return {"seed": SEED, "transformations": out}


def markdown(result: dict) -> list[str]:
    """The invariance table and a few failing examples per transformation."""
    bar = M.BAR["invariance"]
    lines = [f"## Metamorphic robustness (invariance per transformation; seed `{result['seed']}`)", "",
             "Variants generated from every answerable gold question (eval/metamorphic.py); invariant = the "
             "same first cited clause and every key fact the original answer got right, nothing added. "
             f"The bar: ≥ {100 * bar:.0f}% on every transformation.", "",
             "| transformation | n | invariant | rate | forms (invariant/n) |", "|---|---|---|---|---|"]
    for name, t in result["transformations"].items():
        forms = "; ".join(f"{k} {v['invariant']}/{v['n']}" for k, v in sorted(t["by_template"].items()))
        rate = "-" if t["rate"] is None else f"{100 * t['rate']:.1f}%{'' if t['rate'] >= bar else ' ✗'}"
        lines.append(f"| {name} | {t['n']} | {t['invariant']} | {rate} | {forms} |")
    lines.append("")
    for name, t in result["transformations"].items():
        if not t["failures"]:
            continue
        lines += [f"### {name}: {len(t['failures'])} not invariant (first {min(EXAMPLES, len(t['failures']))}; "
                  "all in latest.json)", ""]
        for f in t["failures"][:EXAMPLES]:
            after = f" (after: {' / '.join(f['history'])})" if f["history"] else ""
            lines.append(f"- {', '.join(f['ids'])} [{f['template']}] {f['question']}{after} — {'; '.join(f['why'])}")
        lines.append("")
    return lines
