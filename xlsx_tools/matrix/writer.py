"""Lay the status matrix out as an Excel workbook (openpyxl): the Matrix and Summary sheets, charts, print setup.

Only presentation lives here; every figure comes from `xlsx_tools.matrix.core`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, NumData, NumVal, StrData, StrRef, StrVal
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.styles import Font as NamelessFont
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.properties import Outline, PageSetupProperties

from xlsx_tools.layout.measure import row_height, text_height
from xlsx_tools.matrix.core import HELD, NO_REPORT, NO_STATUS, OTHER, MatrixInput, Summary
from xlsx_tools.workbook.cell_text import excel_text, excel_value
from xlsx_tools.workbook.styles import FONT_NAME, FONT_SIZE, StyleBook, use_default_font

MATRIX_SHEET = "Matrix"
SUMMARY_SHEET = "Summary"
# legend: category → fill colour (RGB hex)
LEGEND: dict[str, str] = {
    "Completed": "63BE7B",
    "Ongoing": "9BC2E6",
    "Concept note / seeking funding": "FFE699",
    "Not started": "D9D9D9",
    "Postponed": "F4B183",
    "Discontinued": "C00000",
    NO_REPORT: "FFFFFF",
    HELD: "FFFFFF",
}
LEGEND_NOTES = {
    NO_REPORT: "nothing came in for the row in that period",
    HELD: "a report came in but was held back until corrected (see the merge's findings)",
    NO_STATUS: "a report without a status (no colour)",
    OTHER: "free text that maps to no status (shown as typed, no colour)",
}
WHITE_TEXT = {"Discontinued"}
LABEL_COLUMNS = 3  # Code, Activity, Coordinating ASB
HEADER_ROWS = 2
# every font names its face: a font without a name falls back to LibreOffice's serif default in the PDF
Font = partial(NamelessFont, name=FONT_NAME)
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
GROUP_FILLS = ("1F4E78", "DDEBF7", "F2F2F2")  # pillar, level-1 group, level-2 group
CENTERED = Alignment(horizontal="center", vertical="center", wrap_text=True)
TOP_WRAP = Alignment(vertical="top", wrap_text=True)
ONE_LINE = Alignment(vertical="top", wrap_text=False)
WHITE_FONT = Font(color="FFFFFF")


def solid(colour: str) -> PatternFill:
    return PatternFill("solid", start_color=colour, end_color=colour)


GROUP_STYLE_FILLS = tuple(solid(c) for c in GROUP_FILLS)
HEADING_FILL = solid("404040")
# level → first column or not → font: pillar rows white on dark blue, the group label a size larger
GROUP_FONTS = tuple(
    {
        first: Font(
            bold=True, color="FFFFFF" if level == 0 else "000000", size=(12 if level == 0 else 11) if first else None
        )
        for first in (False, True)
    }
    for level in range(len(GROUP_FILLS))
)


def _fit_height(ws: Any, excel_row: int, texts: list[tuple[str, float]]) -> None:
    """Give a wrapped row room for its longest text (Excel and LibreOffice do not grow rows openpyxl wrote); measured
    as bold, what group rows and table headings are: a little white space under regular text, never a cut line."""
    height = row_height(texts, font_size=FONT_SIZE, bold=True)
    if height > text_height(1, FONT_SIZE):
        ws.row_dimensions[excel_row].height = height


def heading_row(ws: Any, row: int, labels: list[tuple[str, float]], alignment: Alignment) -> None:
    """White on dark grey, the columns as wide as given (label, width), as tall as the longest label needs."""
    for column, (label, width) in enumerate(labels, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
        cell = ws.cell(row=row, column=column, value=label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADING_FILL
        cell.alignment = alignment
        cell.border = BOX
    ws.row_dimensions[row].height = row_height(labels, FONT_SIZE, bold=True)


def status_style(category: str) -> dict[str, Any]:
    """The fill of a status category (white text on the dark one); nothing for the uncoloured categories."""
    style: dict[str, Any] = {"fill": solid(LEGEND[category])} if category in LEGEND else {}
    if category in WHITE_TEXT:
        style["font"] = WHITE_FONT
    return style


def compose_workbook(data: MatrixInput, summary: Summary, styles: StyleBook) -> Any:
    """The Matrix and Summary sheets in a new openpyxl workbook (not saved); `styles` belongs to it from now on."""
    book = Workbook()
    use_default_font(book, FONT_NAME, FONT_SIZE)
    book.active.title = MATRIX_SHEET
    _write_matrix(book.active, data, styles)
    _write_summary(book.create_sheet(SUMMARY_SHEET), data, summary, styles)
    return book


def _write_matrix(ws: Any, data: MatrixInput, styles: StyleBook) -> None:
    periods = data.periods
    ws.cell(row=1, column=1, value=f"Status matrix — {data.plan_title} — {data.period}").font = Font(bold=True, size=14)
    labels = [("Code", 12.0), ("Activity", 60.0), ("Coordinating ASB", 16.0), *((p, 15.0) for p in periods)]
    heading_row(ws, HEADER_ROWS, labels, CENTERED)
    ws.sheet_properties.outlinePr = Outline(summaryBelow=False, summaryRight=False)
    ws.freeze_panes = ws.cell(row=HEADER_ROWS + 1, column=LABEL_COLUMNS + 1)
    ws.print_title_rows = f"1:{HEADER_ROWS}"
    ws.print_title_cols = f"A:{get_column_letter(LABEL_COLUMNS)}"

    reports = {(r["row_id"], r["period"]): r for r in data.reports.to_dict("records")}
    excel_row = HEADER_ROWS
    for record, groups in with_groups(data.rows):
        for level, key, text in groups:
            excel_row += 1
            _group_row(ws, excel_row, level, key, text, len(labels), styles)
        excel_row += 1
        ws.row_dimensions[excel_row].outlineLevel = 3
        values = (record.row_id, record.activity, ", ".join(record.coordinating))
        row_reports = [reports[(record.row_id, period)] for period in periods]
        statuses = [excel_text(str(report["status"])) for report in row_reports]
        _fit_height(ws, excel_row, [(record.activity, 60), *((status, 15) for status in statuses)])
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=excel_row, column=column, value=value)
            wrap = column == 2
            styles.apply(cell, ("label", wrap), alignment=TOP_WRAP if wrap else ONE_LINE, border=BOX)
        for i, (report, status) in enumerate(zip(row_reports, statuses, strict=True)):
            cell = ws.cell(row=excel_row, column=LABEL_COLUMNS + 1 + i, value=status)
            category = str(report["category"])
            styles.apply(cell, ("status", category), alignment=CENTERED, border=BOX, **status_style(category))
            note = _note(report)
            if note:
                cell.comment = Comment(excel_text(note), str(report["asb"]) or "tipwp", width=320, height=160)
    _legend(ws, excel_row + 2, styles)
    # Excel draws the outline's gutter and +/- buttons from this (openpyxl does not derive it from the rows)
    ws.sheet_format.outlineLevelRow = max((d.outlineLevel or 0 for d in ws.row_dimensions.values()), default=0)


def with_groups(rows: pd.DataFrame) -> Iterator[tuple[Any, list[tuple[int, str, str]]]]:
    """Each plan row with the group rows (level, code, text) that open above it: pillar, level-1, level-2 group."""
    last: tuple[str, ...] = ()
    for record in rows.itertuples(index=False):
        keys = (record.pillar, record.group1, record.group2)
        groups = ((record.pillar_title, ""), (record.group1, record.group1_text), (record.group2, record.group2_text))
        opened = [
            (level, key, text)
            for level, (key, text) in enumerate(groups)
            if keys[: level + 1] != last[: level + 1] and (key or text)
        ]
        last = keys
        yield record, opened


def _group_row(ws: Any, excel_row: int, level: int, key: str, text: str, width: int, styles: StyleBook) -> None:
    ws.row_dimensions[excel_row].outlineLevel = level
    _fit_height(ws, excel_row, [(text, 60)])
    ws.cell(row=excel_row, column=1, value=key)
    if level:
        ws.cell(row=excel_row, column=2, value=text)
    for column in range(1, width + 1):
        styles.apply(
            ws.cell(row=excel_row, column=column),
            ("group", level, column == 1, column == 2),
            fill=GROUP_STYLE_FILLS[level],
            font=GROUP_FONTS[level][column == 1],
            alignment=TOP_WRAP if column == 2 else ONE_LINE,
        )


def _note(report: Mapping[str, Any]) -> str:
    parts = []
    if report["progress"]:
        parts.append(str(report["progress"]))
    if report["raw_status"] and report["raw_status"] != report["status"]:
        parts.append(f"Status as reported: {report['raw_status']}")
    if parts and report["asb"]:
        parts.append(f"— {report['asb']}")
    return "\n".join(parts)


def _legend(ws: Any, row: int, styles: StyleBook) -> None:
    """In columns B (what a category means) and C (its swatch), from `row` down."""
    ws.cell(row=row, column=2, value="Legend").font = BOLD
    for i, category in enumerate((*LEGEND, NO_STATUS, OTHER), start=1):
        swatch = ws.cell(row=row + i, column=3, value=category)
        styles.apply(swatch, ("legend", category), border=BOX, **status_style(category))
        ws.cell(row=row + i, column=2, value=LEGEND_NOTES.get(category, "status reported"))


def _table(ws: Any, row: int, title: str, frame: pd.DataFrame, styles: StyleBook, note: str = "") -> tuple[int, int]:
    """Write a titled table at `row`; returns (first data row, next free row)."""
    ws.cell(row=row, column=1, value=title).font = Font(bold=True, size=12)
    if note:
        ws.cell(row=row + 1, column=1, value=note).font = Font(italic=True, color="595959")
        row += 1
    header = row + 1
    if {"Row ID", "Activity"} <= set(frame.columns):  # one wide first column: "A.1.1-01 Support ASEAN …"
        joined = frame["Row ID"].astype(str) + " " + frame["Activity"].astype(str)
        frame = frame.drop(columns=["Row ID", "Activity"])
        frame.insert(0, "Activity", joined)
    if frame.empty:
        ws.cell(row=header, column=1, value="(none)").font = Font(italic=True)
        return header, header + 2
    for column, label in enumerate(frame.columns, start=1):
        cell = ws.cell(row=header, column=column, value=str(label))
        cell.font = BOLD
        cell.border = BOX
        cell.alignment = TOP_WRAP
        if str(label) in LEGEND:
            cell.fill = solid(LEGEND[str(label)])
        if str(label) in WHITE_TEXT:
            cell.font = Font(bold=True, color="FFFFFF")
    widths = [ws.column_dimensions[get_column_letter(c)].width or 13 for c in range(1, len(frame.columns) + 1)]
    _fit_height(ws, header, [(str(label), w) for label, w in zip(frame.columns, widths, strict=True)])
    for r, values in enumerate(frame.itertuples(index=False), start=header + 1):
        _fit_height(ws, r, [(str(v), w) for v, w in zip(values, widths, strict=True) if isinstance(v, str)])
        for column, value in enumerate(values, start=1):
            if isinstance(value, tuple):
                value = ", ".join(value)
            elif hasattr(value, "item"):
                value = value.item()  # numpy scalar → Python
            cell = ws.cell(row=r, column=column, value=excel_value(value))
            styles.apply(cell, "table", border=BOX, alignment=TOP_WRAP)
    return header + 1, header + 1 + len(frame) + 1


def _write_summary(ws: Any, data: MatrixInput, summary: Summary, styles: StyleBook) -> None:
    ws.cell(row=1, column=1, value=f"Summary — {data.plan_title} — {summary.period}").font = Font(bold=True, size=14)
    since = f"since {summary.previous}" if summary.previous else "(no earlier period shown)"
    ws.cell(
        row=2, column=1, value=f"Status of the {len(data.rows)} activity rows in {summary.period}; changes {since}."
    )
    ws.column_dimensions["A"].width = 60
    for column in range(2, 16):
        ws.column_dimensions[get_column_letter(column)].width = 14  # "Discontinued" in bold, unbroken
    row = 4
    first, row = _table(ws, row, "Status by pillar", summary.by_pillar, styles)
    pillar_rows = (first, first + len(summary.by_pillar) - 1)
    _, row = _table(ws, row, "Status by priority outcome / APA provision", summary.by_outcome, styles)
    _, row = _table(ws, row, "Status by coordinating ASB", summary.by_coordinator, styles)
    note = (
        "Expected: every body that coordinates or supports a row. Late: its first merged return arrived after the "
        "template's due date. Missing: nothing merged for the period."
    )
    first_c, row = _table(ws, row, "Reporting completeness by ASB", summary.completeness, styles, note)
    completeness_rows = (first_c, first_c + len(summary.completeness) - 1)
    _, row = _table(ws, row, f"Rows with no report in {summary.period}", summary.no_report, styles)
    _, row = _table(ws, row, f"Newly completed {since}", summary.newly_completed, styles)
    _, row = _table(ws, row, f"Newly postponed or discontinued {since}", summary.newly_stopped, styles)
    _, row = _table(ws, row, "Unchanged for two periods or more", summary.unchanged, styles)
    _, row = _table(ws, row, "Coverage by APA paragraph", summary.apa, styles)
    if not summary.actip.empty:
        _, row = _table(ws, row, "Coverage by ACTIP article", summary.actip, styles)
    anchor_column = get_column_letter(len(summary.by_pillar.columns) + 2)
    if not summary.by_pillar.empty:
        _status_chart(ws, summary, pillar_rows, f"{anchor_column}4")
    if not summary.completeness.empty:
        _completeness_chart(ws, summary, completeness_rows, f"{anchor_column}{completeness_rows[0] - 2}")


def _status_chart(ws: Any, summary: Summary, rows: tuple[int, int], anchor: str) -> None:
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = f"Status by pillar, {summary.period}"
    chart.y_axis.title = "Activity rows"
    for index, name in enumerate(summary.by_pillar.columns, start=1):
        if name not in LEGEND:
            continue
        ref = Reference(ws, min_col=index, min_row=rows[0] - 1, max_row=rows[1])
        chart.add_data(ref, titles_from_data=True)
        series = chart.series[-1]
        series.graphicalProperties.solidFill = LEGEND[name] if name != NO_REPORT else "F2F2F2"
        series.graphicalProperties.line.solidFill = "808080"
    chart.set_categories(Reference(ws, min_col=1, min_row=rows[0], max_row=rows[1]))
    chart.height, chart.width = 14.4, 30  # cm: large enough to read on the printed page
    _as_excel_writes(ws, chart)
    ws.add_chart(chart, anchor)


def _completeness_chart(ws: Any, summary: Summary, rows: tuple[int, int], anchor: str) -> None:
    chart = BarChart()
    chart.type = "bar"
    chart.title = f"Rows reported by ASB (%), {summary.period}"
    index = list(summary.completeness.columns).index("Reported %") + 1
    chart.add_data(Reference(ws, min_col=index, min_row=rows[0] - 1, max_row=rows[1]), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=rows[0], max_row=rows[1]))
    chart.series[0].graphicalProperties.solidFill = LEGEND["Completed"]
    chart.legend = None
    chart.height, chart.width = max(14, 0.8 * len(summary.completeness)), 30  # a row of labels per body
    _as_excel_writes(ws, chart)
    ws.add_chart(chart, anchor)


def _as_excel_writes(ws: Any, chart: BarChart) -> None:
    """What openpyxl leaves out of a chart and Excel needs: axes marked as shown (without <c:delete val="0"/> Excel
    hides them, and the pillar and body labels with them), text categories referenced as text (strRef), and every
    reference's values cached in the chart, as Excel writes them (previews and viewers draw from the cache)."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    for series in chart.series:
        if series.cat is not None and series.cat.numRef is not None:
            series.cat = AxDataSource(strRef=StrRef(f=series.cat.numRef.f))
        if series.cat is not None and series.cat.strRef is not None:
            series.cat.strRef.strCache = _text_cache(ws, series.cat.strRef.f)
        if series.tx is not None and series.tx.strRef is not None:
            series.tx.strRef.strCache = _text_cache(ws, series.tx.strRef.f)
        if series.val is not None and series.val.numRef is not None:
            values = _cached_cells(ws, series.val.numRef.f)
            points = [NumVal(idx=i, v=v) for i, v in enumerate(values) if isinstance(v, (int, float))]
            series.val.numRef.numCache = NumData(formatCode="General", ptCount=len(values), pt=points)


