"""The Instructions sheet: what the workbook is and how to use it, in plain words."""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Alignment, Font

from xlsx_tools.layout.measure import row_height
from xlsx_tools.plan.model import Plan
from xlsx_tools.workbook.period_names import prepared_for
from xlsx_tools.workbook.styles import FONT_NAME

WIDTH = 95  # one column as wide as a portrait A4 page holds at 100 %
STYLES = {  # style → (font size, bold, colour)
    "title": (14, True, "000000"),
    "heading": (12, True, "1F4E78"),
    "": (11, False, "000000"),
}
SPACE_BEFORE_HEADING_PT = 8


def master_instructions(plan: Plan, statuses: tuple[str, ...], period: str) -> list[tuple[str, str]]:
    """(style, text) lines; style is "title", "heading" or "" for body text."""
    sheets = ", ".join(f"'{p.sheet_name}'" for p in plan.pillars)
    return [
        ("title", plan.title),
        ("", f"Master workbook, plan version {plan.version}. Timeframe {plan.start.year}-{plan.end.year}."),
        ("heading", "What is in this workbook"),
        ("", f"One sheet per pillar: {sheets}. Each row is one activity/project with its outcome and type."),
        ("", "Blue columns are the plan itself. They are locked so that the plan is not changed by accident."),
        ("", "Orange columns are for reporting. They are unlocked; click a cell to see what to write."),
        ("heading", "How to report"),
        ("", f"1. Reporting period: choose the half-year from the list {prepared_for(period)}."),
        ("", "2. Reporting ASB: choose your sectoral body from the list."),
        ("", "3. Status: choose one of: " + "; ".join(statuses) + "."),
        ("", "4. Progress narrative: what was done this period. 'Completed' needs a narrative and the event date."),
        (
            "",
            f"5. Dates of events held: e.g. 6 June {plan.start.year} or June 6-8, {plan.start.year}; separate several "
            "dates with ';'.",
        ),
        ("", "6. Results against indicators, and Resource / funding needs: plain text."),
        ("heading", "Please do not"),
        ("", "- rename, delete or reorder sheets or columns, or merge cells;"),
        ("", "- type formulas (text starting with =, +, - or @); paste values only (Paste Special > Values);"),
        ("", "- change the hidden Row ID column: it is how returns are matched to the plan."),
        ("heading", "Checking the workbook"),
        ("", "Run 'tipwp validate <this file>' (or the Validate button on the TIP Work Plan ribbon tab)."),
        ("", "Each finding names the sheet, the cell and the column, says what is wrong and how to fix it."),
        ("heading", "Gaps in the source plan"),
        ("", "Where the source plan names no Coordinating ASB (e.g. A.1.3, A.2.5) the cell is left blank on purpose;"),
        ("", "validation lists these as warnings so the secretariat can settle them, rather than inventing a value."),
        ("heading", "The pillars and their goals"),
        *[("", f"{p.code}. {p.title}: {p.goal}" if p.goal else f"{p.code}. {p.title}") for p in plan.pillars],
        ("heading", "Lists"),
        ("", "The dropdown lists (ASBs, statuses, APA provisions, periods) are on a hidden 'Lists' sheet."),
        ("", "When a body joins or a list changes, run 'tipwp lists refresh <this file>'; entered data is kept."),
    ]


def write_instructions(sheet: Any, lines: list[tuple[str, str]], page_header: str = "", header_right: str = "") -> None:
    """One wrapped line per row, each row as tall as its text; prints on portrait A4 pages, one page wide."""
    sheet.column_dimensions["A"].width = WIDTH
    for row, (style, text) in enumerate(lines, start=1):
        size, bold, colour = STYLES.get(style, STYLES[""])
        cell = sheet.cell(row=row, column=1, value=text)
        cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="bottom" if style == "heading" else "top")
        cell.font = Font(name=FONT_NAME, size=size, bold=bold, color=colour)
        height = row_height([(text, WIDTH)], size, bold)
        sheet.row_dimensions[row].height = height + (SPACE_BEFORE_HEADING_PT if style == "heading" else 0)
    sheet.sheet_view.showGridLines = False
    setup = sheet.page_setup
    setup.orientation = "portrait"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = False
    sheet.page_margins.left = sheet.page_margins.right = 0.6
    for part, text in (
        (sheet.oddHeader.left, page_header),
        (sheet.oddHeader.right, header_right),
        (sheet.oddFooter.right, "Page &P of &N"),
    ):
        if text:
            part.text, part.font, part.size = text, f"{FONT_NAME},Regular", 9
    sheet.protection.sheet = True
