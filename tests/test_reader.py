"""The fast reader (python-calamine + the sheet XML) reads every workbook as the full openpyxl load does.

tests/openpyxl_reader.py is the reader tipwp started with; for masters, issued and filled returns, a return saved
by LibreOffice, and workbooks carrying formulas, error values, merged cells, dates, numbers, booleans, odd spaces,
blank rows and an unprotected sheet, both readers must give the same identity, sheets, headers, rows (cell by cell:
address, value, kind), merged ranges, protection and visibility.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from tests.openpyxl_reader import read_workbook as read_with_openpyxl
from tests.returns_kit import fill, issue
from xlsx_tools.office import convert
from xlsx_tools.sheet_names import INSTRUCTIONS_SHEET, LISTS_SHEET
from xlsx_tools.workbook.reader import WorkbookData, read_workbook
from xlsx_tools.workbook.safety import inspect_file


def _trimmed(cells: list[Any]) -> list[tuple[str, Any, str]]:
    out = [(c.address, c.value, c.kind) for c in cells]
    while out and out[-1][2] == "empty":
        out.pop()
    return out


def comparable(book: WorkbookData) -> dict[str, Any]:
    sheets = {}
    for name, sheet in book.sheets.items():
        headers = list(sheet.headers)
        while headers and headers[-1] == "":
            headers.pop()
        skipped = name in (INSTRUCTIONS_SHEET, LISTS_SHEET)  # listed, never read: nothing validates their cells
        sheets[name] = {
            "headers": [] if skipped else headers,
            "rows": [] if skipped else [(r, _trimmed(cells)) for r, cells in sheet.rows],
            "merged": sorted(sheet.merged),
            "protected": sheet.protected,
            "state": sheet.state,
        }
    return {"identity": book.identity, "sheets": sheets}


def assert_same(path: Path) -> WorkbookData:
    problem, package = inspect_file(path, allow_macros=True)
    assert problem is None, problem
    fast = read_workbook(path, package)
    assert comparable(fast) == comparable(read_with_openpyxl(path))
    return fast


@pytest.fixture(scope="module")
def returns(master_bwp2: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reader")
    templates = issue(master_bwp2, folder / "templates", asbs=("SOMTC", "ACWC"))
    filled = fill(
        templates["SOMTC"],
        {
            "A.1.1-01": {"status": "Completed", "progress": "Workshop held.\nReport shared.", "event_dates": "6 May"},
            "A.1.1-02": {"status": "Ongoing", "event_dates": dt.datetime(2026, 9, 14), "resource_needs": 1200},
        },
        out=folder / "filled.xlsx",
    )
    return {"template": templates["ACWC"], "filled": filled}


def test_master_and_returns_read_the_same(master_bwp2: Path, master_bwp1: Path, returns: dict[str, Path]) -> None:
    for path in (master_bwp2, master_bwp1, returns["template"], returns["filled"]):
        book = assert_same(path)
        assert book.identity and book.sheets
    filled = assert_same(returns["filled"])
    rows = {cells[0].value: cells for _, cells in filled.sheets["A. Prevention"].rows}
    values = {c.value for c in rows["A.1.1-02"]}
    assert dt.date(2026, 9, 14) in values and "1200" in values


def test_a_return_saved_by_libreoffice_reads_the_same(soffice: str, returns: dict[str, Path], tmp_path: Path) -> None:
    saved = convert(returns["filled"], "xlsx:Calc MS Excel 2007 XML", tmp_path)
    book = assert_same(saved)
    assert book.sheets["A. Prevention"].protected


def test_formulas_errors_merges_dates_and_odd_values(tmp_path: Path) -> None:
    path = tmp_path / "odd.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "A. Prevention"
    sheet.append(["Row ID", "Status", "Progress narrative", "Dates of events held", "Number"])
    sheet.append(["A.1.1-01", "=1+1", "  text with\u00a0spaces  ", dt.date(2026, 6, 6), 3.0])
    sheet.append(["A.1.1-02", "#REF!", "", dt.datetime(2026, 6, 7, 15, 30), 2.5])
    sheet["B3"].data_type = "e"
    sheet.append([])  # a blank row keeps the row numbers below it
    sheet.append(["A.1.1-03", True, "=SUM(E2:E3)", "6 June 2026", 1 / 3])
    sheet["F5"] = ArrayFormula("F5:F5", "=MAX(E2:E3)")
    sheet["G7"] = "#N/A"
    sheet["G7"].data_type = "e"
    sheet.merge_cells("C8:D8")
    other = book.create_sheet("Extra")
    other["B2"] = "=A1"  # a formula alone in an otherwise empty sheet, off the used range of the values
    other.protection.sheet = True
    book.create_sheet("Hidden").sheet_state = "hidden"
    book.save(path)
    read = assert_same(path)
    cells = {c.address: c for _, row in read.sheets["A. Prevention"].rows for c in row}
    assert (cells["B2"].kind, cells["B2"].value) == ("formula", "=1+1")
    assert (cells["B3"].kind, cells["B3"].value) == ("error", "#REF!")
    assert (cells["G7"].kind, cells["G7"].value) == ("error", "#N/A")
    assert cells["F5"].kind == "formula" and "MAX" in str(cells["F5"].value)
    assert cells["C2"].value == "text with spaces" and cells["D3"].value == dt.date(2026, 6, 7)
    assert [r for r, _ in read.sheets["A. Prevention"].rows] == [2, 3, 5, 7]
    assert read.sheets["A. Prevention"].merged == ["C8:D8"]
    assert read.sheets["Extra"].protected and read.sheets["Hidden"].state == "hidden"


def test_shared_formulas_written_by_libreoffice_are_formulas(soffice: str, tmp_path: Path) -> None:
    """LibreOffice writes a filled-down formula as one shared formula; every cell of it is still a formula."""
    path = tmp_path / "shared.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Row ID", "Status"])
    for row in range(2, 6):
        sheet.append([f"A.1.1-0{row}", f'=A{row}&"x"'])
    book.save(path)
    saved = convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    read = read_workbook(saved)
    kinds = [cells[1].kind for _, cells in read.sheets["Sheet"].rows]
    assert kinds == ["formula"] * 4


def test_unprotected_copy_reads_as_unprotected(returns: dict[str, Path], tmp_path: Path) -> None:
    path = shutil.copy(returns["filled"], tmp_path / "unprotected.xlsx")
    book = openpyxl.load_workbook(path)
    book["A. Prevention"].protection.sheet = False
    book.save(path)
    read = assert_same(Path(path))
    assert not read.sheets["A. Prevention"].protected and read.sheets["B. Protection"].protected


def test_a_sheet_written_with_a_namespace_prefix(tmp_path: Path) -> None:
    """Some generators (the .NET Open XML SDK) write <x:c><x:f>…</x:f></x:c>: formulas are still found."""
    import re
    import zipfile

    from tests.helpers import rewrite_zip

    plain = tmp_path / "plain.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Row ID", "Status"])
    book.active.append(["A.1.1-01", "=1+1"])
    book.active.append(["A.1.1-02", "Ongoing"])
    book.save(plain)
    part = "xl/worksheets/sheet1.xml"
    xml = zipfile.ZipFile(plain).read(part).decode()
    prefixed = re.sub(r"<(/?)(?!\?)([a-zA-Z]\w*)([\s>/])", r"<\1x:\2\3", xml)
    prefixed = prefixed.replace('xmlns="', 'xmlns:x="', 1)
    assert "<x:f>" in prefixed and "<f>" not in prefixed
    target = rewrite_zip(plain, tmp_path / "prefixed.xlsx", {part: prefixed.encode()})
    read = assert_same(target)
    kinds = {c.address: c.kind for _, row in read.sheets["Sheet"].rows for c in row}
    assert kinds["B2"] == "formula" and kinds["B3"] == "text"


@pytest.mark.parametrize(
    ("cells", "special"),
    [
        (b'<c r="A2" t="inlineStr"><is><t>no formula here: =A1, t="e"</t></is></c>', {}),
        (b'<c r="A2"><f>SUM(B2:C2)</f><v>3</v></c>', {"A2": ("formula", "=SUM(B2:C2)")}),
        (b'<c r="B2"><f t="shared" si="0"/><v>3</v></c>', {"B2": ("formula", "=(shared formula)")}),
        (b'<x:c r="C2"><x:f>1+1</x:f></x:c>', {"C2": ("formula", "=1+1")}),
        (b'<c r="D2" t="e"><v>#REF!</v></c>', {"D2": ("error", "#REF!")}),
        (b"<c r='E2' t='e'><v>#N/A</v></c>", {"E2": ("error", "#N/A")}),
    ],
)
def test_formula_and_error_cells_are_found_in_every_spelling(cells: bytes, special: dict[str, tuple[str, str]]) -> None:
    from xlsx_tools.workbook.sheet_xml import scan_sheet

    part = b'<worksheet xmlns:x="urn:x"><sheetData><row r="2">' + cells + b"</row></sheetData>"
    part += b'<dataValidations><dataValidation><formula1>"a,b"</formula1></dataValidation></dataValidations>'
    part += b"</worksheet>"
    assert scan_sheet(part).special == special
