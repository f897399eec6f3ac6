"""Write one pillar sheet from the layout: headers, plan rows, dropdowns, input messages, protection, print setup.

Used for the master and the per-body return templates, so both look and behave the same. What differs is declared
in layout.yaml: a column may be hidden in return templates only (plan context a body does not need to recognise its
row) or in the master only (last period's values, which only a return shows).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break

from xlsx_tools.layout.measure import POINTS_PER_PIXEL, column_pixels, row_height, text_height
from xlsx_tools.layout.model import Column, SheetLayout
from xlsx_tools.workbook.styles import FONT_NAME, FONT_SIZE

PLAN_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FILLS = {"reporting": PatternFill("solid", fgColor="C65911"), "previous": PatternFill("solid", fgColor="767171")}
REPORT_CELL_FILL = PatternFill("solid", fgColor="FFF2CC")
PREVIOUS_CELL_FILL = PatternFill("solid", fgColor="EDEDED")
HEADER_FONT = Font(name=FONT_NAME, size=FONT_SIZE, family=2, bold=True, color="FFFFFF")
CELL_FONT = Font(name=FONT_NAME, size=FONT_SIZE, family=2)
PREVIOUS_FONT = Font(name=FONT_NAME, size=FONT_SIZE, family=2, color="3A3838")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")
UNLOCKED = Protection(locked=False)
EXCEL_CELL_LIMIT = 32_767
# Print: A4 landscape; a page across holds at most this many width units of columns, which prints at about 72 %.
# A wider sheet continues on further pages across (the row-identifying columns repeated on each in return templates).
PAGE_WIDTH_UNITS = 200
SIDE_MARGIN_IN = 0.4
PRINTABLE_WIDTH_PT = (11.69 - 2 * SIDE_MARGIN_IN) * 72
SCALE_SLACK = 2  # percent: room for a spreadsheet program that draws columns a little wider than Excel
MIN_SCALE = 40
MAX_ROW_INDEX = 1_048_575
HEADER_PADDING_PT = 6
SPARE_ROW_LINES = 2  # the empty rows below the plan rows offer room for two lines of text


@dataclass(frozen=True)
class SheetOptions:
    title: str  # printed in the middle of the page header, e.g. the pillar
    book_kind: str = "master"  # "master" or "return": which columns are hidden (layout.yaml) and how rows freeze
    header_right: str = ""  # printed at the right of the page header, e.g. "SOMTC return, 2026-H2"
    password: str | None = None
    spare_rows: int = 50  # unlocked, validated rows below the plan rows (new activities, notes)
    example_year: str = ""  # the year example dates in input messages name (layout prompt "{year}")


def _write_text(sheet: Any, row: int, column: int, value: str) -> Any:
    """Write text that stays text: a value starting with '=' must not become a formula."""
    cell = sheet.cell(row=row, column=column, value=value or None)
    if value:
        cell.data_type = "s"
    return cell


def _validation(column: Column, last_row: int, letter: str, year: str) -> DataValidation:
    """The dropdown (or the cell-length limit) and input message of a column's cells from row 2 to `last_row`."""
    if column.list_name:
        validation = DataValidation(
            type="list",
            formula1=column.list_name,  # a name, stored without "=" (the file format has none; Gnumeric drops "=…")
            allow_blank=True,
            showErrorMessage=column.strict,
            errorStyle="stop",
            errorTitle="Not in the list",
            error=f"Choose a value for '{column.header}' from the dropdown list.",
        )
    else:
        validation = DataValidation(
            type="textLength",
            operator="lessThanOrEqual",
            formula1=str(EXCEL_CELL_LIMIT),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Text too long",
            error="An Excel cell holds at most 32,767 characters.",
        )
    if column.prompt and column.role == "reporting":
        validation.showInputMessage = True
        validation.promptTitle = column.header[:32]
        validation.prompt = column.prompt.replace("{year}", year)
    validation.add(f"{letter}2:{letter}{last_row}")
    return validation


def _cell_style(cell: Any, column: Column, book_kind: str) -> None:
    cell.alignment = WRAP_TOP
    cell.border = BORDER
    if column.role == "reporting":
        cell.font = CELL_FONT
        cell.fill = REPORT_CELL_FILL
        if not column.locked_for(book_kind):
            cell.protection = UNLOCKED
    elif column.role == "previous":
        cell.font = PREVIOUS_FONT
        cell.fill = PREVIOUS_CELL_FILL
    else:
        cell.font = CELL_FONT


def write_pillar_sheet(
    sheet: Any, layout: SheetLayout, rows: Iterable[Mapping[str, str]], options: SheetOptions
) -> None:
    """Fill `sheet` (an empty openpyxl worksheet)."""
    columns = layout.columns
    shown = [c for c in columns if not c.hidden_for(options.book_kind)]
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILLS.get(column.role, PLAN_HEADER_FILL)
        cell.alignment = HEADER_ALIGNMENT
        cell.border = BORDER
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column.width
        dimension.hidden = column.hidden_for(options.book_kind)
    sheet.row_dimensions[1].height = (
        row_height(((c.header, c.width) for c in shown), FONT_SIZE, bold=True) + HEADER_PADDING_PT
    )
    count = 0
    for count, values in enumerate(rows, start=1):
        excel_row = count + 1
        for index, column in enumerate(columns, start=1):
            text = values.get("row_id" if column.role == "check" else column.key, "")
            _cell_style(_write_text(sheet, excel_row, index, text), column, options.book_kind)
        texts = ((values.get(c.key, ""), c.width) for c in shown)
        sheet.row_dimensions[excel_row].height = row_height(texts, FONT_SIZE)
    last_row = count + 1 + options.spare_rows
    spare_height = text_height(SPARE_ROW_LINES, FONT_SIZE)
    # a new activity is written in a spare row: its reporting cells and the plan columns that identify a row
    # (layout `match_on`: type, number, activity text) are open there, so a body can propose one
    proposable = set(layout.match_on)
    for excel_row in range(count + 2, last_row + 1):
        for index, column in enumerate(columns, start=1):
            if not column.locked_for(options.book_kind) or column.key in proposable:
                cell = sheet.cell(row=excel_row, column=index)
                cell.protection = UNLOCKED
                cell.alignment = WRAP_TOP
                cell.font = CELL_FONT
        sheet.row_dimensions[excel_row].height = spare_height
    for index, column in enumerate(columns, start=1):
        if column.role == "reporting" or (column.role == "plan" and column.list_name):
            sheet.add_data_validation(_validation(column, last_row, get_column_letter(index), options.example_year))
    if options.book_kind != "return":  # a return is not sorted: see _protect
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(2, count + 1)}"
    label = _label_columns(layout, options.book_kind)
    sheet.freeze_panes = f"{get_column_letter(label[1] + 1)}2" if label else "A2"
    _print_setup(sheet, layout, options, label)
    _protect(sheet, options.password, sortable=options.book_kind != "return")


