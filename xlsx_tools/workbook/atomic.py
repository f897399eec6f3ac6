"""Write a workbook so that a crash leaves the old file or the new one, never half of one.

The workbook is saved to a temporary file beside the target and renamed over it. The target is the real file (a
path through a symbolic link writes where the link points and leaves the link as it is); a file that already exists
keeps its permissions and, where this user may set them, its owner and group, so colleagues who could read a master
on a shared drive still can; a new file gets the permissions the user's umask gives. A read-only file is not
replaced (PermissionError). Any failure (a full disk, a folder read-only for this user) raises OSError with the old
file untouched and the temporary file removed.

Temporary files are named `.<stem>.tipwp-<host>-<pid>.<random>.tmp.xlsx`, so a later writer can tell that one
was left by a process of this machine that is gone (`stale_temps`), and clear only those.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import re
import secrets
import socket
import stat
import sys
from pathlib import Path
from typing import Any

from xlsx_tools.workbook.excel_form import excel_form

_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:16] or "host"


def real_path(target: Path) -> Path:
    """The file `target` really names: symbolic links followed, so saving never replaces a link with a file."""
    return Path(os.path.realpath(target))


def temp_prefix(target: Path) -> str:
    return f".{target.stem}.tipwp-"


def read_only(path: Path) -> bool:
    """Whether an existing file is read-only: no write permission bit at all (root ignores them, a person does
    not), or not writable for this user."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def new_temp(target: Path, suffix: str = ".tmp.xlsx") -> Path:
    """Create an empty temporary file beside `target`, with the permissions the umask gives a new file."""
    name = f"{temp_prefix(target)}{_HOST}-{os.getpid()}.{secrets.token_hex(4)}{suffix}"
    temp = target.with_name(name)
    os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    return temp


def keep_mode_and_owner(source: Path, temp: Path) -> None:
    """Give `temp` the permission bits of the existing `source`, and its owner and group where allowed."""
    try:
        info = os.stat(source)
    except FileNotFoundError:
        return
    os.chmod(temp, stat.S_IMODE(info.st_mode))
    mine = os.stat(temp)
    if hasattr(os, "chown") and (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
        with contextlib.suppress(PermissionError):  # only the owner's group, or nothing, is ours to set
            os.chown(temp, info.st_uid, info.st_gid)
        with contextlib.suppress(PermissionError):
            os.chown(temp, -1, info.st_gid)


def save_atomically(book: Any, target: Path) -> None:
    """Save an openpyxl workbook to a temporary file beside `target`, then rename it over `target`. The workbook is
    first put into the form Excel writes (xlsx_tools.workbook.excel_form)."""
    excel_form(book)
    target = real_path(Path(target))
    if read_only(target):
        raise PermissionError(errno.EACCES, "the file is read-only", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = new_temp(target)
    try:
        _save(book, temp)
        keep_mode_and_owner(target, temp)
        with open(temp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _save(book: Any, temp: Path) -> None:
    """`book.save(temp)`; when a write fails (a full disk), the OSError is raised anew without openpyxl's frames,
    which are dropped quietly: their half-written streams fail again as they are closed, and Python would print
    that ("Exception ignored in ...") under the one clear line the user is given."""
    hook = sys.unraisablehook

    def quiet(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, OSError):
            hook(unraisable)

    sys.unraisablehook = quiet
    try:
        try:
            book.save(temp)
            return
        except OSError as exc:
            failure = OSError(exc.errno, exc.strerror, exc.filename)
        gc.collect()  # the writer's streams, if a reference cycle still holds them
        raise failure
    finally:
        sys.unraisablehook = hook


_TEMP = re.compile(r"tipwp-(?P<host>[A-Za-z0-9]+)-(?P<pid>[0-9]+)\.")


def stale_temps(target: Path) -> list[Path]:
    """Temporary files beside `target` left by processes of this machine that have ended (killed mid-write)."""
    target = real_path(target)
    out = []
    for leftover in target.parent.glob(f"{temp_prefix(target)}*.tmp.xlsx"):
        found = _TEMP.match(leftover.name, len(temp_prefix(target)) - len("tipwp-"))
        if found and found["host"] == _HOST and not _alive(int(found["pid"])):
            out.append(leftover)
    return out


def _alive(pid: int) -> bool:
    if pid == os.getpid() or sys.platform == "win32":  # os.kill(pid, 0) on Windows would send a Ctrl+C
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process, or a pid too large to ask about
        pass
    return True
