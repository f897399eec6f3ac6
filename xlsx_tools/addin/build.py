"""`tipwp addin build`: make tipwp.xlam from xlwings' Excel-authored ribbon add-in and our text sources in macros/.

xlwings ships `quickstart_addin_ribbon.xlam` (made by Excel; its VBA project is marked for recompilation from source
and carries xlwings' RunPython). We copy it, and with pyopenvba rename its ribbon module to ours and set our source,
point xlwings' config at `tipwp` (PROJECT_NAME), rename the template's VBA project (MyAddin) and its config sheet
(_myaddin.conf) to ours, then swap its 2006 customUI part for our customUI14 part. No binary is kept in git: the
template comes from the installed xlwings each time.
"""

from __future__ import annotations

import importlib.util
import itertools
import shutil
import struct
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from xlsx_tools.resources import data_file

MODULE = "TipwpRibbon"
TEMPLATE = "quickstart_addin_ribbon.xlam"
TEMPLATE_MODULE = "RibbonMyAddin"
PROJECT_NAME = "tipwp"  # xlwings then reads its settings from %USERPROFILE%/.tipwp/tipwp.conf (Mac: ~/tipwp.conf)
TEMPLATE_PROJECT = 'Public Const PROJECT_NAME As String = "myaddin"'
OUR_PROJECT = f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"'
# The template's VBA project and its config sheet carry the template's name. xlwings reads settings from a sheet
# named PROJECT_NAME + ".conf" before the user's %USERPROFILE%\.tipwp\tipwp.conf; the leading underscore keeps the
# (empty) sheet inactive, as in the template, so that the file written by `tipwp addin install` is the one used.
TEMPLATE_VBA_PROJECT = "MyAddin"
VBA_PROJECT = PROJECT_NAME
TEMPLATE_CONFIG_SHEET = "_myaddin.conf"
CONFIG_SHEET = f"_{PROJECT_NAME}.conf"
RIBBON_PART = "customUI/customUI14.xml"
RIBBON_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
RIBBON_REL_2006 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


class BuildError(RuntimeError):
    """The add-in cannot be built; the message says why and what to do."""


def macro_text(name: str) -> str:
    """A source file of macros/ (LF line ends, as kept in git)."""
    return data_file("macros", name).read_text(encoding="utf-8").replace("\r\n", "\n")


def template_path() -> Path:
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        raise BuildError("xlwings is not installed; run: pip install xlwings")
    path = Path(spec.origin).parent / TEMPLATE
    if not path.is_file():
        raise BuildError(f"the installed xlwings has no {TEMPLATE} ({path}); install xlwings 0.30 or newer")
    return path


def build_addin(out: Path) -> Path:
    """Write the add-in to `out` (replaced whole, never left half-written) and return its path."""
    try:
        from pyopenvba import ExcelFile
    except ImportError:
        raise BuildError("pyopenvba is not installed; run: pip install pyopenvba") from None
    with tempfile.TemporaryDirectory(prefix="tipwp-addin-") as folder:
        work = Path(folder) / "vba.xlam"
        shutil.copyfile(template_path(), work)
        with ExcelFile(str(work)) as book:
            if TEMPLATE_MODULE not in book.module_names():
                raise BuildError(f"{TEMPLATE} of this xlwings has no {TEMPLATE_MODULE} module; pin xlwings>=0.30")
            book.vba_project().rename_module(TEMPLATE_MODULE, MODULE)
            book.set_module(MODULE, macro_text(f"{MODULE}.bas").replace("\n", "\r\n"))
            xlwings_module = book.get_module("xlwings")
            if TEMPLATE_PROJECT not in xlwings_module:
                raise BuildError(f"{TEMPLATE}'s xlwings module has no {TEMPLATE_PROJECT!r}; pin a known xlwings")
            book.set_module("xlwings", xlwings_module.replace(TEMPLATE_PROJECT, OUR_PROJECT))
            book.save()
        staged = Path(folder) / out.name
        with zipfile.ZipFile(work) as package:
            replaced = {
                "xl/vbaProject.bin": renamed_project(package.read("xl/vbaProject.bin"), VBA_PROJECT),
                "xl/workbook.xml": _renamed_sheet(package.read("xl/workbook.xml")),
            }
        _swap_ribbon(work, staged, macro_text("customUI14.xml"), replaced)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), out)
    return out


