"""Decide whether a file can be opened at all, before any parser touches it.

An ASB's return can be anything: empty, truncated, encrypted, an .xls, a CSV, a zip bomb, XML with external
entities. Each is recognised from its bytes (not its name) and answered with one FILE_0xx finding, so the caller can
report it and go on with the other files. Nothing in the file is executed or fetched.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import deflate

from xlsx_tools.findings import Finding

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_UNPACKED_BYTES = 300 * 1024 * 1024  # a full work plan unpacks to a few MB
MAX_RATIO = 200  # deflate rarely beats 100:1 on real sheets; bombs reach 1000:1
# a package that unpacks to more than this is not repacked for calamine (`Package.stored_zip`): the repack and
# calamine's copy of it would hold the parts twice more; calamine then reads the file itself
MAX_REPACKED_BYTES = 32 * 1024 * 1024
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)  # anywhere: a DOCTYPE may follow a long comment
_DOCTYPE_BYTES = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_BANGS_LOOKED_AT = 64


def check_file(path: Path, allow_macros: bool = False) -> Finding | None:
    """Return a fatal finding if `path` cannot be read as an .xlsx workbook, else None."""
    return inspect_file(path, allow_macros)[0]


def inspect_file(path: Path, allow_macros: bool = False) -> tuple[Finding | None, Package | None]:
    """(a fatal finding, None) if `path` cannot be read as an .xlsx workbook, else (None, its package parts).

    The file is read once (a file larger than anything a workbook may unpack to is refused unread, FILE_007);
    its SHA-256 comes from those bytes, and every part is unpacked from them, in full, its size and CRC checked
    against the zip directory (`_unpack`; a damaged part is FILE_005), every XML part searched for DOCTYPE/ENTITY
    on the way. The unpacked parts are kept (`Package`), so nothing is unpacked twice: the readers look at the
    workbook part and the worksheets themselves, and python-calamine is handed them repacked uncompressed
    (`Package.stored_zip`)."""
    name = str(path)
    if path.is_dir():
        return Finding("FILE_001", file=name, detail="this is a folder, not a file; name the workbook inside it"), None
    if not path.exists() or not path.is_file():
        return Finding("FILE_001", file=name), None
    size = path.stat().st_size
    if size == 0:
        return Finding("FILE_002", file=name), None
    if size > MAX_UNPACKED_BYTES:
        detail = f"the file is {size // (1024 * 1024)} MB; a work plan's workbook is a few MB"
        return Finding("FILE_007", file=name, detail=detail), None
    try:
        data = path.read_bytes()  # once: the zip directory, every part and the file's SHA-256 come from these bytes
    except OSError as exc:
        return Finding("FILE_005", file=name, detail=f"the file could not be read ({exc})"), None
    head = data[:8]
    if head.startswith(OLE_MAGIC):
        return _ole_finding(path), None
    if not head.startswith(ZIP_MAGIC):
        finding = Finding(
            "FILE_006" if path.suffix.lower() in {".csv", ".ods", ".xls", ".fods"} else "FILE_003",
            file=name,
            detail=f"the file's content is not an Excel workbook (it is named {path.suffix or 'without extension'})",
        )
        return finding, None
    try:
        return _zip_finding(path, data, allow_macros)
    except Exception as exc:  # whatever else a doctored zip makes zipfile raise: the file is damaged, not the run
        return Finding("FILE_005", file=name, detail=f"the zip could not be read ({type(exc).__name__}: {exc})"), None


def _ole_finding(path: Path) -> Finding:
    """OLE2 container: either an encrypted OOXML package or a legacy .xls/.doc."""
    try:
        import msoffcrypto

        with path.open("rb") as handle:
            office = msoffcrypto.OfficeFile(handle)
            encrypted = office.is_encrypted()
    except Exception:
        return Finding("FILE_005", file=str(path), detail="the file is an OLE container that could not be read")
    if encrypted:
        return Finding("FILE_004", file=str(path))
    return Finding("FILE_006", file=str(path), detail="this is an old Excel 97-2003 (.xls) file")


def _zip_finding(path: Path, data: bytes, allow_macros: bool) -> tuple[Finding | None, Package | None]:
    name = str(path)
    kept: dict[str, bytes] = {}
    entries: list[tuple[str, int, bytes]] = []
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
            repack = unpacked <= MAX_REPACKED_BYTES
            if not allow_macros and "xl/vbaProject.bin" in names:
                return Finding("FILE_009", file=name), None
            for info in infos:
                if info.is_dir():
                    continue
                if info.flag_bits & 0x1:  # zip's own encryption: Office never writes it, nothing here can read it
                    detail = f"the part {info.filename} is encrypted inside the zip"
                    return Finding("FILE_004", file=name, detail=detail), None
                try:
                    part = _unpack(archive, data, info)
                except (zipfile.BadZipFile, deflate.DeflateError, ValueError) as exc:
                    return Finding("FILE_005", file=name, detail=f"the part {info.filename} is damaged ({exc})"), None
                if info.filename.endswith((".xml", ".rels")):
                    if declares_entities(part):
                        detail = f"the part {info.filename} declares a DOCTYPE/ENTITY"
                        return Finding("FILE_008", file=name, detail=detail), None
                    if info.filename in KEPT_PARTS or info.filename.startswith(KEPT_FOLDERS):
                        kept[info.filename] = part
                if repack:
                    entries.append((info.filename, info.CRC, part))
    except zipfile.BadZipFile:
        return Finding("FILE_005", file=name, detail="the zip structure is truncated or corrupt"), None
    except (OSError, EOFError, NotImplementedError) as exc:
        return Finding("FILE_005", file=name, detail=f"the file could not be read ({exc})"), None
    return None, Package(path, kept, hashlib.sha256(data).hexdigest(), tuple(entries))


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name and extra field lengths at offset 26


def _unpack(archive: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo) -> bytes:
    """One part's bytes, its size and CRC checked against the zip directory (ValueError when they differ).

    A deflated or stored part is inflated with libdeflate in one call, into a buffer of exactly the size the
    directory declares (so a part that inflates to more than it says is damaged, never a memory bomb) - three times
    faster than zipfile's streaming reader, which remains for the other compression methods."""
    if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        return archive.read(info)
    header = data[info.header_offset : info.header_offset + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size or not header.startswith(ZIP_MAGIC):
        raise ValueError("its local header is missing")
    _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) != info.compress_size:
        raise ValueError("it is cut short")
    if info.compress_type == zipfile.ZIP_STORED:
        part = bytes(raw)
    elif info.file_size == 0:
        part = b""
    else:
        part = bytes(deflate.deflate_decompress(raw, info.file_size))
    if len(part) != info.file_size or deflate.crc32(part) != info.CRC:
        raise ValueError("its size or checksum does not match the zip directory")
    return part


