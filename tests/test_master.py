"""The master workbook, read back with openpyxl: structure, dropdowns, protection, print setup, identity."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.helpers import letter
from xlsx_tools.layout.loader import load_layout
from xlsx_tools.plan.loader import load_plan
from xlsx_tools.workbook.master import build_master

PILLARS = ["A. Prevention", "B. Protection", "C. Law enforcement", "D. Cooperation"]


@pytest.fixture(scope="module")
def book(master_bwp2: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(master_bwp2)


def test_sheets_and_their_visibility(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == ["Instructions", *PILLARS, "Lists", "_tipwp"]
    assert book["Lists"].sheet_state == "hidden"
    assert book["_tipwp"].sheet_state == "veryHidden"
    identity = {k: v for k, v, *_ in book["_tipwp"].iter_rows(values_only=True)}
    assert identity["kind"] == "master" and identity["plan_id"] == "bwp2" and identity["period"] == "2026-H2"


def test_headers_come_from_the_layout(book: openpyxl.Workbook) -> None:
    headers = [c.header for c in load_layout().sheet("bwp2").columns]
    for name in PILLARS:
        assert [c.value for c in book[name][1]] == headers


def test_dropdowns_point_at_named_ranges_never_inline_lists(book: openpyxl.Workbook) -> None:
    sheet = book["A. Prevention"]
    by_formula: dict[str, set[str]] = {}
    for validation in sheet.data_validations.dataValidation:
        if validation.type == "list":
            assert validation.formula1.startswith("=") and '"' not in validation.formula1
            for cell_range in validation.sqref.ranges:
                by_formula.setdefault(validation.formula1, set()).add(cell_range.coord.split(":")[0])
    assert f"{letter('coordinating_asb')}2" in by_formula["=ASB_LIST"]
    assert f"{letter('supporting_asb_4')}2" in by_formula["=ASB_LIST"]
    assert f"{letter('status')}2" in by_formula["=STATUS_LIST"]
    assert f"{letter('apa_refs')}2" in by_formula["=APA_LIST"]
    assert f"{letter('reporting_period')}2" in by_formula["=PERIOD_LIST"]
    for name in ("ASB_LIST", "STATUS_LIST", "APA_LIST", "PERIOD_LIST"):
        assert book.defined_names[name].attr_text.startswith("'Lists'!$")


def test_list_contents(book: openpyxl.Workbook) -> None:
    def values(name: str) -> list[str]:
        ((sheet_name, ref),) = book.defined_names[name].destinations
        return [c.value for row in book[sheet_name][ref.replace("$", "")] for c in row]

    assert values("STATUS_LIST") == [
        "Not started",
        "Concept note / seeking funding",
        "Ongoing",
        "Completed",
        "Postponed",
        "Discontinued",
    ]
    assert {"SOMTC", "ACWC", "SOM-ED", "TELMIN"} <= set(values("ASB_LIST"))
    assert values("PERIOD_LIST")[0] == "2023-H1" and values("PERIOD_LIST")[-1] == "2028-H2"
    assert "IV.D(k)(2)" in values("APA_LIST")


def test_input_messages_on_editable_columns(book: openpyxl.Workbook) -> None:
    sheet = book["A. Prevention"]
    prompted = {
        r.coord.split(":")[0]
        for v in sheet.data_validations.dataValidation
        if v.showInputMessage and v.prompt
        for r in v.sqref.ranges
    }
    for column in load_layout().sheet("bwp2").reporting:
        assert f"{letter(column.key)}2" in prompted, column.header


def test_protection_locks_plan_and_frees_reporting(book: openpyxl.Workbook) -> None:
    sheet = book["B. Protection"]
    assert sheet.protection.sheet is True
    assert sheet.protection.password is None
    assert sheet.protection.autoFilter is False  # filtering stays allowed
    for column in load_layout().sheet("bwp2").columns:
        cell = sheet[f"{letter(column.key)}2"]
        assert cell.protection.locked is (column.role != "reporting"), column.header


def test_layout_and_print_setup(book: openpyxl.Workbook) -> None:
    sheet = book["C. Law enforcement"]
    assert sheet.column_dimensions["A"].hidden is True  # stable row ids
    assert sheet["A2"].value == "C.1.1-01"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"
    assert sheet[f"{letter('activity')}2"].alignment.wrap_text is True


def test_document_properties_name_the_plan(book: openpyxl.Workbook) -> None:
    plan = load_plan("bwp2")
    assert book.properties.title == plan.title
    assert book.properties.version == plan.version
    custom = {p.name: p.value for p in book.custom_doc_props.props}
    assert custom["PlanId"] == "bwp2"


def test_password_is_configurable(tmp_path: Path) -> None:
    out = tmp_path / "protected.xlsx"
    build_master(out, password="s3cret")
    sheet = openpyxl.load_workbook(out)["D. Cooperation"]
    assert sheet.protection.sheet and sheet.protection.password  # stored hashed


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path, master_bwp2: Path) -> None:
    book = openpyxl.load_workbook(master_bwp2)
    for sheet_name in PILLARS:
        for row in book[sheet_name].iter_rows(min_row=2):
            assert all(c.data_type != "f" for c in row)


def test_bwp1_master(master_bwp1: Path) -> None:
    book = openpyxl.load_workbook(master_bwp1)
    assert book.sheetnames == ["Instructions", *PILLARS, "Lists", "_tipwp"]
    plan = load_plan("bwp1")
    for pillar in plan.pillars:
        ids = [r[0] for r in book[pillar.sheet_name].iter_rows(min_row=2, values_only=True) if r[0]]
        assert ids == [row.row_id for row in pillar.rows]
    headers = [c.value for c in book["A. Prevention"][1]]
    assert headers == [c.header for c in load_layout().sheet("bwp1").columns]
    assert book["A. Prevention"]["A2"].value == "A.a.1.1"


def test_instructions_name_the_plan_and_the_pillar_goals(book: openpyxl.Workbook) -> None:
    lines = [c.value for c in book["Instructions"]["A"] if c.value]
    plan = load_plan("bwp2")
    assert lines[0] == plan.title
    for pillar in plan.pillars:
        assert pillar.goal and any(
            line.startswith(f"{pillar.code}. {pillar.title}: {pillar.goal[:40]}") for line in lines
        )
