"""Read a workbook's cell values with python-calamine (Rust), for everything that only reads.

openpyxl builds a full object model of every cell and style: right for writing a workbook back, far more than
reading one needs. The merge, the status matrix and the return reader only need values, so
they read through this module; openpyxl loads a workbook only when it is going to be written.

Rows come from row 1 and column A (so list positions are Excel positions), empty cells as "" (calamine's choice;
`normalise` treats it as empty). Calamine gives formula cells their cached result and error cells "": callers that
must see formulas or errors (the return reader) look at the sheet XML too (xlsx_tools.workbook.sheet_xml).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from python_calamine import CalamineError, CalamineWorkbook

from xlsx_tools.workbook.safety import Package, inspect_file
from xlsx_tools.workbook.sheet_xml import SheetXmlError, check_extent, sheet_parts

# calamine's own errors, and what its conversions raise on values no workbook should hold (a date out of range)
CALAMINE_ERRORS = (CalamineError, ValueError, OverflowError)


class UnreadableWorkbook(ValueError):
    """python-calamine could not parse the workbook or one of its sheets: the file is damaged (its message says
    how). Raised only around calamine's own calls, so an error of ours is never mistaken for a damaged file."""


class ValueBook:
    """The sheets of one workbook as rows of values, parsed on first use.

    `package`: the parts the safety check kept (xlsx_tools.workbook.safety.inspect_file); each sheet's extent is
    checked in its XML before calamine is let near it (SheetTooLarge), since calamine allocates the whole used
    range at once and a stray value in XFD1048576 would take the process down."""

    def __init__(self, path: Path, package: Package | None = None) -> None:
        self.path = Path(path)
        if package is None:
            problem, package = inspect_file(self.path, allow_macros=True)
            if problem is not None or package is None:
                raise UnreadableWorkbook(problem.message if problem else f"{path} could not be read")
        self.package = package
        # the bytes the check looked at, not the file again: what is parsed is what was checked
        try:
            self._parts = sheet_parts(package)
            self._book = CalamineWorkbook.from_filelike(io.BytesIO(package.data))
            self.sheetnames: list[str] = list(self._book.sheet_names)
            metadata = self._book.sheets_metadata
        except (*CALAMINE_ERRORS, ParseError) as exc:
            raise UnreadableWorkbook(f"{type(exc).__name__}: {exc}") from None
        self.states: dict[str, str] = {m.name: _state(m.visible) for m in metadata}
        self.worksheets: list[str] = [m.name for m in metadata if "worksheet" in str(m.typ).lower()]
        self._rows: dict[str, list[list[Any]]] = {}

    def __contains__(self, name: object) -> bool:
        return name in self.sheetnames

    def part_name(self, name: str) -> str:
        """The name in the zip of sheet `name`'s worksheet part ("" when there is none)."""
        return self._parts.get(name, "")

    def xml(self, name: str) -> bytes:
        """The worksheet part of sheet `name` as the safety check unpacked it (b"" when there is none)."""
        return self.package.parts.get(self.part_name(name), b"")

    def rows(self, name: str) -> list[list[Any]]:
        """Every row of sheet `name` from row 1; [] for a sheet that is not there."""
        if name not in self.sheetnames:
            return []
        if name not in self._rows:
            try:  # measured in the part the workbook names for the sheet; none found is no extent known: refused
                check_extent(name, self.xml(name))
            except SheetXmlError as exc:
                raise UnreadableWorkbook(f"sheet {name!r}: {exc}") from None
            try:
                self._rows[name] = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except CALAMINE_ERRORS as exc:
                raise UnreadableWorkbook(f"sheet {name!r}: {type(exc).__name__}: {exc}") from None
        return self._rows[name]

    def close(self) -> None:
        self._book.close()


def _state(visible: Any) -> str:
    text = str(visible).rsplit(".", 1)[-1].lower()
    return {"visible": "visible", "hidden": "hidden", "veryhidden": "veryHidden"}.get(text, "visible")


def blank_row(row: Iterable[Any]) -> bool:
    return all(v is None or v == "" for v in row)


def value_text(value: Any) -> str:
    """A cell value as plain text, the same whichever reader produced it: 3.0 and 3 → "3", None and "" → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
