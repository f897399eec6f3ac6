"""Spread a plan row over a sheet's columns, and gather a sheet row back into a document keyed by column."""

from __future__ import annotations

import re
from collections.abc import Mapping

from xlsx_tools.layout.model import SheetLayout
from xlsx_tools.plan.loader import PlanDataError
from xlsx_tools.plan.model import PlanRow


def plan_cells(sheet: SheetLayout, row: PlanRow) -> dict[str, str]:
    """The text of every plan and id column for `row`; slotted values fill slot 1, 2, … in order.

    Reporting and previous columns are not plan text: they are left out (a fresh sheet leaves them blank).
    """
    cells: dict[str, str] = {}
    for column in sheet.plan_text_columns:
        if column.key == "row_id":
            cells[column.key] = row.row_id
        elif column.slot:
            items = row.items(column.base_key)
            cells[column.key] = items[column.slot - 1] if column.slot <= len(items) else ""
        else:
            cells[column.key] = row.text(column.key)
    for base_key, slots in sheet.slot_counts.items():
        if len(row.items(base_key)) > slots:
            raise PlanDataError(
                f"row {row.row_id}",
                f"{len(row.items(base_key))} values for {base_key} but layout.yaml declares {slots} slots",
            )
    return cells


def fingerprint(sheet: SheetLayout, cells: Mapping[str, str]) -> str:
    """A short hash of a row's plan columns (hidden ones too), so a return can prove its plan text was not changed.

    Only `plan` columns count: the Row ID is checked on its own, and previous columns (last period's values, locked
    too) are not plan text.
    """
    import hashlib

    text = "\x1f".join(str(cells.get(c.key, "")) for c in sheet.plan_columns)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def sheet_records(sheet: SheetLayout, headers: list[str], rows: list[list[str]]) -> list[dict[str, str]]:
    """Rows of a sheet (cell texts in header order) as records keyed by layout column keys."""
    index = {label: i for i, label in enumerate(headers) if label}
    positions = {c.key: index[c.header] for c in sheet.columns if c.header in index}
    return [{key: row[i] if i < len(row) else "" for key, i in positions.items()} for row in rows]


def normal_text(text: str) -> str:
    """Text as compared when rows are matched by their words: spaces collapsed, case folded."""
    return re.sub(r"\s+", " ", text).strip().casefold()
