"""Excel's rules for charts: series on existing ranges with cached values, text categories as text, axes shown."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from tests.fidelity.book import Book, Finding, M, Sheet, worksheets
from tests.fidelity.refs import (
    CELL,
    area_cells,
    column_number,
    split_sheet,
)

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


def check_charts(book: Book) -> Iterator[Finding]:
    for sheet, _ in worksheets(book):
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
