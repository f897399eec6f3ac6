"""Kill `tipwp merge` with SIGKILL at random moments and check that the master is always whole: it opens, and its
content is exactly what it was before the merge or exactly what a complete merge makes of it. A later merge must
then go through (taking over the stale lock the killed process left) and give the complete merge's result.

Kill moments come from a seeded random generator (TIPWP_FAULT_SEED replays a run; the seed is printed):
- even trials: a delay drawn uniformly from [0, T] after the start, T the measured duration of a complete merge
  subprocess — the whole run, start-up and reading included;
- odd trials: the write phase. The trial waits until the merge's `backups` folder appears (the first thing the
  write does, seen from outside), then a delay drawn uniformly from [0, W], W the measured time from that moment
  to the end of a complete run, with a margin of half again (a kill that comes after the end counts as finished).
  Anchoring on the backup rather than on the start keeps these kills on the backup copy, the temporary file, the
  fsync, the rename and the lock release however busy the machine is; a fixed offset from the start drifts off the
  write phase as soon as the machine is busier than when T was measured.
T and W are medians of four complete merges run two at a time, as the trials run.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.returns_kit import fill_every_row, issue, logs, master_values
from xlsx_tools.merge.lock import lock_path
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.sheet_names import HISTORY_SHEET
from xlsx_tools.workbook.master import build_master

pytestmark = pytest.mark.slow  # long: kept out of the fast loop (tests/conftest.py)

TRIALS = 50
PARALLEL = 2
WRITE_MARGIN = 1.5  # W covers a write phase up to half as slow again as measured (a busier machine)
SEED = int(os.environ.get("TIPWP_FAULT_SEED", "20261123"))
BODIES = ("ACWC", "SOM-ED", "SLOM", "DGICM", "ASLOM")  # small returns, overlapping rows: conflicts too
REPORTING = (
    "reporting_period",
    "reporting_asb",
    "status",
    "progress",
    "indicator_results",
    "event_dates",
    "resource_needs",
)
CLOCK_COLUMNS = {HISTORY_SHEET: "merged_at", "Proposals": "proposed_at", "Audit": "time"}
TIPWP = str(Path(sys.executable).parent / "tipwp")

Snapshot = dict[str, Any]


def snapshot(master: Path) -> Snapshot:
    """What the master holds that does not depend on the clock: reporting values per row id and the record sheets
    without their time columns. One openpyxl load, read by `master_values` and `logs`."""
    book = openpyxl.load_workbook(master)
    return _clockless(master_values(book), logs(book))


def _clockless(values: dict[str, dict[str, str]], records: dict[str, list[dict[str, str]]]) -> Snapshot:
    return {
        "values": {row_id: {k: v for k, v in cells.items() if k in REPORTING} for row_id, cells in values.items()},
        "records": {
            title: [{k: v for k, v in row.items() if k != CLOCK_COLUMNS.get(title)} for row in rows]
            for title, rows in records.items()
        },
    }


def leftovers(folder: Path) -> dict[str, Any]:
    return {
        "lock": lock_path(folder / "master.xlsx").exists(),
        "temps": sorted(p.name for p in folder.glob(".master.*.tmp.xlsx")),
        "backups": sorted(p.name for p in (folder / "backups").glob("*")) if (folder / "backups").is_dir() else [],
    }


@dataclass(frozen=True)
class Timeline:
    backup: float  # seconds after start when the backup appeared (the write phase begins)
    replaced: float  # when the master's inode changed (the rename)
    exit: float  # when the process had ended: T


def timed_merge(master: Path, files: list[Path]) -> Timeline:
    """Run a complete `tipwp merge` subprocess, watching its folder every 2 ms for the write phase."""
    inode = master.stat().st_ino
    seen: dict[str, float] = {}
    start = time.perf_counter()
    process = subprocess.Popen(
        [TIPWP, "merge", str(master), *map(str, files)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while process.poll() is None:
        now = time.perf_counter() - start
        if (master.parent / "backups").exists():
            seen.setdefault("backup", now)
        try:
            if master.stat().st_ino != inode:
                seen.setdefault("replaced", now)
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    end = time.perf_counter() - start
    assert process.returncode == 0, f"the complete merge failed with exit code {process.returncode}"
    return Timeline(seen.get("backup", end), seen.get("replaced", end), end)


@dataclass(frozen=True)
class Prepared:
    pristine: Path
    files: list[Path]
    before: Snapshot
    after: Snapshot
    whole: float  # T: a complete merge subprocess, start to exit
    write: float  # W: from the backups folder appearing to exit, times WRITE_MARGIN
    timelines: list[Timeline]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    folder = tmp_path_factory.mktemp("faults")
    pristine = folder / "pristine.xlsx"
    build_master(pristine, plan_id="bwp2", period="2026-H2")
    templates = issue(pristine, folder / "templates", asbs=BODIES)
    rng = random.Random(SEED)
    (folder / "returns").mkdir()
    files = [fill_every_row(path, rng, out=folder / "returns" / path.name) for path in templates.values()]
    before = snapshot(pristine)
    targets = []
    for run in range(2 * PARALLEL):
        target = folder / f"complete-{run}" / "master.xlsx"
        target.parent.mkdir()
        targets.append(Path(shutil.copy(pristine, target)))
    # complete merges run PARALLEL at a time, as the trials will: T and W are measured under the trials' own load
    with ThreadPoolExecutor(PARALLEL) as pool:
        timelines = list(pool.map(lambda target: timed_merge(target, files), targets))
    afters = [snapshot(target) for target in targets]
    assert all(a == afters[0] for a in afters), "complete merges of the same files gave different masters"
    assert afters[0] != before and afters[0]["records"]["Conflicts"], "the merge must change the master"
    whole = statistics.median(t.exit for t in timelines)
    write = WRITE_MARGIN * statistics.median(t.exit - t.backup for t in timelines)
    return Prepared(pristine, files, before, afters[0], whole, write, timelines)


def trial(number: int, delay: float, anchored: bool, job: Prepared, root: str) -> dict[str, Any]:
    """One kill, in a worker process. Returns what was found; the test asserts on it."""
    folder = Path(root) / f"trial-{number:03d}"
    folder.mkdir()
    master = Path(shutil.copy(job.pristine, folder / "master.xlsx"))
    out: dict[str, Any] = {"trial": number, "delay": delay, "anchored": anchored}
    start = time.perf_counter()
    process = subprocess.Popen(
        [TIPWP, "merge", str(master), *map(str, job.files)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if anchored:
        while process.poll() is None and not (folder / "backups").exists():
            time.sleep(0.001)
    time.sleep(delay)
    out["killed"] = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    out["at"] = time.perf_counter() - start
    out["returncode"] = process.returncode
    out["left"] = leftovers(folder)
    try:
        found = snapshot(master)
    except Exception as exc:  # the whole point: this must never happen
        out["state"] = f"unreadable: {exc!r}"
        return out
    out["state"] = "before" if found == job.before else "after" if found == job.after else "neither"
    if out["state"] == "neither":
        out["diff"] = _differences(found, job.before, job.after)
    written = master.stat().st_mtime_ns, master.stat().st_ino
    result = merge_returns(master, job.files)  # the next normal merge, after the kill
    out["recovery_codes"] = sorted(set(result.report.codes()))
    out["recovery_exit"] = result.report.exit_code
    untouched = (master.stat().st_mtime_ns, master.stat().st_ino) == written
    # an "after" master that the next merge leaves alone (everything already merged) is still the "after" one
    out["recovered"] = out["state"] == "after" if untouched and not result.written else snapshot(master) == job.after
    out["left_after_recovery"] = leftovers(folder)
    if out["recovered"] and out["recovery_exit"] == 0 and out["state"] in ("before", "after"):
        shutil.rmtree(folder)  # keep only the folders of failed trials
    return out


def _differences(found: Snapshot, before: Snapshot, after: Snapshot) -> str:
    parts = []
    for title in found["records"]:
        parts.append(
            f"{title}: {len(found['records'][title])} rows (before {len(before['records'][title])}, "
            f"after {len(after['records'][title])})"
        )
    changed = sum(1 for row, cells in found["values"].items() if cells != before["values"].get(row))
    parts.append(f"{changed} rows differ from before")
    return "; ".join(parts)


def test_a_killed_merge_leaves_the_master_before_or_after(prepared: Prepared, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    plan = [(n, rng.uniform(0, prepared.write if n % 2 else prepared.whole), bool(n % 2)) for n in range(TRIALS)]
    print(
        f"\nseed {SEED} (TIPWP_FAULT_SEED to replay); T = {prepared.whole:.3f} s, W = {prepared.write:.3f} s; "
        "complete runs (backup, rename, exit in s): "
        + ", ".join(f"({t.backup:.3f}, {t.replaced:.3f}, {t.exit:.3f})" for t in prepared.timelines)
    )
    started = time.perf_counter()
    with ProcessPoolExecutor(PARALLEL, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(trial, n, delay, anchored, prepared, str(tmp_path)) for n, delay, anchored in plan]
        results = [f.result() for f in futures]
    killed = [r for r in results if r["killed"]]
    before = [r for r in killed if r["state"] == "before"]
    after = [r for r in killed if r["state"] == "after"]
    mid_write = [r for r in before if r["left"]["backups"]]  # the write had begun; the master is still the old one
    with_temp = [r for r in killed if r["left"]["temps"]]
    stale_lock = [r for r in killed if r["left"]["lock"]]
    print(
        f"{len(results)} trials in {time.perf_counter() - started:.1f} s: {len(killed)} killed, "
        f"{len(before)} before ({len(mid_write)} of them inside the write phase, {len(with_temp)} leaving a temporary "
        f"file), {len(after)} after; {len(results) - len(killed)} finished before the kill; "
        f"{len(stale_lock)} left a stale lock"
    )
    for r in results:
        print(
            f"  trial {r['trial']:2d} {'write' if r['anchored'] else 'whole'} +{r['delay']:.3f} s (at {r['at']:.3f} s) "
            f"{r['state']:7} {'killed' if r['killed'] else 'done  '} lock={int(r['left']['lock'])} "
            f"temps={len(r['left']['temps'])} backups={len(r['left']['backups'])}"
        )
    context = f"(seed {SEED})"
    broken = [r for r in results if r["state"] not in ("before", "after")]
    assert not broken, f"masters neither before nor after a merge {context}: {broken}"
    not_recovered = [r for r in results if not r["recovered"] or r["recovery_exit"] != 0]
    assert not not_recovered, f"the next merge after a kill failed {context}: {not_recovered}"
    dirty = [r for r in results if r["left_after_recovery"]["lock"] or r["left_after_recovery"]["temps"]]
    assert not dirty, f"a lock or temporary file outlived the next merge {context}: {dirty}"
    assert len(before) >= 3 and len(after) >= 3, f"kills must land on both sides of the rename {context}"
    assert len(mid_write) >= 3, f"too few kills inside the write phase {context}"
    assert stale_lock, f"no kill left a stale lock, so taking it over was not exercised {context}"
