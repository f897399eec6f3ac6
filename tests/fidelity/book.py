"""The workbook as the Excel-rules check sees it: its sheets, names and parts, and what a finding is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from tests.fidelity.package import MAIN_NS, R_NS, Package

M = f"{{{MAIN_NS}}}"
R_ID = f"{{{R_NS}}}id"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
OFFICE_DOCUMENT = REL + "officeDocument"


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


def worksheets(book: Book) -> Iterator[tuple[Sheet, etree._Element]]:
    """Every worksheet of the book with its parsed part (chart sheets and missing parts left out)."""
    for sheet in book.sheets:
        if sheet.part in book.package.names:
            root = book.package.xml(sheet.part)
            if root.tag == f"{M}worksheet":
                yield sheet, root
