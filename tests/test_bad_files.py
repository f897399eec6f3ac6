"""Files that are not usable workbooks: each gets one FILE_0xx finding naming the file; a batch goes on."""

from __future__ import annotations

import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

from tests.helpers import rewrite_zip
from xlsx_tools.findings import Severity
from xlsx_tools.validate.run import validate_files


def _tiny_xlsx(path: Path) -> Path:
    book = Workbook()
    book.active["A1"] = "hello"
    book.save(path)
    return path


def make_empty(tmp: Path, master: Path) -> Path:
    (tmp / "empty.xlsx").write_bytes(b"")
    return tmp / "empty.xlsx"


def make_text(tmp: Path, master: Path) -> Path:
    (tmp / "notes.xlsx").write_text("This is an e-mail body, not a workbook.\n")
    return tmp / "notes.xlsx"


def make_csv(tmp: Path, master: Path) -> Path:
    (tmp / "return.csv").write_text("Row ID,Status\nA.1.1-01,Ongoing\n")
    return tmp / "return.csv"


def make_truncated(tmp: Path, master: Path) -> Path:
    data = master.read_bytes()
    (tmp / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    return tmp / "truncated.xlsx"


def make_encrypted(tmp: Path, master: Path) -> Path:
    target = tmp / "encrypted.xlsx"
    with master.open("rb") as plain, target.open("wb") as out:
        OOXMLFile(plain).encrypt("secret", out)
    return target


def make_xlsb(tmp: Path, master: Path) -> Path:
    target = tmp / "binary.xlsb"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    return target


def make_ods(tmp: Path, master: Path) -> Path:
    target = tmp / "calc.ods"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return target


def make_plain_zip(tmp: Path, master: Path) -> Path:
    target = tmp / "photos.xlsx"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8\xff")
    return target


def make_bomb(tmp: Path, master: Path) -> Path:
    target = tmp / "bomb.xlsx"
    with zipfile.ZipFile(master) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item, old.read(item.filename))
        with new.open("xl/media/padding.bin", "w") as part:
            chunk = b"\0" * (1 << 20)
            for _ in range(64):
                part.write(chunk)
    return target


def make_xxe(tmp: Path, master: Path) -> Path:
    with zipfile.ZipFile(master) as old:
        workbook_xml = old.read("xl/workbook.xml")
    body = workbook_xml.split(b"?>", 1)[-1]
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + body
    return rewrite_zip(master, tmp / "xxe.xlsx", {"xl/workbook.xml": evil})


