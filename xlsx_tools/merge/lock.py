"""A lock file beside the master so that two merges never interleave.

`master.xlsx` is guarded by `master.xlsx.lock` beside the real file (a master reached through a symbolic link is
locked, and written, where it really is), created with O_EXCL and holding who took it. While it holds the lock a
process also holds an operating-system lock on the file (flock on POSIX, a byte-range lock on Windows), which the
system releases when the process ends however it ends. That makes taking over a lock left behind safe:

- a contender that finds the file tries the system lock on it; while the owner lives this fails, and the merge is
  refused with a message naming the lock file and its owner;
- if it succeeds, the file is stale: the contender now holds that very file (checked to still be the one at the
  path) and writes itself in as the owner. Nobody unlinks a lock file except its owner, and the owner unlinks it
  before letting go of the system lock, so a contender holding a file that is no longer at the path starts again.
  Two contenders never both win: only one can hold the system lock on a file.

A lock written by a process on another machine (a shared folder) cannot be tested that way, since the system lock
of a network share may be local: it is refused, as before, for a person to decide. So is a lock that names a live
process of this machine but is not system-locked (written by an older tipwp, or by hand).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LockedError(RuntimeError):
    """Another merge holds the master's lock."""


class LockUnavailable(LockedError):
    """The lock file cannot be made or opened at all (a folder read-only for this user, a full disk)."""


def lock_path(master: Path) -> Path:
    master = Path(os.path.realpath(master))  # through symbolic links: a link and its target share one lock
    return master.with_name(master.name + ".lock")


ATTEMPTS = 20  # a lock file replaced under us each time (other contenders taking over and finishing): give up


def _try_system_lock(handle: int) -> bool:
    """Take the operating system's exclusive lock on an open file without waiting; False when another holds it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _same_file(handle: int, path: Path) -> bool:
    """Whether the open file is still the one at `path` (the owner may have removed it, another created anew)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(handle))
    except FileNotFoundError:
        return False


def _read_owner(handle: int) -> dict:
    os.lseek(handle, 0, os.SEEK_SET)
    return _owner(os.read(handle, 1 << 16))


def _owner(data: bytes) -> dict:
    """Who a lock file names; {} for one that is empty, cut short or not ours."""
    try:
        owner = json.loads(data.decode("utf-8") or "{}")
    except ValueError:  # UnicodeDecodeError included
        return {}
    return owner if isinstance(owner, dict) else {}


def _write_owner(handle: int, owner: dict) -> None:
    data = json.dumps(owner).encode("utf-8")
    os.lseek(handle, 0, os.SEEK_SET)
    os.ftruncate(handle, 0)
    os.write(handle, data)
    os.fsync(handle)


def _foreign(holder: dict) -> bool:
    """A lock written on another machine, which cannot be tested from here."""
    return bool(holder.get("host")) and holder.get("host") != socket.gethostname()


def _named_alive(holder: dict) -> bool:
    """A lock naming a live process without holding the system lock: written by an older tipwp, or by hand. Its
    process may still be merging: refused, as a lock held."""
    pid = holder.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid < 1 << 22:
        return False  # not a process id (0 or a negative number would name process groups)
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - os.kill(pid, 0) there would send a Ctrl+C
        return False  # the system lock was free, so its process is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, and another user's
        pass
    return True


def _acquire(path: Path, owner: dict) -> int:
    """The open, system-locked lock file, now naming `owner` (LockedError when another merge holds it)."""
    for _ in range(ATTEMPTS):
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
            created = True
        except FileExistsError:
            try:
                handle = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue  # removed by its owner meanwhile: try to create it again
            except OSError as exc:
                raise LockUnavailable(f"the lock file {path} could not be opened ({exc.strerror or exc})") from None
            created = False
        except OSError as exc:
            raise LockUnavailable(f"the lock file {path} could not be made ({exc.strerror or exc})") from None
        try:
            if not _try_system_lock(handle):
                holder = _read_owner(handle)
                os.close(handle)
                if not holder:  # its creator is writing itself in right now
                    time.sleep(0.01)
                    holder = _owner_at(path)
                raise _locked(path, holder)
            if not _same_file(handle, path):  # its owner removed it between our open and our lock
                os.close(handle)
                continue
            if not created:
                holder = _read_owner(handle)
                if _foreign(holder) or _named_alive(holder):
                    os.close(handle)
                    raise _locked(path, holder)
            try:
                _write_owner(handle, owner)
            except OSError as exc:
                if created:
                    path.unlink(missing_ok=True)
                raise LockUnavailable(f"the lock file {path} could not be written ({exc.strerror or exc})") from None
            return handle
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(handle)
            raise
    raise LockedError(f"could not take the lock {path}: it was replaced {ATTEMPTS} times while trying")


def _owner_at(path: Path) -> dict:
    try:
        return _owner(path.read_bytes())
    except OSError:
        return {}


def _locked(path: Path, holder: dict) -> LockedError:
    master = path.with_name(path.name[: -len(".lock")])
    who = f"process {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('since', '?')}"
    return LockedError(f"{master} is being merged by {who}; lock file {path}")


@contextmanager
def master_lock(master: Path) -> Iterator[Path]:
    """Hold the master's lock for the duration of the block (OSError when the lock file cannot be made at all:
    a folder that is read-only for this user)."""
    path = lock_path(master)
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
    handle = _acquire(path, owner)
    try:
        yield path
    finally:
        # removed while still locked: a contender that opened this file before sees it gone and starts again
        if sys.platform == "win32":  # pragma: no cover - Windows cannot remove an open file
            os.close(handle)
            path.unlink(missing_ok=True)
        else:
            path.unlink(missing_ok=True)
            os.close(handle)
