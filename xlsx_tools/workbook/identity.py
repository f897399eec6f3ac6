"""Every workbook we write carries its identity in a very-hidden '_tipwp' sheet (pyxform's settings-sheet habit).

Key/value rows: what the file is (master or return), which plan and version, which layout version, the period and
recipient. Readers check it before anything is validated or merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xlsx_tools.workbook.values import value_text

REQUIRED_KEYS = ("kind", "plan_id", "layout_version")
# a master's rows whose plan text accepted proposals made (new activities, edits), "; "-separated: validating the
# master takes them as its plan, while a row added or retyped by hand is still reported (ROW_203, ROW_204)
PLAN_ROWS_FIELD = "plan_rows_applied"


def applied_rows(identity: Mapping[str, str]) -> set[str]:
    """The Row IDs `PLAN_ROWS_FIELD` lists."""
    return {part.strip() for part in identity.get(PLAN_ROWS_FIELD, "").split(";") if part.strip()}


def read_identity(sheet: Any) -> dict[str, str]:
    """The key/value rows of an openpyxl identity sheet."""
    return identity_from_rows(sheet.iter_rows(values_only=True))


def identity_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    """The key/value rows of an identity sheet, from any reader's rows of values."""
    return {
        value_text(row[0]).strip(): value_text(row[1]).strip() if len(row) > 1 else ""
        for row in rows
        if row and row[0] not in (None, "")
    }


def missing_keys(identity: Mapping[str, str]) -> list[str]:
    return [key for key in REQUIRED_KEYS if not identity.get(key)]


def write_hidden_sheet(book: Any, name: str, rows: Iterable[Sequence[str]]) -> None:
    """Add a very-hidden, protected sheet of text rows to an openpyxl workbook (its identity, a return's manifest)."""
    sheet = book.create_sheet(name)
    sheet.sheet_state = "veryHidden"
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.data_type = "s"
    sheet.protection.sheet = True