def renamed_project(vba_bin: bytes, name: str) -> bytes:
    """`vba_bin` (a vbaProject.bin) with its VBA project called `name`: the PROJECTNAME record of the `dir` stream and
    the Name= line of the PROJECT stream ([MS-OVBA] 2.3.4.2.1.6, 2.3.1.3). pyopenvba renames modules, not projects."""
    from pyopenvba.cfb import CFB
    from pyopenvba.vba import compress, decompress

    cfb = CFB.from_bytes(vba_bin)
    raw = bytearray(decompress(cfb.get_stream_in_storage("VBA", "dir")))
    encoded = name.encode("ascii")
    offset = 0
    while True:  # SYSKIND, [COMPATVERSION], LCID, LCIDINVOKE, CODEPAGE come before PROJECTNAME (0x0004)
        record, size = struct.unpack_from("<HI", raw, offset)
        if record == 0x0004:
            raw[offset : offset + 6 + size] = struct.pack("<HI", record, len(encoded)) + encoded
            break
        if record not in (0x0001, 0x004A, 0x0002, 0x0014, 0x0003):
            raise BuildError(f"{TEMPLATE}'s dir stream has no PROJECTNAME where [MS-OVBA] puts it; pin a known xlwings")
        offset += 6 + size
    cfb.write_stream_in_storage("VBA", "dir", compress(bytes(raw)))
    project = cfb.get_stream("PROJECT")
    old_line = f'Name="{TEMPLATE_VBA_PROJECT}"'.encode("ascii")
    if old_line + b"\r\n" not in project:
        raise BuildError(f"{TEMPLATE}'s PROJECT stream has no {old_line.decode()} line; pin a known xlwings")
    cfb.write_stream("PROJECT", project.replace(old_line + b"\r\n", f'Name="{name}"\r\n'.encode("ascii"), 1))
    return cfb.to_bytes()


def _renamed_sheet(workbook_xml: bytes) -> bytes:
    old = f'name="{TEMPLATE_CONFIG_SHEET}"'.encode()
    if workbook_xml.count(old) != 1:
        raise BuildError(f"{TEMPLATE} has no sheet {TEMPLATE_CONFIG_SHEET!r}; pin a known xlwings")
    return workbook_xml.replace(old, f'name="{CONFIG_SHEET}"'.encode())


def _swap_ribbon(source: Path, target: Path, ribbon: str, replaced: dict[str, bytes]) -> None:
    """Copy the package with the `replaced` parts, dropping every old ribbon part and relationship, adding ours
    (customUI14)."""
    with zipfile.ZipFile(source) as old:
        rels = ElementTree.fromstring(old.read("_rels/.rels"))
        dropped = set()
        for rel in list(rels):
            if rel.get("Type") in (RIBBON_REL, RIBBON_REL_2006):
                dropped.add(rel.get("Target", "").lstrip("/"))
                rels.remove(rel)
        used = {rel.get("Id") for rel in rels}
        number = next(n for n in itertools.count(1) if f"rId{n}" not in used)
        ElementTree.SubElement(
            rels, f"{{{RELS_NS}}}Relationship", Id=f"rId{number}", Type=RIBBON_REL, Target=RIBBON_PART
        )
        ElementTree.register_namespace("", RELS_NS)
        new_rels = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ElementTree.tostring(rels)
        parts = {**replaced, "_rels/.rels": new_rels}
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
            for info in old.infolist():
                if info.filename in dropped or info.filename.startswith("customUI/_rels/"):
                    continue
                new.writestr(info, parts[info.filename] if info.filename in parts else old.read(info.filename))
            new.writestr(RIBBON_PART, ribbon.encode("utf-8"))
