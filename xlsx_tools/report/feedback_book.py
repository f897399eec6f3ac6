"""`tipwp feedback`: one small workbook per body after a round (what was merged, what was held back and how to fix
it, which rows have no report, the due date), and the chase list. The figures come from
`xlsx_tools.report.feedback`; this module reads the master and writes the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from xlsx_tools.layout.measure import row_height
from xlsx_tools.merge.master_book import MasterError, open_master
from xlsx_tools.plan.periods import Period
from xlsx_tools.report.feedback import BodyFeedback, ChaseLine, chase_list, feedback
from xlsx_tools.workbook.atomic import save_atomically
from xlsx_tools.workbook.styles import FONT_NAME, FONT_SIZE, use_default_font

SHEET = "Feedback"
WIDTHS = (16, 40, 22, 40, 40)  # columns A-E; each section's table uses the first few
MERGED_TITLE = "1. Received and merged"
HELD_TITLE = "2. Held back: please correct these cells in your return and send it again"
MISSING_TITLE = "3. Your rows with no report for the period"
FILES_TITLE = "4. Files received"


class FeedbackError(ValueError):
    """Feedback cannot be written; the message says why and what to do."""


@dataclass
class FeedbackResult:
    period: str
    folder: Path
    written: list[tuple[BodyFeedback, Path]]
    chase: list[ChaseLine]


def build_feedback(
    master: Path, period: str = "", out: Path | None = None, due: str = "", today: dt.date | None = None
) -> FeedbackResult:
    """Write `<period>_<ASB>_feedback.xlsx` for every body the plan expects, into `out` (default:
    feedback-<period>/ beside the master)."""
    try:
        opened = open_master(Path(master))
    except MasterError as exc:
        raise FeedbackError(exc.finding.message) from None
    chosen = period or opened.state.period
    if not chosen:
        raise FeedbackError(f"{Path(master).name} has no open period; give one with --period, e.g. --period 2026-H2.")
    try:
        chosen = str(Period.parse(chosen))
    except ValueError as exc:
        raise FeedbackError(str(exc)) from None
    items = feedback(opened.context, opened.state, chosen, today or dt.date.today(), due)
    folder = Path(out) if out else Path(master).parent / f"feedback-{chosen}"
    folder.mkdir(parents=True, exist_ok=True)
    title = opened.context.plan.title
    written = [
        (item, write_feedback_book(item, title, folder / f"{chosen}_{item.asb}_feedback.xlsx")) for item in items
    ]
    return FeedbackResult(chosen, folder, written, chase_list(items))


def write_feedback_book(item: BodyFeedback, plan_title: str, out: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment
    from openpyxl.styles import Font as NamelessFont

    Font = partial(NamelessFont, name=FONT_NAME)
    book = Workbook()
    use_default_font(book, FONT_NAME, FONT_SIZE)
    ws = book.active
    ws.title = SHEET
    for column, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + column)].width = width
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.cell(row=1, column=1, value=f"Feedback to {item.asb} — {item.period}").font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=plan_title)
    facts = [
        ("Body", item.asb),
        ("Period", item.period),
        ("Due", item.due or "(not recorded)"),
        ("Received", item.received or "nothing received yet"),
        ("Days late", item.days_late),
        ("Rows expected", item.rows_expected),
    ]
    for row, (label, value) in enumerate(facts, start=4):
        ws.cell(row=row, column=1, value=label).font = bold
        ws.cell(row=row, column=2, value=value).alignment = Alignment(horizontal="left")
    merged = [  # the activity once, on its row's first value
        (v.row_id, v.activity if i == 0 or item.merged[i - 1].row_id != v.row_id else "", v.column, v.value)
        for i, v in enumerate(item.merged)
    ]
    sections: list[tuple[str, Sequence[str], Sequence[Sequence[Any]], str]] = [
        (MERGED_TITLE, ("Row ID", "Activity", "Column", "Value"), merged, "Nothing merged for this period."),
        (
            HELD_TITLE,
            ("Row ID", "Column", "Value", "Problem", "How to fix it"),
            [(h.row_id, h.column, h.value, f"{h.problem} ({h.code})", h.fix) for h in item.held],
            "Nothing held back.",
        ),
        (
            MISSING_TITLE,
            ("Row ID", "Activity", "Your role"),
            [(m.row_id, m.activity, m.role) for m in item.missing],
            "Every row has a report. Thank you.",
        ),
        (
            FILES_TITLE,
            ("Received", "File", "Outcome", "Why refused"),
            [(r.received, r.file, r.outcome, r.reasons) for r in item.returns],
            "No file received.",
        ),
    ]
    for title, headers, lines, empty in sections:  # each after a blank row: its title, then its table or `empty`
        ws.cell(row=row + 2, column=1, value=title).font = Font(bold=True, size=12)
        row += 3
        if not lines:
            ws.cell(row=row, column=1, value=empty).font = Font(italic=True)
            continue
        for column, header in enumerate(headers, start=1):
            cell = ws.cell(row=row, column=column, value=header)
            cell.font, cell.alignment = bold, wrap
        for line in lines:
            row += 1
            for column, value in enumerate(line, start=1):
                ws.cell(row=row, column=column, value=value).alignment = wrap
            ws.row_dimensions[row].height = row_height([(str(v), WIDTHS[i]) for i, v in enumerate(line)], FONT_SIZE)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    save_atomically(book, out)
    return out
