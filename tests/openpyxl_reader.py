"""The first reader of tipwp, kept as the reference for tests/test_reader.py: openpyxl loads the whole workbook and
every cell is normalised. The product reads with python-calamine and the sheet XML (xlsx_tools.workbook.reader);
both must give the same rows.

Read any workbook into plain rows, normalising the way a person expects (frictionless/pyxform habit).

- text: stripped, non-breaking spaces turned into spaces; internal line breaks kept
- numbers: 3.0 → "3", other floats with up to 10 significant digits
- dates and datetimes → datetime.date
- formulas and error values are kept as such (kind "formula"/"error") so validation can say which cell
- blank rows are kept out of the row list but every row keeps its real Excel row number
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlsx_tools.sheet_names import IDENTITY_SHEET
from xlsx_tools.workbook.identity import read_identity
from xlsx_tools.workbook.reader import Cell, SheetData, WorkbookData, normalise


def _cell(cell: Any) -> Cell:
    from openpyxl.worksheet.formula import ArrayFormula

    address = cell.coordinate
    raw = cell.value
    if cell.data_type == "f" or isinstance(raw, ArrayFormula):
        text = raw.text if isinstance(raw, ArrayFormula) else str(raw)
        return Cell(address, text or "", "formula")
    if cell.data_type == "e":
        return Cell(address, str(raw), "error")
    value, kind = normalise(raw)
    return Cell(address, value, kind)


def read_workbook(path: Path) -> WorkbookData:
    """Read every sheet's used range. The caller has already checked the file with safety.check_file."""
    import openpyxl

    book = openpyxl.load_workbook(path, data_only=False, rich_text=False)
    identity: dict[str, str] = {}
    sheets: dict[str, SheetData] = {}
    for sheet in book.worksheets:
        if sheet.title == IDENTITY_SHEET:
            identity = read_identity(sheet)
            continue
        rows: list[tuple[int, list[Any]]] = []
        marks: dict[int, dict[int, tuple[str, str]]] = {}
        headers: list[str] = []
        for index, row in enumerate(sheet.iter_rows(), start=1):
            cells = [_cell(c) for c in row]
            if index == 1:
                headers = [str(c.value) if c.kind != "empty" else "" for c in cells]
                continue
            if any(c.kind != "empty" for c in cells):
                rows.append((index, [c.value for c in cells]))
                marked = {i: (c.kind, str(c.value)) for i, c in enumerate(cells) if c.kind in ("formula", "error")}
                if marked:
                    marks[index] = marked
        sheets[sheet.title] = SheetData(
            name=sheet.title,
            headers=headers,
            values=rows,
            marks=marks,
            merged=[str(r) for r in sheet.merged_cells.ranges],
            protected=bool(sheet.protection.sheet),
            state=sheet.sheet_state,
        )
    book.close()
    return WorkbookData(path=path, identity=identity, sheets=sheets)
