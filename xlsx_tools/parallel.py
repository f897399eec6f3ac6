"""Read a batch of returns on two CPU cores: a forked child process shares the files with this one.

Reading a return is CPU work in one process (python-calamine holds the interpreter lock while it parses, and the
checks are Python), so a second core helps only as a second process. On Linux a forked child starts in about a
millisecond with everything already loaded (the plan, the rules, the master's plan context) and starts reading at
once, while this process goes on with its own work (reading the master's state) and then joins in. Each takes the
next file from a shared pipe of tickets, largest file first, so the two finish together whatever each had to do
first; the child sends back plain results (pickled `Submission`/`Refusal` data), which this process takes between
its own files (a pipe holds 64 KiB: left unread, the results of a large batch would stall the child), and
`results()` hands them all on in the files' order, as a serial loop would.

The child is also a fence around untrusted input: if reading a file kills it (a parser crash, the kernel's
out-of-memory killer), this process is unharmed, that one file is reported through `crashed`, and the files left
are read here.

Everywhere else it is a plain loop: on Windows and macOS (no safe fork, and a spawned interpreter would cost more
than it saves), when another thread is running (forking a threaded process is unsafe), for fewer than
`MIN_ITEMS` items, with one CPU, or when TIPWP_WORKERS=1 is set. TIPWP_WORKERS=2 asks for the two processes even
on one CPU (wherever forking is safe: Linux, no other thread), so that the tests always exercise them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_ITEMS = 4  # below this the fork and the pickling are not paid back
TICKET = struct.Struct("<I")  # 4 bytes: a pipe read of at most PIPE_BUF bytes is atomic, so no ticket is read twice
MAX_TICKETS = 60_000 // TICKET.size  # they must all fit in the pipe's buffer (64 KiB on Linux) before the fork


def can_fork() -> bool:
    """Whether a batch is shared with a forked child here: TIPWP_WORKERS "1" never, "2" wherever forking is safe,
    otherwise (unset) when it is safe and pays (two CPUs or more)."""
    workers = os.environ.get("TIPWP_WORKERS", "").strip()
    if workers == "1":
        return False
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return False
    return workers == "2" or len(os.sched_getaffinity(0)) >= 2


class SharedWork(Generic[Item, Result]):
    """function(item) for every item, shared with a forked child from the moment the `with` block is entered.

    Usage: `with SharedWork(read, files, crashed, sizes) as work: other_work(); results = work.results()`.
    `weights` (file sizes, say) set the order the files are taken in, heaviest first. `crashed(item, why)` stands
    in for the result of the item the child died on. `function` must not raise for the child's sake (if it does
    there, this process computes that item itself, raising the same way)."""

    def __init__(
        self,
        function: Callable[[Item], Result],
        items: Sequence[Item],
        crashed: Callable[[Item, str], Result],
        weights: Sequence[float] | None = None,
    ) -> None:
        self.function = function
        self.items = list(items)
        self.crashed = crashed
        order = range(len(self.items))
        self.order = sorted(order, key=lambda i: -weights[i]) if weights is not None else list(order)
        self._child: int | None = None  # the forked reader's process id
        self._receiver: Any = None
        self._tickets = -1
        self._collected = False

    def __enter__(self) -> SharedWork[Item, Result]:
        if MIN_ITEMS <= len(self.items) <= MAX_TICKETS and can_fork():
            tickets = self._tickets_pipe()
            if tickets is not None:
                self._start(tickets)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop()

    def results(self, started: Callable[[Item], None] | None = None) -> list[Result]:
        """Every result in the items' order. `started(item)` is called here as each item is begun here or arrives
        from the child (progress)."""
        done: dict[int, Result] = {}
        if self._child is None:
            for index in self.order:
                done[index] = self._here(index, started)
            return [done[i] for i in range(len(self.items))]
        alive = True
        while ticket := os.read(self._tickets, TICKET.size):
            (index,) = TICKET.unpack(ticket)
            done[index] = self._here(index, started)
            # what the child has sent meanwhile is taken now: a pipe holds 64 KiB, and a child whose results
            # fill it would wait for this process to finish its share before it could take another ticket
            while alive and self._receiver.poll(0):
                alive = self._receive(done, started)
        while alive and len(done) < len(self.items):
            alive = self._receive(done, started)
        if not alive:  # the child died, and every ticket has been taken: what is not done is the file it died on
            why = _exit_reason(_reap(self._child, wait=5.0))
            for index in self.order:
                if index not in done:
                    done[index] = self.crashed(self.items[index], why)
                    why = "the reader process had stopped"  # (never more than one ticket is held)
        self._collected = True
        return [done[i] for i in range(len(self.items))]

    def _receive(self, done: dict[int, Result], started: Callable[[Item], None] | None) -> bool:
        """Take the child's next result into `done`; False when the child has died."""
        try:
            status, index, payload = self._receiver.recv()
        except (EOFError, OSError):
            return False
        if started:
            started(self.items[index])
        done[index] = payload if status == "ok" else self.function(self.items[index])
        return True

    def _here(self, index: int, started: Callable[[Item], None] | None) -> Result:
        item = self.items[index]
        if started:
            started(item)
        return self.function(item)

    def _tickets_pipe(self) -> int | None:
        """A pipe holding one ticket per item and closed for writing (its read end), or None when the pipe cannot
        hold them all (a user over the kernel's pipe quota gets one-page pipes): then the work stays here."""
        tickets, writer = os.pipe()
        data = b"".join(TICKET.pack(i) for i in self.order)
        os.set_blocking(writer, False)
        try:
            written = os.write(writer, data)
        except BlockingIOError:
            written = 0
        os.close(writer)
        if written == len(data):
            return tickets
        os.close(tickets)
        return None

    def _start(self, tickets: int) -> None:
        """Fork the reader (a plain fork: multiprocessing's Process costs the merge half a millisecond more to start
        it and another to end it); results come back pickled through a multiprocessing pipe."""
        from multiprocessing.connection import Pipe

        reap_ended()
        receiver, sender = Pipe(duplex=False)
        pid = os.fork()
        if pid == 0:  # the child: read, send, and leave without running this process's exit handlers
            code = 1
            try:
                receiver.close()
                _child(self.function, self.items, tickets, sender)
                code = 0
            finally:
                os._exit(code)
        sender.close()
        self._child, self._receiver, self._tickets = pid, receiver, tickets

    def _stop(self) -> None:
        """After `results()` the child has sent everything and is ending by itself: it is not waited for (the
        kernel's teardown of a process that shares this one's memory takes a millisecond or two, and the merge has
        planning to do); it is reaped when the next child starts. Otherwise (the block raised, the master could not
        be read) its work is not wanted and it is stopped at once."""
        if self._child is None:
            return
        os.close(self._tickets)
        self._receiver.close()
        if self._collected:
            _ENDED.append(self._child)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._child, signal.SIGKILL)
            _reap(self._child, wait=None)
        self._child = None


