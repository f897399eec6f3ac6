"""When tipwp itself fails on one file: say it is the tool's fault, keep the details, and go on with the others.

A batch (a merge, a validation run) handles its files one by one. Errors that a bad file causes are caught where
the parsers are called and become FILE_0xx findings; anything else raised while a file is handled is a bug of
ours. It must not be reported as the sender's damaged file, and it must not stop the other files: the batch loops
turn it into one TOOL_901 finding for that file, and the traceback goes to a log file the finding names.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import traceback
from pathlib import Path

from xlsx_tools.findings import Finding

LOG_NAME = "tipwp-errors.log"


def error_log() -> Path:
    """Where tracebacks of the tool's own faults are appended (the system's temporary folder)."""
    return Path(tempfile.gettempdir()) / LOG_NAME


def tool_fault(path: Path, error: BaseException) -> Finding:
    """The TOOL_901 finding for `error`, raised by our code while handling `path`; its traceback is logged."""
    log = error_log()
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    try:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {stamp} {path}\n{''.join(lines)}\n")
        where = f"the details are in {log}"
    except OSError as exc:  # the log itself cannot be written: the finding carries the essentials
        where = f"the details could not be written to {log} ({exc})"
    detail = f"tipwp raised {type(error).__name__}: {error}; {where}"
    return Finding("TOOL_901", file=path.name, detail=detail)
