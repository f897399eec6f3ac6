"""Read an OOXML package's parts for the gate: XML parts parsed with lxml, relationships resolved to part names."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

CONTENT_TYPES = "[Content_Types].xml"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# a parser that never fetches anything and keeps huge text nodes (a master's record sheets)
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str  # as written
    external: bool
    part: str  # the resolved part name for an internal target ("" for an external one)


@dataclass
class Package:
    path: Path
    names: list[str]
    content_types: dict[str, str]  # part name → content type
    _zip: zipfile.ZipFile
    _trees: dict[str, etree._Element] = field(default_factory=dict)

    def read(self, name: str) -> bytes:
        return self._zip.read(name)

    def xml(self, name: str) -> etree._Element:
        """The part parsed (cached); raises etree.XMLSyntaxError for a part that is not well-formed."""
        if name not in self._trees:
            self._trees[name] = etree.fromstring(self._zip.read(name), PARSER)
        return self._trees[name]

    def is_xml(self, name: str) -> bool:
        kind = self.content_types.get(name, "")
        return kind.endswith("+xml") or kind.endswith("/xml") or name.endswith((".rels", ".xml"))

    def rels(self, name: str) -> list[Relationship]:
        """The relationships of part `name` ("" for the package's own)."""
        folder, base = posixpath.split(name)
        rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
        if rels_name not in self.names:
            return []
        out = []
        for rel in self.xml(rels_name).iter(f"{{{RELS_NS}}}Relationship"):
            target = rel.get("Target", "")
            external = rel.get("TargetMode") == "External"
            if external:
                part = ""
            elif target.startswith("/"):
                part = target.lstrip("/")
            else:
                part = posixpath.normpath(posixpath.join(folder, target))
            out.append(Relationship(rel.get("Id", ""), rel.get("Type", ""), target, external, part))
        return out

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_package(path: Path) -> Package:
    archive = zipfile.ZipFile(path)
    names = archive.namelist()
    types: dict[str, str] = {}
    if CONTENT_TYPES in names:
        root = etree.fromstring(archive.read(CONTENT_TYPES), PARSER)
        defaults = {d.get("Extension", "").lower(): d.get("ContentType", "") for d in root.iter(f"{{{CT_NS}}}Default")}
        overrides = {
            o.get("PartName", "").lstrip("/"): o.get("ContentType", "") for o in root.iter(f"{{{CT_NS}}}Override")
        }
        for name in names:
            types[name] = overrides.get(name) or defaults.get(name.rpartition(".")[2].lower(), "")
    return Package(Path(path), names, types, archive)
