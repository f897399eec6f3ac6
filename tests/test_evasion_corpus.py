"""Issue 18, item 3: an evasion corpus for the far-cell check. Each entry is a filled return whose 'A. Prevention'
part is rewritten to reach a far cell in one valid spelling of rows, cells or part names; python-calamine, which
allocates a sheet's whole used range at once, would try to allocate gigabytes for any of them (the old byte search
missed them: SIGABRT, the batch lost). All of them go into one real `tipwp merge`, between two good returns, under
an address-space limit that keeps this machine safe if one slips through: each must be refused, the good returns
merged, peak memory under 1 GB and the whole batch done within seconds.

Then a relocated worksheet part (named through the workbook's relationships, stored outside xl/worksheets/) must be
read like any other: its values merged, its formula and error cells found, in any spelling.
"""

from __future__ import annotations

import json
import posixpath
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import rewrite_zip
from tests.returns_kit import fill, issue, master_values
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.workbook.master import build_master

SHARED_ROW = "A.1.1-01"
PART = "xl/worksheets/sheet2.xml"  # 'A. Prevention' in an issued template
TIPWP = str(Path(sys.executable).parent / "tipwp")
ADDRESS_SPACE = 3 * 1024**3  # the merge's limit: a slip-through fails fast instead of taking the machine down
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

Edit = Callable[[str], str]


def before_end(extra: str) -> Edit:
    """Insert `extra` just before </sheetData> (after every real row)."""
    return lambda xml: xml.replace("</sheetData>", extra + "</sheetData>")


def after_start(extra: str) -> Edit:
    """Insert `extra` just after <sheetData> (before the real rows: out of order)."""
    return lambda xml: xml.replace("<sheetData>", "<sheetData>" + extra, 1)


def unnumbered_rows(xml: str) -> str:
    """5,000 rows without r, then a row of 1,000 cells without r: 5 million cells from 34 KB."""
    return before_end("<row/>" * 5_000 + "<row>" + "<c/>" * 1_000 + "</row>")(xml)


def prefixed(xml: str) -> str:
    far = f'<x:row xmlns:x="{MAIN}" r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
    return before_end(far)(xml)


def dimension_lies(xml: str) -> str:
    head, _, rest = xml.partition("<sheetData>")
    head = head.replace("<dimension", "<dimension_old") if "<dimension" in head else head
    return before_end('<row r="900000"><c r="XFD900000"><v>1</v></c></row>')(head + "<sheetData>" + rest)


