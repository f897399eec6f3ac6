"""Fuzzing the reader: a return damaged anywhere — in its zip bytes, or inside the XML of any part with the zip left
valid — is read or refused with findings that name the file; it never raises, and never takes the process down.

Two kinds of damage: bytes of the file flipped, zeroed or cut off (what a bad disk, a broken upload or an e-mail
gateway does), and the XML of one part mangled and packed again with correct checksums (what a buggy exporter or a
hand edit does), so that the damage reaches calamine and the sheet XML scan instead of stopping at the CRC check.
"""

from __future__ import annotations

import random
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.returns_kit import fill_every_row, issue
from xlsx_tools.findings import CATALOGUE
from xlsx_tools.issue_token import master_key, tokens_required
from xlsx_tools.merge.master_book import MasterError, open_master
from xlsx_tools.merge.model import Refusal, Submission
from xlsx_tools.merge.read_return import MergeTarget, read_return
from xlsx_tools.validate.checks import validate_file

pytestmark = pytest.mark.slow  # long: kept out of the fast loop (tests/conftest.py)


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory, master_bwp2: Path) -> tuple[MergeTarget, bytes]:
    folder = tmp_path_factory.mktemp("fuzz")
    templates = issue(master_bwp2, folder / "templates", asbs=("ACWC",))
    filled = fill_every_row(templates["ACWC"], random.Random(5), out=folder / "ACWC.xlsx")
    opened = open_master(master_bwp2)
    target = MergeTarget(
        context=opened.context,
        plan_version=opened.context.plan.version,
        period=opened.state.period,
        issue_key=master_key(opened.identity),
        tokens_required=tokens_required(opened.identity),
    )
    assert isinstance(read_return(filled, target), Submission)  # undamaged, it merges
    return target, filled.read_bytes()


def check(path: Path, target: MergeTarget) -> None:
    item = read_return(path, target)
    assert isinstance(item, (Submission, Refusal))
    event(
        f"{type(item).__name__}: {', '.join(sorted({f.code for f in item.findings})[:3])}"
    )  # --hypothesis-show-statistics
    findings = item.findings
    assert all(f.code in CATALOGUE and f.file == path.name for f in findings)
    if isinstance(item, Refusal):
        assert findings, "a refused file says why"
    for finding in validate_file(path):  # `tipwp validate` reads it the same way, without raising
        assert finding.code in CATALOGUE


def damaged(clean: bytes, damage: list) -> bytes:
    """`clean` with bytes flipped, runs zeroed, or the rest cut off, at the given fractions of its length."""
    data = bytearray(clean)
    for kind, where, value in damage:
        at = int(where * (len(data) - 1))
        if kind == "flip":
            data[at] ^= value
        elif kind == "zero":
            data[at : at + value] = bytes(len(data[at : at + value]))
        else:
            del data[max(at, 1) :]
    return bytes(data)


byte_damage = st.lists(
    st.tuples(st.sampled_from(["flip", "zero", "cut"]), st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=6
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=byte_damage)
def test_damaged_bytes_are_refused_or_read_never_raised(setting: tuple[MergeTarget, bytes], damage: list) -> None:
    target, clean = setting
    data = damaged(clean, damage)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "2026-H2_ACWC_return.xlsx"
        path.write_bytes(data)
        check(path, target)


PARTS = (
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "[Content_Types].xml",
    "xl/worksheets/sheet2.xml",
    "xl/worksheets/sheet3.xml",
    "xl/worksheets/sheet8.xml",
)
SNIPPETS = ("<", ">", '"', "&", "</c>", "<f>", 't="e"', "<v>", "</row>", "r=", "\x00", "\u00e9", "]]>")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    part=st.sampled_from(PARTS),
    edits=st.lists(
        st.tuples(st.sampled_from(["insert", "delete", "cut"]), st.floats(0, 1), st.sampled_from(SNIPPETS)),
        min_size=1,
        max_size=4,
    ),
)
def test_mangled_xml_in_a_valid_zip_is_refused_or_read_never_raised(
    setting: tuple[MergeTarget, bytes], part: str, edits: list
) -> None:
    target, clean = setting
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "clean.xlsx"
        source.write_bytes(clean)
        path = Path(folder) / "2026-H2_ACWC_return.xlsx"
        with zipfile.ZipFile(source) as inner, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as outer:
            for info in inner.infolist():
                data = inner.read(info)
                if info.filename == part:
                    text = bytearray(data)
                    for kind, where, snippet in edits:
                        at = int(where * len(text))
                        if kind == "insert":
                            text[at:at] = snippet.encode()
                        elif kind == "delete":
                            del text[at : at + len(snippet)]
                        else:
                            del text[at:]
                    data = bytes(text)
                outer.writestr(info.filename, data)
        check(path, target)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=byte_damage)
def test_a_damaged_master_is_refused_with_merge_511_never_raised(master_bwp2: Path, damage: list) -> None:
    """The master gets the same treatment: a merge into a damaged one stops with MERGE_511 and writes nothing."""
    from xlsx_tools.merge.run import MergeOptions, merge_returns

    data = damaged(master_bwp2.read_bytes(), damage)
    with tempfile.TemporaryDirectory() as folder:
        master = Path(folder) / "master.xlsx"
        master.write_bytes(data)
        try:
            open_master(master)
        except MasterError as exc:
            assert exc.finding.code == "MERGE_511" and exc.finding.file == "master.xlsx"
            result = merge_returns(master, [], MergeOptions())
            assert [f.code for f in result.report.findings] == ["MERGE_511"] and not result.written
            assert master.read_bytes() == data
