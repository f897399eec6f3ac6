"""Make returned templates the way sectoral bodies do: fill the orange cells of an issued template (openpyxl, as a
file saved by Excel would be), and read back what a master now holds. Used by the merge tests and the benchmark.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl

from xlsx_tools.layout.loader import load_layout
from xlsx_tools.merge.last_period import issue_returns
from xlsx_tools.merge.log_sheets import AUDIT, CONFLICTS, HISTORY, PROPOSALS, read_table

KIND = "bwp2"


def headers(kind: str = KIND) -> dict[str, str]:
    return {c.key: c.header for c in load_layout().sheet(kind).columns}


def row_places(book: Any, kind: str = KIND) -> dict[str, tuple[str, int, dict[str, int]]]:
    """Row id → (sheet, excel row, key → column) for every pillar-like sheet of an openpyxl book."""
    labels = {label: key for key, label in headers(kind).items()}
    places: dict[str, tuple[str, int, dict[str, int]]] = {}
    for sheet in book.worksheets:
        header = [c.value for c in sheet[1]] if sheet.max_row else []
        columns = {labels[str(v)]: i + 1 for i, v in enumerate(header) if v is not None and str(v) in labels}
        if "row_id" not in columns or len(columns) < len(labels) // 2:
            continue  # not a pillar sheet (History and friends have a Row ID column too)
        for excel_row in range(2, sheet.max_row + 1):
            row_id = sheet.cell(row=excel_row, column=columns["row_id"]).value
            if row_id:
                places[str(row_id)] = (sheet.title, excel_row, columns)
    return places


def fill(template: Path, values: Mapping[str, Mapping[str, Any]], out: Path | None = None) -> Path:
    """Write `values` (row id → column key → value) into a copy of `template` (or in place)."""
    target = out or template
    if out is not None:
        shutil.copy(template, out)
    book = openpyxl.load_workbook(target)
    places = row_places(book)
    for row_id, cells in values.items():
        sheet, excel_row, columns = places[row_id]
        for key, value in cells.items():
            book[sheet].cell(row=excel_row, column=columns[key]).value = value
    book.save(target)
    return target


def template_rows(template: Path) -> list[str]:
    book = openpyxl.load_workbook(template)
    return list(row_places(book))


def issue(master: Path, out_dir: Path, period: str = "2026-H2", asbs: tuple[str, ...] = ()) -> dict[str, Path]:
    return {t.asb: t.path for t in issue_returns(master, period, out_dir, asbs=asbs)}


def _loaded(master: Path | Any) -> Any:
    """An openpyxl book: `master` itself when it is one already (a test reading several things at once)."""
    return openpyxl.load_workbook(master) if isinstance(master, (str, Path)) else master


def master_values(master: Path | Any, kind: str = KIND) -> dict[str, dict[str, str]]:
    """Row id → column key → text shown in the master's pillar sheets (`master`: a path or a loaded book)."""
    book = _loaded(master)
    out: dict[str, dict[str, str]] = {}
    for row_id, (sheet, excel_row, columns) in row_places(book, kind).items():
        out[row_id] = {
            key: ""
            if book[sheet].cell(row=excel_row, column=c).value is None
            else str(book[sheet].cell(row=excel_row, column=c).value)
            for key, c in columns.items()
        }
    return out


def logs(master: Path | Any) -> dict[str, list[dict[str, str]]]:
    book = _loaded(master)
    return {log.title: read_table(book, log) for log in (HISTORY, CONFLICTS, PROPOSALS, AUDIT)}


# Realistic reporting values, for the benchmark and the fault-injection test: every row of a return filled the way a
# sectoral body would fill it (status from the dropdown; a 'Completed' row with its narrative and event date).

STATUSES = ("Not started", "Concept note / seeking funding", "Ongoing", "Completed", "Postponed", "Discontinued")
STATUS_WEIGHTS = (1, 2, 5, 4, 1, 1)
# no October: xlsx_tools.validate.dates turns the "to" inside "October" into a range dash, so "14 October 2026"
# is refused (CELL_340) — a product bug reported separately; these values must pass validation
_MONTHS = ("July", "August", "September", "November", "December")
_ACTIONS = (
    "Held a regional workshop with {n} participants from {m} Member States",
    "Drafted the concept note and shared it with the focal points of {m} Member States",
    "Trained {n} front-line officers on victim identification and referral",
    "Published the guidelines in {m} national languages and circulated them to the sectoral bodies",
    "Convened {m} coordination meetings with the ACWC and civil society partners",
    "Completed a baseline survey covering {n} shelters and reception centres",
)
_FOLLOW_UPS = (
    "A follow-up session is planned for the next reporting period.",
    "The report of the meeting is available from the ASEAN Secretariat.",
    "Funding for the second phase is still being sought from dialogue partners.",
    "Member States agreed to share national data through the focal points.",
    "",
)
_RESULTS = (
    "{n} officials trained; {m} national action plans updated",
    "{m} Member States reported referral mechanisms in place",
    "{n} victims assisted through the regional hotline",
    "Indicator 1: {m} of 10 Member States; indicator 2: {n} participants",
)
_NEEDS = ("", "", "USD {n},000 for interpretation and travel", "Technical assistance from IOM and UNODC", "")


def realistic_values(row_ids: list[str], rng: Any, round_no: int = 0) -> dict[str, dict[str, str]]:
    """Row id → reporting column → a value that passes validation; `round_no` varies the text for later rounds."""
    out: dict[str, dict[str, str]] = {}
    for row_id in row_ids:
        status = rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0]
        n, m = rng.randint(12, 480), rng.randint(2, 10)
        values: dict[str, str] = {"status": status}
        if status != "Not started":
            action = rng.choice(_ACTIONS).format(n=n, m=m)
            values["progress"] = f"{action} (update {round_no + 1}). {rng.choice(_FOLLOW_UPS)}".strip()
            values["indicator_results"] = rng.choice(_RESULTS).format(n=n, m=m)
        if status in ("Completed", "Ongoing"):
            month = rng.choice(_MONTHS)
            day = rng.randint(1, 28)
            dates = f"{day} {month} 2026"
            if rng.random() < 0.3:
                dates += f"; {rng.randint(1, 28)} {rng.choice(_MONTHS)} 2026, Jakarta"
            values["event_dates"] = dates
        need = rng.choice(_NEEDS).format(n=n)
        if need:
            values["resource_needs"] = need
        out[row_id] = values
    return out


def fill_every_row(template: Path, rng: Any, out: Path | None = None, round_no: int = 0) -> Path:
    """Fill every row of an issued template (a copy at `out`, or in place) with `realistic_values`."""
    return fill(template, realistic_values(template_rows(template), rng, round_no), out=out)
