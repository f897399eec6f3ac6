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
from typing import Any, NamedTuple

from xlsx_tools.workbook.identity import IDENTITY_SHEET, INSTRUCTIONS_SHEET, LISTS_SHEET, identity_from_rows
from xlsx_tools.workbook.safety import Package

CellKind = str  # "empty" | "text" | "date" | "formula" | "error"


class Cell(NamedTuple):
    """One read cell (a named tuple: the reader makes thousands of them per return)."""

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
    if type(value) is str:  # most cells: text first
        text = value.replace("\u00a0", " ").replace("\r\n", "\n").strip() if value else ""
        return text, ("text" if text else "empty")
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


def read_workbook(path: Path, package: Package | None = None) -> WorkbookData:
    """Read every worksheet's used range: values through python-calamine, formulas, error values, merged ranges and
    protection from the sheet XML (xlsx_tools.workbook.sheet_xml). The caller has already checked the file with
    safety.inspect_file, which hands over the `package` parts (they are read again here when not given).

    The Instructions and Lists sheets are listed but not read: they are ours, and nothing validates their cells."""
    from xlsx_tools.workbook.sheet_xml import SheetXml, scan_sheet
    from xlsx_tools.workbook.values import ValueBook

    values = ValueBook(path, package)
    identity: dict[str, str] = {}
    sheets: dict[str, SheetData] = {}
    for name in values.worksheets:
        if name == IDENTITY_SHEET:
            identity = identity_from_rows(values.rows(name))
            continue
        xml = values.xml(name)
        ours = name in (INSTRUCTIONS_SHEET, LISTS_SHEET)
        found = scan_sheet(xml, cells=not ours) if xml else SheetXml()
        if ours:
            headers: list[str] = []
            rows: list[tuple[int, list[Cell]]] = []
        else:
            headers, rows = _sheet_rows(values.rows(name), found.special)
        sheets[name] = SheetData(
            name=name,
            headers=headers,
            rows=rows,
            merged=found.merged,
            protected=found.protected,
            state=values.states.get(name, "visible"),
        )
    values.close()
    return WorkbookData(path=path, identity=identity, sheets=sheets)


def _sheet_rows(
    grid: list[list[Any]], special: dict[str, tuple[str, str]]
) -> tuple[list[str], list[tuple[int, list[Cell]]]]:
    """(headers of row 1, the non-blank rows below as cells). Formula and error cells come from `special`.

    The reader's inner loop (every cell of every return): text cells, most of them, are normalised inline."""
    from xlsx_tools.workbook.sheet_xml import column_letters, split_address

    by_row: dict[int, dict[int, tuple[str, str]]] = {}
    for address, found in special.items():
        place = split_address(address)
        if place:
            by_row.setdefault(place[0], {})[place[1] - 1] = found
    width = max((len(r) for r in grid), default=0)
    width = max([width, *(max(c) + 1 for c in by_row.values())]) if by_row else width
    letters = column_letters(width)
    height = max(len(grid), max(by_row, default=0))
    make = tuple.__new__
    headers: list[str] = []
    rows: list[tuple[int, list[Cell]]] = []
    for excel_row in range(1, height + 1):
        values = grid[excel_row - 1] if excel_row <= len(grid) else []
        marked = by_row.get(excel_row)
        if marked is None and values.count("") + values.count(None) == len(values):
            continue
        number = str(excel_row)
        cells = []
        if marked:
            values = [*values, *[""] * (width - len(values))]
        for index, raw in enumerate(values):
            address = letters[index] + number
            if type(raw) is str and not marked:  # most cells: text, or calamine's "" for an empty cell
                text = raw.replace("\u00a0", " ").replace("\r\n", "\n").strip() if raw else raw
                cells.append(make(Cell, (address, text, "text", raw) if text else (address, "", "empty", None)))
            elif marked and index in marked:
                kind, text = marked[index]
                cells.append(make(Cell, (address, text, kind, text)))
            elif raw == "" or raw is None:
                cells.append(make(Cell, (address, "", "empty", None)))
            else:
                value, kind = normalise(raw)
                cells.append(make(Cell, (address, value, kind, None if kind == "empty" else raw)))
        if excel_row == 1:
            headers = [str(c.value) if c.kind != "empty" else "" for c in cells]
        else:
            rows.append((excel_row, cells))
    return headers, rows
