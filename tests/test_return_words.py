"""Issue 16, items 5, 7 and 8: what bodies type and do in a return is understood, not held back or misfiled.

Item 5: "On-going", "ongoing", "completed" are the statuses they stand for (status_map.yaml), with a warning naming
the change; a value held back counts as reported (held back) in the matrix's completeness, not as no report.
Item 7: a return cannot be sorted or filtered (sorting only its orange columns moved statuses onto other rows): Excel
honours the protection's "no sorting"; LibreOffice does not, but refuses to move the hidden, locked check column
inside the orange block; a return sorted anyway (its protection lifted) is detected at merge (ROW_211).
Item 8: the dates input message shows a date the rules accept; "3 & 4 September 2026" and "3-4 Sept 2026
(Bangkok)" are dates; an event dated after the reported period is a finding.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import letter
from tests.returns_kit import fill, issue, logs, master_values
from xlsx_tools.matrix.core import HELD, NO_REPORT, load_status_map, matrix_input, summarise
from xlsx_tools.merge.master_book import open_master
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.validate.checks import validate_file
from xlsx_tools.validate.dates import parse_dates
from xlsx_tools.workbook.sheet_xml import _parsed_extent, _plain_extent

ROWS = ("A.1.1-01", "A.1.1-02", "A.1.1-03", "A.1.1-04")  # in SOMTC's return
FILL = Path(__file__).resolve().parent / "lo_fill.py"


@pytest.fixture
def cycle(master_bwp2: Path, tmp_path: Path) -> tuple[Path, Path]:
    master = Path(shutil.copy(master_bwp2, tmp_path / "master.xlsx"))
    return master, issue(master, tmp_path / "returns", asbs=("SOMTC",))["SOMTC"]


def codes_at(findings: list, code: str) -> list[str]:
    return sorted(f.cell for f in findings if f.code == code)


def test_known_ways_of_writing_a_status_are_that_status(cycle: tuple[Path, Path]) -> None:
    master, template = cycle
    typed = {"A.1.1-01": "On-going", "A.1.1-02": "ongoing", "A.1.1-03": "completed", "A.1.1-04": "Done?"}
    fill(template, {row: {"status": text, "progress": "Met twice."} for row, text in typed.items()})
    fill(template, {"A.1.1-03": {"event_dates": "3 July 2026"}})
    findings = validate_file(template)
    assert len(codes_at(findings, "CELL_322")) == 3 and len(codes_at(findings, "CELL_320")) == 1
    named = {f.value: f.message for f in findings if f.code == "CELL_322"}
    assert "'On-going' is read as 'Ongoing'" in named["On-going"]
    result = merge_returns(master, [template])
    assert result.written
    shown = master_values(master)
    assert [shown[row]["status"] for row in ROWS] == ["Ongoing", "Ongoing", "Completed", ""]
    held = [f for f in result.report.findings if f.code == "MERGE_513"]
    assert [f.row_id for f in held] == ["A.1.1-04"]  # only the value that is no status is held back


def test_a_held_back_report_counts_as_reported_not_as_no_report(cycle: tuple[Path, Path]) -> None:
    master, template = cycle
    fill(template, {"A.1.1-01": {"status": "Done?"}, "A.1.1-02": {"status": "Ongoing"}})
    merge_returns(master, [template])
    opened = open_master(master)
    data = matrix_input(opened.context, opened.state, status_map=load_status_map())
    now = data.reports[data.reports["period"] == "2026-H2"].set_index("row_id")["category"]
    assert (now["A.1.1-01"], now["A.1.1-02"], now["A.1.1-03"]) == (HELD, "Ongoing", NO_REPORT)
    summary = summarise(data)
    assert "A.1.1-01" not in set(summary.no_report["Row ID"]) and "A.1.1-03" in set(summary.no_report["Row ID"])


def test_a_return_can_be_neither_sorted_nor_filtered(cycle: tuple[Path, Path], master_bwp2: Path) -> None:
    _, template = cycle
    for sheet in openpyxl.load_workbook(template).worksheets[1:5]:
        assert sheet.protection.sheet and sheet.protection.sort and sheet.protection.autoFilter, sheet.title
        assert sheet.auto_filter.ref is None, sheet.title
    master = openpyxl.load_workbook(master_bwp2)["A. Prevention"]
    assert master.protection.sort is False and master.auto_filter.ref  # the secretariat's master still sorts


def test_orange_cells_sorted_in_libreoffice_are_refused_or_held_back(
    cycle: tuple[Path, Path], soffice: str, tmp_path: Path
) -> None:
    """In LibreOffice, with the sheet protected, sorting the orange block (status to funding needs, the hidden check
    column among them) is refused; with the protection lifted it moves statuses onto other activities, and the merge
    holds those rows back (ROW_211, on each moved status cell) while the rows left in place merge."""
    master, template = cycle
    statuses = {"A.1.1-01": "Completed", "A.1.1-02": "Ongoing", "A.1.1-03": "Postponed", "A.1.1-04": "Not started"}
    fill(template, {row: {"status": status, "progress": f"Report on {row}."} for row, status in statuses.items()})
    block = f"{letter('status')}2:{letter('resource_needs')}5"  # rows 2-5 hold A.1.1-01 … A.1.1-04
    jobs = [
        {"input": str(template), "output": str(tmp_path / f"{name}.xlsx"), "edits": [edit]}
        for name, edit in (
            ("protected", {"sheet": "A. Prevention", "sort": block}),
            ("unprotected", {"sheet": "A. Prevention", "sort": block, "unprotect": True}),
        )
    ]
    (tmp_path / "spec.json").write_text(json.dumps(jobs))
    run = subprocess.run(["/usr/bin/python3", str(FILL), str(tmp_path / "spec.json")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    outcomes = [next(iter(job["written"].values())) for job in json.loads(run.stdout)["jobs"]]
    assert outcomes == ["refused", "sorted"]
    with zipfile.ZipFile(tmp_path / "protected.xlsx") as saved:  # LibreOffice spells its tags plainly too: the
        parts = [saved.read(n) for n in saved.namelist() if n.startswith("xl/worksheets/sheet")]  # byte search
    assert parts and all(_plain_extent(part) == _parsed_extent(part) for part in parts)  # measures its files

    result = merge_returns(master, [tmp_path / "unprotected.xlsx"])
    moved = {f.row_id: f for f in result.report.findings if f.code == "ROW_211"}
    # descending on the status: Postponed, Ongoing, Not started, Completed — A.1.1-02 stays where it was
    assert sorted(moved) == ["A.1.1-01", "A.1.1-03", "A.1.1-04"]
    assert moved["A.1.1-01"].cell == f"{letter('status')}2" and "A.1.1-03" in moved["A.1.1-01"].message
    shown = master_values(master)
    assert [shown[row]["status"] for row in ROWS] == ["", "Ongoing", "", ""]
    assert shown["A.1.1-02"]["progress"] == "Report on A.1.1-02."
    held = {(h["row_id"], h["value"]) for h in logs(master)["Value history"] if h["status"].startswith("held")}
    assert ("A.1.1-01", "Postponed") in held  # kept in the History as sent, never shown as the row's status


def test_the_dates_prompt_gives_an_example_inside_the_plan(cycle: tuple[Path, Path]) -> None:
    _, template = cycle
    sheet = openpyxl.load_workbook(template)["A. Prevention"]
    prompts = [v.prompt for v in sheet.data_validations.dataValidation if v.prompt and "A date (" in v.prompt]
    assert prompts == ["A date (6 June 2026) or a range (June 6-8, 2026). Several dates: separate them with ';'."]
    example = prompts[0].split("(")[1].split(")")[0]
    assert parse_dates(example) == [(dt.date(2026, 6, 6), dt.date(2026, 6, 6))]


def test_the_master_instructions_give_a_date_inside_the_plan(master_bwp2: Path) -> None:
    """The master's Instructions said "6 June 2017" for the 2.0 plan (2023-2028) too: its example is the plan's."""
    texts = [str(c.value) for c in openpyxl.load_workbook(master_bwp2)["Instructions"]["A"] if c.value]
    line = next(t for t in texts if t.startswith("5. Dates of events held"))
    assert "6 June 2023" in line and "2017" not in line


def test_dates_as_people_write_them(cycle: tuple[Path, Path]) -> None:
    assert parse_dates("3 & 4 September 2026") == [(dt.date(2026, 9, 3),) * 2, (dt.date(2026, 9, 4),) * 2]
    assert parse_dates("3-4 Sept 2026 (Bangkok)") == [(dt.date(2026, 9, 3), dt.date(2026, 9, 4))]
    _, template = cycle
    fill(
        template,
        {
            "A.1.1-01": {"status": "Ongoing", "event_dates": "3 & 4 September 2026"},
            "A.1.1-02": {"status": "Ongoing", "event_dates": "3-4 Sept 2026 (Bangkok)"},
            "A.1.1-03": {"status": "Ongoing", "event_dates": "12 March 2027"},  # after 2026-H2 ends
        },
    )
    findings = validate_file(template)
    assert [f.code for f in findings if f.code.startswith("CELL_34")] == ["CELL_342"]
    late = next(f for f in findings if f.code == "CELL_342")
    assert late.row_id == "A.1.1-03" and "after the end of 2026-H2" in late.message


def test_an_event_after_the_period_is_held_back_at_merge(cycle: tuple[Path, Path]) -> None:
    master, template = cycle
    fill(template, {"A.1.1-01": {"status": "Ongoing", "event_dates": "12 March 2027"}})
    result = merge_returns(master, [template])
    assert [f.row_id for f in result.report.findings if f.code == "MERGE_513"] == ["A.1.1-01"]
    notes = [h["note"] for h in logs(master)["Value history"] if h["field"] == "Dates of events held"]
    assert notes == ["held back: CELL_342"]
