"""Read a VBA project's streams ([MS-OVBA]) with olefile and oletools, for the byte checks of the built add-in.

What Excel needs to open the add-in without a repair prompt and to compile our source (it cannot be asked here):
- `VBA/_VBA_PROJECT` starts CC 61, then the version FF FF, then 00: a version no Excel writes, so Excel ignores the
  cached compiled code and compiles every module from source ([MS-OVBA] 2.3.4.1 and 3.2.1);
- a module we rewrite carries no compiled code: its MODULEOFFSET in `dir` is 0, so its stream is the compressed source
  alone (it starts with the container signature 01);
- `dir` (MODULENAME and MODULESTREAMNAME), `PROJECT` (Module=, Class=, Document=, BaseClass= lines), `PROJECTwm`
  (name pairs) and the streams in the VBA storage all name the same modules, and `dir` and `PROJECT` the same project.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import olefile
from oletools.olevba import VBA_Project, decompress_stream

STANDARD_STREAMS = {"_vba_project", "dir"}


@dataclass
class ProjectBytes:
    cache_header: bytes  # the first five bytes of VBA/_VBA_PROJECT
    dir_project_name: str
    project_stream_name: str  # Name="..." of the PROJECT stream
    dir_modules: dict[str, str]  # module name -> stream name, from dir
    text_offsets: dict[str, int]  # module name -> MODULEOFFSET (bytes of compiled code before the source)
    first_source_bytes: dict[str, int]  # module name -> the byte at MODULEOFFSET in its stream
    project_modules: list[str]  # from the PROJECT stream's Module=/Class=/Document=/BaseClass= lines
    projectwm: list[tuple[str, str]]  # (MBCS name, UTF-16 name) pairs of PROJECTwm
    vba_streams: set[str]  # the module streams present in the VBA storage


def vba_project_bin(xlam: Path) -> bytes:
    with zipfile.ZipFile(xlam) as package:
        return package.read("xl/vbaProject.bin")


def read_project(data: bytes) -> ProjectBytes:
    ole = olefile.OleFileIO(data)
    try:
        project = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
        for _ in project.parse_modules():  # reads each MODULE record of dir (and the module's source)
            pass
        modules = project.modules
        codec = project.codec
        text = ole.openstream("PROJECT").read().decode(codec)
        lines = [line.strip() for line in text.splitlines()]
        body = lines[: lines.index("[Host Extender Info]")] if "[Host Extender Info]" in lines else lines
        names = [line.split("=", 1) for line in body if "=" in line]
        project_modules = [
            value.split("/", 1)[0] for key, value in names if key in ("Module", "Class", "Document", "BaseClass")
        ]
        project_name = next(value.strip('"') for key, value in names if key == "Name")
        first_bytes = {}
        for module in modules:
            stream = ole.openstream(f"VBA/{module.streamname}").read()
            first_bytes[module.name] = stream[module.textoffset] if module.textoffset < len(stream) else -1
            decompress_stream(bytearray(stream[module.textoffset :]))  # the source must decompress
        streams = {
            entry[1]
            for entry in ole.listdir()
            if len(entry) == 2
            and entry[0].upper() == "VBA"
            and entry[1].lower() not in STANDARD_STREAMS
            and not entry[1].lower().startswith("__srp_")  # VBA's compiled-state cache, not modules
        }
        return ProjectBytes(
            cache_header=ole.openstream("VBA/_VBA_PROJECT").read()[:5],
            dir_project_name=project.projectname,
            project_stream_name=project_name,
            dir_modules={module.name: module.streamname for module in modules},
            text_offsets={module.name: module.textoffset for module in modules},
            first_source_bytes=first_bytes,
            project_modules=project_modules,
            projectwm=_projectwm(ole.openstream("PROJECTwm").read(), codec),
            vba_streams=streams,
        )
    finally:
        ole.close()


def _projectwm(raw: bytes, codec: str) -> list[tuple[str, str]]:
    """[MS-OVBA] 2.3.3: pairs of a NUL-ended MBCS name and a NUL-ended UTF-16 name, then a 16-bit NUL."""
    pairs = []
    offset = 0
    while offset < len(raw) and raw[offset] != 0:
        end = raw.index(b"\x00", offset)
        mbcs = raw[offset:end].decode(codec)
        offset = end = end + 1
        while raw[end : end + 2] != b"\x00\x00":
            end += 2
        pairs.append((mbcs, raw[offset:end].decode("utf-16-le")))
        offset = end + 2
    return pairs


def problems(project: ProjectBytes, rewritten: tuple[str, ...], name: str) -> list[str]:
    """What in `project` would keep Excel from compiling our source or could make it repair the file; [] if none."""
    out = []
    if project.cache_header != b"\xcc\x61\xff\xff\x00":
        out.append(f"_VBA_PROJECT starts {project.cache_header.hex()}, not cc61ffff00 (version 0xFFFF: recompile)")
    for module in rewritten:
        if project.text_offsets.get(module) != 0:
            out.append(f"module {module}: {project.text_offsets.get(module)} bytes of compiled code before its source")
        elif project.first_source_bytes.get(module) != 1:
            out.append(f"module {module}'s stream does not start with a compressed container (01)")
    names = sorted(project.dir_modules)
    views = {
        "dir stream names": sorted(project.dir_modules.values()),
        "PROJECT": sorted(project.project_modules),
        "PROJECTwm (MBCS)": sorted(mbcs for mbcs, _ in project.projectwm),
        "PROJECTwm (UTF-16)": sorted(utf16 for _, utf16 in project.projectwm),
        "VBA storage": sorted(project.vba_streams),
    }
    out += [f"{view} names {seen}, dir names {names}" for view, seen in views.items() if seen != names]
    if not project.dir_project_name == project.project_stream_name == name:
        out.append(f"project named {project.dir_project_name!r} in dir, {project.project_stream_name!r} in PROJECT")
    return out