def make_macro(tmp: Path, master: Path) -> Path:
    return rewrite_zip(master, tmp / "with-macro.xlsm", {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0fake"})


def make_far_cell(tmp: Path, master: Path) -> Path:
    """One keystroke in the last cell of a sheet: its used range becomes 17 billion cells."""
    book = openpyxl.load_workbook(master)
    book["B. Protection"]["XFD1048576"] = "x"
    book.save(tmp / "far-cell.xlsx")
    return tmp / "far-cell.xlsx"


def _patched_directory(source: Path, target: Path, part: str, offset: int, change: Callable[[int], int]) -> Path:
    """A copy of `source` whose central directory entry for `part` has the 32- or 16-bit field at `offset` (from
    the entry's signature) changed: what a damaged or doctored zip looks like to a reader."""
    data = bytearray(source.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_length].decode() == part:
            width = "<H" if offset in (8, 10) else "<I"
            struct.pack_into(width, data, at + offset, change(struct.unpack_from(width, data, at + offset)[0]))
            target.write_bytes(bytes(data))
            return target
        at = data.find(b"PK\x01\x02", at + 46)
    raise AssertionError(f"{part} is not in {source}")


def make_zip_encrypted_part(tmp: Path, master: Path) -> Path:
    """A part flagged as encrypted with zip's own (weak) encryption, which Office never uses."""
    return _patched_directory(master, tmp / "zip-encrypted.xlsx", "xl/workbook.xml", 8, lambda flags: flags | 0x1)


def make_wrong_checksum(tmp: Path, master: Path) -> Path:
    """A bit flipped in transit: the sheet's CRC in the zip directory no longer matches its bytes."""
    return _patched_directory(master, tmp / "bad-crc.xlsx", "xl/worksheets/sheet2.xml", 16, lambda crc: crc ^ 0x10)


def make_size_lie(tmp: Path, master: Path) -> Path:
    """The zip directory says a sheet unpacks to 100 bytes: it holds more, and no more than 100 may come out."""
    return _patched_directory(master, tmp / "size-lie.xlsx", "xl/worksheets/sheet2.xml", 24, lambda size: 100)


def make_part_outside(tmp: Path, master: Path) -> Path:
    """The zip directory places a sheet beyond the end of the file."""
    return _patched_directory(master, tmp / "part-outside.xlsx", "xl/worksheets/sheet2.xml", 42, lambda at: 1 << 30)


def make_lost_part(tmp: Path, master: Path) -> Path:
    """A damaged name in the zip directory: the workbook's [Content_Types].xml can no longer be found."""
    data = master.read_bytes()
    at = data.rfind(b"[Content_Types].xml")  # its central directory entry comes last
    (tmp / "lost-part.xlsx").write_bytes(data[:at] + b"[Content_Typez].xml" + data[at + 19 :])
    return tmp / "lost-part.xlsx"


def make_unknown_packing(tmp: Path, master: Path) -> Path:
    """A part said to be LZMA-packed (method 14) that is not: zipfile's LZMA reader fails, reported as damage."""
    return _patched_directory(master, tmp / "lzma.xlsx", "xl/styles.xml", 10, lambda method: 14)


def make_missing(tmp: Path, master: Path) -> Path:
    return tmp / "does-not-exist.xlsx"


CASES = [
    ("empty", make_empty, "FILE_002"),
    ("text", make_text, "FILE_003"),
    ("csv", make_csv, "FILE_006"),
    ("truncated", make_truncated, "FILE_005"),
    ("encrypted", make_encrypted, "FILE_004"),
    ("xlsb", make_xlsb, "FILE_006"),
    ("ods", make_ods, "FILE_006"),
    ("plain-zip", make_plain_zip, "FILE_003"),
    ("zip-bomb", make_bomb, "FILE_007"),
    ("external-entities", make_xxe, "FILE_008"),
    ("macro", make_macro, "FILE_009"),
    ("far-cell", make_far_cell, "FILE_010"),
    ("zip-encrypted-part", make_zip_encrypted_part, "FILE_004"),
    ("wrong-checksum", make_wrong_checksum, "FILE_005"),
    ("size-lie", make_size_lie, "FILE_005"),
    ("part-outside", make_part_outside, "FILE_005"),
    ("lost-part", make_lost_part, "FILE_005"),
    ("unknown-packing", make_unknown_packing, "FILE_005"),
    ("missing", make_missing, "FILE_001"),
]


@pytest.mark.parametrize(("case", "make", "code"), CASES, ids=[c[0] for c in CASES])
def test_unusable_file_gets_one_fatal_finding(tmp_path: Path, master_bwp2: Path, case: str, make, code: str) -> None:
    bad = make(tmp_path, master_bwp2)
    report = validate_files([bad])
    assert report.codes() == [code]
    finding = report.findings[0]
    assert finding.severity is Severity.FATAL
    assert finding.file == str(bad)
    assert str(bad) in finding.message
    assert report.exit_code == 2


def test_a_bad_file_does_not_stop_the_batch(tmp_path: Path, master_copy: Path, master_bwp2: Path) -> None:
    bad = make_truncated(tmp_path, master_bwp2)
    report = validate_files([bad, master_copy, make_text(tmp_path, master_bwp2)])
    assert report.files == [str(bad), str(master_copy), str(tmp_path / "notes.xlsx")]
    assert [f.code for f in report.fatal] == ["FILE_005", "FILE_003"]
    assert any(f.file == str(master_copy) and f.code == "PLAN_401" for f in report.findings)


def test_legacy_formats_written_by_libreoffice_are_named(tmp_path: Path, soffice: str) -> None:
    source = _tiny_xlsx(tmp_path / "tiny.xlsx")
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    for fmt in ("xls", "ods"):
        subprocess.run(
            [soffice, profile, "--headless", "--convert-to", fmt, "--outdir", str(tmp_path), str(source)],
            check=True,
            capture_output=True,
            timeout=180,
        )
    report = validate_files([tmp_path / "tiny.xls", tmp_path / "tiny.ods"])
    assert report.codes() == ["FILE_006", "FILE_006"]
    assert "97-2003" in report.findings[0].detail
    assert "OpenDocument" in report.findings[1].detail


def test_zip_bomb_is_refused_before_unpacking(tmp_path: Path, master_bwp2: Path) -> None:
    bomb = make_bomb(tmp_path, master_bwp2)
    assert bomb.stat().st_size < 2_000_000  # 64 MB of zeros packed small: the ratio gives it away
    assert validate_files([bomb]).codes() == ["FILE_007"]


_DECLARED = b'<!DOCTYPE w [<!ENTITY e SYSTEM "http://127.0.0.1/x">]>'


@pytest.mark.parametrize(
    ("xml", "declares"),
    [
        (b'<?xml version="1.0"?><worksheet><c><is><t>Done!</t></is></c></worksheet>', False),
        (b"<?xml version='1.0'?>" + _DECLARED + b"<worksheet/>", True),
        (b"<!doctype worksheet><worksheet/>", True),  # at the very start, lower case
        (b"<worksheet><!--a comment--></worksheet>" + b"Wow! " * 500, False),  # more "!" than are looked at one by one
        (b"<!--" + b"Urgent! " * 500 + b"-->" + _DECLARED + b"<worksheet/>", True),  # a declaration after them
        (b"<x><! ENTITY e 'x'></x>", True),
        (b"!<x/>", False),
    ],
)
def test_declarations_are_found_wherever_they_are(xml: bytes, declares: bool) -> None:
    from xlsx_tools.workbook.safety import declares_entities

    assert declares_entities(xml) is declares


def test_a_file_larger_than_any_workbook_is_refused_unread(tmp_path: Path) -> None:
    from xlsx_tools.workbook.safety import MAX_UNPACKED_BYTES, inspect_file

    huge = tmp_path / "2026-H2_SOMTC_return.xlsx"
    with huge.open("wb") as handle:  # sparse: the test writes one byte, the file says 300 MB and more
        handle.seek(MAX_UNPACKED_BYTES)
        handle.write(b"\0")
    finding, package = inspect_file(huge)
    assert package is None and finding is not None
    assert finding.code == "FILE_007" and "MB" in finding.message and huge.name in finding.message


def test_the_checked_bytes_give_the_file_hash(tmp_path: Path) -> None:
    import hashlib

    from xlsx_tools.workbook.safety import inspect_file

    book = _tiny_xlsx(tmp_path / "tiny.xlsx")
    finding, package = inspect_file(book)
    assert finding is None and package is not None
    assert package.sha256 == hashlib.sha256(book.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("xml", "last_row"),
    [
        (b'<worksheet><sheetData><row r="1"><c r="A1"/></row><row r="7"><c r="A7"/></row></sheetData></worksheet>', 7),
        (b'<x:worksheet><x:sheetData><x:row r="3"/><x:row r="1048576"/></x:sheetData></x:worksheet>', 1_048_576),
        (b'<worksheet><sheetData><row r="2"/><x:row r="900000"/></sheetData></worksheet>', 900_000),  # mixed
        (b'<worksheet><sheetData><row r="5"><c><is><t>Narrow row 1</t></is></c></row></sheetData></worksheet>', 5),
        (b"<worksheet><sheetData/></worksheet>", 0),
    ],
)
def test_the_last_row_is_found_whatever_the_prefix(xml: bytes, last_row: int) -> None:
    from xlsx_tools.workbook.sheet_xml import used_extent

    assert used_extent(xml)[0] == last_row
