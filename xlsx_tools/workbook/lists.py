"""The hidden Lists sheet and its named ranges: every dropdown points at a name, never at an inline list
(inline lists break at 255 characters). Refreshing rewrites the lists and the names, nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from xlsx_tools.plan.context import PlanContext, plan_context
from xlsx_tools.sheet_names import IDENTITY_SHEET, LISTS_SHEET
from xlsx_tools.workbook.atomic import save_atomically
from xlsx_tools.workbook.identity import read_identity
from xlsx_tools.workbook.load import load_for_writing


def write_lists(book: Any, context: PlanContext) -> None:
    """Create or clear the Lists sheet, write one column per list (plus a note column), define the names."""
    if LISTS_SHEET in book.sheetnames:
        sheet = book[LISTS_SHEET]
        sheet.delete_rows(1, sheet.max_row)
    else:
        sheet = book.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    notes = _list_notes(context)
    column = 1
    for name, values in context.lists.items():
        letter = get_column_letter(column)
        spec = context.layout.lists.get(name)
        header = sheet.cell(row=1, column=column, value=spec.title if spec else name)
        header.font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=column, value=value).data_type = "s"
            note = notes.get(name, {}).get(value)
            if note:
                sheet.cell(row=row, column=column + 1, value=note)
        sheet.column_dimensions[letter].width = 24
        last = max(2, len(values) + 1)
        reference = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${last}"
        if name in book.defined_names:
            del book.defined_names[name]
        book.defined_names[name] = DefinedName(name, attr_text=reference)
        column += 2
    sheet.protection.sheet = True


def refresh_lists(path: Path, out: Path | None = None) -> dict[str, int]:
    """Re-populate the lists of an existing workbook from the current reference data; returns list sizes.
    WorkbookLoadError when openpyxl cannot load the file, OSError when it cannot be written (then it is unchanged)."""
    book = load_for_writing(path)
    identity = read_identity(book[IDENTITY_SHEET]) if IDENTITY_SHEET in book.sheetnames else {}
    context = plan_context(identity.get("plan_id") or "bwp2")
    write_lists(book, context)
    save_atomically(book, out or path)
    return {name: len(values) for name, values in context.lists.items()}


def _list_notes(context: PlanContext) -> dict[str, dict[str, str]]:
    """Full names beside list values: ASB names, APA paragraph texts (shortened)."""
    notes: dict[str, dict[str, str]] = {}
    for name, spec in context.layout.lists.items():
        if spec.source == "registry":
            notes[name] = {b.code: b.name for b in context.references.registry.bodies}
        elif spec.source == "apa":
            notes[name] = {p.ref: p.text[:250] for p in context.references.apa}
    return notes