SPELLINGS: dict[str, Edit] = {
    "single quotes": before_end("<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>"),
    "tab and newline in tags": before_end('<row\n\tr="1048576"\n><c\tr="XFD1048576"\n><v>1</v></c></row>'),
    "spaces around =": before_end('<row r = "1048576"><c r = "XFD1048576"><v>1</v></c></row>'),
    "long attribute padding": before_end(
        f'<row spans="1:2" x14ac:dyDescent="{"0" * 2000}" r="1048576"><c s="0" r="XFD1048576"><v>1</v></c></row>'
    ),
    "> inside a quoted attribute": before_end('<row r="1048576"><c t="n" x="a>b" r="XFD1048576"><v>1</v></c></row>'),
    "character reference in r": before_end('<row r="&#49;048576"><c r="&#88;FD1048576"><v>1</v></c></row>'),
    "rows out of order": after_start('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
    "cell r beyond its row": before_end('<row r="70"><c r="XFD1048576"><v>1</v></c></row>'),
    "rows and cells without r": unnumbered_rows,
    "prefixed namespace": prefixed,
    "dimension says A1": dimension_lies,
    "no row tag numbers, far cell": before_end('<row><c r="A900000"/><c r="XFD900000"/></row>'),
}


def relocated(template: Path, out: Path, edit: Edit, target: str = "data/pillar.dat") -> Path:
    """`template` with the 'A. Prevention' part edited and moved to `target` (relative to xl/, or absolute)."""
    with zipfile.ZipFile(template) as archive:
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        sheet = archive.read(PART).decode()
    name = posixpath.normpath(target).lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    assert 'Target="/xl/worksheets/sheet2.xml"' in rels
    return rewrite_zip(
        template,
        out,
        {
            "xl/_rels/workbook.xml.rels": rels.replace(
                'Target="/xl/worksheets/sheet2.xml"', f'Target="{target}"'
            ).encode(),
            name: edit(sheet).encode(),
        },
        drop={PART},
    )


def in_place(template: Path, out: Path, edit: Edit) -> Path:
    with zipfile.ZipFile(template) as archive:
        sheet = archive.read(PART).decode()
    return rewrite_zip(template, out, {PART: edit(sheet).encode()})


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("evasion")
    master = folder / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H2")
    templates = issue(master, folder / "templates", asbs=("SOMTC", "SOM-ED", "ACWC"))
    fill(templates["SOMTC"], {SHARED_ROW: {"status": "Ongoing"}})
    return master, templates


def test_item03_every_spelling_of_a_far_cell_is_refused_in_seconds_under_1_gb(
    issued: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master_made, templates = issued
    master = Path(shutil.copy(master_made, tmp_path / "master.xlsx"))
    good = [
        fill(templates["SOM-ED"], {SHARED_ROW: {"resource_needs": "Interpreters"}}, out=tmp_path / "good-1.xlsx"),
        fill(templates["ACWC"], {SHARED_ROW: {"indicator_results": "3 shelters"}}, out=tmp_path / "good-2.xlsx"),
    ]
    corpus = []
    for number, edit in enumerate(SPELLINGS.values()):
        corpus.append(in_place(templates["SOMTC"], tmp_path / f"far-{number:02}.xlsx", edit))
        corpus.append(relocated(templates["SOMTC"], tmp_path / f"far-{number:02}-moved.xlsx", edit))
    corpus.append(
        relocated(templates["SOMTC"], tmp_path / "far-absolute.xlsx", SPELLINGS["single quotes"], "/xl/x/../y/s.bin")
    )

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    began = time.monotonic()
    process = subprocess.Popen(
        [TIPWP, "merge", str(master), str(good[0]), *map(str, corpus), str(good[1]), "--json", "--limit", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=limited,
    )
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the merge did not finish in 120 s")
    took = time.monotonic() - began
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the largest child so far: this one
    assert process.returncode == 2, f"exit {process.returncode}: {err.decode()[-1500:]}"
    data = json.loads(out)
    outcomes = {row["file"]: row["outcome"] for row in data["summary"]}
    assert outcomes.pop("good-1.xlsx") == "merged" and outcomes.pop("good-2.xlsx") == "merged"
    assert set(outcomes.values()) == {"refused"} and len(outcomes) == len(corpus)
    fatal = {f["file"]: f["code"] for f in data["findings"] if f["severity"] == "fatal"}
    assert fatal == {path.name: "FILE_010" for path in corpus}, fatal
    assert peak < 1024**3, f"peak memory {peak / 1024**2:.0f} MB"
    assert took < 8 + len(corpus) * 0.5, f"{len(corpus)} refusals took {took:.1f} s"
    print(f"{len(corpus)} far-cell files refused in {took:.1f} s, peak {peak / 1024**2:.0f} MB")


def test_item03_a_relocated_worksheet_is_read_like_any_other(
    issued: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    master_made, templates = issued
    master = Path(shutil.copy(master_made, tmp_path / "master.xlsx"))
    moved = relocated(templates["SOMTC"], tmp_path / "moved.xlsx", lambda xml: xml)
    result = merge_returns(master, [moved])
    assert result.written and master_values(master)[SHARED_ROW]["status"] == "Ongoing"

    def formula_and_error(xml: str) -> str:
        """A prefixed formula and an error value spelt with spaces and single quotes, in a row below the plan."""
        cells = f'<c r="Y90"><x:f xmlns:x="{MAIN}">A1*2</x:f></c><c r="Z90" t = \'e\'><v>#REF!</v></c>'
        return xml.replace("</sheetData>", f'<row r="90">{cells}</row></sheetData>')

    odd = relocated(templates["SOMTC"], tmp_path / "odd.xlsx", formula_and_error)
    checked = merge_returns(Path(shutil.copy(master_made, tmp_path / "m2.xlsx")), [odd])
    found = {(f.code, f.cell) for f in checked.report.findings if f.code in ("CELL_301", "CELL_302")}
    assert ("CELL_301", "Y90") in found and ("CELL_302", "Z90") in found


def test_reading_a_sheet_extent_costs_one_pass() -> None:
    """The extent of a return's sheet is measured in milliseconds (a return is a few thousand cells)."""
    from xlsx_tools.workbook.sheet_xml import used_extent

    rows = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + "</row>"
        for r in range(1, 401)
    )
    xml = f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'.encode()
    began = time.perf_counter()
    assert used_extent(xml) == (400, 26)
    assert time.perf_counter() - began < 0.5


NEAR_SPELLINGS: dict[str, str] = {  # spellings a byte search could misread, each well inside the readable range
    "second r on a cell": '<row r="60"><c r="A60" r="Z60"><v>1</v></c></row>',
    "r after another attribute": '<row r="60"><c s="1" r="AB60"><v>1</v></c></row>',
    "comment holding a tag": '<!-- <row r="61"><c r="AC61"/></row> --><row r="60"><c r="A60"/></row>',
    "cell without r after a far one": '<row r="60"><c r="AD60"/><c/></row>',
    "row without r": '<row r="60"><c r="A60"/></row><row><c r="B61"/></row>',
    "r with spaces": '<row r="60"><c r = "AE60"/></row>',
    "r after a line break": '<row\nr="62"><c\r\nr="AF62"/></row>',
}


@pytest.mark.parametrize("spelling", [*SPELLINGS, *NEAR_SPELLINGS])
def test_the_byte_search_and_the_parser_agree_on_every_spelling(
    issued: tuple[Path, dict[str, Path]], spelling: str
) -> None:
    """The extent is taken from a byte search only where every tag is spelt plainly: it is never smaller than the
    parser's (a tag inside a comment may make it larger, which only a readability check sees), and it says
    "too large" only when the parser does. A part that is not well-formed goes to the parser and is refused."""
    from xlsx_tools.workbook.sheet_xml import SheetXmlError, _parsed_extent, readable_extent, used_extent

    _, templates = issued
    with zipfile.ZipFile(templates["SOMTC"]) as archive:
        sheet = archive.read(PART).decode()
    edit = SPELLINGS.get(spelling) or before_end(NEAR_SPELLINGS[spelling])
    part = edit(sheet).encode()
    try:
        exact = _parsed_extent(part)
    except SheetXmlError:
        with pytest.raises(SheetXmlError):
            used_extent(part)
        return
    measured = used_extent(part)
    assert measured[0] >= exact[0] and measured[1] >= exact[1]
    assert readable_extent(*measured) == readable_extent(*exact)
    if spelling != "comment holding a tag":
        assert measured == exact


def test_the_files_we_and_libreoffice_write_take_the_byte_search(issued: tuple[Path, dict[str, Path]]) -> None:
    """Every worksheet of a master and of a return (openpyxl's spelling) is measured by the byte search, which
    is what keeps a large History cheap to open; LibreOffice's files are checked in tests/test_return_words.py."""
    from xlsx_tools.workbook.sheet_xml import _parsed_extent, _plain_extent

    master, templates = issued
    for path in (master, templates["SOMTC"]):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    part = archive.read(name)
                    assert _plain_extent(part) == _parsed_extent(part), (path.name, name)
