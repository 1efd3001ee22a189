"""Every 责任单位 list of the shipped plan, read by hand, against the parser — and reverse lookup."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.extract import parse_responsibility
from kb.units import canonical, covering, find_units, members

PLAN = Path(__file__).resolve().parent.parent / "corpus" / "楚雄州职业教育提质增效工作实施方案.txt"

JYT, RS, FG, CZ = "州教育体育局", "州人力资源和社会保障局", "州发展改革委", "州财政局"
SY, YZ, JS, XD, XS = "楚雄师院", "楚雄医专", "楚雄技师学院", "云南现代职业技术学院", "10县市人民政府"

# Clause (its heading, brackets full-width) -> the 责任单位 exactly as the plan lists them.
TABLE: dict[str, list[str]] = {
    "1.加快优质学校建设": [JYT, FG, CZ, SY, YZ, JS, XD, XS],
    "2.打造优质专业（群）": [JYT, RS, "州农业农村局", FG, CZ, "州工业和信息化局", "州科技局", YZ, JS, XD, XS],
    "3.开展一批职业技能培训": [RS, JYT, "州农业农村局", SY, YZ, JS, XD, XS],
    "1.推进落实职教高考改革": [JYT, RS],
    "2.开展“中高本”贯通培养": [JYT, SY, YZ, JS, XD, XS],
    "3.推动“职普技”融合培养": [JYT, RS, JS, XD, XS],
    "（三）实施内涵提升七个专项行动": [JYT, "州公安局", "州住房城乡建设局", SY, YZ, JS, XD, XS],
    "（四）推动产教融合七项重点工作": [JYT, RS, FG, "州农业农村局", "州工业和信息化局", "州工商联", "州市场监管局",
                             "州商务局", "州税务局", YZ, JS, XD, XS],
    "（五）构建五个“一体化”办学格局": [JYT, RS, CZ, "楚雄高新区管委会", YZ, JS, XD, XS],
    "1.打造市域产教联合体建设示范": ["州产教联合体成员单位", XS],
    "2.打造省级乡村振兴学院示范学校": ["武定县人民政府", JYT, RS, "州农业农村局"],
    "（1）改革教师选聘制度": [RS, JYT],
    "（2）改革绩效分配制度": [RS, JYT, CZ, "州科技局", "州审计局"],
    "（3）加强教师培养和认定": [JYT, RS, YZ, JS, XD, XS],
    "2.激发社会参与外在动力": [JYT, RS, FG],
    "（一）加强组织领导": [JYT, RS],
    "（二）落实经费保障": [CZ, FG, JYT, RS],
    "（三）强化考核评价": [JYT, RS, FG],
    "（四）营造良好氛围": [JYT, RS],
}

COUNTY_GOVERNMENTS = ["楚雄市人民政府", "双柏县人民政府", "牟定县人民政府", "南华县人民政府", "姚安县人民政府",
                      "大姚县人民政府", "永仁县人民政府", "元谋县人民政府", "武定县人民政府", "禄丰市人民政府"]

_HEADING = re.compile(r"^(?:[（(][一二三四五六七八九十]+[)）]|\d+\.|[（(]\d+[)）])")


def _heading_key(line: str) -> str:
    return line.split("。")[0].strip().replace("(", "（").replace(")", "）")


def _plan_responsibilities() -> dict[str, tuple[str, object]]:
    """Heading key -> (line, parse) for every line of the plan that names 责任单位."""
    out, heading = {}, None
    for line in PLAN.read_text(encoding="utf-8").splitlines():
        if _HEADING.match(line):
            heading = _heading_key(line)
        if "责任单位" in line:
            assert heading not in out, f"two 责任单位 lines under {heading}"
            out[heading] = (line, parse_responsibility(line))
    return out


PARSED = _plan_responsibilities()


def test_every_plan_responsibility_is_in_the_table_and_back():
    assert set(PARSED) == set(TABLE)
    assert len(PARSED) == 19


@pytest.mark.parametrize("key", list(TABLE))
def test_units_of_each_clause(key):
    line, resp = PARSED[key]
    assert resp is not None
    assert resp.units == TABLE[key]
    assert resp.lead == [] and resp.co == []
    start, end = resp.span
    assert line[start:end].startswith("(责任单位:") and line[start:end].endswith(")")
    assert line[:start].endswith("。") and line[end:].strip() == ""


def test_truncated_last_name_kept_raw_and_resolved():
    line, resp = PARSED["（四）营造良好氛围"]
    assert resp.units_raw[-1] == "州人力资源和社会保障"
    assert resp.units[-1] == "州人力资源和社会保障局"


def test_addressee_and_body_lines_are_not_responsibilities():
    for line in PLAN.read_text(encoding="utf-8").splitlines():
        if "责任单位" not in line:
            assert parse_responsibility(line) is None, line


def test_group_members():
    assert members(XS) == COUNTY_GOVERNMENTS
    assert members("各县市人民政府") == COUNTY_GOVERNMENTS
    assert members(JYT) == []


def _plan_units() -> list[str]:
    seen = [u for units in TABLE.values() for u in units] + COUNTY_GOVERNMENTS
    return list(dict.fromkeys(seen))


def _expected_clauses(unit: str) -> set[str]:
    """From the hand table: clauses naming the unit, or 10县市人民政府 for a county government."""
    return {k for k, units in TABLE.items()
            if unit in units or (unit in COUNTY_GOVERNMENTS and XS in units)}


def _found_clauses(name: str) -> set[str]:
    """From the parser: clauses whose parsed units cover the name (aliases allowed)."""
    cover = set(covering(name))
    return {k for k, (_, resp) in PARSED.items() if cover & set(resp.units)}


@pytest.mark.parametrize("unit", _plan_units())
def test_reverse_lookup_complete(unit):
    assert canonical(unit) == unit
    assert _found_clauses(unit) == _expected_clauses(unit)
    assert _expected_clauses(unit), f"{unit} is responsible for nothing?"


@pytest.mark.parametrize("alias, unit", [
    ("州人社局", RS), ("州人力资源社会保障局", RS), ("楚雄州人力资源和社会保障局", RS),
    ("州发改委", FG), ("州发展和改革委员会", FG), ("州教体局", JYT), ("州教育局", JYT),
    ("州住建局", "州住房城乡建设局"), ("州住房和城乡建设局", "州住房城乡建设局"),
    ("州市场监督管理局", "州市场监管局"), ("州工信局", "州工业和信息化局"), ("州科学技术局", "州科技局"),
    ("楚雄师范学院", SY), ("楚雄医药高等专科学校", YZ), ("高新区管委会", "楚雄高新区管委会"),
    ("禄丰市政府", "禄丰市人民政府"), ("禄丰", "禄丰市人民政府"), ("武定县政府", "武定县人民政府"),
    ("财政局", CZ),
])
def test_reverse_lookup_through_aliases(alias, unit):
    assert _found_clauses(alias) == _expected_clauses(unit)


def test_county_government_reached_through_group_only_and_own_clause():
    assert _found_clauses("武定县人民政府") == _expected_clauses(XS) | {"2.打造省级乡村振兴学院示范学校"}
    assert _found_clauses("禄丰市人民政府") == _expected_clauses(XS)
    assert find_units("禄丰市人民政府要做什么") == ["禄丰市人民政府"]
