"""Merging returns into the master with real files: provenance, conflicts and decisions, supersession,
idempotence, proposals, refusals, dry run, lock, backup, and a master that keeps its validations and protection.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import letter
from tests.returns_kit import fill, issue, logs, master_values
from xlsx_tools.layout.measure import text_height
from xlsx_tools.merge.lock import lock_path
from xlsx_tools.merge.run import MergeOptions, merge_returns, open_new_period
from xlsx_tools.sheet_names import HISTORY_SHEET
from xlsx_tools.workbook.master import build_master

pytestmark = pytest.mark.slow  # end to end, over 10 s in all: kept out of the fast loop

SHARED_ROW = "A.1.1-01"  # coordinated by SOMTC, supported by SOM-ED and ACWC


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("issued")
    master = folder / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H2")
    return master, issue(master, folder / "templates", asbs=("SOMTC", "SOM-ED", "ACWC"))


@pytest.fixture
def cycle(issued: tuple[Path, dict[str, Path]], tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A fresh master and templates to fill, per test."""
    master, templates = issued
    shutil.copy(master, tmp_path / "master.xlsx")
    (tmp_path / "in").mkdir()
    return tmp_path / "master.xlsx", {asb: shutil.copy(p, tmp_path / "in" / p.name) for asb, p in templates.items()}


