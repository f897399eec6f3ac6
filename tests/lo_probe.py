#!/usr/bin/python3
"""Ask a real LibreOffice what it sees in an xlsx: validations, cell locks, sheet protection, named ranges.

Run with the system interpreter (the one that can import `uno`):

    /usr/bin/python3 tests/lo_probe.py FILE.xlsx SHEETNAME CELL[,CELL...]

Starts its own headless soffice with a throw-away profile, loads the file hidden and read-only, prints one
JSON object to stdout and always shuts soffice down again:

    {"cells": {"I2": {"validation_type": "LIST", "formula1": "ASB_LIST", "show_error": true,
                      "input_title": "", "locked": true}, ...},
     "sheet_protected": true, "named_ranges": {"ASB_LIST": "$Lists.$A$2:$A$21", ...},
     "sheet_names": ["Instructions", ...]}

Exit status 0 on success, 2 on bad arguments, 1 on any other failure (message on stderr).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

CONNECT_TIMEOUT = 60.0


def _soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        raise RuntimeError("soffice is not installed")
    return path


def _property(name: str, value: object) -> object:
    from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _connect(process: subprocess.Popen[bytes], pipe: str) -> object:
    import uno  # type: ignore[import-not-found]
    from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if process.poll() is not None:
                raise RuntimeError(f"soffice exited with status {process.returncode} before accepting") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not connect to soffice within {CONNECT_TIMEOUT:.0f} s") from None
            time.sleep(0.25)


def _validation_info(cell: object) -> dict[str, object]:
    validation = cell.Validation  # type: ignore[attr-defined]
    return {
        "validation_type": validation.Type.value,
        "formula1": validation.getFormula1(),
        "show_error": bool(validation.ShowErrorMessage),
        "input_title": validation.InputTitle,
        "locked": bool(cell.CellProtection.IsLocked),  # type: ignore[attr-defined]
    }


def probe(document: object, sheet_name: str, cells: list[str]) -> dict[str, object]:
    sheets = document.Sheets  # type: ignore[attr-defined]
    names = list(sheets.getElementNames())
    if sheet_name not in names:
        raise RuntimeError(f"no sheet {sheet_name!r}; sheets are {names}")
    sheet = sheets.getByName(sheet_name)
    ranges = document.NamedRanges  # type: ignore[attr-defined]
    return {
        "cells": {address: _validation_info(sheet.getCellRangeByName(address)) for address in cells},
        "sheet_protected": bool(sheet.isProtected()),
        "named_ranges": {name: ranges.getByName(name).getContent() for name in ranges.getElementNames()},
        "sheet_names": names,
    }


def start_soffice(prefix: str) -> tuple[subprocess.Popen, str, Path]:
    """A headless soffice listening on a fresh pipe, with a throw-away profile: (process, pipe name, profile)."""
    pipe = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex}"
    profile = Path(tempfile.mkdtemp(prefix=f"{prefix}_profile_"))
    command = [
        _soffice(),
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--invisible",
        "--nologo",
        "--nodefault",
        "--norestore",
        "--nolockcheck",
        "--nofirststartwizard",
        f"--accept=pipe,name={pipe};urp;",
    ]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return process, pipe, profile


XLSX_FILTER = "Calc MS Excel 2007 XML"


def desktop_of(process: subprocess.Popen[bytes], pipe: str) -> object:
    """The Desktop of a started soffice (start_soffice), once it accepts the connection."""
    context = _connect(process, pipe)
    return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)  # type: ignore[attr-defined]


def load_spreadsheet(desktop: object, path: Path, read_only: bool = False, filter_name: str = "") -> object:
    """Open `path` hidden, macros never executed; a file LibreOffice does not open as a spreadsheet is an error."""
    import uno  # type: ignore[import-not-found]

    never = uno.getConstantByName("com.sun.star.document.MacroExecMode.NEVER_EXECUTE")
    options = [_property("Hidden", True), _property("MacroExecutionMode", never)]
    if read_only:
        options.append(_property("ReadOnly", True))
    if filter_name:
        options.append(_property("FilterName", filter_name))
    url = uno.systemPathToFileUrl(str(path.resolve()))
    document = desktop.loadComponentFromURL(url, "_blank", 0, tuple(options))  # type: ignore[attr-defined]
    if document is None or not hasattr(document, "Sheets"):
        raise RuntimeError(f"LibreOffice did not open {path} as a spreadsheet")
    return document


def store_xlsx(document: object, target: Path) -> None:
    """Save `document` as .xlsx at `target`, as a person choosing Excel 2007-365 in Save As would."""
    import uno  # type: ignore[import-not-found]

    target.parent.mkdir(parents=True, exist_ok=True)
    url = uno.systemPathToFileUrl(str(target.resolve()))
    document.storeToURL(url, (_property("FilterName", XLSX_FILTER), _property("Overwrite", True)))  # type: ignore[attr-defined]


def run(path: Path, sheet_name: str, cells: list[str]) -> dict[str, object]:
    process, pipe, profile = start_soffice("lo_probe")
    desktop = None
    document = None
    try:
        desktop = desktop_of(process, pipe)
        document = load_spreadsheet(desktop, path, read_only=True)
        return probe(document, sheet_name, cells)
    finally:
        _shutdown(process, desktop, document)
        shutil.rmtree(profile, ignore_errors=True)


def _shutdown(process: subprocess.Popen[bytes], desktop: object, document: object) -> None:
    try:
        if document is not None:
            document.close(True)  # type: ignore[attr-defined]
    except Exception:
        pass
    try:
        if desktop is not None:
            desktop.terminate()  # type: ignore[attr-defined]
    except Exception:
        pass  # the bridge usually drops while soffice exits
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stderr is not None:
        process.stderr.close()


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: /usr/bin/python3 tests/lo_probe.py FILE.xlsx SHEETNAME CELL[,CELL...]", file=sys.stderr)
        return 2
    path = Path(argv[1])
    if not path.is_file():
        print(f"lo_probe: no such file: {path}", file=sys.stderr)
        return 2
    cells = [c.strip().upper() for c in argv[3].split(",") if c.strip()]
    if not cells:
        print("lo_probe: no cell addresses given", file=sys.stderr)
        return 2
    return emit("lo_probe", lambda: run(path, argv[2], cells))


def emit(script: str, work: Callable[[], object]) -> int:
    """Run a script's work and print its result as JSON (exit 0), or the error in one line on stderr (exit 1)."""
    try:
        result = work()
    except Exception as error:
        print(f"{script}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
