"""One file of every kind tipwp writes, made by the real code, for the Excel-fidelity gate.

A master of each plan; a return template as issued; that template filled in a real LibreOffice (a status chosen from
its dropdown, text typed, one bad status) and saved by it; the annotated copy `tipwp validate --annotate` writes of
it; the findings workbook linking to it (from a folder name with a space, as on a shared drive); the master after
merging it (record sheets written) and after opening the next period; the backup that write left; the status
matrix of that master (charts, comments, outline); and the add-in `tipwp addin build` writes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.helpers import letter
from xlsx_tools.addin.build import build_addin
from xlsx_tools.matrix.run import build_matrix
from xlsx_tools.merge.run import merge_returns, open_new_period
from xlsx_tools.report.annotate import annotate_file
from xlsx_tools.report.findings_book import write_findings_book
from xlsx_tools.returns.issue import issue_templates
from xlsx_tools.validate.run import validate_files
from xlsx_tools.workbook.master import build_master

KINDS = (
    "master-bwp2",
    "master-bwp1",
    "template",
    "lo-return",
    "annotated",
    "findings",
    "merged-master",
    "backup",
    "matrix",
    "addin",
)
FILL = Path(__file__).resolve().parent.parent / "lo_fill.py"
SYSTEM_PYTHON = "/usr/bin/python3"
SHEET = "A. Prevention"
PERIOD = "2026-H2"
BAD_STATUS = "Done?"


def lo_fill(template: Path, output: Path, edits: list[dict[str, object]], workdir: Path) -> dict[str, str]:
    """Fill `template` in a real LibreOffice (tests/lo_fill.py) and let it save `output`."""
    spec = workdir / "lo-fill.json"
    spec.write_text(json.dumps({"input": str(template), "output": str(output), "edits": edits}), encoding="utf-8")
    run = subprocess.run(
        [SYSTEM_PYTHON, str(FILL), str(spec)], capture_output=True, text=True, timeout=300, check=False
    )
    if run.returncode != 0 or not output.is_file():
        raise RuntimeError(f"lo_fill failed ({run.returncode}): {run.stderr}")
    return json.loads(run.stdout)["written"]


def build_corpus(folder: Path) -> dict[str, Path]:
    """Write one file of every kind in KINDS into `folder`; returns kind → path."""
    files: dict[str, Path] = {}
    master = folder / "master.xlsx"
    build_master(master, plan_id="bwp2", period=PERIOD)
    files["master-bwp2"] = folder / "fresh" / "master-bwp2.xlsx"
    files["master-bwp2"].parent.mkdir()
    shutil.copy(master, files["master-bwp2"])
    files["master-bwp1"] = folder / "fresh" / "master-bwp1.xlsx"
    build_master(files["master-bwp1"], plan_id="bwp1")
    issued = issue_templates(master, PERIOD, folder / "issued", asbs=["SOMTC"])
    files["template"] = issued[0].path
    returned = folder / "returns 2026-H2" / "SOMTC return (filled).xlsx"
    returned.parent.mkdir()
    lo_fill(
        files["template"],
        returned,
        [
            {"sheet": SHEET, "cell": f"{letter('status')}2", "choose": 2},
            {"sheet": SHEET, "cell": f"{letter('progress')}2", "type": "Workshop held in Manila; 40 officers trained."},
            {"sheet": SHEET, "cell": f"{letter('event_dates')}2", "type": "12 May 2026"},
            {"sheet": SHEET, "cell": f"{letter('status')}3", "type": BAD_STATUS},
        ],
        folder,
    )
    files["lo-return"] = returned
    report = validate_files([returned])
    annotated = annotate_file(returned, report.findings)
    assert annotated is not None, "the filled return has findings to annotate"
    files["annotated"] = annotated
    files["findings"] = write_findings_book(report, folder / "validation-findings.xlsx")
    merged = merge_returns(master, [returned])
    assert merged.written, merged.report.codes()
    files["merged-master"] = folder / "merged" / "master.xlsx"
    files["merged-master"].parent.mkdir()
    shutil.copy(master, files["merged-master"])
    opened = open_new_period(master, "2027-H1")
    assert opened.written and opened.backup is not None, opened.report.codes()
    files["backup"] = opened.backup
    files["matrix"] = build_matrix(master, PERIOD, folder / "status-matrix.xlsx").workbook
    files["addin"] = build_addin(folder / "tipwp.xlam")
    return files
