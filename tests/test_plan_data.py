"""The shipped plan and reference data, checked against values read by hand from the seed documents.

Every expected value below was read from the seed text in shared/seeds/ and typed here; it is not derived from the
YAML. Where a value is a piece of text, the test also checks that the text really occurs in the seed (whitespace
collapsed, italic/bold markup and line-break hyphenation undone) when the seed is present; the hard-coded assertion
stands on its own either way.
"""

# The case tables hold verbatim seed text, one case a line; splitting the strings would hide what was compared.
# ruff: noqa: E501

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import SEEDS, missing
from xlsx_tools.plan.loader import load_plan
from xlsx_tools.plan.model import ActivityType, Outcome, Plan, PlanRow, Refs
from xlsx_tools.plan.reference import load_references

BWP2_SEED = "bohol-tip-work-plan-2.0-2023-2028.txt"
BWP1_SEED = "bohol-tip-work-plan-2017-2020.txt"
APA_SEED = "apa-2015-plan-of-action.txt"


# --- helpers -------------------------------------------------------------------------------------------------------


def _collapse(text: str) -> str:
    return " ".join(text.split())


@cache
def _seed(name: str) -> tuple[str, str] | None:
    """The seed text, whitespace collapsed, without <i>/** markup; and the same with line-break hyphens joined."""
    path = SEEDS / name
    if not path.exists():
        return None
    text = _collapse(re.sub(r"</?i>|\*\*", "", path.read_text(encoding="utf-8")))
    return text, re.sub(r"(\w)- (\w)", r"\1-\2", text)


def assert_in_seed(name: str, text: str) -> None:
    """`text` occurs in the seed `name` (the seeds are in ../shared/seeds beside the checkout; without them the
    test fails in CI and is skipped, saying so, elsewhere)."""
    seed = _seed(name)
    if seed is None:
        missing(f"the source documents are not beside the checkout ({SEEDS / name} is missing)")
    if seed is None or not text:
        return
    wanted = _collapse(text)
    assert wanted in seed[0] or wanted in seed[1], f"{wanted!r} does not occur in {name}"


@cache
def _plan(plan_id: str) -> Plan:
    return load_plan(plan_id)


def _type(code: str) -> ActivityType:
    matches = [t for t in _plan("bwp2").activity_types if t.code == code]
    assert len(matches) == 1, f"activity type {code}: {len(matches)} matches"
    return matches[0]


def _outcome(code: str) -> Outcome:
    matches = [o for o in _plan("bwp2").outcomes if o.code == code]
    assert len(matches) == 1, f"outcome {code}: {len(matches)} matches"
    return matches[0]


def _row(plan_id: str, row_id: str) -> PlanRow:
    matches = [row for _, row in _plan(plan_id).rows() if row.row_id == row_id]
    assert len(matches) == 1, f"row {row_id}: {len(matches)} matches"
    return matches[0]


def _sheet_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Data rows of every sheet that has a 'Row ID' header, as {header: value}, keeping only rows with a Row ID."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        out: dict[str, list[dict[str, Any]]] = {}
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if not header or "Row ID" not in header:
                continue
            out[sheet.title] = [
                dict(zip(header, values, strict=False))
                for values in rows
                if values and values[header.index("Row ID")] not in (None, "")
            ]
        return out
    finally:
        book.close()


# --- 1. counts of the 2.0 plan -------------------------------------------------------------------------------------

OUTCOME_CODES = (
    [f"A.{n}" for n in range(1, 8)]
    + [f"B.{n}" for n in range(1, 8)]
    + [f"C.{n}" for n in range(1, 5)]
    + [f"D.{n}" for n in range(1, 8)]
)

# Numbered activity/programme types per outcome, counted in the seed.
TYPES_PER_OUTCOME = {
    "A.1": 5, "A.2": 6, "A.3": 3, "A.4": 2, "A.5": 1, "A.6": 1, "A.7": 3,
    "B.1": 5, "B.2": 3, "B.3": 3, "B.4": 1, "B.5": 1, "B.6": 2, "B.7": 2,
    "C.1": 4, "C.2": 3, "C.3": 2, "C.4": 1,
    "D.1": 1, "D.2": 3, "D.3": 6, "D.4": 2, "D.5": 1, "D.6": 1, "D.7": 1,
}  # fmt: skip


