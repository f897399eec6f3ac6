"""Build the master workbook from a shipped plan: Instructions, one sheet per pillar, hidden Lists, identity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xlsx_tools.issue_token import KEY_FIELD, new_key
from xlsx_tools.plan.cells import plan_cells
from xlsx_tools.plan.context import plan_context
from xlsx_tools.workbook.atomic import save_atomically
from xlsx_tools.workbook.compose import compose_workbook
from xlsx_tools.workbook.instructions import master_instructions
from xlsx_tools.workbook.period_names import master_header


@dataclass(frozen=True)
class MasterSummary:
    path: Path
    plan_id: str
    sheets: dict[str, int]  # sheet name → data rows


def build_master(out: Path, plan_id: str = "bwp2", period: str = "", password: str | None = None) -> MasterSummary:
    """Write the master workbook for `plan_id` to `out` (atomically)."""
    context = plan_context(plan_id)
    plan = context.plan
    filled = {"reporting_period": period} if period else {}
    sheet_rows = {p.sheet_name: [{**plan_cells(context.sheet, row), **filled} for row in p.rows] for p in plan.pillars}
    book = compose_workbook(
        context,
        sheet_rows,
        master_instructions(plan, context.lists.get("STATUS_LIST", ()), period),
        {"kind": "master", "period": period, KEY_FIELD: new_key()},  # the key of its templates' tokens
        subject=f"{plan.short_title} master workbook",
        password=password,
        header_right=master_header(period),
    )
    save_atomically(book, out)
    return MasterSummary(path=Path(out), plan_id=plan.id, sheets={name: len(rows) for name, rows in sheet_rows.items()})
