"""Shared fixtures: real master workbooks built once per session by the real writer; the test layers.

Layers (markers, set here from what a test uses, so they cannot drift): `libreoffice` for a test that drives a real
LibreOffice (it uses the `soffice` fixture), `files` for one that writes or reads real files, `core` for the rest
(plain Python data). Modules with long tests add `slow` themselves. The fast loop is
`pytest -m "not libreoffice and not slow"`.
"""

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
FILE_FIXTURES = {"tmp_path", "tmp_path_factory", "master_bwp2", "master_bwp1", "master_copy"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if "soffice" in used:
            item.add_marker(pytest.mark.libreoffice)
        item.add_marker(pytest.mark.files if used & FILE_FIXTURES else pytest.mark.core)


def missing(what: str) -> None:
    """A part of the test environment is not there: in CI (CI is set) that is a failure, since every test must run
    there; elsewhere (a laptop, Windows, macOS) the test is skipped, saying loudly what is missing."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI must run every test: .ci/run installs it)", pytrace=False)
    pytest.skip(f"NOT RUN: {what}")


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
    """LibreOffice, the real spreadsheet client of the tests (.ci/run installs it)."""
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        missing("LibreOffice (soffice) is not installed; apt-get install libreoffice-calc-nogui python3-uno")
    return str(path)


@pytest.fixture(scope="session")
def fidelity_corpus(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict[str, Path]:
    """One file of every kind tipwp writes (tests/fidelity/corpus.py), for the Excel-fidelity gate."""
    from tests.fidelity.corpus import build_corpus

    return build_corpus(tmp_path_factory.mktemp("fidelity"))