def test_bwp2_pillars_and_outcomes() -> None:
    plan = _plan("bwp2")
    assert [p.code for p in plan.pillars] == ["A", "B", "C", "D"]
    assert [o.code for o in plan.outcomes] == OUTCOME_CODES
    assert len(plan.outcomes) == 25
    for pillar in plan.pillars:
        assert all(o.code.startswith(f"{pillar.code}.") for o in pillar.outcomes)


def test_bwp2_activity_types() -> None:
    plan = _plan("bwp2")
    codes = [t.code for t in plan.activity_types]
    assert len(codes) == len(set(codes)), [c for c, n in Counter(codes).items() if n > 1]

    numbered = [c for c in codes if re.fullmatch(r"[A-D]\.\d+\.[1-9]\d*", c)]
    unnumbered = [c for c in codes if c not in numbered]
    assert len(numbered) == 63
    assert unnumbered == ["C.3.0"]
    assert sum(TYPES_PER_OUTCOME.values()) == 63
    for outcome in plan.outcomes:
        assert all(t.code.startswith(f"{outcome.code}.") for t in outcome.types)
        numbered_here = [t.code for t in outcome.types if t.code in numbered]
        assert numbered_here == [f"{outcome.code}.{n}" for n in range(1, TYPES_PER_OUTCOME[outcome.code] + 1)]


def test_bwp2_unnumbered_type_c30() -> None:
    c3 = _outcome("C.3")
    assert [t.code for t in c3.types] == ["C.3.1", "C.3.0", "C.3.2"]  # kept in source order
    c30 = _type("C.3.0")
    description = (
        "Activity/programme type to develop a regional database of persons and entities that have been prosecuted "
        "for involvement and/or engagement in TIP related activities to support investigation, prosecution, and "
        "adjudication of TIP cases"
    )
    assert c30.description == description
    assert_in_seed(BWP2_SEED, description)
    assert any("no number" in note for note in c30.notes), c30.notes
    assert "no type number in source" in c30.flags
    assert c30.coordinating_asbs == ()
    assert c30.activities == ()
    assert c30.indicators == ()


def test_bwp2_rows_match_master_workbook(master_bwp2: Path) -> None:
    plan = _plan("bwp2")
    sheets = _sheet_rows(master_bwp2)
    assert set(sheets) == {p.sheet_name for p in plan.pillars}
    for pillar in plan.pillars:
        ids = [row["Row ID"] for row in sheets[pillar.sheet_name]]
        assert len(ids) == len(pillar.rows), pillar.sheet_name
        assert ids == [row.row_id for row in pillar.rows], pillar.sheet_name
    assert sum(len(p.rows) for p in plan.pillars) == sum(len(rows) for rows in sheets.values())
    # every type gives at least one row; a type without activities gives exactly one (flagged)
    for atype in plan.activity_types:
        type_rows = [row for _, row in plan.rows() if row.values["type_code"] == atype.code]
        assert len(type_rows) == max(1, len(atype.activities)), atype.code


# --- 2. entries of the 2.0 plan against the seed -------------------------------------------------------------------

