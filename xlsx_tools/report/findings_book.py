"""A 'Findings' workbook: one row per finding, each linked to its cell in the checked file."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from openpyxl.styles import Font, PatternFill
from openpyxl.utils import quote_sheetname
from openpyxl.worksheet.hyperlink import Hyperlink

from xlsx_tools.findings import Report, Severity
from xlsx_tools.workbook.atomic import save_atomically
from xlsx_tools.workbook.cell_text import excel_text

COLUMNS = {  # header → width
    "Code": 10,
    "Severity": 9,
    "File": 30,
    "Sheet": 18,
    "Cell": 8,
    "Column": 20,
    "Value": 30,
    "What is wrong": 50,
    "How to fix it": 60,
    "Row ID": 12,
}
FILLS = {
    Severity.FATAL: PatternFill("solid", fgColor="F4B6B6"),
    Severity.ERROR: PatternFill("solid", fgColor="FCE4D6"),
    Severity.WARNING: PatternFill("solid", fgColor="FFF2CC"),
}


def file_link(target: Path, out: Path) -> str:
    """The link from the workbook `out` to the file `target` as Excel writes one: a path relative to `out`'s folder
    with "/" and percent-encoded (a space is %20), or a file: URI when there is none; the cell goes in the link's
    location, never after a "#" in the path."""
    target = target.resolve()
    try:
        return quote(target.relative_to(out.resolve().parent).as_posix())
    except ValueError:
        return target.as_uri()


def write_findings_book(report: Report, out: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Findings"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    out = Path(out)
    for finding in report.findings:
        what = finding.detail or finding.entry.title
        if finding.suggestion:
            what += f" Did you mean {finding.suggestion}?"
        values = (
            finding.code,
            finding.severity.value,
            finding.file,
            finding.sheet,
            finding.cell,
            finding.column,
            finding.value[:1000],
            what,
            finding.entry.fix,
            finding.row_id,
        )
        sheet.append([excel_text(v) for v in values])
        row = sheet.max_row
        for cell in sheet[row]:
            cell.data_type = "s"
        sheet.cell(row=row, column=2).fill = FILLS[finding.severity]
        if finding.file and finding.sheet and finding.cell:
            cell = sheet.cell(row=row, column=5)
            location = f"{quote_sheetname(finding.sheet)}!{finding.cell.split(':')[0]}"
            target = file_link(Path(finding.file), out)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, target=target, location=location)
            cell.font = Font(color="0563C1", underline="single")
    if report.capped:
        sheet.append([f"{report.capped} further findings were not listed (report capped)."])
    for letter, width in zip("ABCDEFGHIJ", COLUMNS.values(), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:J{max(2, sheet.max_row)}"
    save_atomically(book, out)
    return out