def _cached_cells(ws: Any, reference: str) -> list[Any]:
    """The values of the cells of `reference` ("'Summary'!$A$6:$A$9", on `ws`), row by row."""
    min_col, min_row, max_col, max_row = range_boundaries(reference.rpartition("!")[2].replace("$", ""))
    return [
        ws.cell(row=row, column=column).value
        for row in range(min_row, max_row + 1)
        for column in range(min_col, max_col + 1)
    ]


def _text_cache(ws: Any, reference: str) -> StrData:
    values = _cached_cells(ws, reference)
    points = [StrVal(idx=i, v=str(v)) for i, v in enumerate(values) if v is not None and v != ""]
    return StrData(ptCount=len(values), pt=points)


def print_setup(ws: Any, data: MatrixInput, generated: dt.date) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.85  # room for the page header and footer above their 0.3
    ws.page_margins.header = ws.page_margins.footer = 0.3
    for header in (ws.oddHeader, ws.evenHeader):
        header.left.text = data.plan_title.replace("&", "&&")  # a lone & starts a header code in Excel
        header.left.size = 9
        header.right.text = f"Status matrix {data.period} — {ws.title}"
        header.right.size = 9
    for footer in (ws.oddFooter, ws.evenFooter):
        footer.left.text = f"Generated {generated.isoformat()} by tipwp"
        footer.left.size = 8
        footer.right.text = "Page &P of &N"
        footer.right.size = 8
