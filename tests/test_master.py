"""The master workbook, read back with openpyxl: structure, dropdowns, protection, print setup, identity."""

from __future__ import annotations

import itertools
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import letter
from xlsx_tools.layout.loader import load_layout
from xlsx_tools.layout.measure import text_height, wrapped_lines
from xlsx_tools.plan.loader import load_plan
from xlsx_tools.workbook.master import build_master
from xlsx_tools.workbook.pillar_sheet import PAGE_WIDTH_UNITS
from xlsx_tools.workbook.styles import FONT_NAME

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
            assert validation.formula1 in book.defined_names  # a name, stored without "=" (issue 14)
            for cell_range in validation.sqref.ranges:
                by_formula.setdefault(validation.formula1, set()).add(cell_range.coord.split(":")[0])
    assert f"{letter('coordinating_asb')}2" in by_formula["ASB_LIST"]
    assert f"{letter('supporting_asb_4')}2" in by_formula["ASB_LIST"]
    assert f"{letter('status')}2" in by_formula["STATUS_LIST"]
    assert f"{letter('apa_refs')}2" in by_formula["APA_LIST"]
    assert f"{letter('reporting_period')}2" in by_formula["PERIOD_LIST"]
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
        assert column.locked_for("master") is (column.role != "reporting"), column.header


def test_layout_and_print_setup(book: openpyxl.Workbook) -> None:
    sheet = book["C. Law enforcement"]
    assert sheet.column_dimensions["A"].hidden is True  # stable row ids
    assert sheet["A2"].value == "C.1.1-01"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$1:$1"
    assert sheet[f"{letter('activity')}2"].alignment.wrap_text is True
    assert "&A" not in sheet.oddHeader.center.text  # the sheet name is not repeated after the pillar's title
    assert sheet.oddHeader.center.text.endswith("Pillar C. " + load_plan("bwp2").pillars[2].title)
    assert sheet.oddHeader.right.text == "Master workbook, 2026-H2"


def test_pages_across_are_readable_and_break_between_columns(book: openpyxl.Workbook) -> None:
    """Not squeezed onto one page: fixed scale, manual breaks, each page across no wider than PAGE_WIDTH_UNITS."""
    sheet = book["A. Prevention"]
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is False
    assert 70 <= sheet.page_setup.scale <= 100
    columns = load_layout().sheet("bwp2").columns
    breaks = [b.id for b in sheet.col_breaks.brk]
    assert breaks, "the master is wider than one page"
    edges = [0, *breaks, len(columns)]
    for start, end in itertools.pairwise(edges):
        shown = [c for c in columns[start:end] if not c.hidden_for("master")]
        assert shown and sum(c.width for c in shown) <= PAGE_WIDTH_UNITS


def test_fonts_are_named_and_rows_have_heights(book: openpyxl.Workbook) -> None:
    sheet = book["A. Prevention"]
    layout = load_layout().sheet("bwp2")
    shown = [c for c in layout.columns if not c.hidden_for("master")]
    header = sheet["B1"]
    assert header.font.name == FONT_NAME and header.font.b
    assert sheet[f"{letter('activity')}2"].font.name == FONT_NAME
    assert sheet[f"{letter('status')}2"].font.name == FONT_NAME
    assert book._fonts[0].name == FONT_NAME  # the default font, which column widths are measured in
    longest = max(shown, key=lambda c: wrapped_lines(c.header, c.width, bold=True))
    assert sheet.row_dimensions[1].height >= text_height(wrapped_lines(longest.header, longest.width, bold=True))
    for excel_row, values in enumerate(sheet.iter_rows(min_row=2, max_row=34, values_only=True), start=2):
        height = sheet.row_dimensions[excel_row].height
        lines = max(wrapped_lines(str(v), c.width) for v, c in zip(values, layout.columns, strict=False) if v)
        assert height is not None and height >= text_height(lines), excel_row
    assert sheet.row_dimensions[2].height > text_height(3)  # A.1.1-01's activity runs to many lines


def test_previous_columns_are_hidden_blank_and_locked_in_the_master(book: openpyxl.Workbook) -> None:
    sheet = book["A. Prevention"]
    previous = load_layout().sheet("bwp2").previous
    assert [c.key for c in previous] == ["previous_status", "previous_progress"]
    for column in previous:
        assert sheet.column_dimensions[letter(column.key)].hidden is True
        cells = [sheet[f"{letter(column.key)}{row}"] for row in range(2, 40)]
        assert all(c.value is None and c.protection.locked for c in cells), column.header
        assert sheet[f"{letter(column.key)}1"].fill.fgColor.rgb.endswith("767171")  # grey, not orange


def test_instructions_print_on_portrait_pages_one_wide(book: openpyxl.Workbook) -> None:
    sheet = book["Instructions"]
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.column_dimensions["A"].width <= 100
    for row in range(1, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=1)
        assert cell.font.name == FONT_NAME
        assert sheet.row_dimensions[row].height >= text_height(wrapped_lines(str(cell.value), 95, cell.font.sz))


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
