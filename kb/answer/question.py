"""Understanding a question, once: the checked text, its normalised form, the parts it asks and
the conversation context it inherits. Every handler reads this object, never the raw text."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kb.answer import cues
from kb.schema import InputError
from kb.textnorm import t2s, to_halfwidth


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


def normalise(text: str) -> str:
    return t2s(to_halfwidth(text))


@dataclass(frozen=True)
class Question:
    text: str          # as asked (checked), shown back in the answer
    normalized: str    # simplified, half-width
    context: str       # normalized, preceded by the earlier question when this one is a follow-up


def with_context(qn: str, history: list[str]) -> str:
    """A follow-up that leaves out its subject borrows the previous question's."""
    if history and len(qn) <= 20 and cues.FOLLOWUP.search(qn):
        return normalise(history[-1]) + " " + qn
    return qn


def parse(text: str, history: list[str]) -> Question:
    qn = normalise(text)
    return Question(text, qn, with_context(qn, history))


def question_parts(qn: str) -> list[str]:
    """The questions in a message that asks several ("…几个人？…有要求吗？"); one part when it asks one."""
    parts = [p.strip() for p in re.split(r"[？?]", qn) if p.strip()]
    if len(parts) < 2 or any(len(re.sub(r"[^\u4e00-\u9fff\w]", "", p)) < 6 for p in parts):
        return [qn]
    return [p + "？" for p in parts]


def asked_unit(qn: str) -> str:
    """The unit a number question asks for: 多少人次 -> 人次, 比例 -> %, "" when unspecified."""
    if re.search(r"人数(是|有)?多少|多少人数", qn):
        return "人"             # 招生人数是多少: a count of people
    m = re.search(r"(?:多少|几)\s*(万|千|亿)?\s*(?:个(?=人|月|小时|学时|课时|星期))?\s*"
                  r"(人次|人|个|所|项|家|名|元|钱|年|天|日|学时|课时|小时|次|周|月|岁|倍)", qn)
    if m:
        return "元" if m[2] == "钱" else m[2]
    return "%" if re.search(r"比例|百分|占比|比重|几成", qn) else ""
