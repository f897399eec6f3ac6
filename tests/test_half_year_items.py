"""Issue 16, items 1, 2, 4 and 6, each on real files (templates issued from a real master, filled with openpyxl as
a file saved by Excel would be, merged by the real merge): what the secretariat saw go wrong in a half-year cycle.

1. two bodies' narratives on one row are both kept and shown, attributed; only the status can conflict;
2. after `tipwp period`, the next templates' "Last period" columns come from the History;
4. a period change keeps the unresolved conflicts; a late return goes into its own period, judged late on the day
   it was received; the master names the new period; going back is refused;
6. a row that claims another period than its file is reported and kept out of the file's period.
The whole cycle through LibreOffice, over three periods, is tests/test_half_year_cycle.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import letter
from tests.returns_kit import fill, issue, logs, master_values, row_places
from xlsx_tools.matrix.core import completeness, matrix_input
from xlsx_tools.merge.master_book import open_master
from xlsx_tools.merge.run import MergeOptions, merge_returns, open_new_period
from xlsx_tools.returns.issue import issue_templates
from xlsx_tools.sheet_names import HISTORY_SHEET
from xlsx_tools.workbook.master import build_master

pytestmark = pytest.mark.slow  # end to end, each test merging real files: kept out of the fast loop

ROW = "A.1.1-01"  # coordinated by SOMTC, supported by ACWC and SOM-ED (in that order in the plan)


@pytest.fixture(scope="module")
def blank_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("items") / "master.xlsx"
    build_master(path, plan_id="bwp2", period="2026-H2")
    return path


@pytest.fixture
def master(blank_master: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(blank_master, tmp_path / "master.xlsx"))


def test_narratives_of_two_bodies_are_combined_and_only_the_status_conflicts(master: Path, tmp_path: Path) -> None:
    templates = issue(master, tmp_path / "t", asbs=("SOMTC", "ACWC", "SOM-ED"))
    fill(
        templates["ACWC"],
        {ROW: {"status": "Completed", "progress": "ACWC held a workshop.", "event_dates": "6 July 2026"}},
    )
    fill(templates["SOMTC"], {ROW: {"status": "Ongoing", "progress": "SOMTC drafted guidelines."}})
    fill(templates["SOM-ED"], {ROW: {"progress": "SOMTC drafted guidelines."}})  # the same words as SOMTC's
    result = merge_returns(master, [templates["ACWC"], templates["SOM-ED"], templates["SOMTC"]])
    shown = master_values(master)[ROW]
    # coordinating body first, then the supporting bodies in the row's order, whatever order the files came in
    assert shown["progress"] == (
        "SOMTC: SOMTC drafted guidelines.\nACWC: ACWC held a workshop.\nSOM-ED: SOMTC drafted guidelines."
    )
    assert shown["event_dates"] == "6 July 2026"  # one body gave dates: shown as given
    assert shown["status"] == "Ongoing"
    conflicts = logs(master)["Conflicts"]
    assert [(c["period"], c["row_id"], c["field"]) for c in conflicts] == [("2026-H2", ROW, "Status")]
    assert result.conflicts == 1
    # the per-body values stay available for a report that prints each body's own text
    opened = open_master(master)
    from xlsx_tools.merge.consolidate import resolve_period

    resolved, _ = resolve_period(opened.state, "2026-H2")
    assert resolved[(ROW, "progress")].parts == (
        ("SOMTC", "SOMTC drafted guidelines."),
        ("ACWC", "ACWC held a workshop."),
        ("SOM-ED", "SOMTC drafted guidelines."),
    )
    # the matrix reads the combined value
    data = matrix_input(opened.context, opened.state, "2026-H2")
    progress = data.reports.set_index(["row_id", "period"]).loc[(ROW, "2026-H2"), "progress"]
    assert progress == shown["progress"]
    # a later return changes one body's part; the combined text it replaces is the merge's, not typed in the master
    fill(templates["SOMTC"], {ROW: {"progress": "SOMTC adopted guidelines."}}, tmp_path / "again.xlsx")
    merge_returns(master, [tmp_path / "again.xlsx"])
    assert master_values(master)[ROW]["progress"].startswith("SOMTC: SOMTC adopted guidelines.\nACWC: ")
    assert [h for h in logs(master)[HISTORY_SHEET] if h["asb"] == "(master)"] == []
    assert open_new_period(master, "2027-H1").written
    assert [h for h in logs(master)[HISTORY_SHEET] if h["asb"] == "(master)"] == []


def _previous_columns(template: Path) -> dict[str, tuple[str, str]]:
    book = openpyxl.load_workbook(template)
    out = {}
    for row_id, (sheet, excel_row, columns) in row_places(book).items():
        cells = book[sheet]
        status = cells.cell(row=excel_row, column=columns["previous_status"]).value or ""
        progress = cells.cell(row=excel_row, column=columns["previous_progress"]).value or ""
        out[row_id] = (str(status), str(progress))
    return out


def test_last_period_columns_come_from_the_history_after_a_new_period_is_opened(master: Path, tmp_path: Path) -> None:
    templates = issue(master, tmp_path / "h2", asbs=("SOMTC", "ACWC"))
    fill(templates["SOMTC"], {ROW: {"status": "Ongoing", "progress": "Guidelines drafted."}})
    fill(templates["ACWC"], {ROW: {"status": "Completed", "progress": "Workshop held.", "event_dates": "6 July 2026"}})
    merge_returns(master, [templates["SOMTC"], templates["ACWC"]])
    assert open_new_period(master, "2027-H1").written
    assert master_values(master)[ROW]["status"] == ""  # the cells are empty for the new period
    again = issue(master, tmp_path / "h1", period="2027-H1", asbs=("SOMTC", "SOM-ED"))
    expected = ("Ongoing", "SOMTC: Guidelines drafted.\nACWC: Workshop held.")  # consolidated: SOMTC coordinates
    assert _previous_columns(again["SOMTC"])[ROW] == expected
    assert _previous_columns(again["SOM-ED"])[ROW] == expected  # a body that did not report sees the row's record
    book = openpyxl.load_workbook(again["SOMTC"])
    words = " ".join(str(c.value) for c in book["Instructions"]["A"] if c.value)
    assert "(2026-H2)" in words  # the Instructions say which period the grey columns show


def test_a_new_period_keeps_unresolved_conflicts_names_itself_and_never_goes_back(master: Path, tmp_path: Path) -> None:
    templates = issue(master, tmp_path / "t", asbs=("SOMTC", "ACWC"))
    fill(templates["SOMTC"], {ROW: {"status": "Ongoing"}})
    fill(templates["ACWC"], {ROW: {"status": "Postponed"}})
    merge_returns(master, [templates["SOMTC"], templates["ACWC"]])
    assert open_new_period(master, "2027-H1").written
    conflicts = logs(master)["Conflicts"]
    assert [(c["period"], c["row_id"], c["field"], c["values"]) for c in conflicts] == [
        ("2026-H2", ROW, "Status", "SOMTC: Ongoing\nACWC: Postponed")
    ]
    book = openpyxl.load_workbook(master)
    instructions = " ".join(str(c.value) for c in book["Instructions"]["A"] if c.value)
    assert "prepared for 2027-H1" in instructions and "2026-H2" not in instructions
    headers = {s.title: s.oddHeader.right.text for s in book.worksheets if s.oddHeader.right.text}
    assert headers and set(headers.values()) == {"Master workbook, 2027-H1"}, headers
    # a decision typed on the kept conflict is applied to its own period (the matrix of 2026-H2 shows it)
    book["Conflicts"]["G2"].value = "ACWC"
    book.save(master)
    late = fill(templates["SOMTC"], {ROW: {"status": "Ongoing", "progress": "Still drafting."}}, tmp_path / "s2.xlsx")
    merge_returns(master, [late])
    opened = open_master(master)
    data = matrix_input(opened.context, opened.state, "2026-H2")
    assert data.reports.set_index(["row_id", "period"]).loc[(ROW, "2026-H2"), "status"] == "Postponed"
    back = open_new_period(master, "2026-H1")
    assert back.report.codes() == ["MERGE_531"] and not back.written and back.report.exit_code == 1
    assert open_master(master).state.period == "2027-H1"


def test_a_late_return_is_merged_into_its_own_period_and_judged_on_the_day_received(
    blank_master: Path, tmp_path: Path
) -> None:
    master = tmp_path / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H1")
    folder = tmp_path / "h1"
    issued = {t.asb: t.path for t in issue_templates(master, "2026-H1", folder, ("SOMTC", "ACWC"), "2026-07-31")}
    fill(issued["ACWC"], {ROW: {"status": "Ongoing", "progress": "On time."}})
    merge_returns(master, [issued["ACWC"]], MergeOptions(received="2026-07-20"))
    assert open_new_period(master, "2026-H2").written
    fill(issued["SOMTC"], {ROW: {"status": "Completed", "progress": "Done.", "event_dates": "6 June 2026"}})
    result = merge_returns(master, [issued["SOMTC"]], MergeOptions(received="2026-08-15"))
    assert [o.outcome for o in result.outcomes] == ["merged"] and result.report.exit_code == 0
    late = [f for f in result.report.findings if f.code == "MERGE_530"]
    assert len(late) == 1 and late[0].value == "2026-H1" and "2026-H1" in late[0].message
    assert master_values(master)[ROW]["status"] == ""  # the open period's cells are untouched
    history = [h for h in logs(master)[HISTORY_SHEET] if h["asb"] == "SOMTC"]
    assert {h["period"] for h in history} == {"2026-H1"}
    opened = open_master(master)
    data = matrix_input(opened.context, opened.state, "2026-H1")
    shown = data.reports.set_index(["row_id", "period"]).loc[(ROW, "2026-H1")]
    assert (shown["status"], shown["progress"]) == ("Completed", "SOMTC: Done.\nACWC: On time.")
    table = completeness(data).set_index("ASB")
    assert (table.loc["SOMTC", "Return"], table.loc["SOMTC", "Received"]) == ("late", "2026-08-15")
    assert (table.loc["ACWC", "Return"], table.loc["ACWC", "Received"]) == ("on time", "2026-07-20")
    audit = logs(master)["Audit"]
    assert [(a["asb"], a["period"], a["received"]) for a in audit] == [
        ("ACWC", "2026-H1", "2026-07-20"),
        ("SOMTC", "2026-H1", "2026-08-15"),
    ]


def test_a_row_claiming_another_period_is_reported_and_kept_out(master: Path, tmp_path: Path) -> None:
    template = issue(master, tmp_path / "t", asbs=("SOMTC",))["SOMTC"]
    other = "A.1.1-02"
    fill(template, {ROW: {"status": "Ongoing"}, other: {"status": "Completed", "progress": "Next year's news."}})
    book = openpyxl.load_workbook(template)
    sheet_name, excel_row, _ = row_places(book)[other]
    sheet = book[sheet_name]
    sheet.protection.sheet = False  # the row was pasted in from another period's return
    sheet[f"{letter('reporting_period')}{excel_row}"].value = "2027-H1"
    book.save(template)
    result = merge_returns(master, [template])
    claims = [f for f in result.report.findings if f.code == "ROW_210"]
    assert len(claims) == 1
    assert (claims[0].sheet, claims[0].cell, claims[0].value) == (
        sheet_name,
        f"{letter('reporting_period')}{excel_row}",
        "2027-H1",
    )
    shown = master_values(master)
    assert shown[ROW]["status"] == "Ongoing"  # the file's other rows are merged
    assert (shown[other]["status"], shown[other]["progress"]) == ("", "")  # not shown under 2026-H2
    held = [h for h in logs(master)[HISTORY_SHEET] if h["row_id"] == other]
    assert held and all(h["status"] == "held back" and "2027-H1" in h["note"] for h in held)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"key": "outcome", "role": "plan", "merge": "combine"}, "only on a reporting column"),
        ({"key": "narrative", "role": "reporting", "merge": "append"}, "merge must be one of"),
        ({"key": "row_check", "role": "check"}, "a check column is hidden everywhere"),  # item 7
        ({"key": "row_check", "role": "check", "hidden": True, "list": "STATUS_LIST"}, "has no slots, list"),
    ],
)
def test_a_wrong_merge_declaration_stops_at_load(column: dict[str, object], message: str) -> None:
    from xlsx_tools.layout.loader import LayoutError, parse_layout

    reporting = [
        {"key": "reporting_period", "header": "Reporting period", "role": "reporting"},
        {"key": "reporting_asb", "header": "Reporting ASB", "role": "reporting", "merge": "combine"},
    ]
    columns = [{"key": "row_id", "header": "Row ID", "role": "id"}, {"header": "X", **column}, {"include": "reporting"}]
    with pytest.raises(LayoutError, match=message):
        parse_layout({"reporting": reporting[:1] + reporting[1:], "sheets": {"k": {"columns": columns}}}, set())
    reporting[1].pop("merge")
    columns[1] = {"key": "narrative", "header": "X", "role": "reporting", "merge": "combine"}
    layout = parse_layout({"reporting": reporting, "sheets": {"k": {"columns": columns}}}, set())
    assert layout.sheet("k").combine_keys == {"narrative"}
    with pytest.raises(LayoutError, match="not a value"):
        reporting[1]["merge"] = "combine"
        parse_layout({"reporting": reporting, "sheets": {"k": {"columns": columns}}}, set())
