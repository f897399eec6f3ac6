"""The end of a merge on the console (or as JSON): findings, then one summary line per file, then what was written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from xlsx_tools.merge.run import MergeResult
from xlsx_tools.report.console import render_console
from xlsx_tools.report.json_out import report_dict


def print_progress(position: int, total: int, path: Path) -> None:
    print(f"[{position}/{total}] reading {Path(path).name}", file=sys.stderr, flush=True)


def summary_rows(result: MergeResult) -> list[dict[str, object]]:
    return [
        {
            "file": o.file,
            "body": o.asb,
            "period": o.period,
            "outcome": o.outcome,
            "rows_accepted": o.accepted,
            "conflicts": o.conflicts,
            "proposals": o.proposals,
            "findings": len(o.findings),
            "refused_because": o.reasons if o.outcome == "refused" else "",
        }
        for o in result.outcomes
    ]


def render_merge(result: MergeResult, master: Path, as_json: bool, dry_run: bool, limit: int) -> None:
    if as_json:
        data = report_dict(result.report)
        data.update(
            master=str(master),
            period=result.period,
            dry_run=dry_run,
            written=result.written,
            backup=str(result.backup) if result.backup else None,
            summary=summary_rows(result),
            changes=result.changes,
        )
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    if result.report.findings:
        render_console(result.report, limit=limit)
    if result.outcomes:
        title = f"Merge into {master.name}" + (f" (period {result.period})" if result.period else "")
        console.print(f"[bold]{escape(title)}[/]")
        for o in result.outcomes:
            line = f"{o.outcome}: {o.accepted} rows, {o.conflicts} conflicts, {o.proposals} proposals, "
            line += f"{len(o.findings)} findings"
            if o.outcome == "refused":
                line = f"refused: {o.reasons or 'see findings'}"
            console.print(f"  {escape(o.file)}  {escape(o.asb or '?')}  {escape(line)}")
    if dry_run:
        console.print(f"Dry run: {len(result.changes)} master cell(s) would change; nothing was written.")
        for line in result.changes[: limit or None]:
            console.print(f"  {escape(line)}")
        if limit and len(result.changes) > limit:
            console.print(f"  … and {len(result.changes) - limit} more (--limit 0 shows all).")
    elif result.written:
        console.print(
            f"Wrote {escape(str(master))}: {len(result.changes)} cell(s) changed, {result.conflicts} conflict(s). "
            f"Backup: {escape(str(result.backup))}"
        )
    elif result.outcomes:
        console.print(f"Nothing to write: {escape(str(master))} is unchanged.")
