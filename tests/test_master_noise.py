"""Issue 16, item 9: what the secretariat sees of its own master is not noise. `tipwp validate master.xlsx` says
nothing of the tool's own record sheets, `tipwp init` counts the gaps validate lists, and a merged narrative makes its
row as tall as the text so a printout does not clip it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.returns_kit import fill, issue, row_places
from xlsx_tools.cli import app
from xlsx_tools.layout.measure import row_height
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.validate.checks import validate_file

ROW = "A.1.1-01"
LONG = " ".join(["The regional workshop on victim identification brought together 42 officials."] * 12)


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory, master_bwp2: Path) -> Path:
    """A master after one merge: it holds Value history, Conflicts, Proposals and Audit, and a long narrative."""
    folder = tmp_path_factory.mktemp("noise")
    master = Path(shutil.copy(master_bwp2, folder / "master.xlsx"))
    template = issue(master, folder / "returns", asbs=("SOMTC",))["SOMTC"]
    fill(template, {ROW: {"status": "Ongoing", "progress": LONG}})
    result = merge_returns(master, [template])
    assert result.written, result.report.findings
    return master


def test_validate_master_does_not_warn_about_its_record_sheets(merged: Path) -> None:
    names = openpyxl.load_workbook(merged, read_only=True).sheetnames
    assert {"Value history", "Conflicts", "Proposals", "Audit"} <= set(names)
    assert [f.sheet for f in validate_file(merged) if f.code == "BOOK_103"] == []


def test_a_return_with_a_sheet_called_audit_is_still_reported(merged: Path, tmp_path: Path) -> None:
    """Only the master owns the record sheets: a sheet of that name added to a return is unexpected there."""
    template = issue(merged, tmp_path, asbs=("ACWC",))["ACWC"]
    book = openpyxl.load_workbook(template)
    book.create_sheet("Audit")
    book.save(template)
    assert [f.sheet for f in validate_file(template) if f.code == "BOOK_103"] == ["Audit"]


def test_init_counts_the_gaps_validate_lists(tmp_path: Path) -> None:
    out = tmp_path / "master.xlsx"
    result = CliRunner().invoke(app, ["init", str(out)])
    assert result.exit_code == 0, result.output
    gaps = [f for f in validate_file(out) if f.code.startswith("PLAN_")]
    rows = {(f.sheet, f.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) for f in gaps}
    assert (len(rows), len(gaps)) == (7, 8)  # A.1.3, A.2.5, C.3.0 … as the plan data flags them
    assert f"{len(rows)} rows carry {len(gaps)} gaps of the source plan" in result.output


def test_a_merged_narrative_makes_its_row_tall_enough_to_print(merged: Path, master_bwp2: Path) -> None:
    before = openpyxl.load_workbook(master_bwp2)
    after = openpyxl.load_workbook(merged)
    sheet, excel_row, _ = row_places(after)[ROW]
    was = before[sheet].row_dimensions[excel_row].height
    now = after[sheet].row_dimensions[excel_row].height
    needed = row_height([(LONG, 40)])  # the Progress narrative column is 40 wide
    assert now >= needed > was, (was, now, needed)
    # a row the merge did not touch keeps its height
    other = row_places(after)["A.1.2-01"][1]
    assert after[sheet].row_dimensions[other].height == before[sheet].row_dimensions[other].height