# code, coordinating ASBs, supporting ASBs, the ASB cell as printed in the seed (fragment; None: cell is blank)
BWP2_ASBS = [
    ("A.1.1", ["SOMTC"], ["ACWC", "SOM-ED"], "Supporting ASBs: ACWC SOM-ED"),
    ("A.1.3", [], ["SOMHD"], "Supporting ASB: SOMHD Conduct Coordination meetings"),
    ("A.1.5", ["SOM-ED"], ["SOMSWD"], "SOM-ED Supporting ASB: SOMSWD"),
    ("A.2.5", [], [], None),
    ("A.2.6", ["ACWC"], ["ACMW", "AICHR"], "ACWC Supporting ASB: ACMW AICHR"),
    ("A.3.2", ["SLOM"], ["ACMW", "AICHR"], "SLOM Supporting ASBs: ACMW AICHR"),
    ("A.7.3", ["TELMIN", "AICHR"], [], "TELMIN / AICHR"),
    ("B.1.4", ["SOMTC"], ["AICHR", "ASLOM"], "SOMTC Supporting ASBs: AICHR ASLOM"),
    ("B.2.2", ["AICHR"], ["ASLOM", "SOMTC"], "AICHR Supporting ASBs: ASLOM SOMTC"),
    ("B.2.3", ["ACWC", "SOMTC"], [], "in TIP cases ACWC SOMTC Conduct Capacity Building programs"),
    ("B.6.2", ["ASLOM"], [], "perpetrators of crimes of TIP ASLOM Project to Prevent"),
    ("B.7.1", ["DGICM"], ["SOMTC", "SOMSWD"], None),  # printed split: "DGICM Supporting ASBs:" / "SOMTC SOMSWD"
    ("B.7.2", ["SOMSWD"], ["SOMTC", "DGICM"], "SOMSWD Supporting ASBs: SOMTC DGICM"),
    ("C.2.1", ["SOMTC"], ["SOMSWD"], "SOMTC Supporting ASB: SOMSWD"),
    ("C.4.1", ["SOMTC"], ["AICHR"], "SOMTC Supporting ASB: AICHR Conduct ASEAN Consultation/Forum"),
    ("D.3.4", ["SOM-MLAT"], [], "under the ASEAN MLAT. SOM-MLAT Organise capacity building"),
    ("D.3.5", ["ASLOM"], [], "counter TIP and support victims ASLOM Number of victims"),
    ("D.3.6", ["SOMTC"], ["AICHR", "SOMSWD"], "SOMTC Supporting ASBs: AICHR SOMSWD"),
    ("D.4.2", ["SOM-MLAT"], ["SOMTC"], "SOM-MLAT Supporting ASB: SOMTC"),
    ("D.7.1", ["SOMTC"], ["AICHR"], "with ACTIP SOMTC Supporting ASB: AICHR"),
]


@pytest.mark.parametrize(("code", "coordinating", "supporting", "seed_cell"), BWP2_ASBS)
def test_bwp2_asbs(code: str, coordinating: list[str], supporting: list[str], seed_cell: str | None) -> None:
    atype = _type(code)
    assert list(atype.coordinating_asbs) == coordinating
    assert list(atype.supporting_asbs) == supporting
    if not coordinating:
        assert "no coordinating ASB in source" in atype.flags
    else:
        assert "no coordinating ASB in source" not in atype.flags
    if seed_cell:
        assert_in_seed(BWP2_SEED, seed_cell)


# code, field, expected: an indicator / activity equals one item; an example fragment is contained in the example
BWP2_TEXTS = [
    ("A.1.1", "indicators", "Number of public awareness events conducted"),
    ("A.1.1", "indicators", "Number of online viewers"),
    ("A.1.1", "example", "Educational programmes for students"),
    ("A.1.4", "indicators", "Number of new regional or national initiatives to address the intersection between climate change migration and TIP"),
    ("A.2.3", "example", "Encourage ASEAN Member States to introduce or update existing laws and regulations to limit or prohibit the charging of recruitment fees to migrant workers"),
    ("A.3.2", "activities", "Conduct Regional workshop on human rights due diligence and remediation mechanisms to prevent, identify and remedy labour exploitation and TIP for forced labour in supply chains in ASEAN (Ref. AICHR FYWP 2021-2025, PA 3.4.3)"),
    ("A.5.1", "example", "Develop ASEAN regional guidelines on sustainable and responsible public procurement to prevent the risk of TIP in public procurement supply chains."),
    ("A.7.3", "indicators", "Number of dialogues organized"),
    ("A.7.3", "activities", "Convene dialogue with the social media companies that could contribute to prevent trafficking in persons"),
    ("B.3.2", "indicators", "Number of officers trained on victim identification"),
    ("B.5.1", "example", "Conduct a feasibility and scoping study on the establishment of TIP victim support funds in the ASEAN Member States that have not established such funds"),
    ("C.1.4", "indicators", "Value of assets frozen and/or seized from perpetrators of TIP"),
    ("C.3.2", "indicators", "Numbers of recommendation generated in the workshop"),
    ("D.2.1", "example", "Develop a MERL framework and annual reporting plan for this work plan"),
    ("D.2.1", "indicators", "Number of annual review cycles of this work plan completed"),
    ("D.3.1", "indicators", "Number of NACTIP Representatives appointed by the ASEAN Member States"),
    ("D.3.6", "activities", "Workshop(s) among institutions/agencies/units responsible for victims and witnesses' protection among ASEAN Member States"),
    ("D.4.1", "activities", "Participating in Regional COMMIT activities."),
]  # fmt: skip


