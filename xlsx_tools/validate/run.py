"""Validate many files: one bad file never stops the others."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from xlsx_tools.batch import collector_paused
from xlsx_tools.findings import Report
from xlsx_tools.validate.checks import validate_file


def validate_files(paths: Iterable[Path], default_plan: str = "bwp2") -> Report:
    report = Report()
    with collector_paused():
        for path in paths:
            report.files.append(str(path))
            report.extend(validate_file(Path(path), default_plan=default_plan))
    return report