_ENDED: list[int] = []  # children that sent everything and were left to end by themselves


def reap_ended(wait: float = 0.0) -> None:
    """Reap the readers that sent everything and were left to end by themselves, waiting at most `wait` seconds
    for each: before the next fork, and at exit (so that none outlives this process as a zombie)."""
    for pid in list(_ENDED):
        if _reap(pid, wait=wait) is not None:
            _ENDED.remove(pid)


atexit.register(reap_ended, 1.0)


def _reap(pid: int, wait: float | None) -> int | None:
    """The child's exit code (negative: the signal that stopped it) once it has ended, waiting at most `wait`
    seconds (None: as long as it takes); None if it is still running. A child already reaped counts as ended."""
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        try:
            done, status = os.waitpid(pid, 0 if wait is None else os.WNOHANG)
        except ChildProcessError:
            return 0
        if done:
            return os.waitstatus_to_exitcode(status)
        if deadline is None or time.monotonic() >= deadline:
            return None
        time.sleep(0.005)


def _child(function: Callable[[Any], Any], items: Sequence[Any], tickets: int, sender: Any) -> None:
    try:
        while ticket := os.read(tickets, TICKET.size):
            (index,) = TICKET.unpack(ticket)
            try:
                answer = ("ok", index, function(items[index]))
            except Exception as exc:  # the parent computes the item itself and sees the same problem
                answer = ("error", index, repr(exc))
            try:
                sender.send(answer)
            except OSError:
                raise
            except Exception as exc:  # a result that cannot be pickled: the parent computes it itself
                sender.send(("error", index, repr(exc)))
    except OSError:  # the parent has gone (or stopped listening): nothing is left to do
        pass
    finally:
        sender.close()


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "the reader process stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the reader process was stopped by {name} while reading it"
    return f"the reader process ended (exit code {code}) while reading it"
