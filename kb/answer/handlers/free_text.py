"""Everything else: the sentences of the best clauses that answer the question (extractive).

Sentences of the top clauses are scored by how much of the question they hold, with credit for
stating what is asked (a figure, a time, a list); a law article short enough is quoted whole.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb import units as unit_db
from kb.answer import cues, policy
from kb.answer.context import AnswerContext
from kb.answer.policy import thresholds
from kb.answer.question import Question
from kb.answer.text import (YEARISH, display_sentence, enumeration, figure_fit, has_quantity, quoted_phrases,
                            responsibility_sentence,
                            sentences, states, time_scope, with_continuation, with_following, with_items,
                            with_next_if_short)
from kb.deadlines import base_year, deadline_of_text
from kb.retrieve import article_number, bare, citing_articles, named_documents
from kb.schema import Answer, Clause, ScoredClause
from kb.textnorm import fold, to_halfwidth
from kb.tokenize import synonyms, tokens

# Attributes a sentence must state to answer (not just mention the topic): 目标 is answered by the
# target, 什么时候开始 by the start.
_STATED = ("target", "deadline", "start", "proportion")
_DURATIONS = frozenset("年 月 天 日 周 小时 学时 课时".split())


@dataclass(frozen=True)
class SentenceWeights:
    """How a sentence of the best clauses is scored as the answer: how much of the question it
    holds, with credit for stating what is asked. Set on eval/gold; eval/calibrate.py sweeps them."""
    rank_prior: tuple[float, ...] = (1.0, 0.7, 0.5)   # the 1st, 2nd, 3rd clause found
    base: float = 0.4
    names_heading: float = 0.3   # the question quotes the clause's heading (工作目标是什么)
    fit_own: float = 0.7         # the question's words in the sentence (with its heading)…
    fit_subject: float = 0.3     # …and with the article's first sentence, which names its subject
    whole_question: float = 0.1  # all the question's words, document names included
    list_verb: float = 0.2       # "…包括哪些" and the sentence that says what it 包括
    names_body: float = 0.3      # the sentence names the school or unit asked about
    per_item: float = 0.1        # a list question, per 、 (up to 3)
    kind_listed: float = 0.3     # 哪几种招生: a sentence listing several kinds of 招生
    states_asked: float = 0.35   # states the figure, the time or the attribute asked
    keep_share: float = 0.5      # candidates within this share of the best stay in the running
    second_clause: float = 0.9   # a second clause scoring this close completes a general answer
    rule_share: float = 0.6      # a rule this close to its penalty article answers instead


WEIGHTS = SentenceWeights()
_ANNOUNCES_LIST = re.compile(r"(下列|以下|如下)[^，,。；;]{0,12}[:：]")
_PENALTY = re.compile(r"罚款|处分|吊销|没收|责令|追究.{0,8}责任|刑事责任|警告|提起诉讼|申请仲裁|赔偿|投诉|举报")


class FreeText:
    name = "free_text"

    def match(self, q: Question, ctx: AnswerContext) -> bool:
        return True

    def answer(self, q: Question, ctx: AnswerContext) -> Answer:
        qn, context = q.normalized, q.context
        t, w = thresholds(), WEIGHTS
        hits = ctx.search(context, k=5)
        # the document the question names (by title, or 这个方案 for the plan) answers it, or nothing does
        named = q.documents or named_documents(context, ctx.snap)
        if named and any(h.clause.doc_id not in named for h in hits):
            clauses = ctx.snap.clauses
            hits = ctx.search(context, k=5, where=lambda i: clauses[i].doc_id in named)
        # a phrase the question quotes (职中招生“一盘棋”) is in the answering clause when a clause has it
        quoted = [fold(p) for p in quoted_phrases(qn) if len(p) >= 2]
        if quoted:
            clauses, folded = ctx.snap.clauses, _folded_texts(ctx)
            holding = {i for i, text in enumerate(folded) if all(p in text for p in quoted)
                       and (not named or clauses[i].doc_id in named)}
            if holding and not any(all(p in fold(h.clause.text) for p in quoted) for h in hits[:1]):
                hits = ctx.search(context, k=5, where=lambda i: i in holding) or hits
        if q.must_hold:
            folded = _folded_texts(ctx)
            holds = lambda text: all(w in text or any(s in text for s in synonyms(w)) for w in q.must_hold)
            hits = ([h for h in hits if holds(fold(h.clause.text))]
                    or ctx.search(context, k=5, where=lambda i: holds(folded[i])) or hits)
        ctx.retrieved = hits
        if not hits or policy.unsupported(ctx, context, hits):
            return ctx.abstain(q.text)
        hits = _rule_or_penalty(ctx, qn, hits)
        wants_number, wants_time, wants_list = q.wants("number") or bool(q.measure), q.wants("time"), q.wants("list")
        attribute = q.attribute
        # a task's deadline or start may be stated once for several sentences of its clause
        inherit_time = attribute in ("deadline", "start")
        wants_time = wants_time or inherit_time
        if q.measure in _DURATIONS:
            wants_time = inherit_time = False     # 用几年完成 asks how long, not when

        def timed(sentence: str, clause: Clause) -> str:
            if YEARISH.search(sentence):
                return sentence
            return time_scope(sentence, clause.text) if inherit_time else ""
        unit = q.measure
        q_tokens = tokens(ctx.topic(context))
        all_tokens = tokens(context)
        if wants_list and not (wants_number or wants_time):
            # a clause among the best three whose heading the question names and which enumerates
            # (五个一体化分别是哪五个 -> 构建五个“一体化”办学格局：一是…二是…)
            # (the phrase it quotes, when it quotes one: 文件里写的“七个专项行动”具体指什么)
            named = (tokens(" ".join(quoted)) if quoted
                     else list(q.topic_words) or tokens(cues.LIST.sub(" ", ctx.topic(context))))   # without 分别, 哪些 …
            for hit in hits[:3]:
                enum = enumeration(ctx.whole_text(hit.clause))
                if enum and ctx.names_clause(named, hit.clause):
                    n = ctx.cite(hit.clause, hit.score)
                    return ctx.result(q.text, f"{hit.clause.title}：" + "；".join(enum) + f"[{n}]。", "list")
            hits = _enumerating_first(ctx, q_tokens, hits)
        scored = []
        q_bare = bare(context)
        named_bodies = list(q.asked_names)
        list_verb = next((v for v in ("包括", "分为", "包含", "分成") if v in qn),
                         "分为" if re.search(r"分几", qn) else "") if wants_list else ""   # 分几个层次 ~ 分为
        # 哪几种招生: a sentence listing several kinds of 招生 (跨县域招生、片区招生、分专业招生)
        kind_asked = re.search(r"哪(?:几|些)[种类个项所家条]?([\u4e00-\u9fa5]{2,4}?)(?:[？?，,。]|$)", qn)
        for rank, hit in enumerate(_candidates(hits, unit if wants_number else "")):
            prior = w.rank_prior[min(rank, len(w.rank_prior) - 1)]
            # the question quotes this clause's heading ("工作目标是什么"): its sentences answer it
            named_heading = w.names_heading if len(bare(hit.clause.title)) >= 4 and bare(hit.clause.title) in q_bare else 0.0
            found = sentences(hit.clause.text)
            # an article's first full sentence names its subject (高等学校实行教师职务制度。…教师职务设助教、…)
            subject = found[0] if (found and found[0].endswith("。")
                                   and article_number(hit.clause.clause_id) is not None) else ""
            for s in found:
                if responsibility_sentence(s):
                    continue     # the 责任单位 list answers who-questions only
                # the clause's heading is context for each of its sentences (一、工作目标 › 坚持以…)
                framed = f"{hit.clause.title} {s}"
                fit = w.fit_own * ctx.overlap(q_tokens, framed) + w.fit_subject * ctx.overlap(q_tokens, f"{subject} {framed}")
                score = prior * (w.base + named_heading + fit + w.whole_question * ctx.overlap(all_tokens, framed))
                if list_verb and list_verb in s:
                    score += w.list_verb
                if named_bodies and set(named_bodies) & set(unit_db.scan(s, query=False)):
                    score += w.names_body
                if wants_list:
                    # items in the sentence, or announced by it when they are what is asked
                    # (需要满足什么条件 and 应当符合下列基本条件：（一）…)
                    score += w.per_item * (3 if _announces(s, all_tokens) else min(s.count("、"), 3))
                    if kind_asked and len(re.findall(rf"{kind_asked[1]}[、，,和及]", s)) >= 1 and s.count(kind_asked[1]) >= 2:
                        score += w.kind_listed
                if wants_number and has_quantity(s, unit):
                    score += w.states_asked
                if wants_time and timed(s, hit.clause):
                    score += w.states_asked
                if attribute and states(attribute, s):
                    score += w.states_asked
                scored.append((score, rank, s, hit))
        if not scored:
            return ctx.abstain(q.text)
        scored.sort(key=lambda x: (-x[0], x[1]))
        candidates = list(scored)
        if wants_number or wants_time:
            # the best-matching sentence that actually states a figure or a time
            top = scored[0][0]
            scored = [x for x in scored if x[0] >= w.keep_share * top and ctx.overlap(q_tokens, x[2]) >= t.min_sentence and (
                (wants_number and has_quantity(x[2], unit)) or (wants_time and timed(x[2], x[3].clause)))] or scored
            if wants_number and q.figure_words:
                # …and states it of the thing asked (每日工作时间不超过八小时, not 延长…每日不得超过一小时)
                asked = [(fold(w), *synonyms(fold(w))) for w in q.figure_words]
                fit = {id(x): figure_fit(x[2], asked) for x in scored}
                best = max(fit.values(), default=0)
                if best > 0:
                    scored = [x for x in scored if fit[id(x)] == best]
        elif attribute in _STATED:
            # the sentence of the best clauses that states the target, deadline or proportion asked
            top = scored[0][0]
            scored = [x for x in scored if x[0] >= w.keep_share * top and states(attribute, x[2])] or scored
        if attribute == "place" and not any(states("place", x[2]) for x in scored):
            return ctx.abstain(q.text, "文件中没有给出地点。")
        score, _, sentence, hit = scored[0]
        counted = re.search(r"多少([\u4e00-\u9fa5]{2,3})[？?。]?$", qn)     # 多少在校生: the count must be of 在校生
        if wants_number and not unit and counted and fold(counted[1]) not in fold(hit.clause.text):
            return ctx.abstain(q.text, "文件中没有给出这一数字。")
        asked = re.split(r"[的，,？?]", qn.split("是谁")[0])[-1] if "是谁" in qn else ""
        if asked and bare(asked) not in bare(sentence):      # 校长是谁: the sentence must name that 校长
            return ctx.abstain(q.text, "文件中没有给出这一信息。")
        if q.wants("actual") and policy.is_plan(ctx, hit.clause):
            return ctx.abstain(q.text, "方案只规定了目标和任务，没有实际完成情况。")
        if missing := policy.unstated(ctx, q, hit.clause):
            return ctx.abstain(q.text, f"文件中没有给出与“{missing}”有关的这一信息。")
        scope = timed(sentence, hit.clause)
        answering = sentence
        if (wants_number and not has_quantity(sentence, unit)) and not (wants_time and scope):
            return ctx.abstain(q.text, "文件中没有给出这一数字。")
        if wants_time and not wants_number and not scope:
            return ctx.abstain(q.text, "文件中没有给出这一时间。")
        asked_years = set(q.years)
        # the years the sentence is about, its own or those of the clause's time that governs it
        stated_years = set(re.findall(r"(?:19|20)\d\d", to_halfwidth(time_scope(sentence, hit.clause.text) or sentence)))
        if (wants_number or wants_time) and asked_years and stated_years and not asked_years & stated_years:
            return ctx.abstain(q.text, "文件中没有给出这一年的数字。")   # 2023年完成了多少 vs 从2024年起每年…
        if wants_number:
            # a second figure for the same thing (按百分之一点五提取；…可以按照百分之二点五提取)
            sentence = with_following(sentence, hit.clause.text, lambda s: has_quantity(s, unit)
                                      and ctx.overlap(q_tokens, s) >= t.min_sentence)
        sentence = ctx.short_article(hit.clause) or with_continuation(
            with_next_if_short(with_items(sentence, hit.clause.text), hit.clause.text), hit.clause.text)
        text = display_sentence(sentence)
        if wants_time and scope and scope != answering and fold(scope) not in fold(text):
            # the time comes from an earlier sentence of the clause (利用3年时间，…；力争把楚雄医专…)
            when = deadline_of_text(scope, base_year(ctx.snap.documents[hit.clause.doc_id]))
            text = text.rstrip("。") + f"（时间：{when.label if when.stated else scope.strip('，,；;。')}）。"
        n = ctx.cite(hit.clause, hit.score, sentence.strip())
        answer = f"{ctx.source(hit.clause)}{text}[{n}]"
        if wants_number:
            # 在校学生和企业职工分别是多少: a figure for each thing asked, from the best clauses
            for thing in _respective_things(qn):
                if thing in bare(answer):
                    continue
                other = next((x for x in candidates if thing in bare(x[2]) and has_quantity(x[2], unit)), None)
                if other is not None:
                    n2 = ctx.cite(other[3].clause, other[3].score, other[2].strip())
                    answer += f"{ctx.source(other[3].clause)}{display_sentence(other[2])}[{n2}]"
        kind = "number" if (wants_number or wants_time) else ("list" if wants_list else "general")
        # A second clause, when it answers nearly as well, completes the picture.
        for score2, _, sentence2, hit2 in scored[1:]:
            if hit2.clause.uid != hit.clause.uid and score2 >= w.second_clause * score and kind == "general":
                n2 = ctx.cite(hit2.clause, hit2.score, sentence2.strip())
                answer += f"{ctx.source(hit2.clause)}{display_sentence(sentence2)}[{n2}]"
                break
        return ctx.result(q.text, answer + ctx.version_note(hit.clause.doc_id), kind)


def _folded_texts(ctx: AnswerContext) -> list[str]:
    """Every clause's text, folded, once per snapshot (for phrases a question requires)."""
    clauses = ctx.snap.clauses
    return ctx.snap.memo("folded_texts", lambda: [fold(c.text) for c in clauses])


