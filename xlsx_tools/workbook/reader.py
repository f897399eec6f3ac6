"""Read any workbook into plain rows, normalising the way a person expects (frictionless/pyxform habit).

- text: stripped, non-breaking spaces turned into spaces, zero-width spaces and byte order marks left out
  (xlsx_tools.workbook.cell_text.visible_text); internal line breaks kept
- numbers: 3.0 → "3", other floats with up to 10 significant digits
- dates and datetimes → datetime.date
- formulas and error values are kept as such (kind "formula"/"error") so validation can say which cell
- blank rows are kept out of the row list but every row keeps its real Excel row number
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree.ElementTree import ParseError

from xlsx_tools.sheet_names import IDENTITY_SHEET, INSTRUCTIONS_SHEET, LISTS_SHEET
from xlsx_tools.workbook.cell_text import visible_text
from xlsx_tools.workbook.identity import identity_from_rows
from xlsx_tools.workbook.safety import Package
from xlsx_tools.workbook.sheet_xml import SheetXml, column_letters, scan_sheet, split_address
from xlsx_tools.workbook.values import UnreadableWorkbook, ValueBook

CellKind = str  # "empty" | "text" | "date" | "formula" | "error"
Value = str | dt.date  # a normalised cell value: "" when empty
Marks = dict[int, tuple[str, str]]  # column index → ("formula" | "error", the formula's text or the error value)


class Cell(NamedTuple):
    """One read cell, with its address and kind (SheetData.rows)."""

    address: str
    value: Value  # normalised; "" when empty
    kind: CellKind


@dataclass
class SheetData:
    """One sheet as read: its header row, and the rows below as normalised values.

    The values are what validation and the merge read, row by row; the places that want addresses and kinds ask for
    `rows`. A formula or error cell holds its text among the values ("=A1+1", "#REF!") and is named in `marks`."""

    name: str
    headers: list[str]  # row 1, normalised; "" for blank header cells
    values: list[tuple[int, list[Value]]]  # (excel row number, values in column order) of the non-blank rows
    marks: dict[int, Marks] = field(default_factory=dict)  # excel row number → its formula and error cells
    merged: list[str] = field(default_factory=list)
    protected: bool = False
    state: str = "visible"

    @cached_property
    def rows(self) -> list[tuple[int, list[Cell]]]:
        """The rows as cells: (excel row number, cells in column order)."""
        letters = column_letters(max((len(v) for _, v in self.values), default=0))
        out = []
        for excel_row, values in self.values:
            number = str(excel_row)
            marked = self.marks.get(excel_row, {})
            out.append((excel_row, [Cell(letters[i] + number, v, _kind(v, marked, i)) for i, v in enumerate(values)]))
        return out


def _kind(value: Value, marked: Marks, index: int) -> CellKind:
    if index in marked:
        return marked[index][0]
    if isinstance(value, str):
        return "text" if value else "empty"
    return "date"


@dataclass
class WorkbookData:
    path: Path
    identity: dict[str, str]
    sheets: dict[str, SheetData]


def normalise(value: Any) -> tuple[str | dt.date, CellKind]:
    if type(value) is str:  # most cells: text first
        text = visible_text(value.replace("\u00a0", " ").replace("\r\n", "\n")).strip() if value else ""
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

    The Instructions and Lists sheets are listed but not read: they are ours, and nothing validates their cells.
    Raises UnreadableWorkbook for a file the parsers cannot read, SheetTooLarge for a sheet too large to read."""
    values = ValueBook(path, package)
    identity: dict[str, str] = {}
    sheets: dict[str, SheetData] = {}
    for name in values.worksheets:
        if name == IDENTITY_SHEET:
            identity = identity_from_rows(values.rows(name))
            continue
        xml = values.xml(name)
        ours = name in (INSTRUCTIONS_SHEET, LISTS_SHEET)
        try:
            found = scan_sheet(xml, cells=not ours) if xml else SheetXml()
        except ParseError as exc:
            raise UnreadableWorkbook(f"sheet {name!r}: its XML is damaged ({exc})") from None
        headers, rows, marks = ([], [], {}) if ours else _sheet_rows(values.rows(name), found.special)
        sheets[name] = SheetData(
            name=name,
            headers=headers,
            values=rows,
            marks=marks,
            merged=found.merged,
            protected=found.protected,
            state=values.states.get(name, "visible"),
        )
    values.close()
    return WorkbookData(path=path, identity=identity, sheets=sheets)


def _sheet_rows(
    grid: list[list[Any]], special: dict[str, tuple[str, str]]
) -> tuple[list[str], list[tuple[int, list[Value]]], dict[int, Marks]]:
    """(headers of row 1, the non-blank rows below as normalised values, the formula and error cells by row).
    Formula and error cells come from `special` (address → (kind, text)) and hold their text among the values.

    The reader's inner loop (every cell of every return): text cells, most of them, are normalised inline."""
    by_row: dict[int, Marks] = {}
    for address, found in special.items():
        place = split_address(address)
        if place:
            by_row.setdefault(place[0], {})[place[1] - 1] = found
    width = max([*(len(r) for r in grid), *(max(c) + 1 for c in by_row.values())], default=0)
    height = max(len(grid), max(by_row, default=0))
    headers: list[str] = []
    rows: list[tuple[int, list[Value]]] = []
    for excel_row in range(1, height + 1):
        raw = grid[excel_row - 1] if excel_row <= len(grid) else []
        marked = by_row.get(excel_row)
        if marked is None and raw.count("") + raw.count(None) == len(raw):
            continue
        if marked:
            raw = [*raw, *[""] * (width - len(raw))]
        values = [
            (visible_text(value.replace("\u00a0", " ").replace("\r\n", "\n")).strip() if value else value)
            if type(value) is str
            else normalise(value)[0]
            for value in raw
        ]
        if marked:
            for index, (_, text) in marked.items():
                values[index] = text
        if excel_row == 1:
            headers = [str(v) for v in values]
        else:
            rows.append((excel_row, values))
    return headers, rows, {r: m for r, m in by_row.items() if r != 1}