@pytest.mark.parametrize(("code", "field", "expected"), BWP2_TEXTS)
def test_bwp2_texts(code: str, field: str, expected: str) -> None:
    atype = _type(code)
    if field == "example":
        assert expected in atype.example
        assert not atype.example.lower().startswith("e.g")
    elif field == "activities":
        assert expected in [a.text for a in atype.activities]
    else:
        assert expected in getattr(atype, field)
    assert_in_seed(BWP2_SEED, expected)


# Fields the seed leaves blank: code, field, flag
BWP2_BLANKS = [
    ("A.1.2", "activities", "no activities/projects in source"),
    ("A.5.1", "activities", "no activities/projects in source"),
    ("D.3.5", "activities", "no activities/projects in source"),
    ("A.2.6", "example", "no example (E.g.) in source"),
    ("A.7.3", "example", "no example (E.g.) in source"),
    ("C.3.2", "example", "no example (E.g.) in source"),
    ("D.3.6", "example", "no example (E.g.) in source"),
    ("D.3.6", "indicators", "no potential indicators in source"),
]


@pytest.mark.parametrize(("code", "field", "flag"), BWP2_BLANKS)
def test_bwp2_blank_in_source(code: str, field: str, flag: str) -> None:
    atype = _type(code)
    assert not getattr(atype, field)
    assert flag in atype.flags
    if field == "activities":
        rows = [row for _, row in _plan("bwp2").rows() if row.values["type_code"] == code]
        assert [row.row_id for row in rows] == [f"{code}-01"]
        assert rows[0].values["activity"] == ""
        assert "no activity/project listed in source" in rows[0].flags


def _refs(target: str) -> Refs:
    kind, _, code = target.partition(" ")
    if kind == "outcome":
        return _outcome(code).refs
    if kind == "type":
        return _type(code).refs
    type_code, _, number = code.partition("#")
    return _type(type_code).activities[int(number) - 1].refs


# target ("outcome A.1", "type A.2.4", "activity A.1.1#1"), kind of ref, expected refs, footnote text in the seed
BWP2_REFS = [
    ("outcome A.1", "apa", ["IV.A(a)", "IV.A(j)"], "ACTIP, Article 12(b), (c), (e); APA, Paragraph IV.A(a), (j)"),
    ("outcome A.1", "actip", ["12(b)", "12(c)", "12(e)"], "ACTIP, Article 12(b), (c), (e); APA, Paragraph IV.A(a), (j)"),
    ("outcome A.3", "apa", ["IV.A(j)", "IV.A(l)"], "ACTIP, Article 12(a); APA, Paragraph IV.A(j), (l)"),
    ("outcome A.5", "apa", ["IV.A(b)", "IV.A(e)", "IV.A(j)", "IV.A(l)"], "APA, Paragraph IV.A(b), (e), (j), (l)"),
    ("outcome B.4", "apa", ["IV.A(i)"], "ACTIP, Article 14(1), APA, Paragraph IV.A(i)"),
    ("outcome C.1", "apa", ["IV.C(b)", "IV.C(c)", "IV.C(f)", "IV.C(g)", "IV.C(k)"], "ACTIP, Articles 16(1), (2), (6); APA, Paragraph IV.C(b), (c), (f), (g), (k)."),
    ("outcome D.5", "apa", ["IV.B(h)", "IV.D(k)(2)"], "APA, Paragraph IV.B(h), IV.D(k)(2)"),
    ("activity A.1.1#1", "bwp", ["A.a.1.1"], "BWP, A.a.1.1"),
    ("activity A.2.2#1", "bwp", ["A.a.1.4"], "BWP, A.a.1.4"),
    ("type A.2.4", "bwp", ["A.b.3.2"], "BWP, A.b.3.2"),
    ("type A.7.1", "bwp", ["A.a.2.1", "A.a.2.2"], "BWP, A.a.2.1-A.a.2.2"),
    ("type B.4.1", "bwp", ["B.h.1.1", "D.h.1.2"], "BWP, B.h.1.1; D.h.1.2"),
    ("type C.1.4", "actip", ["17"], "ACTIP, Article 17; APA, Paragraph IV.C(c)."),
    ("type D.3.1", "apa", ["IV.D(a)", "IV.D(k)(1)"], "APA, Paragraph IV.D, (a), (k)(1)"),
]  # fmt: skip


