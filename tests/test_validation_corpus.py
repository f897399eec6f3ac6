"""A corpus of broken rows and workbooks, made as real .xlsx files; each yields its code at its cell.

Each case starts from a fresh copy of the real 2.0 master and edits it with openpyxl the way a person (or a
careless program) would. Assertions are on codes and locations, never on wording.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import edit, letter, set_cells
from xlsx_tools.findings import Severity
from xlsx_tools.validate.checks import validate_file

A = "A. Prevention"


def col(key: str, row: int = 2) -> str:
    return f"{letter(key)}{row}"


def cells(values: dict[str, Any], sheet: str = A) -> Callable[[Path], None]:
    return lambda path: set_cells(path, sheet, values) and None


def book_change(change: Callable[[Any], None]) -> Callable[[Path], None]:
    return lambda path: edit(path, change) and None


def _merge(book: Any) -> None:
    book[A].protection.sheet = False
    book[A].merge_cells(f"{col('progress')}:{col('progress', 3)}")


def _rename_header(book: Any) -> None:
    book[A][col("status", 1)].value = "State"


def _swap_columns(book: Any) -> None:
    sheet = book[A]
    a, b = letter("progress"), letter("indicator_results")
    for row in range(1, sheet.max_row + 1):
        sheet[f"{a}{row}"].value, sheet[f"{b}{row}"].value = (
            sheet[f"{b}{row}"].value,
            sheet[f"{a}{row}"].value,
        )


def _duplicate_id(book: Any) -> None:
    book[A][col("row_id", 3)].value = book[A][col("row_id", 2)].value


# (case id, change, expected code, sheet, cell)
ROW_CASES: list[tuple[str, Callable[[Path], None], str, str, str]] = [
    ("status-not-in-list", cells({col("status"): "Done?"}), "CELL_320", A, col("status")),
    ("status-wrong-case", cells({col("status"): "ongoing"}), "CELL_322", A, col("status")),  # read as Ongoing
    ("status-unknown-word", cells({col("status"): "Going on"}), "CELL_320", A, col("status")),
    ("asb-misspelt", cells({col("reporting_asb"): "SOMTCC"}), "CELL_310", A, col("reporting_asb")),
    ("asb-alias", cells({col("reporting_asb"): "SOMED"}), "CELL_311", A, col("reporting_asb")),
    ("period-malformed", cells({col("reporting_period"): "2026-H3"}), "CELL_330", A, col("reporting_period")),
    (
        "period-outside-plan",
        cells({col("reporting_period"): "2031-H1"}),
        "CELL_331",
        A,
        col("reporting_period"),
    ),
    ("date-unreadable", cells({col("event_dates"): "next week"}), "CELL_340", A, col("event_dates")),
    ("date-text-outside-plan", cells({col("event_dates"): "6 June 2017"}), "CELL_341", A, col("event_dates")),
    (
        "date-real-outside-plan",
        cells({col("event_dates"): dt.datetime(2030, 1, 5)}),
        "CELL_341",
        A,
        col("event_dates"),
    ),
    (
        "completed-without-narrative",
        cells({col("status"): "Completed", col("event_dates"): "June 6-8, 2025"}),
        "CELL_321",
        A,
        col("status"),
    ),
    ("formula-in-narrative", cells({col("progress"): "=1+1"}), "CELL_301", A, col("progress")),
    ("error-value", cells({col("indicator_results"): "#N/A"}), "CELL_302", A, col("indicator_results")),
    (
        "date-in-text-column",
        cells({col("progress"): dt.datetime(2025, 3, 1)}),
        "CELL_360",
        A,
        col("progress"),
    ),
    ("row-id-cleared", cells({col("row_id", 4): None}), "ROW_201", A, col("row_id", 4)),
    ("row-id-duplicated", book_change(_duplicate_id), "ROW_202", A, col("row_id", 3)),
    ("row-id-unknown", cells({col("row_id", 5): "Z.9.9-01"}), "ROW_203", A, col("row_id", 5)),
    (
        "plan-text-edited",
        cells({col("activity", 6): "Something else entirely"}),
        "ROW_204",
        A,
        col("activity", 6),
    ),
    (
        "coordinator-unknown",
        cells({col("coordinating_asb", 2): "XYZ"}),
        "CELL_310",
        A,
        col("coordinating_asb"),
    ),
    ("apa-unknown", cells({col("apa_refs", 2): "IV.E(z)"}), "CELL_350", A, col("apa_refs")),
    ("actip-malformed", cells({col("actip_refs", 2): "Article 99"}), "CELL_351", A, col("actip_refs")),
    ("merged-cells", book_change(_merge), "BOOK_107", A, f"{col('progress')}:{col('progress', 3)}"),
    ("header-renamed-missing", book_change(_rename_header), "BOOK_104", A, ""),
    ("header-renamed-unknown", book_change(_rename_header), "BOOK_105", A, col("status", 1)),
    ("columns-moved", book_change(_swap_columns), "BOOK_106", A, ""),
    (
        "sheet-deleted",
        book_change(lambda b: b.remove(b["C. Law enforcement"])),
        "BOOK_102",
        "C. Law enforcement",
        "",
    ),
    ("sheet-extra", book_change(lambda b: b.create_sheet("My notes")), "BOOK_103", "My notes", ""),
    ("identity-removed", book_change(lambda b: b.remove(b["_tipwp"])), "BOOK_101", "", ""),
    ("identity-edited", book_change(lambda b: b["_tipwp"].__setitem__("B1", None)), "BOOK_108", "", ""),
    (
        "header-row-cleared",
        book_change(lambda b: [setattr(c, "value", None) for c in b[A][1]]),
        "BOOK_110",
        A,
        "A1",
    ),
]


@pytest.mark.parametrize(("case", "change", "code", "sheet", "cell"), ROW_CASES, ids=[c[0] for c in ROW_CASES])
def test_broken_row_is_found_at_its_cell(
    master_copy: Path, case: str, change: Callable[[Path], None], code: str, sheet: str, cell: str
) -> None:
    change(master_copy)
    findings = validate_file(master_copy)
    located = [(f.code, f.sheet, f.cell) for f in findings]
    assert (code, sheet, cell) in located, f"{case}: expected {code} at {sheet}!{cell}, got {located[:12]}"
    assert all(f.file == str(master_copy) for f in findings)


def test_the_untouched_master_reports_only_the_sources_gaps(master_bwp2: Path) -> None:
    findings = validate_file(master_bwp2)
    assert findings, "the source has gaps (A.1.3, A.2.5 without coordinating ASB) that must be reported"
    assert {f.severity for f in findings} == {Severity.WARNING}
    coordinator_gaps = {f.row_id for f in findings if f.code == "PLAN_401"}
    assert {"A.1.3-01", "A.2.5-01"} <= coordinator_gaps
    assert all(f.cell.startswith(letter("coordinating_asb")) for f in findings if f.code == "PLAN_401")


def test_every_finding_is_reported_not_just_the_first(master_copy: Path) -> None:
    set_cells(
        master_copy,
        A,
        {col("status", r): "Done?" for r in range(2, 12)} | {col("reporting_asb", 5): "Nobody"},
    )
    findings = validate_file(master_copy)
    assert sum(f.code == "CELL_320" for f in findings) == 10
    assert any(f.code == "CELL_310" and f.cell == col("reporting_asb", 5) for f in findings)


def test_a_clean_filled_row_has_no_findings(master_copy: Path) -> None:
    set_cells(
        master_copy,
        A,
        {
            col("reporting_asb"): "SOMTC",
            col("status"): "Completed",
            col("progress"): "Regional workshop held with 10 AMS.",
            col("event_dates"): "June 6-8, 2025, Manila, Philippines",
            col("indicator_results"): "Number of public awareness events conducted: 1",
        },
    )
    findings = [f for f in validate_file(master_copy) if f.severity is not Severity.WARNING]
    assert findings == []


def test_the_untouched_2017_master_has_only_warnings(master_bwp1: Path) -> None:
    findings = validate_file(master_bwp1)
    assert {f.severity for f in findings} == {Severity.WARNING}
    assert {"PLAN_401", "PLAN_403"} <= {f.code for f in findings}
    assert "A.a.2.1" in {f.row_id for f in findings if f.code == "PLAN_401"}  # "Lead: CSBO: SLOM" in the source


def test_the_same_broken_header_on_two_sheets_is_reported_on_each(master_copy: Path) -> None:
    """A header row is looked at once per run and its findings reused: each sheet's finding still names that sheet."""
    b = "B. Protection"

    def rename_on_two_sheets(book: Any) -> None:
        for name in (A, b):
            book[name][col("status", 1)].value = "State"

    edit(master_copy, rename_on_two_sheets)
    found = {(f.code, f.sheet, f.cell) for f in validate_file(master_copy) if f.code in ("BOOK_104", "BOOK_105")}
    status = col("status", 1)
    assert found == {("BOOK_104", A, ""), ("BOOK_104", b, ""), ("BOOK_105", A, status), ("BOOK_105", b, status)}
