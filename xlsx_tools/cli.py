"""`tipwp`: the command line. A thin shell over the same functions the ribbon calls.

Each command imports its implementation when it runs (this shell and the ribbon's bridge are the only places our own
modules are imported lazily), so `tipwp --help` answers at once.
Exit codes: 0 clean, 1 findings to fix, 2 unusable input or bad arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlsx_tools.addin.cli import addin_app

app = typer.Typer(
    help="Bohol TIP Work Plan workbooks: build the master, issue and merge returns, validate, refresh lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it through rich would import rich before the help answers
)
lists_app = typer.Typer(help="Dropdown lists of an existing workbook.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(lists_app, name="lists")
proposals_app = typer.Typer(
    help="Proposals from returns (new activities, edits of plan text).", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(proposals_app, name="proposals")
app.add_typer(addin_app, name="addin")

PlanOption = Annotated[str, typer.Option("--plan", help="bwp2 (2023-2028, default) or bwp1 (2017-2020).")]
ReportPeriodOption = Annotated[
    str, typer.Option(help="The period to report on, e.g. 2026-H2 (default: the open period).")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _period(text: str) -> str:
    """`text` as a period code (2026-H2); one that is not stops the command."""
    from xlsx_tools.plan.periods import Period

    try:
        return str(Period.parse(text))
    except ValueError as exc:
        raise _fail(str(exc)) from None


@app.command()
def init(
    out: Annotated[Path, typer.Argument(help="Where to write the master workbook (.xlsx).")] = Path("master.xlsx"),
    plan: PlanOption = "bwp2",
    period: Annotated[str, typer.Option(help="Prefill the reporting period, e.g. 2026-H2.")] = "",
    password: Annotated[
        str, typer.Option(help="Protect the sheets with this password (default: protected, no password).")
    ] = "",
) -> None:
    """Write the master workbook of a plan: one sheet per pillar, dropdowns, locked plan columns."""
    from xlsx_tools.plan.loader import PLAN_IDS

    if plan not in PLAN_IDS:
        raise _fail(f"Unknown plan {plan!r}. Choose one of: {', '.join(PLAN_IDS)}.")
    if period:
        period = _period(period)
    if out.suffix.lower() != ".xlsx":
        raise _fail(f"{out}: the master must be an .xlsx file.")
    from xlsx_tools.validate.checks import validate_file
    from xlsx_tools.workbook.master import build_master

    summary = build_master(out, plan_id=plan, period=period, password=password or None)
    total = sum(summary.sheets.values())
    typer.echo(f"Wrote {out} ({summary.plan_id}): {total} activity rows")
    for sheet, rows in summary.sheets.items():
        typer.echo(f"  {sheet}: {rows} rows")
    # the gaps of the source plan (PLAN_4xx), counted by the check `tipwp validate` runs, so the two agree
    gaps = [f for f in validate_file(out, plan) if f.code.startswith("PLAN_")]
    if gaps:
        rows = len({(f.sheet, f.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) for f in gaps})
        typer.echo(f"  {rows} rows carry {len(gaps)} gaps of the source plan; 'tipwp validate {out}' lists them.")


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Workbooks to check (.xlsx).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print findings as JSON.")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the findings to this .xlsx, linked to cells.")] = None,
    annotate: Annotated[
        bool,
        typer.Option(help="Write <file>.checked.xlsx beside each file, bad cells highlighted with a comment."),
    ] = False,
    plan: Annotated[str, typer.Option("--plan", help="Plan to assume when a file does not say.")] = "bwp2",
    limit: Annotated[int, typer.Option(help="Show at most this many findings on the console (0 = all).")] = 200,
) -> None:
    """Check workbooks against the plan's rules; every finding names file, sheet, cell and the fix."""
    from xlsx_tools.validate.run import validate_files

    result = validate_files(files, default_plan=plan)
    if as_json:
        from xlsx_tools.report.json_out import render_json

        typer.echo(render_json(result))
    else:
        from xlsx_tools.report.console import render_console

        render_console(result, limit=limit)
    code = result.exit_code
    if report is not None:
        from xlsx_tools.report.findings_book import write_findings_book

        try:
            write_findings_book(result, report)
        except OSError as exc:
            typer.echo(f"The findings workbook {report} could not be written ({exc.strerror or exc}).", err=True)
            code = 2
        else:
            if not as_json:
                typer.echo(f"Findings workbook: {report}")
    if annotate:
        from xlsx_tools.report.annotate import annotate_files

        failed: list[str] = []
        for written in annotate_files(result, failed):
            if not as_json:
                typer.echo(f"Annotated copy: {written}")
        for line in failed:
            typer.echo(line, err=True)
        if failed:
            code = 2
    raise typer.Exit(code)


