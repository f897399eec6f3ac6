"""Excel reference syntax for the gate: sheet-qualified references, areas, names, cell counts."""

from __future__ import annotations

import re

SHEET_REF = re.compile(r"(?:'((?:[^']|'')+)'|([A-Za-z_\\][\w.\\]*))!(\$?[A-Z]{0,3}\$?\d*(?::\$?[A-Z]{0,3}\$?\d*)?)")
CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
AREA = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")
ROWS = re.compile(r"^\$?(\d+):\$?(\d+)$")
COLUMNS = re.compile(r"^\$?([A-Z]{1,3}):\$?([A-Z]{1,3})$")
EXTERNAL_BOOK = re.compile(r"\[\d+\]")  # [1]Sheet!A1: a reference into another workbook
MAX_ROW = 1_048_576
MAX_COLUMN = 16_384


def column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def split_sheet(reference: str) -> tuple[str, str] | None:
    """('Sheet name', 'A1:B2') for one sheet-qualified reference, None when it is not one."""
    match = SHEET_REF.fullmatch(reference.strip())
    if not match:
        return None
    quoted, plain, area = match.groups()
    return (quoted.replace("''", "'") if quoted else plain), area


def area_cells(area: str) -> list[tuple[int, int]] | None:
    """(row, column) of every cell of an A1-style area (absolute or not), None when it is not a valid area."""
    match = AREA.fullmatch(area)
    if not match:
        return None
    first_col, first_row, last_col, last_row = match.groups()
    c1, r1 = column_number(first_col), int(first_row)
    c2, r2 = (column_number(last_col), int(last_row)) if last_col else (c1, r1)
    if not (1 <= r1 <= r2 <= MAX_ROW and 1 <= c1 <= c2 <= MAX_COLUMN):
        return None
    return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def whole_lines(area: str) -> bool:
    """True for whole rows ($1:$2) or whole columns ($A:$C), absolute, first ≤ last: what print titles may be."""
    rows, columns = ROWS.fullmatch(area), COLUMNS.fullmatch(area)
    if rows:
        return area.count("$") == 2 and 1 <= int(rows[1]) <= int(rows[2]) <= MAX_ROW
    if columns:
        return area.count("$") == 2 and 1 <= column_number(columns[1]) <= column_number(columns[2]) <= MAX_COLUMN
    return False


def sheet_references(formula: str) -> list[tuple[str, str]]:
    """Every (sheet, area) named in a formula, outside string literals."""
    outside = re.sub(r'"(?:[^"]|"")*"', '""', formula)
    return [
        ((quoted.replace("''", "'") if quoted else plain), area) for quoted, plain, area in SHEET_REF.findall(outside)
    ]
