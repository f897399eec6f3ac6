"""What python-calamine does not tell about a sheet, read from the sheet's XML: which cells hold formulas or error
values, which ranges are merged, whether the sheet is protected.

Calamine gives a formula cell its cached result and an error cell "", but validation must say "cell H14 holds a
formula" or "#REF!". A byte search decides first whether a sheet has any formula or error cell at all (returns
that nobody broke have none); only then is that sheet's XML walked, with the standard library's parser (DOCTYPE
and ENTITY declarations were refused before any parser ran: xlsx_tools.workbook.safety).
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache

from xlsx_tools.workbook.safety import Package

# byte searches with a literal start (re scans for the literal first) decide whether a sheet needs its XML walked:
# formulas (<f>, <f t="shared" …/>, <x:f> in a prefixed namespace) and error cells (t="e", or any attribute valued
# "e": a false alarm only costs the walk; <formula1> of a data validation does not raise one). The prefixed and the
# single-quoted spellings are looked for only where the cells hold a ':' or a "'" at all (a memchr to find out).
_FORMULA = re.compile(rb"<f[\s>/]")
_PREFIXED_FORMULA = re.compile(rb":f[\s>/]")
_ERROR = re.compile(rb'="e"')
_ERROR_QUOTED = re.compile(rb"='e'")
_MERGED = re.compile(rb'mergeCell\s[^>]*?\bref="([^"]+)"')
_PROTECTION = re.compile(rb"sheetProtection\b([^>]*)>")
_SHEET_FLAG = re.compile(rb'\bsheet="(1|true)"')
_CELL_REF = re.compile(r"([A-Z]+)([0-9]+)")
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


MAX_CELLS = 2_000_000  # a return is a few thousand cells, a master's History a few hundred thousand
EXCEL_COLUMNS = 16_384
_LAST_ROW = re.compile(rb'\br="([0-9]+)"')
_WIDE_REFS = {3: re.compile(rb'r="([A-Z]{3})[0-9]'), 2: re.compile(rb'r="([A-Z]{2})[0-9]')}


class SheetTooLarge(ValueError):
    """A sheet whose used range is too large to read (a value typed in XFD1048576 makes a range of 17 billion cells,
    which python-calamine would try to allocate, taking the whole process down)."""

    def __init__(self, sheet: str, rows: int, columns: int) -> None:
        self.sheet = sheet
        self.extent = f"its used range reaches row {rows:,} and column {column_letter(columns)} (about "
        self.extent += f"{rows * columns:,} cells)"
        super().__init__(f"sheet {sheet!r}: {self.extent}")


def used_extent(data: bytes) -> tuple[int, int]:
    """(last row, an upper bound of the last column) of a worksheet part, from its cells, not its <dimension>
    (which may be missing or wrong). Rows are in ascending order in the part, so the last <row> names the last row;
    the width is only looked for when the rows alone could make the range too large."""
    start = _last_row_tag(data)
    found = _LAST_ROW.search(data, start, start + 400) if start >= 0 else None
    rows = int(found.group(1)) if found else data.count(b"row>")
    if rows * EXCEL_COLUMNS <= MAX_CELLS:
        return rows, EXCEL_COLUMNS
    for letters in (3, 2):
        wide = _WIDE_REFS[letters].findall(data)
        if wide:
            return rows, max(_column_number(w.decode()) for w in set(wide))
    return rows, 26


def _last_row_tag(data: bytes) -> int:
    """Where the part's last <row> (or <x:row>, prefixed) tag starts, or -1: looked for from the end, where it is,
    so only the last rows are searched (two searches for both spellings would each read a part without the other
    one to its start)."""
    at = len(data)
    while (at := data.rfind(b"row ", 0, at)) > 0:
        if data[at - 1] in b"<:":
            return at - 1
    return -1


def readable_extent(rows: int, columns: int) -> bool:
    """Whether a sheet reaching row `rows` and column `columns` passes `check_extent` as the reader measures it: what
    the merge checks before it writes a record sheet, so that it never writes a master it cannot read back."""
    if rows * EXCEL_COLUMNS <= MAX_CELLS:
        return True
    measured = columns if columns > 26 else 26  # no two- or three-letter references: 26 columns are assumed
    return rows * measured <= MAX_CELLS


def check_extent(sheet: str, data: bytes) -> None:
    rows, columns = used_extent(data)
    if rows * columns > MAX_CELLS:
        raise SheetTooLarge(sheet, rows, columns)


@dataclass
class SheetXml:
    """The facts of one worksheet part that the values alone do not give."""

    protected: bool = False
    merged: list[str] = field(default_factory=list)
    special: dict[str, tuple[str, str]] = field(default_factory=dict)  # "H14" → ("formula" | "error", text)


def sheet_parts(package: Package) -> dict[str, str]:
    """Sheet name → worksheet part name in the zip, from the workbook part and its relationships."""
    workbook = package.parts.get("xl/workbook.xml")
    rels = package.parts.get("xl/_rels/workbook.xml.rels")
    if not workbook or not rels:
        return {}
    return dict(_sheet_parts(workbook, rels))


@lru_cache(maxsize=16)
def _sheet_parts(workbook: bytes, rels: bytes) -> tuple[tuple[str, str], ...]:
    """The pairs of `sheet_parts`, parsed once per distinct workbook part and relationships: the returns of one
    issue are alike in both, byte for byte (a dozen returns, one parse)."""
    targets = {}
    for rel in ET.fromstring(rels):
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id", "")] = part
    out = {}
    for element in ET.fromstring(workbook).iter():
        if _local(element.tag) == "sheet":
            out[element.get("name", "")] = targets.get(element.get(f"{{{REL_NS}}}id", ""), "")
    return tuple(out.items())


def scan_sheet(data: bytes, cells: bool = True) -> SheetXml:
    """The sheet's protection, merged ranges and (unless `cells` is False: a sheet whose cells are not read) its
    formula and error cells."""
    found = SheetXml()
    # the cells come first; protection and merged ranges follow </sheetData> (the schema's element order), so
    # they are looked for in the short tail only — unless the part has no such end tag (an empty <sheetData/>)
    end = data.rfind(b"sheetData>")
    tail = data[end:] if end >= 0 else data
    end = end if end >= 0 else len(data)
    if b"mergeCell" in tail:
        found.merged = [m.decode() for m in _MERGED.findall(tail)]
    if b"sheetProtection" in tail:
        protection = _PROTECTION.search(tail)
        found.protected = bool(protection and _SHEET_FLAG.search(protection.group(1)))
    if cells and _may_hold_special_cells(data, data.find(b"sheetData"), end):
        found.special = _special_cells(data)
    return found


def _may_hold_special_cells(data: bytes, start: int, end: int) -> bool:
    """Whether the cells of a part (between `start` and `end`) may hold a formula or an error value."""
    start = max(start, 0)
    if _FORMULA.search(data, start, end) or _ERROR.search(data, start, end):
        return True
    if data.find(b":", start, end) >= 0 and _PREFIXED_FORMULA.search(data, start, end):
        return True
    return data.find(b"'", start, end) >= 0 and _ERROR_QUOTED.search(data, start, end) is not None


def _special_cells(data: bytes) -> dict[str, tuple[str, str]]:
    """Formula and error cells of a sheet part: address → (kind, text). Formulas keep their text ("=A1+1")."""
    out: dict[str, tuple[str, str]] = {}
    row_number = 0
    column = 0
    for element in ET.fromstring(data).iter():
        tag = _local(element.tag)
        if tag == "row":
            row_number = int(element.get("r") or row_number + 1)
            column = 0
        elif tag == "c":
            reference = element.get("r")
            match = _CELL_REF.fullmatch(reference or "")
            if match:
                column = _column_number(match.group(1))
                address = reference or ""
            else:
                column += 1
                address = f"{column_letter(column)}{row_number}"
            formula = next((child for child in element if _local(child.tag) == "f"), None)
            if formula is not None:
                text = formula.text or ""
                out[address] = ("formula", f"={text}" if text else "=(shared formula)")
            elif element.get("t") == "e":
                value = next((child.text or "" for child in element if _local(child.tag) == "v"), "")
                out[address] = ("error", value or "#ERROR")
    return out


def split_address(address: str) -> tuple[int, int] | None:
    """ "H14" → (14, 8): row and 1-based column; None for anything that is not a cell address."""
    match = _CELL_REF.fullmatch(address)
    return (int(match.group(2)), _column_number(match.group(1))) if match else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


_LETTERS: list[str] = []


def column_letters(count: int) -> list[str]:
    """The letters of the first `count` columns ("A", "B", …), worked out once per process."""
    while len(_LETTERS) < count:
        _LETTERS.append(column_letter(len(_LETTERS) + 1))
    return _LETTERS[:count]


def column_letter(number: int) -> str:
    text = ""
    while number:
        number, rest = divmod(number - 1, 26)
        text = chr(65 + rest) + text
    return text
