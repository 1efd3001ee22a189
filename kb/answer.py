"""Question -> Answer with verbatim, numbered citations.

Structured questions are answered from the facts extracted at ingest (责任单位, mentions, document
facts, heading structure), completely and exactly; everything else gets an extractive answer: the
sentences of the best clauses that answer it. The system abstains when the knowledge base holds
no support: the question's key terms are not covered by the best clause, it names a place the
documents never mention, or it asks for a figure the best sentence does not give.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kb import units as unit_db
from kb.retrieve import (article_number, bare, citing_articles, clauses_of, coverage, doc_place, document_scope, finest,
                         home_document, named_documents, superseded, title_keys,
                         version_date)
from kb.schema import Answer, Citation, Clause, Document, InputError, ScoredClause
from kb.textnorm import cn_to_int, fold, t2s, to_halfwidth
from kb.tokenize import places, synonyms, tokens

# Question cues. They select the answering mechanism, never an answer.
_WHO = re.compile(r"由哪些|哪(?:些|个|几个|家)?(?:单位|部门)|谁负责|谁来|由谁|责任单位|负责单位|牵头单位|归谁|谁管|谁牵头|谁抓")
_TASKS = re.compile(r"负责|任务|要做|做什么|干什么|干啥|职责|承担|(哪些|什么|哪项|哪几项)工作|工作(有|是)(哪些|什么)|参与|做哪些|管什么|有哪些事|事项|分工")
_MENTION = re.compile(r"涉及|提到|提及|出现|点名|相关")
_META = {
    "doc_number": re.compile(r"文号|发文字号|字号|文件号"),
    "written_date": re.compile(r"成文|印发日期|印发时间|什么时候印发|何时印发|哪天印发|签发|哪天出台|什么时候出台|何时出台|制定日期|落款"),
    "published_date": re.compile(r"发布日期|发布时间|公开日期|什么时候发布|何时发布|哪天发布|什么时候公开|上网"),
    "issuer": re.compile(r"(发布|印发|发文|制定)(机构|机关|单位|部门)|(哪个|什么|哪一?个?|哪家)(单位|部门|机关|机构)(发布|印发|制定|出台|发的)|谁(印发|发布|发的|制定|出台)|由谁印发"),
    "addressees": re.compile(r"印发给|发给哪些|下发给|主送"),
    "effective": re.compile(r"(什么时候|啥时候|何时|哪天|哪一天|几时|从哪天|自何时)(开始|起)?(施行|生效|实施)|施行(日期|时间)|生效(日期|时间)"),
    "implements": re.compile(r"(贯彻|落实|依据|根据|实施)[^，。]*(哪个|什么|哪份|哪一个)[^，。]*(文件|方案|通知)|(依据|根据|落实|贯彻)的[^，。]*(文件|方案|通知)|上位文件|省级文件|省级方案|哪个省|省里"),
    "title": re.compile(r"标题|文件名称|全称|文件名|叫什么|(哪个|什么|哪份|哪一个)(方案|文件)"),
    "publicity": re.compile(r"是否公开|公开吗|公开发布吗|能否公开|能不能公开|可以公开|公开属性|公开方式|是不是公开|公不公开"),
    # a law's history, stated in its 题注: 通过, 修正, 修订, 公布
    "history": re.compile(r"(修订|修正|修改|通过|公布|审议)[^，,。？?]*(会议|哪天|哪一天|什么时候|何时|日期|时间|几次|哪年|哪一年|第几号|几号令|令)"
                          r"|(哪次|什么|哪一次)会议|(修改|修订|修正)(过)?几次|几次(修改|修订|修正)|(历次|最近一次|上一次)(修改|修订|修正)"),
}
_NUMBER = re.compile(r"多少|(?<!哪)几(?:个|所|项|家|万|成|名|人|天|日|年|次|小时|周|月|岁|倍|元|学时|课时)|比例|百分之|%|数量|规模|多大|比重|占比|不低于|不少于|不超过")
_WHEN = re.compile(r"什么时候|何时|哪一年|哪年|几年|截至|期限|时限|到什么时候|多长时间|多久|时间节点|哪一天|年底|起")
_LIST = re.compile(r"哪些|哪几|几种|几类|哪[一二三四五六七八九十两\d]+[个所项家条类种]|包括|分别|指谁|指哪|是谁|有哪|都有|名单|列举|是什么|指什么|什么意思|含义|内容")
_COMPARE = re.compile(r"变化|区别|不同|相比|对比|新旧|修订前后|修改前后|改了什么|修改了什么|有何变化|差异|新版|旧版|老版")
_FOLLOWUP = re.compile(r"^(那|那么|那它|它|其|该|这|此|还有|另外|然后)|[它其该此这]|呢[？?]?$")
_QUANTITY = re.compile(r"[\d一二三四五六七八九十两百千]+(\.\d+)?\s*(万|千|百)?\s*(人次|人|个|所|项|家|名|%|％|年|次|元|亿|学时|课时|天|日|小时|周|月|岁|倍)|[百千万]分之")
# "不低于多少" may be answered by a standard rather than a figure (不得低于…最低工资标准)
_BOUND = re.compile(r"(不得|不|不应)(低于|少于|高于|超过)")
_YEARISH = re.compile(r"\d{4}\s*年|每年|逐年|年底|年起|[\d一二三四五六七八九十百两]+\s*(个)?(年|月|日|天|周|小时|学时|周岁|岁)|星期[一二三四五六日天]")
_SLOGAN = re.compile(r"(?<![\d.])(\d{4,})(?![\d年.%])")
_COUNTED = re.compile(r"([一二三四五六七八九十两\d]+)\s*(?:个|项|大|类|条|种|所)")
_SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?|\n")
_EFFECTIVE = re.compile(r"自\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日起施行")
_ASKED_ATTRIBUTE = re.compile(r"([\u4e00-\u9fff]{2,6})(?:是多少|是什么|是啥|在哪里|在哪儿|在哪|有多少|多少钱)")
_PUBLICITY = re.compile(r"[（(]\s*此件[^）)]{0,10}公开[^）)]{0,6}[）)]|公开(?:方式|属性)\s*[:：]\s*[^\s|｜]+")
# a question about a penalty or a remedy (法院, 仲裁, 投诉) is answered by the 法律责任 chapter
_PENALTY_ASKED = re.compile(r"罚|处分|法律责任|怎么处理|如何处理|怎样处理|后果|追究|吊销|没收|承担什么责任|什么责任"
                            r"|法院|起诉|诉讼|告他|告它|去告|仲裁|投诉|举报|赔偿|维权")
_PENALTY = re.compile(r"罚款|处分|吊销|没收|责令|追究.{0,8}责任|刑事责任|警告|提起诉讼|申请仲裁|赔偿|投诉|举报")
# The next piece of a sentence qualifies the previous one (an exception, a condition, a remedy).
_QUALIFIER = re.compile(r"^(但|但是|没有|不足|违法所得不足|除|其中|条件不具备|情节严重|逾期|拒不)")
_ENUMERATOR = re.compile(r"([一二三四五六七八九十])是")

# Support thresholds, calibrated on eval/gold (answerable vs out-of-scope questions):
MIN_COVERAGE = 0.3       # share of the question's key terms (idf-weighted) the best clause must hold
MIN_SENTENCE = 0.25      # a sentence sharing less of the question does not answer it
OOV_COVERAGE = 0.6       # …when the question also uses words the knowledge base never does (医保, 分数线)
MIN_DENSE = 0.45         # a best clause this dissimilar is no support at all
WHOLE_ARTICLE = 200      # characters: a law article this short is answered whole (its 款 complete each other)
NEAR_DENSE = 0.78        # …and one this similar is about the documents, though it words it its own way,
NEAR_COVERAGE = 0.15     # so it needs less of its wording in the clause (新员工试用期老板最长能定多久)


def check_question(question: str, max_chars: int) -> str:
    """The question, stripped; InputError with the reason when it cannot be asked."""
    if not isinstance(question, str):
        raise InputError("问题必须是文本")
    q = "".join(c for c in question if unicodedata.category(c)[0] != "C" or c in " \t").strip()
    if not q:
        raise InputError("问题不能为空，请输入要查询的内容")
    if len(q) > max_chars:
        raise InputError(f"问题过长（{len(q)} 字），请控制在 {max_chars} 字以内")
    if not re.search(r"[\u4e00-\u9fff\u3400-\u4dbfA-Za-z0-9０-９Ａ-Ｚａ-ｚ]", q):
        raise InputError("问题中没有可识别的文字，请用中文描述要查询的内容")
    return q


@dataclass
class _Cited:
    clause: Clause
    score: float
    highlight: str = ""


class Answerer:
    def __init__(self, kb):
        self.kb = kb
        self.snap = kb.snapshot()
        self._cited: list[_Cited] = []

    # -- entry -------------------------------------------------------------
    def answer(self, question: str, history: list[str]) -> Answer:
        q = check_question(question, self.kb.settings.max_question_chars)
        if not self.snap.clauses:
            return self._abstain(q, "知识库中还没有文档，请先导入文件。")
        qn = t2s(to_halfwidth(q))
        context = self._with_context(qn, history)
        if self._foreign(qn):
            return self._abstain(q)
        answer = self._structured(q, qn, context)
        if answer is not None:
            return answer
        parts = _question_parts(qn)
        if len(parts) > 1:
            return self._compound(q, parts, history)
        return self._extractive(q, qn, context)

    def _structured(self, q: str, qn: str, context: str) -> Answer | None:
        for handler in (self._meta, self._slogan, self._unit_tasks, self._mentions, self._who, self._versions,
                        self._heading_list, self._term_mentions):
            answer = handler(q, qn, context)
            if answer is not None:
                return answer
        return None

    def _compound(self, q: str, parts: list[str], history: list[str]) -> Answer:
        """Two questions in one ("董事会最少几个人？对董事的教学经验有要求吗？"): each part is
        answered in turn, a later part in the context of the earlier ones; the citations are
        numbered across the parts. Parts the documents do not answer are said to be unanswered."""
        texts, unanswered, units, kinds = [], [], [], []
        named = ""
        for i, part in enumerate(parts):
            context = self._with_context(part, history + parts[:i])
            if not self._names_document(part):
                context = named + context       # a later part asks about the law an earlier part named
            named = named or "".join(f"《{self.snap.documents[d].title}》" for d in named_documents(part, self.snap))
            before = len(self._cited)
            sub = self._structured(q, part, context) or self._extractive(q, part, context)
            if sub.abstained:
                unanswered.append(part)
            elif len(self._cited) > before or sub.answer not in texts:
                texts.append(sub.answer)
                units += [u for u in sub.responsible_units if u not in units]
                kinds.append(sub.kind)
        if not texts:
            return self._abstain(q)
        text = "\n".join(texts) + "".join(f"\n关于“{p}”，文件中没有相关规定。" for p in unanswered)
        return self._result(q, text, kinds[0], units)

    @staticmethod
    def _with_context(qn: str, history: list[str]) -> str:
        """A follow-up that leaves out its subject borrows the previous question's."""
        if history and len(qn) <= 20 and _FOLLOWUP.search(qn):
            return t2s(to_halfwidth(history[-1])) + " " + qn
        return qn

    # -- helpers -----------------------------------------------------------
    def _search(self, question: str, **kwargs) -> list[ScoredClause]:
        # the snapshot this answer reads from, even when an ingest publishes a new one meanwhile
        return self.kb.retriever.search(question, snap=self.snap, **kwargs)

    def _topic(self, question: str) -> str:
        return self.kb.retriever.topic(question, self.snap)

    def _cite(self, clause: Clause, score: float, highlight: str = "") -> int:
        for n, c in enumerate(self._cited, 1):
            if c.clause.uid == clause.uid:
                return n
        self._cited.append(_Cited(clause, score, highlight))
        return len(self._cited)

    def _result(self, q: str, text: str, kind: str, units: list[str] | None = None) -> Answer:
        docs = self.snap.documents
        citations = [Citation(n=n, doc_id=c.clause.doc_id, doc_title=docs[c.clause.doc_id].title,
                              doc_number=docs[c.clause.doc_id].doc_number, clause_id=c.clause.clause_id,
                              section=c.clause.section, quote=c.clause.text, score=round(float(c.score), 4),
                              highlight=c.highlight)
                     for n, c in enumerate(self._cited, 1)]
        return Answer(question=q, answer=text, abstained=False, responsible_units=units or [],
                      citations=citations, kind=kind)

    def _abstain(self, q: str, reason: str = "") -> Answer:
        text = "知识库中的文件没有涉及这个问题，无法回答。" + (reason if reason else "")
        return Answer(question=q, answer=text, abstained=True, kind="abstain")

    def _scope_doc(self, qn: str) -> Document | None:
        scope = document_scope(qn, self.snap)
        if scope:
            best = max(scope.values())
            docs = [self.snap.documents[d] for d, s in scope.items() if s == best]
            old = self.snap.memo("superseded", lambda: superseded(self.snap.documents))
            current = [d for d in docs if d.doc_id not in old]
            return (current or docs)[0]
        return None

    @property
    def _default_doc(self) -> Document:
        return home_document(self.snap)

    def _whole_text(self, clause: Clause) -> str:
        """A clause's text with all its parts (a long clause is stored split at sentence ends)."""
        def join_parts() -> dict[tuple[str, str], str]:
            whole: dict[tuple[str, str], str] = {}
            for c in self.snap.clauses:
                key = (c.doc_id, c.clause_id)
                whole[key] = whole.get(key, "") + c.text
            return whole
        return self.snap.memo("whole_text", join_parts)[(clause.doc_id, clause.clause_id)]

    def _short_article(self, clause: Clause) -> str:
        """The whole text of a law article up to WHOLE_ARTICLE characters, without its number
        (a rule, its exception and its remedy are read together); "" for anything else."""
        if article_number(clause.clause_id) is None:
            return ""
        text = _strip_number(self._whole_text(clause))
        return text if len(text) <= WHOLE_ARTICLE else ""

    def _doc_clauses(self, doc_id: str) -> list[Clause]:
        return [self.snap.clauses[i] for i in clauses_of(self.snap).get(doc_id, ())]

    def _first_clause(self, doc_id: str, predicate) -> Clause | None:
        return next((c for c in self._doc_clauses(doc_id) if predicate(c)), None)

    # -- document facts ----------------------------------------------------
    def _meta(self, q: str, qn: str, context: str) -> Answer | None:
        facts: list[Answer] = []          # every fact asked (文号是多少？哪天发布的？)
        for field, cue in _META.items():
            if not cue.search(qn):
                continue
            # a law's history is asked of the law the question names (劳动法修改过几次)
            if self._names_document(context) if field == "history" else self._about_document(qn, cue):
                answer = self._document_fact(q, field, self._scope_doc(context) or self._default_doc)
                if answer is not None and all(answer.answer != f.answer for f in facts):
                    facts.append(answer)
        if not facts:
            return None
        facts[-1].answer = "\n".join(f.answer for f in facts)     # the last holds every citation
        return facts[-1]

    def _document_fact(self, q: str, field: str, doc: Document) -> Answer | None:
        if field == "history":
            header = self._first_clause(doc.doc_id, lambda c: c.clause_id == "题注")
            lines = [ln.strip(" （）()。；;") for ln in header.text.split("\n")] if header else []
            lines = [ln for ln in lines if re.search(r"\d{4}年", ln)]
            if not lines:
                return None
            n = self._cite(header, 1.0, header.text.strip())
            return self._result(q, f"《{doc.title}》：" + "；".join(lines) + f"[{n}]。", "meta")
        if field == "publicity":
            clause = self._first_clause(doc.doc_id, lambda c: _PUBLICITY.search(c.text))
            if clause is None:
                return None
            value = _PUBLICITY.search(clause.text)[0]
            n = self._cite(clause, 1.0, value)
            return self._result(q, f"《{doc.title}》：{value.strip('（）()')}[{n}]。", "meta")
        if field == "doc_number" and doc.doc_number:
            value = doc.doc_number
            text = f"《{doc.title}》的文号是{value}"
        elif field == "written_date" and doc.written_date:
            value = _cn_date(doc.written_date)
            text = f"《{doc.title}》的成文日期是{value}"
        elif field == "published_date" and doc.published_date:
            value = _cn_date(doc.published_date)
            text = f"《{doc.title}》的发布日期是{value}"
        elif field == "issuer" and doc.issuer:
            value = doc.issuer
            text = f"《{doc.title}》由{value}印发"
        elif field == "implements" and doc.implements:
            cite = next((c for c in doc.cites if c["title"] == doc.implements), {})
            value = doc.implements
            number = cite.get("doc_number", "")
            text = f"《{doc.title}》是为贯彻落实《{value}》" + (f"（{number}）" if number else "") + "而制定的"
            value = number or value
        elif field == "effective" and doc.dates.get("施行"):
            value = _cn_date(doc.dates["施行"])
            text = f"《{doc.title}》自{value}起施行"
        elif field == "effective":         # stated in the closing article only (本办法自…起施行)
            clause = next((c for c in reversed(self._doc_clauses(doc.doc_id)) if _EFFECTIVE.search(c.text)), None)
            if clause is None:
                return None
            value = _EFFECTIVE.search(clause.text)[0]
            n = self._cite(clause, 1.0, _sentence_with(clause.text, value))
            return self._result(q, f"《{doc.title}》：{value}[{n}]。", "meta")
        elif field == "addressees":
            notice = self._first_clause(doc.doc_id, lambda c: c.clause_id == "印发通知")
            line = next((ln for ln in (notice.text.split("\n") if notice else []) if ln.endswith(("：", ":"))), "")
            if not line:
                return None
            value = line
            text = f"《{doc.title}》印发给{line.rstrip('：:')}"
        elif field == "title":
            value = doc.title
            text = f"文件标题是《{doc.notice_title or doc.title}》"
        else:
            return None
        clause = self._clause_containing(doc.doc_id, value)
        if clause is None:
            return self._result(q, text + "。", "meta")
        n = self._cite(clause, 1.0, _sentence_with(clause.text, value))
        return self._result(q, f"{text}[{n}]。", "meta")

    def _names_document(self, qn: str) -> bool:
        return bool(named_documents(qn, self.snap))

    def _about_document(self, qn: str, cue: re.Pattern) -> bool:
        """Asked of the document itself ("这份方案的文号"), not of a topic inside it
        ("生均经费标准由谁制定")."""
        rest = self._topic(qn)
        for other in (cue, *_META.values()):       # every fact asked is about the document (文号？哪天发布？)
            rest = other.sub(" ", rest)
        rest = re.sub(r"这份|这个|该|本|此|文件|方案|通知|办法|条例|规定|法律|政策|印发|发布|制定|出台|职教|省级|哪个|单位", " ", rest)
        for place in self.snap.memo("places", lambda: {doc_place(d) for d in self.snap.documents.values()} - {""}):
            rest = rest.replace(place, " ")
        left = [t for t in tokens(rest) if len(t) > 1]
        if len(left) <= 1:
            return True
        # what is left may only describe the document itself ("职业教育方案")
        titles = self.snap.memo("folded_titles", lambda: [fold(f"{d.title} {d.notice_title}")
                                                          for d in self.snap.documents.values()])
        return any(self._overlap(left, title) >= 0.8 for title in titles if any(t in title for t in left))

    def _clause_containing(self, doc_id: str, value: str) -> Clause | None:
        keys = {fold(value), fold(value.replace("〔", "[").replace("〕", "]"))}
        if re.match(r"\d{4}年", value):      # dates are written 2024年6月13日 or 2024年06月13日
            y, m, d = map(int, re.findall(r"\d+", value))
            keys |= {fold(f"{y}年{m:02d}月{d:02d}日"), fold(f"{y}年{m}月{d}日")}
        return self._first_clause(doc_id, lambda c: any(k in fold(c.text) for k in keys))

    # -- numbered slogans ("3377522") -------------------------------------
    def _slogan(self, q: str, qn: str, context: str) -> Answer | None:
        m = _SLOGAN.search(qn)
        if not m or re.fullmatch(r"(19|20)\d\d", m[1]):
            return None
        code = m[1]
        for doc_id, parent, children in self._sibling_groups():
            digits = []
            for child in children:
                counted = _COUNTED.search(child[0])
                digits.append(str(cn_to_int(counted[1])) if counted else "?")
            if "".join(digits) != code:
                continue
            mention = self._first_clause(doc_id, lambda c: code in c.text)
            if mention:
                self._cite(mention, 1.0, _sentence_with(mention.text, code))
            parts = []
            for label, clause in children:
                n = self._cite(clause, 1.0)
                parts.append(f"{_strip_number(label)}[{n}]")
            head = f"“{code}”指{_strip_number(parent)}中的{len(children)}项内容"
            lead = f"[{1}]" if mention else ""
            return self._result(q, f"{head}{lead}：" + "；".join(parts) + "。", "definition")
        return None

    def _sibling_groups(self):
        """(doc_id, parent heading, [(child heading, its first clause)]) for every heading level."""
        return self.snap.memo("sibling_groups", self._compute_sibling_groups)

    def _compute_sibling_groups(self):
        groups: dict[tuple[str, str, int], list[tuple[str, Clause]]] = {}
        for c in self.snap.clauses:
            for depth in range(1, len(c.path)):
                key = (c.doc_id, c.path[depth - 1], depth)
                children = groups.setdefault(key, [])
                if not any(label == c.path[depth] for label, _ in children):
                    children.append((c.path[depth], c))
        return [(doc_id, parent, children) for (doc_id, parent, _), children in groups.items() if len(children) > 1]

    # -- who does what -----------------------------------------------------
    def _unit_tasks(self, q: str, qn: str, context: str) -> Answer | None:
        found = unit_db.find_units(qn)
        asks_who = _WHO.search(re.sub(r"(作为|是|为)责任单位", "", qn))     # 州财政局作为责任单位承担哪些工作
        # 楚雄医专有哪些任务 / 楚雄医专做哪些: tasks; 楚雄医专开设了哪些专业: not tasks
        if not found or asks_who or not (_TASKS.search(qn) or re.search(r"做什么|干什么|哪些(事情?|活儿?)?[？?。]?$", qn)):
            return None
        tasks = {}
        for name in found:
            canonical, clauses = self.kb.unit_tasks(name, self.snap)
            tasks[canonical] = clauses
        if not any(tasks.values()):
            return None
        if len(tasks) > 1 and re.search(r"共同|都|同时|一起|联合", qn):
            shared = set.intersection(*({c.uid for c in cs} for cs in tasks.values()))
            clauses = [c for c in next(iter(tasks.values())) if c.uid in shared]
            head = f"{'、'.join(tasks)}共同作为责任单位的任务共{len(clauses)}项：\n"
            return self._result(q, head + self._task_lines(clauses), "unit_tasks")
        parts = []
        for canonical, clauses in tasks.items():
            via_group = [g for g in unit_db.covering(canonical) if g != canonical]
            note = f"（含以“{'、'.join(via_group)}”名义列出的任务）" if any(
                set(via_group) & set(c.units) for c in clauses) else ""
            parts.append(f"{canonical}作为责任单位的任务共{len(clauses)}项{note}：\n" + self._task_lines(clauses))
        return self._result(q, "\n".join(parts) + self._lead_note(qn, tasks.values()), "unit_tasks")

    def _task_lines(self, clauses: list[Clause]) -> str:
        lines = []
        for i, c in enumerate(clauses, 1):
            n = self._cite(c, 1.0, _responsibility_sentence(c.text))
            lines.append(f"{i}. {c.title or c.clause_id}（{c.clause_id}）[{n}]")
        return "\n".join(lines)

    @staticmethod
    def _lead_note(qn: str, clause_lists, listed: str = "列为责任单位的全部任务") -> str:
        """Asked for the lead unit of a document that does not name one: say so."""
        if "牵头" in qn and not any(c.lead_units for cs in clause_lists for c in cs):
            return f"\n（文件未区分牵头单位和配合单位，以上为{listed}。）"
        return ""

    def _school_list(self, q: str, qn: str, context: str) -> Answer | None:
        """"方案中提到了哪些学校": every school the document names, each cited where first named."""
        if not re.search(r"哪些(学校|院校|中职学校|职业学校|高校|大学|职中|中职)", qn) or unit_db.find_entities(qn):
            return None
        doc = self._scope_doc(context) or self._default_doc
        first: dict[str, Clause] = {}
        for c in self.snap.clauses:
            if c.doc_id == doc.doc_id:
                for name in c.mentions:
                    if re.search(r"(学校|学院|大学|中学|职中|职教中心|医专|师院|技校)$", name):
                        first.setdefault(name, c)
        if not first:
            return None
        items = [f"{name}[{self._cite(c, 1.0, _sentence_with(c.text, name))}]" for name, c in first.items()]
        return self._result(q, f"《{doc.title}》提到的学校共{len(items)}所：" + "、".join(items) + "。", "list")

    def _mentions(self, q: str, qn: str, context: str) -> Answer | None:
        school_list = self._school_list(q, qn, context)
        if school_list is not None:
            return school_list
        entities = unit_db.find_entities(qn)
        if not entities or _WHO.search(qn) or not (_MENTION.search(qn) or _TASKS.search(qn)):
            return None
        name = entities[0]
        clauses = self.kb.mention_tasks(name, self.snap)
        if not clauses:
            return None
        lines = []
        for i, c in enumerate(clauses, 1):
            sentence = next((s.strip() for s in _sentences(c.text) if name in unit_db.scan(s, query=False)), "")
            n = self._cite(c, 1.0, sentence)
            lines.append(f"{i}. {c.title or c.clause_id}（{c.clause_id}）：{sentence}[{n}]")
        return self._result(q, f"文件中提到{name}的条款共{len(clauses)}处：\n" + "\n".join(lines), "mention")

    def _who(self, q: str, qn: str, context: str) -> Answer | None:
        if not _WHO.search(qn):
            return None
        clauses = self.snap.clauses
        with_units = self._search(context, k=5, where=lambda i: bool(clauses[i].units))
        overall = {h.clause.uid for h in self._search(context, k=3)}
        if not with_units or with_units[0].clause.uid not in overall:
            return None      # the best matches have no 责任单位 list (a law article names its own bodies)
        best = with_units[0]
        # The task must be the one asked about; otherwise the answer lies in a clause without a
        # 责任单位 list (a law article, say) and the extractive answer handles it.
        topic = _WHO.sub(" ", self._topic(context))
        for name in [topic[a:b] for a, b, _ in unit_db.matches(topic)]:
            topic = topic.replace(name, " ")     # "…有州发改委吗": the units are the answer, not the topic
        topic = [t for t in tokens(topic) if len(t) > 1]
        if self._overlap(topic, f"{' '.join(best.clause.path)} {best.clause.text}") < MIN_COVERAGE:
            return None
        c = best.clause
        n = self._cite(c, best.score, _responsibility_sentence(c.text))
        lead = [u for u in c.lead_units]
        if lead:
            co = [u for u in c.units if u not in lead]
            text = f"{c.title or c.clause_id}由{'、'.join(lead)}牵头" + (f"，{'、'.join(co)}配合" if co else "") + f"[{n}]。"
        else:
            text = f"{c.title or c.clause_id}的责任单位是{'、'.join(c.units)}[{n}]。" + self._lead_note(qn, [[c]], "列出的全部责任单位")
        return self._result(q, text, "who", list(c.units))

    # -- "which are the 三个基础工程": the headings under a heading ---------------
    def _heading_list(self, q: str, qn: str, context: str) -> Answer | None:
        if not _LIST.search(qn) or _NUMBER.search(qn) or _WHEN.search(qn):
            return None
        topic = [t for t in tokens(_LIST.sub(" ", self._topic(context))) if len(t) > 1]
        if len(finest(topic)) < 2:
            return None      # one word ("学校") is too little to name a heading
        scope = self._scope_doc(context)
        best, best_cover = None, 0.0
        groups = self._sibling_groups()
        # only headings holding the start of one of the question's words can cover it
        starts = self.snap.memo("heading_bigrams", lambda: _bigram_index([fold(p) for _, p, _ in groups]))
        for i in sorted({i for t in topic for i in starts.get(t[:2], ())}):
            doc_id, parent, children = groups[i]
            if scope is not None and doc_id != scope.doc_id:
                continue
            cover = self._overlap(topic, parent)
            if cover > best_cover:
                best, best_cover = (doc_id, parent, children), cover
        if best is None or best_cover < 0.8:
            return None
        _, parent, children = best
        if len(children) > 12 or not all(_strip_number(label) for label, _ in children):
            return None      # a law chapter's articles are not a list of named items
        parts = []
        for label, clause in children:
            n = self._cite(clause, 1.0)
            parts.append(f"{_strip_number(label)}[{n}]")
        return self._result(q, f"{_strip_number(parent)}包括{len(children)}项：" + "；".join(parts) + "。", "list")

    # -- "where does the plan mention 工作专班": every clause naming a term ---------
    def _term_mentions(self, q: str, qn: str, context: str) -> Answer | None:
        m = re.match(r"^[“\"'「]?(.{2,20}?)[”\"'」]?(?:在|于)?(?:哪些|哪个|哪一?)?(?:方案|文件|文中|任务|部分|条款)?(?:中|里)?"
                     r"(?:哪些|哪个|哪一?)?(?:任务|部分|条款|地方)?(?:里|中)?(?:涉及|提到|提及|出现)", qn)
        if not m:
            return None
        term = fold(re.sub(r"^(方案|文件)(中|里)?", "", m[1]))
        scope = self._scope_doc(context)
        folded = self.snap.memo("folded_first_parts", lambda: [(c, fold(c.text))
                                                               for c in self.kb._first_parts(self.snap.clauses)])
        clauses = [c for c, text in folded if term in text and c.clause_id != "文件信息"
                   and (scope is None or c.doc_id == scope.doc_id)]
        if not clauses or len(term) < 2:
            return None
        lines = []
        for i, c in enumerate(clauses, 1):
            sentence = _sentence_with(c.text, term)
            n = self._cite(c, 1.0, sentence)
            lines.append(f"{i}. {c.title or c.clause_id}（{c.clause_id}）：{sentence}[{n}]")
        return self._result(q, f"提到“{m[1]}”的条款共{len(clauses)}处：\n" + "\n".join(lines), "mention")

    # -- versions of one law ---------------------------------------------------
    def _versions(self, q: str, qn: str, context: str) -> Answer | None:
        """"What changed": the matching clause of each version, newest first. The two clauses are
        chosen together: each must answer the topic, and they should be the same provision in both
        versions (similar wording), not two unrelated articles."""
        doc = self._scope_doc(context)
        if doc is None or not _COMPARE.search(qn):
            return None
        versions = sorted((d for d in self.snap.documents.values() if fold(d.title) == fold(doc.title)),
                          key=version_date, reverse=True)[:2]
        if len(versions) < 2:
            return None
        topic = re.sub(r"(19|20)\d\d\s*年?(版|修订|修正)?", "", _COMPARE.sub("", context))
        clauses = self.snap.clauses
        candidates = [self._search(topic, k=5, where=lambda i, d=v.doc_id: clauses[i].doc_id == d)
                      for v in versions]
        if not all(candidates):
            return None
        new_hits, old_hits = candidates
        top_new, top_old = new_hits[0].score, old_hits[0].score
        pair = max(((a, b) for a in new_hits for b in old_hits),
                   key=lambda ab: ab[0].score / top_new + ab[1].score / top_old
                   + _similarity(ab[0].clause.text, ab[1].clause.text))
        q_tokens = tokens(topic)
        parts = []
        for label, version, hit in (("现行版本", versions[0], pair[0]), ("旧版本", versions[1], pair[1])):
            best = max(_sentences(hit.clause.text), key=lambda s: self._overlap(q_tokens, s))
            sentence = self._short_article(hit.clause) or _lead_with(best, hit.clause.text)
            n = self._cite(hit.clause, hit.score, sentence.strip())
            parts.append(f"{label}（{version_date(version)[:4]}年）{hit.clause.clause_id}：{_display_sentence(sentence)}[{n}]")
        return self._result(q, f"《{doc.title}》各版本的相关规定：\n" + "\n".join(parts), "version")

    # -- everything else: extractive -----------------------------------------
    def _extractive(self, q: str, qn: str, context: str) -> Answer:
        hits = self._search(context, k=5)
        named = named_documents(context, self.snap)
        if any(h.clause.doc_id in named for h in hits):
            hits = [h for h in hits if h.clause.doc_id in named]     # the document the question names answers it
        if not hits or self._unsupported(context, hits):
            return self._abstain(q)
        hits = self._rule_or_penalty(qn, hits)
        wants_number = bool(_NUMBER.search(qn))
        unit = _asked_unit(qn)
        wants_time = bool(_WHEN.search(qn))
        wants_list = bool(_LIST.search(qn))
        q_tokens = tokens(self._topic(context))
        all_tokens = tokens(context)
        best_clause = hits[0].clause
        if wants_list and not (wants_number or wants_time):
            enum = _enumeration(self._whole_text(best_clause))
            if enum and self._names_clause(q_tokens, best_clause):
                n = self._cite(best_clause, hits[0].score)
                return self._result(q, f"{best_clause.title}：" + "；".join(enum) + f"[{n}]。", "list")
        scored = []
        q_bare = bare(context)
        named_bodies = unit_db.find_units(qn) + unit_db.find_entities(qn)
        list_verb = next((v for v in ("包括", "分为", "包含", "分成") if v in qn), "") if wants_list else ""
        # 哪几种招生: a sentence listing several kinds of 招生 (跨县域招生、片区招生、分专业招生)
        kind_asked = re.search(r"哪(?:几|些)[种类个项所家条]?([\u4e00-\u9fa5]{2,4}?)(?:[？?，,。]|$)", qn)
        for rank, hit in enumerate(hits[:3]):
            prior = (1.0, 0.7, 0.5)[rank]
            # the question quotes this clause's heading ("工作目标是什么"): its sentences answer it
            named = 0.3 if len(bare(hit.clause.title)) >= 4 and bare(hit.clause.title) in q_bare else 0.0
            sentences = _sentences(hit.clause.text)
            # an article's first full sentence names its subject (高等学校实行教师职务制度。…教师职务设助教、…)
            subject = sentences[0] if (sentences and sentences[0].endswith("。")
                                       and article_number(hit.clause.clause_id) is not None) else ""
            for s in sentences:
                if _responsibility_sentence(s):
                    continue     # the 责任单位 list answers who-questions only
                # the clause's heading is context for each of its sentences (一、工作目标 › 坚持以…)
                framed = f"{hit.clause.title} {s}"
                fit = 0.7 * self._overlap(q_tokens, framed) + 0.3 * self._overlap(q_tokens, f"{subject} {framed}")
                score = prior * (0.4 + named + fit + 0.1 * self._overlap(all_tokens, framed))
                if list_verb and list_verb in s:
                    score += 0.2      # "…包括哪些" is answered by the sentence saying what it 包括
                if named_bodies and set(named_bodies) & set(unit_db.scan(s, query=False)):
                    score += 0.3      # the sentence names the school or unit the question asks about
                if wants_list:
                    score += 0.1 * min(s.count("、"), 3)   # a list question is answered by a sentence that lists
                    if kind_asked and len(re.findall(rf"{kind_asked[1]}[、，,和及]", s)) >= 1 and s.count(kind_asked[1]) >= 2:
                        score += 0.3
                if wants_number and _has_quantity(s, unit):
                    score += 0.35
                if wants_time and _YEARISH.search(s):
                    score += 0.35
                scored.append((score, rank, s, hit))
        if not scored:
            return self._abstain(q)
        scored.sort(key=lambda x: (-x[0], x[1]))
        if wants_number or wants_time:
            # the best-matching sentence that actually states a figure or a time
            top = scored[0][0]
            scored = [x for x in scored if x[0] >= 0.5 * top and self._overlap(q_tokens, x[2]) >= MIN_SENTENCE and (
                (wants_number and _has_quantity(x[2], unit)) or (wants_time and _YEARISH.search(x[2])))] or scored
        score, _, sentence, hit = scored[0]
        counted = re.search(r"多少([\u4e00-\u9fa5]{2,3})[？?。]?$", qn)     # 多少在校生: the count must be of 在校生
        if wants_number and not unit and counted and fold(counted[1]) not in fold(hit.clause.text):
            return self._abstain(q, "文件中没有给出这一数字。")
        asked = re.split(r"[的，,？?]", qn.split("是谁")[0])[-1] if "是谁" in qn else ""
        if asked and bare(asked) not in bare(sentence):      # 校长是谁: the sentence must name that 校长
            return self._abstain(q, "文件中没有给出这一信息。")
        if (wants_number and not _has_quantity(sentence, unit)) and not (wants_time and _YEARISH.search(sentence)):
            return self._abstain(q, "文件中没有给出这一数字。")
        if wants_time and not wants_number and not _YEARISH.search(sentence):
            return self._abstain(q, "文件中没有给出这一时间。")
        asked_years = set(re.findall(r"((?:19|20)\d\d)\s*年", to_halfwidth(qn)))
        stated_years = set(re.findall(r"(?:19|20)\d\d", to_halfwidth(sentence)))
        if (wants_number or wants_time) and asked_years and stated_years and not asked_years & stated_years:
            return self._abstain(q, "文件中没有给出这一年的数字。")   # 2023年完成了多少 vs 从2024年起每年…
        if wants_number:
            # a second figure for the same thing (按百分之一点五提取；…可以按照百分之二点五提取)
            sentence = _with_following(sentence, hit.clause.text, lambda s: _has_quantity(s, unit)
                                       and self._overlap(q_tokens, s) >= MIN_SENTENCE)
        sentence = self._short_article(hit.clause) or _with_continuation(
            _with_next_if_short(_with_items(sentence, hit.clause.text), hit.clause.text), hit.clause.text)
        text = _display_sentence(sentence)
        n = self._cite(hit.clause, hit.score, sentence.strip())
        answer = f"{text}[{n}]"
        kind = "number" if (wants_number or wants_time) else ("list" if wants_list else "general")
        # A second clause, when it answers nearly as well, completes the picture.
        for score2, _, sentence2, hit2 in scored[1:]:
            if hit2.clause.uid != hit.clause.uid and score2 >= 0.9 * score and kind == "general":
                n2 = self._cite(hit2.clause, hit2.score, sentence2.strip())
                answer += f"{_display_sentence(sentence2)}[{n2}]"
                break
        old = self.snap.memo("superseded", lambda: superseded(self.snap.documents))
        doc = self.snap.documents[hit.clause.doc_id]
        if hit.clause.doc_id in old:
            current = self.snap.documents[old[hit.clause.doc_id]]
            answer += f"（出自{version_date(doc)[:4]}年版本；现行版本为{version_date(current)[:4]}年版）"
        elif hit.clause.doc_id in old.values():
            answer += f"（依据现行版本：{version_date(doc)[:4]}年版《{doc.title}》）"
        return self._result(q, answer, kind)

    def _rule_or_penalty(self, qn: str, hits: list[ScoredClause]) -> list[ScoredClause]:
        """A question about the consequence of breaking a rule is answered by the article that
        cites the rule's article and sets the penalty (违反本法第五十条规定的…罚款); any other
        question by the rule itself rather than a penalty article that repeats its words."""
        best = hits[0]
        if _PENALTY_ASKED.search(qn):
            if _PENALTY.search(best.clause.text) or (number := article_number(best.clause.clause_id)) is None:
                return hits
            citing = [ScoredClause(self.snap.clauses[i], best.score)
                      for i in citing_articles(self.snap).get((best.clause.doc_id, number), [])
                      if _PENALTY.search(self.snap.clauses[i].text)]
            # else a penalty article of the same law that the search found too ("违反本法规定…")
            citing = citing or [h for h in hits[1:] if h.clause.doc_id == best.clause.doc_id
                                and _in_penalty_chapter(h.clause) and _PENALTY.search(h.clause.text)]
            return citing[:1] + [h for h in hits if h not in citing[:1]]
        if _in_penalty_chapter(best.clause):
            rules = [h for h in hits[1:3] if h.clause.doc_id == best.clause.doc_id
                     and not _in_penalty_chapter(h.clause) and h.score >= 0.6 * best.score]
            if rules:
                return [rules[0]] + [h for h in hits if h is not rules[0]]
        return hits

    # -- support ---------------------------------------------------------------
    def _overlap(self, q_tokens: list[str], text: str) -> float:
        return coverage(self.snap, q_tokens, text)

    def _names_clause(self, q_tokens: list[str], clause: Clause) -> bool:
        return self._overlap([t for t in q_tokens if len(t) > 1], clause.title) >= 0.8

    def _foreign(self, question: str) -> bool:
        """The question names a place, a year or a figure the documents never mention
        (大理州, 2030年, 500元), or asks for a thing they never name: whatever the documents say
        is not about it."""
        asked = _ASKED_ATTRIBUTE.search(question)
        attribute = (tokens(asked[1]) or [""])[-1] if asked else ""
        return (any(self._never_used(fold(p)) for p in places(question))
                or any(self._never_used(n) for n in re.findall(r"\d{2,}", to_halfwidth(question)))
                # the thing asked for is a word the documents never use (招生电话是多少, 地址在哪里)
                or (len(attribute) > 1 and self._never_used(attribute) and not synonyms(attribute)))

    def _never_used(self, word: str) -> bool:
        """No document uses the word: the token vocabulary first (the corpus text is built lazily
        and scanning it is slow at scale), then the text itself."""
        return word not in self.snap.doc_freq and word not in self.snap.corpus_text

    def _unsupported(self, question: str, hits: list[ScoredClause]) -> bool:
        """No support: too little of the question in the best clause (more required when the
        question uses words the documents never do, unless its meaning is close to a clause's),
        or a best clause far from the question."""
        best = hits[0]
        q_tokens = [t for t in tokens(question) if len(t) > 1 or t.isdigit()]
        if not q_tokens:
            return True
        doc = self.snap.documents[best.clause.doc_id]
        evidence = f"{doc.doc_id} {doc.title} {' '.join(doc.dates.values())} {' '.join(best.clause.path)} {best.clause.text}"
        coverage = self._overlap(q_tokens, evidence)
        if best.dense is not None and best.dense < MIN_DENSE:
            return True
        if max((h.dense for h in hits if h.dense is not None), default=0.0) >= NEAR_DENSE:
            return coverage < NEAR_COVERAGE
        titles = self.snap.memo("title_keys", lambda: {k for d in self.snap.documents.values() for k in title_keys(d)})
        unknown = any(self._never_used(fold(t)) and t not in titles and all(self._never_used(s) for s in synonyms(t))
                      for t in q_tokens)
        return coverage < (OOV_COVERAGE if unknown else MIN_COVERAGE)


