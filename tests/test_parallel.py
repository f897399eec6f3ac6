"""The two-process reader (xlsx_tools.parallel): same results as a plain loop, in order, and a crash in the child
costs one file, not the batch."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from xlsx_tools.merge.run import MergeOptions, merge_returns
from xlsx_tools.parallel import SharedWork, can_fork

PARENT = os.getpid()


@pytest.fixture(autouse=True)
def two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here runs with the forked reader asked for (TIPWP_WORKERS=2: even on one CPU). Where forking is
    not safe (not Linux, another thread running) that fails here, loudly, rather than skipping the tests."""
    monkeypatch.setenv("TIPWP_WORKERS", "2")
    assert can_fork(), "the forked reader needs Linux and no other thread running"


def tagged(item: int) -> tuple[int, int]:
    time.sleep(0.005)  # long enough for both processes to take tickets
    return item * item, os.getpid()


def crashed(item: int, why: str) -> tuple[int, int]:
    return -item, 0


def shared(function: Callable[[int], Any], items: list[int], first: float = 0.0, **options: Any) -> list[Any]:
    """Run SharedWork as the merge does: other work first (`first` seconds), then the results."""
    with SharedWork(function, items, options.pop("crashed", crashed), **options) as work:
        time.sleep(first)
        return work.results()


def test_both_processes_take_files_and_results_keep_their_order() -> None:
    items = list(range(10))
    started: list[int] = []
    with SharedWork(tagged, items, crashed, weights=[float(i) for i in items]) as work:
        results = work.results(started.append)
    assert [value for value, _ in results] == [i * i for i in items]
    by_child = {i for i, (_, pid) in zip(items, results, strict=True) if pid != PARENT}
    assert by_child and len(by_child) < len(items)
    assert sorted(started) == items  # progress hears of every item, here or from the child


def test_the_child_works_while_this_process_does_something_else() -> None:
    results = shared(tagged, list(range(8)), first=0.2)  # the child has taken every ticket by then
    assert {pid for _, pid in results} - {PARENT}
    assert [value for value, _ in results] == [i * i for i in range(8)]


def test_few_items_or_one_worker_stay_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {pid for _, pid in shared(tagged, [1, 2, 3])} == {PARENT}
    monkeypatch.setenv("TIPWP_WORKERS", "1")
    assert not can_fork()
    assert {pid for _, pid in shared(tagged, list(range(8)))} == {PARENT}


def die_in_the_child(item: int) -> tuple[int, int]:
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    return tagged(item)


def test_a_child_killed_on_an_item_costs_that_item_only() -> None:
    seen: list[str] = []

    def note_crash(item: int, why: str) -> tuple[int, int]:
        seen.append(why)
        return crashed(item, why)

    items = list(range(12))
    results = shared(die_in_the_child, items, first=0.1, crashed=note_crash)  # the child dies on its first item
    lost = [i for i, (_, pid) in enumerate(results) if pid == 0]  # crashed() marks its stand-in with pid 0
    assert len(lost) == 1 and len(seen) == 1 and "SIGKILL" in seen[0]
    assert all(results[i] == (i * i, PARENT) for i in items if i not in lost)  # the rest were read here


_TAKEN = [0]  # items this process has begun (each process counts its own after the fork)


def die_on_the_childs_second_item(item: int) -> tuple[int, int]:
    _TAKEN[0] += 1
    if os.getpid() != PARENT and _TAKEN[0] == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return tagged(item)


def test_a_child_killed_while_this_process_still_has_files_costs_one_item() -> None:
    """The child dies mid-batch, while this process is still taking tickets (and looking for the child's results
    between its own items): only the item it died on is lost, this process reads every other one."""
    seen: list[str] = []

    def note_crash(item: int, why: str) -> tuple[int, int]:
        seen.append(why)
        return crashed(item, why)

    _TAKEN[0] = 0
    items = list(range(12))
    results = shared(die_on_the_childs_second_item, items, crashed=note_crash)
    lost = [i for i, (_, pid) in enumerate(results) if pid == 0]
    assert len(lost) == 1 and len(seen) == 1 and "SIGKILL" in seen[0]
    assert all(results[i][0] == i * i for i in items if i not in lost)
    assert any(pid not in (PARENT, 0) for _, pid in results)  # the child's first item came back


def large_result(item: int) -> tuple[bytes, int]:
    time.sleep(0.01)
    return b"x" * 200_000, os.getpid()  # three times what a pipe holds


def test_results_larger_than_the_pipe_do_not_stall_the_child() -> None:
    """This process takes the child's results as they come, between its own items: a child whose result does
    not fit in the pipe would otherwise wait, unable to take another ticket, until this process had done the rest."""
    results = shared(large_result, list(range(16)))
    by_child = sum(1 for _, pid in results if pid != PARENT)
    assert 4 <= by_child <= 12, by_child  # shared, roughly evenly; before, the child did one or two
    assert all(len(payload) == 200_000 for payload, _ in results)


