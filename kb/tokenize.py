"""jieba tokens for BM25 and question analysis, with a user dictionary of units and policy terms."""
from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
import threading
from pathlib import Path

import jieba

from kb.textnorm import fold

DATA = Path(__file__).parent / "data"

# Words that carry no topic: question words, particles, generic policy verbs.
STOPWORDS = frozenset("""
的 了 和 与 及 或 等 是 在 对 由 为 把 被 将 从 到 向 以 于 按 按照 要 要求 有 有关 哪些 哪个 哪 什么 怎么 怎样
如何 多少 几 几个 谁 吗 呢 吧 啊 呀 么 请问 请 问 一下 一些 一个 这个 那个 这 那 其 它 他 她 我 我们 你 你们
天起 定义 意思 含义 解释 概念 开始 提到 提及 用来 用于 干什么 这项 那项 一样 分成 一天 孩子 哪里 在哪
做到 为什么 为何 是否 能否 可否 有没有 要不要 叫 名字 名称 列出 全部 所有 一下子 归 管 指 上要 那块 这块 相比 对比 变化 区别 不同 修订 修改 年版 版本 新版 旧版 新旧 前后 内容 具体 主要 关于 什么样 负责 单位 任务 工作 规定 提出 包括 哪几个 哪几 几项 多大 何时 时候
算不算 不算 是不是 能不能 可不可以 会不会 用不用 需不需要 该不该 行不行 有没有用
什么时候 应当 应该 可以 需要 进行 开展 实施 推进 推动 做 做好 干 干啥 啥 咋 呢 之 中 上 下 里 个 项 条 款
""".split())
_PUNCT = re.compile(r"^[\W_]+$")
_QUOTES = re.compile(r"[\"'“”‘’「」『』]")
# 几年, 多少天, 哪一天, 多久, 最长: the asking, not the topic.
_ASKING = re.compile(r"多大|多少|多久|哪|几|什么|怎么")
_QUESTION_WORD = re.compile(r"^(几|多少|哪|多久|多长|多大|多高|最长|最多|最少|最短|最高|最低)")


def dictionary_version() -> str:
    """Changes when the user dictionary changes, so stored BM25 tokens are recomputed."""
    digest = hashlib.sha1(" ".join(sorted(STOPWORDS)).encode("utf-8"))
    for name in ("terms.txt", "units.json", "synonyms.txt"):
        path = DATA / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


@functools.lru_cache(maxsize=1)
def _jieba() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    words = set()
    terms = DATA / "terms.txt"
    if terms.exists():
        words.update(w.strip() for w in terms.read_text(encoding="utf-8").splitlines() if w.strip())
    words.update(_synonyms())
    try:
        from kb.units import all_names
        words.update(all_names())
    except ImportError:     # the gazetteer is optional for tokenising
        pass
    _add(tok, words)
    return tok


# How often a word occurs in general Chinese (jieba's dictionary), kept for the words the
# knowledge base adds at a high frequency of its own.
_EVERYDAY: dict[str, int] = {}


def _add(tok: jieba.Tokenizer, words) -> None:
    tok.check_initialized()
    for w in sorted(set(map(fold, words))):
        _EVERYDAY.setdefault(w, tok.FREQ.get(w, 0))
        tok.add_word(w, freq=50000, tag="nz")


def add_words(words) -> None:
    """Teach the tokenizer names from the knowledge base itself (short titles such as 职业教育法)."""
    _add(_jieba(), [w for w in words if len(w) >= 2])


_local = threading.local()


def _tokenizer() -> jieba.Tokenizer:
    """The tokenizer of this thread: an ingest's own (see `words_of_ingest`), else the shared one."""
    return getattr(_local, "tokenizer", None) or _jieba()


@contextlib.contextmanager
def words_of_ingest(words):
    """Tokenise an ingest's clauses with the titles it adds as words, in a copy of the tokenizer:
    queries answered meanwhile from the published snapshot keep tokenising as that snapshot was
    built; the shared tokenizer learns the words when the new snapshot is used (KnowledgeBase._use)."""
    base = _jieba()
    own = jieba.Tokenizer()
    own.FREQ, own.total, own.initialized = dict(base.FREQ), base.total, True
    own.user_word_tag_tab = dict(base.user_word_tag_tab)
    _add(own, [w for w in words if len(w) >= 2])
    _local.tokenizer = own
    try:
        yield
    finally:
        del _local.tokenizer


def general_frequency(word: str) -> int:
    """How word-like a string is: its frequency in jieba's dictionary of general Chinese, the
    knowledge base's own terms counting as frequent words (0: not a word at all)."""
    return _jieba().FREQ.get(fold(word), 0)


def everyday_frequency(word: str) -> int:
    """How often the word occurs in general Chinese, whatever the knowledge base adds (数量 and
    计划 are everyday words; 公积金 and 年终奖 are not)."""
    key = fold(word)
    tok = _jieba()
    return _EVERYDAY[key] if key in _EVERYDAY else tok.FREQ.get(key, 0)


def dictionary_words(text: str) -> list[str]:
    """`text` cut into dictionary words; unknown stretches fall apart into single characters
    rather than being guessed into words."""
    return list(_tokenizer().cut(text, HMM=False))


