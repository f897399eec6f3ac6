"""Excel's rules that the schemas do not catch, checked on a written package. Every finding has a stable code (CODES;
tests assert on codes, never on wording).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tests.fidelity.package import MAIN_NS, PARSER, R_NS, Package, open_package
from tests.fidelity.refs import CELL, area_cells, column_number, sheet_references, split_sheet, whole_lines

CODES = (
    "NAME_SYNTAX",  # a defined name Excel would not accept (characters, length, cell-like, unknown _xlnm. name)
    "NAME_DUPLICATE",  # one name twice in one scope
    "NAME_SCOPE",  # localSheetId beyond the sheets, or a sheet's built-in name without one
    "NAME_REF",  # a name on a missing sheet, a deleted range (#REF!) or no range
    "PRINT_TITLES",  # not absolute whole rows/columns of the name's own sheet
    "FILTER_NAME",  # _FilterDatabase not hidden, or not the sheet's autoFilter range
    "LIST_EQUALS",  # a dropdown's source stored with its "="
    "LIST_INLINE_LENGTH",  # an inline dropdown list over 255 characters
    "LIST_TARGET",  # a dropdown on no defined name or range
    "MESSAGE_LENGTH",  # an input or error title over 32 characters, or message over 255
    "SHEET_NAME",  # length, characters, apostrophes, a reserved name, twice, or no part
    "STYLE_COUNT",  # style counts that do not match, references beyond a table, Excel's limit on cell formats
    "SST_COUNT",  # shared strings: counts that do not match, an index beyond the table
    "COMMENTS_DRAWING",  # comments without their VML drawing, or a comment without its note shape
    "HYPERLINK_FORM",  # a link not in Excel's form: percent-encoded target, the place in `location`
    "CHART_REF",  # a chart series on a missing sheet or no range
    "CHART_CACHE",  # a series reference without cached values, or with a count that is not the range's
    "CHART_CATEGORY",  # text categories referenced as numbers (numRef)
    "CHART_AXIS",  # an axis without <c:delete val="0"/>, which Excel hides, or one deleted
    "OUTLINE_UNDECLARED",  # outline levels used beyond what sheetFormatPr declares
    "HEADER_LENGTH",  # a page header or footer over 255 characters
    "EXTERNAL_LINK",  # a link into another workbook
)
M = f"{{{MAIN_NS}}}"
R_ID = f"{{{R_NS}}}id"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
OFFICE_DOCUMENT = REL + "officeDocument"
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
VML_X = "{urn:schemas-microsoft-com:office:excel}"
VML_V = "{urn:schemas-microsoft-com:vml}"
# Excel's limits (Excel specifications and limits; the data-validation dialog)
NAME_MAX = 255
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")
RESERVED_SHEET_NAMES = {"history"}  # Excel's change tracking of shared workbooks owns it
INLINE_LIST_MAX = 255
TITLE_MAX = 32
MESSAGE_MAX = 255
HEADER_MAX = 255
CELL_XFS_MAX = 64_000
BUILTIN_NAMES = {
    "print_area", "print_titles", "_filterdatabase", "criteria", "extract", "consolidate_area", "database",
    "sheet_title", "auto_open", "auto_close", "recorder",
}  # fmt: skip
SHEET_SCOPED = {"print_area", "print_titles", "_filterdatabase"}
NAME_CHARS = re.compile(r"^[^\W\d][\w.\\?]*$|^[_\\][\w.\\?]*$")
A1_LIKE = re.compile(r"^\$?[A-Za-z]{1,3}\$?\d+$")
R1C1_LIKE = re.compile(r"^[RrCc]$|^[Rr]\d*[Cc]\d*$|^[Rr]\d+$|^[Cc]\d+$")
URI_SAFE = re.compile(r"^(?:[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
EXTERNAL_BOOK = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class Finding:
    code: str
    part: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.part} {self.where}: {self.message}"


@dataclass(frozen=True)
class Sheet:
    index: int
    name: str
    part: str  # "" when the relationship is broken


@dataclass
class Book:
    package: Package
    part: str  # the workbook part, e.g. xl/workbook.xml
    sheets: list[Sheet]

    def sheet(self, name: str) -> Sheet | None:
        return next((s for s in self.sheets if s.name.lower() == name.lower()), None)

    def names(self) -> list[etree._Element]:
        return list(self.package.xml(self.part).iter(f"{M}definedName"))

    def related(self, part: str, kind: str) -> list[str]:
        return [r.part for r in self.package.rels(part) if r.type == REL + kind and not r.external]


def open_book(package: Package) -> Book:
    main = next(r.part for r in package.rels("") if r.type == OFFICE_DOCUMENT)
    by_id = {r.id: r.part for r in package.rels(main)}
    sheets = [
        Sheet(i, element.get("name", ""), by_id.get(element.get(R_ID, ""), ""))
        for i, element in enumerate(package.xml(main).iter(f"{M}sheet"))
    ]
    return Book(package, main, sheets)


# --- defined names ---------------------------------------------------------------------------------------------


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


# --- sheets ----------------------------------------------------------------------------------------------------


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


def _worksheets(book: Book) -> Iterator[tuple[Sheet, etree._Element]]:
    for sheet in book.sheets:
        if sheet.part in book.package.names:
            root = book.package.xml(sheet.part)
            if root.tag == f"{M}worksheet":
                yield sheet, root


def check_validations(book: Book) -> Iterator[Finding]:
    global_names = {e.get("name", "").lower() for e in book.names() if e.get("localSheetId") is None}
    for sheet, root in _worksheets(book):
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
    for sheet, root in _worksheets(book):
        declared = root.find(f"{M}sheetFormatPr")
        for tag, attribute in ((f"{M}sheetData/{M}row", "outlineLevelRow"), (f"{M}cols/{M}col", "outlineLevelCol")):
            used = max((int(e.get("outlineLevel", "0")) for e in root.iterfind(tag)), default=0)
            said = int(declared.get(attribute, "0")) if declared is not None else 0
            if used > said:
                message = f"levels up to {used} are used, sheetFormatPr declares {attribute}={said}"
                yield Finding("OUTLINE_UNDECLARED", sheet.part, sheet.name, message)


def check_headers(book: Book) -> Iterator[Finding]:
    for sheet, root in _worksheets(book):
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
    for sheet, root in _worksheets(book):
        for formula in root.iter(f"{M}f"):
            if EXTERNAL_BOOK.search(formula.text or ""):
                yield Finding("EXTERNAL_LINK", sheet.part, sheet.name, f"formula {formula.text!r}")


# --- styles and shared strings ---------------------------------------------------------------------------------


def check_styles(book: Book) -> Iterator[Finding]:
    styles = next(iter(book.related(book.part, "styles")), "")
    if not styles:
        return
    root = book.package.xml(styles)
    sizes: dict[str, int] = {}
    for tag in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs"):
        element = root.find(f"{M}{tag}")
        if element is None:
            continue
        sizes[tag] = len(element)
        if element.get("count") is not None and int(element.get("count", "0")) != len(element):
            yield Finding("STYLE_COUNT", styles, tag, f"count={element.get('count')} but {len(element)} entries")
    xfs = sizes.get("cellXfs", 0)
    if xfs > CELL_XFS_MAX:
        yield Finding("STYLE_COUNT", styles, "cellXfs", f"{xfs} cell formats (Excel's limit: {CELL_XFS_MAX})")
    formats = {int(e.get("numFmtId", "0")) for e in root.iterfind(f"{M}numFmts/{M}numFmt")}
    for tag in ("cellStyleXfs", "cellXfs"):
        for number, xf in enumerate(root.iterfind(f"{M}{tag}/{M}xf")):
            for attribute, table in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
                if int(xf.get(attribute, "0")) >= sizes.get(table, 0):
                    yield Finding("STYLE_COUNT", styles, f"{tag}[{number}]", f"{attribute} beyond the {table}")
            fmt = int(xf.get("numFmtId", "0"))
            if fmt >= 164 and fmt not in formats:
                yield Finding("STYLE_COUNT", styles, f"{tag}[{number}]", f"numFmtId {fmt} is not defined")
    for sheet, root_ in _worksheets(book):
        for cell in root_.iter(f"{M}c"):
            if int(cell.get("s", "0")) >= xfs:
                yield Finding("STYLE_COUNT", sheet.part, f"{sheet.name}!{cell.get('r')}", f"style {cell.get('s')}")


def check_shared_strings(book: Book) -> Iterator[Finding]:
    part = next(iter(book.related(book.part, "sharedStrings")), "")
    unique = 0
    if part:
        root = book.package.xml(part)
        unique = len(root.findall(f"{M}si"))
        said = root.get("uniqueCount")
        if said is not None and int(said) != unique:
            yield Finding("SST_COUNT", part, "uniqueCount", f"uniqueCount={said} but {unique} strings")
        if root.get("count") is not None and int(root.get("count", "0")) < unique:
            yield Finding("SST_COUNT", part, "count", f"count={root.get('count')} is below {unique} strings")
    for sheet, root_ in _worksheets(book):
        for cell in root_.iter(f"{M}c"):
            if cell.get("t") == "s":
                value = cell.findtext(f"{M}v") or ""
                if not value.isdigit() or int(value) >= unique:
                    where = f"{sheet.name}!{cell.get('r')}"
                    yield Finding("SST_COUNT", sheet.part, where, f"shared string {value!r} of {unique}")


# --- comments, hyperlinks --------------------------------------------------------------------------------------


def check_comments(book: Book) -> Iterator[Finding]:
    for sheet, root in _worksheets(book):
        comments = book.related(sheet.part, "comments")
        if not comments:
            continue
        legacy = root.find(f"{M}legacyDrawing")
        rels = {r.id: r for r in book.package.rels(sheet.part)}
        vml = rels.get(legacy.get(R_ID, "")) if legacy is not None else None
        if vml is None or vml.type != REL + "vmlDrawing" or vml.part not in book.package.names:
            yield Finding("COMMENTS_DRAWING", sheet.part, sheet.name, "comments without their legacyDrawing (VML)")
            continue
        refs, authors = [], 0
        for part in comments:
            tree = book.package.xml(part)
            authors = len(tree.findall(f"{M}authors/{M}author"))
            for comment in tree.iter(f"{M}comment"):
                refs.append(comment.get("ref", ""))
                if int(comment.get("authorId", "0")) >= authors:
                    yield Finding("COMMENTS_DRAWING", part, comment.get("ref", ""), "authorId beyond the authors")
        try:
            drawing = etree.fromstring(book.package.read(vml.part), PARSER)
        except etree.XMLSyntaxError as error:
            yield Finding("COMMENTS_DRAWING", vml.part, sheet.name, f"the VML does not parse: {error}")
            continue
        notes = set()
        for data in drawing.iter(f"{VML_X}ClientData"):
            if data.get("ObjectType") == "Note":
                notes.add((int(data.findtext(f"{VML_X}Row") or -1), int(data.findtext(f"{VML_X}Column") or -1)))
        for ref in refs:
            match = CELL.match(ref)
            place = (int(match[2]) - 1, column_number(match[1]) - 1) if match else None
            if place not in notes:
                yield Finding("COMMENTS_DRAWING", vml.part, f"{sheet.name}!{ref}", "a comment without its note shape")
        if len(notes) != len(refs):
            message = f"{len(notes)} note shapes for {len(refs)} comments"
            yield Finding("COMMENTS_DRAWING", vml.part, sheet.name, message)


def check_hyperlinks(book: Book) -> Iterator[Finding]:
    for sheet, root in _worksheets(book):
        rels = {r.id: r for r in book.package.rels(sheet.part)}
        for link in root.iterfind(f"{M}hyperlinks/{M}hyperlink"):
            where = f"{sheet.name}!{link.get('ref', '')}"
            location = link.get("location")
            rel_id = link.get(R_ID)
            if rel_id:
                rel = rels.get(rel_id)
                if rel is None or rel.type != REL + "hyperlink" or not rel.external:
                    yield Finding("HYPERLINK_FORM", sheet.part, where, "its relationship is not an external hyperlink")
                elif "#" in rel.target:
                    yield Finding("HYPERLINK_FORM", sheet.part, where, f"{rel.target!r}: the place belongs in location")
                elif not URI_SAFE.match(rel.target):
                    yield Finding("HYPERLINK_FORM", sheet.part, where, f"{rel.target!r} is not a percent-encoded URI")
            elif not location:
                yield Finding("HYPERLINK_FORM", sheet.part, where, "neither a target nor a location")
            elif split_sheet(location) and book.sheet((split_sheet(location) or ("", ""))[0]) is None:
                yield Finding("HYPERLINK_FORM", sheet.part, where, f"location {location!r} names no sheet here")
            if location is not None and not (split_sheet(location) or re.fullmatch(r"[\w.\\]+", location)):
                yield Finding("HYPERLINK_FORM", sheet.part, where, f"location {location!r} is not a reference")


# --- charts ----------------------------------------------------------------------------------------------------


def check_charts(book: Book) -> Iterator[Finding]:
    for sheet, _ in _worksheets(book):
        for drawing in book.related(sheet.part, "drawing"):
            for chart in book.related(drawing, "chart"):
                yield from _chart(book, chart)


def _chart(book: Book, part: str) -> Iterator[Finding]:
    root = book.package.xml(part)
    for axis in ("catAx", "valAx", "dateAx", "serAx"):
        for element in root.iter(f"{C}{axis}"):
            deleted = element.find(f"{C}delete")
            axis_id = element.find(f"{C}axId")
            where = f"{axis} {axis_id.get('val') if axis_id is not None else ''}"
            if deleted is None:
                yield Finding("CHART_AXIS", part, where, 'no <c:delete val="0"/>: Excel hides the axis')
            elif deleted.get("val", "true") in ("1", "true"):
                yield Finding("CHART_AXIS", part, where, "the axis is deleted")
    for series in root.iter(f"{C}ser"):
        for source in ("tx", "cat", "val", "xVal", "yVal"):
            holder = series.find(f"{C}{source}")
            if holder is None:
                continue
            for ref in holder:
                kind = etree.QName(ref).localname
                if kind in ("numRef", "strRef", "multiLvlStrRef"):
                    yield from _series_ref(book, part, source, kind, ref)


def _series_ref(book: Book, part: str, source: str, kind: str, ref: etree._Element) -> Iterator[Finding]:
    formula = (ref.findtext(f"{C}f") or "").strip()
    parsed = split_sheet(formula)
    target = book.sheet(parsed[0]) if parsed else None
    cells = area_cells(parsed[1]) if parsed else None
    if target is None or cells is None:
        yield Finding("CHART_REF", part, source, f"{formula!r} does not point at a range of this workbook")
        return
    cache = ref.find(f"{C}numCache" if kind == "numRef" else f"{C}strCache")
    count = cache.find(f"{C}ptCount") if cache is not None else None
    if cache is None or count is None:
        yield Finding("CHART_CACHE", part, f"{source} {formula}", "no cached values (previews show nothing)")
    elif int(count.get("val", "0")) != len(cells):
        yield Finding("CHART_CACHE", part, f"{source} {formula}", f"{count.get('val')} cached for {len(cells)} cells")
    if kind == "numRef":
        texts = _text_cells(book, target, set(cells))
        if texts:
            yield Finding("CHART_CATEGORY", part, f"{source} {formula}", f"{len(texts)} text cells read as numbers")


def _text_cells(book: Book, sheet: Sheet, cells: set[tuple[int, int]]) -> list[str]:
    found = []
    for cell in book.package.xml(sheet.part).iter(f"{M}c"):
        match = CELL.match(cell.get("r", ""))
        if match and (int(match[2]), column_number(match[1])) in cells and cell.get("t") in ("s", "inlineStr", "str"):
            found.append(cell.get("r", ""))
    return found


CHECKS: tuple[Callable[[Book], Iterator[Finding]], ...] = (
    check_names,
    check_sheet_names,
    check_validations,
    check_outline,
    check_headers,
    check_external,
    check_styles,
    check_shared_strings,
    check_comments,
    check_hyperlinks,
    check_charts,
)


def rule_findings(path: Path) -> list[Finding]:
    """Every Excel-rule finding of the workbook or add-in at `path` (empty: it keeps every rule checked here)."""
    with open_package(path) as package:
        book = open_book(package)
        return [finding for check in CHECKS for finding in check(book)]
