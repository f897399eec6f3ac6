"""Apply a merge's consolidation to the master OPEN in Excel, through xlwings: changed reporting cells and the
record sheets, in bulk range writes, then the caller saves through Excel. Mirrors
xlsx_tools.merge.master_book.apply_consolidation, which does the same on an openpyxl workbook for `tipwp merge`.

xlwings calls used (and nothing else): book.sheets[name], [s.name for s in book.sheets], book.sheets.add(name=,
after=), sheet.range(cell1, cell2=None), range.value = 2-D list, range.clear_contents(), sheet.used_range.last_cell.row,
sheet.name = (a record sheet of a master made by tipwp 0.1.0 is renamed), and sheet.api.ProtectContents / Unprotect()
/ Protect(...) (Excel's own object model) for the protected sheets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from xlsx_tools.merge.log_sheets import LOG_SHEETS, log_rows
from xlsx_tools.merge.master_book import OpenMaster, changed_cells
from xlsx_tools.merge.model import Consolidation
from xlsx_tools.merge.record_digest import RECORDS_FIELD
from xlsx_tools.sheet_names import IDENTITY_SHEET

Cells = Mapping[tuple[int, int], Any]


def excel_value(value: Any) -> Any:
    """What to assign so that Excel stores what openpyxl would: text stays text (the leading apostrophe is Excel's
    text prefix, not part of the value), "" clears the cell, numbers stay numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return "'" + value
    return value


def blocks(cells: Cells) -> list[tuple[int, int, list[list[Any]]]]:
    """Group single cells into rectangles (top row, left column, 2-D values): one range write per rectangle."""
    runs: list[tuple[int, int, list[Any]]] = []  # (row, left, values): the cells of a row, side by side
    for row, column in sorted(cells):
        if not runs or runs[-1][0] != row or runs[-1][1] + len(runs[-1][2]) != column:
            runs.append((row, column, []))
        runs[-1][2].append(cells[row, column])
    out: list[tuple[int, int, list[list[Any]]]] = []
    for row, left, values in sorted(runs, key=lambda r: (r[1], len(r[2]), r[0])):
        if out:
            top, last_left, block = out[-1]
            if last_left == left and len(block[0]) == len(values) and top + len(block) == row:
                block.append(values)
                continue
        out.append((row, left, [values]))
    return out


@contextmanager
def unprotected(sheet: Any) -> Iterator[None]:
    """Lift a sheet's (passwordless) protection while writing, then put it back as the master writer sets it."""
    api = sheet.api
    protected = bool(api.ProtectContents)
    if protected:
        api.Unprotect()
    try:
        yield
    finally:
        if protected:
            api.Protect(
                DrawingObjects=True, Contents=True, AllowFiltering=True, AllowSorting=True, AllowFormattingColumns=True
            )


def apply_to_book(book: Any, master: OpenMaster, consolidation: Consolidation) -> None:
    """Write `consolidation` into the open `book` (not saved)."""
    per_sheet: dict[str, dict[tuple[int, int], Any]] = {}
    for sheet_name, excel_row, column, new in changed_cells(master, consolidation):
        per_sheet.setdefault(sheet_name, {})[(excel_row, column)] = excel_value(new)
    for sheet_name, cells in per_sheet.items():
        sheet = book.sheets[sheet_name]  # reporting cells are unlocked: no need to lift the pillar's protection
        for top, left, values in blocks(cells):
            sheet.range((top, left)).value = values
    if consolidation.state.period != master.identity.get("period", ""):
        _set_identity(book, master, "period", excel_value(consolidation.state.period))
    if master.identity.get(RECORDS_FIELD):
        # Blank the record sheets' counts and digests (xlsx_tools.merge.record_digest): Excel may retype what is
        # written through it (a due date becomes a date), so a digest worked out here could not be trusted to match
        # what the next merge reads; the next `tipwp merge` records them again.
        _set_identity(book, master, RECORDS_FIELD, "")
    headers = master.context.sheet.labels
    rows = log_rows(consolidation.state, consolidation.conflicts, headers)
    for log in LOG_SHEETS:
        sheet = _log_sheet(book, master, log.title)
        with unprotected(sheet):
            last = sheet.used_range.last_cell.row
            if last > 1:
                sheet.range((2, 1), (last, len(log.columns))).clear_contents()
            sheet.range((1, 1)).value = [log.headers] + [[excel_value(v) for v in row] for row in rows[log.title]]


def _set_identity(book: Any, master: OpenMaster, field: str, value: Any) -> None:
    """Write `field` on its row of the identity sheet (below the last row when it has none)."""
    identity = master.book[IDENTITY_SHEET]
    row = next((r[0].row for r in identity.iter_rows(min_col=1, max_col=1) if r[0].value == field), None)
    sheet = book.sheets[IDENTITY_SHEET]
    with unprotected(sheet):
        sheet.range((row or identity.max_row + 1, 1)).value = [[field, value]]


def _log_sheet(book: Any, master: OpenMaster, title: str) -> Any:
    names = [s.name for s in book.sheets]
    if title in names:
        return book.sheets[title]
    former = {new: old for old, new in master.former}  # a master made by tipwp 0.1.0 (xlsx_tools.merge.log_sheets)
    if former.get(title) in names:
        sheet = book.sheets[former[title]]
        sheet.name = title
        return sheet
    # after the last record sheet present, else after the last pillar sheet
    present = [log.title for log in LOG_SHEETS if log.title in names]
    present = present or [p.sheet_name for p in master.context.plan.pillars if p.sheet_name in names]
    after = max(present, key=names.index) if present else names[-1]
    return book.sheets.add(name=title, after=book.sheets[after])
