"""Validate many files: one bad file never stops the others, and one validation run serves them all."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from xlsx_tools.faults import tool_fault
from xlsx_tools.findings import Report
from xlsx_tools.validate.checks import validate_file
from xlsx_tools.validate.run_state import ValidationRun


def validate_files(paths: Iterable[Path], default_plan: str = "bwp2") -> Report:
    report = Report()
    runs: dict[str, ValidationRun] = {}
    for path in paths:
        report.files.append(str(path))
        try:
            report.extend(validate_file(Path(path), default_plan, runs))
        except Exception as exc:  # a bug of ours on this one file: reported as ours; the other files still go through
            report.add(tool_fault(Path(path), exc))
    return report
