"""Write a copy of each checked file with every bad cell highlighted and a comment saying what to fix.

The original is never modified: the copy is <name>.checked.xlsx beside it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from xlsx_tools.findings import Finding, Report, Severity
from xlsx_tools.workbook.atomic import save_atomically
from xlsx_tools.workbook.cell_text import excel_text
from xlsx_tools.workbook.load import WorkbookLoadError, load_for_writing

HIGHLIGHT = {
    Severity.ERROR: PatternFill("solid", fgColor="FF9999"),
    Severity.WARNING: PatternFill("solid", fgColor="FFE699"),
}


def annotated_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.checked.xlsx")


def annotate_file(path: Path, findings: list[Finding]) -> Path | None:
    """The annotated copy of `path` (None for a file that could not be read at all). WorkbookLoadError when
    openpyxl cannot load the file, OSError when the copy cannot be written."""
    if any(f.severity is Severity.FATAL for f in findings):
        return None
    book = load_for_writing(path)
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.sheet and f.cell and ":" not in f.cell and f.severity in HIGHLIGHT:
            by_cell[(f.sheet, f.cell)].append(f)
    for (sheet_name, address), items in by_cell.items():
        if sheet_name not in book.sheetnames:
            continue
        cell = book[sheet_name][address]
        worst = Severity.ERROR if any(f.severity is Severity.ERROR for f in items) else Severity.WARNING
        cell.fill = HIGHLIGHT[worst]
        text = "\n".join(f"[{f.code}] {(f.detail or f.entry.title)}. {f.entry.fix}" for f in items)
        cell.comment = Comment(excel_text(text[:30000]), "tipwp validate", width=320, height=160)
    out = annotated_path(path)
    save_atomically(book, out)
    return out


def annotate_files(report: Report, failed: list[str] | None = None) -> list[Path]:
    """The annotated copies written; a file that cannot be annotated is skipped, with one line on `failed`."""
    failed = [] if failed is None else failed
    written = []
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_file[finding.file].append(finding)
    for name in report.files:
        try:
            out = annotate_file(Path(name), by_file.get(name, []))
        except WorkbookLoadError as exc:
            failed.append(f"No annotated copy of {name}: {exc}")
        except OSError as exc:
            where = exc.filename or annotated_path(Path(name))
            failed.append(f"No annotated copy of {name}: {where} could not be written ({exc.strerror or exc})")
        else:
            if out:
                written.append(out)
    return written