def _label_columns(layout: SheetLayout, book_kind: str) -> tuple[int, int] | None:
    """(first, last) 1-based column numbers that name a row (layout `match_on`), kept in view in return templates.

    Only in return templates: there the columns up to the activity are few once the context is hidden; in the
    master they would fill the screen.
    """
    if book_kind != "return" or not layout.match_on:
        return None
    numbers = [i for i, c in enumerate(layout.columns, start=1) if c.key in layout.match_on]
    return min(numbers), max(numbers)


def _pages_across(layout: SheetLayout, book_kind: str, label: tuple[int, int] | None) -> list[list[Column]]:
    """The shown columns in pages across: each page as wide as fits `PAGE_WIDTH_UNITS`, label columns on every page.

    Greedy, left to right, like Excel and LibreOffice: a column that does not fit starts the next page, after the
    repeated label columns (the first `label` columns are the row's name, printed on each page of a return). In the
    master the reporting columns start a page of their own when they fit on one; a return keeps them beside the row.
    """
    first, last = label or (0, 0)
    shown = [(i, c) for i, c in enumerate(layout.columns, start=1) if not c.hidden_for(book_kind)]
    titles = [c for i, c in shown if first <= i <= last]
    reporting = [c for _, c in shown if c.role == "reporting"]
    together = bool(reporting) and book_kind == "master" and sum(c.width for c in reporting) <= PAGE_WIDTH_UNITS
    pages: list[list[Column]] = [[]]
    for i, column in shown:
        used = sum(c.width for c in pages[-1])
        wanted = sum(c.width for c in reporting) if together and column is reporting[0] else column.width
        fixed = i <= last  # what comes before and with the label stays on page 1
        if not fixed and used + wanted > PAGE_WIDTH_UNITS and len(pages[-1]) > len(titles):
            pages.append(list(titles))
        pages[-1].append(column)
    return pages


def _print_setup(sheet: Any, layout: SheetLayout, options: SheetOptions, label: tuple[int, int] | None) -> None:
    """A4 landscape at a readable scale: pages across break between columns (the row's name repeated on each page of
    a return), all pages at one scale so that the widest fits; the header row repeats on every page down."""
    pages = _pages_across(layout, options.book_kind, label)
    widest = max(sum(column_pixels(c.width) for c in page) * POINTS_PER_PIXEL for page in pages)
    number = {c.key: i for i, c in enumerate(layout.columns, start=1)}
    repeated = set(range(label[0], label[1] + 1)) if label else set()
    for page in pages[1:]:
        first = next(number[c.key] for c in page if number[c.key] not in repeated)
        sheet.col_breaks.append(Break(id=first - 1, max=MAX_ROW_INDEX))
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.scale = max(MIN_SCALE, min(100, math.floor(PRINTABLE_WIDTH_PT / widest * 100) - SCALE_SLACK))
    setup.pageOrder = "overThenDown"  # the pages of one band of rows follow each other
    sheet.sheet_properties.pageSetUpPr.fitToPage = False  # a fit-to-width scale would ignore the page breaks
    sheet.print_title_rows = "1:1"
    if label and len(pages) > 1:
        sheet.print_title_cols = f"{get_column_letter(label[0])}:{get_column_letter(label[1])}"
    sheet.print_options.gridLines = False
    margins = sheet.page_margins
    margins.left = margins.right = SIDE_MARGIN_IN
    margins.top = margins.bottom = 0.6
    margins.header = margins.footer = 0.25
    for part, text, font in (
        (sheet.oddHeader.center, options.title, f"{FONT_NAME},Bold"),
        (sheet.oddHeader.right, options.header_right, f"{FONT_NAME},Regular"),
        (sheet.oddFooter.left, "&F", f"{FONT_NAME},Regular"),
        (sheet.oddFooter.right, "Page &P of &N", f"{FONT_NAME},Regular"),
    ):
        if text:
            part.text, part.font, part.size = text, font, 9


def _protect(sheet: Any, password: str | None, sortable: bool = True) -> None:
    """Lock plan columns; leave resizing, and in the master filtering and sorting, to the user (False = allowed in
    openpyxl). A return is neither sorted nor filtered: sorting only its orange columns (all a protected sheet lets a
    person select) would move every status onto another activity, silently (issue 16)."""
    protection = sheet.protection
    protection.sheet = True
    if password:
        protection.password = password
    protection.autoFilter = not sortable
    protection.sort = not sortable
    protection.formatColumns = False
    protection.formatRows = False
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False
