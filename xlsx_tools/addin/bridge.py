"""What the ribbon's buttons run (RunPython "import xlsx_tools.addin.bridge as tipwp; tipwp.merge(...)").

Each entry point is a thin shell: find the workbook open in Excel, check the add-in and package versions agree, call
the same core function as the CLI, and show the result in Excel. Nothing escapes as a traceback: problems are shown in
plain words and the details go to a log file (`error_log()`). The `*_in_book` functions take any object with the
xlwings Book API, so tests drive them without Excel.

The hand-off from VBA (defined here for the Python side; TipwpRibbon.PyText is the VBA side): every text a button
passes - the add-in version and each chosen file - arrives as a Python string literal in which ASCII letters, digits,
space, "-", "." and "_" stand for themselves and every other UTF-16 code unit of the VBA string is written \\uXXXX,
e.g. tipwp.validate('0.1.0', ['C:\\u005cUsers\\u005cO\\u0027Neil.xlsx']). Python's own parser undoes the escapes;
`from_vba` then joins the pairs of \\uD8xx\\uDCxx units that VBA strings use for characters beyond U+FFFF (emoji).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from xlsx_tools import __version__

TITLE = "TIP Work Plan"
T = TypeVar("T")


class BridgeError(Exception):
    """Something the person can fix; the message says what."""


# ---- entry points called from VBA --------------------------------------------------------------------------------


def validate(addin_version: str, files: Sequence[str]) -> None:
    _run(addin_version, lambda book: validate_in_book(book, paths_from_vba(files)))


def merge(addin_version: str, files: Sequence[str]) -> None:
    _run(addin_version, lambda book: merge_in_book(book, paths_from_vba(files)))


def matrix(addin_version: str) -> None:
    _run(addin_version, matrix_in_book)


def issue(addin_version: str) -> None:
    _run(addin_version, issue_in_book)


def refresh_lists(addin_version: str) -> None:
    _run(addin_version, refresh_lists_in_book)


def about(addin_version: str) -> None:
    _run(addin_version, about_in_book, check_version=False)


def feedback(addin_version: str) -> None:
    _run(addin_version, feedback_in_book)


# ---- plumbing ----------------------------------------------------------------------------------------------------


def from_vba(text: str) -> str:
    """A text as VBA held it (UTF-16 units, one \\uXXXX each) → a Python str: surrogate pairs become one character;
    a lone surrogate (possible in a Windows file name) is kept as it is."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def paths_from_vba(files: Sequence[str]) -> list[Path]:
    return [Path(from_vba(name)) for name in files]


def error_log() -> Path:
    return Path(tempfile.gettempdir()) / "tipwp-addin-errors.log"


def _run(addin_version: str, action: Callable[[Any], str], check_version: bool = True) -> None:
    book = None
    try:
        import xlwings as xw

        # RunPython is called from the add-in, so Book.caller() is the add-in; the master is the active workbook
        book = xw.Book.caller().app.books.active
        run_action(book, addin_version, action, check_version)
    except Exception:  # last resort: RunPython would show a raw traceback
        _log_error()
        if book is not None:
            book.app.alert(_internal_message(), title=TITLE)


def run_action(book: Any, addin_version: str, action: Callable[[Any], str], check_version: bool = True) -> str:
    """Run `action(book)` and show its message; a problem the person can fix is shown instead of a traceback."""
    app = book.app
    try:
        if check_version and addin_version != __version__:
            raise BridgeError(
                f"The TIP Work Plan add-in is version {addin_version} but the Python package is version "
                f"{__version__}. Install the add-in that matches the package: in a Command Prompt run 'tipwp addin "
                "install', then restart Excel. (Or install the package version of the add-in: pip install "
                f"tipwp-xlsx-tools=={addin_version})"
            )
        message = action(book)
    except BridgeError as exc:
        message = str(exc)
    except Exception:
        _log_error()
        message = _internal_message()
    finally:
        app.status_bar = False
    app.alert(message, title=TITLE)
    return message


def _internal_message() -> str:
    return (
        "Something went wrong inside tipwp (a program error, not a problem with your files). Nothing was saved. "
        f"Please send the file {error_log()} to whoever maintains the tool."
    )


def _log_error() -> None:
    with contextlib.suppress(OSError), error_log().open("a", encoding="utf-8") as handle:
        handle.write(f"--- {dt.datetime.now().isoformat()} tipwp {__version__}\n{traceback.format_exc()}\n")


def _master_path(book: Any) -> Path:
    from xlsx_tools.addin.paths import PathError, local_path

    try:
        return local_path(book.fullname)
    except PathError as exc:
        raise BridgeError(str(exc)) from None


def _excel_errors() -> tuple[type[Exception], ...]:
    """What xlwings lets through when Excel refuses a call: pywintypes.com_error on Windows (pywin32), appscript's
    CommandError on macOS, OSError for a file that cannot be written. The first two exist only where Excel does."""
    errors: list[type[Exception]] = [OSError]
    for module, name in (("pywintypes", "com_error"), ("appscript.reference", "CommandError")):
        with contextlib.suppress(ImportError, AttributeError):
            errors.append(getattr(importlib.import_module(module), name))
    return tuple(errors)


