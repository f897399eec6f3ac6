"""The printed progress report of the status matrix workbook: the *Progress report* and *Funding needs* sheets.

What a meeting reads: per pillar, outcome and activity, the status of the period and every body's text (progress,
results against indicators, dates of events, resource and funding needs), attributed, the coordinating body first,
on rows tall enough for their text, so that the PDF carries the words and not only the colours. The figures come
from `xlsx_tools.matrix.progress`; the columns' headers and widths from the layout.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xlsx_tools.layout.measure import (
    LINE_SPACING,
    MAX_ROW_HEIGHT_PT,
    ROW_PADDING_PT,
    row_height,
    text_height,
    wrapped_lines,
)
from xlsx_tools.matrix.core import MatrixInput, Summary
from xlsx_tools.matrix.progress import FUNDING_KEY, Contribution, ProgressReport
from xlsx_tools.matrix.writer import (
    BOX,
    FONT_SIZE,
    GROUP_STYLE_FILLS,
    ONE_LINE,
    TOP_WRAP,
    Font,
    compose_workbook,
    heading_row,
    print_setup,
    status_style,
    with_groups,
)
from xlsx_tools.workbook.atomic import save_atomically
from xlsx_tools.workbook.styles import StyleBook

REPORT_SHEET = "Progress report"
FUNDING_SHEET = "Funding needs"
HEADER_ROW = 3
# the label columns before the reported text; the text columns' headers and widths are the layout's
LABELS = (("Code", 11.0), ("Activity", 36.0), ("Status", 13.0), ("Reported by", 13.0))
# a longer text goes on in the next row: about half a printed page per row (Excel's tallest row, 409 pt, would hold
# 33 lines but leave most pages with one row and the rest blank)
MAX_LINES = min(24, int((MAX_ROW_HEIGHT_PT - ROW_PADDING_PT) / (FONT_SIZE * LINE_SPACING)))


def write_matrix_book(
    data: MatrixInput, summary: Summary, report: ProgressReport, out: Path, generated: dt.date
) -> Path:
    """The status matrix workbook with the progress report and the funding needs after its Matrix and Summary."""
    styles = StyleBook()
    book = compose_workbook(data, summary, styles)
    write_progress(book.create_sheet(REPORT_SHEET), data, report, styles)
    write_funding(book.create_sheet(FUNDING_SHEET), report, styles)
    for ws in book.worksheets:
        print_setup(ws, data, generated)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_atomically(book, out)
    return out


def _heading(ws: Any, title: str, note: str, labels: list[tuple[str, float]]) -> None:
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=note).font = Font(italic=True, color="595959")
    heading_row(ws, HEADER_ROW, labels, TOP_WRAP)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)


def write_progress(ws: Any, data: MatrixInput, report: ProgressReport, styles: StyleBook) -> None:
    widths = [w for _, w in LABELS] + [width for _, _, width in report.columns]
    labels = [label for label, _ in LABELS] + [header for _, header, _ in report.columns]
    _heading(
        ws,
        f"Progress report — {data.plan_title} — {report.period}",
        f"Every body's report for {report.period}, the coordinating body first; the status is the one the matrix "
        "shows. From the master's History: values that count (not superseded by a later return, not held back).",
        list(zip(labels, widths, strict=True)),
    )
    period = data.reports[data.reports["period"] == report.period]
    statuses = dict(zip(period["row_id"], zip(period["status"], period["category"], strict=True), strict=True))
    excel_row = HEADER_ROW
    for record, groups in with_groups(data.rows):
        for level, key, text in groups:
            excel_row += 1
            _group(ws, excel_row, level, key, text, widths, styles)
        status, category = statuses[record.row_id]
        lines: list[Contribution | None] = list(report.contributions.get(record.row_id, ())) or [None]
        for index, contribution in enumerate(lines):
            texts: list[str] = [record.row_id, record.activity, str(status)] if index == 0 else ["", "", ""]
            if contribution is None:
                texts += [""] * (1 + len(report.columns))
            else:
                texts.append(f"{contribution.asb} ({contribution.role})" if contribution.role else contribution.asb)
                texts += [contribution.values.get(key, "") for key, _, _ in report.columns]
            for part, (part_texts, wrapped) in enumerate(split_tall(texts, widths)):
                excel_row += 1
                if part:
                    part_texts[3] = f"{texts[3]} (continued)"
                category_shown = str(category) if index == part == 0 else ""
                _line(ws, excel_row, part_texts, category_shown, styles, text_height(wrapped, FONT_SIZE))


def split_tall(texts: list[str], widths: list[float]) -> list[tuple[list[str], int]]:
    """One line of the report, or several when a text would not fit Excel's tallest row: each too-long cell goes on
    in the next line, cut between words, so that nothing is cut off on the page. Each with its wrapped lines."""
    pieces = [_pieces(text, width) for text, width in zip(texts, widths, strict=True)]
    depth = max(len(p) for p in pieces)
    return [
        ([p[i][0] if i < len(p) else "" for p in pieces], max(p[i][1] if i < len(p) else 1 for p in pieces))
        for i in range(depth)
    ]


def _pieces(text: str, width: float) -> list[tuple[str, int]]:
    """`text` as (piece, wrapped lines) of at most MAX_LINES lines each."""
    lines = wrapped_lines(text, width, FONT_SIZE) if text else 1
    if lines <= MAX_LINES:
        return [(text, lines)]
    out: list[str] = []
    rest = text
    budget = max(80, len(text) * MAX_LINES // lines)  # characters that fill the lines on average
    while wrapped_lines(rest, width, FONT_SIZE) > MAX_LINES:
        while True:
            cut = max(rest.rfind(" ", 0, budget), rest.rfind("\n", 0, budget))
            piece = rest[: cut if cut > 0 else budget]
            if wrapped_lines(piece, width, FONT_SIZE) <= MAX_LINES or budget <= 80:
                break
            budget = budget * 9 // 10
        out.append(piece.rstrip())
        rest = rest[len(piece) :].lstrip()
    out.append(rest)
    return [(piece, wrapped_lines(piece, width, FONT_SIZE)) for piece in out]


def _group(ws: Any, excel_row: int, level: int, key: str, text: str, widths: list[float], styles: StyleBook) -> None:
    """A pillar (level 0: its title across the row), outcome or type row (its code, then its text across the rest).
    A text that fits on one line runs over the empty cells to its right; a longer one wraps in cells merged for it."""
    first_text = 1 if level == 0 else 2
    ws.cell(row=excel_row, column=1, value=key)
    if level:
        ws.cell(row=excel_row, column=2, value=text)
    lines = wrapped_lines(text or key, sum(widths[first_text - 1 :]), FONT_SIZE, bold=True)
    for column in range(1, len(widths) + 1):
        styles.apply(
            ws.cell(row=excel_row, column=column),
            ("report group", level, lines > 1),
            fill=GROUP_STYLE_FILLS[level],
            font=Font(bold=True, color="FFFFFF" if level == 0 else "000000"),
            alignment=TOP_WRAP if lines > 1 else ONE_LINE,
        )
    if lines > 1:
        ws.merge_cells(start_row=excel_row, start_column=first_text, end_row=excel_row, end_column=len(widths))
        ws.row_dimensions[excel_row].height = text_height(lines, FONT_SIZE)


def _line(ws: Any, excel_row: int, texts: list[str], category: str, styles: StyleBook, height: float) -> None:
    ws.row_dimensions[excel_row].height = height
    for column, text in enumerate(texts, start=1):
        cell = ws.cell(row=excel_row, column=column, value=text or None)
        if column == 3 and category:
            styles.apply(cell, ("report status", category), border=BOX, alignment=TOP_WRAP, **status_style(category))
        else:
            styles.apply(cell, "report text", border=BOX, alignment=TOP_WRAP)


def write_funding(ws: Any, report: ProgressReport, styles: StyleBook) -> None:
    need_header = next(header for key, header, _ in report.columns if key == FUNDING_KEY)
    labels = [
        ("Pillar", 20.0),
        ("Reported by", 13.0),
        ("Code", 11.0),
        ("Activity", 45.0),
        (need_header, 60.0),
        ("Coordinating ASB", 14.0),
    ]
    _heading(
        ws,
        f"Resource and funding needs — {report.period}",
        f"{len(report.funding)} report(s) state a need, by pillar and body: for resource mobilisation with partners.",
        labels,
    )
    widths = [w for _, w in labels]
    for excel_row, need in enumerate(report.funding, start=HEADER_ROW + 1):
        texts = list(need)  # its fields in the columns' order
        _line(ws, excel_row, texts, "", styles, row_height(zip(texts, widths, strict=True), FONT_SIZE))
    if not report.funding:
        ws.cell(row=HEADER_ROW + 1, column=1, value="(none reported)").font = Font(italic=True)
