"""Make returned templates the way sectoral bodies do: fill the orange cells of an issued template (openpyxl, as a
file saved by Excel would be), and read back what a master now holds. Used by the merge tests and the benchmark.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl

from xlsx_tools.layout.loader import load_layout
from xlsx_tools.merge.log_sheets import AUDIT, CONFLICTS, HISTORY, PROPOSALS, read_table
from xlsx_tools.returns.issue import issue_templates

KIND = "bwp2"


def headers(kind: str = KIND) -> dict[str, str]:
    return {c.key: c.header for c in load_layout().sheet(kind).columns}


def row_places(book: Any, kind: str = KIND) -> dict[str, tuple[str, int, dict[str, int]]]:
    """Row id → (sheet, excel row, key → column) for every pillar-like sheet of an openpyxl book."""
    labels = {label: key for key, label in headers(kind).items()}
    places: dict[str, tuple[str, int, dict[str, int]]] = {}
    for sheet in book.worksheets:
        header = [c.value for c in sheet[1]] if sheet.max_row else []
        columns = {labels[str(v)]: i + 1 for i, v in enumerate(header) if v is not None and str(v) in labels}
        if "row_id" not in columns or len(columns) < len(labels) // 2:
            continue  # not a pillar sheet (History and friends have a Row ID column too)
        for excel_row in range(2, sheet.max_row + 1):
            row_id = sheet.cell(row=excel_row, column=columns["row_id"]).value
            if row_id:
                places[str(row_id)] = (sheet.title, excel_row, columns)
    return places


def fill(template: Path, values: Mapping[str, Mapping[str, Any]], out: Path | None = None) -> Path:
    """Write `values` (row id → column key → value) into a copy of `template` (or in place)."""
    target = out or template
    if out is not None:
        shutil.copy(template, out)
    book = openpyxl.load_workbook(target)
    places = row_places(book)
    for row_id, cells in values.items():
        sheet, excel_row, columns = places[row_id]
        for key, value in cells.items():
            book[sheet].cell(row=excel_row, column=columns[key]).value = value
    book.save(target)
    return target


def template_rows(template: Path) -> list[str]:
    book = openpyxl.load_workbook(template)
    return list(row_places(book))


def issue(master: Path, out_dir: Path, period: str = "2026-H2", asbs: tuple[str, ...] = ()) -> dict[str, Path]:
    return {t.asb: t.path for t in issue_templates(master, period, out_dir, asbs=asbs)}


def master_values(master: Path, kind: str = KIND) -> dict[str, dict[str, str]]:
    """Row id → column key → text shown in the master's pillar sheets."""
    book = openpyxl.load_workbook(master)
    out: dict[str, dict[str, str]] = {}
    for row_id, (sheet, excel_row, columns) in row_places(book, kind).items():
        out[row_id] = {
            key: ""
            if book[sheet].cell(row=excel_row, column=c).value is None
            else str(book[sheet].cell(row=excel_row, column=c).value)
            for key, c in columns.items()
        }
    return out


def logs(master: Path) -> dict[str, list[dict[str, str]]]:
    book = openpyxl.load_workbook(master)
    return {log.title: read_table(book, log) for log in (HISTORY, CONFLICTS, PROPOSALS, AUDIT)}