# ---- the actions (any xlwings-like Book) -------------------------------------------------------------------------


def validate_in_book(book: Any, files: Sequence[Path]) -> str:
    from xlsx_tools.report.findings_book import write_findings_book
    from xlsx_tools.validate.run import validate_files

    if not files:
        raise BridgeError("No files were chosen.")
    book.app.status_bar = f"Validating {len(files)} file(s)…"
    report = validate_files(files)
    summary = (
        f"{len(files)} file(s) checked: {len(report.fatal)} unusable, {len(report.errors)} errors, "
        f"{len(report.warnings)} warnings."
    )
    if not report.findings:
        return summary + " Nothing to fix."
    out = write_findings_book(report, Path(files[0]).parent / "validation-findings.xlsx")
    book.app.books.open(str(out))
    return f"{summary} The findings are listed in {out.name} (opened), with the cell and the fix for each."


def merge_in_book(book: Any, files: Sequence[Path], now: dt.datetime | None = None) -> str:
    """Merge `files` into the master open as `book`: plan on the saved file, write the changes through Excel, save."""
    from xlsx_tools.addin.excel_merge import apply_to_book
    from xlsx_tools.findings import Finding, Report
    from xlsx_tools.merge.lock import LockedError, master_lock
    from xlsx_tools.merge.master_book import MasterError, backup, open_master
    from xlsx_tools.merge.proposals import apply_decisions
    from xlsx_tools.merge.run import (
        MergeOptions,
        MergeResult,
        add_record_sheets,
        apply_proposals,
        missing_record_sheets,
        prepare_merge,
    )

    if not files:
        raise BridgeError("No files were chosen.")
    path = _master_path(book)
    if missing_record_sheets([sheet.name for sheet in book.sheets]):  # a new master: Excel would add bare sheets
        try:
            open_master(path)  # a master at all? (else it is left open as it is)
        except MasterError as exc:
            raise BridgeError(exc.finding.message) from None
        book.app.status_bar = "Adding the record sheets to the master…"
        records, book = _closed_while(book, path, lambda: add_record_sheets(path, now))
        if records.report.findings:
            raise BridgeError(records.report.findings[-1].message)
    report = Report(files=[str(f) for f in files])

    def progress(position: int, total: int, file: Path) -> None:
        book.app.status_bar = f"Reading {position}/{total}: {Path(file).name}"

    try:
        with master_lock(path):
            prepared = prepare_merge(path, files, MergeOptions(apply_proposals=False), report, progress, now)
            if isinstance(prepared, MergeResult):  # the master itself cannot be used
                raise BridgeError(report.findings[-1].message)
            result, consolidation = prepared.result, prepared.consolidation
            decided = apply_decisions(prepared.opened.context, consolidation.state.proposals, "")
            if consolidation.writes_anything:
                book.app.status_bar = f"Writing {len(consolidation.changes)} changed cell(s) into {path.name}…"
                result.backup = backup(path, prepared.moment)
                apply_to_book(book, prepared.opened, consolidation)
                book.save()
                result.written = True
    except LockedError as exc:
        report.add(Finding("MERGE_510", file=path.name, detail=str(exc)))
        raise BridgeError(report.findings[-1].message) from None
    pending = bool(decided or decided.not_applied)
    message = _merge_message(result, path, more=pending)
    if pending:  # accepted proposals: plan rows Excel cannot add through the bridge, so the file is changed on disk
        book.app.status_bar = "Adding the accepted proposals to the plan…"
        (applied, changes), _ = _closed_while(book, path, lambda: apply_proposals(path, now))
        if not applied.written:
            why = applied.report.findings[-1].message if applied.report.findings else "they were applied meanwhile"
            return f"{message}\nThe accepted proposals were not added here: {why}"
        added = [f"new activity {cells['row_id']}" for _, cells in changes.new_rows]
        added += [f"{row_id} changed" for row_id in dict.fromkeys(row_id for row_id, _, _ in changes.edits)]
        if added:
            message += f"\nAccepted proposals put into the plan: {', '.join(added)}."
        for entry in changes.not_applied:
            message += f"\n{entry.source.asb}'s accepted {entry.proposal.kind}: {entry.decision}"
        message += (
            f"\nThe master was saved, closed, changed and opened again; that version was backed up as {applied.backup}."
        )
    return message


def _merge_message(result: Any, path: Path, more: bool = False) -> str:
    """The box after a merge; `more`: the accepted proposals are applied next (the returns may have changed
    nothing)."""
    lines = [f"Merge into {path.name}" + (f" (period {result.period})" if result.period else "") + ":"]
    for outcome in result.outcomes:
        text = f"- {Path(outcome.file).name}: {outcome.outcome}, {outcome.accepted} row(s) accepted"
        if outcome.outcome == "refused":
            text += f" — {outcome.reasons}"
        lines.append(text)
    lines.append(f"{len(result.changes)} cell(s) changed, {result.conflicts} conflict(s) (see the Conflicts sheet).")
    if result.written:
        lines.append(f"Saved. The previous version was backed up as {result.backup}.")
    else:
        lines.append(
            "Nothing to change from the returns." if more else "Nothing to change; the master was not touched."
        )
    if result.report.findings:
        from xlsx_tools.report.findings_book import write_findings_book

        out = write_findings_book(result.report, path.with_name(f"{path.stem}-merge-findings.xlsx"))
        lines.append(f"{len(result.report.findings)} finding(s) are listed in {out.name}.")
    return "\n".join(lines)