@pytest.mark.parametrize(("target", "kind", "expected", "footnote"), BWP2_REFS)
def test_bwp2_refs(target: str, kind: str, expected: list[str], footnote: str) -> None:
    refs = _refs(target)
    assert list(getattr(refs, kind)) == expected
    assert footnote in refs.sources
    assert_in_seed(BWP2_SEED, footnote)


def test_bwp2_row_refs_carry_activity_footnote_only_on_its_row() -> None:
    first, second = _row("bwp2", "A.1.1-01"), _row("bwp2", "A.1.1-02")
    assert first.values["bwp_refs"] == "A.a.1.1"
    assert second.values["bwp_refs"] == ""
    for row in (first, second):  # outcome A.1's footnote 11 applies to every row of the outcome
        assert row.values["apa_refs"] == "IV.A(a); IV.A(j)"
        assert row.values["actip_refs"] == "Art. 12(b); Art. 12(c); Art. 12(e)"


# --- 3. entries of the 2017-2020 plan against the seed -------------------------------------------------------------

# row id, lead bodies, cooperating bodies, expected output, status, the Lead/CSBO cell as printed in the seed
BWP1_ROWS = [
    ("A.a.1.1", ["SOMTC"], ["ACWC"], "Anti-trafficking activities in the ASEAN and ACWC are uploaded in the websites.", "Resources required for dissemination.", "Lead: SOMTC CSBO: ACWC"),
    # rows hold registry codes: the source writes "SOMED", the registry code is SOM-ED (the seed cell keeps SOMED)
    ("A.a.1.4", ["SOM-ED"], ["SOMTC"], "Survey conducted.", "Develop concept note for funding source.", "Lead: SOMED CSBO: SOMTC"),
    ("A.a.1.5", ["SOMTC"], ["AICHR", "ACWC"], "Regional program developed and promoted.", "Develop concept note for funding source.", "Lead: SOMTC CSBO: AICHR and ACWC"),
    ("A.b.3.1", ["SLOM"], ["SOMTC", "SOMSWD"], "Regional workshops conducted.", "Effective Investigation and Prosecution of TIPs for Labour Exploitation, June 6-8, 2017, Manila, Philippines.", "Lead: SLOM (through ACMW) CSBO: SOMTC and SOMSWD"),
    ("A.e.1.1", ["SLOM"], ["AICHR"], "Compendium published.", "To be convened on the end of May.", "Lead: SLOM (through ACMW) CSBO: AICHR"),
    ("A.l.1.2", ["AICHR"], ["ACWC", "SOMTC"], "Workshop conducted.", "Develop concept note for funding source.", "Lead: AICHR CSBO: ACWC and SOMTC"),
    ("B.a.2.1", ["ACWC"], ["AICHR", "SOMSWD", "SLOM", "SOMTC"], "ASEAN Guidelines and Procedures for Identifying and Addressing the Needs of TIP Victims.", "", "Lead: ACWC CSBO: AICHR, SOMSWD, SLOM, and SOMTC"),
    ("B.f.1.1", ["ACWC"], ["SOMSWD", "SOM-ED", "AICHR"], "Video presentations", "", "Lead: ACWC CSBO: SOMSWD, SOM-ED and AICHR"),
    ("C.e.2.3", ["SOMTC"], ["ASLOM", "DGICM"], "Formal linkages between HSU and DGICM and/or ASLOM established.", "", "Lead: SOMTC CSBO: ASLOM and DGICM"),
    ("C.h.1.1", ["SOMTC", "SOMSWD"], ["ACWC", "SOMSWD"], "Capacity building workshop conducted.", "", "Lead: SOMTC and SOMSWD CSBO: ACWC and SOMSWD"),
    ("C.l.2.1", [], ["DGICM"], "Draft TOR of HSU adopted.", "", "Draft TOR of HSU adopted. CSBO: DGICM"),
    ("D.f.1.1", ["ASLOM"], ["SOMTC"], "Regular meetings continued.", "", "Lead: ASLOM CSBO: SOMTC"),
    ("D.g.1.1", ["SOMTC"], ["ASLOM"], "Strengthened cooperation and new ones explored.", "", "Lead: SOMTC CSBO: ASLOM"),
]  # fmt: skip


