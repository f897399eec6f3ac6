"""Findings for the terminal: grouped by file, one line each, worst first, with a closing count line.

One line per finding (not a table) so that it stays readable in a narrow console window and in CI logs.
"""

from __future__ import annotations

from itertools import groupby

from xlsx_tools.findings import Finding, Report, Severity

STYLES = {Severity.FATAL: "bold red", Severity.ERROR: "red", Severity.WARNING: "yellow"}
ORDER = {Severity.FATAL: 0, Severity.ERROR: 1, Severity.WARNING: 2}


def _line(finding: Finding) -> str:
    where = f"'{finding.sheet}'!{finding.cell}" if finding.sheet and finding.cell else finding.sheet
    if finding.column:
        where = f"{where} ({finding.column})" if where else f"column '{finding.column}'"
    what = finding.detail or finding.entry.title
    if finding.value and not finding.detail:
        what = f"{finding.value[:60]!r}: {what}"
    hint = f" Did you mean {finding.suggestion}?" if finding.suggestion else ""
    return f"{where + ': ' if where else ''}{what}.{hint} {finding.entry.fix}"


def render_console(report: Report, limit: int = 200) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    shown = report.findings if limit <= 0 else report.findings[:limit]
    for file_name, items in groupby(shown, key=lambda f: f.file):
        console.print(f"[bold]{escape(file_name)}[/]")
        for finding in sorted(items, key=lambda f: ORDER[f.severity]):
            style = STYLES[finding.severity]
            console.print(f"  [{style}]{finding.severity.value:<7}[/] {finding.code}  {escape(_line(finding))}")
    hidden = len(report.findings) - len(shown)
    if hidden:
        console.print(
            f"[bold]Showing {len(shown)} of {len(report.findings)} findings[/] (--limit 0 or --json for all)."
        )
    console.print(
        f"{len(report.files)} file(s) checked: {len(report.fatal)} unusable, {len(report.errors)} errors, "
        f"{len(report.warnings)} warnings."
    )
