"""`tipwp matrix`: read the master, compute the matrix and summary (core), write the workbook (and PDF)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from xlsx_tools.matrix.core import MatrixInput, Summary, load_status_map, matrix_input, summarise
from xlsx_tools.matrix.progress import ProgressReport, progress_report
from xlsx_tools.matrix.report import write_matrix_book
from xlsx_tools.merge.master_book import MasterError, open_master
from xlsx_tools.office import OfficeError, convert


class MatrixError(ValueError):
    """The matrix cannot be made; the message says why and what to do."""


@dataclass
class MatrixResult:
    workbook: Path
    period: str
    data: MatrixInput
    summary: Summary
    progress: ProgressReport
    pdf: Path | None = None


def build_matrix(
    master: Path,
    period: str = "",
    out: Path | None = None,
    pdf: bool = False,
    today: dt.date | None = None,
    first: str = "",
) -> MatrixResult:
    """Write the status matrix workbook of `master` for `period` (default: the master's open period), its columns
    from `first` (default: the first period with any report)."""
    try:
        opened = open_master(Path(master))
    except MasterError as exc:
        raise MatrixError(exc.finding.message) from None
    chosen = period or opened.state.period
    if not chosen:
        raise MatrixError(f"{Path(master).name} has no open period; give one with --period, e.g. --period 2026-H2.")
    try:
        data = matrix_input(opened.context, opened.state, chosen, load_status_map(), first)
    except ValueError as exc:
        raise MatrixError(str(exc)) from None
    summary = summarise(data)
    name = f"status-matrix-{data.period}.xlsx"
    target = Path(out) if out else Path(master).with_name(name)
    if target.is_dir():
        target = target / name
    progress = progress_report(opened.context, opened.state, data.period)
    write_matrix_book(data, summary, progress, target, today or dt.date.today())
    result = MatrixResult(target, data.period, data, summary, progress)
    if pdf:
        try:
            result.pdf = convert(target, "pdf", target.parent)
        except OfficeError as exc:
            raise MatrixError(str(exc)) from None
    return result
