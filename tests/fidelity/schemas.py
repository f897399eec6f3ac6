"""Schema validation of every XML part of a package against ECMA-376 (transitional), OPC and the ribbon schemas.

The schemas are test data in ../shared/ooxml-schemas (beside the checkout, as the seeds are). Before validating, each
part gets the processing an Office application does (see that folder's README): Markup Compatibility (ignorable
namespaces dropped, an AlternateContent replaced by its Fallback), `xml:space` attributes removed. VML has no usable
schema (Office's own VML is loose); excel_rules checks it structurally.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

from tests.fidelity.package import PARSER, Package, open_package

REPO = Path(__file__).resolve().parent.parent.parent
SCHEMAS = REPO.parent / "shared" / "ooxml-schemas"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# root namespace → schema file (in SCHEMAS); every namespace a part of ours may start with
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006"
SCHEMA_FILES = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main": "sml.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/main": "dml-main.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/chart": "dml-chart.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing": "dml-spreadsheetDrawing.xsd",
    f"{OFFICE_DOCUMENT}/extended-properties": "shared-documentPropertiesExtended.xsd",
    f"{OFFICE_DOCUMENT}/custom-properties": "shared-documentPropertiesCustom.xsd",
    "http://schemas.openxmlformats.org/package/2006/content-types": "opc-xsd/opc-contentTypes.xsd",
    "http://schemas.openxmlformats.org/package/2006/relationships": "opc-xsd/opc-relationships.xsd",
    "http://schemas.openxmlformats.org/package/2006/metadata/core-properties": "opc-xsd/opc-coreProperties.xsd",
    "http://schemas.microsoft.com/office/2009/07/customui": "customui14.patched.xsd",
    "http://schemas.microsoft.com/office/2006/01/customui": "customUI.patched.xsd",
}
# the core-properties schema imports Dublin Core by URL: the local copies stand in (lxml fetches nothing)
LOCAL_COPIES = {
    "http://dublincore.org/schemas/xmls/qdc/2003/04/02/dc.xsd": "opc-xsd/dc.xsd",
    "http://dublincore.org/schemas/xmls/qdc/2003/04/02/dcterms.xsd": "opc-xsd/dcterms.xsd",
}
VML_ROOT = "xml"  # a VML part's root element has no namespace


class SchemasMissing(RuntimeError):
    """The schema folder beside the checkout is missing: the gate cannot run, and must not pass quietly."""


def require_schemas() -> Path:
    missing = [name for name in SCHEMA_FILES.values() if not (SCHEMAS / name).is_file()]
    if missing:
        raise SchemasMissing(
            f"The OOXML schemas are not at {SCHEMAS} (missing: {', '.join(missing)}). The Excel-fidelity gate needs "
            "../shared/ooxml-schemas beside the checkout, as CI has it; without it no generated file is checked."
        )
    return SCHEMAS


class _LocalCopies(etree.Resolver):
    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        local = LOCAL_COPIES.get(system_url)
        return self.resolve_filename(str(SCHEMAS / local), context) if local else None


@functools.cache
def schema_for(namespace: str) -> etree.XMLSchema:
    require_schemas()
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalCopies())
    path = SCHEMAS / SCHEMA_FILES[namespace]
    return etree.XMLSchema(etree.parse(str(path), parser))


def office_view(root: etree._Element) -> etree._Element:
    """A copy of `root` as an Office application processes it: Markup Compatibility applied, xml:space dropped."""
    tree = etree.fromstring(etree.tostring(root), PARSER)
    _process(tree, frozenset())
    return tree


def _ignorable(element: etree._Element, inherited: frozenset[str]) -> frozenset[str]:
    prefixes = element.get(f"{{{MC_NS}}}Ignorable")
    if not prefixes:
        return inherited
    return inherited | {element.nsmap[p] for p in prefixes.split() if p in element.nsmap}


def _process(element: etree._Element, inherited: frozenset[str]) -> None:
    ignorable = _ignorable(element, inherited)
    for name in list(element.attrib):
        namespace = etree.QName(name).namespace
        if name == XML_SPACE or namespace == MC_NS or (namespace and namespace in ignorable):
            del element.attrib[name]
    for child in list(element):
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        namespace = etree.QName(child).namespace
        if namespace == MC_NS and etree.QName(child).localname == "AlternateContent":
            fallback = child.find(f"{{{MC_NS}}}Fallback")
            index = element.index(child)
            element.remove(child)
            for offset, kept in enumerate(list(fallback) if fallback is not None else []):
                element.insert(index + offset, kept)
                _process(kept, ignorable)
        elif namespace and namespace in ignorable:
            element.remove(child)
        else:
            _process(child, ignorable)


def part_findings(package: Package, name: str) -> list[str]:
    try:
        root = package.xml(name)
    except etree.XMLSyntaxError as error:
        return [f"{name}: not well-formed XML ({error})"]
    if root.tag == VML_ROOT:
        return []  # VML: checked structurally by excel_rules
    namespace = etree.QName(root).namespace or ""
    if namespace not in SCHEMA_FILES:
        return [f"{name}: no schema for its root element {root.tag}"]
    schema = schema_for(namespace)
    if schema.validate(office_view(root)):
        return []
    return [f"{name}:{e.line}: {e.message}" for e in schema.error_log]


def schema_findings(path: Path) -> list[str]:
    """Every schema error of every XML part of the package at `path` (empty: all parts valid)."""
    require_schemas()
    with open_package(path) as package:
        findings: list[str] = []
        for name in package.names:
            if not name.endswith("/") and package.is_xml(name):
                findings.extend(part_findings(package, name))
        return findings