@pytest.mark.parametrize(("row_id", "lead", "cooperating", "output", "status", "seed_cell"), BWP1_ROWS)
def test_bwp1_rows(
    row_id: str, lead: list[str], cooperating: list[str], output: str, status: str, seed_cell: str
) -> None:
    row = _row("bwp1", row_id)
    assert row.values["activity_code"] == row_id.split(".", 1)[1]
    assert row.values["lead_asb"] == (lead[0] if lead else "")
    assert row.values["co_lead_asb"] == "; ".join(lead[1:])
    assert list(row.items("cooperating_asb")) == cooperating
    assert row.values["expected_output"] == output
    assert row.values["source_status"] == status
    if not status:
        assert "no implementation status in source" in row.flags
    for text in (output, status, seed_cell):
        assert_in_seed(BWP1_SEED, text)


# Rows whose "Lead:" is empty (or missing) in the seed.
BWP1_NO_LEAD = [
    "A.a.2.1", "A.e.1.2", "A.e.1.3",
    "B.c.1.1", "B.h.1.1",
    "C.b.1.2", "C.b.1.3", "C.b.1.4", "C.e.2.1", "C.e.2.2", "C.e.2.4", "C.k.1.1", "C.l.2.1",
    "D.e.1.1", "D.e.1.2",
]  # fmt: skip


def test_bwp1_rows_without_lead_are_flagged() -> None:
    no_lead = [row.row_id for _, row in _plan("bwp1").rows() if not row.values["lead_asb"]]
    assert no_lead == BWP1_NO_LEAD
    for row_id in BWP1_NO_LEAD:
        assert "no lead body in source" in _row("bwp1", row_id).flags, row_id
    flagged = [row.row_id for _, row in _plan("bwp1").rows() if "no lead body in source" in row.flags]
    assert flagged == BWP1_NO_LEAD
    assert_in_seed(BWP1_SEED, "Lead: CSBO: SLOM")  # A.a.2.1


def test_bwp1_counts(master_bwp1: Path) -> None:
    plan = _plan("bwp1")
    assert [p.code for p in plan.pillars] == ["A", "B", "C", "D"]
    sheets = _sheet_rows(master_bwp1)
    for pillar in plan.pillars:
        assert all(row.row_id.startswith(f"{pillar.code}.") for row in pillar.rows)
        assert [r["Row ID"] for r in sheets[pillar.sheet_name]] == [row.row_id for row in pillar.rows]


# --- 4. reference data ---------------------------------------------------------------------------------------------


def _letters(prefix: str, last: str) -> list[str]:
    return [f"{prefix}({chr(c)})" for c in range(ord("a"), ord(last) + 1)]


@pytest.mark.parametrize(
    ("pillar", "expected"),
    [
        ("A", _letters("IV.A", "l")),
        ("B", _letters("IV.B", "h")),
        ("C", _letters("IV.C", "l")),
        ("D", [*_letters("IV.D", "l"), "IV.D(k)(1)", "IV.D(k)(2)"]),
    ],
)
def test_apa_provisions(pillar: str, expected: list[str]) -> None:
    refs = [r for r in load_references().apa_refs if r.startswith(f"IV.{pillar}(")]
    assert sorted(refs) == sorted(expected)
    assert len(refs) == len(set(refs))
    assert len(refs) == {"A": 12, "B": 8, "C": 12, "D": 14}[pillar]