_RESPECTIVELY = re.compile(r"([^，,。？?]{2,40}?)(?:分别|各)[^，,。？?多几]{0,4}?(?:多少|几)")


def _respective_things(qn: str) -> list[str]:
    """The things a question asks a figure of each (在校学生和企业职工、社会人员分别是多少 ->
    在校学生, 企业职工, 社会人员); [] when it asks one figure."""
    m = _RESPECTIVELY.search(qn)
    if not m:
        return []
    # each thing without what qualifies it (州级示范的行业产教融合共同体 -> 行业产教融合共同体)
    things = [bare(re.sub(r"^(那|那么|还有|其中|方案里|文件里)", "", t).split("的")[-1]) for t in re.split(r"[和与及、跟]", m[1])]
    return [t for t in things if len(t) >= 2] if len(things) >= 2 else []


def _announces(sentence: str, q_tokens: list[str]) -> bool:
    """The sentence announces a list of what the question asks for (下列基本条件：, 下列权利：), or
    divides the thing asked about (职业学校教育分为…、…)."""
    m = re.search(r"(?:下列|以下|如下)([^，,。；;：:]{1,10})[:：]", sentence) or re.search(
        r"([^，,。；;：:]{2,12})(?:分为|分成|划分为)[^，,。；;]+、", sentence)
    return bool(m) and any(t in q_tokens for t in tokens(m[1]) if len(t) > 1)