@app.command()
def issue(
    master: Annotated[Path, typer.Argument(help="The master workbook to issue templates from.")],
    period: Annotated[str, typer.Option(help="The reporting period, e.g. 2026-H2.")],
    out: Annotated[Path, typer.Option(help="Folder for the templates.")] = Path("returns"),
    asb: Annotated[
        list[str] | None, typer.Option(help="Only these bodies (repeat the option); default: every body.")
    ] = None,
    due: Annotated[str, typer.Option(help="Due date shown in the templates, e.g. 2027-01-31.")] = "",
) -> None:
    """Write one return template per sectoral body with the rows it coordinates or supports."""
    period = _period(period)
    from xlsx_tools.merge.last_period import issue_returns
    from xlsx_tools.returns.issue import IssueError

    try:
        written = issue_returns(master, period, out, asbs=asb or (), due=due)
    except IssueError as exc:
        raise _fail(str(exc)) from None
    for template in written:
        typer.echo(f"{template.path}  {template.asb}: {template.rows} rows")
    typer.echo(f"{len(written)} templates for {period} in {out}")


@app.command()
def merge(
    master: Annotated[Path, typer.Argument(help="The master workbook to merge into.")],
    returns: Annotated[list[Path], typer.Argument(help="Returned templates (.xlsx).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    accept_period: Annotated[
        bool,
        typer.Option(
            "--accept-period",
            help="File returns made for another period under the open period (a body filled the wrong template). "
            "Without it a late return for an earlier period goes into its own period.",
        ),
    ] = False,
    received: Annotated[
        str,
        typer.Option(help="The day the returns were received, e.g. 2027-02-03 (default: today); late is judged on it."),
    ] = "",
    map_version: Annotated[
        bool, typer.Option("--map-version", help="Merge returns made on another plan version, mapping rows.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary and findings as JSON.")] = False,
    limit: Annotated[int, typer.Option(help="Show at most this many findings (0 = all).")] = 50,
) -> None:
    """Merge returned templates into the master: values with provenance, conflicts, proposals, audit."""
    from xlsx_tools.merge.run import MergeOptions, merge_returns
    from xlsx_tools.report.merge_summary import print_progress, render_merge

    if received:
        import datetime as dt

        try:
            received = dt.date.fromisoformat(received.strip()).isoformat()
        except ValueError:
            raise _fail(f"--received {received!r} is not a date; write it as YEAR-MONTH-DAY, e.g. 2027-02-03") from None
    options = MergeOptions(dry_run=dry_run, accept_period=accept_period, map_version=map_version, received=received)
    progress = None if as_json or len(returns) < 5 else print_progress
    result = merge_returns(master, returns, options, progress=progress)
    render_merge(result, master, as_json=as_json, dry_run=dry_run, limit=limit)
    raise typer.Exit(result.report.exit_code)


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(help="Where to write the demo files.")] = Path("tipwp-demo"),
    pdf: Annotated[bool, typer.Option(help="Also write the status matrix as PDF (needs LibreOffice).")] = True,
) -> None:
    """Run the whole cycle on the 2.0 plan with generated example returns: master, templates, merges, matrix."""
    from xlsx_tools.demo import run_demo

    summary = run_demo(folder, with_pdf=pdf, say=typer.echo)
    typer.echo("\nFiles:")
    for what, where in summary.files:
        typer.echo(f"  {what}: {where}")
    for note in summary.notes:
        typer.echo(f"  note: {note}")


