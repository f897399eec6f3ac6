"""Benchmark of `tipwp matrix`: 12 periods x the full 2.0 plan, and a 10x-rows variant, against the targets.

    .venv/bin/python bench/bench_matrix.py            # 3 repeats per figure (medians), about 1 minute
    .venv/bin/python bench/bench_matrix.py --quick    # 1 repeat
    .venv/bin/python bench/bench_matrix.py --keep /tmp/m --seed 7

Targets (issue 4): the matrix of 12 periods x the full plan in under 1 s; 10x rows no worse than linear
(10x time / 1x time <= 10). Every figure comes from a fresh subprocess (`--worker`). See bench/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import dataclasses
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # tests.returns_kit makes the reported values, as the merge benchmark does

FIRST, LAST = "2023-H1", "2028-H2"  # the plan's twelve half-years
SCALE = 10
SKIP_SHARE = 0.15  # share of (body, period) returns that never come in, so "No report" and "missing" occur
TARGETS = {"matrix_1x": 1.0, "scale_10x": 10.0}
UTC = dt.timezone.utc


# ---------------------------------------------------------------------------------------------------------------
# Set-up: a real master file holding twelve periods of returns for every body.


def _submissions(context: Any, period: str, rng: random.Random, index: int) -> list[Any]:
    """One return per body for `period` covering every row it coordinates or supports (some bodies never send)."""
    from tests.returns_kit import realistic_values
    from xlsx_tools.merge.model import Source, Submission, SubmittedValue

    rows_of: dict[str, list[str]] = {}
    for row_id, (leads, supports) in context.bodies.items():
        for body in (*leads, *supports):
            rows_of.setdefault(body, []).append(row_id)
    out = []
    for body in sorted(rows_of):
        if rng.random() < SKIP_SHARE:
            continue
        name = f"{period}_{body}_return.xlsx"
        source = Source(body, name, f"{period}-{body}-{index:04d}".ljust(64, "0"), f"T-{period}-{body}", period)
        values = [
            SubmittedValue(row_id, key, value, "", "")
            for row_id, cells in realistic_values(rows_of[body], rng, index).items()
            for key, value in cells.items()
        ]
        out.append(Submission(source=source, values=values))
    return out


def prepare(root: Path, seed: int) -> Path:
    """A 2.0 master with twelve periods merged, built by the merge core and written by the master adapter."""
    from xlsx_tools.merge.consolidate import consolidate, open_period
    from xlsx_tools.merge.master_book import apply_consolidation, open_master, save_master
    from xlsx_tools.merge.model import CellChange, Consolidation
    from xlsx_tools.plan.periods import Period
    from xlsx_tools.workbook.master import build_master

    master = root / "master.xlsx"
    build_master(master, plan_id="bwp2", period=FIRST)
    opened = open_master(master)
    rng = random.Random(seed)
    state, period, plan = opened.state, Period.parse(FIRST), None
    for index in range(12):
        if index:
            period = period.next()
            state = open_period(state, str(period), _at(period, 0)).state
        plan = consolidate(state, _submissions(opened.context, str(period), rng, index), _at(period, 20))
        state = plan.state
    assert plan is not None
    everything = [
        CellChange(row_id, key, "", value) for row_id, cells in state.cells.items() for key, value in cells.items()
    ]
    apply_consolidation(opened, Consolidation(state, everything, plan.conflicts, []))
    save_master(opened, dt.datetime(2029, 1, 31, tzinfo=UTC))
    return master


def _at(period: Any, days_after_end: int) -> str:
    moment = dt.datetime.combine(period.last_day, dt.time(9), UTC) + dt.timedelta(days=days_after_end)
    return moment.isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------------------------
# 10x rows: every plan row ten times (ids A.1.1-01, A.1.1-01~2 … ~10), with its history copied under each id.


def scaled(context: Any, state: Any, factor: int) -> tuple[Any, Any]:
    def ids(row_id: str) -> list[str]:
        return [row_id] + [f"{row_id}~{k}" for k in range(2, factor + 1)]

    pillars = tuple(
        dataclasses.replace(
            pillar, rows=tuple(dataclasses.replace(row, row_id=i) for row in pillar.rows for i in ids(row.row_id))
        )
        for pillar in context.plan.pillars
    )
    plan = dataclasses.replace(context.plan, pillars=pillars)
    rows_by_id = {r.row_id: r for _, r in plan.rows()}
    big_context = dataclasses.replace(context, plan=plan, rows_by_id=rows_by_id)  # its tables made of the copied rows
    big_state = dataclasses.replace(
        state,
        cells={i: dict(cells) for row_id, cells in state.cells.items() for i in ids(row_id)},
        coordinators={i: leads for row_id, leads in state.coordinators.items() for i in ids(row_id)},
        history=[h._replace(row_id=i) for h in state.history for i in ids(h.row_id)],  # named tuples
    )
    return big_context, big_state


# ---------------------------------------------------------------------------------------------------------------
# Workers


def _worker(job_file: Path) -> None:
    job = json.loads(job_file.read_text())
    master, out_dir = Path(job["master"]), Path(job["out"])
    from xlsx_tools.matrix.core import load_status_map, matrix_input, summarise
    from xlsx_tools.matrix.progress import progress_report
    from xlsx_tools.matrix.report import write_matrix_book
    from xlsx_tools.matrix.run import build_matrix
    from xlsx_tools.merge.master_book import open_master

    out: dict[str, Any] = {}
    today = dt.date(2029, 2, 1)
    for label in ("cold", "warm"):  # cold: first call in the process, lazy imports and the plan load included
        start = time.perf_counter()
        result = build_matrix(master, LAST, out_dir / f"matrix-{label}.xlsx", today=today)
        out[f"build_{label}"] = time.perf_counter() - start
    out["rows"] = len(result.data.rows)
    out["periods"] = len(result.data.periods)
    out["history"] = len(open_master(master).state.history)

    start = time.perf_counter()
    opened = open_master(master)
    out["open_master"] = time.perf_counter() - start
    status_map = load_status_map()

    def core_and_writer(context: Any, state: Any, name: str) -> tuple[float, float, int]:
        begin = time.perf_counter()
        data = matrix_input(context, state, LAST, status_map)
        summary = summarise(data)
        progress = progress_report(context, state, LAST)
        middle = time.perf_counter()
        write_matrix_book(data, summary, progress, out_dir / name, today)
        return middle - begin, time.perf_counter() - middle, len(data.rows)

    core_and_writer(opened.context, opened.state, "matrix-prime.xlsx")  # pandas' first-call costs out of the way
    out["core_1x"], out["writer_1x"], _ = core_and_writer(opened.context, opened.state, "matrix-1x.xlsx")
    big_context, big_state = scaled(opened.context, opened.state, SCALE)
    out["core_10x"], out["writer_10x"], out["rows_10x"] = core_and_writer(big_context, big_state, "matrix-10x.xlsx")
    print(json.dumps(out))


def run_worker(master: Path, scratch: Path, index: int) -> dict[str, Any]:
    out = scratch / f"out-{index}"
    out.mkdir(parents=True, exist_ok=True)
    job = scratch / f"job-{index}.json"
    job.write_text(json.dumps({"master": str(master), "out": str(out)}))
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(job)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one repeat per figure instead of three")
    parser.add_argument("--keep", type=Path, help="keep the workbooks in this folder")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker)
        return 0
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="bench-matrix-", dir=args.keep))
    try:
        return run(root, 1 if args.quick else 3, args.seed)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def run(root: Path, repeats: int, seed: int) -> int:
    compileall.compile_dir(REPO / "xlsx_tools", quiet=1)  # as `pip install` leaves it (bench_merge.py says why)
    start = time.perf_counter()
    master = prepare(root, seed)
    print(f"Set-up {time.perf_counter() - start:.1f} s in {root}: 2.0-plan master with {FIRST} to {LAST} merged")
    print(f"  machine: {os.cpu_count()} CPUs, load average {_load()} at the start")
    runs = [run_worker(master, root / "scratch", i) for i in range(repeats)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if isinstance(runs[0][k], float)}
    first = runs[0]
    print(
        f"  1x: {first['rows']} rows x {first['periods']} periods, {first['history']} History entries; "
        f"10x: {first['rows_10x']} rows; repeats: {repeats} (medians)\n"
    )
    print("Raw figures (seconds)")
    for key, label in (
        ("build_cold", "1x tipwp matrix (build_matrix), cold"),
        ("build_warm", "1x tipwp matrix (build_matrix), warm"),
        ("open_master", "   of which: open the master (its values)"),
        ("core_1x", "1x core: matrix_input + summarise + progress_report"),
        ("writer_1x", "1x writer: write_matrix_book (openpyxl)"),
        ("core_10x", "10x core: matrix_input + summarise + progress"),
        ("writer_10x", "10x writer: write_matrix_book"),
    ):
        print(f"  {label:<46} {med[key]:7.3f}")
    print(f"\nLoad average at the end: {_load()} (other work on the machine inflates the figures)\n")
    rows = [
        ("1x tipwp matrix, 12 periods, cold (s)", med["build_cold"], f"< {TARGETS['matrix_1x']:g} s"),
        ("1x tipwp matrix, 12 periods, warm (s)", med["build_warm"], f"< {TARGETS['matrix_1x']:g} s"),
        ("10x / 1x core + writer", _ratio(med, "core", "writer"), f"<= {TARGETS['scale_10x']:g}"),
        ("10x / 1x core (pandas)", med["core_10x"] / med["core_1x"], "(reference)"),
        ("10x / 1x writer (openpyxl)", med["writer_10x"] / med["writer_1x"], "(reference)"),
    ]
    print(f"| {'measure':<40} | {'value':>8} | {'target':>10} | met |")
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 12}|-----|")
    missed = 0
    for label, value, target in rows:
        met = "" if target.startswith("(") else ("yes" if value < float(target.split()[1]) + 1e-9 else "no")
        if target.startswith("<") and not target.startswith("<="):
            met = "yes" if value < float(target.split()[1]) else "no"
        missed += met == "no"
        print(f"| {label:<40} | {value:8.3f} | {target:>10} | {met:<3} |")
    return 1 if missed else 0


def _ratio(med: dict[str, float], *parts: str) -> float:
    return sum(med[f"{p}_10x"] for p in parts) / sum(med[f"{p}_1x"] for p in parts)


if __name__ == "__main__":
    sys.exit(main())
