"""Hybrid retrieval at clause level: dense (m3e-small via Chroma) + BM25 (jieba), score fusion.

Keyword evidence is the stronger signal for this kind of text (see ARCHITECTURE.md), so fusion
weights it higher. Questions that name a document are scoped to it, and a superseded version of
a law ranks below the current one unless the question asks about the old text.
"""
from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kb import doc_names
from kb.embed import backend_for, embed
from kb.schema import Document, ScoredClause
from kb.store import Snapshot, Store
from kb.textnorm import cn_to_int, fold, to_halfwidth
from kb.tokenize import general_frequency, leading_verb, synonym_groups, synonyms, tokens

DENSE_WEIGHT = 1.0       # equal to keywords: on questions in users' words the encoder finds the law article as often as keywords do (eval: hit@1 by mode)
TITLE_BOOST = 1.0        # a clause whose own heading the question quotes
CANDIDATES = 60
SYNONYM_WEIGHT = 0.5     # keyword evidence through a synonym (上班 -> 工作) counts half
ARTICLE_BOOST = 1.0      # the article the question names by number (职业教育法第三条)
ELSEWHERE = 0.7          # a document of another place than the home document's, when the question names none
# Lexical rerank of the fused top: BM25 scores words one by one; the rerank also rewards a clause
# that holds the question's phrases verbatim (…工作的统筹规划、综合协调、宏观管理) and one whose
# document title supplies the words its text leaves out (义务教育法 + 开除 for 义务教育阶段…开除).
RERANK_DEPTH = 20
PHRASE_WEIGHT = 0.5
COVERAGE_WEIGHT = 0.5
MIN_RUN = 3              # characters: shorter shared runs are common words, not phrases
_OLD_VERSION_CUES = ("修订前", "修改前", "旧版", "原来", "以前", "变化", "区别", "不同", "修改了", "改了", "对比", "新旧")


def title_keys(doc: Document) -> frozenset[str]:
    """Names a question may use for a document: its title, without 中华人民共和国, without 《》,
    and its 文号 without brackets (楚政办通〔2024〕30号 = 楚政办通(2024)30号)."""
    return _title_keys(doc.title, doc.doc_number)


@functools.lru_cache(maxsize=8192)
def _title_keys(title: str, doc_number: str) -> frozenset[str]:
    title = fold(title)
    keys = {title, title.replace("中华人民共和国", ""), re.sub(r"[《》]", "", title).replace("中华人民共和国", "")}
    if doc_number:
        keys.add(number_key(doc_number))
    return frozenset(k for k in keys if len(k) >= 3)


def number_key(text: str) -> str:
    """Folded, without the brackets around a 文号's year."""
    return re.sub(r"[〔〕\[\]［］（）()]", "", fold(text))


def doc_place(doc: Document) -> str:
    return _place(doc.title)


@functools.lru_cache(maxsize=8192)
def _place(title: str) -> str:
    m = re.match(r"^([\u4e00-\u9fa5]{2,3}?(?:省|市|州|县))", title)
    return fold(m[1]) if m else ""


def bare(text: str) -> str:
    """Folded, without quotes and brackets: 打造优质专业(群) ~ 打造优质专业群, “中高本” ~ 中高本."""
    return re.sub(r"[\"'“”‘’《》〈〉（）()\s]", "", fold(text))


def quotes_heading(q_key: str, title: str) -> bool:
    """The question (bare) quotes the heading, or what the heading's leading verb acts on
    (优质学校建设 names 加快优质学校建设; 经费保障 names 落实经费保障)."""
    title = bare(title)
    if len(title) < 4:
        return False
    if title in q_key:
        return True
    rest = title[len(leading_verb(title)):]
    return len(rest) >= 4 and rest != title and rest in q_key


def _kind_word(kind: str) -> str:
    """实施方案 -> 方案: the word people use for a document of that kind."""
    return {"实施方案": "方案"}.get(kind, kind)


def _names_version_year(q: str, doc: Document) -> bool:
    """The question names this version's own year (not its first adoption, which versions share)."""
    year = version_date(doc)[:4]
    return bool(year) and year in q


_ARTICLE_NO = re.compile(r"第([零〇一二两三四五六七八九十百千\d]+)条")


