"""Assemble a workbook of ours: Instructions, pillar sheets, hidden Lists, very-hidden identity, properties.

The master and the per-body return templates are both made here, so they look and behave the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from xlsx_tools import __version__
from xlsx_tools.plan.context import PlanContext
from xlsx_tools.sheet_names import IDENTITY_SHEET, INSTRUCTIONS_SHEET
from xlsx_tools.workbook.identity import write_hidden_sheet
from xlsx_tools.workbook.instructions import write_instructions
from xlsx_tools.workbook.lists import write_lists
from xlsx_tools.workbook.pillar_sheet import SheetOptions, write_pillar_sheet
from xlsx_tools.workbook.styles import FONT_NAME, FONT_SIZE, use_default_font


def compose_workbook(
    context: PlanContext,
    sheet_rows: Mapping[str, Sequence[Mapping[str, str]]],
    instructions: list[tuple[str, str]],
    identity: Mapping[str, str],
    subject: str,
    password: str | None = None,
    book_kind: str = "master",
    header_right: str = "",
) -> Any:
    """Return an openpyxl Workbook (not saved) with one pillar sheet per plan pillar, in plan order.

    `book_kind` ("master" or "return") decides which columns are hidden (layout.yaml) and how the sheets freeze and
    print; `header_right` is printed at the right of every page header (e.g. the body and period of a return, or the
    master's period).
    """
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty

    plan = context.plan
    year = example_year(context, identity.get("period", ""))
    book = Workbook()
    use_default_font(book, FONT_NAME, FONT_SIZE)
    sheet = book.active
    sheet.title = INSTRUCTIONS_SHEET
    write_instructions(sheet, instructions, page_header=plan.short_title, header_right=header_right)
    for pillar in plan.pillars:
        write_pillar_sheet(
            book.create_sheet(pillar.sheet_name),
            context.sheet,
            sheet_rows.get(pillar.sheet_name, ()),
            SheetOptions(
                title=f"{plan.short_title}: Pillar {pillar.code}. {pillar.title}",
                book_kind=book_kind,
                header_right=header_right,
                password=password,
                example_year=year,
            ),
        )
    write_lists(book, context)
    write_identity(book, context, identity)
    properties = book.properties
    properties.title = plan.title
    properties.subject = subject
    properties.creator = f"tipwp {__version__}"
    properties.keywords = f"ASEAN; trafficking in persons; {plan.short_title}; {plan.id}"
    properties.description = f"Plan version {plan.version}; timeframe {plan.start.year}-{plan.end.year}."
    properties.version = plan.version
    properties.category = identity.get("kind", "")
    for name, value in (
        ("PlanId", plan.id),
        ("PlanVersion", plan.version),
        ("LayoutVersion", str(context.layout.version)),
    ):
        book.custom_doc_props.append(StringProperty(name=name, value=value))
    return book


def example_year(context: PlanContext, period: str) -> str:
    """A year for example dates: the period's (a return for 2026-H2 says 2026), else the plan's first year, so the
    example is one the date rules accept (CELL_341: inside the plan's timeframe)."""
    year = period[:4]
    inside = year.isdigit() and context.plan.start.year <= int(year) <= context.plan.end.year
    return year if inside else str(context.plan.start.year)


def write_identity(book: Any, context: PlanContext, identity: Mapping[str, str]) -> None:
    """The very-hidden identity sheet: what every workbook of ours says of itself, then `identity`."""
    values = {
        "plan_id": context.plan.id,
        "plan_version": context.plan.version,
        "plan_title": context.plan.title,
        "layout_version": str(context.layout.version),
        "tool": "tipwp",
        "tool_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        **identity,
    }
    write_hidden_sheet(book, IDENTITY_SHEET, [(key, str(value)) for key, value in values.items()])
