"""Write one pillar sheet from the layout: headers, plan rows, dropdowns, input messages, protection, print setup.

Used for the master and (later) the per-body return templates, so both look and behave the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from xlsx_tools.layout.model import Column, SheetLayout

PLAN_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
REPORT_HEADER_FILL = PatternFill("solid", fgColor="C65911")
REPORT_CELL_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_FONT = Font(bold=True, color="FFFFFF")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)
EXCEL_CELL_LIMIT = 32_767


@dataclass(frozen=True)
class SheetOptions:
    title: str  # printed in the page header
    password: str | None = None
    spare_rows: int = 50  # unlocked, validated rows below the plan rows (new activities, notes)


def _write_text(sheet: Any, row: int, column: int, value: str) -> Any:
    """Write text that stays text: a value starting with '=' must not become a formula."""
    cell = sheet.cell(row=row, column=column, value=value if value != "" else None)
    if isinstance(value, str) and value:
        cell.data_type = "s"
    return cell


def _validation(column: Column, first_row: int, last_row: int, letter: str) -> DataValidation:
    if column.list_name:
        validation = DataValidation(
            type="list",
            formula1=f"={column.list_name}",
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
        validation.prompt = column.prompt
    validation.add(f"{letter}{first_row}:{letter}{last_row}")
    return validation


def write_pillar_sheet(
    sheet: Any,
    layout: SheetLayout,
    rows: Iterable[Mapping[str, str]],
    options: SheetOptions,
) -> int:
    """Fill `sheet` (an empty openpyxl worksheet); returns the number of data rows written."""
    columns = layout.columns
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = REPORT_HEADER_FILL if column.role == "reporting" else PLAN_HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = BORDER
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        dimension.hidden = column.hidden
    count = 0
    for count, values in enumerate(rows, start=1):
        excel_row = count + 1
        for index, column in enumerate(columns, start=1):
            cell = _write_text(sheet, excel_row, index, values.get(column.key, ""))
            cell.alignment = WRAP_TOP
            cell.border = BORDER
            if column.role == "reporting":
                cell.protection = UNLOCKED
                cell.fill = REPORT_CELL_FILL
    last_row = count + 1 + options.spare_rows
    for excel_row in range(count + 2, last_row + 1):
        for index, column in enumerate(columns, start=1):
            if column.role == "reporting":
                cell = sheet.cell(row=excel_row, column=index)
                cell.protection = UNLOCKED
                cell.alignment = WRAP_TOP
    for index, column in enumerate(columns, start=1):
        if column.role == "id":
            continue
        if column.role == "plan" and not column.list_name:
            continue
        sheet.add_data_validation(_validation(column, 2, last_row, get_column_letter(index)))
    last_letter = get_column_letter(len(columns))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last_letter}{max(2, count + 1)}"
    sheet.row_dimensions[1].height = 32
    _print_setup(sheet, options.title)
    _protect(sheet, options.password)
    return count


def _print_setup(sheet: Any, title: str) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = False
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddHeader.center.text = f"{title} - &A"
    sheet.oddFooter.left.text = "&F"
    sheet.oddFooter.right.text = "Page &P of &N"


def _protect(sheet: Any, password: str | None) -> None:
    """Lock plan columns; leave filtering, sorting and resizing to the user (False = allowed in openpyxl)."""
    protection = sheet.protection
    protection.sheet = True
    if password:
        protection.password = password
    protection.autoFilter = False
    protection.sort = False
    protection.formatColumns = False
    protection.formatRows = False
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False
