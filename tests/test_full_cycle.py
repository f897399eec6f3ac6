"""The whole return cycle through a real LibreOffice: issue a template for every body, fill each one in
LibreOffice the way an officer would (tests/lo_fill.py chooses statuses from the dropdowns and types text, then
LibreOffice saves the .xlsx), merge them all, and find every value entered in the master with its provenance —
and the master still opens cleanly in LibreOffice.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import letter
from tests.returns_kit import issue, logs, master_values, row_places
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.office import convert
from xlsx_tools.plan.context import plan_context
from xlsx_tools.sheet_names import HISTORY_SHEET
from xlsx_tools.workbook.master import build_master

FILL = Path(__file__).resolve().parent / "lo_fill.py"
COMPLETED = 3  # position of 'Completed' in the status dropdown


def plan_edits(template: Path, asb: str) -> list[dict]:
    """For every row of the template: a status chosen from the dropdown and a typed narrative."""
    book = openpyxl.load_workbook(template)
    edits: list[dict] = []
    for number, (row_id, (sheet, excel_row, _)) in enumerate(row_places(book).items()):
        choice = number % 5
        edits.append({"sheet": sheet, "cell": f"{letter('status')}{excel_row}", "choose": choice})
        edits.append({"sheet": sheet, "cell": f"{letter('progress')}{excel_row}", "type": f"{asb} on {row_id}: work"})
        if choice == COMPLETED:
            edits.append({"sheet": sheet, "cell": f"{letter('event_dates')}{excel_row}", "type": "6 June 2026"})
    return edits


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict:
    folder = tmp_path_factory.mktemp("cycle")
    master = folder / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H2")
    templates = issue(master, folder / "issued")
    jobs = [
        {"input": str(path), "output": str(folder / "back" / path.name), "edits": plan_edits(path, asb)}
        for asb, path in templates.items()
    ]
    spec = folder / "jobs.json"
    spec.write_text(json.dumps(jobs), encoding="utf-8")
    run = subprocess.run(
        ["/usr/bin/python3", str(FILL), str(spec)], capture_output=True, text=True, timeout=600, check=False
    )
    assert run.returncode == 0, run.stderr
    written = [job["written"] for job in json.loads(run.stdout)["jobs"]]
    returned = [Path(job["output"]) for job in jobs]
    result = merge_returns(master, returned)
    return {
        "master": master,
        "templates": templates,
        "returned": returned,
        "written": dict(zip(templates, written, strict=True)),
        "result": result,
        "folder": folder,
    }


def test_every_body_is_merged(cycle: dict) -> None:
    result = cycle["result"]
    assert [o.outcome for o in result.outcomes] == ["merged"] * len(cycle["templates"]), result.report.findings
    assert result.report.exit_code == 0, [f.message for f in result.report.errors]


def test_every_value_entered_is_in_the_history_with_its_provenance(cycle: dict) -> None:
    history = logs(cycle["master"])[HISTORY_SHEET]
    recorded = {(h["asb"], h["file"], h["row_id"], h["field"], h["value"]): h for h in history}
    headers = {letter("status"): "Status", letter("progress"): "Progress narrative", letter("event_dates"): ""}
    headers[letter("event_dates")] = "Dates of events held"
    checked = 0
    for (asb, written), path in zip(cycle["written"].items(), cycle["returned"], strict=True):
        book = openpyxl.load_workbook(path)
        manifest = {row[0].value: row[1].value for row in book["_manifest"].iter_rows() if row[0].value}
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        places = {(sheet, f"{row}"): row_id for row_id, (sheet, row, _) in row_places(book).items()}
        for where, value in written.items():
            sheet, cell = where.split("!")
            column, row = cell.rstrip("0123456789"), cell[len(cell.rstrip("0123456789")) :]
            key = (asb, path.name, places[(sheet, row)], headers[column], value)
            assert key in recorded, key
            entry = recorded[key]
            assert entry["sha256"] == digest
            assert entry["template_id"] == manifest["template_id"]
            checked += 1
    assert checked > 300  # every row of every body: a status, a narrative, and dates for completed rows


def test_master_shows_a_reported_value_for_every_reported_cell(cycle: dict) -> None:
    """A status has one value (a disagreement is a conflict); narratives and dates of several bodies are all shown,
    each after its body's code, and are never a conflict."""
    shown = master_values(cycle["master"])
    data = logs(cycle["master"])
    conflicts = {(c["row_id"], c["field"]) for c in data["Conflicts"]}
    labels = {"Status": "status", "Progress narrative": "progress", "Dates of events held": "event_dates"}
    combined = 0
    for entry in data[HISTORY_SHEET]:
        key = labels[entry["field"]]
        candidates = {
            (h["asb"], h["value"])
            for h in data[HISTORY_SHEET]
            if h["row_id"] == entry["row_id"] and h["field"] == entry["field"]
        }
        cell = shown[entry["row_id"]][key]
        if len({v for _, v in candidates}) < 2:
            assert cell == entry["value"]
        elif key == "status":
            assert cell in {v for _, v in candidates} and (entry["row_id"], entry["field"]) in conflicts
        else:
            assert cell.split("\n") == [f"{asb}: {value}" for asb, value in _in_order(entry["row_id"], candidates)]
            assert (entry["row_id"], entry["field"]) not in conflicts
            combined += 1
    assert conflicts, "bodies sharing rows chose different statuses: there must be conflicts"
    assert combined, "bodies sharing rows wrote different narratives: they must be combined"
    assert {field for _, field in conflicts} == {"Status"}


def _in_order(row_id: str, candidates: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The bodies' values in the order a combined cell shows them: coordinating, then supporting, each in the
    row's order (every body here is named by the row)."""
    coordinating, supporting = plan_context("bwp2").bodies[row_id]
    order = [*coordinating, *supporting]
    return sorted(candidates, key=lambda c: order.index(c[0]))


def test_master_still_opens_cleanly_in_libreoffice(cycle: dict) -> None:
    converted = convert(cycle["master"], "xlsx", cycle["folder"] / "lo")
    book = openpyxl.load_workbook(converted)
    assert {HISTORY_SHEET, "Conflicts", "Proposals", "Audit", "A. Prevention"} <= set(book.sheetnames)
    shown = master_values(cycle["master"])
    again = master_values(converted)
    assert again == shown