@functools.lru_cache(maxsize=1)
def _pos():
    # Importing posseg reads the tags of jieba's whole dictionary once (posseg.dt); our tokenizer
    # uses that same dictionary, so its tagger reuses those tags instead of reading them again
    # (about half a second of every new process's first answer).
    from jieba import posseg
    pos = posseg.POSTokenizer.__new__(posseg.POSTokenizer)
    pos.tokenizer, pos.word_tag_tab = _jieba(), dict(posseg.dt.word_tag_tab)
    return pos


_ADMIN_SUFFIX = "省市州县区盟"


@functools.lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    lines = (DATA / "places.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


def place_name(word: str) -> bool:
    """A listed place name, with or without its suffix (大理, 大理州)."""
    names = _place_names()
    return word in names or (word[-1:] in _ADMIN_SUFFIX and word[:-1] in names)


def places(text: str) -> list[str]:
    """Place names in a question (大理州, 昆明, 宣威市), used to notice questions about places the
    documents never mention: a listed place name, with or without its suffix, or a word jieba tags
    as a place that ends in an administrative suffix or stands before one. The tag alone is no
    evidence: jieba tags 上岗, 深度 and 大班 as places."""
    words = _pos().lcut(fold(text))
    found = []
    for i, p in enumerate(words):
        w = p.word
        if len(w) < 2 or w in STOPWORDS or _ASKING.search(w):      # 中多大 (…经费中多大比例) is no place
            continue
        suffixed = p.flag == "ns" and ((len(w) > 2 and w[-1] in _ADMIN_SUFFIX)
                                       or (i + 1 < len(words) and words[i + 1].word in _ADMIN_SUFFIX))
        if place_name(w) or suffixed:
            found.append(w)
    return found


_NOUN_TAGS = frozenset({"n", "nr", "ns", "nt", "nz", "nrt", "nrfg", "ng", "vn", "an", "j"})


def nouns(text: str) -> set[str]:
    """The nouns of a text (jieba's part-of-speech tags), folded: the things a question is about,
    as against its verbs, adverbs and chat words (总共, 打算, 到底, 好多)."""
    return {p.word for p in _pos().lcut(fold(text)) if p.flag in _NOUN_TAGS and len(p.word) > 1}


_FUNCTION_TAGS = frozenset({"d", "r", "m", "c", "p", "u", "uj", "ul", "uz", "ug", "uv", "ud", "y", "x", "e", "o", "q"})


def content_words(text: str) -> list[str]:
    """The words of a text that are not function words, adverbs, pronouns or numerals, in order
    (folded): 比例大概多少 -> 比例."""
    return [p.word for p in _pos().lcut(fold(text)) if p.flag not in _FUNCTION_TAGS and len(p.word) > 1]


def leading_verb(text: str) -> str:
    """The verb a text starts with (加快优质学校建设 -> 加快; jieba tags 落实 an adjective), "" when it
    starts otherwise."""
    first = next(iter(_pos().lcut(fold(text))), None)
    return first.word if first is not None and first.flag[:1] in ("v", "a") and len(first.word) > 1 else ""


def _segments(text: str) -> list[str]:
    # Quotes split words the documents quote (“职普”融通): drop them before segmenting.
    return _tokenizer().lcut_for_search(_QUOTES.sub("", fold(text)))


# which-phrases: 哪一周 asks for a week, it does not mention 一周 (as 一周岁 does)
_WHICH = re.compile(r"哪一?[个种条位天年月周日次项类家所名批届级]")


def tokens(text: str) -> list[str]:
    """Folded search tokens (jieba search mode), stopwords, punctuation and question words removed."""
    return [t for t in _segments(_WHICH.sub(" ", text))
            if t.strip() and t not in STOPWORDS and not _PUNCT.match(t) and not _QUESTION_WORD.match(t)]


@functools.lru_cache(maxsize=1)
def _synonyms() -> dict[str, tuple[str, ...]]:
    """Everyday word -> the words documents use for it (kb/data/synonyms.txt), folded."""
    table: dict[str, tuple[str, ...]] = {}
    path = DATA / "synonyms.txt"
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        word, sep, doc_words = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            table[fold(word.strip())] = tuple(fold(w) for w in doc_words.split() if fold(w) != fold(word.strip()))
    return table


def synonyms(token: str) -> tuple[str, ...]:
    """The documents' words for an everyday word (上班 -> 工作, 就业, 劳动); () when it has none."""
    return _synonyms().get(token, ())


def synonym_groups(text: str) -> list[list[list[str]]]:
    """Per everyday word of the question that has documents' words, the tokens of each of those
    words (孩子 -> [[未成年人], [儿童], [子女], [学生]]), without the question's own tokens: one
    word of the question is one piece of evidence, whichever of its doc-words a clause uses."""
    own = set(tokens(text))
    groups = []
    for seg in dict.fromkeys(_segments(text)):
        alternatives = [alt for s in synonyms(seg) if (alt := [t for t in tokens(s) if t not in own])]
        if alternatives:
            groups.append(alternatives)
    return groups
