"""Per-body return templates issued from a real master: rows, prefilled cells, manifest, validation, LibreOffice,
how a return looks (context hidden, pages across), and last period's values shown read-only beside the new columns."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import letter, set_cells
from tests.returns_kit import fill, issue, logs, master_values, row_places
from tests.test_cli import tipwp
from xlsx_tools.layout.loader import LayoutError, parse_layout
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.plan.cells import fingerprint, plan_cells
from xlsx_tools.plan.context import plan_context
from xlsx_tools.plan.loader import load_plan
from xlsx_tools.returns.issue import IssueError, issue_templates, previous_values
from xlsx_tools.returns.manifest import MANIFEST_SHEET
from xlsx_tools.sheet_names import HISTORY_SHEET, IDENTITY_SHEET
from xlsx_tools.validate.checks import validate_file
from xlsx_tools.validate.rules import schema_for
from xlsx_tools.workbook.master import build_master

pytestmark = pytest.mark.slow  # end to end, over 10 s in all: kept out of the fast loop

PILLARS = ["A. Prevention", "B. Protection", "C. Law enforcement", "D. Cooperation"]


@pytest.fixture(scope="module")
def issued(master_bwp2: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("returns")
    return {t.asb: t.path for t in issue_templates(master_bwp2, "2026-H2", out, due="2027-01-31")}


def expected_rows(asb: str) -> list[str]:
    """Rows naming the body as coordinating, co-coordinating or supporting ASB, computed from the plan itself."""
    ids = []
    for _, row in load_plan("bwp2").rows():
        names = {
            row.text("coordinating_asb"),
            *row.text("co_coordinating_asb").split("; "),
            *row.items("supporting_asb"),
        }
        if asb in names:
            ids.append(row.row_id)
    return ids


def template_ids(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [r[0] for name in PILLARS for r in book[name].iter_rows(min_row=2, values_only=True) if r[0]]


def test_one_template_per_body_named_in_the_plan(issued: dict[str, Path]) -> None:
    assert {"SOMTC", "ACWC", "AICHR", "SLOM", "TELMIN", "SOM-ED"} <= set(issued)
    assert "Relevant ASBs" not in issued  # collective terms get no template
    assert issued["SOM-ED"].name == "2026-H2_SOM-ED_return.xlsx"
    assert all(p.suffix == ".xlsx" for p in issued.values())


@pytest.mark.parametrize("asb", ["SOMTC", "ACWC", "TELMIN", "SOMHD"])
def test_template_holds_exactly_the_bodys_rows(issued: dict[str, Path], asb: str) -> None:
    assert template_ids(issued[asb]) == expected_rows(asb)


def test_body_and_period_are_prefilled_and_manifest_fingerprints_match(issued: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(issued["TELMIN"])
    sheet = book["A. Prevention"]
    headers = [c.value for c in sheet[1]]
    row = dict(zip(headers, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert row["Row ID"] == "A.7.3-01" and row["Reporting ASB"] == "TELMIN" and row["Reporting period"] == "2026-H2"
    assert row["Status"] is None
    identity = {k: v for k, v, *_ in book["_tipwp"].iter_rows(values_only=True)}
    assert identity["kind"] == "return" and identity["asb"] == "TELMIN" and identity["due"] == "2027-01-31"
    manifest = book[MANIFEST_SHEET]
    assert manifest.sheet_state == "veryHidden"
    values = [r for r in manifest.iter_rows(values_only=True)]
    meta = {r[0]: r[1] for r in values if r and r[0] and r[1] and r[0] != "row_id" and len(r) >= 2}
    assert meta["template_id"] == identity["template_id"]
    entries = values[[r[0] for r in values].index("row_id") + 1 :]
    context = plan_context("bwp2")
    plan_row = context.rows_by_id["A.7.3-01"]
    assert entries == [("A.7.3-01", "A. Prevention", fingerprint(context.sheet, plan_cells(context.sheet, plan_row)))]


def test_a_fresh_template_validates_clean(issued: dict[str, Path]) -> None:
    findings = validate_file(issued["ACWC"])
    assert [f for f in findings if f.severity.value != "warning"] == []


def test_unknown_body_is_refused_with_a_suggestion(master_bwp2: Path, tmp_path: Path) -> None:
    with pytest.raises(IssueError, match="Did you mean SOMTC"):
        issue_templates(master_bwp2, "2026-H2", tmp_path, asbs=["SOMTCC"])
    assert list(tmp_path.iterdir()) == []


def test_cli_issue_for_chosen_bodies(master_bwp2: Path, tmp_path: Path) -> None:
    result = tipwp("issue", master_bwp2, "--period", "2026-h2", "--out", tmp_path, "--asb", "somed", "--asb", "ACWC")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-H2_ACWC_return.xlsx", "2026-H2_SOM-ED_return.xlsx"]
    assert tipwp("issue", master_bwp2, "--period", "2026-H3", "--out", tmp_path).returncode == 2


def test_template_opens_in_libreoffice(issued: dict[str, Path], soffice: str, tmp_path: Path) -> None:
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    subprocess.run(
        [
            soffice,
            profile,
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(issued["ACWC"]),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    converted = tmp_path / "out" / issued["ACWC"].name
    assert template_ids(converted) == template_ids(issued["ACWC"])


# --- how a return looks: context hidden (not removed), the row's name kept in view, readable pages ---


def test_context_columns_are_hidden_locked_and_still_there(issued: dict[str, Path]) -> None:
    layout = plan_context("bwp2").sheet
    sheet = openpyxl.load_workbook(issued["SOMTC"])["A. Prevention"]
    assert [c.value for c in sheet[1]] == list(layout.headers)  # nothing removed: the merge reads by header
    shown = [c.key for c in layout.columns if not sheet.column_dimensions[letter(c.key)].hidden]
    assert shown == [
        "type_code",
        "activity_no",
        "activity",
        "coordinating_asb",
        "indicators",
        "previous_status",
        "previous_progress",
        "status",
        "progress",
        "indicator_results",
        "event_dates",
        "resource_needs",
    ]
    for column in layout.columns:
        cell = sheet[f"{letter(column.key)}2"]
        if column.hidden_for("return"):
            assert cell.protection.locked, column.header  # hidden columns stay locked, prefilled ones too
        assert cell.protection.locked is (column.role != "reporting" or column.hidden_for("return")), column.header
    assert sheet[f"{letter('outcome_text')}2"].value  # hidden plan text is still written …
    assert sheet[f"{letter('reporting_period')}2"].value == "2026-H2"  # … and so are the prefilled period and body


def test_return_keeps_the_rows_name_in_view_and_prints_it_on_every_page(issued: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(issued["SOMTC"])["A. Prevention"]
    after_activity = chr(ord(letter("activity")) + 1)
    assert sheet.freeze_panes == f"{after_activity}2"
    assert sheet.print_title_cols == f"${letter('type_code')}:${letter('activity')}"
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is False and sheet.page_setup.scale >= 70
    (first_break,) = [b.id for b in sheet.col_breaks.brk]
    keys = [c.key for c in plan_context("bwp2").sheet.columns]
    assert {"status", "progress"} <= set(keys[:first_break])  # page 1 has the columns to fill
    assert sheet.oddHeader.right.text == "Return of SOMTC for 2026-H2, due 2027-01-31"
    assert "&A" not in sheet.oddHeader.center.text


def test_return_instructions_print_readably(issued: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(issued["ACWC"])["Instructions"]
    assert sheet.page_setup.orientation == "portrait" and sheet.page_setup.fitToWidth == 1
    assert all(sheet.row_dimensions[r].height for r in range(1, sheet.max_row + 1))
    assert sheet["A1"].value.endswith("return for ACWC, period 2026-H2")


# --- last period's values, read-only beside the new columns ---

EARLIER = {
    "A.1.1-01": {"status": "Ongoing", "progress": "Curricula drafted with two Member States."},
    "A.1.1-02": {"status": "Completed", "progress": "Campaign launched on 6 June 2026.", "event_dates": "6 June 2026"},
}


@pytest.fixture(scope="module")
def reported_h1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A master opened for 2026-H1 whose rows A.1.1-01 and -02 hold what was reported for 2026-H1."""
    folder = tmp_path_factory.mktemp("h1")
    master = folder / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H1")
    return fill(master, EARLIER)


