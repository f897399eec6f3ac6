"""Which sectoral bodies a row names: its coordinating (lead) bodies and its supporting (cooperating) ones.

The ASB columns are declared in layout.yaml; their base keys say which kind of body they hold. Templates go to these
bodies, the merge prefers a coordinating body's value in a conflict, and the matrix expects a report from each.
"""

from __future__ import annotations

from collections.abc import Mapping

from xlsx_tools.layout.model import SheetLayout

BODY_KEYS = ("coordinating_asb", "co_coordinating_asb", "lead_asb", "co_lead_asb")
SUPPORT_KEYS = ("supporting_asb", "cooperating_asb")


def bodies_of(sheet: SheetLayout, record: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """(coordinating, supporting) bodies named in a record's ASB columns."""
    coordinating, supporting = named_bodies(sheet, record)
    return set(coordinating), set(supporting)


def named_bodies(sheet: SheetLayout, record: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(coordinating, supporting) bodies named in a record's ASB columns, in the row's order (column by column,
    left to right): the order in which their contributions are shown in a combined master cell."""
    coordinating: dict[str, None] = {}
    supporting: dict[str, None] = {}
    for column in sheet.columns:
        if column.base_key in BODY_KEYS:
            found = coordinating
        elif column.base_key in SUPPORT_KEYS:
            found = supporting
        else:
            continue
        found.update((name, None) for v in record.get(column.key, "").split(";") if (name := v.strip()))
    return tuple(coordinating), tuple(supporting)
