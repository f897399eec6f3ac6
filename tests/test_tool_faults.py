"""Our bugs are ours: an error raised by tipwp's own code while it handles one file is reported as the tool's fault
(TOOL_901, with the traceback logged), never as the sender's damaged file, and the other files still go through.

The bug is injected for real: the reader function the merge and validation call is replaced by one that raises a
KeyError (a typical slip of ours) for one file only, and reads every other file as usual.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.returns_kit import fill, issue, master_values
from xlsx_tools import faults
from xlsx_tools.merge import read_return
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.validate import checks
from xlsx_tools.validate.run import validate_files

BUGGY = "SOMTC.xlsx"


def _reader_with_a_bug(original: Any) -> Any:
    def read(path: Path, *args: Any) -> Any:
        if Path(path).name == BUGGY:
            return {}["a key our code forgot"]
        return original(path, *args)

    return read


@pytest.fixture
def returns(master_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    monkeypatch.setattr(faults.tempfile, "gettempdir", lambda: str(tmp_path))  # the log goes beside the test's files
    issued = issue(master_copy, tmp_path / "issued", asbs=("ACWC", "SOMTC"))
    good = fill(issued["ACWC"], {"A.1.1-01": {"status": "Ongoing"}}, out=tmp_path / "ACWC.xlsx")
    buggy = fill(issued["SOMTC"], {"A.1.1-02": {"status": "Ongoing"}}, out=tmp_path / BUGGY)
    master = Path(shutil.copy(master_copy, tmp_path / "master.xlsx"))
    return master, good, buggy


def test_a_bug_while_merging_one_file_is_the_tools_fault(
    returns: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    master, good, buggy = returns
    monkeypatch.setattr(read_return, "read_workbook", _reader_with_a_bug(read_return.read_workbook))
    result = merge_returns(master, [buggy, good])

    assert [(o.file, o.outcome) for o in result.outcomes] == [(BUGGY, "refused"), ("ACWC.xlsx", "merged")]
    mine = [f for f in result.report.findings if f.file == BUGGY]
    assert [f.code for f in mine] == ["TOOL_901"]
    assert "not a problem with the file" in mine[0].message and "KeyError" in mine[0].message
    assert str(tmp_path / faults.LOG_NAME) in mine[0].message
    log = (tmp_path / faults.LOG_NAME).read_text(encoding="utf-8")
    assert "Traceback" in log and "a key our code forgot" in log and BUGGY in log
    assert result.written and master_values(master)["A.1.1-01"]["status"] == "Ongoing"


def test_a_bug_while_validating_one_file_is_the_tools_fault(
    returns: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, good, buggy = returns
    monkeypatch.setattr(checks, "read_workbook", _reader_with_a_bug(checks.read_workbook))
    report = validate_files([buggy, good])

    assert [f.code for f in report.findings if f.file.endswith(BUGGY)] == ["TOOL_901"]
    assert not [f for f in report.findings if f.file.endswith("ACWC.xlsx") and f.code.startswith(("FILE", "TOOL"))]
    assert report.exit_code == 2  # the run did not check everything it was given: not a clean exit