# -- text helpers ---------------------------------------------------------------
def _bigram_index(texts: list[str]) -> dict[str, set[int]]:
    """Character bigram -> indexes of the texts holding it."""
    index: dict[str, set[int]] = {}
    for i, text in enumerate(texts):
        for j in range(len(text) - 1):
            index.setdefault(text[j:j + 2], set()).add(i)
    return index


def _question_parts(qn: str) -> list[str]:
    """The questions in a message that asks several ("…几个人？…有要求吗？"); one part when it asks one."""
    parts = [p.strip() for p in re.split(r"[？?]", qn) if p.strip()]
    if len(parts) < 2 or any(len(re.sub(r"[^\u4e00-\u9fff\w]", "", p)) < 6 for p in parts):
        return [qn]
    return [p + "？" for p in parts]


def _asked_unit(qn: str) -> str:
    """The unit a number question asks for: 多少人次 -> 人次, 比例 -> %, "" when unspecified."""
    if re.search(r"人数(是|有)?多少|多少人数", qn):
        return "人"             # 招生人数是多少: a count of people
    m = re.search(r"(?:多少|几)\s*(万|千|亿)?\s*(?:个(?=人|月|小时|学时|课时|星期))?\s*"
                  r"(人次|人|个|所|项|家|名|元|钱|年|天|日|学时|课时|小时|次|周|月|岁|倍)", qn)
    if m:
        return "元" if m[2] == "钱" else m[2]
    return "%" if re.search(r"比例|百分|占比|比重|几成", qn) else ""


