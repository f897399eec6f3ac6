"""Excel's rules for defined names: syntax, duplicates, scope, references, print titles, filter names."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from lxml import etree

from tests.fidelity.book import Book, Finding, M
from tests.fidelity.refs import (
    EXTERNAL_BOOK,
    area_cells,
    sheet_references,
    split_sheet,
    whole_lines,
)

# Excel's limits (Excel specifications and limits)
NAME_MAX = 255
BUILTIN_NAMES = {
    "print_area", "print_titles", "_filterdatabase", "criteria", "extract", "consolidate_area", "database",
    "sheet_title", "auto_open", "auto_close", "recorder",
}  # fmt: skip
SHEET_SCOPED = {"print_area", "print_titles", "_filterdatabase"}
NAME_CHARS = re.compile(r"^[^\W\d][\w.\\?]*$|^[_\\][\w.\\?]*$")
A1_LIKE = re.compile(r"^\$?[A-Za-z]{1,3}\$?\d+$")
R1C1_LIKE = re.compile(r"^[RrCc]$|^[Rr]\d*[Cc]\d*$|^[Rr]\d+$|^[Cc]\d+$")


def check_names(book: Book) -> Iterator[Finding]:
    seen: Counter[tuple[str, str]] = Counter()
    for element in book.names():
        name, text, scope = element.get("name", ""), (element.text or "").strip(), element.get("localSheetId")
        where = f"{name} ({'sheet ' + scope if scope is not None else 'workbook'})"
        seen[(name.lower(), scope or "")] += 1
        builtin = name.lower().removeprefix("_xlnm.") if name.lower().startswith("_xlnm.") else ""
        if builtin and builtin not in BUILTIN_NAMES:
            yield Finding("NAME_SYNTAX", book.part, where, "an _xlnm. name that is not one of Excel's built-in names")
        elif not builtin and not _valid_name(name):
            yield Finding("NAME_SYNTAX", book.part, where, "not a valid Excel name (characters, length or cell-like)")
        if scope is not None and not (scope.isdigit() and int(scope) < len(book.sheets)):
            yield Finding("NAME_SCOPE", book.part, where, f"localSheetId {scope} names no sheet")
            continue
        if builtin in SHEET_SCOPED and scope is None:
            yield Finding("NAME_SCOPE", book.part, where, "a sheet's built-in name without localSheetId")
            continue
        if EXTERNAL_BOOK.search(text):
            yield Finding("EXTERNAL_LINK", book.part, where, f"refers to another workbook: {text}")
        if "#REF!" in text:
            yield Finding("NAME_REF", book.part, where, f"refers to a deleted range: {text}")
        for sheet, area in sheet_references(text):
            if book.sheet(sheet) is None:
                yield Finding("NAME_REF", book.part, where, f"refers to sheet {sheet!r}, which does not exist")
            elif area_cells(area) is None and not whole_lines(area):
                yield Finding("NAME_REF", book.part, where, f"{area!r} is not a valid range")
        own = book.sheets[int(scope)].name if scope is not None else ""
        if builtin == "print_titles":
            yield from _print_titles(book, where, text, own)
        if builtin == "_filterdatabase":
            yield from _filter_name(book, element, where, text, own)
    for (name, scope), count in seen.items():
        if count > 1:
            yield Finding("NAME_DUPLICATE", book.part, name, f"defined {count} times in scope {scope or 'workbook'}")


def _valid_name(name: str) -> bool:
    return (
        0 < len(name) <= NAME_MAX
        and bool(NAME_CHARS.match(name))
        and not A1_LIKE.match(name)
        and not R1C1_LIKE.match(name)
        and name.lower() not in ("true", "false")
    )


def _print_titles(book: Book, where: str, text: str, own: str) -> Iterator[Finding]:
    parts = [split_sheet(p) for p in text.split(",")]
    if not parts or len(parts) > 2 or any(p is None for p in parts):
        yield Finding("PRINT_TITLES", book.part, where, f"not one or two sheet-qualified ranges: {text}")
        return
    for sheet, area in (p for p in parts if p):
        if sheet.lower() != own.lower():
            yield Finding("PRINT_TITLES", book.part, where, f"refers to sheet {sheet!r}, not its own {own!r}")
        if not whole_lines(area):
            yield Finding("PRINT_TITLES", book.part, where, f"{area!r} is not absolute whole rows or columns")


def _filter_name(book: Book, element: etree._Element, where: str, text: str, own: str) -> Iterator[Finding]:
    if element.get("hidden") not in ("1", "true"):
        yield Finding("FILTER_NAME", book.part, where, "the filter's name must be hidden")
    parsed = split_sheet(text)
    sheet = book.sheet(own)
    filter_ref = None
    if sheet and sheet.part:
        found = book.package.xml(sheet.part).find(f"{M}autoFilter")
        filter_ref = found.get("ref") if found is not None else None
    if parsed is None or parsed[0].lower() != own.lower():
        yield Finding("FILTER_NAME", book.part, where, f"does not refer to its own sheet {own!r}: {text}")
    elif filter_ref is None:
        yield Finding("FILTER_NAME", book.part, where, f"sheet {own!r} has no autoFilter")
    elif parsed[1].replace("$", "") != filter_ref.replace("$", ""):
        yield Finding("FILTER_NAME", book.part, where, f"{parsed[1]} is not the sheet's filter range {filter_ref}")