def _cells(path: Path, row_id: str) -> dict[str, tuple[object, bool]]:
    """Column key → (value, locked) of a row of an issued template."""
    sheet_name, excel_row, columns = row_places(openpyxl.load_workbook(path))[row_id]
    sheet = openpyxl.load_workbook(path)[sheet_name]
    return {
        key: (sheet.cell(row=excel_row, column=c).value, sheet.cell(row=excel_row, column=c).protection.locked)
        for key, c in columns.items()
    }


def test_next_periods_template_shows_last_periods_values_read_only(reported_h1: Path, tmp_path: Path) -> None:
    template = issue(reported_h1, tmp_path, period="2026-H2", asbs=("SOMTC",))["SOMTC"]
    row = _cells(template, "A.1.1-02")
    assert row["previous_status"] == ("Completed", True)
    assert row["previous_progress"] == ("Campaign launched on 6 June 2026.", True)
    assert row["status"] == (None, False) and row["progress"] == (None, False)  # the new columns start blank
    assert row["reporting_period"][0] == "2026-H2"
    assert _cells(template, "A.1.1-01")["previous_status"] == ("Ongoing", True)
    assert _cells(template, "A.1.1-03")["previous_status"] == (None, True)  # nothing reported for that row
    sheet = openpyxl.load_workbook(template)["A. Prevention"]
    column = letter("previous_status")
    assert not sheet.column_dimensions[column].hidden
    assert sheet[f"{column}2"].fill.fgColor.rgb.endswith("EDEDED")  # grey
    assert not [v for v in sheet.data_validations.dataValidation if column in str(v.sqref)]  # no dropdown, no rule
    lines = [c.value for c in openpyxl.load_workbook(template)["Instructions"]["A"] if c.value]
    assert any("Last period" in line and "2026-H1" in line for line in lines)
    findings = validate_file(template)
    assert [f for f in findings if f.severity.value != "warning"] == []


