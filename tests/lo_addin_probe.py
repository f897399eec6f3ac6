#!/usr/bin/python3
"""Open an .xlam in a real LibreOffice (filter "Calc MS Excel 2007 VBA XML") and list its VBA modules through UNO.

    /usr/bin/python3 tests/lo_addin_probe.py FILE.xlam

Prints {"filter": ..., "libraries": {PROJECT: {MODULE: SOURCE, ...}}, "sheets": [...]} and exits 0; 1 on
failure (message on stderr). Macros are never executed. soffice handling is shared with tests/lo_probe.py.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lo_probe import _shutdown, desktop_of, emit, load_spreadsheet, start_soffice

FILTER = "Calc MS Excel 2007 VBA XML"


def run(path: Path) -> dict[str, object]:
    process, pipe, profile = start_soffice("lo_addin")
    desktop = document = None
    try:
        desktop = desktop_of(process, pipe)
        document = load_spreadsheet(desktop, path, read_only=True, filter_name=FILTER)
        basic = document.BasicLibraries  # type: ignore[attr-defined]
        libraries = {}
        for name in basic.getElementNames():
            basic.loadLibrary(name)
            library = basic.getByName(name)
            libraries[name] = {module: library.getByName(module) for module in library.getElementNames()}
        sheets = list(document.Sheets.getElementNames())  # type: ignore[attr-defined]
        return {"filter": FILTER, "libraries": libraries, "sheets": sheets}
    finally:
        _shutdown(process, desktop, document)
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not Path(argv[1]).is_file():
        print("usage: /usr/bin/python3 tests/lo_addin_probe.py FILE.xlam", file=sys.stderr)
        return 2
    return emit("lo_addin_probe", lambda: run(Path(argv[1])))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
