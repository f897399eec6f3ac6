"""Three half-years as the secretariat and two bodies live them, through a real LibreOffice (tests/lo_fill.py chooses
statuses from the dropdowns and types text, then LibreOffice saves the .xlsx): issue -> fill -> validate -> merge ->
period -> issue again, with SOMTC (coordinating) and ACWC (supporting) on one row and ACWC's first return late.

    2026-H1  issue (due 2026-07-31); SOMTC returns on time; ACWC fills its return but sends it late
    2026-H2  period; issue (grey columns: SOMTC's H1 values); ACWC's H1 return arrives: merged into 2026-H1;
             both return for 2026-H2, ACWC proposing a new activity in a spare row; merge; the secretariat types
             "Accepted" on the Proposals sheet in LibreOffice and runs `tipwp proposals apply`
    2027-H1  period (the H1 conflict stays listed); issue (grey columns: H2's combined values; ACWC's template
             holds the new activity); SOMTC returns, ACWC reports on the new activity; merge

Each step is a method of `Cycle`, so a test can add its own step (a proposal, say) between them; the state after
every step is kept in `Cycle.seen` and checked cell by cell below.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.helpers import letter
from tests.returns_kit import logs, master_values, row_places
from xlsx_tools.matrix.run import build_matrix
from xlsx_tools.merge.last_period import issue_returns
from xlsx_tools.merge.run import MergeOptions, MergeResult, apply_proposals, merge_returns, open_new_period
from xlsx_tools.sheet_names import HISTORY_SHEET
from xlsx_tools.validate.run import validate_files
from xlsx_tools.workbook.master import build_master

pytestmark = pytest.mark.slow  # three LibreOffice sessions: about a minute

FILL = Path(__file__).resolve().parent / "lo_fill.py"
ROW = "A.1.1-01"  # coordinated by SOMTC, supported by ACWC (and SOM-ED, which is not issued a template here)
NEW = "Regional study on online recruitment of victims"  # ACWC's proposal (item 3)
NEW_ROW = "A.1.1-06"  # the Row ID it gets: A.1.1 has five activities in the plan
BODIES = ("SOMTC", "ACWC")
CHOICE = {"Not started": 0, "Concept note / seeking funding": 1, "Ongoing": 2, "Completed": 3, "Postponed": 4}


@dataclass
class Cycle:
    """The secretariat's folder: the master, the templates issued per period, the returns as filled."""

    folder: Path
    master: Path
    issued: dict[str, dict[str, Path]] = field(default_factory=dict)  # period → body → template
    returned: dict[str, dict[str, Path]] = field(default_factory=dict)  # period → body → return saved by LO
    merges: list[MergeResult] = field(default_factory=list)
    seen: dict[str, Any] = field(default_factory=dict)  # step name → what was observed after it

    def issue(self, period: str, due: str) -> dict[str, Path]:
        """`tipwp issue MASTER --period P --due D` (and the ribbon's Issue templates): the same function."""
        issued = issue_returns(self.master, period, self.folder / "issued" / period, BODIES, due)
        self.issued[period] = {t.asb: t.path for t in issued}
        return self.issued[period]

    def fill(
        self, period: str, entries: dict[str, dict[str, str]], rows: dict[str, dict[str, dict[str, str]]] | None = None
    ) -> dict[str, Path]:
        """Each body's entries for ROW (and, in `rows`, for other rows by Row ID, or "spare" for the first empty row
        below the body's A. Prevention rows), typed and chosen in LibreOffice, saved by it; one soffice session."""
        jobs = []
        for asb, values in entries.items():
            template = self.issued[period][asb]
            places = row_places(openpyxl.load_workbook(template))
            last = max(r for s, r, _ in places.values() if s == "A. Prevention")
            edits: list[dict[str, Any]] = []
            for row_id, row_values in {ROW: values, **(rows or {}).get(asb, {})}.items():
                sheet, excel_row = ("A. Prevention", last + 1) if row_id == "spare" else places[row_id][:2]
                for key, value in row_values.items():
                    cell = f"{letter(key)}{excel_row}"
                    edit: dict[str, Any] = {"choose": CHOICE[value]} if key == "status" else {"type": value}
                    edits.append({"sheet": sheet, "cell": cell, **edit})
            output = self.folder / "back" / period / template.name
            output.parent.mkdir(parents=True, exist_ok=True)
            jobs.append({"input": str(template), "output": str(output), "edits": edits})
        self._libreoffice(f"fill-{period}", jobs)
        self.returned.setdefault(period, {}).update(
            {asb: Path(job["output"]) for asb, job in zip(entries, jobs, strict=True)}
        )
        return self.returned[period]

    def decide(self, decision: str) -> None:
        """The secretariat types `decision` in the Decision cell of the first proposal, in LibreOffice."""
        sheet = openpyxl.load_workbook(self.master)["Proposals"]
        column = [c.value for c in sheet[1]].index("Decision") + 1
        cell = f"{openpyxl.utils.get_column_letter(column)}2"
        decided = self.folder / "decided.xlsx"
        self._libreoffice(
            "decide",
            [
                {
                    "input": str(self.master),
                    "output": str(decided),
                    "edits": [{"sheet": "Proposals", "cell": cell, "type": decision}],
                }
            ],
        )
        decided.replace(self.master)

    def _libreoffice(self, name: str, jobs: list[dict[str, Any]]) -> None:
        spec = self.folder / f"{name}.json"
        spec.write_text(json.dumps(jobs), encoding="utf-8")
        run = subprocess.run(
            ["/usr/bin/python3", str(FILL), str(spec)], capture_output=True, text=True, timeout=600, check=False
        )
        assert run.returncode == 0, run.stderr

    def validate(self, period: str, *asbs: str) -> None:
        report = validate_files([self.returned[period][asb] for asb in asbs])
        assert report.exit_code == 0, [f.message for f in report.findings]

    def merge(self, period: str, *asbs: str, received: str) -> MergeResult:
        result = merge_returns(
            self.master, [self.returned[period][asb] for asb in asbs], MergeOptions(received=received)
        )
        assert [o.outcome for o in result.outcomes] == ["merged"] * len(asbs), result.report.codes()
        self.merges.append(result)
        return result

    def open(self, period: str) -> None:
        assert open_new_period(self.master, period).written

    def observe(self, step: str) -> None:
        data = logs(self.master)
        self.seen[step] = {"cells": master_values(self.master)[ROW], "conflicts": data["Conflicts"]}


