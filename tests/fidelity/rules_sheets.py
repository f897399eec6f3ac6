"""Excel's rules for sheets: names, data validations, outline levels, headers and footers, external links."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from lxml import etree

from tests.fidelity.book import Book, Finding, M, Sheet, worksheets
from tests.fidelity.refs import (
    EXTERNAL_BOOK,
    area_cells,
    split_sheet,
)

# Excel's limits (Excel specifications and limits; the data-validation dialog)
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")
RESERVED_SHEET_NAMES = {"history"}  # Excel's change tracking of shared workbooks owns it
INLINE_LIST_MAX = 255
TITLE_MAX = 32
MESSAGE_MAX = 255
HEADER_MAX = 255


def check_sheet_names(book: Book) -> Iterator[Finding]:
    counts = Counter(s.name.lower() for s in book.sheets)
    for sheet in book.sheets:
        name = sheet.name
        problems = []
        if not name or len(name) > SHEET_NAME_MAX:
            problems.append(f"{len(name)} characters (1 to {SHEET_NAME_MAX})")
        if SHEET_NAME_FORBIDDEN & set(name):
            problems.append(f"contains one of {''.join(sorted(SHEET_NAME_FORBIDDEN))}")
        if name.startswith("'") or name.endswith("'"):
            problems.append("begins or ends with an apostrophe")
        if name.lower() in RESERVED_SHEET_NAMES:
            problems.append("a name Excel reserves")
        if counts[name.lower()] > 1:
            problems.append("used twice (Excel ignores case)")
        if not sheet.part or sheet.part not in book.package.names:
            problems.append("its part is missing")
        for problem in problems:
            yield Finding("SHEET_NAME", book.part, name, problem)


def check_validations(book: Book) -> Iterator[Finding]:
    global_names = {e.get("name", "").lower() for e in book.names() if e.get("localSheetId") is None}
    for sheet, root in worksheets(book):
        local = {e.get("name", "").lower() for e in book.names() if e.get("localSheetId") == str(sheet.index)}
        for validation in root.iter(f"{M}dataValidation"):
            where = f"{sheet.name}!{validation.get('sqref', '')}"
            for attribute, limit in (("promptTitle", TITLE_MAX), ("prompt", MESSAGE_MAX)):
                yield from _length(sheet, validation, attribute, limit, where)
            for attribute, limit in (("errorTitle", TITLE_MAX), ("error", MESSAGE_MAX)):
                yield from _length(sheet, validation, attribute, limit, where)
            if validation.get("type") != "list":
                continue
            formula = (validation.findtext(f"{M}formula1") or "").strip()
            if formula.startswith("="):
                yield Finding("LIST_EQUALS", sheet.part, where, f"list source {formula!r} is stored with its '='")
                formula = formula[1:]
            if formula.startswith('"'):
                if len(formula) - 2 > INLINE_LIST_MAX:
                    yield Finding("LIST_INLINE_LENGTH", sheet.part, where, f"inline list of {len(formula) - 2} chars")
            elif split_sheet(formula):
                target, area = split_sheet(formula) or ("", "")
                if book.sheet(target) is None or area_cells(area) is None:
                    yield Finding("LIST_TARGET", sheet.part, where, f"list source {formula!r} names no range")
            elif area_cells(formula) is None and formula.lower() not in global_names | local:
                yield Finding("LIST_TARGET", sheet.part, where, f"list source {formula!r} is not a defined name")


def _length(sheet: Sheet, validation: etree._Element, attribute: str, limit: int, where: str) -> Iterator[Finding]:
    text = validation.get(attribute) or ""
    if len(text) > limit:
        yield Finding("MESSAGE_LENGTH", sheet.part, where, f"{attribute} has {len(text)} characters (at most {limit})")


def check_outline(book: Book) -> Iterator[Finding]:
    for sheet, root in worksheets(book):
        declared = root.find(f"{M}sheetFormatPr")
        for tag, attribute in ((f"{M}sheetData/{M}row", "outlineLevelRow"), (f"{M}cols/{M}col", "outlineLevelCol")):
            used = max((int(e.get("outlineLevel", "0")) for e in root.iterfind(tag)), default=0)
            said = int(declared.get(attribute, "0")) if declared is not None else 0
            if used > said:
                message = f"levels up to {used} are used, sheetFormatPr declares {attribute}={said}"
                yield Finding("OUTLINE_UNDECLARED", sheet.part, sheet.name, message)


def check_headers(book: Book) -> Iterator[Finding]:
    for sheet, root in worksheets(book):
        for element in root.iterfind(f"{M}headerFooter/*"):
            if len(element.text or "") > HEADER_MAX:
                where = f"{sheet.name} {etree.QName(element).localname}"
                yield Finding("HEADER_LENGTH", sheet.part, where, f"{len(element.text or '')} characters")


def check_external(book: Book) -> Iterator[Finding]:
    if book.package.xml(book.part).find(f"{M}externalReferences") is not None:
        yield Finding("EXTERNAL_LINK", book.part, "externalReferences", "the workbook links to other workbooks")
    for name in book.package.names:
        if name.startswith("xl/externalLinks/"):
            yield Finding("EXTERNAL_LINK", name, "", "an external-link part")
    for sheet, root in worksheets(book):
        for formula in root.iter(f"{M}f"):
            if EXTERNAL_BOOK.search(formula.text or ""):
                yield Finding("EXTERNAL_LINK", sheet.part, sheet.name, f"formula {formula.text!r}")
