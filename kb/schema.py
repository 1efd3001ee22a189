"""The few types every stage shares: Document, Clause, Target, Citation, Answer."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Target:
    """A quantified goal found in a clause: 不少于10万人次 每年 …"""
    text: str            # the original wording, for display ("每年开展不少于10万人次的职业技能及各类培训")
    value: float         # normalised number (10万 -> 100000.0, 60% -> 60.0)
    unit: str            # 人次, 个, %, 所 …
    display: str         # number as written, normalised width ("10万人次", "60%")
    comparison: str      # 不少于 / 不低于 / 不超过 / 左右 / = …
    period: str          # 每年, 从2024年起, 到2026年, 用3年时间, "" when none
    subject: str         # what is counted ("职业技能及各类培训")


@dataclass
class Clause:
    """The unit of citation, retrieval and evaluation."""
    doc_id: str
    clause_id: str       # "二（二）1", "第三章第二十四条"; stable across re-ingest
    path: list[str]      # heading path, e.g. ["二、重点任务", "（二）拓宽三个人才培养渠道", "1.推进落实职教高考改革"]
    text: str            # verbatim clause text (heading line included)
    part: int = 0        # >0 when a long clause was split at sentence boundaries
    title: str = ""      # the clause's own heading, short ("推进落实职教高考改革")
    units: list[str] = field(default_factory=list)        # canonical 责任单位, in document order
    units_raw: list[str] = field(default_factory=list)    # as written
    lead_units: list[str] = field(default_factory=list)   # 牵头单位 when the document says so
    mentions: list[str] = field(default_factory=list)     # schools/bodies named in the text (canonical)
    targets: list[Target] = field(default_factory=list)

    @property
    def uid(self) -> str:
        return f"{self.doc_id}::{self.clause_id}#{self.part}"

    @property
    def section(self) -> str:
        return " > ".join(self.path)


@dataclass
class Document:
    doc_id: str          # stable: the file stem
    title: str
    source: str          # file name
    sha256: str          # of the file bytes
    doc_number: str = ""     # 文号 楚政办通〔2024〕30号
    issuer: str = ""         # 发布机构
    written_date: str = ""   # 成文日期 YYYY-MM-DD
    published_date: str = ""  # 发布日期 YYYY-MM-DD
    kind: str = ""           # 法律 / 条例 / 办法 / 实施方案 / 通知 …
    level: str = ""          # 国家 / 省 / 州市 / 县
    dates: dict[str, str] = field(default_factory=dict)    # 通过 / 修订 / 施行 -> YYYY-MM-DD
    cites: list[dict] = field(default_factory=list)        # [{"title": "…", "doc_number": "云政办发〔2024〕22号"}]
    implements: str = ""     # title of the document this one implements (贯彻落实《…》)
    notice_title: str = ""   # "…关于印发X的通知" when the document came wrapped in a notice
    clause_count: int = 0
    pipeline: str = ""       # ingest pipeline version that parsed it; a new version re-parses


@dataclass
class Citation:
    n: int
    doc_id: str
    doc_title: str
    doc_number: str
    clause_id: str
    section: str
    quote: str           # verbatim document text
    score: float
    highlight: str = ""  # the answering sentence inside quote, for the UI


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    responsible_units: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    kind: str = "general"    # who / unit_tasks / mention / number / list / meta / general / abstain
    # Only when an LLM was asked to phrase the answer (kb.llm): {"used": true, "model": …} when
    # `answer` is the verified LLM text, else {"used": false, "reason": …, "check": …}.
    llm: dict | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["llm"] is None:
            del d["llm"]        # the contract has the key only when an LLM was asked
        return d


@dataclass
class ScoredClause:
    clause: Clause
    score: float                 # fused score
    dense: float | None = None   # cosine similarity
    keyword: float | None = None  # BM25 score
    dense_rank: int | None = None
    keyword_rank: int | None = None


class InputError(ValueError):
    """Bad user input (question or file): the message is shown to the user as is."""