def test_same_periods_template_leaves_the_previous_columns_blank(reported_h1: Path, tmp_path: Path) -> None:
    template = issue(reported_h1, tmp_path, period="2026-H1", asbs=("SOMTC",))["SOMTC"]
    for row_id in EARLIER:
        row = _cells(template, row_id)
        assert row["previous_status"] == (None, True) and row["previous_progress"] == (None, True)


def test_previous_values_follow_each_rows_own_period() -> None:
    layout = plan_context("bwp2").sheet
    record = {"status": "Ongoing", "progress": "Done a bit.", "reporting_period": "2025-H2"}
    assert previous_values(layout, record, "2026-H2", "2026-H1") == {
        "previous_status": "Ongoing",
        "previous_progress": "Done a bit.",
    }
    assert previous_values(layout, {**record, "reporting_period": ""}, "2026-H2", "2026-H2")["previous_status"] == ""
    assert previous_values(layout, {**record, "reporting_period": "2027-H1"}, "2026-H2", "")["previous_status"] == ""
    assert previous_values(layout, {**record, "reporting_period": "soon"}, "2026-H2", "")["previous_status"] == ""


def test_previous_columns_are_not_plan_text_and_never_merged() -> None:
    layout = plan_context("bwp2").sheet
    assert {c.key for c in layout.previous} == {"previous_status", "previous_progress"}
    assert not {c.key for c in layout.previous} & {c.key for c in (*layout.reporting, *layout.value_columns)}
    row = plan_context("bwp2").rows_by_id["A.1.1-01"]
    cells = plan_cells(layout, row)
    assert "previous_status" not in cells
    assert fingerprint(layout, cells) == fingerprint(layout, {**cells, "previous_status": "Ongoing"})
    assert schema_for(layout)["previous_status"] == {}  # cerberus takes any value, checks nothing