def article_number(text: str) -> int | None:
    """The article number a text ends with or names first: 第三章第二十四条 -> 24, 第3条 -> 3."""
    found = _ARTICLE_NO.findall(text)
    if not found:
        return None
    n = found[-1]
    return int(n) if n.isdigit() else cn_to_int(n)


def articles_by_number(snap: Snapshot) -> dict[tuple[str, int], list[int]]:
    """(doc_id, article number) -> clause indexes (an article split into parts has several)."""
    def build():
        index: dict[tuple[str, int], list[int]] = {}
        for i, c in enumerate(snap.clauses):
            if (n := article_number(c.clause_id)) is not None:
                index.setdefault((c.doc_id, n), []).append(i)
        return index
    return snap.memo("articles_by_number", build)


_OWN_ARTICLES = re.compile(r"(?:本法|本条例|本办法|本规定|本细则)((?:第[零〇一二两三四五六七八九十百千]+条(?:第[一二三四五六七八九十]+款)?[、，,和及或至]*)+)")


def citing_articles(snap: Snapshot) -> dict[tuple[str, int], list[int]]:
    """(doc_id, article number) -> indexes of the clauses that cite that article of their own
    document ("违反本法第五十条规定的…" cites 第五十条): a rule leads to its penalty."""
    def build():
        index: dict[tuple[str, int], list[int]] = {}
        for i, c in enumerate(snap.clauses):
            for group in _OWN_ARTICLES.findall(c.text):
                for n in _ARTICLE_NO.findall(group):
                    index.setdefault((c.doc_id, cn_to_int(n)), []).append(i)
        return index
    return snap.memo("citing_articles", build)


def home_document(snap: Snapshot) -> Document:
    """The document most questions are about: the one with the most 责任单位 clauses (the plan)."""
    def most_units() -> Document:
        counts: dict[str, int] = {}
        for c in snap.clauses:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + bool(c.units)
        return snap.documents[max(counts, key=counts.get)]
    return snap.memo("home_document", most_units)


def clauses_of(snap: Snapshot) -> dict[str, np.ndarray]:
    """doc_id -> indexes of its clauses."""
    def build():
        index: dict[str, list[int]] = {}
        for i, c in enumerate(snap.clauses):
            index.setdefault(c.doc_id, []).append(i)
        return {d: np.array(ix, dtype=np.int64) for d, ix in index.items()}
    return snap.memo("clauses_of", build)


def version_date(doc: Document) -> str:
    """The latest date the document states (修订, 修正, 成文 …), else the date in its file name."""
    stated = [d for d in (doc.written_date, doc.published_date, *(v for k, v in doc.dates.items() if k != "施行")) if d]
    named = re.findall(r"\d{4}-\d{2}-\d{2}", doc.doc_id)
    return max(stated or named or [""])


@dataclass(frozen=True)
class _ScopeIndex:
    """The names a question may use for the documents, indexed once per snapshot so that naming
    a document costs a few dictionary lookups, not a pass over every document."""
    keys: dict[str, frozenset[str]]        # title key -> doc_ids
    key_lengths: tuple[int, ...]
    places: dict[str, frozenset[str]]      # 上海市 / 上海 -> doc_ids
    kinds: dict[str, frozenset[str]]       # 方案 -> doc_ids

    @classmethod
    def build(cls, documents: dict[str, Document]) -> "_ScopeIndex":
        keys: dict[str, set[str]] = {}
        places: dict[str, set[str]] = {}
        kinds: dict[str, set[str]] = {}
        for doc in documents.values():
            for k in title_keys(doc):
                keys.setdefault(k, set()).add(doc.doc_id)
            if place := doc_place(doc):
                for p in {place, place.rstrip("省市州县")} - {""}:
                    places.setdefault(p, set()).add(doc.doc_id)
            if len(kind := _kind_word(doc.kind)) >= 2:
                kinds.setdefault(kind, set()).add(doc.doc_id)
        freeze = lambda d: {k: frozenset(v) for k, v in d.items()}
        return cls(freeze(keys), tuple(sorted({len(k) for k in keys})), freeze(places), freeze(kinds))

    def named_keys(self, text: str) -> dict[str, str]:
        """doc_id -> the longest of its title keys that occurs in text."""
        found: dict[str, str] = {}
        for i in range(len(text)):
            for n in self.key_lengths:
                if i + n > len(text):
                    break
                for doc_id in self.keys.get(text[i:i + n], ()):
                    if len(text[i:i + n]) > len(found.get(doc_id, "")):
                        found[doc_id] = text[i:i + n]
        return found


