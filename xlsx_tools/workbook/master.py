"""Build the master workbook from a shipped plan: Instructions, one sheet per pillar, hidden Lists, identity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from xlsx_tools import __version__
from xlsx_tools.layout.cells import plan_cells
from xlsx_tools.validate.context import PlanContext, plan_context
from xlsx_tools.workbook.atomic import save_atomically
from xlsx_tools.workbook.identity import IDENTITY_SHEET, INSTRUCTIONS_SHEET
from xlsx_tools.workbook.instructions import master_instructions, write_instructions
from xlsx_tools.workbook.lists import list_notes, write_lists
from xlsx_tools.workbook.pillar_sheet import SheetOptions, write_pillar_sheet


@dataclass(frozen=True)
class MasterSummary:
    path: Path
    plan_id: str
    sheets: dict[str, int]  # sheet name → data rows
    flagged_rows: int


def build_master(out: Path, plan_id: str = "bwp2", period: str = "", password: str | None = None) -> MasterSummary:
    """Write the master workbook for `plan_id` to `out` (atomically)."""
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty

    context = plan_context(plan_id)
    plan = context.plan
    book = Workbook()
    instructions = book.active
    instructions.title = INSTRUCTIONS_SHEET
    statuses = next((v for k, v in context.lists.items() if k == "STATUS_LIST"), ())
    write_instructions(instructions, master_instructions(plan, statuses, period))
    counts: dict[str, int] = {}
    for pillar in plan.pillars:
        sheet = book.create_sheet(pillar.sheet_name)
        rows = []
        for row in pillar.rows:
            cells = plan_cells(context.sheet, row)
            if period:
                cells["reporting_period"] = period
            rows.append(cells)
        counts[pillar.sheet_name] = write_pillar_sheet(
            sheet,
            context.sheet,
            rows,
            SheetOptions(title=f"{plan.short_title}, Pillar {pillar.code}. {pillar.title}", password=password),
        )
    titles = {name: spec.title for name, spec in context.layout.lists.items()}
    write_lists(book, context.lists, titles, list_notes(context))
    _write_identity(book, context, "master", period)
    properties = book.properties
    properties.title = plan.title
    properties.subject = f"{plan.short_title} master workbook"
    properties.creator = f"tipwp {__version__}"
    properties.keywords = f"ASEAN; trafficking in persons; {plan.short_title}; {plan.id}"
    properties.description = f"Plan version {plan.version}; timeframe {plan.start.year}-{plan.end.year}."
    properties.version = plan.version
    properties.category = "Work plan master"
    for name, value in (
        ("PlanId", plan.id),
        ("PlanVersion", plan.version),
        ("LayoutVersion", str(context.layout.version)),
    ):
        book.custom_doc_props.append(StringProperty(name=name, value=value))
    save_atomically(book, out)
    flagged = sum(1 for _, row in plan.rows() if row.flags)
    return MasterSummary(path=Path(out), plan_id=plan.id, sheets=counts, flagged_rows=flagged)


def _write_identity(book: object, context: PlanContext, kind: str, period: str) -> None:
    sheet = book.create_sheet(IDENTITY_SHEET)  # type: ignore[attr-defined]
    sheet.sheet_state = "veryHidden"
    values = {
        "kind": kind,
        "plan_id": context.plan.id,
        "plan_version": context.plan.version,
        "plan_title": context.plan.title,
        "layout_version": str(context.layout.version),
        "period": period,
        "tool": "tipwp",
        "tool_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
    }
    for row, (key, value) in enumerate(values.items(), start=1):
        sheet.cell(row=row, column=1, value=key)
        sheet.cell(row=row, column=2, value=value).data_type = "s"
    sheet.protection.sheet = True
