"""Read any workbook into plain rows, normalising the way a person expects (frictionless/pyxform habit).

- text: stripped, non-breaking spaces turned into spaces; internal line breaks kept
- numbers: 3.0 → "3", other floats with up to 10 significant digits
- dates and datetimes → datetime.date
- formulas and error values are kept as such (kind "formula"/"error") so validation can say which cell
- blank rows are kept out of the row list but every row keeps its real Excel row number
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsx_tools.workbook.identity import IDENTITY_SHEET, read_identity

CellKind = str  # "empty" | "text" | "date" | "formula" | "error"


@dataclass(frozen=True)
class Cell:
    address: str
    value: str | dt.date  # normalised; "" when empty
    kind: CellKind
    raw: Any = None


@dataclass
class SheetData:
    name: str
    headers: list[str]  # row 1, normalised; "" for blank header cells
    rows: list[tuple[int, list[Cell]]]  # (excel row number, cells in column order)
    merged: list[str] = field(default_factory=list)
    protected: bool = False
    state: str = "visible"


@dataclass
class WorkbookData:
    path: Path
    identity: dict[str, str]
    sheets: dict[str, SheetData]


def normalise(value: Any) -> tuple[str | dt.date, CellKind]:
    if value is None:
        return "", "empty"
    if isinstance(value, dt.datetime):
        return value.date(), "date"
    if isinstance(value, dt.date):
        return value, "date"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), "text"
    if isinstance(value, int):
        return str(value), "text"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)), "text"
        return f"{value:.10g}", "text"
    if isinstance(value, dt.time):
        return value.isoformat(), "text"
    text = str(value).replace("\u00a0", " ").replace("\r\n", "\n").strip()
    return text, ("text" if text else "empty")


def _cell(cell: Any) -> Cell:
    from openpyxl.worksheet.formula import ArrayFormula

    address = cell.coordinate
    raw = cell.value
    if cell.data_type == "f" or isinstance(raw, ArrayFormula):
        text = raw.text if isinstance(raw, ArrayFormula) else str(raw)
        return Cell(address, text or "", "formula", raw)
    if cell.data_type == "e":
        return Cell(address, str(raw), "error", raw)
    value, kind = normalise(raw)
    return Cell(address, value, kind, raw)


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
        rows: list[tuple[int, list[Cell]]] = []
        headers: list[str] = []
        for index, row in enumerate(sheet.iter_rows(), start=1):
            cells = [_cell(c) for c in row]
            if index == 1:
                headers = [str(c.value) if c.kind != "empty" else "" for c in cells]
                continue
            if any(c.kind != "empty" for c in cells):
                rows.append((index, cells))
        sheets[sheet.title] = SheetData(
            name=sheet.title,
            headers=headers,
            rows=rows,
            merged=[str(r) for r in sheet.merged_cells.ranges],
            protected=bool(sheet.protection.sheet),
            state=sheet.sheet_state,
        )
    book.close()
    return WorkbookData(path=path, identity=identity, sheets=sheets)