def test_merge_ignores_the_previous_columns(reported_h1: Path, tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    shutil.copy(reported_h1, master)
    template = issue(master, tmp_path / "out", period="2026-H2", asbs=("SOMTC",))["SOMTC"]
    set_cells(master, IDENTITY_SHEET, {f"B{_identity_row(master, 'period')}": "2026-H2"})  # the H2 round opens
    # the body reports, and someone who unprotected the sheet also overwrote a previous cell
    fill(template, {"A.1.1-02": {"status": "Ongoing", "progress": "Second campaign planned.", "previous_status": "X"}})
    result = merge_returns(master, [template])
    assert result.written, [f.message for f in result.report.findings]
    after = master_values(master)
    assert after["A.1.1-02"]["status"] == "Ongoing"
    assert after["A.1.1-02"]["progress"] == "Second campaign planned."
    for row in after.values():  # the master's previous columns stay blank
        assert row["previous_status"] == "" and row["previous_progress"] == ""
    history = logs(master)[HISTORY_SHEET]
    assert history and not [h for h in history if "previous" in " ".join(h.values()).casefold()]
    assert not logs(master)["Proposals"]


def _identity_row(path: Path, key: str) -> int:
    sheet = openpyxl.load_workbook(path)[IDENTITY_SHEET]
    return next(r for r in range(1, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == key)


def _layout_with(column: dict[str, object]) -> dict[str, object]:
    reporting = [
        {"key": "reporting_period", "header": "Reporting period", "role": "reporting"},
        {"key": "reporting_asb", "header": "Reporting ASB", "role": "reporting"},
        {"key": "status", "header": "Status", "role": "reporting"},
    ]
    columns = [{"key": "row_id", "header": "Row ID", "role": "id"}, column, {"include": "reporting"}]
    return {"reporting": reporting, "sheets": {"k": {"columns": columns}}}


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"role": "previous"}, "names the reporting column it shows"),
        ({"role": "previous", "from": "status", "list": "X"}, "remove list"),
        ({"role": "previous", "from": "reporting_period"}, "not a reported value column"),
        ({"role": "previous", "from": "nothing"}, "not a reported value column"),
        ({"role": "plan", "from": "status"}, "only a previous column takes 'from'"),
        ({"role": "plan", "hidden": "sometimes"}, "hidden must be"),
    ],
)
def test_a_wrong_previous_or_hidden_declaration_stops_at_load(column: dict[str, object], message: str) -> None:
    with pytest.raises(LayoutError, match=message):
        parse_layout(_layout_with({"key": "last", "header": "Last", **column}), set())


def test_a_previous_column_declaration_loads() -> None:
    layout = parse_layout(_layout_with({"key": "last", "header": "Last", "role": "previous", "from": "status"}), set())
    (column,) = layout.sheet("k").previous
    assert column.source == "status" and column.locked and not column.hidden_for("return")


def test_spare_rows_let_a_body_write_a_new_activity(tmp_path: Path, master_bwp2: Path) -> None:
    """The instructions say: write a new activity in an empty row, with its type code; those cells must be open."""
    template = issue_templates(master_bwp2, "2026-H2", tmp_path, asbs=["SOMTC"])[0].path
    sheet = openpyxl.load_workbook(template)["A. Prevention"]
    spare = sheet.max_row  # the last spare row
    for key in ("type_code", "activity_no", "activity", "status", "progress"):
        assert not sheet[f"{letter(key)}{spare}"].protection.locked, key
    assert sheet[f"{letter('coordinating_asb')}{spare}"].protection.locked
    assert sheet[f"{letter('activity')}2"].protection.locked  # plan rows stay locked


def test_manifest_names_the_plan_and_its_version(issued: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(issued["SOMTC"])
    values = {row[0].value: row[1].value for row in book[MANIFEST_SHEET].iter_rows() if row[0].value}
    assert (values["plan_id"], values["plan_version"]) == ("bwp2", "2.0 (endorsed 4 August 2023)")