def _grey(template: Path) -> tuple[str, str]:
    book = openpyxl.load_workbook(template)
    sheet, excel_row, columns = row_places(book)[ROW]
    cells = book[sheet]
    return tuple(  # type: ignore[return-value]
        str(cells.cell(row=excel_row, column=columns[k]).value or "") for k in ("previous_status", "previous_progress")
    )


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> Cycle:
    folder = tmp_path_factory.mktemp("half-years")
    master = folder / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H1")
    c = Cycle(folder, master)
    # 2026-H1
    c.issue("2026-H1", due="2026-07-31")
    c.fill(
        "2026-H1",
        {
            "SOMTC": {"status": "Ongoing", "progress": "Drafted the regional guidelines."},
            "ACWC": {
                "status": "Completed",
                "progress": "Held a workshop on child victims.",
                "event_dates": "6 June 2026",
            },
        },
    )
    c.validate("2026-H1", "SOMTC", "ACWC")
    c.merge("2026-H1", "SOMTC", received="2026-07-20")
    c.observe("2026-H1 merged")
    # 2026-H2
    c.open("2026-H2")
    c.issue("2026-H2", due="2027-01-31")
    c.seen["grey 2026-H2"] = {asb: _grey(path) for asb, path in c.issued["2026-H2"].items()}
    c.merge("2026-H1", "ACWC", received="2026-08-20")  # ACWC's late return for 2026-H1
    c.observe("late return merged")
    c.fill(
        "2026-H2",
        {
            "SOMTC": {"status": "Completed", "progress": "Guidelines adopted.", "event_dates": "3 September 2026"},
            "ACWC": {"progress": "Translated the guidelines.", "resource_needs": "Interpreters"},
        },
        rows={"ACWC": {"spare": {"type_code": "A.1.1", "activity": NEW, "status": "Ongoing"}}},
    )
    c.validate("2026-H2", "SOMTC", "ACWC")
    c.merge("2026-H2", "SOMTC", "ACWC", received="2027-01-15")
    c.observe("2026-H2 merged")
    c.decide("Accepted")
    applied, changes = apply_proposals(c.master)
    assert applied.written and len(changes.new_rows) == 1
    c.seen["proposals applied"] = logs(c.master)["Proposals"]
    # 2027-H1
    c.open("2027-H1")
    c.observe("2027-H1 opened")
    c.issue("2027-H1", due="2027-07-31")
    c.seen["grey 2027-H1"] = {asb: _grey(path) for asb, path in c.issued["2027-H1"].items()}
    c.fill(
        "2027-H1",
        {"SOMTC": {"status": "Ongoing", "progress": "Monitoring the guidelines."}, "ACWC": {}},
        rows={"ACWC": {NEW_ROW: {"status": "Completed", "progress": "Study published.", "event_dates": "2 May 2027"}}},
    )
    c.validate("2027-H1", "SOMTC", "ACWC")
    c.merge("2027-H1", "SOMTC", "ACWC", received="2027-07-10")
    c.observe("2027-H1 merged")
    return c


