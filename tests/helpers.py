"""Small helpers for tests that edit real workbooks the way a person would."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from xlsx_tools.layout.loader import load_layout


def letter(key: str, kind: str = "bwp2") -> str:
    """The column letter of a layout key in a freshly built sheet."""
    keys = [c.key for c in load_layout().sheet(kind).columns]
    return get_column_letter(keys.index(key) + 1)


def edit(path: Path, change: Callable[[Any], None]) -> Path:
    """Open `path` with openpyxl, apply `change(book)`, save in place."""
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)
    return path


def set_cells(path: Path, sheet: str, values: dict[str, Any]) -> Path:
    def change(book: Any) -> None:
        for address, value in values.items():
            book[sheet][address].value = value

    return edit(path, change)


def rewrite_zip(
    source: Path, target: Path, replace: dict[str, bytes], drop: set[str] | frozenset[str] = frozenset()
) -> Path:
    """Copy the package `source` to `target` with some parts replaced or added, byte for byte as given, and the parts
    named in `drop` left out."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename in drop:
                continue
            new.writestr(item, replace.get(item.filename, old.read(item.filename)))
        for name, data in replace.items():
            if name not in old.namelist():
                new.writestr(name, data)
    return target
