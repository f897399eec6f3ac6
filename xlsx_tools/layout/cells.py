"""Gather a sheet row back into a record keyed by layout column, and compare row texts as people read them."""

from __future__ import annotations

import re

from xlsx_tools.layout.model import SheetLayout


def sheet_records(sheet: SheetLayout, headers: list[str], rows: list[list[str]]) -> list[dict[str, str]]:
    """Rows of a sheet (cell texts in header order) as records keyed by layout column keys."""
    index = {label: i for i, label in enumerate(headers) if label}
    positions = {c.key: index[c.header] for c in sheet.columns if c.header in index}
    return [{key: row[i] if i < len(row) else "" for key, i in positions.items()} for row in rows]


def normal_text(text: str) -> str:
    """Text as compared when rows are matched by their words: spaces collapsed, case folded."""
    return re.sub(r"\s+", " ", text).strip().casefold()
