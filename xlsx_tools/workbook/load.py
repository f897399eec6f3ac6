"""Load a workbook with openpyxl to write it back (annotate, lists refresh), with a clear error for a file it cannot
load.

The safety check and python-calamine accept files that openpyxl's full load does not: an external or DDE link whose
relationship part is missing (KeyError from the zip), a numeric cell holding NaN (ValueError), a DOCTYPE in a part
only openpyxl parses (defusedxml's errors are ValueErrors), XML it cannot parse (ParseError, a SyntaxError). Those
are the file's problems and are reported as such (WorkbookLoadError, naming the file); anything else is a bug and
shows its traceback.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

# what openpyxl raises for a damaged or unusual file (and the OS for an unreadable one)
LOAD_ERRORS = (ValueError, KeyError, TypeError, IndexError, SyntaxError, EOFError, zipfile.BadZipFile, OSError)


class WorkbookLoadError(ValueError):
    """openpyxl could not load a workbook: the message names the file and says why, in one line."""


def load_for_writing(path: Path) -> Any:
    """The openpyxl workbook at `path` (WorkbookLoadError when the file cannot be loaded)."""
    import openpyxl

    try:
        return openpyxl.load_workbook(path)
    except LOAD_ERRORS as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WorkbookLoadError(f"{Path(path).name} could not be opened for writing ({why})") from None
