"""Decide whether a file can be opened at all, before any parser touches it.

An ASB's return can be anything: empty, truncated, encrypted, an .xls, a CSV, a zip bomb, XML with external
entities. Each is recognised from its bytes (not its name) and answered with one FILE_0xx finding, so the caller can
report it and go on with the other files. Nothing in the file is executed or fetched.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import lzma
import os
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from xlsx_tools.findings import Finding

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_UNPACKED_BYTES = 300 * 1024 * 1024  # a full work plan unpacks to a few MB
MAX_RATIO = 200  # deflate rarely beats 100:1 on real sheets; bombs reach 1000:1
# what zipfile raises on a damaged or doctored archive: a bad directory or CRC, a broken deflate/bzip2/LZMA stream,
# an unsupported method, a truncated part, an undecodable name
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError, ValueError)
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
KEPT_PARTS = ("xl/workbook.xml", WORKBOOK_RELS, "docProps/core.xml")  # for the readers, with the worksheets
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)  # anywhere: a DOCTYPE may follow a long comment
_DOCTYPE_BYTES = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def check_file(path: Path, allow_macros: bool = False) -> Finding | None:
    """Return a fatal finding if `path` cannot be read as an .xlsx workbook, else None."""
    return inspect_file(path, allow_macros)[0]


def inspect_file(path: Path, allow_macros: bool = False) -> tuple[Finding | None, Package | None]:
    """(a fatal finding, None) if `path` cannot be read as an .xlsx workbook, else (None, its package parts).

    The file is read once (a file larger than anything a workbook may unpack to is refused unread, FILE_007);
    its SHA-256 comes from those bytes, and every part is unpacked from them by zipfile, which checks each part's
    size and CRC against the zip directory (a damaged part is FILE_005); every XML part is searched for
    DOCTYPE/ENTITY on the way. The workbook part, its relationships and the worksheets are kept (`Package`) for the
    readers that look at the XML themselves."""
    name = str(path)
    try:
        data = read_regular_file(path)  # once: the zip directory, every part and the SHA-256 come from these bytes
    except NotRegularFile as exc:
        return exc.finding, None
    except OSError as exc:
        return Finding("FILE_005", file=name, detail=f"the file could not be read ({exc})"), None
    head = data[:8]
    if head.startswith(OLE_MAGIC):
        return _ole_finding(path, data), None
    if not head.startswith(ZIP_MAGIC):
        finding = Finding(
            "FILE_006" if path.suffix.lower() in {".csv", ".ods", ".xls", ".fods"} else "FILE_003",
            file=name,
            detail=f"the file's content is not an Excel workbook (it is named {path.suffix or 'without extension'})",
        )
        return finding, None
    try:
        return _zip_finding(path, data, allow_macros)
    except ZIP_ERRORS as exc:  # what a doctored zip makes zipfile raise: the file is damaged, not the run
        return Finding("FILE_005", file=name, detail=f"the zip could not be read ({type(exc).__name__}: {exc})"), None


class NotRegularFile(ValueError):
    """A path that is no workbook file to read: missing, a folder, a pipe or device, empty, or far too large."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


_KINDS = {
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a disk device",
    stat.S_IFSOCK: "a socket",
}


