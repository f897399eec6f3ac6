"""Headless LibreOffice (soffice) as a converter and a page renderer.

Why: the workbooks are filled in by people in Excel or LibreOffice, and LibreOffice is the one real spreadsheet
program that runs on a server or in CI. Converting through it shows whether a real client can open a file, and
rendering a printed page to PNG shows what a person sees (for the docs, and for tests that look at layout).

How: every call starts soffice with its own throw-away profile (``-env:UserInstallation``), so runs in parallel and a
LibreOffice the user has open never share a profile or hand the job to a running instance. soffice reports most
failures ("source file could not be loaded") with exit status 0, so a conversion only counts when the output file
exists. A PNG is made by exporting the workbook to PDF with soffice and rasterising page 1 with ``pdftoppm``
(poppler-utils); to make page 1 the wanted sheet, a temporary copy hides the other sheets and makes it active.

Pure standard library; openpyxl is imported only inside `render_first_page_png`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

INSTALL_HINT = "install LibreOffice Calc (apt-get install libreoffice-calc-nogui) or put soffice on the PATH"
PDFTOPPM_HINT = "install poppler-utils (apt-get install poppler-utils) for pdftoppm"
# Only page 1 is exported (LibreOffice 7.4+ reads JSON filter options; older versions export every page, which
# pdftoppm's -f 1 -l 1 copes with).
PDF_PAGE_ONE = 'pdf:calc_pdf_Export:{"PageRange":{"type":"string","value":"1"}}'


class OfficeError(RuntimeError):
    """LibreOffice or poppler could not do the job; the message names the file and what to do."""


def find_soffice() -> str | None:
    """The path of LibreOffice's soffice (or libreoffice) program, None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _run(command: list[str], timeout: float, what: str) -> subprocess.CompletedProcess[str]:
    """Run `command` in its own process group, so a timeout kills soffice's child processes too."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # it ended just now
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise OfficeError(
            f"{what} took longer than {timeout:g} s and was stopped; try again, or open the file in LibreOffice to "
            "see whether it hangs on loading."
        ) from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _output_tail(result: subprocess.CompletedProcess[str]) -> str:
    """What the program printed, without soffice's harmless Java warning, shortened for a message."""
    lines = f"{result.stdout or ''}\n{result.stderr or ''}".splitlines()
    text = " ".join(" ".join(line for line in lines if "javaldx" not in line).split())
    return text[-400:] or "no output"


def convert(source: Path, fmt: str, outdir: Path, timeout: float = 120) -> Path:
    """Convert `source` with ``soffice --convert-to fmt`` into `outdir`; returns the written file.

    `fmt` is what soffice takes: an extension ("pdf", "xlsx") optionally followed by ``:filter[:options]``.
    """
    soffice = find_soffice()
    if soffice is None:
        raise OfficeError(f"cannot convert {source}: LibreOffice (soffice) is not installed; {INSTALL_HINT}.")
    if not source.is_file():
        raise OfficeError(f"cannot convert {source}: no such file; check the path.")
    extension = fmt.split(":", 1)[0].strip().lstrip(".")
    target = outdir / f"{source.stem}.{extension}"
    if target.resolve() == source.resolve():
        raise OfficeError(f"converting {source} to {extension} in {outdir} would overwrite it; choose another folder.")
    outdir.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)  # never mistake an old file for this conversion's output
    profile = Path(tempfile.mkdtemp(prefix="tipwp-lo-profile-"))
    try:
        result = _run(
            [
                soffice,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                fmt,
                "--outdir",
                str(outdir),
                str(source),
            ],
            timeout,
            f"LibreOffice converting {source} to {extension}",
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if result.returncode != 0 or "Error:" in f"{result.stdout}{result.stderr}":  # soffice may say Error: and exit 0
        raise OfficeError(
            f"LibreOffice could not convert {source} to {extension} (exit status {result.returncode}: "
            f"{_output_tail(result)}). Open the file in LibreOffice to see why, or reinstall it ({INSTALL_HINT})."
        )
    if not target.is_file() or target.stat().st_size == 0:
        raise OfficeError(
            f"LibreOffice wrote no {extension} file for {source} ({_output_tail(result)}). Check that the file opens "
            "in LibreOffice and is not password-protected or damaged."
        )
    return target


def _page_one_copy(workbook: Path, sheet: str | None, folder: Path) -> Path:
    """A copy of `workbook` in `folder` (same file name, for page footers) whose only visible sheet is `sheet`."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(workbook)
    except (OSError, KeyError, ValueError, InvalidFileException) as error:
        raise OfficeError(
            f"cannot render {workbook}: it could not be read as an .xlsx workbook ({error}). Save it from Excel as "
            "'Excel Workbook (*.xlsx)'."
        ) from error
    if sheet is None:
        visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
        target = book.active if book.active in visible else (visible or book.worksheets)[0]
    elif sheet in book.sheetnames:
        target = book[sheet]
    else:
        raise OfficeError(
            f"cannot render {workbook}: it has no sheet {sheet!r}; its sheets are {', '.join(book.sheetnames)}."
        )
    for worksheet in [book[name] for name in book.sheetnames]:  # chart sheets too
        if worksheet is target:
            worksheet.sheet_state = "visible"
        elif worksheet.sheet_state == "visible":
            worksheet.sheet_state = "hidden"
        for view in worksheet.views.sheetView:
            view.tabSelected = worksheet is target
    book.active = book.sheetnames.index(target.title)
    copy = folder / workbook.name
    book.save(copy)
    return copy


def render_first_page_png(workbook: Path, png: Path, sheet: str | None = None, dpi: int = 110) -> Path:
    """Render printed page 1 of `sheet` (default: the active sheet) of an .xlsx to the PNG file `png`.

    The page is what LibreOffice prints: the sheet's own page setup (orientation, scaling, header and footer).
    """
    if not workbook.is_file():
        raise OfficeError(f"cannot render {workbook}: no such file; check the path.")
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise OfficeError(f"cannot render {workbook}: pdftoppm is not installed; {PDFTOPPM_HINT}.")
    if find_soffice() is None:
        raise OfficeError(f"cannot render {workbook}: LibreOffice (soffice) is not installed; {INSTALL_HINT}.")
    with tempfile.TemporaryDirectory(prefix="tipwp-render-") as temp:
        folder = Path(temp)
        (folder / "copy").mkdir()
        copy = _page_one_copy(workbook, sheet, folder / "copy")
        pdf = convert(copy, PDF_PAGE_ONE, folder / "pdf")
        stem = folder / "page"
        result = _run(
            [pdftoppm, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
            60,
            f"pdftoppm rendering {workbook}",
        )
        page = stem.with_suffix(".png")
        if result.returncode != 0 or not page.is_file():
            raise OfficeError(
                f"pdftoppm could not render page 1 of {workbook} (exit status {result.returncode}: "
                f"{_output_tail(result)}); {PDFTOPPM_HINT}."
            )
        png.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(page), str(png))
    return png
