"""Every workbook we write carries its identity in a very-hidden '_tipwp' sheet (pyxform's settings-sheet habit).

Key/value rows: what the file is (master or return), which plan and version, which layout version, the period and
recipient. Readers check it before anything is validated or merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xlsx_tools.sheet_names import (  # re-exported: the workbook modules take the names from here
    FORMER_HISTORY_SHEET,
    HISTORY_SHEET,
    IDENTITY_SHEET,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
)
from xlsx_tools.workbook.values import value_text

__all__ = [
    "FORMER_HISTORY_SHEET",
    "HISTORY_SHEET",
    "IDENTITY_SHEET",
    "INSTRUCTIONS_SHEET",
    "LISTS_SHEET",
    "REQUIRED_KEYS",
    "identity_from_rows",
    "missing_keys",
    "read_identity",
]
REQUIRED_KEYS = ("kind", "plan_id", "layout_version")


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