_SCOPE_CACHE = 1024      # questions whose scope a snapshot remembers


def document_scope(question: str, snap: Snapshot) -> dict[str, float]:
    """doc_id -> boost for documents the question names (by title), places it names, or the
    kind of document it names (方案). A title inside a longer named title (教育法 in 职业教育法)
    does not count."""
    cache = snap.memo("scope_cache", dict)
    if question not in cache:
        if len(cache) >= _SCOPE_CACHE:
            cache.clear()
        cache[question] = _document_scope(question, snap)
    return cache[question]


def named_documents(question: str, snap: Snapshot) -> tuple[str, ...]:
    """The documents the question names by title or 文号 (not only by place or kind), in scope order."""
    return tuple(d for d, s in document_scope(question, snap).items() if s >= 1.0)


# Kinds whose everyday word names a document in a question: 这个方案 is the plan. (办法, 规定 and
# 条例 are said of anything.)
_NAMING_KINDS = ("方案",)


def kind_documents(question: str, snap: Snapshot) -> tuple[str, ...]:
    """The documents a question names by the word for their kind (这个方案里…: the plan)."""
    q, kinds = fold(question), _scope_index(snap).kinds
    return tuple(sorted(d for word in _NAMING_KINDS if word in q for d in kinds.get(word, ())))


def unknown_documents(question: str, snap: Snapshot) -> list[str]:
    """Names of documents the question asks about that the knowledge base does not hold
    (贵州省职业教育条例)."""
    held = lambda name: name in _scope_index(snap).keys or doc_names.resolve(name, _bare_titles(snap))
    names = [name for name in doc_names.names_in(question)
             if not held(name) and not held(name.removeprefix("实施")) and doc_names.unknown(name)]
    return [n for n in names if not any(n != m and m.startswith(n) for m in names)]   # the longest reading


def other_place(name: str, doc_ids: tuple[str, ...], snap: Snapshot) -> bool:
    """A document name starting with a place that none of the documents `doc_ids` is of
    (云南省实施教师法办法, when the question otherwise names only the national 教师法)."""
    m = re.match(r"([\u4e00-\u9fff]{2,3}?)[省市州县]", name)
    return bool(m) and not any(m[1] in snap.documents[d].title for d in doc_ids)


def _scope_index(snap: Snapshot) -> "_ScopeIndex":
    return snap.memo("scope_index", lambda: _ScopeIndex.build(snap.documents))


def _bare_titles(snap: Snapshot) -> dict[str, str]:
    return snap.memo("bare_titles", lambda: {d.doc_id: doc_names.bare_title(d.title) for d in snap.documents.values()})


def _document_scope(question: str, snap: Snapshot) -> dict[str, float]:
    index = _scope_index(snap)
    q = fold(question)
    named = index.named_keys(q)
    # names in the question's own words: 新职教法, 河南的职业教育法实施办法
    for name in doc_names.names_in(question):
        if name not in index.keys:
            for doc_id in doc_names.resolve(name, _bare_titles(snap)):
                if len(name) > len(named.get(doc_id, "")):
                    named[doc_id] = name
    for doc_id, key in index.named_keys(number_key(question)).items():
        if len(key) > len(named.get(doc_id, "")):
            named[doc_id] = key
    scope: dict[str, float] = {}
    for table in (index.kinds, index.places):        # a place outranks a kind word; a title both
        for word, doc_ids in table.items():
            if word in q:
                scope.update(dict.fromkeys(doc_ids - named.keys(), 0.5))
    # of the documents a name fits (义务教育法实施办法: 北京's and 上海's), those of the place the
    # question names
    asked_places = {p for p in index.places if p in q}
    local = {d for d in named if doc_place(snap.documents[d]).rstrip("省市州县") in asked_places
             or doc_place(snap.documents[d]) in asked_places}
    for doc_id, key in named.items():
        if local and doc_id not in local and doc_place(snap.documents[doc_id]):
            continue
        if not any(key != other and key in other for other in named.values()):
            scope[doc_id] = 1.0 + _names_version_year(q, snap.documents[doc_id])
    return scope