def matrix_in_book(book: Any) -> str:
    from xlsx_tools.matrix.run import MatrixError, build_matrix

    path = _master_path(book)
    try:
        result = build_matrix(path, "", None, pdf=False)
    except MatrixError as exc:
        raise BridgeError(str(exc)) from None
    opened = book.app.books.open(str(result.workbook))
    pdf = matrix_pdf(opened, result.workbook, path)
    return f"Status matrix for {result.period} written to {result.workbook} (opened).\n{pdf}"


def matrix_pdf(opened: Any, workbook: Path, master: Path) -> str:
    """The PDF for the meeting, beside the matrix workbook, and a sentence saying how it was made. From Excel it is
    Excel's own export (Book.to_pdf: LibreOffice is rarely installed on the secretariat's Windows machines); when
    Excel refuses (e.g. no printer driver installed), LibreOffice's if it is there; otherwise the sentence says that
    neither could and how to make one by hand."""
    from xlsx_tools.office import OfficeError, convert, find_soffice

    target = workbook.with_suffix(".pdf")
    try:
        opened.to_pdf(str(target))
    except _excel_errors() as exc:
        refusal = f"Excel could not export the PDF ({exc})"
    else:
        return f"PDF for the meeting: {target} (made by Excel)."
    if find_soffice() is None:
        return (
            f"No PDF was made: {refusal} and LibreOffice is not installed on this computer. To make it, choose "
            f"File > Export > Create PDF/XPS in Excel with {workbook.name} open, or install LibreOffice and run: "
            f'tipwp matrix "{master}" --pdf'
        )
    try:
        made = convert(workbook, "pdf", workbook.parent)
    except OfficeError as exc:
        return f"No PDF was made: {refusal}, and LibreOffice could not either: {exc}"
    return f"PDF for the meeting: {made} (made by LibreOffice, because {refusal})."


def issue_in_book(book: Any) -> str:
    from xlsx_tools.merge.last_period import issue_returns
    from xlsx_tools.returns.issue import IssueError
    from xlsx_tools.workbook.reader import read_workbook

    path = _master_path(book)
    period = read_workbook(path).identity.get("period", "")
    if not period:
        raise BridgeError(
            f"{path.name} has no open reporting period. Open one first with 'tipwp period', e.g. "
            f"tipwp period {path.name} 2026-H2, then issue the templates."
        )
    out_dir = path.parent / f"returns-{period}"
    try:
        issued = issue_returns(path, period, out_dir)
    except IssueError as exc:
        raise BridgeError(str(exc)) from None
    return f"{len(issued)} return template(s) for {period} written to {out_dir}."


def refresh_lists_in_book(book: Any) -> str:
    """The lists live in the file: close the (saved) master, refresh the file, open it again in Excel."""
    from xlsx_tools.workbook.lists import refresh_lists as refresh

    path = _master_path(book)
    sizes, _ = _closed_while(book, path, lambda: refresh(path))
    return "Dropdown lists refreshed: " + ", ".join(f"{name} {size}" for name, size in sizes.items()) + "."


def _closed_while(book: Any, path: Path, change: Callable[[], T]) -> tuple[T, Any]:
    """Run `change` on the master's file with the (saved) master closed in Excel, then open it again: (what
    `change` returned, the master as opened again)."""
    app = book.app
    book.close()
    try:
        result = change()
    finally:
        reopened = app.books.open(str(path))
    return result, reopened


def about_in_book(book: Any) -> str:
    import sys

    return (
        f"tipwp {__version__} (Python {sys.version.split()[0]} at {sys.executable}).\n"
        "Buttons: Validate returns, Merge returns, Issue templates, Status matrix, Feedback to bodies, Refresh lists.\n"
        "Every check and fix is also available on the command line: tipwp --help.\n"
        f"Program errors are logged to {error_log()}."
    )


def feedback_in_book(book: Any, today: dt.date | None = None) -> str:
    """One feedback workbook per body for the master's open period, beside the (saved) master; the chase list."""
    from xlsx_tools.report.feedback_book import FeedbackError, build_feedback

    path = _master_path(book)
    book.app.status_bar = f"Writing feedback for every body from {path.name}…"
    try:
        result = build_feedback(path, today=today)
    except FeedbackError as exc:
        raise BridgeError(str(exc)) from None
    lines = [f"{len(result.written)} feedback workbook(s) for {result.period} written to {result.folder}."]
    chase = result.chase
    if chase:
        lines.append("To chase (rows without report, days late):")
        lines += [f"- {c.asb}: {c.rows_missing}/{c.rows_expected} rows, {c.days_late} day(s) late" for c in chase]
    else:
        lines.append("Nobody to chase: every body reported on every row.")
    return "\n".join(lines)