@app.command()
def matrix(
    master: Annotated[Path, typer.Argument(help="The master workbook.")],
    period: ReportPeriodOption = "",
    out: Annotated[
        Path | None, typer.Option(help="The workbook to write (default: status-matrix-PERIOD.xlsx beside the master).")
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF of it through LibreOffice.")] = False,
    first: Annotated[
        str, typer.Option("--from", help="First period column (default: the first period with any report).")
    ] = "",
) -> None:
    """Write the status matrix: every activity against every period, summary, completeness and changes, and the
    progress report with every body's narrative, results, event dates and funding needs."""
    period, first = (_period(p) if p else "" for p in (period, first))
    from xlsx_tools.matrix.run import MatrixError, build_matrix

    try:
        result = build_matrix(master, period, out, pdf=pdf, first=first)
    except MatrixError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"Wrote {result.workbook} ({result.period}, {len(result.data.rows)} rows × {len(result.data.periods)} periods)"
    )
    typer.echo("  " + ", ".join(f"{name} {count}" for name, count in result.summary.counts.items() if count))
    returns = result.summary.completeness["Return"].value_counts()
    typer.echo("  returns: " + ", ".join(f"{returns.get(k, 0)} {k}" for k in ("on time", "late", "missing")))
    if result.pdf:
        typer.echo(f"Wrote {result.pdf}")


@app.command()
def feedback(
    master: Annotated[Path, typer.Argument(help="The master workbook, after the round's merges.")],
    period: ReportPeriodOption = "",
    out: Annotated[
        Path | None, typer.Option(help="Folder for the workbooks (default: feedback-PERIOD beside the master).")
    ] = None,
    due: Annotated[str, typer.Option(help="Due date where the master records none, e.g. 2027-01-31.")] = "",
    on: Annotated[str, typer.Option("--on", help="Count days late as of this date (default: today).")] = "",
) -> None:
    """One feedback workbook per body (merged, held back and how to fix it, rows with no report, due date), and
    the chase list: who to remind, how many rows are missing, how many days late."""
    import datetime as dt

    from xlsx_tools.report.feedback_book import FeedbackError, build_feedback

    try:
        today = dt.date.fromisoformat(on) if on else None
    except ValueError:
        raise _fail(f"--on {on!r} is not a date; write it as 2027-03-01.") from None
    try:
        result = build_feedback(master, period, out, due, today)
    except FeedbackError as exc:
        raise _fail(str(exc)) from None
    for item, path in result.written:
        typer.echo(
            f"{path}  {item.asb}: {len(item.merged)} merged, {len(item.held)} held back, "
            f"{len(item.missing)}/{item.rows_expected} rows without report"
        )
    typer.echo(f"{len(result.written)} feedback workbooks for {result.period} in {result.folder}")
    typer.echo("")
    if not result.chase:
        typer.echo("Chase list: nobody to chase.")
        return
    typer.echo(f"Chase list ({len(result.chase)} bodies):")
    typer.echo(f"  {'Body':<10} {'Rows missing':>14}  {'Due':<10}  {'Days late':>9}  Received")
    for line in result.chase:
        missing = f"{line.rows_missing}/{line.rows_expected}"
        typer.echo(
            f"  {line.asb:<10} {missing:>14}  {line.due or '-':<10}  {line.days_late:>9}  {line.received or 'nothing'}"
        )


@app.command()
def export(
    master: Annotated[Path, typer.Argument(help="The master workbook.")],
    as_csv: Annotated[bool, typer.Option("--csv", help="Write values.csv and plan.csv in a folder (default).")] = False,
    as_xlsx: Annotated[bool, typer.Option("--xlsx", help="Write one .xlsx with a values and a plan sheet.")] = False,
    out: Annotated[
        Path | None, typer.Option(help="Folder (--csv) or file (--xlsx); default: MASTER-export beside the master.")
    ] = None,
) -> None:
    """Every value of the History in tidy long format, plus the plan rows, for pandas or Power BI (docs/export.md)."""
    if as_csv and as_xlsx:
        raise _fail("Choose one of --csv and --xlsx.")
    from xlsx_tools.report.export import ExportError, export_master

    try:
        result = export_master(master, out, "xlsx" if as_xlsx else "csv")
    except ExportError as exc:
        raise _fail(str(exc)) from None
    for path in result.written:
        typer.echo(f"Wrote {path}")
    typer.echo(f"  {result.values} values from the History, {result.plan_rows} plan rows")