def superseded(documents: dict[str, Document]) -> dict[str, str]:
    """doc_id of an older version -> doc_id of the current version with the same title."""
    by_title: dict[str, list[Document]] = {}
    for doc in documents.values():
        by_title.setdefault(fold(doc.title), []).append(doc)
    old: dict[str, str] = {}
    for docs in by_title.values():
        if len(docs) > 1:
            docs = sorted(docs, key=version_date)
            for d in docs[:-1]:
                old[d.doc_id] = docs[-1].doc_id
    return old


def asks_about_old_version(question: str, doc: Document) -> bool:
    q = to_halfwidth(question)
    year = version_date(doc)[:4]
    return any(c in q for c in _OLD_VERSION_CUES) or (year and year in q)


def topic_of(question: str, snap: Snapshot) -> str:
    """The question without the words that only pick a document (its title, a version year):
    those select the document through scoping and would otherwise pull title-like clauses."""
    q = number_key(question)
    scope = document_scope(question, snap)
    for name in doc_names.names_in(question):       # 义务教育法实施办法, 新职教法: the words that name them
        if any(d in scope for d in doc_names.resolve(name, _bare_titles(snap))):
            q = _without_name(q, name)
    for doc_id in scope:
        doc = snap.documents[doc_id]
        for key in sorted(title_keys(doc), key=len, reverse=True) + [_kind_word(doc.kind)]:
            if len(key) >= 2:
                q = _without_name(q, key)
        q = re.sub(r"(19|20)\d\d\s*年?(版|修订|修正|的)?", " ", q)
    return q if q.strip() else fold(question)


def _without_name(question: str, name: str) -> str:
    """The question without a document's name, and without the verb that only says the document
    rules it (教师法规定教师有哪些权利 -> 教师有哪些权利)."""
    return re.sub(re.escape(name) + r"(?:里|中|上)?(?:明确)?(?:规定|要求)(?:了|的)?", " ", question).replace(name, " ")


def top_indexes(scores: np.ndarray, n: int) -> np.ndarray:
    """Indexes of the n highest scores, best first, ties in index order: a partial sort, since a
    full sort of every clause's score is the costliest step of a keyword search at scale."""
    if len(scores) <= n:
        return np.argsort(-scores, kind="stable")
    threshold = scores[np.argpartition(-scores, n - 1)[:n]].min()
    above = np.flatnonzero(scores > threshold)
    top = np.concatenate([above, np.flatnonzero(scores == threshold)[:n - len(above)]])
    return top[np.lexsort((top, -scores[top]))]


def finest(q_tokens: list[str]) -> set[str]:
    """Search-mode tokens overlap (职业技能培训 and 职业, 技能, 培训): keep the finest, so a text
    is not preferred for repeating the question's exact compound. Of two pieces that overlap
    inside one word (加班费: 加班, 班费), the one far rarer in general Chinese is an accident of
    the segmentation and is left out."""
    toks = set(q_tokens)
    fine = {t for t in toks if not any(u != t and u in t for u in toks)}
    for word in toks - fine:
        pieces = [(word.find(t), t) for t in fine if t in word]
        for (a, x), (b, y) in itertools.combinations(sorted(pieces), 2):
            if b < a + len(x):                 # x and y overlap in `word`
                fx, fy = general_frequency(x), general_frequency(y)
                if min(fx, fy) * 100 < max(fx, fy):
                    fine.discard(x if fx < fy else y)
    return fine


def idf(snap: Snapshot, token: str) -> float:
    df = snap.doc_freq.get(token, 0)
    n = len(snap.clauses)
    return math.log((n - df + 0.5) / (df + 0.5) + 1.0)


def weight(snap: Snapshot, token: str) -> float:
    """A question word's idf; an everyday word the documents never use weighs what the documents'
    own words for it weigh (老板 as much as 用人单位, common in labour law), not as a rare word."""
    if token not in snap.doc_freq:
        if doc_words := synonyms(token):
            return max(idf(snap, w) for w in doc_words)
        # a word the documents never use says nothing about which clause answers: it weighs as a
        # word of 1 clause in 200 (chat words 村里/好多/这边 must not outweigh the question's topic)
        return _idf_of_share(len(snap.clauses), UNSEEN_SHARE)
    return idf(snap, token)


