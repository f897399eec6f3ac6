"""Write one of the master's record sheets (History, Conflicts, Proposals, Audit; declared in
xlsx_tools.merge.log_sheets) into an openpyxl workbook: fresh content, protected but for the Decision column.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xlsx_tools.layout.measure import row_height
from xlsx_tools.merge.log_sheets import LogSheet
from xlsx_tools.workbook.cell_text import excel_value
from xlsx_tools.workbook.styles import FONT_NAME, FONT_SIZE, StyleBook


def write_log_sheet(book: Any, log: LogSheet, rows: Iterable[list], position: int | None = None) -> None:
    """(Re)write one record sheet: same place (else `position`), fresh content, protected but for Decision.
    (openpyxl is imported here, not above: a dry run reads the master with this module loaded, and never writes.)"""
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.protection import SheetProtection

    decision_fill = PatternFill("solid", fgColor="FFF2CC")
    unlocked = Protection(locked=False)
    wrap = Alignment(wrap_text=True, vertical="top")
    index = book.sheetnames.index(log.title) if log.title in book.sheetnames else position
    if log.title in book.sheetnames:
        book.remove(book[log.title])
    sheet = book.create_sheet(log.title, index)
    sheet.append(log.headers)
    styles = StyleBook()  # thousands of cells, a handful of styles: each is registered once, then copied
    for cell in sheet[1]:
        styles.apply(
            cell,
            "header",
            font=Font(name=FONT_NAME, bold=True, color="FFFFFF"),
            fill=PatternFill("solid", fgColor="404040"),
            alignment=Alignment(wrap_text=True, vertical="center"),
        )
    editable = {log.keys.index(k) + 1 for k in log.editable}
    count = 1
    for count, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            value = excel_value(value)  # a file name or an older line may hold what a cell cannot
            cell = sheet.cell(row=count, column=column, value=value if value != "" else None)
            if isinstance(value, str) and value:
                cell.data_type = "s"  # text stays text, even when it starts with '='
            if column in editable:
                styles.apply(cell, "decision", alignment=wrap, protection=unlocked, fill=decision_fill)
            else:
                styles.apply(cell, "text", alignment=wrap)
    for column in sorted(editable):
        letter = get_column_letter(column)
        for excel_row in range(count + 1, max(count, 2) + 201):  # room for decisions typed below the last row
            styles.apply(sheet.cell(row=excel_row, column=column), "blank", protection=unlocked, fill=decision_fill)
        if log.prompt:
            validation = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="32767")
            validation.showInputMessage = True
            validation.promptTitle = "Decision"
            validation.prompt = log.prompt
            validation.add(f"{letter}2:{letter}{max(count, 2) + 200}")
            sheet.add_data_validation(validation)
    widths = [width for _, _, width in log.columns]
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    # Excel and LibreOffice do not grow the rows openpyxl writes: the header, and the rows of the sheets read to
    # decide (Conflicts, Proposals) get the height of their longest text; the long record sheets are read on screen
    fitted = sheet.iter_rows(max_row=count if editable else 1, max_col=len(widths), values_only=True)
    for excel_row, values in enumerate(fitted, start=1):
        texts = [(str(value), width) for value, width in zip(values, widths, strict=True) if value]
        sheet.row_dimensions[excel_row].height = row_height(texts, FONT_SIZE, bold=excel_row == 1)
    sheet.freeze_panes = "A2"
    # printed to decide conflicts and proposals: landscape, every column on the page, the header on each page
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_title_rows = "1:1"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(log.columns))}{max(count, 2)}"
    sheet.protection = SheetProtection(sheet=True, autoFilter=False, sort=False, formatColumns=False)