@dataclass(frozen=True)
class Package:
    """A checked workbook: the XML parts the readers look at themselves (name in the zip → bytes), and every part
    as unpacked by the check (name, CRC-32, bytes), for `stored_zip`."""

    path: Path
    parts: dict[str, bytes]
    sha256: str  # of the whole file, as it was read for the check
    entries: tuple[tuple[str, int, bytes], ...] = ()

    def stored_zip(self) -> bytes | None:
        """The same package with every part stored uncompressed, for python-calamine to read from memory: the
        check has inflated every part already (libdeflate, three times faster than calamine's inflater), and a
        quarter of calamine's parse of a return is inflating it again. None when the check kept no entries (a
        package larger than MAX_REPACKED_BYTES), or more than a plain zip can list: the caller then has calamine
        open the file itself."""
        if not self.entries or len(self.entries) >= 0xFFFF:
            return None
        return stored_zip(self.entries)


_STORED_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # local file header: signature, then the ten fields below
_STORED_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")  # central directory entry: signature, version made by, the
# same ten fields, then comment length, disk, internal and external attributes, offset of the local header
_STORED_END = struct.Struct("<4sHHHHIIH")  # end of central directory record
_DOS_DATE = 1 << 5 | 1  # 1 January 1980 ((year - 1980) << 9 | month << 5 | day): the parts' dates mean nothing here
_UTF8_NAMES = 0x800


def stored_zip(entries: tuple[tuple[str, int, bytes], ...]) -> bytes:
    """A zip archive of `entries` (name, CRC-32, bytes), each stored (method 0), names in UTF-8."""
    chunks: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, crc, data in entries:
        encoded = name.encode("utf-8", "surrogateescape")
        size = len(data)
        # version needed, flags, method (stored), time, date, CRC-32, compressed and real size, name and extra length
        fields = (20, _UTF8_NAMES, 0, 0, _DOS_DATE, crc, size, size, len(encoded), 0)
        header = _STORED_LOCAL.pack(b"PK\x03\x04", *fields)
        chunks += (header, encoded, data)
        central.append(_STORED_CENTRAL.pack(b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, offset) + encoded)
        offset += len(header) + len(encoded) + size
    directory = b"".join(central)
    end = _STORED_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0)
    return b"".join([*chunks, directory, end])


KEPT_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
KEPT_FOLDERS = ("xl/worksheets/",)


def declares_entities(data: bytes) -> bool:
    """Whether an XML part holds a DOCTYPE or ENTITY declaration anywhere, in UTF-8 or UTF-16."""
    head = data[:4]
    if head.startswith((codecs.BOM_UTF16_BE, b"\0<")):
        text = data.decode("utf-16-be", errors="replace")
    elif head.startswith(codecs.BOM_UTF16_LE) or head[:2] == b"<\0":
        text = data.decode("utf-16-le", errors="replace")
    else:  # UTF-8 and the single-byte encodings keep the ASCII markup as it is
        return _declares_in_bytes(data)
    return _DOCTYPE.search(text) is not None


def _declares_in_bytes(data: bytes) -> bool:
    """A declaration starts "<!": the parts are searched for "!" (memchr, rare in markup), and each one is looked
    at, instead of running the pattern over every "<" of the part (thirty times slower); a part with many "!" (in
    its text) is searched with the pattern from there on."""
    at = data.find(b"!")
    for _ in range(_BANGS_LOOKED_AT):
        if at < 0:
            return False
        if at and _DOCTYPE_BYTES.match(data, at - 1):
            return True
        at = data.find(b"!", at + 1)
    return at >= 0 and _DOCTYPE_BYTES.search(data, at - 1) is not None
