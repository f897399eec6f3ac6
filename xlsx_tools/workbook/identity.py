"""Every workbook we write carries its identity in a very-hidden '_tipwp' sheet (pyxform's settings-sheet habit).

Key/value rows: what the file is (master or return), which plan and version, which layout version, the period and
recipient. Readers check it before anything is validated or merged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IDENTITY_SHEET = "_tipwp"
LISTS_SHEET = "Lists"
INSTRUCTIONS_SHEET = "Instructions"
REQUIRED_KEYS = ("kind", "plan_id", "layout_version")


def read_identity(sheet: Any) -> dict[str, str]:
    """The key/value rows of an openpyxl identity sheet."""
    return {
        str(key).strip(): "" if value is None else str(value).strip()
        for key, value, *_ in sheet.iter_rows(values_only=True)
        if key
    }


def missing_keys(identity: Mapping[str, str]) -> list[str]:
    return [key for key in REQUIRED_KEYS if not identity.get(key)]
