"""A stand-in for the part of xlwings the add-in bridge uses, backed by an openpyxl workbook on disk.

Only these calls exist, each with xlwings' documented signature: App.alert(prompt, title=None, buttons="ok",
mode=None, callback=None), App.status_bar (get/set), App.books (.active, .open(fullname)), Book.fullname / .name /
.app / .sheets / .save(path=None) / .close(), Sheets[name or index], iteration, Sheets.add(name=None, before=None,
after=None), Sheet.name / .range(cell1, cell2=None) / .used_range / .api, Range.value (get/set), Range.clear_contents(),
Range.last_cell, Range.row. Sheet.api stands for Excel's Worksheet object: ProtectContents, Unprotect(Password=None),
Protect(...). Writes behave as Excel's do where it matters here: a 2-D list fills the block from the range's top-left
cell, a leading apostrophe makes text (and is not part of the value), other number-like text becomes a number, and
writing a locked cell of a protected sheet fails.
Sheet.name can be set too (renames the sheet).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.cell import coordinate_to_tuple


class ProtectedCellError(RuntimeError):
    """What Excel raises (a COM error) when a locked cell of a protected sheet is written."""


def _excel_stored(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:], "s"
        try:
            return float(value), None
        except ValueError:
            return value, "s"
    return value, None


class Range:
    def __init__(self, sheet: Sheet, cell1: str | tuple[int, int], cell2: str | tuple[int, int] | None = None) -> None:
        self.sheet = sheet
        self._top_left: tuple[int, int] = coordinate_to_tuple(cell1) if isinstance(cell1, str) else cell1
        end = cell2 if cell2 is not None else cell1
        self._bottom_right: tuple[int, int] = coordinate_to_tuple(end) if isinstance(end, str) else end

    @property
    def row(self) -> int:
        return self._top_left[0]

    @property
    def last_cell(self) -> Range:
        return Range(self.sheet, self._bottom_right)

    def _cells(self) -> list[list[Any]]:
        (top, left), (bottom, right) = self._top_left, self._bottom_right
        ws = self.sheet.impl
        return [[ws.cell(row=r, column=c) for c in range(left, right + 1)] for r in range(top, bottom + 1)]

    @property
    def value(self) -> Any:
        values = [[cell.value for cell in row] for row in self._cells()]
        if len(values) == 1 and len(values[0]) == 1:
            return values[0][0]
        if len(values) == 1:
            return values[0]
        if all(len(row) == 1 for row in values):
            return [row[0] for row in values]
        return values

    @value.setter
    def value(self, data: Any) -> None:
        rows = data if isinstance(data, list) and data and isinstance(data[0], list) else [[data]]
        top, left = self._top_left
        for r, row in enumerate(rows):
            for c, item in enumerate(row):
                self.sheet.write(top + r, left + c, item)

    def clear_contents(self) -> None:
        for row in self._cells():
            for cell in row:
                self.sheet.write(cell.row, cell.column, None)


class WorksheetApi:  # members keep Excel's spelling (ProtectContents, Unprotect, Protect)
    """Excel's Worksheet object, the three members the bridge touches."""

    def __init__(self, sheet: Sheet) -> None:
        self._sheet = sheet
        self.calls: list[str] = []

    @property
    def ProtectContents(self) -> bool:
        return bool(self._sheet.impl.protection.sheet)

    def Unprotect(self, Password: str | None = None) -> None:
        if self._sheet.impl.protection.password and Password is None:
            raise ProtectedCellError("the sheet has a password")
        self._sheet.impl.protection.sheet = False
        self.calls.append("Unprotect")

    def Protect(self, **options: Any) -> None:
        self._sheet.impl.protection.sheet = True
        self.calls.append("Protect")


class Sheet:
    def __init__(self, book: Book, impl: Any) -> None:
        self.book = book
        self.impl = impl
        self.api = WorksheetApi(self)

    @property
    def name(self) -> str:
        return str(self.impl.title)

    @name.setter
    def name(self, value: str) -> None:
        self.impl.title = value

    def range(self, cell1: str | tuple[int, int], cell2: str | tuple[int, int] | None = None) -> Range:
        return Range(self, cell1, cell2)

    @property
    def used_range(self) -> Range:
        return Range(self, (1, 1), (max(self.impl.max_row, 1), max(self.impl.max_column, 1)))

    def write(self, row: int, column: int, value: Any) -> None:
        cell = self.impl.cell(row=row, column=column)
        if self.impl.protection.sheet and cell.protection.locked is not False:
            raise ProtectedCellError(f"'{self.name}'!{cell.coordinate} is locked and the sheet is protected")
        stored, data_type = _excel_stored(value)
        cell.value = stored
        if data_type:
            cell.data_type = data_type


class Sheets:
    def __init__(self, book: Book) -> None:
        self.book = book
        self._wrapped: dict[int, Sheet] = {}

    def _wrap(self, impl: Any) -> Sheet:
        return self._wrapped.setdefault(id(impl), Sheet(self.book, impl))

    def __getitem__(self, key: str | int) -> Sheet:
        wb = self.book.impl
        return self._wrap(wb[key] if isinstance(key, str) else wb.worksheets[key])

    def __iter__(self) -> Any:
        return iter([self._wrap(ws) for ws in self.book.impl.worksheets])

    def __len__(self) -> int:
        return len(self.book.impl.worksheets)

    def add(self, name: str | None = None, before: Sheet | None = None, after: Sheet | None = None) -> Sheet:
        wb = self.book.impl
        if after is not None:
            index = wb.worksheets.index(after.impl) + 1
        elif before is not None:
            index = wb.worksheets.index(before.impl)
        else:
            index = wb.worksheets.index(wb.active)
        return self._wrap(wb.create_sheet(name, index))


class Book:
    def __init__(self, app: App, fullname: Path) -> None:
        self.app = app
        self.fullname = str(fullname)
        self.impl = openpyxl.load_workbook(fullname)
        self.sheets = Sheets(self)
        self.saves = 0

    @property
    def name(self) -> str:
        return Path(self.fullname).name

    def save(self, path: str | None = None) -> None:
        self.impl.save(path or self.fullname)
        self.saves += 1

    def close(self) -> None:
        self.app.books.items.remove(self)


class Books:
    def __init__(self, app: App) -> None:
        self.app = app
        self.items: list[Book] = []

    @property
    def active(self) -> Book:
        return self.items[-1]

    def open(self, fullname: str | Path) -> Book:
        book = Book(self.app, Path(fullname))
        self.items.append(book)
        return book


class App:
    def __init__(self) -> None:
        self.books = Books(self)
        self.status_bar: Any = False
        self.alerts: list[str] = []
        self.status_history: list[Any] = []

    def alert(
        self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None, callback: Any = None
    ) -> str:
        self.alerts.append(prompt)
        return "ok"

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "status_bar" and "status_history" in self.__dict__:
            self.status_history.append(value)
        super().__setattr__(name, value)


def open_book(path: Path) -> Book:
    """A fresh App with `path` open and active, as Excel would have it."""
    return App().books.open(path)
