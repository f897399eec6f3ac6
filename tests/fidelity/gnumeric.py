"""Gnumeric as a third real reader: `ssconvert` reads the whole file into Gnumeric's model and writes it out.

ssconvert exits 0 even when it drops what it cannot read, so its messages are the finding: every line it prints is
one, except the few known limitations of Gnumeric's own reader listed below (each with what it means), which it
prints for files that Excel itself writes.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 120
# Gnumeric 1.12's xlsx reader: messages it prints for valid files Excel also writes (not defects of ours)
KNOWN_LIMITS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"Unexpected element '(evenHeader|evenFooter|firstHeader|firstFooter)' in state : "
                   r"worksheet -> headerFooter"),
        "reads only the odd-page header and footer (openpyxl writes the other four, empty)",
    ),
    (
        re.compile(r"Unexpected element 'workbookProtection' in state : workbook"),
        "does not read workbook protection (openpyxl writes the element, empty)",
    ),
    (re.compile(r"Unhandled object of type Note"), "reads comments from their part, not their VML note shapes"),
    (
        re.compile(r"Undefined number format id '4[1-4]'"),
        "lacks Excel's built-in accounting formats 41-44, which Excel's own Comma and Currency styles use",
    ),
    (
        re.compile(r"At A1: ''[^']+'!\$[A-Z]+:\$[A-Z]+,'[^']+'!\$\d+:\$\d+' Multiple expressions are not supported "
                   r"in this context"),
        "cannot read print titles of columns and rows together (one name, two ranges, columns first: Excel's form)",
    ),
)  # fmt: skip
# what LibreOffice 7.4 writes into a return it saves, which our own writers tidy (xlsx_tools.workbook.excel_form) but a
# return as a body sends it back keeps: allowed for that kind of file only
LIBREOFFICE_TRAITS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"'[^']+'![A-Z]+\d+ : Ignoring invalid data validation because : Extra formula for validation"),
        "LibreOffice gives every validation a second formula (<formula2>0</formula2>), which only 'between' and "
        "'not between' use; Gnumeric drops such a validation, Excel ignores the formula it does not use",
    ),
)


class GnumericMissing(RuntimeError):
    """ssconvert is not installed: the gate cannot run (.ci/apt-packages.txt lists gnumeric)."""


def ssconvert() -> str:
    path = shutil.which("ssconvert")
    if not path:
        raise GnumericMissing("Gnumeric's ssconvert is not installed; run .ci/setup or apt-get install gnumeric")
    return path


def convert(path: Path, folder: Path) -> tuple[Path, list[str]]:
    """Convert `path` to Gnumeric's own format in `folder`; returns the output and ssconvert's messages (one per
    message: continuation lines, indented with a tab, joined to theirs)."""
    target = folder / f"{Path(path).stem}.gnumeric"
    home = tempfile.mkdtemp(prefix="gnumeric-home-", dir=folder)  # a throw-away profile, as for LibreOffice
    env = {**os.environ, "HOME": home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    result = subprocess.run(
        [ssconvert(), "--export-type=Gnumeric_XmlIO:sax", str(path), str(target)],
        capture_output=True, text=True, timeout=TIMEOUT, check=False, env=env,
    )  # fmt: skip
    messages: list[str] = []
    for line in (result.stderr + result.stdout).splitlines():
        if line.startswith("\t") and messages:
            messages[-1] = f"{messages[-1]} {line.strip()}"
        elif line.strip():
            messages.append(line.strip())
    if result.returncode != 0:
        messages.append(f"ssconvert exited with {result.returncode}")
    if not target.is_file() or target.stat().st_size == 0:
        messages.append("ssconvert wrote nothing")
    return target, messages


def gnumeric_findings(path: Path, allowed: tuple[tuple[re.Pattern[str], str], ...] = KNOWN_LIMITS) -> list[str]:
    """Every message of Gnumeric's reader on `path` that is not `allowed` (its known limitations; empty: read clean)."""
    with tempfile.TemporaryDirectory(prefix="gnumeric-") as folder:
        _, messages = convert(path, Path(folder))
    return [m for m in messages if not any(pattern.fullmatch(m) for pattern, _ in allowed)]


def gnumeric_xml(path: Path, folder: Path) -> str:
    """The workbook as Gnumeric holds it (its XML file format), for tests that look inside."""
    target, _ = convert(path, folder)
    return gzip.decompress(target.read_bytes()).decode("utf-8")
