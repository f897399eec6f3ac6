"""Issue 18: no input and no timing can lose a batch or break the master. One test per item of the issue, each with
real files the test makes (openpyxl, LibreOffice where a person would have typed), each failing on the code before
the fix (the figures are in docs/reliability.md).

Faults the tests cannot cause as root are caused as they happen to a person: a folder read-only for the user who
merges (the merge runs as `nobody`), a full disk (the merge runs with a file-size limit, so writes fail with EFBIG
partway, as they would with ENOSPC).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import letter, rewrite_zip
from tests.returns_kit import fill, fill_every_row, issue, logs, master_values
from xlsx_tools.merge.lock import lock_path, master_lock
from xlsx_tools.merge.log_sheets import HISTORY
from xlsx_tools.merge.run import MergeOptions, merge_returns
from xlsx_tools.workbook.master import build_master

pytestmark = pytest.mark.slow  # end to end, each test merging real files: kept out of the fast loop

SHARED_ROW = "A.1.1-01"  # coordinated by SOMTC, supported by SOM-ED and ACWC
SHEET = "A. Prevention"
TIPWP = str(Path(sys.executable).parent / "tipwp")
FILL = Path(__file__).resolve().parent / "lo_fill.py"
NOBODY = 65534


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("issued18")
    master = folder / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H2")
    return master, issue(master, folder / "templates", asbs=("SOMTC", "SOM-ED", "ACWC"))


@pytest.fixture
def cycle(issued: tuple[Path, dict[str, Path]], tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    master, templates = issued
    shutil.copy(master, tmp_path / "master.xlsx")
    (tmp_path / "in").mkdir()
    return tmp_path / "master.xlsx", {asb: shutil.copy(p, tmp_path / "in" / p.name) for asb, p in templates.items()}


def tipwp(
    *args: str | Path, as_user: int | None = None, fsize: int | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run the real CLI; as another user (util-linux's setpriv), or with writes limited to `fsize` bytes per file
    (a full disk: a write past the limit fails with EFBIG, SIGXFSZ ignored)."""

    def before() -> None:
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    user = [] if as_user is None else ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups"]
    env = {**os.environ, "HOME": "/tmp"}
    return subprocess.run(
        [*user, TIPWP, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=before,
        env=env,
        timeout=timeout,
        cwd="/tmp",
    )


def one_clear_line(run: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout, run.stderr[-2000:]


def opens(path: Path) -> bool:
    try:
        openpyxl.load_workbook(path, read_only=True).close()
    except (ValueError, KeyError, zipfile.BadZipFile, OSError):
        return False
    return True


# 1 -------------------------------------------------------------------------------------------------------------


def test_item01_control_characters_are_cleaned_and_the_rest_of_the_batch_merges(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    """A Word line break pasted in LibreOffice (stored as _x000b_), and a file name holding a control character,
    between two good returns: everything merges, the text is cleaned, the cell is named in a finding."""
    master, templates = cycle
    pasted = tmp_path / "in" / "lo-pasted.xlsx"
    spec = {
        "input": str(templates["SOMTC"]),
        "output": str(pasted),
        "edits": [
            {"sheet": SHEET, "cell": f"{letter('status')}2", "choose": 2},
            {"sheet": SHEET, "cell": f"{letter('progress')}2", "type": "Workshop held\vReport shared"},
        ],
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    subprocess.run(["/usr/bin/python3", str(FILL), str(tmp_path / "spec.json")], check=True, capture_output=True)
    assert b"_x000b_" in zipfile.ZipFile(pasted).read("xl/sharedStrings.xml").lower()
    fill(templates["SOM-ED"], {SHARED_ROW: {"resource_needs": "Interpreters"}})
    oddly_named = templates["ACWC"].with_name("ACWC\x01return.xlsx")
    fill(templates["ACWC"], {SHARED_ROW: {"indicator_results": "3 shelters"}}, out=oddly_named)
    files = [templates["SOM-ED"], pasted, oddly_named]

    result = merge_returns(master, files)
    assert result.written, result.report.codes()
    assert [o.outcome for o in result.outcomes] == ["merged"] * 3
    shown = master_values(master)[SHARED_ROW]
    assert shown["progress"] == "Workshop held\nReport shared"
    assert shown["resource_needs"] == "Interpreters" and shown["indicator_results"] == "3 shelters"
    located = [(f.file, f.sheet, f.cell) for f in result.report.findings if f.code == "CELL_305"]
    assert located == [("lo-pasted.xlsx", SHEET, f"{letter('progress')}2")]
    assert "ACWCreturn.xlsx" in {row["file"] for row in logs(master)["Audit"]}

    run = tipwp("validate", pasted, "--report", tmp_path / "findings.xlsx")
    one_clear_line(run)
    assert run.returncode == 0 and opens(tmp_path / "findings.xlsx")


def test_item12_invisible_characters_in_a_status_do_not_hold_it_back(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "On\u200bgoing"}, "A.1.1-02": {"status": "\ufeffNot started"}})
    result = merge_returns(master, [templates["SOMTC"]])
    assert "MERGE_513" not in result.report.codes() and "CELL_320" not in result.report.codes()
    shown = master_values(master)
    assert shown[SHARED_ROW]["status"] == "Ongoing" and shown["A.1.1-02"]["status"] == "Not started"


# 7 -------------------------------------------------------------------------------------------------------------


def test_item07_a_master_reached_through_a_link_is_locked_and_written_where_it_is(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, templates = cycle
    link = tmp_path / "shortcut.xlsx"
    link.symlink_to(master)
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    with master_lock(master):  # a merge through the real name is running
        held = merge_returns(link, [templates["SOMTC"]])
    assert held.report.codes() == ["MERGE_510"] and not held.written
    done = merge_returns(link, [templates["SOMTC"]])
    assert done.written and link.is_symlink() and link.resolve() == master.resolve()
    assert master_values(master)[SHARED_ROW]["status"] == "Ongoing"
    assert lock_path(link) == lock_path(master) and not lock_path(master).exists()


# 10 ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def shared_root() -> Iterator[Path]:
    """A folder outside pytest's private temporary folders, so that `nobody` can reach it."""
    root = Path(tempfile.mkdtemp(prefix="tipwp-shared-", dir="/tmp"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def shared_folder(root: Path, master: Path, folder_owner: int, backups_owner: int | None = None) -> Path:
    """A folder holding a master that `nobody` may write; the folder (and backups/) owned as given, mode 755."""
    folder = root / "shared"
    folder.mkdir(mode=0o755)
    target = folder / "master.xlsx"
    shutil.copy(master, target)
    os.chmod(target, 0o666)
    if backups_owner is not None:
        (folder / "backups").mkdir(mode=0o755)
        os.chown(folder / "backups", backups_owner, backups_owner)
    os.chown(folder, folder_owner, folder_owner)
    return target


@pytest.mark.parametrize("where", ["folder", "backups"])
def test_item10_a_read_only_folder_is_one_clear_line_and_the_master_stays_old(
    cycle: tuple[Path, dict[str, Path]], shared_root: Path, where: str
) -> None:
    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    sent = shutil.copy(templates["SOMTC"], shared_root / "return.xlsx")
    os.chmod(sent, 0o644)
    if where == "folder":
        target = shared_folder(shared_root, master, folder_owner=0)
    else:
        target = shared_folder(shared_root, master, folder_owner=NOBODY, backups_owner=0)
    before = target.read_bytes()
    run = tipwp("merge", target, sent, "--json", as_user=NOBODY)
    one_clear_line(run)
    assert run.returncode == 2
    assert [f["code"] for f in json.loads(run.stdout)["findings"] if f["severity"] == "fatal"] == ["MERGE_520"]
    assert target.read_bytes() == before
    left = sorted(p.relative_to(target.parent).as_posix() for p in target.parent.rglob("*"))
    assert left == (["master.xlsx"] if where == "folder" else ["backups", "master.xlsx"])


@pytest.mark.parametrize("room", ["backup", "save"])
def test_item10_a_full_disk_leaves_no_broken_backup_and_the_master_old(
    cycle: tuple[Path, dict[str, Path]], room: str
) -> None:
    master, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing", "progress": "x" * 20_000}})
    size = master.stat().st_size
    before = master.read_bytes()
    limit = size // 2 if room == "backup" else size + 100  # the backup, or the new master, runs out of room
    run = tipwp("merge", master, templates["SOMTC"], "--json", fsize=limit)
    one_clear_line(run)
    assert run.returncode == 2
    assert "MERGE_520" in [f["code"] for f in json.loads(run.stdout)["findings"]]
    assert master.read_bytes() == before
    backups = list((master.parent / "backups").glob("*")) if (master.parent / "backups").exists() else []
    assert all(opens(b) for b in backups), [b.name for b in backups]
    assert not [p.name for p in master.parent.glob(".master.*")]
    assert not lock_path(master).exists()
    assert merge_returns(master, [templates["SOMTC"]]).written  # with room again, the same merge goes through


def link_parts(path: Path, out: Path, dde: bool) -> Path:
    """`path` with an external link (to another workbook, or DDE) whose relationship part is missing."""
    with zipfile.ZipFile(path) as archive:
        types = archive.read("[Content_Types].xml").decode()
        book = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    link = (
        '<ddeLink ddeService="cmd" ddeTopic="/c calc"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems></ddeLink>'
        if dde
        else '<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        'r:id="rId1"><sheetNames><sheetName val="S"/></sheetNames></externalBook>'
    )
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink"
    return rewrite_zip(
        path,
        out,
        {
            "[Content_Types].xml": types.replace(
                "</Types>", f'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="{kind}"/></Types>'
            ).encode(),
            "xl/workbook.xml": book.replace(
                "</sheets>", '</sheets><externalReferences><externalReference r:id="rIdX"/></externalReferences>'
            ).encode(),
            "xl/_rels/workbook.xml.rels": rels.replace(
                "</Relationships>",
                f'<Relationship Id="rIdX" Type="{rel}" Target="externalLinks/externalLink1.xml"/></Relationships>',
            ).encode(),
            "xl/externalLinks/externalLink1.xml": f'<externalLink xmlns="{main}">{link}</externalLink>'.encode(),
        },
    )


def nan_cell(path: Path, out: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet2.xml").decode()
    at = sheet.index('<row r="2"')
    at = sheet.index(">", at) + 1
    return rewrite_zip(
        path, out, {"xl/worksheets/sheet2.xml": (sheet[:at] + '<c r="AZ2"><v>NaN</v></c>' + sheet[at:]).encode()}
    )


MAKERS: dict[str, Callable[[Path, Path], Path]] = {
    "external link": lambda p, o: link_parts(p, o, dde=False),
    "DDE link": lambda p, o: link_parts(p, o, dde=True),
    "NaN": nan_cell,
}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_item10_annotate_and_lists_refresh_on_files_openpyxl_cannot_load(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path, kind: str
) -> None:
    _, templates = cycle
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoin"}})
    odd = MAKERS[kind](templates["SOMTC"], tmp_path / "odd.xlsx")
    before = odd.read_bytes()
    annotated = tipwp("validate", "--annotate", odd)
    one_clear_line(annotated)
    assert "odd.xlsx" in annotated.stderr and annotated.returncode == 2
    assert "CELL_320" in annotated.stdout  # the findings themselves are still listed
    refreshed = tipwp("lists", "refresh", odd)
    one_clear_line(refreshed)
    assert refreshed.returncode == 2 and "odd.xlsx" in refreshed.stderr and len(refreshed.stderr.splitlines()) == 1
    assert odd.read_bytes() == before


# 11 ------------------------------------------------------------------------------------------------------------


def test_item11_the_master_keeps_its_mode_and_owner_and_new_files_follow_the_umask(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, templates = cycle
    os.chmod(master, 0o664)
    os.chown(master, NOBODY, NOBODY)
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    old = os.umask(0o022)
    try:
        assert merge_returns(master, [templates["SOMTC"]]).written
        run = tipwp("validate", templates["SOMTC"], "--report", tmp_path / "findings.xlsx")
    finally:
        os.umask(old)
    info = master.stat()
    assert (oct(info.st_mode & 0o777), info.st_uid, info.st_gid) == (oct(0o664), NOBODY, NOBODY)
    assert oct((tmp_path / "findings.xlsx").stat().st_mode & 0o777) == oct(0o644), run.stderr
    (copy,) = (master.parent / "backups").iterdir()
    assert oct(copy.stat().st_mode & 0o777) == oct(0o664)


def test_item11_a_read_only_master_is_refused_not_replaced(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    os.chmod(master, 0o444)
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    before = master.read_bytes()
    result = merge_returns(master, [templates["SOMTC"]])
    assert result.report.codes() == ["MERGE_520"] and "read-only" in result.report.findings[0].message
    assert not result.written and master.read_bytes() == before and oct(master.stat().st_mode & 0o777) == "0o444"
    assert not (master.parent / "backups").exists()


# 2 -------------------------------------------------------------------------------------------------------------


def test_item02_a_return_that_would_overfill_the_record_sheets_is_refused_and_the_master_stays_readable(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    """13,000 rows typed below the plan, six cells each: 78,000 proposals, which a master cannot hold and still be
    read (FILE_010 / MERGE_511 from then on). Refused before writing; the returns around it merge."""
    master, templates = cycle
    fill(templates["SOM-ED"], {SHARED_ROW: {"resource_needs": "Interpreters"}})
    fill(templates["ACWC"], {SHARED_ROW: {"indicator_results": "3 shelters"}})
    flooded = templates["SOMTC"]
    book = openpyxl.load_workbook(flooded)
    sheet = book[SHEET]
    first = sheet.max_row + 1
    for excel_row in range(first, first + 13_000):
        for column in range(2, 8):
            sheet.cell(row=excel_row, column=column, value=f"new activity {excel_row}.{column}")
    book.save(flooded)

    result = merge_returns(master, [templates["SOM-ED"], flooded, templates["ACWC"]])
    outcomes = {o.file: o.outcome for o in result.outcomes}
    assert outcomes == {templates["SOM-ED"].name: "merged", flooded.name: "refused", templates["ACWC"].name: "merged"}
    assert [(f.file, f.code) for f in result.report.findings if f.code == "MERGE_521"] == [(flooded.name, "MERGE_521")]
    again = merge_returns(master, [templates["SOM-ED"]], MergeOptions(dry_run=True))
    assert "MERGE_511" not in again.report.codes() and again.report.exit_code == 0
    assert len(logs(master)["Proposals"]) == 0


def test_item02_a_master_near_its_limit_takes_what_fits_and_is_never_written_unreadable(
    cycle: tuple[Path, dict[str, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit the reader applies (sheet_xml.MAX_CELLS) lowered so that History fills after one full return:
    a second full return does not fit and is refused (MERGE_521), a small one beside it is merged; the master
    still reads. Ordinary returns, many times smaller than the 2,000,000-cell limit needs."""
    from xlsx_tools.workbook import sheet_xml

    master, templates = cycle
    rng = random.Random(18)
    fill_every_row(templates["SOMTC"], rng)
    assert merge_returns(master, [templates["SOMTC"]]).written
    lines = len(logs(master)[HISTORY.title])
    monkeypatch.setattr(sheet_xml, "MAX_CELLS", len(HISTORY.columns) * (lines * 3 // 2))
    fill_every_row(templates["SOMTC"], rng, round_no=1)
    fill(templates["ACWC"], {SHARED_ROW: {"indicator_results": "3 shelters"}})
    result = merge_returns(master, [templates["SOMTC"], templates["ACWC"]])
    assert [o.outcome for o in result.outcomes] == ["refused", "merged"] and result.written
    assert "MERGE_521" in result.report.codes()
    again = merge_returns(master, [templates["ACWC"]], MergeOptions(dry_run=True))
    assert "MERGE_511" not in again.report.codes()
    later = merge_returns(master, [templates["SOMTC"]])  # still too large: refused again, the master readable
    assert [o.outcome for o in later.outcomes] == ["refused"] and "MERGE_521" in later.report.codes()
    assert "MERGE_511" not in merge_returns(master, [], MergeOptions(dry_run=True)).report.codes()


# 9 -------------------------------------------------------------------------------------------------------------


def test_item09_pipes_devices_and_huge_sparse_files_are_refused_at_once(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    """A FIFO, a link to /dev/zero and a 20 GB sparse file between two good returns: refused within seconds (the
    old code hung for ever on the first two, holding the lock, and read the third for a minute)."""
    master, templates = cycle
    fill(templates["SOM-ED"], {SHARED_ROW: {"resource_needs": "Interpreters"}})
    fill(templates["ACWC"], {SHARED_ROW: {"indicator_results": "3 shelters"}})
    pipe = tmp_path / "in" / "pipe.xlsx"
    os.mkfifo(pipe)
    zero = tmp_path / "in" / "zero.xlsx"
    zero.symlink_to("/dev/zero")
    sparse = tmp_path / "in" / "sparse.xlsx"
    with open(sparse, "wb") as handle:
        handle.truncate(20 * 1024**3)
    files = [templates["SOM-ED"], pipe, zero, sparse, templates["ACWC"]]
    began = time.monotonic()
    try:
        run = tipwp("merge", master, *files, "--json", timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the merge hung on a pipe or a device")
    took = time.monotonic() - began
    one_clear_line(run)
    data = json.loads(run.stdout)
    outcomes = {row["file"]: row["outcome"] for row in data["summary"]}
    assert outcomes == {
        templates["SOM-ED"].name: "merged",
        "pipe.xlsx": "refused",
        "zero.xlsx": "refused",
        "sparse.xlsx": "refused",
        templates["ACWC"].name: "merged",
    }
    codes = {(f["file"], f["code"]) for f in data["findings"] if f["severity"] == "fatal"}
    assert codes == {("pipe.xlsx", "FILE_011"), ("zero.xlsx", "FILE_011"), ("sparse.xlsx", "FILE_007")}
    assert took < 15, f"the batch took {took:.1f} s"
    assert not lock_path(master).exists()
    checked = tipwp("validate", pipe, zero, "--json", timeout=60)
    assert {f["code"] for f in json.loads(checked.stdout)["findings"]} == {"FILE_011"}


# 5 -------------------------------------------------------------------------------------------------------------


def saved_at(path: Path, when: str) -> Path:
    """`path` as if last saved at `when` (its docProps/core.xml dcterms:modified, which Excel, LibreOffice and
    openpyxl set on every save)."""
    with zipfile.ZipFile(path) as archive:
        core = archive.read("docProps/core.xml").decode()
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{when}\g<2>", core)
    assert when in core
    moved = rewrite_zip(path, path.with_suffix(".tmp"), {"docProps/core.xml": core.encode()})
    return moved.replace(path)


def test_item05_an_older_copy_merged_after_the_newer_one_does_not_become_current(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, templates = cycle
    first = fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}}, out=tmp_path / "somtc-first.xlsx")
    saved_at(first, "2026-11-02T09:00:00Z")
    corrected = fill(
        templates["SOMTC"],
        {SHARED_ROW: {"status": "Completed", "progress": "Held", "event_dates": "3 December 2026"}},
        out=tmp_path / "somtc-corrected.xlsx",
    )
    saved_at(corrected, "2026-11-20T09:00:00Z")

    assert merge_returns(master, [corrected]).written
    late = merge_returns(master, [first])  # the older copy, found in the mailbox afterwards
    assert master_values(master)[SHARED_ROW]["status"] == "Completed"
    assert [(f.file, f.code) for f in late.report.findings if f.code == "MERGE_523"] == [(first.name, "MERGE_523")]
    assert [o.outcome for o in late.outcomes] == ["refused"]

    fresh = tmp_path / "again"
    fresh.mkdir()
    other = shutil.copy(
        cycle[0].parent / "backups" / next(iter(os.listdir(cycle[0].parent / "backups"))), fresh / "m.xlsx"
    )
    both = merge_returns(Path(other), [corrected, first])  # both in one batch, the newer first
    assert master_values(Path(other))[SHARED_ROW]["status"] == "Completed"
    assert "MERGE_523" in both.report.codes()


# 12 ------------------------------------------------------------------------------------------------------------

VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def excel_vba_project() -> bytes:
    """The VBA project of an Excel-made add-in (xlwings' ribbon template, installed with the dev tools)."""
    from xlsx_tools.addin.build import template_path

    with zipfile.ZipFile(template_path()) as archive:
        return archive.read("xl/vbaProject.bin")


def with_part(path: Path, out: Path, name: str, data: bytes, rel: str = "", content_type: str = "") -> Path:
    """`path` with part `name` added, linked from the workbook part by a relationship of type `rel` if given."""
    with zipfile.ZipFile(path) as archive:
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    extra = {name: data}
    if rel:
        target = name.removeprefix("xl/")
        rels = rels.replace(
            "</Relationships>", f'<Relationship Id="rIdV" Type="{rel}" Target="{target}"/></Relationships>'
        )
        extra["xl/_rels/workbook.xml.rels"] = rels.encode()
    if content_type:
        types = types.replace("</Types>", f'<Override PartName="/{name}" ContentType="{content_type}"/></Types>')
        extra["[Content_Types].xml"] = types.encode()
    return rewrite_zip(path, out, extra)


def test_item12_a_vba_project_under_another_name_is_a_macro(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, templates = cycle
    project = excel_vba_project()
    renamed = with_part(
        templates["SOMTC"],
        tmp_path / "renamed.xlsx",
        "xl/printerSettings/settings9.bin",
        project,
        VBA_REL,
        "application/vnd.ms-office.vbaProject",
    )
    hidden = with_part(templates["SOMTC"], tmp_path / "hidden.xlsx", "xl/media/image3.bin", project)
    result = merge_returns(master, [renamed, hidden], MergeOptions(dry_run=True))
    assert {(f.file, f.code) for f in result.report.fatal} == {
        ("renamed.xlsx", "FILE_009"),
        ("hidden.xlsx", "FILE_009"),
    }


def test_item12_an_entity_declaration_in_a_part_of_any_name_is_unsafe_xml(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master, templates = cycle
    with zipfile.ZipFile(templates["SOMTC"]) as archive:
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        sheet = archive.read("xl/worksheets/sheet2.xml").decode()
    assert "/xl/worksheets/sheet2.xml" in rels
    at = sheet.index("<worksheet")
    doctyped = sheet[:at] + '<!DOCTYPE worksheet [<!ENTITY e "x">]>' + sheet[at:]
    odd = rewrite_zip(
        templates["SOMTC"],
        tmp_path / "odd-part.xlsx",
        {
            "xl/_rels/workbook.xml.rels": rels.replace("/xl/worksheets/sheet2.xml", "data/pillar.dat").encode(),
            "xl/data/pillar.dat": doctyped.encode(),
        },
    )
    result = merge_returns(master, [odd], MergeOptions(dry_run=True))
    assert [(f.file, f.code) for f in result.report.fatal] == [("odd-part.xlsx", "FILE_008")]


def test_item12_values_held_back_from_a_duplicated_sheet_are_an_error(cycle: tuple[Path, dict[str, Path]]) -> None:
    master, templates = cycle
    book = openpyxl.load_workbook(templates["SOMTC"])
    copy = book.copy_worksheet(book[SHEET])
    copy.title = "A. Prevention (2)"
    copy[f"{letter('status')}2"] = "Postponed"
    book[SHEET][f"{letter('status')}2"] = "Ongoing"
    book.save(templates["SOMTC"])
    result = merge_returns(master, [templates["SOMTC"]])
    assert result.report.exit_code == 1
    assert ("ROW_202", "A. Prevention (2)") in {(f.code, f.sheet) for f in result.report.errors}
    assert master_values(master)[SHARED_ROW]["status"] == "Ongoing"


# 6 -------------------------------------------------------------------------------------------------------------


def two_rounds(master: Path, templates: dict[str, Path], tmp_path: Path) -> None:
    """SOMTC reports Ongoing, then (a later run) Completed: the second return supersedes the first."""
    first = fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}}, out=tmp_path / "first.xlsx")
    merge_returns(master, [first], now=dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc))
    second = fill(
        templates["SOMTC"],
        {SHARED_ROW: {"status": "Postponed", "progress": "Moved to 2027"}},
        out=tmp_path / "second.xlsx",
    )
    merge_returns(master, [second], now=dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc))
    assert master_values(master)[SHARED_ROW]["status"] == "Postponed"


def edited_record_sheet(master: Path, title: str, change: Callable[[list[list[object]]], list[list[object]]]) -> None:
    """A person's edit of a record sheet (unprotected, rows sorted or deleted, headers renamed), saved by openpyxl."""
    book = openpyxl.load_workbook(master)
    sheet = book[title]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    rows = change(rows)
    sheet.delete_rows(1, sheet.max_row)
    for row in rows:
        sheet.append(row)
    book.save(master)


def test_item06_sorting_audit_newest_first_changes_nothing(cycle: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    """(Deleted record lines are refused: tests/test_return_identity.py.)"""
    master, templates = cycle
    two_rounds(master, templates, tmp_path)
    acwc = fill(templates["ACWC"], {SHARED_ROW: {"resource_needs": "Interpreters"}})
    edited_record_sheet(
        master, "Audit", lambda rows: [rows[0], *sorted(rows[1:], key=lambda r: str(r[0]), reverse=True)]
    )
    merge_returns(master, [acwc])
    shown = master_values(master)[SHARED_ROW]
    assert (shown["status"], shown["progress"], shown["resource_needs"]) == (  # not the superseded Ongoing
        "Postponed",
        "Moved to 2027",
        "Interpreters",
    )


@pytest.mark.parametrize("damage", ["Value header renamed", "Period column deleted"])
def test_item06_a_damaged_history_is_not_rewritten_and_the_backup_is_named(
    cycle: tuple[Path, dict[str, Path]], tmp_path: Path, damage: str
) -> None:
    master, templates = cycle
    two_rounds(master, templates, tmp_path)

    def change(rows: list[list[object]]) -> list[list[object]]:
        if damage == "Value header renamed":
            return [["Reported value" if v == "Value" else v for v in rows[0]], *rows[1:]]
        at = rows[0].index("Period")
        return [row[:at] + row[at + 1 :] for row in rows]

    edited_record_sheet(master, HISTORY.title, change)
    before = master.read_bytes()
    fill(templates["ACWC"], {SHARED_ROW: {"resource_needs": "Interpreters"}})
    result = merge_returns(master, [templates["ACWC"]])
    assert not result.written and master.read_bytes() == before
    (finding,) = result.report.fatal
    assert finding.code == "MERGE_524" and finding.sheet == HISTORY.title
    assert "backups" in finding.message and ".xlsx" in finding.message