def _has_quantity(sentence: str, unit: str) -> bool:
    if not unit:
        return bool(_QUANTITY.search(sentence) or re.search(r"\d", sentence) or _BOUND.search(sentence))
    if unit == "%":
        return bool(re.search(r"\d\s*[%％]|百分之", sentence))
    unit = {"天": "[天日]", "日": "[天日]", "岁": "周?岁"}.get(unit, unit)
    return bool(re.search(rf"[\d一二三四五六七八九十两]\s*(万|千|百|亿)?\s*个?\s*{unit}", sentence))


def _similarity(a: str, b: str) -> float:
    """Share of character bigrams two texts have in common (Jaccard): the same provision in two
    versions of a law is worded alike."""
    grams = [{x[i:i + 2] for i in range(len(x) - 1)} for x in (fold(a), fold(b))]
    union = grams[0] | grams[1]
    return len(grams[0] & grams[1]) / len(union) if union else 0.0


def _cn_date(iso: str) -> str:
    y, m, d = map(int, iso.split("-"))
    return f"{y}年{m}月{d}日"


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s.strip() and len(s.strip()) > 1]


def _sentence_with(text: str, value: str) -> str:
    key = fold(value)
    return next((s.strip() for s in _sentences(text) if key in fold(s)), "")


def _responsibility_sentence(text: str) -> str:
    m = re.search(r"[（(]\s*(责任单位|牵头单位)[^）)]*[）)]?", text)
    return m[0] if m else ""


