"""Issue 18, items 4 and 6: what a master issued, and what it wrote, is what counts.

Item 4: a return whose identity and manifest were edited to claim another body, another period or due date is
refused (MERGE_525: the master's issue token no longer matches); another body's rows pasted into a return are held
back, never credited to the sender (MERGE_526), while new activities typed in spare rows are still proposals.
Item 6: a record sheet whose lines were deleted or changed by a person is noticed on open (MERGE_524, the newest
backup named) and never rewritten; sorting it, or typing decisions, is not damage. Every file is built here with
openpyxl as a person's edit would leave it; each test failed on the code before.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.returns_kit import fill, logs, master_values, row_places, template_rows
from xlsx_tools.issue_token import KEY_FIELD
from xlsx_tools.merge.log_sheets import AUDIT, CONFLICTS, HISTORY
from xlsx_tools.merge.record_digest import RECORDS_FIELD
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.office import convert
from xlsx_tools.plan.context import plan_context
from xlsx_tools.returns.issue import issue_templates
from xlsx_tools.returns.manifest import MANIFEST_SHEET
from xlsx_tools.sheet_names import IDENTITY_SHEET
from xlsx_tools.workbook.master import build_master

pytestmark = pytest.mark.slow  # end to end, each test merging real files: kept out of the fast loop

SHARED_ROW = "A.1.1-01"  # coordinated by SOMTC, supported by SOM-ED and ACWC
ROW_ADDED = ["D.1.1-01", "D. Cooperation", plan_context("bwp2").fingerprints["D.1.1-01"]]  # not ACWC's: a true print
FIRST = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)
LATER = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("identity18")
    master = folder / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H2")
    templates = issue_templates(master, "2026-H2", folder / "templates", asbs=("SOMTC", "ACWC"), due="2026-12-15")
    return master, {t.asb: t.path for t in templates}


@pytest.fixture
def cycle(issued: tuple[Path, dict[str, Path]], tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    master, templates = issued
    shutil.copy(master, tmp_path / "master.xlsx")
    (tmp_path / "in").mkdir()
    return tmp_path / "master.xlsx", {asb: shutil.copy(p, tmp_path / "in" / p.name) for asb, p in templates.items()}


def edit(path: Path, change: Callable[[Any], None], out: Path | None = None) -> Path:
    target = Path(shutil.copy(path, out)) if out else path
    book = openpyxl.load_workbook(target)
    change(book)
    book.save(target)
    return target


def set_key(sheet: Any, key: str, value: str) -> None:
    row = next(r for r in sheet.iter_rows() if r[0].value == key)
    row[1].value = value


def claim(**values: str) -> Callable[[Any], None]:
    """Unhide identity and manifest and write `values` into both, consistently (what a careful forger does)."""

    def change(book: Any) -> None:
        for title in (IDENTITY_SHEET, MANIFEST_SHEET):
            for key, value in values.items():
                set_key(book[title], key, value)

    return change


# 4 -------------------------------------------------------------------------------------------------------------


def test_item04_a_return_edited_to_claim_another_body_does_not_supersede_its_report(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, templates = cycle
    genuine = fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing", "progress": "Workshop held in Manila"}})
    merge_returns(master, [genuine], now=FIRST)
    forged = edit(templates["ACWC"], claim(asb="SOMTC"), out=tmp_path / "2026-H2_SOMTC_return (2).xlsx")
    fill(forged, {SHARED_ROW: {"status": "Discontinued", "progress": "Cancelled"}})
    result = merge_returns(master, [forged], now=LATER)
    assert [o.outcome for o in result.outcomes] == ["refused"]
    (finding,) = [f for f in result.report.errors if f.code == "MERGE_525"]
    assert finding.file == forged.name and finding.sheet == MANIFEST_SHEET
    assert "SOMTC" in finding.message and "template issued to it" in finding.message
    shown = master_values(master)[SHARED_ROW]
    assert (shown["status"], shown["progress"]) == ("Ongoing", "Workshop held in Manila")


@pytest.mark.parametrize(
    ("issued_for", "change"),
    [
        pytest.param("2026-H1", claim(period="2026-H2"), id="period"),
        pytest.param("2026-H2", lambda book: set_key(book[MANIFEST_SHEET], "due", "2027-03-31"), id="due date"),
        pytest.param("2026-H2", lambda book: book[MANIFEST_SHEET].append(ROW_ADDED), id="row added"),
    ],
)
def test_item04_a_template_whose_period_due_date_or_rows_were_edited_is_refused(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path, issued_for: str, change: Callable[[Any], None]
) -> None:
    master, _ = cycle
    template = issue_templates(master, issued_for, tmp_path / "issued", asbs=("ACWC",), due="2026-12-15")[0].path
    edited = edit(template, change, out=tmp_path / "in" / "ACWC.xlsx")
    fill(edited, {SHARED_ROW: {"status": "Ongoing"}})
    result = merge_returns(master, [edited])
    assert [o.outcome for o in result.outcomes] == ["refused"]
    assert {f.code for f in result.report.errors} == {"MERGE_525"}, result.report.findings
    assert master_values(master)[SHARED_ROW]["status"] == ""


@pytest.mark.parametrize("bare", [False, True], ids=["template", "rows copied into a new workbook"])
def test_item04_another_bodys_row_pasted_into_a_return_is_held_back_and_a_new_activity_still_proposed(
    cycle: tuple[Path, dict[str, Path]], bare: bool
) -> None:
    master, templates = cycle
    context = plan_context("bwp2")
    acwc_rows = set(template_rows(templates["ACWC"]))
    sheet_of = {row_id: place[0] for row_id, place in row_places(openpyxl.load_workbook(templates["SOMTC"])).items()}
    acwc_sheets = {sheet_of[r] for r in acwc_rows if r in sheet_of}
    foreign = next(
        r
        for r in template_rows(templates["SOMTC"])
        if r not in acwc_rows and sheet_of[r] in acwc_sheets and context.bodies[r][0] == ("SOMTC",)
    )
    somtc = openpyxl.load_workbook(templates["SOMTC"])
    _, somtc_row, _ = row_places(somtc)[foreign]
    source = somtc[sheet_of[foreign]][somtc_row]

    def paste(book: Any) -> None:
        sheet = book[sheet_of[foreign]]
        places = row_places(book)
        last = max(row for s, row, _ in places.values() if s == sheet.title)
        for cell in source:
            sheet.cell(row=last + 1, column=cell.column).value = cell.value
        columns = places[next(iter(places))][2]
        sheet.cell(row=last + 1, column=columns["status"]).value = "Discontinued"
        sheet.cell(row=last + 3, column=columns["type_code"]).value = "A.1.1"
        sheet.cell(row=last + 3, column=columns["activity"]).value = "Regional hotline for survivors"
        if bare:  # no identity, no manifest: the body is read from the rows, which all say ACWC
            sheet.cell(row=last + 1, column=columns["reporting_asb"]).value = "ACWC"
            book.remove(book[MANIFEST_SHEET])
            book.remove(book[IDENTITY_SHEET])

    edit(templates["ACWC"], paste)
    fill(templates["ACWC"], {SHARED_ROW: {"resource_needs": "Interpreters"}})
    result = merge_returns(master, [templates["ACWC"]])
    assert [o.outcome for o in result.outcomes] == ["merged"]
    held = [f for f in result.report.errors if f.code == "MERGE_526"]
    assert [(f.row_id, f.file) for f in held] == [(foreign, templates["ACWC"].name)]
    assert "SOMTC" in held[0].message and "ACWC" in held[0].message
    shown = master_values(master)
    assert shown[foreign]["status"] == "" and shown[SHARED_ROW]["resource_needs"] == "Interpreters"
    history = logs(master)[HISTORY.title]
    (line,) = [h for h in history if h["row_id"] == foreign]
    assert (line["asb"], line["status"], line["note"]) == ("ACWC", "held back", "held back: MERGE_526")
    assert "MERGE_508" in result.report.codes()  # the activity typed in a spare row is still a proposal
    assert ("MERGE_503" in result.report.codes()) is bare
    assert any("Regional hotline for survivors" in p["proposed"] for p in logs(master)["Proposals"])


def test_item04_the_masters_key_never_reaches_a_template(issued: tuple[Path, dict[str, Path]]) -> None:
    master, templates = issued
    identity = openpyxl.load_workbook(master)[IDENTITY_SHEET]
    key = next(str(r[1].value) for r in identity.iter_rows() if r[0].value == KEY_FIELD)
    assert len(key) == 64
    for template in templates.values():
        with zipfile.ZipFile(template) as package:
            assert not any(key.encode() in package.read(name) for name in package.namelist())


# 6 -------------------------------------------------------------------------------------------------------------


def two_rounds(master: Path, templates: dict[str, Path], tmp_path: Path) -> None:
    first = fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}}, out=tmp_path / "first.xlsx")
    merge_returns(master, [first], now=FIRST)
    second = fill(templates["SOMTC"], {SHARED_ROW: {"status": "Postponed"}}, out=tmp_path / "second.xlsx")
    merge_returns(master, [second], now=LATER)
    acwc = fill(templates["ACWC"], {SHARED_ROW: {"status": "Ongoing"}}, out=tmp_path / "acwc.xlsx")
    merge_returns(master, [acwc], now=LATER + dt.timedelta(days=1))  # a conflict: a Decision can be typed


def edited_record_sheet(master: Path, title: str, change: Callable[[list[list[object]]], list[list[object]]]) -> None:
    """A person's edit of a record sheet (unprotected; rows sorted, deleted or changed), saved by openpyxl."""
    book = openpyxl.load_workbook(master)
    sheet = book[title]
    rows = change([[cell.value for cell in row] for row in sheet.iter_rows()])
    sheet.delete_rows(1, sheet.max_row)
    for row in rows:
        sheet.append(row)
    book.save(master)