def _candidates(hits: list[ScoredClause], measure: str) -> list[ScoredClause]:
    """The best three clauses; when a figure of a measure is asked (几年) and none of them states
    one, also the next best clause that does."""
    best = hits[:3]
    if measure and not any(has_quantity(s, measure) for h in best for s in sentences(h.clause.text)):
        best += next(([h] for h in hits[3:] if any(has_quantity(s, measure) for s in sentences(h.clause.text))), [])
    return best


def _enumerating_first(ctx: AnswerContext, q_tokens: list[str], hits: list[ScoredClause]) -> list[ScoredClause]:
    """A list question is answered by the article that enumerates what it asks (教师享有下列权利：
    （一）…), found among the best five, before one that mentions the words in passing (教师享有
    法律规定的权利 refers to the list, it lists nothing)."""
    for hit in hits[:5]:
        announcing = next((s for s in sentences(hit.clause.text) if _ANNOUNCES_LIST.search(s)), "")
        if announcing and ctx.overlap(q_tokens, announcing) >= thresholds().names_heading:
            return [hit] + [h for h in hits if h is not hit]
    return hits


def _rule_or_penalty(ctx: AnswerContext, qn: str, hits: list[ScoredClause]) -> list[ScoredClause]:
    """A question about the consequence of breaking a rule is answered by the article that
    cites the rule's article and sets the penalty (违反本法第五十条规定的…罚款); any other
    question by the rule itself rather than a penalty article that repeats its words."""
    best = hits[0]
    snap = ctx.snap
    if cues.PENALTY_ASKED.search(qn):
        if _PENALTY.search(best.clause.text) or (number := article_number(best.clause.clause_id)) is None:
            return hits
        citing = [ScoredClause(snap.clauses[i], best.score)
                  for i in citing_articles(snap).get((best.clause.doc_id, number), [])
                  if _PENALTY.search(snap.clauses[i].text)]
        # else a penalty article of the same law that the search found too ("违反本法规定…")
        citing = citing or [h for h in hits[1:] if h.clause.doc_id == best.clause.doc_id
                            and _in_penalty_chapter(h.clause) and _PENALTY.search(h.clause.text)]
        # the penalty answers alone: the rule it cites would otherwise win on the question's words
        return citing[:1] or hits
    if _in_penalty_chapter(best.clause):
        rules = [h for h in hits[1:3] if h.clause.doc_id == best.clause.doc_id
                 and not _in_penalty_chapter(h.clause) and h.score >= WEIGHTS.rule_share * best.score]
        if rules:
            return [rules[0]] + [h for h in hits if h is not rules[0]]
    return hits


def _in_penalty_chapter(clause: Clause) -> bool:
    return any("法律责任" in part or "罚则" in part for part in clause.path)
