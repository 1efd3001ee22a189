"""Documents a question names in its own words: 新职教法 (职业教育法), 义教法 (义务教育法), 上海的
义务教育法实施办法 (上海市实施《义务教育法》办法), and names of documents the knowledge base does
not hold at all (贵州省职业教育条例, 劳动合同法), which no clause of another document answers.

A name is read off the question's dictionary segmentation: a word that ends a document name
(…法, 条例, 办法) with the content words right before it. It names a held document when its
characters are, in order, among the document's title (an abbreviation keeps the order of the
full name) or, for an implementing regulation, all among them.
"""
from __future__ import annotations

import re

from kb.textnorm import fold
from kb.tokenize import STOPWORDS, dictionary_words

_ENDINGS = ("实施办法", "条例", "办法", "法")
# words ending in 法 that are not names of laws
_NOT_NAMES = frozenset("办法 方法 说法 做法 看法 想法 合法 非法 违法 依法 立法 执法 守法 用法 写法 算法 司法 "
                       "手法 疗法 无法 设法 没法 有法 大法 宪法 犯法 不法 枉法 玩法 加法 减法".split())
_VERSION = re.compile(r"^(新|旧|老|原|现行|最新|修订后的?|修订前的?|修改后的?|修改前的?)")
# 这部法, 该条例, 上述办法: a reference to a document named before, not a name
_REFERENCE = re.compile(r"^(这|那|该|此|本|上述|前述)(部|个|项|条|份|本)?")
_JOINERS = frozenset("的 里 中 按 按照 根据 依照 依据 依 和 与 及 对 在 是 说 讲 关于 版 那".split())
_MAX_WORDS = 4


def names_in(question: str) -> list[str]:
    """Document names in a question, folded, without version words (新职教法 -> 职教法)."""
    # 云南省实施《教师法》办法: the title marks are inside the name, not around it
    # 上海那个实施义务教育法的办法: 的 inside a name joins it (…法的实施办法 = …法实施办法)
    words = dictionary_words(re.sub(r"法的(实施)?办法", r"法\1办法", re.sub(r"[《》〈〉]", "", fold(question))))
    names = []
    for i, word in enumerate(words):
        if not _ends_name(word):
            continue
        start = i
        while start > 0 and i - start < _MAX_WORDS and _content(words[start - 1]):
            start -= 1
        name = _VERSION.sub("", "".join(words[start:i + 1]))
        if len(name) >= 3 and not _REFERENCE.match(name):
            names.append(name)
    return names


def _ends_name(word: str) -> bool:
    return word in ("条例", "实施办法") or (word.endswith("法") and word not in _NOT_NAMES) or word == "办法"


def _content(word: str) -> bool:
    # 实施 is a word of names (北京市实施…办法) though a stopword of questions
    return bool(re.fullmatch(r"[\u4e00-\u9fff]+", word)) and (word == "实施" or word not in STOPWORDS
                                                             and word not in _JOINERS)


def bare_title(title: str) -> str:
    return re.sub(r"[《》〈〉]", "", fold(title)).replace("中华人民共和国", "")


def unknown(name: str) -> bool:
    """A name that says which document it means (职业教育条例, not a bare 实施办法)."""
    return len(name) - len(_ending(name)) >= 2


def resolve(name: str, titles: dict[str, str]) -> list[str]:
    """doc_ids whose title (bare: no 中华人民共和国, no 《》) the name abbreviates; `titles` maps
    doc_id -> bare title. 职教法 abbreviates 职业教育法 (same ending, same first character, the
    rest in order); 义务教育法实施办法 names the 实施《义务教育法》办法 of any place."""
    ending = _ending(name)
    core = name[: -len(ending)] if ending else ""
    if not core:
        return []
    found = []
    for doc_id, title in titles.items():
        own = _ending(title)
        if own != ending and {own, ending} != {"办法", "实施办法"}:
            continue
        whole = title[: -len(own)]
        body = re.sub(r"^[\u4e00-\u9fff]{2,3}?[省市州县](?=实施)", "", whole)
        if ending == "实施办法" or (ending == "办法" and body.startswith("实施")):
            # X法实施办法 ~ 实施X法办法; a place the name gives must be the title's (北京职教办法)
            matches = set(core) <= set(whole) and (set(core) <= set(body) or _place_of(core, whole))
        else:
            matches = body.startswith(core[0]) and in_order(core, body)
        if matches:
            found.append(doc_id)
    return found


def _place_of(core: str, whole: str) -> bool:
    """The name starts with the place the title starts with (北京 of 北京市实施…)."""
    place = re.match(r"[\u4e00-\u9fff]{2,3}?(?=[省市州县]实施)", whole)
    return bool(place) and core.startswith(place[0])


def _ending(name: str) -> str:
    return next((e for e in _ENDINGS if name.endswith(e)), "")


def in_order(short: str, long: str) -> bool:
    """The characters of `short` stand in `long` in the same order (职教 in 职业教育)."""
    it = iter(long)
    return all(c in it for c in short)
