"""What python-calamine does not tell about a sheet, read from the sheet's XML: which cells hold formulas or error
values, which ranges are merged, whether the sheet is protected.

Calamine gives a formula cell its cached result and an error cell "", but validation must say "cell H14 holds a
formula" or "#REF!". A byte search decides first whether a sheet has any formula or error cell at all (returns
that nobody broke have none); only then is that sheet's XML walked, with the standard library's parser (DOCTYPE
and ENTITY declarations were refused before any parser ran: xlsx_tools.workbook.safety).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from xml.parsers import expat

from xlsx_tools.workbook.safety import WORKBOOK_RELS, Package, part_name

# byte searches with a literal start (re scans for the literal first) decide whether a sheet needs its XML walked:
# formulas (<f>, <f t="shared" …/>, <x:f> in a prefixed namespace) and error cells (t="e", or any attribute valued
# "e": a false alarm only costs the walk; <formula1> of a data validation does not raise one). The prefixed and the
# single-quoted spellings are looked for only where the cells hold a ':' or a "'" at all (a memchr to find out).
_FORMULA = re.compile(rb"<f[\s>/]")
_PREFIXED_FORMULA = re.compile(rb":f[\s>/]")
_ERROR = re.compile(rb'=\s*"\s*e\s*"')
_ERROR_QUOTED = re.compile(rb"=\s*'\s*e\s*'")
_MERGED = re.compile(rb'mergeCell\s[^>]*?\bref="([^"]+)"')
_PROTECTION = re.compile(rb"sheetProtection\b([^>]*)>")
_SHEET_FLAG = re.compile(rb'\bsheet="(1|true)"')
# the plain spelling of row and cell tags (`used_extent`), and every tag and `r` attribute it must account for
_PLAIN_ROW = re.compile(rb'<row r="([0-9]+)"')
_PLAIN_CELL_LETTERS = re.compile(rb'<c r="([A-Z]+)[0-9]+"')
_PLAIN_CELL_DIGITS = re.compile(rb'<c r="[A-Z]+([0-9]+)"')
_ANY_ROW = re.compile(rb"<row[\s>/]")
_ANY_CELL = re.compile(rb"<c[\s>/]")
_SPACES = bytes.maketrans(b"\t\n\r", b"   ")
_PREFIXED_TAG = re.compile(rb"<[^\s<>/!?]*:(?:row|c)[\s>/]")
_CELL_REF = re.compile(r"([A-Z]+)([0-9]+)")
_REFERENCE = re.compile(r"\s*([A-Z]+)([0-9]+)\s*").fullmatch  # a cell's r, as a reader would take it
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


MAX_CELLS = 2_000_000  # a return is a few thousand cells, a master's History a few hundred thousand


class SheetTooLarge(ValueError):
    """A sheet whose used range is too large to read (a value typed in XFD1048576 makes a range of 17 billion cells,
    which python-calamine would try to allocate, taking the whole process down)."""

    def __init__(self, sheet: str, rows: int, columns: int) -> None:
        self.sheet = sheet
        self.extent = f"its used range reaches row {rows:,} and column {column_letter(min(columns, 10**6))} (about "
        self.extent += f"{rows * columns:,} cells)"
        super().__init__(f"sheet {sheet!r}: {self.extent}")


class SheetXmlError(ValueError):
    """A worksheet part that is not well-formed XML (the message says where): the file is damaged."""


def used_extent(data: bytes) -> tuple[int, int]:
    """(last row, last column) that a reader placing every cell would reach in a worksheet part (never less; more
    only by tags inside a comment), measured over the cells themselves, not the <dimension> (which may be missing or
    wrong).

    Every writer we meet (openpyxl, Excel, LibreOffice) spells each row and cell tag the same plain way, `r` first
    (<row r="14" …>, <c r="H14" …>): when every row and cell tag of the part is spelt so, and no other `r`
    attribute is there, a byte search over those tags gives the answer (`_plain_extent`). Any other spelling is
    measured by the streaming parser (`_parsed_extent`)."""
    plain = _plain_extent(data)
    if plain is not None and readable_extent(*plain):
        return plain
    return _parsed_extent(data)  # an unusual spelling, or a range too large: measured exactly, and well-formed


def _plain_extent(data: bytes) -> tuple[int, int] | None:
    """The extent by byte search, or None unless every tag named row or c (without a prefix: a prefixed one sends
    the part to the parser) is spelt `<row r="digits"` or `<c r="LETTERSdigits"` and every `r` attribute is one of
    theirs. Tags counted inside a comment or CDATA can only make the extent larger: a larger one is measured again
    by the parser before it is believed."""
    data = data.translate(_SPACES)  # tab and line breaks are white space to XML: one spelling of it to look for
    if _PREFIXED_TAG.search(data) or b" r " in data:
        return None  # a prefixed tag; an r with white space before its '=' (an attribute or not: a false alarm only
        # costs the parser)
    rows = _PLAIN_ROW.findall(data)
    letters = _PLAIN_CELL_LETTERS.findall(data)
    digits = _PLAIN_CELL_DIGITS.findall(data)
    plain = len(rows) + len(letters)
    if len(digits) != len(letters) or len(letters) != len(_ANY_CELL.findall(data)):
        return None
    if len(rows) != len(_ANY_ROW.findall(data)) or data.count(b" r=") != plain:
        return None  # a tag spelt otherwise, a second r on a tag (which would a reader take?), or an r elsewhere
    last_row = max(map(int, {*rows, *digits}), default=0)
    return last_row, max((_column_number(letter.decode()) for letter in set(letters)), default=0)


def _parsed_extent(data: bytes) -> tuple[int, int]:
    """The extent by a streaming XML parser (expat, no tree kept). Every spelling counts: any prefix (<x:row>),
    attributes in any order, quoting or white space, rows out of order (the largest wins), rows without `r` (one
    below the last), cells without `r` (one right of the last), a cell's own `r` placing it in another row. Names
    are taken without their prefix, bound or not, so the measure never falls below what the reader places; an
    element of another vocabulary named row or c can only make it larger. SheetXmlError for a part that is not
    well-formed."""
    rows = columns = row = column = 0
    numbers: dict[str, int] = {}  # column letters → number, worked out once per distinct column

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal rows, columns, row, column
        if name == "c" or name[-2:] == ":c":  # most elements are cells: looked at first, cheaply
            reference = attributes.get("r")
            place = _REFERENCE(reference) if reference else None
            if place:
                letters, digits = place.groups()
                column = numbers.get(letters) or numbers.setdefault(letters, _column_number(letters))
                rows = max(rows, int(digits))
            else:
                column += 1
            columns = max(columns, column)
        elif name == "row" or name[-4:] == ":row":
            number = attributes.get("r", "").strip()
            row = int(number) if number.isdigit() else row + 1
            column = 0
            rows = max(rows, row)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise SheetXmlError(f"the sheet's XML is damaged ({exc})") from None
    return rows, columns


def readable_extent(rows: int, columns: int) -> bool:
    """Whether a sheet reaching row `rows` and column `columns` passes `check_extent`: what the merge checks before
    it writes a record sheet, so that it never writes a master it cannot read back."""
    return rows * columns <= MAX_CELLS


def check_extent(sheet: str, data: bytes) -> None:
    rows, columns = used_extent(data)
    if not readable_extent(rows, columns):
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
    rels = package.parts.get(WORKBOOK_RELS)
    if not workbook or not rels:
        return {}
    return dict(_sheet_parts(workbook, rels))


@lru_cache(maxsize=16)
def _sheet_parts(workbook: bytes, rels: bytes) -> tuple[tuple[str, str], ...]:
    """The pairs of `sheet_parts`, parsed once per distinct workbook part and relationships: the returns of one
    issue are alike in both, byte for byte (a dozen returns, one parse)."""
    targets = {rel.get("Id", ""): part_name(rel.get("Target", "")) for rel in ET.fromstring(rels)}
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
            number = (element.get("r") or "").strip()
            row_number = int(number) if number.isdigit() else row_number + 1
            column = 0
        elif tag == "c":
            reference = (element.get("r") or "").strip()
            match = _CELL_REF.fullmatch(reference)
            if match:
                column = _column_number(match.group(1))
                address = reference
            else:
                column += 1
                address = f"{column_letter(column)}{row_number}"
            formula = next((child for child in element if _local(child.tag) == "f"), None)
            if formula is not None:
                text = formula.text or ""
                out[address] = ("formula", f"={text}" if text else "=(shared formula)")
            elif (element.get("t") or "").strip() == "e":
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
