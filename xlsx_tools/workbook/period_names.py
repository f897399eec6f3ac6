"""Where a master names its open period in words (its Instructions line and page headers), and how `tipwp period`
rewrites them, so that what is printed after a new period is opened never names the old one.

Kept apart from the writers so that reading or dry-running a merge never imports openpyxl.
"""

from __future__ import annotations

from typing import Any

from xlsx_tools.sheet_names import INSTRUCTIONS_SHEET


def prepared_for(period: str) -> str:
    """The words of the master's Instructions that name its open period."""
    return f"(this workbook was prepared for {period or 'any period'})"


def master_header(period: str) -> str:
    """The right part of a master's page headers: it names the open period."""
    return f"Master workbook, {period}" if period else "Master workbook"


def name_period(book: Any, old: str, new: str) -> None:
    """Make a loaded master (openpyxl) name `new` as its open period where it named `old`: the Instructions line
    and the page header of every sheet."""
    was, now = prepared_for(old), prepared_for(new)
    if INSTRUCTIONS_SHEET in book.sheetnames:
        for (cell,) in book[INSTRUCTIONS_SHEET].iter_rows(min_col=1, max_col=1):
            if isinstance(cell.value, str) and was in cell.value:
                cell.value = cell.value.replace(was, now)
    for sheet in book.worksheets:
        header = sheet.oddHeader.right
        if header.text == master_header(old):
            header.text = master_header(new)
