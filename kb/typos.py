"""Typing slips in questions: words typed with a pinyin input method come out as homophones
(责任单为 for 责任单位, 使用期 for 试用期, 乡村振新 for 乡村振兴, 学前教育发 for 学前教育法).

A stretch of the question is corrected to a word of the knowledge base when it sounds the same
(fuzzy pinyin: zh/z, ch/c, sh/s, -ng/-n and l/n are confused, as in south-western Mandarin), is
not itself a word of the knowledge base, lies on word boundaries of the question, and is a rarer
string in general Chinese than the word it becomes (a slip is rarer than what was meant). Nothing
here knows any particular word: the vocabulary is the knowledge base's own.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from kb.tokenize import STOPWORDS, dictionary_words, everyday_frequency, general_frequency, place_name

_MIN_LEN, _MAX_LEN = 2, 8
_COMMON = 100            # a string this frequent in general Chinese is a word, not a slip
_STANDALONE = 10000      # a character this frequent on its own is a word where it stands
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_ASKING = re.compile(r"[哪谁啥几吗呢么怎]")       # the question words of a question
_ORGAN = re.compile(r"[科处股室局厅办委站院校所]")  # the last character of an office's or a body's name


@functools.lru_cache(maxsize=1)
def _readings() -> dict[int, str]:
    from pypinyin.pinyin_dict import pinyin_dict
    return pinyin_dict


@functools.lru_cache(maxsize=65536)
def _sound(ch: str) -> str:
    """The character's first reading, toneless and fuzzy ("zhōng" -> "zon", "lǜ" -> "nv")."""
    reading = _readings().get(ord(ch), "").split(",")[0]
    if not reading:
        return ch
    plain = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
    plain = plain.replace("ü", "v")
    plain = re.sub(r"^([zcs])h", r"\1", plain)
    plain = re.sub(r"^l", "n", plain)
    return re.sub(r"ng$", "n", plain)


def sound(text: str) -> tuple[str, ...]:
    return tuple(_sound(c) for c in text)


@dataclass(frozen=True)
class Correction:
    wrong: str
    right: str


class Corrector:
    """Built once per snapshot from its vocabulary (clause tokens and document titles)."""

    def __init__(self, vocabulary):
        self.vocabulary = {w for w in vocabulary if _MIN_LEN <= len(w) <= _MAX_LEN and _CJK.match(w)}
        self.by_sound: dict[tuple[str, ...], list[str]] = {}
        for word in sorted(self.vocabulary):
            self.by_sound.setdefault(sound(word), []).append(word)

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        """The text with its slips corrected, and the corrections made (longest stretches first)."""
        starts, at = {}, 0          # word start offset -> the word
        for word in dictionary_words(text):
            starts[at] = word
            at += len(word)
        bounds = set(starts) | {at}
        found: list[tuple[int, int, str]] = []
        taken = [False] * len(text)
        for n in range(min(_MAX_LEN, len(text)), _MIN_LEN - 1, -1):
            for i in range(len(text) - n + 1):
                j = i + n
                if i not in bounds or j not in bounds or any(taken[i:j]) or not _broken(starts, i, j):
                    continue
                right = self._meant(text[i:j])
                if right and _ASKING.search(text[i:j]) and _ASKING.findall(text[i:j]) != _ASKING.findall(right):
                    right = ""      # 哪项 is asked as typed, never a slip for 那项
                if right and _ORGAN.match(text[j:j + 1]) and (right + text[j]) not in self.vocabulary \
                        and not any(w.startswith(right + text[j]) for w in self.vocabulary if len(w) > len(right) + 1):
                    right = ""      # a name (职成科) is corrected only into a name the documents use (州财正局 -> 州财政局)
                if right:
                    found.append((i, j, right))
                    taken[i:j] = [True] * n
        out, corrections = text, []
        for i, j, right in sorted(found, reverse=True):
            corrections.append(Correction(text[i:j], right))
            out = out[:i] + right + out[j:]
        return out, corrections[::-1]

    def _meant(self, piece: str) -> str:
        if not _CJK.match(piece) or piece in self.vocabulary or place_name(piece):
            return ""       # (a place is named as typed: 大理 is no slip for 大力)
        if len(piece) == 2 and min(everyday_frequency(c) for c in piece) >= _STANDALONE:
            return ""       # 这事是 is as typed: 事 and 是 are words of their own, unlike 单 in 单为

        rarity = general_frequency(piece)
        if rarity >= _COMMON:
            return ""
        # a slip changes a character or two, never the whole stretch (起施行 is not 歧视性)
        allowed = 1 if len(piece) <= 4 else 2
        # what was meant is a word (of the dictionary, the gazetteer or a title), not a fragment
        candidates = [w for w in self.by_sound.get(sound(piece), ()) if general_frequency(w) > rarity
                      and 0 < _changed(piece, w) <= allowed]
        fewest = min((_changed(piece, w) for w in candidates), default=0)
        candidates = [w for w in candidates if _changed(piece, w) == fewest]
        return candidates[0] if len(candidates) == 1 else ""


def _broken(starts: dict[int, str], i: int, j: int) -> bool:
    """The stretch looks mistyped: a character the dictionary could not join into a word (州财正局
    falls apart into 州 财 正 局), or one rare word (使用期); not a run of ordinary words (示范学校)
    or of function words (是由)."""
    words = []
    at = i
    while at < j:
        words.append(starts[at])
        at += len(starts[at])
    if len(words) == 1:
        return True
    return any(len(w) == 1 and w not in STOPWORDS for w in words)


def _changed(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b))


def corrector(snap) -> Corrector:
    """The snapshot's corrector: its clause tokens, document titles, unit names and common words."""
    def build() -> Corrector:
        from kb.retrieve import title_keys
        from kb.tokenize import STOPWORDS
        from kb.units import all_names
        titles = (k for d in snap.documents.values() for k in title_keys(d))
        return Corrector([*snap.doc_freq, *titles, *all_names(), *STOPWORDS])
    return snap.memo("typo_corrector", build)
