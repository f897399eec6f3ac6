"""Issue 18, item 8: the master's lock under many processes at once, with and without a stale lock left by a
process that died. In every round all workers race for the lock (released together by a barrier); each, once
inside, marks its presence with an O_EXCL file (a second one inside finds the mark: a violation), reads a counter,
waits a little, writes it back plus one. After each round the counter must equal the number of entries so far (no
lost update) and no violation may have been seen. Three rounds in four start with a stale lock planted (the JSON a
killed merge leaves: a dead process of this machine), which the workers must take over with exactly one winner.

Bounded: every wait has a deadline; the whole test takes a few seconds.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from xlsx_tools.merge.lock import LockedError, lock_path, master_lock

pytestmark = pytest.mark.slow  # processes racing for the lock: kept out of the fast loop

WORKERS = 8
ROUNDS = 120
DEADLINE = 20.0  # seconds a worker may spend getting into the lock in one round


def _worker(master: str, start: object, done: object, violations: object, index: int) -> None:
    path = Path(master)
    counter = path.with_name("counter")
    inside = path.with_name("inside")
    for _ in range(ROUNDS):
        start.wait(timeout=15)  # type: ignore[attr-defined]
        until = time.monotonic() + DEADLINE
        while True:
            try:
                with master_lock(path):
                    try:
                        os.close(os.open(inside, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                    except FileExistsError:
                        with violations.get_lock():  # type: ignore[attr-defined]
                            violations.value += 1  # type: ignore[attr-defined]
                    text = counter.read_text()
                    if not text.isdigit():  # another one is inside, writing it right now
                        with violations.get_lock():  # type: ignore[attr-defined]
                            violations.value += 1  # type: ignore[attr-defined]
                        text = "0"
                    time.sleep(0.0005)
                    counter.write_text(str(int(text) + 1))
                    inside.unlink(missing_ok=True)
                break
            except LockedError:
                if time.monotonic() > until:
                    raise
                time.sleep(0.0005 + 0.0002 * index)
        done.wait(timeout=15)  # type: ignore[attr-defined]


def dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def test_item08_many_processes_one_inside_no_update_lost_with_and_without_a_stale_lock(tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    master.write_bytes(b"")
    (tmp_path / "counter").write_text("0")
    context = multiprocessing.get_context("fork")
    start = context.Barrier(WORKERS + 1)
    done = context.Barrier(WORKERS + 1)
    violations = context.Value("i", 0)
    workers = [context.Process(target=_worker, args=(str(master), start, done, violations, i)) for i in range(WORKERS)]
    for worker in workers:
        worker.start()
    began = time.monotonic()
    stale_rounds = 0
    finished = False
    try:
        for round_no in range(ROUNDS):
            if round_no % 4:
                owner = {"pid": dead_pid(), "host": socket.gethostname(), "since": "killed"}
                lock_path(master).write_text(json.dumps(owner))
                stale_rounds += 1
            start.wait(timeout=15)
            done.wait(timeout=15)
            assert int((tmp_path / "counter").read_text()) == WORKERS * (round_no + 1), f"lost update, round {round_no}"
            assert violations.value == 0, f"two processes inside the lock, round {round_no}"
            assert not lock_path(master).exists()
        finished = True
    finally:
        if not finished:  # a failed round releases the workers at once (their waits raise), not after timeouts
            start.abort()
            done.abort()
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    assert [w.exitcode for w in workers] == [0] * WORKERS
    assert stale_rounds == ROUNDS * 3 // 4
    assert time.monotonic() - began < 60
