"""Excel's rules for shared parts: style and shared-string counts, comments and their VML drawing, hyperlinks."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from tests.fidelity.book import R_ID, REL, Book, Finding, M, worksheets
from tests.fidelity.package import PARSER
from tests.fidelity.refs import (
    CELL,
    column_number,
    split_sheet,
)

VML_X = "{urn:schemas-microsoft-com:office:excel}"
CELL_XFS_MAX = 64_000  # Excel's limit on cell formats
URI_SAFE = re.compile(r"^(?:[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")


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
    for sheet, root_ in worksheets(book):
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
    for sheet, root_ in worksheets(book):
        for cell in root_.iter(f"{M}c"):
            if cell.get("t") == "s":
                value = cell.findtext(f"{M}v") or ""
                if not value.isdigit() or int(value) >= unique:
                    where = f"{sheet.name}!{cell.get('r')}"
                    yield Finding("SST_COUNT", sheet.part, where, f"shared string {value!r} of {unique}")


def check_comments(book: Book) -> Iterator[Finding]:
    for sheet, root in worksheets(book):
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
    for sheet, root in worksheets(book):
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
