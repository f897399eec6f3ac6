"""The two-process reader (xlsx_tools.parallel): same results as a plain loop, in order, and a crash in the child
costs one file, not the batch."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from xlsx_tools.merge.run import MergeOptions, merge_returns
from xlsx_tools.parallel import can_fork, map_in_two

PARENT = os.getpid()
forking = pytest.mark.skipif(not can_fork(), reason="needs Linux, two CPUs and no other thread running")


def tagged(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


def crashed(item: int, why: str) -> tuple[int, int]:
    return -item, 0


@forking
def test_the_child_takes_about_half_and_results_keep_their_order() -> None:
    items = list(range(9))
    results = map_in_two(tagged, items, crashed, weights=[1, 1, 1, 1, 1, 1, 1, 1, 20])
    assert [value for value, _ in results] == [i * i for i in items]
    by_child = [i for i, (_, pid) in zip(items, results, strict=True) if pid != PARENT]
    assert by_child and len(by_child) < len(items)
    heavy_side = 8 in by_child
    assert len(by_child) == (1 if heavy_side else 8)  # the heavy item alone balances the eight light ones


def test_few_items_or_one_worker_stay_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {pid for _, pid in map_in_two(tagged, [1, 2, 3], crashed)} == {PARENT}
    monkeypatch.setenv("TIPWP_WORKERS", "1")
    assert not can_fork()
    assert {pid for _, pid in map_in_two(tagged, list(range(8)), crashed)} == {PARENT}


def die_on_seven(item: int) -> tuple[int, int]:
    if item == 7 and os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    return tagged(item)


@forking
def test_a_child_killed_on_one_item_costs_that_item_only() -> None:
    seen: list[str] = []

    def note_crash(item: int, why: str) -> tuple[int, int]:
        seen.append(why)
        return crashed(item, why)

    items = list(range(12))
    results = map_in_two(die_on_seven, items, note_crash)  # no weights: the child takes the odd positions
    assert results[7] == (-7, 0)
    assert [value for i, (value, _) in enumerate(results) if i != 7] == [i * i for i in items if i != 7]
    assert seen and "SIGKILL" in seen[0]
    assert all(pid == PARENT for _, pid in results[8:])  # the child's remaining items were read here


def fails_on_three(item: int) -> int:
    if item == 3:
        raise RuntimeError("three")
    return item


@forking
def test_an_exception_in_the_child_is_raised_here_as_a_plain_loop_would() -> None:
    with pytest.raises(RuntimeError, match="three"):
        map_in_two(fails_on_three, list(range(8)), lambda item, why: -1)


@pytest.fixture
def filled_returns(master_copy: Path, tmp_path: Path) -> list[Path]:
    """Every body's return of the 2.0 plan, every row filled: 12 files."""
    import random

    from tests.returns_kit import fill_every_row, issue

    rng = random.Random(11)
    templates = issue(master_copy, tmp_path / "templates")
    (tmp_path / "filled").mkdir()
    return [fill_every_row(path, rng, out=tmp_path / "filled" / path.name) for path in templates.values()]


@forking
def test_a_forked_merge_equals_a_serial_one(
    master_copy: Path, filled_returns: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    forked = merge_returns(master_copy, filled_returns, MergeOptions(dry_run=True))
    monkeypatch.setenv("TIPWP_WORKERS", "1")
    serial = merge_returns(master_copy, filled_returns, MergeOptions(dry_run=True))
    assert [(o.file, o.outcome, o.accepted, o.conflicts) for o in forked.outcomes] == [
        (o.file, o.outcome, o.accepted, o.conflicts) for o in serial.outcomes
    ]
    assert all(o.outcome == "merged" for o in forked.outcomes)
    assert forked.changes == serial.changes and forked.changes
    assert [f.code for f in forked.report.findings] == [f.code for f in serial.report.findings]


@forking
def test_a_file_that_kills_the_reader_is_refused_and_the_rest_merge(
    master_copy: Path, filled_returns: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlsx_tools.merge.read_return as read_return_module
    from xlsx_tools.parallel import _share

    _, childs = _share(len(filled_returns), [float(p.stat().st_size) for p in filled_returns])
    victim = filled_returns[childs[0]]  # the first file the child reads
    real = read_return_module.read_return

    def reader(path: Path, target: object) -> object:
        if path == victim and os.getpid() != PARENT:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(path, target)  # type: ignore[arg-type]

    monkeypatch.setattr(read_return_module, "read_return", reader)
    result = merge_returns(master_copy, filled_returns, MergeOptions(dry_run=True))
    outcomes = {o.file: o for o in result.outcomes}
    refused = outcomes.pop(victim.name)
    assert refused.outcome == "refused"
    assert [f.code for f in refused.findings] == ["FILE_005"]
    assert "SIGKILL" in refused.findings[0].detail and victim.name == refused.findings[0].file
    assert all(o.outcome == "merged" for o in outcomes.values()) and len(outcomes) == len(filled_returns) - 1