def read_regular_file(path: Path, limit: int = MAX_UNPACKED_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Anything else is refused at once, unread
    (NotRegularFile carrying its finding): a pipe or a device (reading one would wait, or never end), a folder, an
    empty file, a file larger than `limit` (a sparse 20 GB file is refused by its size). The file is opened without
    waiting (a pipe put in its place after the check does not block) and checked again through the open handle."""
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise NotRegularFile(Finding("FILE_001", file=name)) from None
    if stat.S_ISDIR(info.st_mode):
        detail = "this is a folder, not a file; name the workbook inside it"
        raise NotRegularFile(Finding("FILE_001", file=name, detail=detail))
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise NotRegularFile(Finding("FILE_011", file=name, detail=f"this is {kind}, not a workbook file"))
        if info.st_size == 0:
            raise NotRegularFile(Finding("FILE_002", file=name))
        if info.st_size > limit:
            detail = f"the file is {info.st_size // (1024 * 1024):,} MB; a work plan's workbook is a few MB"
            raise NotRegularFile(Finding("FILE_007", file=name, detail=detail))
        chunks = []
        left = info.st_size + 1  # one byte more: a file that grew meanwhile is noticed
        while left > 0 and (chunk := os.read(handle, min(left, 1 << 24))):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(handle)
    data = b"".join(chunks)
    if len(data) > limit:
        raise NotRegularFile(Finding("FILE_007", file=name, detail="the file grew while it was read"))
    return data


def _ole_finding(path: Path, data: bytes) -> Finding:
    """OLE2 container: either an encrypted OOXML package or a legacy .xls/.doc."""
    import msoffcrypto
    from msoffcrypto.exceptions import FileFormatError, ParseError

    try:
        encrypted = msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()
    except (FileFormatError, ParseError, OSError, ValueError, struct.error):  # olefile's and msoffcrypto's own
        return Finding("FILE_005", file=str(path), detail="the file is an OLE container that could not be read")
    if encrypted:
        return Finding("FILE_004", file=str(path))
    return Finding("FILE_006", file=str(path), detail="this is an old Excel 97-2003 (.xls) file")


def _zip_finding(path: Path, data: bytes, allow_macros: bool) -> tuple[Finding | None, Package | None]:
    name = str(path)
    kept: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "mimetype" in names and "content.xml" in names:
                return Finding("FILE_006", file=name, detail="this is an OpenDocument (.ods) spreadsheet"), None
            if "xl/workbook.bin" in names:
                return Finding("FILE_006", file=name, detail="this is an Excel binary (.xlsb) workbook"), None
            missing = [part for part in ("[Content_Types].xml", "xl/workbook.xml") if part not in names]
            if missing and any(n.startswith("xl/") for n in names):  # a workbook with a part lost or misnamed
                detail = f"the workbook's part {missing[0]} is missing (or its name in the zip is damaged)"
                return Finding("FILE_005", file=name, detail=detail), None
            if "[Content_Types].xml" in missing:
                return Finding("FILE_003", file=name, detail="the file is a zip archive, not a workbook"), None
            if missing:
                return Finding("FILE_003", file=name, detail="the package holds no Excel workbook part"), None
            unpacked = sum(info.file_size for info in infos)
            packed = max(1, sum(info.compress_size for info in infos))
            if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_RATIO:
                detail = f"it would unpack to {unpacked // (1024 * 1024)} MB from {packed // 1024} KB"
                return Finding("FILE_007", file=name, detail=detail), None
            if not allow_macros and "xl/vbaProject.bin" in names:
                return Finding("FILE_009", file=name), None
            wanted = {*KEPT_PARTS, *_workbook_targets(archive, names)}
            for info in infos:
                if info.is_dir():
                    continue
                if info.flag_bits & 0x1:  # zip's own encryption: Office never writes it, nothing here can read it
                    detail = f"the part {info.filename} is encrypted inside the zip"
                    return Finding("FILE_004", file=name, detail=detail), None
                try:
                    part = archive.read(info)
                except ZIP_ERRORS as exc:
                    return Finding("FILE_005", file=name, detail=f"the part {info.filename} is damaged ({exc})"), None
                if not allow_macros and _holds_macros(info.filename, part):
                    detail = f"the part {info.filename} holds or links a VBA project"
                    return Finding("FILE_009", file=name, detail=detail), None
                # every part, whatever its name: a worksheet may be stored as xl/data/pillar.dat
                if declares_entities(part):
                    detail = f"the part {info.filename} declares a DOCTYPE/ENTITY"
                    return Finding("FILE_008", file=name, detail=detail), None
                if info.filename in wanted or info.filename.startswith("xl/worksheets/"):
                    kept[info.filename] = part
    except zipfile.BadZipFile:
        return Finding("FILE_005", file=name, detail="the zip structure is truncated or corrupt"), None
    return None, Package(path, data, kept)


@dataclass(frozen=True)
class Package:
    """A checked workbook: the file's bytes as checked, and the XML parts the readers look at themselves (name in
    the zip → bytes)."""

    path: Path
    data: bytes
    parts: dict[str, bytes]

    @property
    def sha256(self) -> str:
        """Of the whole file, as it was read for the check."""
        return hashlib.sha256(self.data).hexdigest()


def part_name(target: str) -> str:
    """The zip name of a part a relationship of the workbook part points to ("worksheets/sheet1.xml",
    "/xl/data/s.dat", "./a/../b.xml"), as the readers resolve it."""
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def _workbook_targets(archive: zipfile.ZipFile, names: set[str]) -> set[str]:
    """Every part the workbook part's relationships point to (worksheets stored under any name among them), so the
    check keeps them for the readers. DOCTYPE/ENTITY are looked for before the relationships are parsed."""
    if WORKBOOK_RELS not in names:
        return set()
    rels = archive.read(WORKBOOK_RELS)
    if declares_entities(rels):
        return set()  # refused in the loop over the parts, as any part declaring entities
    try:
        return {part_name(rel.get("Target", "")) for rel in ET.fromstring(rels)}
    except ET.ParseError:
        return set()  # the readers say so when they parse it


_VBA_STREAM = "_VBA_PROJECT".encode("utf-16-le")  # the stream every VBA project's storage holds
_VBA_MARK = b"vbaProject"  # in a relationship type (…/vbaProject) or a content type (…ms-office.vbaProject)


def _holds_macros(name: str, part: bytes) -> bool:
    """Whether a part is a VBA project (an OLE file holding a _VBA_PROJECT stream), whatever it is called, or links
    or declares one (a relationship or content type naming vbaProject)."""
    if part.startswith(OLE_MAGIC):
        return _VBA_STREAM in part
    if name.endswith(".rels") or name == "[Content_Types].xml":
        return _VBA_MARK in part
    return False


def declares_entities(data: bytes) -> bool:
    """Whether an XML part holds a DOCTYPE or ENTITY declaration anywhere, in UTF-8 or UTF-16."""
    head = data[:4]
    if head.startswith((codecs.BOM_UTF16_BE, b"\0<")):
        text = data.decode("utf-16-be", errors="replace")
    elif head.startswith(codecs.BOM_UTF16_LE) or head[:2] == b"<\0":
        text = data.decode("utf-16-le", errors="replace")
    else:  # UTF-8 and the single-byte encodings keep the ASCII markup as it is
        return _DOCTYPE_BYTES.search(data) is not None
    return _DOCTYPE.search(text) is not None
