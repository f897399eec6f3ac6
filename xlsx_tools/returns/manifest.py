"""The very-hidden manifest of a return template: written when it is issued, read back when it is merged.

Key/value rows (template id, plan id and version, period, body, issue time, due date, master), a blank row, then a
table of the issued rows: Row ID, sheet, and a fingerprint of the row's locked plan columns, so that a merge can
tell whose rows came back and whether their plan text was touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlsx_tools.workbook.identity import write_hidden_sheet
from xlsx_tools.workbook.reader import SheetData

MANIFEST_SHEET = "_manifest"


@dataclass(frozen=True)
class Manifest:
    values: dict[str, str]
    rows: dict[str, tuple[str, str]]  # row id → (sheet, fingerprint)


def write_manifest(book: Any, entries: Sequence[tuple[str, str, str]], values: Mapping[str, str]) -> None:
    """Add the manifest sheet to an openpyxl workbook: `values` first, then one entry per issued row."""
    write_hidden_sheet(book, MANIFEST_SHEET, [*values.items(), (), ("row_id", "sheet", "fingerprint"), *entries])


def read_manifest(sheet: SheetData | None) -> Manifest | None:
    """The manifest of a read workbook's `_manifest` sheet, or None when the sheet is missing."""
    if sheet is None:
        return None
    values: dict[str, str] = {}
    rows: dict[str, tuple[str, str]] = {}
    in_table = False
    for line in [sheet.headers] + [[str(v) for v in values] for _, values in sheet.values]:
        texts = [*line, "", "", ""]
        if texts[0] == "row_id":
            in_table = True
        elif in_table and texts[0]:
            rows[texts[0]] = (texts[1], texts[2])
        elif texts[0]:
            values[texts[0]] = texts[1]
    return Manifest(values, rows)