def fails_on_three(item: int) -> int:
    time.sleep(0.002)
    if item == 3:
        raise RuntimeError("three")
    return item


def test_an_exception_in_the_child_is_raised_here_as_a_plain_loop_would() -> None:
    with pytest.raises(RuntimeError, match="three"):
        shared(fails_on_three, list(range(8)), first=0.1, crashed=lambda item, why: -1)


@pytest.fixture
def filled_returns(master_copy: Path, tmp_path: Path) -> list[Path]:
    """Every body's return of the 2.0 plan, every row filled: 12 files."""
    import random

    from tests.returns_kit import fill_every_row, issue

    rng = random.Random(11)
    templates = issue(master_copy, tmp_path / "templates")
    (tmp_path / "filled").mkdir()
    return [fill_every_row(path, rng, out=tmp_path / "filled" / path.name) for path in templates.values()]


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


def test_a_file_that_kills_the_reader_is_refused_and_the_rest_merge(
    master_copy: Path, filled_returns: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlsx_tools.merge.read_return as read_return_module

    real = read_return_module.read_return

    def reader(path: Path, target: object) -> object:
        if os.getpid() != PARENT:  # whatever file the child takes first kills it
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.02)  # so that the child surely takes one
        return real(path, target)  # type: ignore[arg-type]

    monkeypatch.setattr(read_return_module, "read_return", reader)
    result = merge_returns(master_copy, filled_returns, MergeOptions(dry_run=True))
    refused = [o for o in result.outcomes if o.outcome == "refused"]
    assert len(refused) == 1, [(o.file, o.outcome) for o in result.outcomes]
    assert [f.code for f in refused[0].findings] == ["FILE_005"]
    assert "SIGKILL" in refused[0].findings[0].detail and refused[0].findings[0].file == refused[0].file
    assert sum(o.outcome == "merged" for o in result.outcomes) == len(filled_returns) - 1


def slow(item: int) -> int:
    time.sleep(0.5)
    return item


def test_a_block_that_fails_before_the_results_stops_the_child_at_once() -> None:
    """A master that cannot be read ends the merge: the child's work is not waited for."""
    start = time.perf_counter()
    work = SharedWork(slow, list(range(20)), lambda item, why: -1)
    with pytest.raises(ValueError, match="master"), work:
        child = work._child
        assert child is not None and _running(child)
        raise ValueError("the master could not be read")
    assert time.perf_counter() - start < 2  # not 20 x 0.5 s
    assert not _running(child)  # killed and reaped


def _running(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False  # reaped already
    return done == 0


def pid_of(item: int) -> int:
    return os.getpid()


def test_a_pipe_too_small_for_the_tickets_keeps_the_work_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """A user over the kernel's pipe quota gets one-page pipes: no fork then, rather than a write that never ends."""
    import fcntl

    real_pipe = os.pipe

    def one_page_pipe() -> tuple[int, int]:
        read_end, write_end = real_pipe()
        fcntl.fcntl(write_end, 1031, 4096)  # F_SETPIPE_SZ
        return read_end, write_end

    monkeypatch.setattr(os, "pipe", one_page_pipe)
    items = list(range(2_000))  # 8,000 bytes of tickets
    with SharedWork(pid_of, items, lambda item, why: -1) as work:
        assert work._child is None
        assert set(work.results()) == {PARENT}


def test_one_cpu_keeps_the_work_here_unless_two_processes_are_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    monkeypatch.delenv("TIPWP_WORKERS")
    assert not can_fork()
    assert {pid for _, pid in shared(tagged, list(range(8)), first=0.2)} == {PARENT}
    monkeypatch.setenv("TIPWP_WORKERS", "2")
    assert can_fork()
    assert {pid for _, pid in shared(tagged, list(range(8)), first=0.2)} - {PARENT}


def a_little_slow(item: int) -> int:
    time.sleep(0.05)
    return item


def test_a_child_whose_parent_stops_listening_ends_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    with SharedWork(a_little_slow, list(range(8)), lambda item, why: -1) as work:
        child = work._child
        assert child is not None
        work._receiver.close()  # as when the merge process has gone
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    assert "Traceback" not in capfd.readouterr().err


def test_a_child_that_sent_everything_is_not_waited_for_and_is_reaped_later() -> None:
    from xlsx_tools import parallel

    with SharedWork(tagged, list(range(8)), crashed) as work:
        child = work._child
        work.results()
    assert child in parallel._ENDED  # left to end by itself
    time.sleep(0.2)
    with SharedWork(tagged, list(range(8)), crashed) as work:  # the next fork reaps it first
        assert child not in parallel._ENDED
        work.results()
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)


def unpicklable(item: int) -> Callable[[], tuple[int, int]]:
    pid = os.getpid()
    return lambda: (item, pid)  # a local function: pickle cannot send it back


def test_a_result_that_cannot_be_sent_back_is_computed_here() -> None:
    results = shared(unpicklable, list(range(8)), first=0.2)  # the child has taken tickets by then
    assert [result() for result in results] == [(i, PARENT) for i in range(8)]