@pytest.mark.parametrize(
    ("ref", "start"),
    [
        ("IV.A(a)", "Increase awareness campaigns to educate all levels of society on trafficking in persons"),
        ("IV.B(h)", "Recognise the important role of civil society organisations"),
        ("IV.C(a)", "Establish trafficking in persons as a criminal offence, consistent with Article 5 of the ACTIP;"),
        ("IV.D(k)(1)", "Identify focal points to facilitate communication, data sharing and exchange of information"),
        ("IV.D(k)(2)", "Promote cooperation and coordination among governmental institutions, civil society"),
    ],
)
def test_apa_provision_texts(ref: str, start: str) -> None:
    provision = next(p for p in load_references().apa if p.ref == ref)
    assert provision.text.startswith(start)
    assert_in_seed(APA_SEED, start)


def test_registry_aliases_and_suggestions() -> None:
    registry = load_references().registry
    somed = registry.resolve("SOMED")
    assert somed is not None and somed.code == "SOM-ED"
    for spelling in ("SOM-ED", "SOM ED", "som-ed"):
        body = registry.resolve(spelling)
        assert body is not None and body.code == "SOM-ED", spelling
    assert registry.resolve("SOMTCC") is None
    assert registry.suggest("SOMTCC") == "SOMTC"
    assert "SOMTC" in registry.codes


@pytest.mark.parametrize("plan_id", ["bwp2", "bwp1"])
def test_every_named_asb_resolves(plan_id: str) -> None:
    registry = load_references().registry
    keys = (
        ("coordinating_asb", "co_coordinating_asb", "supporting_asb")
        if plan_id == "bwp2"
        else ("lead_asb", "co_lead_asb", "cooperating_asb")
    )
    names: set[str] = set()
    for _, row in _plan(plan_id).rows():
        for key in keys:
            value = row.values.get(key, "")
            names.update(value if isinstance(value, tuple) else [v.strip() for v in value.split(";")])
    names.discard("")
    assert names, "no ASB named at all"
    unresolved = sorted(n for n in names if registry.resolve(n) is None)
    assert unresolved == []


# --- 5. the master workbook cells ----------------------------------------------------------------------------------

MASTER_CASES = [
    ("A. Prevention", "A.1.1-01", "SOMTC", "", "ACWC", "SOM-ED", ["Number of public awareness events conducted", "Number of online viewers"]),
    ("A. Prevention", "A.3.2-01", "SLOM", "", "ACMW", "AICHR", ["Number of the ASEAN Member States that develop and implement guidance or regulations for businesses on human rights due diligence"]),
    ("A. Prevention", "A.7.3-01", "TELMIN", "AICHR", "", "", ["Number of dialogues organized"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sheet", "row_id", "coordinating", "co_coordinating", "supporting_1", "supporting_2", "indicators"),
    MASTER_CASES,
)
def test_master_cells(
    master_bwp2: Path,
    sheet: str,
    row_id: str,
    coordinating: str,
    co_coordinating: str,
    supporting_1: str,
    supporting_2: str,
    indicators: list[str],
) -> None:
    book = openpyxl.load_workbook(master_bwp2)
    try:
        ws = book[sheet]
        header = [cell.value for cell in ws[1]]
        assert header[0] == "Row ID"
        assert ws.column_dimensions["A"].hidden
        found = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == row_id]
        assert len(found) == 1, row_id
        cells = dict(zip(header, found[0], strict=False))
    finally:
        book.close()
    assert (cells["Coordinating ASB"] or "") == coordinating
    assert (cells["Co-coordinating ASB"] or "") == co_coordinating
    assert (cells["Supporting ASB 1"] or "") == supporting_1
    assert (cells["Supporting ASB 2"] or "") == supporting_2
    assert (cells["Supporting ASB 3"] or "") == ""
    listed = [line.removeprefix("• ") for line in (cells["Potential indicators"] or "").split("\n")]
    for indicator in indicators:
        assert indicator in listed
        assert_in_seed(BWP2_SEED, indicator)