@app.command("period")
def open_period(
    master: Annotated[Path, typer.Argument(help="The master workbook.")],
    period: Annotated[str, typer.Argument(help="The period to open, e.g. 2027-H1.")],
) -> None:
    """Open a new reporting period in the master: reported cells are emptied; earlier values stay in its record."""
    period = _period(period)
    from xlsx_tools.merge.run import open_new_period
    from xlsx_tools.report.console import render_console
    from xlsx_tools.sheet_names import HISTORY_SHEET

    result = open_new_period(master, period)
    if result.report.findings:
        render_console(result.report)  # errors, or a warning beside the write (MERGE_515: a 0.1.0 master migrated)
    if result.written:
        typer.echo(
            f"{master} is open for {period}; earlier values are in its {HISTORY_SHEET} sheet. Backup: {result.backup}"
        )
    elif not result.report.findings:
        typer.echo(f"{master} is already open for {period}.")
    raise typer.Exit(result.report.exit_code)


@app.command()
def render(
    workbook: Annotated[Path, typer.Argument(help="A workbook (.xlsx), e.g. a return template.")],
    out: Annotated[Path, typer.Option(help="The PNG to write.")] = Path("page1.png"),
    sheet: Annotated[str, typer.Option(help="The sheet to render (default: the sheet the workbook opens on).")] = "",
    dpi: Annotated[int, typer.Option(help="Resolution.")] = 110,
) -> None:
    """Render page 1 of a sheet to PNG through LibreOffice: see what a body sees when it prints its return."""
    from xlsx_tools.office import OfficeError, render_first_page_png

    try:
        written = render_first_page_png(workbook, out, sheet=sheet or None, dpi=dpi)
    except OfficeError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Wrote {written}")


@proposals_app.command("apply")
def proposals_apply(
    master: Annotated[Path, typer.Argument(help="The master workbook.")],
) -> None:
    """Put the proposals accepted on the master's Proposals sheet into its plan rows (the next merge does it too)."""
    from xlsx_tools.merge.run import apply_proposals
    from xlsx_tools.report.console import render_console

    result, changes = apply_proposals(master)
    if result.report.findings:
        render_console(result.report)
    for sheet, cells in changes.new_rows:
        typer.echo(f"  '{sheet}': new activity {cells['row_id']}: {cells.get('activity', '')[:60]}")
    for row_id, _, text in changes.edits:
        typer.echo(f"  {row_id}: plan text now {text[:60]!r}")
    for entry in changes.not_applied:
        typer.echo(f"  {entry.source.asb}'s {entry.proposal.kind}: {entry.decision}")
    if result.written:
        typer.echo(
            f"{master}: {len(changes.new_rows)} activity(ies) added, {len(changes.edits)} text(s) changed"
            + (f", {len(changes.not_applied)} accepted proposal(s) not applied." if changes.not_applied else ".")
        )
        typer.echo(f"Backup: {result.backup}")
    elif not result.report.findings:
        typer.echo(f"{master}: no accepted proposal waits to be applied.")
    raise typer.Exit(result.report.exit_code)


@lists_app.command("refresh")
def lists_refresh(
    file: Annotated[Path, typer.Argument(help="The workbook whose dropdown lists to re-populate.")],
) -> None:
    """Re-populate the dropdown lists (e.g. after a new ASB joins) without touching entered data."""
    from xlsx_tools.workbook.safety import check_file

    problem = check_file(file)
    if problem:
        raise _fail(problem.message)
    from xlsx_tools.workbook.lists import refresh_lists
    from xlsx_tools.workbook.load import WorkbookLoadError

    try:
        sizes = refresh_lists(file)
    except WorkbookLoadError as exc:
        raise _fail(f"{exc}; the file was not changed") from None
    except OSError as exc:
        raise _fail(f"{file} could not be written ({exc.strerror or exc}); the file was not changed") from None
    typer.echo(f"Refreshed lists in {file}: " + ", ".join(f"{name} {n}" for name, n in sizes.items()))


@app.command()
def rules(plan: PlanOption = "bwp2") -> None:
    """Print the cerberus schema derived from the layout for a plan's pillar sheets (YAML)."""
    import yaml

    from xlsx_tools.plan.context import plan_context
    from xlsx_tools.validate.rules import schema_for

    typer.echo(yaml.safe_dump(schema_for(plan_context(plan).sheet), sort_keys=False))


@app.command()
def version() -> None:
    """Print the package version."""
    from xlsx_tools import __version__

    typer.echo(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
