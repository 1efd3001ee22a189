"""Unit and entity gazetteer (kb/data/units.json), used at ingest and at query time.

Each entry has a canonical `name` (for 责任单位: the plan's own spelling, e.g. 州人力资源和社会保障局),
`aliases` recognised everywhere, and `short` names (no 州 prefix: 财政局, 人社局, 禄丰, 武定县) that are
recognised only in questions and by `canonical()` — never in document text, where a bare 教体局
may be a county's. A county name alone (禄丰 / 禄丰市) therefore means that county's 人民政府 in a
question. Groups (10县市人民政府) list their `members`.

All matching goes through `kb.textnorm.fold`, so traditional characters and full-width forms work.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.textnorm import fold

DATA = Path(__file__).resolve().parent / "data" / "units.json"

_STRIP = "，。；、：\"'（）《》 \t\n"
_SHORT_BLOCKERS = set("省州市县区镇乡")   # 县财政局 is not 州财政局: a short name must not follow these
_MIN_FUZZY = 4                           # shortest name a question typo is corrected for
_MAX_TRUNCATION = 2                      # "州人力资源和社会保障" → …局: at most 2 chars missing


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str                 # 部门 / 政府 / 机构 / 学校 / 群体
    unit: bool                # may be named as a 责任单位
    members: tuple[str, ...] = ()


@dataclass
class Gazetteer:
    entries: dict[str, Entry] = field(default_factory=dict)
    full: dict[str, str] = field(default_factory=dict)     # folded alias -> canonical
    short: dict[str, str] = field(default_factory=dict)    # folded short name -> canonical
    places: tuple[str, ...] = ()
    generic: frozenset[str] = frozenset()
    # first two characters -> lengths of the names (full or short) starting so, longest first;
    # `heads` finds the next place a name may start, so a scan skips the text between in C
    lengths_by_head: dict[str, tuple[int, ...]] = field(default_factory=dict)
    heads: re.Pattern = re.compile(r"(?!)")
    suffixless: frozenset[str] = frozenset()    # short names without their 局/委 (州财政)


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    g = Gazetteer(places=tuple(raw["places"]), generic=frozenset(fold(w) for w in raw["generic"]))
    for e in raw["entries"]:
        g.entries[e["name"]] = Entry(e["name"], e["kind"], e["unit"], tuple(e.get("members", ())))
        for alias in _with_prefixes([e["name"], *e["aliases"]], raw["prefixes"]):
            g.full[fold(alias)] = e["name"]
        for alias in e["short"]:
            g.short[fold(alias)] = e["name"]
    _add_suffixless(g)
    heads: dict[str, set[int]] = {}
    for name in [*g.full, *g.short]:
        if len(name) >= 2:
            heads.setdefault(name[:2], set()).add(len(name))
    g.lengths_by_head = {head: tuple(sorted(ns, reverse=True)) for head, ns in heads.items()}
    seconds: dict[str, str] = {}
    for head in sorted(heads):
        seconds[head[0]] = seconds.get(head[0], "") + head[1]
    g.heads = re.compile("|".join(re.escape(a) + "[" + re.escape(b) + "]" for a, b in seconds.items()))
    return g


def _add_suffixless(g: Gazetteer) -> None:
    """People drop a department's 局/委 (州财政 for 州财政局, 州人社 for 州人社局): those forms are
    short names too (questions only), when they stay long enough to say which unit and only one
    unit is so called."""
    found: dict[str, set[str]] = {}
    for alias, name in g.full.items():
        if g.entries[name].kind == "部门" and alias.startswith("州") and alias[-1] in "局委":
            found.setdefault(alias[:-1], set()).add(name)
    for stripped, names in found.items():
        if len(stripped) >= 3 and len(names) == 1 and stripped not in g.full and stripped not in g.short:
            g.short[stripped] = names.pop()
            g.suffixless |= {stripped}


# What may follow a unit named without its 局/委: what it does or is asked (州财政要…, 州人社、州教体),
# not more of a word (楚雄州教育事业, 州科技创新 name no department)
_AFTER_SUFFIXLESS = re.compile(r"$|[^\u4e00-\u9fff]|[在要的和与及是有负做需承牵呢吗都还也参配等这那该应对]")


def _with_prefixes(names: list[str], prefixes: dict[str, str]) -> list[str]:
    """州人社局 -> also 楚雄州人社局 (the JSON's "prefixes": short prefix -> its long form)."""
    out = list(names)
    for short, long in prefixes.items():
        out += [long + n[len(short):] for n in names if n.startswith(short)]
    return out


def _lookup(key: str) -> str | None:
    g = gazetteer()
    return g.full.get(key) or g.short.get(key)


def canonical(name: str) -> str | None:
    """Alias -> canonical name; None when unknown.

    Also accepts a trailing 等/等部门 or bracketed note, and a name cut short by at most two characters
    when only one canonical name starts that way (the plan's last list ends "州人力资源和社会保障")."""
    key = fold(name).strip(_STRIP.replace("）", ""))
    key = re.sub(r"等(?:部门|单位)?$|（[^（）]*）$", "", key).strip(_STRIP)
    if not key:
        return None
    found = _lookup(key)
    if found is None and len(key) >= 4:
        g = gazetteer()
        hits = {c for k, c in g.full.items() if k.startswith(key) and len(k) - len(key) <= _MAX_TRUNCATION}
        found = hits.pop() if len(hits) == 1 else None
    return found


def entry(name: str) -> Entry | None:
    """The gazetteer entry (kind, unit flag, members) for any alias; None when unknown."""
    c = canonical(name)
    return gazetteer().entries.get(c) if c else None


def members(name: str) -> list[str]:
    """Member units of a group ("10县市人民政府" -> the ten governments); [] for non-groups."""
    e = entry(name)
    return list(e.members) if e else []


def covering(name: str) -> list[str]:
    """The canonical 责任单位 names that make `name` responsible: itself, then every group it belongs to.
    covering("禄丰") == ["禄丰市人民政府", "10县市人民政府"]; [] when the name is unknown."""
    c = canonical(name)
    if c is None:
        return []
    groups = [e.name for e in gazetteer().entries.values() if c in e.members]
    return [c, *groups]


def matches(text: str, query: bool = True) -> list[tuple[int, int, str]]:
    """(start, end, canonical) for every name in `fold(text)` — offsets are into the folded text.
    Longest match first. `query=False` (document text) ignores short names. A short county name
    directly followed by a short department name (武定县财政局) is a county body we do not know:
    both are skipped rather than read as 武定县人民政府 + 州财政局."""
    return list(_matches(text, query))


@functools.lru_cache(maxsize=4096)     # one question is scanned by several answer handlers
def _matches(text: str, query: bool) -> tuple[tuple[int, int, str], ...]:
    g = gazetteer()
    key = fold(text)
    found: list[tuple[int, int, str]] = []
    i = 0
    while (head := g.heads.search(key, i)) is not None:
        i = head.start()
        hit, n = _match_at(key, i, query)
        if hit and key[i:i + n] in g.suffixless and not _AFTER_SUFFIXLESS.match(key, i + n):
            hit = None
        if hit and g.short.get(key[i:i + n]) == hit:
            m = _short_at(key, i + n)
            if m:
                i += n + m
                continue
        if hit:
            found.append((i, i + n, hit))
            i += n
        else:
            i += 1
    return tuple(found or (_near_matches(key) if query else []))


def _near_matches(key: str) -> list[tuple[int, int, str]]:
    """Question typos (州财正局): full names of 4+ characters with one inner character replaced.
    Only tried when nothing matched exactly; the first and last characters must agree."""
    by_ends, lengths = _fuzzy_names()
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(key):
        hit = next(((n, c) for n in lengths if i + n <= len(key)
                    for a, c in by_ends.get((n, key[i], key[i + n - 1]), ())
                    if _one_inner_typo(key[i:i + n], a)), None)
        if hit:
            found.append((i, i + hit[0], hit[1]))
            i += hit[0]
        else:
            i += 1
    return found


@functools.lru_cache(maxsize=1)
def _fuzzy_names() -> tuple[dict[tuple[int, str, str], list[tuple[str, str]]], list[int]]:
    """Aliases for typo correction, indexed by (length, first character, last character), and
    their lengths, longest first."""
    by_ends: dict[tuple[int, str, str], list[tuple[str, str]]] = {}
    for a, c in gazetteer().full.items():
        if len(a) >= _MIN_FUZZY:
            by_ends.setdefault((len(a), a[0], a[-1]), []).append((a, c))
    return by_ends, sorted({n for n, _, _ in by_ends}, reverse=True)


def _one_inner_typo(piece: str, name: str) -> bool:
    return (len(piece) == len(name) and piece[0] == name[0] and piece[-1] == name[-1]
            and sum(a != b for a, b in zip(piece, name)) == 1)


def _match_at(key: str, i: int, query: bool) -> tuple[str | None, int]:
    g = gazetteer()
    for n in g.lengths_by_head.get(key[i:i + 2], ()):
        if i + n > len(key):
            continue
        piece = key[i:i + n]
        hit = g.full.get(piece)
        if hit is None and query and (i == 0 or key[i - 1] not in _SHORT_BLOCKERS):
            hit = g.short.get(piece)
        if hit:
            return hit, n
    return None, 0


def _short_at(key: str, i: int) -> int:
    """Length of a short name starting at key[i], 0 if none."""
    g = gazetteer()
    return next((n for n in g.lengths_by_head.get(key[i:i + 2], ()) if i + n <= len(key) and key[i:i + n] in g.short), 0)


def scan(text: str, query: bool = True) -> list[str]:
    """Canonical names in `text`, in order of appearance, deduplicated (see `matches`)."""
    return list(dict.fromkeys(name for _, _, name in matches(text, query)))


def find_units(text: str) -> list[str]:
    """Units (possible 责任单位) named in a question: "州人社局负责哪些任务" -> ["州人力资源和社会保障局"].
    A school that is only an entity (武定县职中) is not a unit, and its longer name shadows 武定县."""
    g = gazetteer()
    return [n for n in scan(text) if g.entries[n].unit]


def find_entities(text: str) -> list[str]:
    """Named schools/bodies/departments (not groups) in a question: "武定县职中涉及哪些任务？" -> ["武定县职中"]."""
    g = gazetteer()
    return [n for n in scan(text) if g.entries[n].kind != "群体"]


def spellings(name: str) -> list[str]:
    """Every full spelling of a unit or school (its canonical name and aliases, folded)."""
    canonical_name = canonical(name)
    return [alias for alias, c in gazetteer().full.items() if c == canonical_name] if canonical_name else []


def county_of(text: str) -> str | None:
    """The county government of a county named anywhere in `text`, even inside a body's name the
    gazetteer does not hold: "禄丰市教体局" -> 禄丰市人民政府; None when it names no county."""
    key = fold(text)
    g = gazetteer()
    counties = {m for e in g.entries.values() for m in e.members if g.entries[m].kind == "政府"}
    found = [(key.find(alias), name) for alias, name in g.short.items() if name in counties and alias in key]
    return min(found)[1] if found else None


def all_names() -> list[str]:
    """Every canonical name and alias (full and short), for the jieba user dictionary."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    names: list[str] = []
    for e in raw["entries"]:
        names += [*_with_prefixes([e["name"], *e["aliases"]], raw["prefixes"]), *e["short"]]
    return list(dict.fromkeys(names))