UNSEEN_SHARE = 0.005


def _idf_of_share(n: int, share: float) -> float:
    df = max(1.0, share * n)
    return math.log((n - df + 0.5) / (df + 0.5) + 1.0)


def coverage(snap: Snapshot, q_tokens: list[str], text: str) -> float:
    """Idf-weighted share of the question's tokens found in `text` (an everyday word counts as
    found when the documents' word for it is: 上班 ~ 工作)."""
    key = re.sub(r"[\"'\s]", "", fold(text))
    weights = {t: weight(snap, t) for t in finest(q_tokens)}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in key or any(s in key for s in synonyms(t))) / total if total else 0.0


_NOT_TEXT = re.compile(r"[^\w]|_")
_ASKED_FIGURE = re.compile(r"多少|几")
_FIGURE = re.compile(r"\d+(?:\.\d+)?|[一二三四五六七八九十百千万两]+(?=[年个所项家名人万倍次天月周小])")


def phrase_share(question: str, text: str) -> float:
    """Share of the question's characters that lie in runs of MIN_RUN or more characters the text
    holds verbatim (punctuation ignored on both sides). Greedy left to right, one substring test
    per step, so it costs about twice the question's length."""
    q, t = _NOT_TEXT.sub("", question), _NOT_TEXT.sub("", text)
    # a question's 几 or 多少 stands where the text has a figure (用几年时间 ~ 用3年时间)
    q, t = _ASKED_FIGURE.sub("#", q), _FIGURE.sub("#", t)
    i, covered = 0, 0
    while i < len(q):
        j = i + 1
        while j <= len(q) and q[i:j] in t:
            j += 1
        run = j - 1 - i
        if run >= MIN_RUN:
            covered += run
            i = j - 1
        else:
            i += 1
    return covered / len(q) if q else 0.0


@functools.lru_cache(maxsize=1024)
def _query_vector(question: str, backend: str):
    """One answer may search several times (all clauses, then clauses with 责任单位): embed once."""
    return embed([question], backend)[0]


def forget_query_vectors() -> None:
    """Drop the remembered question vectors (benchmarks time the embedding of new questions)."""
    _query_vector.cache_clear()