def test_the_first_period_shows_the_coordinating_body(cycle: Cycle) -> None:
    cells = cycle.seen["2026-H1 merged"]["cells"]
    assert (cells["status"], cells["progress"], cells["reporting_asb"]) == (
        "Ongoing",
        "Drafted the regional guidelines.",
        "SOMTC",
    )


def test_the_next_templates_show_last_period_from_the_history(cycle: Cycle) -> None:
    """Item 2: after `period` emptied the cells, the grey columns still show the previous period's record."""
    assert cycle.seen["grey 2026-H2"] == {asb: ("Ongoing", "Drafted the regional guidelines.") for asb in BODIES}
    combined = "SOMTC: Guidelines adopted.\nACWC: Translated the guidelines."
    assert cycle.seen["grey 2027-H1"] == {asb: ("Completed", combined) for asb in BODIES}


def test_the_late_return_goes_into_its_own_period(cycle: Cycle) -> None:
    """Item 4: ACWC's 2026-H1 return, received after 2026-H2 was opened."""
    late = cycle.merges[1]
    assert [f.value for f in late.report.findings if f.code == "MERGE_530"] == ["2026-H1"]
    cells = cycle.seen["late return merged"]["cells"]
    assert (cells["status"], cells["progress"], cells["reporting_period"]) == ("", "", "2026-H2")
    conflicts = cycle.seen["late return merged"]["conflicts"]
    assert [(c["period"], c["field"], c["values"], c["shown_asb"]) for c in conflicts] == [
        ("2026-H1", "Status", "SOMTC: Ongoing\nACWC: Completed", "SOMTC")
    ]


def test_the_second_period_combines_the_narratives_and_has_no_conflict_of_its_own(cycle: Cycle) -> None:
    """Item 1: ACWC's narrative and needs are shown with SOMTC's, attributed, coordinating body first."""
    cells = cycle.seen["2026-H2 merged"]["cells"]
    assert cells["status"] == "Completed"
    assert cells["progress"] == "SOMTC: Guidelines adopted.\nACWC: Translated the guidelines."
    assert (cells["event_dates"], cells["resource_needs"]) == ("3 September 2026", "Interpreters")
    assert [c["period"] for c in cycle.seen["2026-H2 merged"]["conflicts"]] == ["2026-H1"]


def test_a_proposed_activity_is_accepted_issued_reported_and_in_the_matrix(cycle: Cycle) -> None:
    """Item 3: ACWC's new activity, typed in a spare row, is one Proposals row; accepted in LibreOffice and applied,
    it is plan row A.1.1-06 coordinated by ACWC, issued in ACWC's next template and merged like any row."""
    proposals = cycle.seen["proposals applied"]
    assert [(p["asb"], p["kind"], p["period"]) for p in proposals] == [("ACWC", "new activity", "2026-H2")]
    assert f"Activity / project: {NEW}" in proposals[0]["proposed"]
    assert proposals[0]["decision"].startswith("Accepted (applied ") and NEW_ROW in proposals[0]["decision"]
    assert NEW_ROW in row_places(openpyxl.load_workbook(cycle.issued["2027-H1"]["ACWC"]))
    assert NEW_ROW not in row_places(openpyxl.load_workbook(cycle.issued["2027-H1"]["SOMTC"]))
    cells = master_values(cycle.master)[NEW_ROW]
    assert (cells["activity"], cells["type_code"], cells["coordinating_asb"]) == (NEW, "A.1.1", "ACWC")
    assert (cells["status"], cells["progress"], cells["reporting_asb"]) == ("Completed", "Study published.", "ACWC")


def test_opening_the_third_period_keeps_the_undecided_conflict(cycle: Cycle) -> None:
    conflicts = cycle.seen["2027-H1 opened"]["conflicts"]
    assert [(c["period"], c["row_id"], c["field"], c["decision"]) for c in conflicts] == [
        ("2026-H1", ROW, "Status", "")
    ]
    assert cycle.seen["2027-H1 opened"]["cells"]["status"] == ""


