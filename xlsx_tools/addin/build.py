"""`tipwp addin build`: make tipwp.xlam from xlwings' Excel-authored ribbon add-in and our text sources in macros/.

xlwings ships `quickstart_addin_ribbon.xlam` (made by Excel; its VBA project is marked for recompilation from source
and carries xlwings' RunPython). We copy it, and with pyopenvba rename its ribbon module to ours and set our source,
point xlwings' config at `tipwp` (PROJECT_NAME), then swap its 2006 customUI part for our customUI14 part. No binary
is kept in git: the template comes from the installed xlwings each time.
"""

from __future__ import annotations

import importlib.util
import shutil
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


def module_source() -> str:
    return macro_text(f"{MODULE}.bas")


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
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="tipwp-addin-") as folder:
        work = Path(folder) / "vba.xlam"
        shutil.copyfile(template_path(), work)
        with ExcelFile(str(work)) as book:
            if TEMPLATE_MODULE not in book.module_names():
                raise BuildError(f"{TEMPLATE} of this xlwings has no {TEMPLATE_MODULE} module; pin xlwings>=0.30")
            book.vba_project().rename_module(TEMPLATE_MODULE, MODULE)
            book.set_module(MODULE, module_source().replace("\n", "\r\n"))
            xlwings_module = book.get_module("xlwings")
            if TEMPLATE_PROJECT not in xlwings_module:
                raise BuildError(f"{TEMPLATE}'s xlwings module has no {TEMPLATE_PROJECT!r}; pin a known xlwings")
            book.set_module("xlwings", xlwings_module.replace(TEMPLATE_PROJECT, OUR_PROJECT))
            book.save()
        staged = Path(folder) / out.name
        _swap_ribbon(work, staged, macro_text("customUI14.xml"))
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), out)
    return out


def _swap_ribbon(source: Path, target: Path, ribbon: str) -> None:
    """Copy the package, dropping every old ribbon part and relationship, adding ours (customUI14)."""
    with zipfile.ZipFile(source) as old:
        rels = ElementTree.fromstring(old.read("_rels/.rels"))
        dropped = set()
        for rel in list(rels):
            if rel.get("Type") in (RIBBON_REL, RIBBON_REL_2006):
                dropped.add(rel.get("Target", "").lstrip("/"))
                rels.remove(rel)
        used = {rel.get("Id") for rel in rels}
        number = 1
        while f"rId{number}" in used:
            number += 1
        ElementTree.SubElement(
            rels, f"{{{RELS_NS}}}Relationship", Id=f"rId{number}", Type=RIBBON_REL, Target=RIBBON_PART
        )
        ElementTree.register_namespace("", RELS_NS)
        new_rels = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ElementTree.tostring(rels)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
            for info in old.infolist():
                if info.filename in dropped or info.filename.startswith("customUI/_rels/"):
                    continue
                data = new_rels if info.filename == "_rels/.rels" else old.read(info.filename)
                new.writestr(info, data)
            new.writestr(RIBBON_PART, ribbon.encode("utf-8"))