def test_values_reach_the_master_with_provenance(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing", "progress": "Two workshops held."}})
    result = merge_returns(master, [templates["SOMTC"]])
    assert result.written and result.report.exit_code == 0, result.report.findings
    shown = master_values(master)[SHARED_ROW]
    assert (shown["status"], shown["progress"], shown["reporting_asb"]) == ("Ongoing", "Two workshops held.", "SOMTC")
    history = logs(master)[HISTORY_SHEET]
    entry = next(h for h in history if h["field"] == "Progress narrative")
    assert entry["value"] == "Two workshops held."
    assert entry["asb"] == "SOMTC"
    assert entry["file"] == templates["SOMTC"].name
    assert entry["sha256"] == digest(templates["SOMTC"])
    assert entry["template_id"] and entry["merged_at"] and entry["status"] == "current"
    audit = logs(master)["Audit"]
    assert [(a["file"], a["outcome"], a["accepted"]) for a in audit] == [(templates["SOMTC"].name, "merged", "1")]
    assert result.backup is not None and result.backup.is_file()
    assert not lock_path(master).exists()


def test_same_file_twice_changes_nothing(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    merge_returns(master, [templates["SOMTC"]])
    before = digest(master)
    again = merge_returns(master, [templates["SOMTC"], templates["SOMTC"]])
    assert not again.written
    assert digest(master) == before
    assert {o.outcome for o in again.outcomes} == {"already merged"}
    assert "MERGE_505" in again.report.codes()


def test_conflict_coordinator_wins_and_a_decision_is_honoured(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    fill(templates["SOM-ED"], {SHARED_ROW: {"status": "Completed", "progress": "Done.", "event_dates": "6 June 2026"}})
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    result = merge_returns(master, [templates["SOM-ED"], templates["SOMTC"]])
    assert result.conflicts == 1 and "MERGE_509" in result.report.codes()
    (conflict,) = [f for f in result.report.findings if f.code == "MERGE_509"]
    assert "2026-H2, row " + SHARED_ROW in conflict.message  # open conflicts of several periods tell apart
    assert master_values(master)[SHARED_ROW]["status"] == "Ongoing"  # SOMTC coordinates the row
    assert master_values(master)[SHARED_ROW]["progress"] == "Done."  # no disagreement: the only value
    conflicts = logs(master)["Conflicts"]
    assert len(conflicts) == 1
    assert conflicts[0]["values"] == "SOMTC: Ongoing\nSOM-ED: Completed"
    assert conflicts[0]["shown_asb"] == "SOMTC"
    # printed to decide: landscape, all columns on the page, rows as tall as the two values they list
    sheet = openpyxl.load_workbook(master)["Conflicts"]
    setup = sheet.page_setup
    assert (setup.orientation, setup.fitToWidth, sheet.print_title_rows) == ("landscape", 1, "$1:$1")
    assert sheet["A1"].font.name == "Arial" and (sheet.row_dimensions[2].height or 0) >= text_height(2)
    # the secretariat decides for SOM-ED on the Conflicts sheet; the next merge (of anything) applies it
    book = openpyxl.load_workbook(master)
    book["Conflicts"]["G2"].value = "SOM-ED"
    book.save(master)
    fill(templates["ACWC"], {SHARED_ROW: {"resource_needs": "Interpreters"}})
    merge_returns(master, [templates["ACWC"]])
    shown = master_values(master)[SHARED_ROW]
    assert shown["status"] == "Completed" and shown["resource_needs"] == "Interpreters"
    assert logs(master)["Conflicts"][0]["decision"] == "SOM-ED"


def test_the_decision_column_is_the_only_one_open_on_the_record_sheets(
    soffice: str, cycle: tuple[Path, dict[str, Path]]
) -> None:
    """What the secretariat sees in LibreOffice after a merge with a conflict: the Conflicts sheet is protected, its
    Decision cells (the conflict's row and the empty rows below) are open and shaded, the other cells locked."""
    master, templates = cycle
    fill(templates["SOM-ED"], {SHARED_ROW: {"status": "Completed", "progress": "Done.", "event_dates": "6 June 2026"}})
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    assert merge_returns(master, [templates["SOM-ED"], templates["SOMTC"]]).conflicts == 1
    assert gc.isenabled()  # the merge pauses the cyclic collector only while it runs
    probe = Path(__file__).resolve().parent / "lo_probe.py"
    cells = ["A1", "D2", "F2", "G2", "G50", "F50"]
    done = subprocess.run(
        ["/usr/bin/python3", str(probe), str(master), "Conflicts", ",".join(cells)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["sheet_protected"]
    locked = {cell: seen["cells"][cell]["locked"] for cell in cells}
    assert locked == {"A1": True, "D2": True, "F2": True, "G2": False, "G50": False, "F50": True}
    sheet = openpyxl.load_workbook(master)["Conflicts"]
    assert [str(sheet[c].fill.fgColor.rgb)[-6:] for c in ("G2", "G50", "A1")] == ["FFF2CC", "FFF2CC", "404040"]
    assert sheet["A1"].font.b and sheet["D2"].alignment.wrap_text and sheet["G2"].alignment.wrap_text


def test_a_master_with_a_stray_far_cell_is_refused_not_crashed(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    book = openpyxl.load_workbook(master)
    book["D. Cooperation"]["XFD1048576"] = "x"
    book.save(master)
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    result = merge_returns(master, [templates["SOMTC"]])
    assert result.report.codes() == ["MERGE_511"] and not result.written
    assert "D. Cooperation" in result.report.findings[0].detail and "XFD" in result.report.findings[0].detail


def test_later_return_supersedes_and_the_earlier_stays_in_history(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, templates = cycle
    first = fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}}, out=tmp_path / "first.xlsx")
    second = fill(
        templates["SOMTC"],
        {SHARED_ROW: {"status": "Completed", "progress": "Held", "event_dates": "2026-09-01"}},
        out=tmp_path / "second.xlsx",
    )
    merge_returns(master, [first])
    merge_returns(master, [second])
    assert master_values(master)[SHARED_ROW]["status"] == "Completed"
    statuses = {(h["file"], h["value"]): h["status"] for h in logs(master)[HISTORY_SHEET] if h["field"] == "Status"}
    assert statuses == {("first.xlsx", "Ongoing"): "superseded", ("second.xlsx", "Completed"): "current"}
    assert logs(master)["Conflicts"] == []  # a body does not conflict with itself


def test_a_late_return_goes_into_its_own_period_and_a_later_one_is_refused(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, _ = cycle
    late = issue(master, tmp_path / "h1", period="2026-H1", asbs=("SOMTC",))["SOMTC"]
    fill(late, {SHARED_ROW: {"status": "Ongoing"}})
    result = merge_returns(master, [late])
    assert [o.outcome for o in result.outcomes] == ["merged"] and result.report.exit_code == 0
    assert "MERGE_530" in result.report.codes()
    assert master_values(master)[SHARED_ROW]["status"] == ""  # the cells show the open period, 2026-H2
    entry = logs(master)[HISTORY_SHEET][0]
    assert (entry["period"], entry["value"], entry["status"], entry["note"]) == ("2026-H1", "Ongoing", "current", "")
    early = issue(master, tmp_path / "next", period="2027-H1", asbs=("SOMTC",))["SOMTC"]
    fill(early, {SHARED_ROW: {"status": "Completed", "progress": "Held", "event_dates": "3 March 2027"}})
    refused = merge_returns(master, [early])  # a period not yet open
    assert [o.outcome for o in refused.outcomes] == ["refused"]
    assert "MERGE_501" in refused.report.codes() and refused.report.exit_code == 1
    accepted = merge_returns(master, [early], MergeOptions(accept_period=True))  # "the body used the wrong template"
    assert [o.outcome for o in accepted.outcomes] == ["merged"]
    assert master_values(master)[SHARED_ROW]["status"] == "Completed"
    assert logs(master)[HISTORY_SHEET][-1]["note"] == "made for 2027-H1"


def test_plan_edits_new_rows_and_deleted_rows(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    path = templates["SOMTC"]
    book = openpyxl.load_workbook(path)
    sheet = book["A. Prevention"]
    sheet.protection.sheet = False
    sheet[f"{letter('activity')}2"].value = "A better activity text"  # locked plan column, edited after unprotecting
    last = max(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value)
    sheet.delete_rows(last)  # the body deleted its last row in this sheet
    new_row = last + 3
    sheet[f"{letter('type_code')}{new_row}"].value = "A.1.1"
    sheet[f"{letter('activity')}{new_row}"].value = "Regional hotline for migrant workers"
    book.save(path)
    result = merge_returns(master, [path])
    codes = result.report.codes()
    assert "MERGE_506" in codes and "MERGE_508" in codes
    proposals = logs(master)["Proposals"]
    kinds = {(p["kind"], p["proposed"]) for p in proposals}
    assert ("plan text", "A better activity text") in kinds
    assert ("new activity", "Type: A.1.1\nActivity / project: Regional hotline for migrant workers") in kinds
    assert len(proposals) == 2  # one per proposal, not one per cell
    assert master_values(master)[SHARED_ROW]["activity"] != "A better activity text"  # never applied


def test_formula_text_stays_text_and_formula_cells_are_held(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    path = templates["SOMTC"]
    book = openpyxl.load_workbook(path)
    places = {row[0].value: row[0].row for row in book["A. Prevention"].iter_rows(min_row=2) if row[0].value}
    progress_cell = book["A. Prevention"][f"{letter('progress')}{places[SHARED_ROW]}"]
    progress_cell.value = '=HYPERLINK("http://example.invalid")'  # a real formula: held back
    results_cell = book["A. Prevention"][f"{letter('indicator_results')}{places['A.1.1-02']}"]
    results_cell.value = "=2+2 workshops"
    results_cell.data_type = "s"  # typed with a leading apostrophe: text
    book.save(path)
    result = merge_returns(master, [path])
    assert "MERGE_513" in result.report.codes()
    assert master_values(master)[SHARED_ROW]["progress"] == ""
    held = [h for h in logs(master)[HISTORY_SHEET] if h["status"] == "held back"]
    assert held and held[0]["value"].startswith("=HYPERLINK")
    shown = openpyxl.load_workbook(master)["A. Prevention"]
    cell = next(c for c in shown[letter("indicator_results")] if c.value == "=2+2 workshops")
    assert cell.data_type == "s"


def test_rows_copied_into_a_fresh_workbook_are_matched_by_text(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, templates = cycle
    source = openpyxl.load_workbook(fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}}))["A. Prevention"]
    fresh = openpyxl.Workbook()
    sheet = fresh.active
    sheet.title = "My copy"
    for row in source.iter_rows(values_only=True):
        sheet.append(["" if i == 0 else v for i, v in enumerate(row)])  # Row IDs lost
    target = tmp_path / "somtc copy.xlsx"
    fresh.save(target)
    result = merge_returns(master, [target])
    assert [o.outcome for o in result.outcomes] == ["merged"], result.report.findings
    assert {"MERGE_503", "MERGE_507"} <= set(result.report.codes())
    assert master_values(master)[SHARED_ROW]["status"] == "Ongoing"


def test_dry_run_writes_nothing(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    before = digest(master)
    result = merge_returns(master, [templates["SOMTC"]], MergeOptions(dry_run=True))
    assert not result.written and digest(master) == before
    assert any("Ongoing" in line and SHARED_ROW in line for line in result.changes)
    assert not (master.parent / "backups").exists()


def test_a_live_lock_refuses_and_a_stale_lock_is_taken_over(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    lock = lock_path(master)
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": "now"}))
    held = merge_returns(master, [templates["SOMTC"]])
    assert held.report.codes() == ["MERGE_510"] and held.report.exit_code == 2
    dead = subprocess.run(["true"], check=True)
    del dead
    finished = subprocess.Popen(["true"])
    finished.wait()
    lock.write_text(json.dumps({"pid": finished.pid, "host": socket.gethostname(), "since": "then"}))
    taken = merge_returns(master, [templates["SOMTC"]])
    assert taken.written and not lock.exists()


def test_master_keeps_validations_protection_and_names(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    before = openpyxl.load_workbook(master)
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    merge_returns(master, [templates["SOMTC"]])
    after = openpyxl.load_workbook(master)
    for name in ("A. Prevention", "D. Cooperation"):
        old, new = before[name], after[name]
        assert [(v.sqref, v.formula1) for v in new.data_validations.dataValidation] == [
            (v.sqref, v.formula1) for v in old.data_validations.dataValidation
        ]
        assert new.protection.sheet and new.freeze_panes == old.freeze_panes
        assert new["B2"].protection.locked and not new[f"{letter('status')}2"].protection.locked
        assert new["B2"].fill.fgColor.rgb == old["B2"].fill.fgColor.rgb
    assert set(after.defined_names) == set(before.defined_names)
    assert after["_tipwp"].sheet_state == "veryHidden"
    assert {HISTORY_SHEET, "Conflicts", "Proposals", "Audit"} <= set(after.sheetnames)
    assert after[HISTORY_SHEET].protection.sheet


def test_cli_merge_json_and_exit_codes(cycle: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    junk = tmp_path / "notes.xlsx"
    junk.write_text("not a workbook")
    run = subprocess.run(
        [
            str(Path(os.sys.executable).parent / "tipwp"),
            "merge",
            str(master),
            str(templates["SOMTC"]),
            str(junk),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    data = json.loads(run.stdout)
    assert run.returncode == 2
    outcomes = {row["file"]: row["outcome"] for row in data["summary"]}
    assert outcomes == {templates["SOMTC"].name: "merged", "notes.xlsx": "refused"}
    assert data["written"] is True
    assert master_values(master)[SHARED_ROW]["status"] == "Ongoing"


def test_opening_a_new_period_keeps_everything_and_empties_the_cells(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    merge_returns(master, [templates["SOMTC"]])
    book = openpyxl.load_workbook(master)  # the secretariat types a narrative straight into the master
    sheet = book["A. Prevention"]
    row = next(c.row for c in sheet["A"] if c.value == SHARED_ROW)
    sheet[f"{letter('progress')}{row}"].value = "Typed by the secretariat"
    book.save(master)
    result = open_new_period(master, "2027-H1")
    assert result.written and result.report.exit_code == 0
    shown = master_values(master)[SHARED_ROW]
    assert (shown["status"], shown["progress"], shown["reporting_period"]) == ("", "", "2027-H1")
    kept = {(h["period"], h["field"], h["value"], h["asb"]) for h in logs(master)[HISTORY_SHEET]}
    assert ("2026-H2", "Status", "Ongoing", "SOMTC") in kept
    assert ("2026-H2", "Progress narrative", "Typed by the secretariat", "(master)") in kept
    again = merge_returns(master, [templates["SOMTC"]])  # a 2026-H2 return now goes into 2026-H2: merged already
    assert again.report.codes() == ["MERGE_505"]
    h1 = issue(master, tmp_path / "next", period="2027-H1", asbs=("SOMTC",))["SOMTC"]
    fill(h1, {SHARED_ROW: {"status": "Completed", "progress": "Held", "event_dates": "3 March 2027"}})
    merge_returns(master, [h1])
    assert master_values(master)[SHARED_ROW]["status"] == "Completed"


def test_a_master_open_in_excel_is_not_written(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    owner = master.with_name(f"~${master.name}")  # Excel's owner file while the workbook is open
    owner.write_bytes(b"someone")
    before = digest(master)
    result = merge_returns(master, [templates["SOMTC"]])
    assert result.report.codes() == ["MERGE_510"] and "open in Excel" in result.report.findings[0].message
    assert digest(master) == before


def test_record_sheets_are_rewritten_whole_without_being_loaded(cycle: tuple[Path, dict[str, Path]]) -> None:
    """The merge loads the master into openpyxl without its record sheets' cells (they are rewritten whole from
    the state read by calamine): a second merge keeps every line the first wrote, and the sheets keep their
    protection, open Decision column and filter."""
    from xlsx_tools.merge.master_book import open_master

    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing", "progress": "Two workshops held."}})
    assert merge_returns(master, [templates["SOMTC"]]).written
    first = logs(master)
    opened = open_master(master)
    assert {opened.book[title].max_row for title in first} == {1}  # not one record line loaded
    assert opened.book["A. Prevention"].max_row > 10  # the plan sheets are loaded whole

    fill(templates["SOM-ED"], {SHARED_ROW: {"status": "Completed", "progress": "Manual printed."}})
    assert merge_returns(master, [templates["SOM-ED"]]).written
    second = logs(master)
    for title, lines in first.items():
        kept = [line for line in second[title] if line in lines]
        assert len(kept) == len(lines), title
    assert len(second[HISTORY_SHEET]) > len(first[HISTORY_SHEET])
    history = openpyxl.load_workbook(master)[HISTORY_SHEET]
    assert history.protection.sheet and history.auto_filter.ref and history.freeze_panes == "A2"