def test_the_master_and_its_history_at_the_end(cycle: Cycle) -> None:
    cells = master_values(cycle.master)[ROW]
    assert (cells["status"], cells["progress"], cells["reporting_period"], cells["reporting_asb"]) == (
        "Ongoing",
        "Monitoring the guidelines.",
        "2027-H1",
        "SOMTC",
    )
    history = logs(cycle.master)[HISTORY_SHEET]
    lines = {(h["period"], h["asb"], h["field"], h["value"], h["status"]) for h in history if h["row_id"] == ROW}
    assert lines == {
        ("2026-H1", "SOMTC", "Status", "Ongoing", "current"),
        ("2026-H1", "SOMTC", "Progress narrative", "Drafted the regional guidelines.", "current"),
        ("2026-H1", "ACWC", "Status", "Completed", "current"),
        ("2026-H1", "ACWC", "Progress narrative", "Held a workshop on child victims.", "current"),
        ("2026-H1", "ACWC", "Dates of events held", "6 June 2026", "current"),
        ("2026-H2", "SOMTC", "Status", "Completed", "current"),
        ("2026-H2", "SOMTC", "Progress narrative", "Guidelines adopted.", "current"),
        ("2026-H2", "SOMTC", "Dates of events held", "3 September 2026", "current"),
        ("2026-H2", "ACWC", "Progress narrative", "Translated the guidelines.", "current"),
        ("2026-H2", "ACWC", "Resource / funding needs", "Interpreters", "current"),
        ("2027-H1", "SOMTC", "Status", "Ongoing", "current"),
        ("2027-H1", "SOMTC", "Progress narrative", "Monitoring the guidelines.", "current"),
    }
    new = {(h["period"], h["asb"], h["field"], h["value"]) for h in history if h["row_id"] == NEW_ROW}
    assert new == {
        ("2027-H1", "ACWC", "Status", "Completed"),
        ("2027-H1", "ACWC", "Progress narrative", "Study published."),
        ("2027-H1", "ACWC", "Dates of events held", "2 May 2027"),
    }
    audit = [(a["asb"], a["period"], a["received"]) for a in logs(cycle.master)["Audit"]]
    assert audit == [
        ("SOMTC", "2026-H1", "2026-07-20"),
        ("ACWC", "2026-H1", "2026-08-20"),
        ("SOMTC", "2026-H2", "2027-01-15"),
        ("ACWC", "2026-H2", "2027-01-15"),
        ("SOMTC", "2027-H1", "2027-07-10"),
        ("ACWC", "2027-H1", "2027-07-10"),
    ]


def test_the_matrix_shows_every_period_cell_by_cell(cycle: Cycle) -> None:
    result = build_matrix(cycle.master, "2027-H1", out=cycle.folder / "matrix.xlsx")
    sheet = openpyxl.load_workbook(result.workbook).worksheets[0]
    header = [c.value for c in sheet[2]]
    row = next(r for r in sheet.iter_rows(min_row=3) if r[0].value == ROW)
    by_period = {p: row[header.index(p)] for p in ("2026-H1", "2026-H2", "2027-H1")}
    assert {p: c.value for p, c in by_period.items()} == {
        "2026-H1": "Ongoing",  # SOMTC coordinates; the conflict with ACWC's Completed is undecided
        "2026-H2": "Completed",
        "2027-H1": "Ongoing",
    }
    added = next(r for r in sheet.iter_rows(min_row=3) if r[0].value == NEW_ROW)  # item 3: the accepted activity
    # applied while 2026-H2 was open: a plan row then, with no report for it (the proposal's own values stay on
    # the Proposals sheet)
    assert (added[header.index("2026-H2")].value, added[header.index("2027-H1")].value) == ("No report", "Completed")
    notes = {p: c.comment.text if c.comment else "" for p, c in by_period.items()}
    assert "SOMTC: Drafted the regional guidelines.\nACWC: Held a workshop on child victims." in notes["2026-H1"]
    assert "SOMTC: Guidelines adopted.\nACWC: Translated the guidelines." in notes["2026-H2"]
    assert "Monitoring the guidelines." in notes["2027-H1"]
    table = result.summary.completeness.set_index("ASB")
    assert table.loc["SOMTC", "Return"] == "on time"
    h1 = build_matrix(cycle.master, "2026-H1", out=cycle.folder / "matrix-h1.xlsx").summary.completeness
    h1 = h1.set_index("ASB")
    assert (h1.loc["SOMTC", "Return"], h1.loc["ACWC", "Return"], h1.loc["ACWC", "Received"]) == (
        "on time",
        "late",
        "2026-08-20",
    )
