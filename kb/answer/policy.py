"""When to refuse: the one support and abstention policy, and the thresholds it uses.

The knowledge base abstains when it holds no support for the question: the question names a
place, a year or a figure the documents never mention, the best clause covers too little of the
question's key terms, or the best clause is far from the question in meaning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb import units as units_db
from kb.answer import cues
from kb.answer.context import AnswerContext
from kb.retrieve import bare, doc_place, named_documents, title_keys
from kb.schema import ScoredClause
from kb.textnorm import fold, to_halfwidth
from kb.tokenize import everyday_frequency, general_frequency, nouns, places, synonyms, tokens


@dataclass(frozen=True)
class Thresholds:
    """Support thresholds, calibrated on eval/gold (answerable vs out-of-scope questions)."""
    min_coverage: float = 0.3    # share of the question's key terms (idf-weighted) the best clause must hold
    min_sentence: float = 0.25   # a sentence sharing less of the question does not answer it
    oov_coverage: float = 0.6    # …when the question also uses words the knowledge base never does (医保, 分数线)
    min_dense: float = 0.45      # a best clause this dissimilar is no support at all
    near_dense: float = 0.78     # …and one this similar is about the documents, though it words it its own way,
    near_coverage: float = 0.15  # so it needs less of its wording in the clause (新员工试用期老板最长能定多久)
    everyday_word: int = 5000    # jieba frequency from which a word is everyday language, not a particular thing
    names_heading: float = 0.8   # share of its words a heading must hold to be the one a question names
    particular_word: int = 1000  # jieba frequency below which a noun names a particular thing (试用期, not 模式)


ANSWER_POOL = 3     # the best clauses an extractive answer is chosen from

# The thresholds in force; eval/calibrate.py swaps in others to re-run the calibration sweep.
THRESHOLDS = Thresholds()


def thresholds() -> Thresholds:
    return THRESHOLDS


def foreign(ctx: AnswerContext, question: str) -> bool:
    """The question names a place, a year or a figure the documents never mention
    (大理州, 2030年, 500元), or asks for a thing they never name: whatever the documents say
    is not about it."""
    asked = cues.ASKED_ATTRIBUTE.search(question)
    attribute = (tokens(asked[1]) or [""])[-1] if asked else ""
    if attribute and not any(attribute in noun for noun in nouns(question)):
        attribute = ""          # 具体指什么 asks of no thing; 办公电话是多少 asks of 电话
    # places outside the names of units (方案里州科技局 is no place 里州)
    unnamed = fold(question)
    for a, b, _ in reversed(units_db.matches(unnamed)):
        unnamed = unnamed[:a] + "，" + unnamed[b:]
    unnamed = _STORY_PLACE.sub("，", unnamed)
    return (any(never_used(ctx, fold(p)) for p in places(unnamed))
            or any(never_used(ctx, n) for n in _asked_figures(to_halfwidth(question)))
            # the thing asked for is a word the documents never use (招生电话是多少, 地址在哪里)
            # (a word of the dictionary: 方案里定的是多少 has no thing 里定, the tagger's guess)
            or (len(attribute) > 1 and never_used(ctx, attribute) and not synonyms(attribute)
                and general_frequency(attribute) > 0))


def _asked_figures(question: str) -> list[str]:
    """The figures a question asks about: a year anywhere, other figures only where it asks (a
    sum the story tells of is not asked about: 交了800块押金，学校能这么收吗)."""
    stretches = re.split(r"[，,；;。！!]", question)
    return [n for stretch in stretches for n in re.findall(r"\d{2,}", stretch)
            if cues.ASKING.search(stretch) or re.fullmatch(r"(?:19|20)\d\d", n)]


def unstated(ctx: AnswerContext, q, clause) -> str:
    """What the question asks about that the answering clause does not state: the thing the
    asked figure or time is of (住房公积金的比例, 什么时候报名), or the school or institution the
    question names (a clause about 楚雄师院 does not answer for 楚雄医专); "" when it states all."""
    whole = bare(f"{ctx.snap.documents[clause.doc_id].title} {' '.join(clause.path)} {ctx.whole_text(clause)}")
    for word in q.asked_of:
        if word not in whole and not any(s in whole for s in synonyms(word)):
            return word
    # a particular thing an asked figure is of, which the clause's document states elsewhere but
    # the clause does not (试用期工资最低是转正工资的百分之几: 劳动法 has 试用期 articles, and the
    # overtime-pay article's percentages are not of 试用期工资)
    things = nouns(q.normalized)
    for word in q.figure_words:
        if (word in things and everyday_frequency(word) < thresholds().particular_word
                and word not in whole and not any(s in whole for s in synonyms(word))
                and word in _document_text(ctx, clause.doc_id)):
            return word
    # a place's own addition to a national rule (云南在国家规定的产假之外还给几天) is stated only
    # by a document of that place
    if _BEYOND_NATIONAL.search(q.normalized):
        own = doc_place(ctx.snap.documents[clause.doc_id])
        for place in places(q.normalized):
            if place[:2] not in own:
                return place
    named = set(units_db.scan(whole)) | set(clause.units) | set(clause.mentions)
    for name in q.asked_names:
        entry = units_db.entry(name)
        specific = entry is not None and (entry.kind in ("学校", "机构") or units_db.county_of(name) == name)
        if specific and not set(units_db.covering(name)) & named:
            return name
    return ""


# A place the story goes to or the speaker comes from is no rule's place (去外省找工作被中介收了押金,
# 我老家是外省的).
_STORY_PLACE = re.compile(r"(?:去|到|来|从|在)(?:了)?[\u4e00-\u9fff]{2,4}?(?=找|打工|上班|工作|读书|上学|务工|出差|旅游)"
                          r"|(?:我|我们)是[\u4e00-\u9fff]{2,5}?人(?=[，,。 ])|老家(?:是|在)[\u4e00-\u9fff]{2,5}?(?=的|[，,。 ])")
_EXAMPLES = re.compile(r"(?:[\u4e00-\u9fff]{2,4}[、和及]){0,3}[\u4e00-\u9fff]{2,4}(?:这些|这类|那些|之类的?)(?=[\u4e00-\u9fff]{2})")
_BEYOND_NATIONAL = re.compile(r"国家(?:规定|标准)?(?:的[^，,。？?]{0,6})?(?:之外|以外|基础上)|比国家|额外")


def _document_text(ctx: AnswerContext, doc_id: str) -> str:
    texts = ctx.snap.memo("document_texts", dict)
    if doc_id not in texts:
        texts[doc_id] = bare(" ".join(c.text for c in ctx.doc_clauses(doc_id)))
    return texts[doc_id]


def is_plan(ctx: AnswerContext, clause) -> bool:
    """The clause belongs to a plan (a document that assigns 责任单位), which states targets and
    tasks, not what was achieved."""
    return ctx.snap.documents[clause.doc_id].doc_id in plan_documents(ctx)


def plan_documents(ctx: AnswerContext) -> frozenset[str]:
    snap = ctx.snap
    return snap.memo("plan_documents", lambda: frozenset(c.doc_id for c in snap.clauses if c.units))


def never_used(ctx: AnswerContext, word: str) -> bool:
    """No document uses the word: the token vocabulary first (the corpus text is built lazily
    and scanning it is slow at scale), then the text itself."""
    return word not in ctx.snap.doc_freq and word not in ctx.snap.corpus_text


def unsupported(ctx: AnswerContext, question: str, hits: list[ScoredClause]) -> bool:
    """No support: too little of the question in the best clause (more required when the
    question uses words the documents never do, unless its meaning is close to a clause's),
    or a best clause far from the question."""
    t = thresholds()
    best = hits[0]
    things = nouns(question)
    # a word the documents never use tells nothing unless it names a particular thing: 总共, 打算
    # and 好多 are how people talk, 数量 and 计划 are everyday words; 医保 and 年终奖 are what
    # they ask about
    def telling(text: str) -> list[str]:
        return [tok for tok in tokens(text) if (len(tok) > 1 or tok.isdigit()) and tok not in cues.FRAMING
                and (not never_used(ctx, tok) or any(tok in noun for noun in things)
                     and everyday_frequency(tok) < t.everyday_word)]
    # the words naming a document choose where to look, not what is asked (劳动法对年终奖怎么规定),
    # unless they are all the question says (介绍一下劳动法)
    asked = fold(question)
    for key in sorted({k for d in named_documents(question, ctx.snap) for k in title_keys(ctx.snap.documents[d])},
                      key=len, reverse=True):
        asked = asked.replace(key, "，")
    # examples named before the kind they are of (拼音算术这些小学课程) are the kind's
    asked = _EXAMPLES.sub("，", asked)
    # a place the documents never name that foreign() let pass is where the story happens
    # (在外省打工的地方), not what is asked
    for place in places(asked):
        if never_used(ctx, fold(place)):
            asked = asked.replace(place, "，")
    q_tokens = telling(asked) or telling(question)
    if not q_tokens:
        return True
    snap = ctx.snap

    def evidence(hit: ScoredClause) -> str:
        doc = snap.documents[hit.clause.doc_id]
        return f"{doc.doc_id} {doc.title} {' '.join(doc.dates.values())} {' '.join(hit.clause.path)} {hit.clause.text}"
    # any of the clauses the answer is chosen from may be the one that holds the question
    coverage = max(ctx.overlap(q_tokens, evidence(h)) for h in hits[:ANSWER_POOL])
    if best.dense is not None and best.dense < t.min_dense:
        return True
    if max((h.dense for h in hits if h.dense is not None), default=0.0) >= t.near_dense:
        return coverage < t.near_coverage
    titles = snap.memo("title_keys", lambda: {k for d in snap.documents.values() for k in title_keys(d)})
    def known(tok: str) -> bool:
        return not never_used(ctx, fold(tok)) or tok in titles or any(not never_used(ctx, s) for s in synonyms(tok))
    # a compound of known words is no stranger (加班费: 加班 ~ 延长工作时间)
    unknown = any(not known(tok) and not any(part != tok and part in tok and known(part) for part in q_tokens)
                  for tok in q_tokens)
    return coverage < (t.oov_coverage if unknown else t.min_coverage)
