"""Machine-readable findings: the same codes and locations as the console, for scripts and the ribbon."""

from __future__ import annotations

import json
from typing import Any

from xlsx_tools.findings import Report


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "files": report.files,
        "exit_code": report.exit_code,
        "counts": {
            "fatal": len(report.fatal),
            "error": len(report.errors),
            "warning": len(report.warnings),
        },
        "capped": report.capped,
        "findings": [f.as_dict() for f in report.findings],
    }


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2)
