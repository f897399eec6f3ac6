"""What the secretariat sends out after a round (issue 17), on a real master with real returns merged: the progress
report of the matrix workbook and its PDF (read back with pdftotext), the funding needs, the first period column,
the feedback workbooks cell by cell with the chase list, the tidy export, and the ribbon's bridge.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.returns_kit import fill
from tests.xlwings_standin import open_book
from xlsx_tools import __version__
from xlsx_tools.addin import bridge
from xlsx_tools.cli import app
from xlsx_tools.findings import CATALOGUE
from xlsx_tools.matrix.report import FUNDING_SHEET, REPORT_SHEET
from xlsx_tools.matrix.run import MatrixResult, build_matrix
from xlsx_tools.merge.log_sheets import HISTORY
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.report.export import VALUE_COLUMNS, _write_xlsx, export_master
from xlsx_tools.report.feedback_book import HELD_TITLE, MISSING_TITLE, SHEET, build_feedback
from xlsx_tools.returns.issue import issue_templates
from xlsx_tools.workbook.master import build_master

pytestmark = pytest.mark.slow  # merges and LibreOffice: kept out of the fast loop

UTC = dt.timezone.utc
SHARED = "A.1.1-01"  # coordinated by SOMTC, supported by ACWC and SOM-ED
OTHER = "A.1.1-02"  # SOMTC's; ACWC and SOM-ED support it and say nothing on it
ACWC_ROW = "A.1.2-01"  # coordinated by ACWC
SOMTC_TEXT = "Regional curriculum drafted with 3 Member States."
ACWC_TEXT = "ACWC trained 40 social workers in Cebu."
SOMED_TEXT = "SOM-ED shared the curriculum with ministries."
RESULT = "Number of workshops: 2"
NEED = "USD 20,000 for a regional workshop"
ACWC_NEED = "Two trainers on child-sensitive interviewing"
OLD = "Superseded draft text"
LONG_ROW = "A.1.1-03"  # SOMTC's, with a narrative longer than Excel's tallest row can show
LONG = " ".join(f"Sentence {i} says what happened at the workshop in some detail." for i in range(1, 151))
TODAY = dt.date(2027, 3, 1)


def _merge(master: Path, template: Path, when: dt.datetime) -> None:
    merge_returns(master, [template], now=when)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    path = folder / "master.xlsx"
    build_master(path, plan_id="bwp2", period="2026-H2")
    issued = issue_templates(path, "2026-H2", folder / "returns", asbs=["SOMTC", "ACWC", "SOM-ED"], due="2027-01-31")
    templates = {t.asb: t.path for t in issued}
    first = fill(templates["SOMTC"], {SHARED: {"status": "Ongoing", "progress": OLD}}, folder / "somtc-1.xlsx")
    second = fill(
        templates["SOMTC"],
        {
            SHARED: {"status": "Ongoing", "progress": SOMTC_TEXT, "indicator_results": RESULT, "resource_needs": NEED},
            OTHER: {"status": "Completed", "progress": "Campaign ran in 5 provinces.", "event_dates": "2026-09-01"},
            LONG_ROW: {"status": "Ongoing", "progress": LONG},
        },
        folder / "somtc-2.xlsx",
    )
    acwc = fill(
        templates["ACWC"],
        {SHARED: {"progress": ACWC_TEXT, "resource_needs": ACWC_NEED}, ACWC_ROW: {"status": "Not started"}},
    )
    somed = fill(templates["SOM-ED"], {SHARED: {"status": "Done?", "progress": SOMED_TEXT}})  # the status is held
    _merge(path, first, dt.datetime(2027, 1, 5, tzinfo=UTC))
    _merge(path, second, dt.datetime(2027, 1, 10, tzinfo=UTC))  # supersedes the first
    _merge(path, somed, dt.datetime(2027, 1, 20, tzinfo=UTC))
    _merge(path, acwc, dt.datetime(2027, 2, 20, tzinfo=UTC))  # 20 days late
    return path


@pytest.fixture(scope="module")
def matrix(master: Path) -> MatrixResult:
    return build_matrix(master, out=master.parent / "out" / "matrix.xlsx", today=TODAY)


def _rows(sheet: Any) -> list[list[str]]:
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def test_progress_report_lists_every_body_coordinating_first(matrix: MatrixResult) -> None:
    rows = _rows(openpyxl.load_workbook(matrix.workbook)[REPORT_SHEET])
    header = rows[2]
    assert header[:4] == ["Code", "Activity", "Status", "Reported by"]
    assert header[4:] == ["Progress narrative", "Results against indicators", "Dates of events held", HEADER_NEEDS]
    at = next(i for i, r in enumerate(rows) if r[0] == SHARED)
    lines = rows[at : at + 3]
    assert [r[3] for r in lines] == ["SOMTC (coordinating)", "ACWC (supporting)", "SOM-ED (supporting)"]
    assert lines[0][2] == "Ongoing" and lines[1][2] == lines[2][2] == ""  # the status once, on the first line
    assert lines[0][4:] == [SOMTC_TEXT, RESULT, "", NEED]
    assert lines[1][4:] == [ACWC_TEXT, "", "", ACWC_NEED]
    assert lines[2][4] == SOMED_TEXT
    assert rows[at + 3][0] == OTHER  # the next activity
    text = "\n".join("|".join(r) for r in rows)
    assert OLD not in text and "Done?" not in text  # neither superseded nor held-back values
    at = next(i for i, r in enumerate(rows) if r[0] == LONG_ROW)
    parts = [rows[at]] + [r for r in rows[at + 1 : at + 12] if r[3] == "SOMTC (coordinating) (continued)"]
    assert len(parts) > 1 and " ".join(r[4] for r in parts) == LONG  # nothing lost, nothing cut
    sheet = openpyxl.load_workbook(matrix.workbook)[REPORT_SHEET]
    assert all(sheet.row_dimensions[at + 1 + k].height <= 409 for k in range(len(parts)))  # Excel's limit
    b_row = next(r for r in rows if r[0] == "B.1.1-01")
    assert b_row[2:5] == ["No report", "", ""]


HEADER_NEEDS = "Resource / funding needs"


def test_funding_needs_by_pillar_and_body(matrix: MatrixResult) -> None:
    rows = _rows(openpyxl.load_workbook(matrix.workbook)[FUNDING_SHEET])
    assert rows[2] == ["Pillar", "Reported by", "Code", "Activity", HEADER_NEEDS, "Coordinating ASB"]
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in rows[3:]] == [
        ("A. Prevention", "ACWC", SHARED, ACWC_NEED, "SOMTC"),
        ("A. Prevention", "SOMTC", SHARED, NEED, "SOMTC"),
    ]


def test_first_period_column_is_the_first_reported(master: Path, matrix: MatrixResult, tmp_path: Path) -> None:
    assert matrix.data.periods == ["2026-H2"]  # not 2023-H1, the plan's start
    book = openpyxl.load_workbook(matrix.workbook)
    assert [c.value for c in book["Matrix"][2]][3:] == ["2026-H2"]
    earlier = build_matrix(master, out=tmp_path / "m.xlsx", today=TODAY, first="2025-H2")
    assert earlier.data.periods == ["2025-H2", "2026-H1", "2026-H2"]
    bad = CliRunner().invoke(app, ["matrix", str(master), "--from", "2027-H1", "--out", str(tmp_path / "x.xlsx")])
    assert bad.exit_code == 2 and "comes after 2026-H2" in bad.output


def test_pdf_carries_narratives_results_needs_and_attribution(soffice: str, master: Path, tmp_path: Path) -> None:
    result = build_matrix(master, out=tmp_path / "matrix.xlsx", pdf=True, today=TODAY)
    assert result.pdf is not None
    # reading order (no -layout) keeps a cell's wrapped lines together; spaces folded
    text = subprocess.run(["pdftotext", str(result.pdf), "-"], capture_output=True, text=True, check=True)
    words = " ".join(text.stdout.split())
    for expected in (
        "Progress report",
        "ACWC trained 40 social workers",
        RESULT,
        "USD 20,000 for a regional",
        "ACWC (supporting)",
        "SOMTC (coordinating)",
        "Resource and funding needs",
        "Sentence 150 says what happened",  # the end of a narrative longer than a row: continued, not cut
    ):
        assert expected in words, expected
    assert OLD not in words  # the order of the bodies: the workbook test (pdftotext's order follows the drawing)


def _sections(path: Path) -> tuple[dict[str, Any], dict[str, list[list[str]]]]:
    rows = _rows(openpyxl.load_workbook(path)[SHEET])
    facts = {r[0]: r[1] for r in rows[3:9]}
    sections: dict[str, list[list[str]]] = {}
    current = ""
    for row in rows[9:]:
        if row[0][:2] in ("1.", "2.", "3.", "4."):
            current = row[0]
            sections[current] = []
        elif current and any(row):
            sections[current].append([c for c in row if c])
    return facts, sections


def test_feedback_workbooks_cell_by_cell(master: Path, tmp_path: Path) -> None:
    result = build_feedback(master, out=tmp_path / "feedback", today=TODAY)
    files = {item.asb: path for item, path in result.written}
    assert files["ACWC"].name == "2026-H2_ACWC_feedback.xlsx" and len(files) >= 3
    facts, sections = _sections(files["ACWC"])
    assert facts == {
        "Body": "ACWC",
        "Period": "2026-H2",
        "Due": "2027-01-31",
        "Received": "2027-02-20",
        "Days late": "20",
        "Rows expected": "8",  # the rows it coordinates or supports in the 2.0 plan
    }
    merged = sections["1. Received and merged"]
    assert merged[0] == ["Row ID", "Activity", "Column", "Value"]
    assert [merged[1][0], merged[1][-2], merged[1][-1]] == [SHARED, "Progress narrative", ACWC_TEXT]
    assert sections[HELD_TITLE] == [["Nothing held back."]]
    missing = sections[MISSING_TITLE]
    assert missing[0] == ["Row ID", "Activity", "Your role"] and OTHER in [r[0] for r in missing[1:]]
    assert SHARED not in [r[0] for r in missing[1:]] and ACWC_ROW not in [r[0] for r in missing[1:]]

    facts, sections = _sections(files["SOM-ED"])
    assert (facts["Received"], facts["Days late"]) == ("2027-01-20", "0")
    held = sections[HELD_TITLE]
    assert held[0] == ["Row ID", "Column", "Value", "Problem", "How to fix it"]
    entry = CATALOGUE["CELL_320"]
    assert held[1] == [SHARED, "Status", "Done?", f"{entry.title} (CELL_320)", entry.fix]

    facts, sections = _sections(files["AICHR"])  # expected (it supports rows) but never sent anything
    assert (facts["Received"], facts["Due"], facts["Days late"]) == ("nothing received yet", "2027-01-31", "29")
    assert sections["4. Files received"] == [["No file received."]]

    chase = {c.asb: c for c in result.chase}
    assert "SOMTC" in chase and chase["SOMTC"].days_late == 0  # on time, but rows without report
    assert result.chase[0].days_late == 29 and result.chase[0].received == ""  # longest overdue first
    assert (chase["ACWC"].days_late, chase["ACWC"].received) == (20, "2027-02-20")


def test_feedback_command_prints_the_chase_list(master: Path, tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["feedback", str(master), "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "2026-H2_SOM-ED_feedback.xlsx  SOM-ED: 1 merged, 1 held back" in done.output
    chase = done.output.split("Chase list")[1].splitlines()
    acwc = next(line.split() for line in chase if line.strip().startswith("ACWC"))
    assert acwc[2:] == ["2027-01-31", acwc[3], "2027-02-20"] and acwc[3].isdigit()


def test_export_is_tidy_and_says_how_each_value_counts(master: Path, tmp_path: Path) -> None:
    result = export_master(master, tmp_path / "csv", "csv")
    with (tmp_path / "csv" / "values.csv").open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert tuple(records[0]) == VALUE_COLUMNS and result.values == len(records)
    by_value = {r["value"]: r for r in records}
    assert by_value[OLD]["status"] == "superseded" and by_value[SOMTC_TEXT]["status"] == "current"
    assert by_value["Done?"]["status"] == "held back" and by_value["Done?"]["note"].startswith("held back: CELL_320")
    acwc = by_value[ACWC_TEXT]
    where = (acwc["period"], acwc["row_id"], acwc["outcome_code"], acwc["type_code"])
    assert where == ("2026-H2", SHARED, "A.1", "A.1.1")
    assert (acwc["column"], acwc["column_label"], acwc["body"], acwc["body_role"]) == (
        "progress",
        "Progress narrative",
        "ACWC",
        "supporting",
    )
    assert acwc["file"] == "2026-H2_ACWC_return.xlsx" and acwc["received"].startswith("2027-02-20")
    history = openpyxl.load_workbook(master, read_only=True)[HISTORY.title]
    assert len(records) == history.max_row - 1  # every History line, no more
    with (tmp_path / "csv" / "plan.csv").open(encoding="utf-8-sig", newline="") as handle:
        plan = {r["row_id"]: r for r in csv.DictReader(handle)}
    assert (plan[SHARED]["coordinating"], plan[SHARED]["supporting"]) == ("SOMTC", "ACWC; SOM-ED")
    book = export_master(master, tmp_path / "export.xlsx", "xlsx").written[0]
    sheets = openpyxl.load_workbook(book)
    assert sheets.sheetnames == ["values", "plan"] and sheets["values"].max_row == len(records) + 1


def test_export_writes_a_formula_like_value_as_text(tmp_path: Path) -> None:
    path = _write_xlsx(tmp_path / "x.xlsx", [("values", ("value",), [('=HYPERLINK("http://x")',)])])
    cell = openpyxl.load_workbook(path)["values"]["A2"]
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://x")')


def test_feedback_from_the_ribbon_bridge(master: Path, tmp_path: Path) -> None:
    copy = tmp_path / "master.xlsx"
    copy.write_bytes(master.read_bytes())
    book = open_book(copy)
    action = functools.partial(bridge.feedback_in_book, today=TODAY)
    message = bridge.run_action(book, __version__, action)
    assert "feedback workbook(s) for 2026-H2" in message and "- ACWC: " in message, message
    assert (tmp_path / "feedback-2026-H2" / "2026-H2_SOMTC_feedback.xlsx").is_file()
