"""Read a batch of returns on two CPU cores: a forked child process takes every second file.

Reading a return is CPU work in one process (python-calamine holds the interpreter lock while it parses, and the
checks are Python), so a second core helps only as a second process. On Linux a forked child starts in about a
millisecond with everything already loaded (the plan, the rules, the master's context), reads its half of the
files and sends back plain results (pickled `Submission`/`Refusal` data); the parent reads the other half at the
same time and hands all results on in the files' order, as a serial loop would.

The child is also a fence around untrusted input: if reading a file kills it (a parser crash, the kernel's
out-of-memory killer), the parent is unharmed, that one file is reported through `crashed`, and the parent reads
the child's remaining files itself.

Everywhere else it is a plain loop: on Windows and macOS (no safe fork, and a spawned interpreter would cost more
than it saves), when another thread is running (forking a threaded process is unsafe), for fewer than
`MIN_ITEMS` items, with one CPU, or when TIPWP_WORKERS=1 is set.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_ITEMS = 4  # below this the fork and the pickling are not paid back


def can_fork() -> bool:
    if os.environ.get("TIPWP_WORKERS", "").strip() == "1":
        return False
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return False
    return len(os.sched_getaffinity(0)) >= 2


def map_in_two(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    crashed: Callable[[Item, str], Result],
    weights: Sequence[float] | None = None,
    started: Callable[[Item], None] | None = None,
) -> list[Result]:
    """[function(item) for item in items], with a forked child computing about half of them when it pays.

    `weights` (file sizes, say) share the work out evenly: heaviest first, each to the side with less so far.
    `started(item)` is called in this process as each item is begun here or arrives from the child (progress).
    `crashed(item, why)` stands in for the result of the item the child died on. `function` must not raise for
    the child's sake (an exception there makes the parent compute that item itself, raising the same way)."""
    if len(items) < MIN_ITEMS or not can_fork():
        return [_run(function, item, started) for item in items]
    import multiprocessing

    mine, theirs = _share(len(items), weights)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(function, [items[i] for i in theirs], sender), daemon=True)
    child.start()
    sender.close()
    results: dict[int, Result] = {}
    try:
        for index in mine:
            results[index] = _run(function, items[index], started)
        for done, index in enumerate(theirs):
            try:
                status, payload = receiver.recv()
            except (EOFError, OSError):
                child.join(5)
                results[index] = crashed(items[index], _exit_reason(child.exitcode))
                for rest in theirs[done + 1 :]:
                    results[rest] = _run(function, items[rest], started)
                break
            if started:
                started(items[index])
            results[index] = payload if status == "ok" else function(items[index])
    finally:
        receiver.close()
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
    return [results[index] for index in range(len(items))]


def _run(function: Callable[[Item], Result], item: Item, started: Callable[[Item], None] | None) -> Result:
    if started:
        started(item)
    return function(item)


def _share(count: int, weights: Sequence[float] | None) -> tuple[list[int], list[int]]:
    """(this process's positions, the child's), each in the items' order, balanced by weight."""
    if weights is None:
        return list(range(0, count, 2)), list(range(1, count, 2))
    sides: tuple[list[int], list[int]] = ([], [])
    loads = [0.0, 0.0]
    for index in sorted(range(count), key=lambda i: -weights[i]):
        side = 0 if loads[0] <= loads[1] else 1
        sides[side].append(index)
        loads[side] += weights[index]
    return sorted(sides[0]), sorted(sides[1])


def _child(function: Callable[[Any], Any], items: Sequence[Any], sender: Any) -> None:
    for item in items:
        try:
            result = function(item)
            sender.send(("ok", result))
        except Exception as exc:  # the parent computes this item itself and sees the same problem
            sender.send(("error", repr(exc)))
    sender.close()


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "the reader process stopped answering"
    if code < 0:
        import signal

        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the reader process was stopped by {name} while reading it"
    return f"the reader process ended (exit code {code}) while reading it"