def value_changed(rows: list[list[object]]) -> list[list[object]]:
    at = rows[0].index("Value")
    return [rows[0], *[[*r[:at], "Completed" if r[at] == "Ongoing" else r[at], *r[at + 1 :]] for r in rows[1:]]]


@pytest.mark.parametrize(
    ("title", "change", "why"),
    [
        pytest.param(HISTORY.title, lambda rows: rows[:-1], "1 of its 3 lines were deleted", id="history line deleted"),
        pytest.param(HISTORY.title, value_changed, "lines were changed", id="history value changed"),
        pytest.param(AUDIT.title, lambda rows: rows[:1], "lines were deleted", id="audit emptied"),
    ],
)
def test_item06_a_record_sheet_with_lines_deleted_or_changed_is_refused_with_the_backup_named(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path, title: str, change: Callable[..., Any], why: str
) -> None:
    master, templates = cycle
    two_rounds(master, templates, tmp_path)
    edited_record_sheet(master, title, change)
    before = master.read_bytes()
    fill(templates["ACWC"], {SHARED_ROW: {"resource_needs": "Interpreters"}})
    result = merge_returns(master, [templates["ACWC"]])
    assert not result.written and master.read_bytes() == before
    (finding,) = result.report.fatal
    assert (finding.code, finding.sheet) == ("MERGE_524", title)
    assert why in finding.message
    newest = max((master.parent / "backups").glob("master.*.xlsx"), key=lambda p: p.stat().st_mtime)
    assert str(newest) in finding.message


