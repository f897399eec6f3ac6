"""Spread a plan row over a sheet's columns (the text every sheet shows for it), and fingerprint that text."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from xlsx_tools.layout.model import SheetLayout
from xlsx_tools.plan.model import PlanDataError, PlanRow


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
    text = "\x1f".join(str(cells.get(c.key, "")) for c in sheet.plan_columns)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
