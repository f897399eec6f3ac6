"""Issue 16, item 3: proposing a new activity, end to end, as a body and the secretariat do it.

ACWC types a new activity in an empty row of its return in LibreOffice (tests/lo_fill.py), following the return's
own instructions (its type code in the Type column); validation asks only for what a body can fill there; the merge
lists one proposal per row, and ACWC's corrected resubmission replaces it. The secretariat accepts it on the
Proposals sheet and runs `tipwp proposals apply`: the activity becomes a plan row of the master with a new Row ID,
is issued in the next templates, merged like any row and shown in the matrix. An edit of plan text accepted is
applied by the next merge; a rejected proposal stays listed with its reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.helpers import letter
from tests.returns_kit import fill, issue, logs, master_values, row_places
from xlsx_tools.cli import app
from xlsx_tools.matrix.core import load_status_map, matrix_input
from xlsx_tools.merge.master_book import open_master
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.validate.checks import validate_file

FILL = Path(__file__).resolve().parent / "lo_fill.py"
SHEET = "A. Prevention"
NEW = "Regional study on online recruitment of victims"
ONGOING = 2  # position of 'Ongoing' in the status dropdown


def spare_row(template: Path) -> int:
    sheet, excel_row, _ = max(
        row_places(openpyxl.load_workbook(template)).values(), key=lambda p: (p[0] == SHEET, p[1])
    )
    assert sheet == SHEET
    return excel_row + 1


def lo_fill(jobs: list[dict], folder: Path) -> None:
    spec = folder / "jobs.json"
    spec.write_text(json.dumps(jobs), encoding="utf-8")
    run = subprocess.run(["/usr/bin/python3", str(FILL), str(spec)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr


def proposal_edits(row: int, activity: str) -> list[dict]:
    return [
        {"sheet": SHEET, "cell": f"{letter('type_code')}{row}", "type": "A.1.1"},
        {"sheet": SHEET, "cell": f"{letter('activity')}{row}", "type": activity},
        {"sheet": SHEET, "cell": f"{letter('status')}{row}", "choose": ONGOING},
        {"sheet": SHEET, "cell": f"{letter('progress')}{row}", "type": "Terms of reference drafted."},
    ]


@pytest.mark.usefixtures("soffice")
def test_a_new_activity_from_a_return_to_the_plan(master_bwp2: Path, tmp_path: Path) -> None:
    master = Path(shutil.copy(master_bwp2, tmp_path / "master.xlsx"))
    templates = issue(master, tmp_path / "issued", asbs=("ACWC", "SOMTC"))
    acwc = templates["ACWC"]
    row = spare_row(acwc)
    first, second = tmp_path / "ACWC-1.xlsx", tmp_path / "ACWC-2.xlsx"
    lo_fill(
        [
            {"input": str(acwc), "output": str(first), "edits": proposal_edits(row, NEW + " (draft)")},
            {"input": str(acwc), "output": str(second), "edits": proposal_edits(row, NEW)},
        ],
        tmp_path,
    )
    # the spare row asks only for what a body can fill: nothing about hidden or locked columns
    findings = validate_file(first)
    assert [f for f in findings if f.code in ("ROW_201", "CELL_306", "PLAN_401", "PLAN_403")] == []
    assert [f.code for f in findings if f.severity.value != "warning"] == []

    assert merge_returns(master, [first]).written
    proposals = logs(master)["Proposals"]
    assert [(p["asb"], p["kind"]) for p in proposals] == [("ACWC", "new activity")]  # one row, not one per cell
    assert f"Activity / project: {NEW} (draft)" in proposals[0]["proposed"]
    assert merge_returns(master, [second]).written
    proposals = logs(master)["Proposals"]
    assert len(proposals) == 1 and f"Activity / project: {NEW}\n" in proposals[0]["proposed"]  # replaced

    # SOMTC proposes two edits of plan text: one accepted (applied by the next merge), one rejected
    somtc = templates["SOMTC"]
    fill(somtc, {"A.1.1-01": {"activity": "Reworded activity", "indicators": "Number of studies"}})
    book = openpyxl.load_workbook(somtc)
    book[SHEET].protection.sheet = False  # a body that unprotected the sheet to type over the plan text
    book.save(somtc)
    assert merge_returns(master, [somtc]).written
    kinds = sorted((p["kind"], p["field"]) for p in logs(master)["Proposals"])
    assert kinds == [
        ("new activity", ""),
        ("plan text", "Activity / project"),
        ("plan text", "Potential indicators"),
    ]
    book = openpyxl.load_workbook(master)
    sheet = book["Proposals"]
    header = [c.value for c in sheet[1]]
    for excel_row in range(2, sheet.max_row + 1):
        field = sheet.cell(row=excel_row, column=header.index("Column") + 1).value
        kind = sheet.cell(row=excel_row, column=header.index("Kind") + 1).value
        decision = {"Activity / project": "rejected: the wording was agreed at SOMTC", "Potential indicators": "yes"}
        sheet.cell(row=excel_row, column=header.index("Decision") + 1).value = (
            "Accepted" if kind == "new activity" else decision.get(field or "")
        )
    book.save(master)

    result = CliRunner().invoke(app, ["proposals", "apply", str(master)])
    assert result.exit_code == 0, result.output
    shown = master_values(master)
    added = [row_id for row_id, cells in shown.items() if cells["activity"] == NEW]
    assert added == ["A.1.1-06"], added  # A.1.1 has five activities in the plan
    new_row = shown["A.1.1-06"]
    assert (new_row["type_code"], new_row["coordinating_asb"]) == ("A.1.1", "ACWC")
    assert new_row["outcome_code"] == shown["A.1.1-01"]["outcome_code"] == "A.1"
    assert new_row["type_description"] == shown["A.1.1-01"]["type_description"]
    decisions = {p["field"] or p["kind"]: p["decision"] for p in logs(master)["Proposals"]}
    assert (
        decisions["new activity"].startswith("Accepted (applied ") and "added as A.1.1-06" in decisions["new activity"]
    )
    assert decisions["Activity / project"] == "rejected: the wording was agreed at SOMTC"  # listed, with its reason
    assert shown["A.1.1-01"]["indicators"] == "Number of studies"  # the accepted edit, applied
    assert "applied" in decisions["Potential indicators"]
    # the master as applied validates clean: the new activity and the accepted edit are its plan now
    mastered = [f for f in validate_file(master) if f.code in ("ROW_203", "ROW_204")]
    assert mastered == [], [(f.code, f.cell) for f in mastered]
    # applying again changes nothing
    again = CliRunner().invoke(app, ["proposals", "apply", str(master)])
    assert "no accepted proposal" in again.output

    # the next round: the new row is issued to ACWC, merged like any other row, and in the matrix
    nxt = issue(master, tmp_path / "next", asbs=("ACWC",))["ACWC"]
    assert "A.1.1-06" in row_places(openpyxl.load_workbook(nxt))
    fill(nxt, {"A.1.1-06": {"status": "Completed", "progress": "Study published.", "event_dates": "3 July 2026"}})
    errors = [(f.code, f.cell) for f in validate_file(nxt) if f.severity.value == "error"]
    assert errors == []  # the body's own check: the new activity is a plan row of the return it was issued
    merged = merge_returns(master, [nxt])
    assert merged.written and [f for f in merged.report.findings if f.code == "MERGE_508"] == []
    assert master_values(master)["A.1.1-06"]["status"] == "Completed"
    opened = open_master(master)
    data = matrix_input(opened.context, opened.state, status_map=load_status_map())
    now = data.reports[(data.reports["period"] == "2026-H2") & (data.reports["row_id"] == "A.1.1-06")]
    assert list(now["category"]) == ["Completed"]