def test_item06_sorting_a_record_sheet_or_typing_a_decision_is_not_damage(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, templates = cycle
    two_rounds(master, templates, tmp_path)
    identity = openpyxl.load_workbook(master)[IDENTITY_SHEET]
    assert any(r[0].value == RECORDS_FIELD and r[1].value for r in identity.iter_rows())
    edited_record_sheet(master, HISTORY.title, lambda rows: [rows[0], *sorted(rows[1:], key=str, reverse=True)])
    edited_record_sheet(master, AUDIT.title, lambda rows: [rows[0], *rows[:0:-1]])

    def decide(rows: list[list[object]]) -> list[list[object]]:
        at = rows[0].index("Decision")
        return [rows[0], *[[*r[:at], "SOMTC", *r[at + 1 :]] for r in rows[1:]]]

    edited_record_sheet(master, CONFLICTS.title, decide)
    fill(templates["ACWC"], {SHARED_ROW: {"resource_needs": "Interpreters"}})
    result = merge_returns(master, [templates["ACWC"]])
    assert result.written, result.report.findings
    shown = master_values(master)[SHARED_ROW]
    assert (shown["status"], shown["resource_needs"]) == ("Postponed", "Interpreters")


def test_item06_a_master_saved_by_libreoffice_is_not_taken_for_damaged(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    """The secretariat opens the master in LibreOffice and saves it: the record sheets read back as written."""
    master, templates = cycle
    two_rounds(master, templates, tmp_path)
    saved = convert(master, "xlsx", tmp_path / "saved")
    shutil.copy(saved, master)
    fill(templates["ACWC"], {SHARED_ROW: {"resource_needs": "Interpreters"}})
    result = merge_returns(master, [templates["ACWC"]])
    assert result.written and "MERGE_524" not in result.report.codes(), result.report.findings
