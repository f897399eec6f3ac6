"""A lock file beside the master so that two merges never interleave.

`master.xlsx` is guarded by `master.xlsx.lock`, created with O_EXCL and holding who took it. A lock left by a
process that is gone (killed, crashed) on this machine is stale and is taken over; a live one is refused with a
message naming the lock file and its owner.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LockedError(RuntimeError):
    """Another merge holds the master's lock."""


def lock_path(master: Path) -> Path:
    return master.with_name(master.name + ".lock")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(owner: dict) -> bool:
    if owner.get("host") != socket.gethostname():
        return False  # cannot tell for another machine (a shared folder): a person must decide
    pid = owner.get("pid")
    return isinstance(pid, int) and pid != os.getpid() and not _alive(pid)


@contextmanager
def master_lock(master: Path) -> Iterator[Path]:
    """Hold the master's lock for the duration of the block."""
    path = lock_path(master)
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
    for _ in range(3):
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(path.read_text(encoding="utf-8") or "{}")
            except (OSError, ValueError):
                holder = {}
            if holder and _stale(holder):
                path.unlink(missing_ok=True)
                continue
            if not holder and time.time() - _mtime(path) > 60:
                path.unlink(missing_ok=True)  # an empty lock older than a minute: its writer died while creating it
                continue
            who = f"process {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('since', '?')}"
            raise LockedError(f"{master} is being merged by {who}; lock file {path}") from None
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(owner, out)
        break
    else:
        raise LockedError(f"could not take the lock {path}")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()
