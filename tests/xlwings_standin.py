"""A stand-in for the part of xlwings the add-in bridge uses, backed by an openpyxl workbook on disk.

Only these calls exist, each with xlwings' documented signature: App.alert(prompt, title=None, buttons="ok",
mode=None, callback=None), App.status_bar (get/set), App.books (.active, .open(fullname)), Book.caller(),
Book.fullname / .name / .app / .sheets / .save(path=None) / .close() / .to_pdf(path=None, ...), Sheets[name or index],
iteration, Sheets.add(name=None, before=None, after=None), Sheet.name / .range(cell1, cell2=None) / .used_range /
.api, Range.value (get/set), Range.clear_contents(), Range.last_cell, Range.row. Sheet.api stands for Excel's
Worksheet object: ProtectContents, Unprotect(Password=None), Protect(...). Writes behave as Excel's do where it
matters here: a 2-D list fills the block from the range's top-left cell, a leading apostrophe makes text (and is not
part of the value), other number-like text becomes a number, and writing a locked cell of a protected sheet fails.
Sheet.name can be set too (renames the sheet).

`run_python(command, caller)` does what xlwings' RunPython does with the command the VBA built, minus Excel: compile
it (a SyntaxError there is the error box Excel would show), make `caller` the workbook Book.caller() returns, and run
it in a fresh __main__ namespace with this module standing for `xlwings`.

Book.to_pdf stands for Excel's ExportAsFixedFormat: it writes a one-page PDF that says it comes from the stand-in
(what Excel's export looks like can only be seen in Excel), or raises App.pdf_refusal when a test sets it - an OSError,
as Excel's own refusal (a pywintypes.com_error, e.g. with no printer driver installed) exists only on Windows.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


_callers: list[Book] = []


class Book:
    @classmethod
    def caller(cls) -> Book:
        """The workbook whose VBA called RunPython (set by `run_python`); xlwings raises too outside RunPython."""
        if not _callers:
            raise RuntimeError("Book.caller() is only available while run_python runs a command")
        return _callers[-1]

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

    def to_pdf(
        self,
        path: str | Path | None = None,
        include: Any = None,
        exclude: Any = None,
        layout: Any = None,
        exclude_start_string: str = "#",
        show: bool = False,
        quality: str = "standard",
    ) -> str:
        if self.app.pdf_refusal is not None:
            raise self.app.pdf_refusal
        target = Path(path) if path else Path(self.fullname).with_suffix(".pdf")
        target.write_bytes(standin_pdf(f"Excel export of {self.name} (xlwings stand-in)"))
        self.app.pdf_exports.append(target)
        return str(target)


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
        self.pdf_exports: list[Path] = []
        self.pdf_refusal: OSError | None = None

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


STANDIN_PDF_MARK = b"% tipwp xlwings stand-in"


def standin_pdf(title: str) -> bytes:
    """A valid one-page PDF (blank page, `title` in its Info dictionary), marked as the stand-in's."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]").replace(b"\\", b"/")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Title (" + text + b") >>",
    ]
    out = b"%PDF-1.4\n" + STANDIN_PDF_MARK + b"\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


@contextmanager
def _as_xlwings() -> Iterator[None]:
    before = sys.modules.get("xlwings")
    sys.modules["xlwings"] = sys.modules[__name__]
    try:
        yield
    finally:
        if before is None:
            del sys.modules["xlwings"]
        else:
            sys.modules["xlwings"] = before


def run_python(command: str, caller: Book) -> None:
    """Run a RunPython command as xlwings would (see the module's docstring)."""
    code = compile(command, "<RunPython>", "exec")
    _callers.append(caller)
    try:
        with _as_xlwings():
            exec(code, {"__name__": "__main__"})
    finally:
        _callers.pop()
