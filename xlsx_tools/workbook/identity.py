"""Every workbook we write carries its identity in a very-hidden '_tipwp' sheet (pyxform's settings-sheet habit).

Key/value rows: what the file is (master or return), which plan and version, which layout version, the period and
recipient. Readers check it before anything is validated or merged.
"""

from __future__ import annotations

from collections.abc import Mapping

IDENTITY_SHEET = "_tipwp"
LISTS_SHEET = "Lists"
INSTRUCTIONS_SHEET = "Instructions"
REQUIRED_KEYS = ("kind", "plan_id", "layout_version")


def identity_rows(values: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(key, str(value)) for key, value in values.items()]


def missing_keys(identity: Mapping[str, str]) -> list[str]:
    return [key for key in REQUIRED_KEYS if not identity.get(key)]
