"""Shared fixtures: real master workbooks built once per session by the real writer."""

from __future__ import annotations

import os

# openpyxl writes through lxml when it can import it, and lxml is here only for the tests (the fidelity gate): write
# the way an installation without it does, so the tests check the files users get (tests/test_fidelity_gate.py)
os.environ["OPENPYXL_LXML"] = "False"

import shutil
from pathlib import Path

import pytest

from xlsx_tools.workbook.master import build_master

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def master_bwp2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("master") / "master.xlsx"
    build_master(path, plan_id="bwp2", period="2026-H2")
    return path


@pytest.fixture(scope="session")
def master_bwp1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("master1") / "master-bwp1.xlsx"
    build_master(path, plan_id="bwp1")
    return path


@pytest.fixture
def master_copy(master_bwp2: Path, tmp_path: Path) -> Path:
    """A fresh copy of the 2.0 master that a test may edit."""
    target = tmp_path / "return.xlsx"
    shutil.copy(master_bwp2, target)
    return target


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice is part of the test environment (.ci/run installs it); its absence is a setup error."""
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        raise RuntimeError(
            "LibreOffice (soffice) is not installed; run .ci/run or apt-get install libreoffice-calc-nogui"
        )
    return path


@pytest.fixture(scope="session")
def fidelity_corpus(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict[str, Path]:
    """One file of every kind tipwp writes (tests/fidelity/corpus.py), for the Excel-fidelity gate."""
    from tests.fidelity.corpus import build_corpus

    return build_corpus(tmp_path_factory.mktemp("fidelity"))