def _strip_number(label: str) -> str:
    """Drop a leading heading or article number: "1.", "一、", "（二）", "第二条 "."""
    return re.sub(r"^(\d+[.．、]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|第[一二三四五六七八九十百零\d]+条\s*)",
                  "", label).strip()


def _with_items(sentence: str, text: str, limit: int = 400) -> str:
    """A sentence that announces a list ("…下列基本条件：") is answered with the list after it."""
    if not sentence.rstrip().endswith(("：", ":")):
        return sentence
    start = text.find(sentence.strip())
    rest = text[start + len(sentence.strip()):].strip() if start >= 0 else ""
    return sentence.rstrip() + (rest[:limit] + ("…" if len(rest) > limit else "") if rest else "")


def _with_following(piece: str, text: str, belongs) -> str:
    """A piece cut at "；" followed, in text, by a piece that `belongs` with it: both."""
    start = text.find(piece.strip())
    if start < 0 or not piece.rstrip().endswith(("；", ";")):
        return piece
    following = _SENTENCE.match(text[start + len(piece.strip()):].lstrip())
    return piece.rstrip() + following[0].strip() if following and belongs(following[0]) else piece


def _with_continuation(piece: str, text: str) -> str:
    """A piece whose next piece qualifies it (…罚款；违法所得不足一万元的…, 入学；条件不具备的地区
    …可以推迟到七周岁) is answered with both."""
    return _with_following(piece, text, _QUALIFIER.match)


