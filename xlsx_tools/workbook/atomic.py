"""Write a workbook so that a crash leaves the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from xlsx_tools.workbook.excel_form import excel_form


def save_atomically(book: Any, target: Path) -> None:
    """Save an openpyxl workbook to a temporary file beside `target`, then rename it over `target`. The workbook is
    first put into the form Excel writes (xlsx_tools.workbook.excel_form)."""
    excel_form(book)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp.xlsx", dir=target.parent)
    os.close(handle)
    try:
        book.save(temp_name)
        with open(temp_name, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