class Retriever:
    def __init__(self, store: Store, snapshot: Callable[[], Snapshot]):
        self.store = store
        self.snapshot = snapshot

    def dense(self, snap: Snapshot, question: str, n: int = CANDIDATES) -> list[tuple[int, float]]:
        # the question is embedded by the encoder that made the index's vectors; none: keywords only
        backend = snap.memo("encoder_backend", lambda: backend_for(snap.encoder))
        if backend is None or not snap.clauses or not self.store.vector_count():
            return []           # nothing to compare with: the question is not embedded either
        index_of = snap.index_of
        hits = self.store.query_vectors(_query_vector(question, backend), n + 20)
        return [(index_of[vid], sim) for vid, sim in hits if vid in index_of][:n]

    def topic(self, question: str, snap: Snapshot | None = None) -> str:
        return topic_of(question, snap or self.snapshot())

    def keyword(self, snap: Snapshot, question: str, n: int = CANDIDATES,
                named: tuple[str, ...] = ()) -> list[tuple[int, float]]:
        """BM25 top n, plus the top n of each document in `named` (a document the question names
        must compete even when other documents repeat the topic's words more often)."""
        scores = snap.keyword_scores(tokens(question))
        for alternatives in synonym_groups(question):
            # a clause using two doc-words for one everyday word (孩子: 未成年人…子女) counts once
            scores = scores + SYNONYM_WEIGHT * np.max([snap.keyword_scores(alt) for alt in alternatives], axis=0)
        top = list(top_indexes(scores, n))
        for doc_id in named:
            own = clauses_of(snap).get(doc_id, np.empty(0, dtype=np.int64))
            top += [i for i in own[np.argsort(-scores[own], kind="stable")[:n]] if i not in top]
        top.sort(key=lambda i: -scores[i])
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    @staticmethod
    def _rerank(snap: Snapshot, question: str, topic: str, fused, factor: dict[int, float]) -> None:
        """Adds the phrase and coverage evidence to the best RERANK_DEPTH candidates (ranked as
        they will be: with their document and heading factors)."""
        q_tokens, q_text = tokens(question), fold(topic)
        for i, sc in sorted(fused.items(), key=lambda kv: -kv[1].score * factor[kv[0]])[:RERANK_DEPTH]:
            title = snap.documents[sc.clause.doc_id].title
            sc.score += (PHRASE_WEIGHT * phrase_share(q_text, fold(sc.clause.text))
                         + COVERAGE_WEIGHT * coverage(snap, q_tokens, f"{title} {sc.clause.title} {sc.clause.text}"))

    def _factors(self, snap: Snapshot, question: str, scope: dict[str, float], fused) -> dict[int, float]:
        """Multipliers: the question quotes the clause's heading, names its document (or place),
        names no place though the clause's document is another place's, or does not ask about
        the old version the clause belongs to."""
        old = snap.memo("superseded", lambda: superseded(snap.documents))
        q_key = bare(question)
        home = doc_place(home_document(snap))
        factor = {}
        for i, sc in fused.items():
            doc_id = sc.clause.doc_id
            f = 1.0 + (TITLE_BOOST if quotes_heading(q_key, sc.clause.title) else 0.0)
            f *= 1.0 + scope.get(doc_id, 0.0)
            if not scope and doc_place(snap.documents[doc_id]) not in ("", home):
                f *= ELSEWHERE       # a question naming no place is not about 上海's or 青岛's rules
            if doc_id in old and not asks_about_old_version(question, snap.documents[doc_id]):
                f *= 0.5
            factor[i] = f
        return factor

    def search(self, question: str, mode: str = "hybrid", k: int = 10,
               where: Callable[[int], bool] | None = None, snap: Snapshot | None = None,
               within: tuple[str, ...] = ()) -> list[ScoredClause]:
        """Clause-level results, best first. `where` keeps only clause indexes it accepts (indexes
        into `snap`, the snapshot an answer is built from; the current one by default). `within`:
        documents a caller filters on, whose own best keyword matches join the candidates as a
        named document's do (else the whole knowledge base competes for the candidate places)."""
        if mode not in ("hybrid", "dense", "keyword"):
            raise ValueError(f"unknown retrieval mode {mode!r}")
        snap = snap or self.snapshot()
        if not snap.clauses:
            return []
        topic = self.topic(question, snap)
        scope = document_scope(question, snap)
        named = named_documents(question, snap)
        dense = self.dense(snap, question) if mode in ("hybrid", "dense") else []
        keyword = (self.keyword(snap, topic, named=tuple(dict.fromkeys(named + within)))
                   if mode in ("hybrid", "keyword") else [])
        fused: dict[int, ScoredClause] = {}
        weights = {"dense": DENSE_WEIGHT if mode == "hybrid" else 1.0, "keyword": 1.0}
        for kind, hits in (("dense", dense), ("keyword", keyword)):
            if not hits:
                continue
            top, low = hits[0][1], hits[-1][1]
            for rank, (i, score) in enumerate(hits, start=1):
                sc = fused.setdefault(i, ScoredClause(snap.clauses[i], 0.0))
                setattr(sc, kind, score)
                setattr(sc, f"{kind}_rank", rank)
                # min-max within this query's candidates: BM25 and cosine live on different scales
                sc.score += weights[kind] * ((score - low) / (top - low) if top > low else 1.0)
        asked_article = article_number(to_halfwidth(question))
        if asked_article is not None:
            for doc_id in named:
                for i in articles_by_number(snap).get((doc_id, asked_article), []):
                    fused.setdefault(i, ScoredClause(snap.clauses[i], 0.0)).score += ARTICLE_BOOST
        factor = self._factors(snap, question, scope, fused)
        if mode == "hybrid":
            self._rerank(snap, question, topic, fused, factor)
        for i, sc in fused.items():
            sc.score *= factor[i]
        best: dict[tuple[str, str], ScoredClause] = {}
        for i, sc in sorted(fused.items(), key=lambda kv: -kv[1].score):
            if where is not None and not where(i):
                continue
            best.setdefault((sc.clause.doc_id, sc.clause.clause_id), sc)
        return list(best.values())[:k]