def _lead_with(sentence: str, text: str, limit: int = WHOLE_ARTICLE) -> str:
    """The opening sentences of a long article up to `limit` characters when they include the
    answering sentence (a comparison needs the provision's frame: 职业学校教育分为…。…由…实施), else
    the sentence alone."""
    lead = ""
    for s in _sentences(_strip_number(text)):
        if len(lead) + len(s) > limit:
            break
        lead += s
    return lead if sentence.strip() in lead else sentence


def _with_next_if_short(sentence: str, text: str, short: int = 15) -> str:
    """A heading-like sentence ("二是招生工作一体化。") is answered with the sentence after it."""
    if len(_strip_number(sentence.strip())) >= short:
        return sentence
    sentences = _sentences(text)
    for i, s in enumerate(sentences[:-1]):
        if s.strip() == sentence.strip():
            return sentence.strip() + sentences[i + 1].strip()
    return sentence


def _display_sentence(sentence: str) -> str:
    """The answering sentence, without a leading heading number, ending in 。"""
    s = _strip_number(sentence.strip())
    s = re.sub(r"^[一二三四五六七八九十]是", "", s)
    return s.rstrip("；;，,") + ("" if s.endswith(("。", "！", "？")) else "。")


def _enumeration(text: str) -> list[str]:
    """一是…；二是…： the items of an enumerated clause, each up to its first sentence end."""
    marks = list(_ENUMERATOR.finditer(text))
    if len(marks) < 2 or cn_to_int(marks[0][1]) != 1:
        return []
    items = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = text[m.end():end]
        first = re.split(r"[。；;]", body, maxsplit=1)[0]
        items.append(f"{m[1]}是{first.strip('，, ')}")
    return items


def _in_penalty_chapter(clause: Clause) -> bool:
    return any("法律责任" in part or "罚则" in part for part in clause.path)
