"""Benchmark of `tipwp merge` on the real 2.0 plan: figures and ratios measured in one run, against the targets.

    .venv/bin/python bench/bench_merge.py            # 3 repeats per figure (medians), about 45 s
    .venv/bin/python bench/bench_merge.py --quick    # 1 repeat, about 30 s
    .venv/bin/python bench/bench_merge.py --profile  # also cProfile the 1x merge (top 25 cumulative, phases)

Every timed operation runs in a fresh subprocess of this script (`--worker ...`), so nothing is cached from the
set-up. See bench/README.md for what is measured and why the 10x workload is built the way it is.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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
    sys.path.insert(0, str(REPO))  # tests.returns_kit fills the returns, as the merge tests do

VENV_BIN = Path(sys.executable).parent
TIME_BIN = Path("/usr/bin/time")
ROUNDS = 10  # the 10x workload: ten filled returns per body, each superseding the one before
RATIO_REPEATS = 3  # the 1x dry-run workers (the calamine ratio) run three times as often as the other figures

TARGETS = {
    "merge_1x": 2.0,  # seconds, full plan validate + merge
    "plan_vs_calamine": 2.0,  # read + validate + merge planning, times calamine's parse of the same returns
    "scale_10x": 10.0,  # 10x time / 1x time
    "peak_mb": 300.0,  # peak RSS of the 10x merge process
    "help_s": 0.3,  # tipwp --help wall time
}


# ---------------------------------------------------------------------------------------------------------------
# Workers: one fresh process per measurement. Each runs its operation twice: "cold" is the first call in the
# process (lazy imports of openpyxl/cerberus and the plan load included, as a CLI run pays them), "warm" the second.


def _fresh_master(pristine: Path, scratch: Path, label: str) -> Path:
    folder = scratch / label
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Path(shutil.copy(pristine, folder / "master.xlsx"))


def _calamine_parse(files: list[Path]) -> int:
    """What the ratio is measured against: python-calamine's parse of every sheet of every file (cells parsed)."""
    from python_calamine import CalamineWorkbook

    cells = 0
    for path in files:
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python())
    return cells


def _worker(mode: str, job_file: Path) -> None:
    job = json.loads(job_file.read_text())
    pristine, files, scratch = Path(job["master"]), [Path(f) for f in job["files"]], Path(job["scratch"])
    out: dict[str, Any] = {}
    if mode == "calamine":
        for label in ("cold", "warm"):
            start = time.perf_counter()
            out["cells"] = _calamine_parse(files)
            out[label] = time.perf_counter() - start
    elif mode in ("merge", "plan", "once"):
        from xlsx_tools.merge.run import MergeOptions, merge_returns

        options = MergeOptions(dry_run=mode == "plan")
        for label in ("cold",) if mode == "once" else ("cold", "warm"):
            if mode == "plan":  # the ratio's denominator: calamine's parse of the same files, just before, here
                start = time.perf_counter()
                _calamine_parse(files)
                out[f"calamine_{label}"] = time.perf_counter() - start
            master = _fresh_master(pristine, scratch, f"{mode}-{label}-{os.getpid()}")
            start = time.perf_counter()
            result = merge_returns(master, files, options)
            out[label] = time.perf_counter() - start
            out["written"] = result.written
            out["merged"] = sum(1 for o in result.outcomes if o.outcome == "merged")
            out["changes"] = len(result.changes)
            out["errors"] = sorted({f.code for f in result.report.errors})
        if mode == "plan":
            out["ratio_cold"] = out["cold"] / out["calamine_cold"]
            out["ratio_warm"] = out["warm"] / out["calamine_warm"]
    elif mode == "profile":
        import cProfile
        import pstats

        from xlsx_tools.merge.run import merge_returns

        master = _fresh_master(pristine, scratch, f"profile-{os.getpid()}")
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        merge_returns(master, files)
        profiler.disable()
        total = time.perf_counter() - start
        stats = pstats.Stats(profiler)
        print(f"cProfile of one cold 1x merge (wall {total:.2f} s with the profiler on)\n")
        _print_phases(stats)
        print("\nTop 25 by cumulative time:")
        stats.sort_stats("cumulative").print_stats(25)
        print("Top 15 by own time:")
        stats.sort_stats("tottime").print_stats(15)
        return
    from xlsx_tools.parallel import reap_ended

    reap_ended(wait=5.0)  # the merge leaves its forked reader to end by itself; its figures count once reaped
    out["self_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the merge's forked reader (xlsx_tools.parallel), if it ran: its peak, shared pages counted again
    out["reader_maxrss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("RESULT " + json.dumps(out))


PHASES = (  # (label, path fragment of the function's file, function name, only when called from this function)
    ("merge_returns (total)", "merge/run.py", "merge_returns", ""),
    ("opening the master: safety check, identity, plan context", "merge/master_book.py", "__init__", "prepare_merge"),
    ("the master's state (pillar sheets and record sheets, calamine)", "merge/master_book.py", "finish", ""),
    ("  read_logs (record sheets into plain data)", "merge/log_sheets.py", "read_logs", ""),
    ("plan_context (plan YAML, layout, schema)", "plan/context.py", "plan_context", ""),
    ("read_return x files (read + validate + collect)", "merge/read_return.py", "read_return", ""),
    ("  inspect_file (bytes, zip, CRC and DOCTYPE of every part)", "workbook/safety.py", "inspect_file", "read_return"),
    ("  file_sha256", "merge/read_return.py", "file_sha256", ""),
    ("  read_workbook (calamine values + sheet XML + cells)", "workbook/reader.py", "read_workbook", ""),
    ("    calamine sheet parses (returns and master)", "", "<method 'get_sheet_by_name'", ""),
    ("  validate_return (structure + cerberus + custom rules)", "merge/read_return.py", "validate_return", ""),
    ("    cerberus Validator.validate (distinct values)", "cerberus/validator.py", "validate", "_ask_cerberus"),
    ("  collect_rows (match rows, gather values)", "merge/rows.py", "collect_rows", ""),
    ("consolidate (history, supersession, conflicts)", "merge/consolidate.py", "consolidate", ""),
    ("describe_changes (dry-run lines)", "merge/master_book.py", "describe_changes", ""),
    ("apply_consolidation (cells + record sheets, in memory)", "merge/master_book.py", "apply_consolidation", ""),
    ("  openpyxl.load_workbook of the master (to write it)", "openpyxl/reader/excel.py", "load_workbook", "book"),
    ("  write_log_sheet (History, Conflicts, Proposals, Audit)", "merge/log_writer.py", "write_log_sheet", ""),
    ("save_master (backup + atomic write)", "merge/master_book.py", "save_master", ""),
    ("  backup copy", "merge/master_book.py", "backup", ""),
    ("  save_atomically (temp file, openpyxl save, fsync, rename)", "workbook/atomic.py", "save_atomically", ""),
)


def _print_phases(stats: Any) -> None:
    table = stats.stats  # (file, line, name) -> (primitive calls, calls, own time, cumulative time, callers)

    def entries(fragment: str, name: str) -> list[tuple[Any, Any]]:
        return [
            (k, v)
            for k, v in table.items()
            if k[0].replace(os.sep, "/").endswith(fragment) and (k[2] == name or k[2].startswith(f"{name} "))
        ]

    total = max((v[3] for _, v in entries("merge/run.py", "merge_returns")), default=0.0)
    print(f"{'phase':60} {'calls':>6} {'cum s':>7} {'share':>6}")
    for label, fragment, name, caller in PHASES:
        calls, cumulative = 0, 0.0
        for _, value in entries(fragment, name):
            if caller:  # only the time spent under calls from `caller`
                picked = [c for key, c in value[4].items() if key[2] == caller]
                calls += sum(c[1] for c in picked)
                cumulative += sum(c[3] for c in picked)
            else:
                calls += value[1]
                cumulative = max(cumulative, value[3])  # recursion counts once
        if calls:
            share = f"{cumulative / total:6.0%}" if total else ""
            print(f"{label:60} {calls:6d} {cumulative:7.2f} {share}")


# ---------------------------------------------------------------------------------------------------------------
# Set-up: the real master, every body's template, every row filled.


def prepare(root: Path, seed: int) -> tuple[Path, list[Path], list[Path]]:
    from tests.returns_kit import fill_every_row, issue
    from xlsx_tools.workbook.master import build_master

    master = root / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H2")
    templates = issue(master, root / "templates")
    rng = random.Random(seed)
    one_x = root / "returns-1x"
    ten_x = root / "returns-10x"
    one_x.mkdir()
    ten_x.mkdir()
    first = [fill_every_row(path, rng, out=one_x / path.name) for path in templates.values()]
    rounds: list[Path] = []
    for round_no in range(ROUNDS):  # round-major: each body's later return supersedes its earlier one
        for path in templates.values():
            target = ten_x / f"{path.stem}.r{round_no + 1:02d}{path.suffix}"
            rounds.append(fill_every_row(path, rng, out=target, round_no=round_no))
    return master, first, rounds


def count_rows(files: list[Path]) -> int:
    from tests.returns_kit import template_rows

    return sum(len(template_rows(p)) for p in files)


# ---------------------------------------------------------------------------------------------------------------
# Measurements


def run_worker(
    mode: str, master: Path, files: list[Path], scratch: Path, timed: bool = False, one_process: bool = False
) -> dict[str, Any]:
    """`one_process`: TIPWP_WORKERS=1, so the merge reads every return in its own process (no forked reader)."""
    job = scratch / f"job-{mode}-{len(files)}.json"
    job.write_text(json.dumps({"master": str(master), "files": [str(f) for f in files], "scratch": str(scratch)}))
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, str(job)]
    use_time = timed and TIME_BIN.exists()
    if use_time:
        command = [str(TIME_BIN), "-f", "TIME_MAXRSS_KB %M", *command]
    start = time.perf_counter()
    env = {**os.environ, "TIPWP_WORKERS": "1"} if one_process else None
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"worker {mode} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    result["process_wall"] = wall
    if use_time:
        kb = next(x for x in done.stderr.splitlines() if x.startswith("TIME_MAXRSS_KB "))
        result["peak_mb"] = int(kb.split()[1]) / 1024
        result["peak_source"] = "/usr/bin/time"
    return result


def peak_rss_without_time(master: Path, files: list[Path], scratch: Path) -> dict[str, Any]:
    """Fallback when /usr/bin/time is missing: the largest RSS of any child so far (run it first)."""
    result = run_worker("once", master, files, scratch)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["peak_source"] = "getrusage(RUSAGE_CHILDREN)"
    return result


def medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = [k for k in ("cold", "warm", "process_wall") if k in runs[0]]
    return {k: statistics.median(r[k] for r in runs) for k in keys}


def wall_times(command: list[str], count: int = 5) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def cli_merge(master: Path, files: list[Path], scratch: Path) -> float:
    fresh = _fresh_master(master, scratch, "cli")
    start = time.perf_counter()
    subprocess.run([str(VENV_BIN / "tipwp"), "merge", str(fresh), *map(str, files), "--json"], capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat per figure instead of three")
    parser.add_argument("--profile", action="store_true", help="also cProfile one cold 1x merge")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the filled values (default 2026)")
    parser.add_argument("--keep", type=Path, help="build the workbooks in this folder and keep them")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "JOB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker[0], Path(args.worker[1]))
        return 0
    repeats = 1 if args.quick else 3
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="bench-", dir=args.keep))
    else:
        root = Path(tempfile.mkdtemp(prefix="tipwp-bench-"))
    try:
        return run(root, repeats, args)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(root: Path, repeats: int, args: argparse.Namespace) -> int:
    scratch = root / "scratch"
    scratch.mkdir()
    start = time.perf_counter()
    master, one_x, ten_x = prepare(root, args.seed)
    rows_1x = count_rows(one_x)
    rows_10x = rows_1x * ROUNDS  # the same templates, filled ten times
    print(f"Set-up {time.perf_counter() - start:.1f} s in {root}: 2.0-plan master (130 rows, 4 pillar sheets);")
    print(f"  1x : {len(one_x)} returns (one per body), {rows_1x} filled rows")
    print(f"  10x: {len(ten_x)} returns ({ROUNDS} successive returns per body), {rows_10x} filled rows")
    print(
        f"  repeats per figure: {repeats} (medians), {RATIO_REPEATS * repeats} for the 1x dry runs; every figure "
        "from a fresh subprocess"
    )
    print(f"  machine: {os.cpu_count()} CPUs, load average {_load()} at the start\n")

    # memory first, so that the getrusage fallback sees this child as the largest so far
    if TIME_BIN.exists():
        peak_10x = run_worker("once", master, ten_x, scratch, timed=True)
        peak_1x = run_worker("once", master, one_x, scratch, timed=True)
    else:
        peak_10x = peak_rss_without_time(master, ten_x, scratch)
        peak_1x = {"peak_mb": float("nan"), "self_maxrss_mb": float("nan"), "reader_maxrss_mb": float("nan")}
    merge1 = [run_worker("merge", master, one_x, scratch) for _ in range(repeats)]
    # the ratio's figures are tens of milliseconds, where one call's noise is a large part: more processes
    plan1 = [run_worker("plan", master, one_x, scratch) for _ in range(RATIO_REPEATS * repeats)]
    serial1 = [run_worker("plan", master, one_x, scratch, one_process=True) for _ in range(RATIO_REPEATS * repeats)]
    cal1 = [run_worker("calamine", master, one_x, scratch) for _ in range(repeats)]
    merge10 = [run_worker("merge", master, ten_x, scratch) for _ in range(repeats)]
    plan10 = [run_worker("plan", master, ten_x, scratch) for _ in range(repeats)]
    cal10 = [run_worker("calamine", master, ten_x, scratch) for _ in range(repeats)]
    cli1 = statistics.median(cli_merge(master, one_x, scratch) for _ in range(repeats))
    help_times = wall_times([str(VENV_BIN / "tipwp"), "--help"])
    pass_times = wall_times([sys.executable, "-c", "pass"])
    import_times = wall_times([sys.executable, "-c", "import xlsx_tools.cli"])

    m1, p1, c1, s1 = medians(merge1), medians(plan1), medians(cal1), medians(serial1)
    m10, p10, c10 = medians(merge10), medians(plan10), medians(cal10)
    ratio1, ratio1_cold = (statistics.median(r[k] for r in plan1) for k in ("ratio_warm", "ratio_cold"))
    ratio_serial = statistics.median(r["ratio_warm"] for r in serial1)
    ratio10 = statistics.median(r["ratio_warm"] for r in plan10)
    for name, runs, written in (
        ("1x merge", merge1, True),
        ("10x merge", merge10, True),
        ("1x dry run", plan1, False),
        ("10x dry run", plan10, False),
    ):
        bad = [r for r in runs if r["written"] != written or r["errors"]]
        if bad:
            print(f"WARNING: {name}: a run wrote nothing or had validation errors: {bad[0]}")
    help_s, pass_s = statistics.median(help_times), statistics.median(pass_times)

    print("Raw figures (seconds; cold = first call in a fresh process, warm = second call in it)")
    print(f"  {'':34} {'cold':>8} {'warm':>8}")
    for label, figures in (
        ("1x  validate+merge (write)", m1),
        ("1x  read+validate+plan (dry run)", p1),
        ("1x  the same, in one process", s1),
        ("1x  calamine parse of the returns", c1),
        ("10x validate+merge (write)", m10),
        ("10x read+validate+plan (dry run)", p10),
        ("10x calamine parse of the returns", c10),
    ):
        print(f"  {label:34} {figures['cold']:8.3f} {figures['warm']:8.3f}")
    print(
        f"  {'1x  calamine, beside the dry run':34} {statistics.median(r['calamine_cold'] for r in plan1):8.3f} "
        f"{statistics.median(r['calamine_warm'] for r in plan1):8.3f}  (the ratios' denominator: same process, "
        "call for call)"
    )
    print(f"  {'1x  tipwp merge CLI, process wall':34} {cli1:8.3f}")
    label = 'python -c "import xlsx_tools.cli"'
    print(f"  {label:34} {statistics.median(import_times):8.3f}")
    print(f"  calamine cells parsed: 1x {cal1[0]['cells']}, 10x {cal10[0]['cells']}")
    print(
        f"  merged returns 1x {merge1[0]['merged']}/{len(one_x)}, 10x {merge10[0]['merged']}/{len(ten_x)}; "
        f"cell changes 1x {merge1[0]['changes']}, 10x {merge10[0]['changes']}"
    )
    print(
        f"  peak RSS ({peak_10x['peak_source']}): 1x {peak_1x['peak_mb']:.0f} MB, 10x {peak_10x['peak_mb']:.0f} MB "
        f"(the worker's own ru_maxrss: 1x {peak_1x['self_maxrss_mb']:.0f} MB, 10x {peak_10x['self_maxrss_mb']:.0f} MB)"
    )
    print(
        f"  the forked reader's own peak RSS: 1x {peak_1x['reader_maxrss_mb']:.0f} MB, "
        f"10x {peak_10x['reader_maxrss_mb']:.0f} MB (its pages are mostly shared with the merge process)"
    )
    print(
        "  tipwp --help runs: "
        + ", ".join(f"{t:.3f}" for t in help_times)
        + "; python -c pass runs: "
        + ", ".join(f"{t:.3f}" for t in pass_times)
    )
    print()

    rows = [
        ("1x validate+merge, cold (s)", m1["cold"], f"< {TARGETS['merge_1x']:g} s", m1["cold"] < TARGETS["merge_1x"]),
        ("1x validate+merge, warm (s)", m1["warm"], f"< {TARGETS['merge_1x']:g} s", m1["warm"] < TARGETS["merge_1x"]),
        (
            "1x read+validate+plan / calamine, warm",
            ratio1,
            f"<= {TARGETS['plan_vs_calamine']:g}x",
            ratio1 <= TARGETS["plan_vs_calamine"],
        ),
        (
            "1x read+validate+plan / calamine, cold",
            ratio1_cold,
            f"<= {TARGETS['plan_vs_calamine']:g}x",
            ratio1_cold <= TARGETS["plan_vs_calamine"],
        ),
        (
            "10x / 1x validate+merge time, cold",
            m10["cold"] / m1["cold"],
            f"<= {TARGETS['scale_10x']:g}",
            m10["cold"] / m1["cold"] <= TARGETS["scale_10x"],
        ),
        (
            "10x / 1x validate+merge time, warm",
            m10["warm"] / m1["warm"],
            f"<= {TARGETS['scale_10x']:g}",
            m10["warm"] / m1["warm"] <= TARGETS["scale_10x"],
        ),
        ("10x peak RSS (MB)", peak_10x["peak_mb"], f"< {TARGETS['peak_mb']:g} MB", peak_10x["peak_mb"] < 300),
        ("tipwp --help, median of 5 (s)", help_s, f"< {TARGETS['help_s']:g} s", help_s < TARGETS["help_s"]),
        ("python -c pass, median of 5 (s)", pass_s, "(reference)", None),
        ("1x the same in one process / calamine, warm", ratio_serial, "(reference)", None),
        ("10x / 1x read+validate+plan, warm", p10["warm"] / p1["warm"], "(reference)", None),
        ("10x read+validate+plan / calamine, warm", ratio10, "(reference)", None),
    ]
    print(f"Load average at the end: {_load()} (other work on the machine inflates the figures)\n")
    print(f"| {'measure':42} | {'value':>8} | {'target':>10} | met |")
    print(f"|{'-' * 44}|{'-' * 10}|{'-' * 12}|-----|")
    for measure, value, target, met in rows:
        shown = "" if met is None else ("yes" if met else "no")
        print(f"| {measure:42} | {value:8.3f} | {target:>10} | {shown:3} |")
    if args.profile:
        print()
        job = scratch / "job-profile.json"
        job.write_text(json.dumps({"master": str(master), "files": [str(f) for f in one_x], "scratch": str(scratch)}))
        profile = [sys.executable, str(Path(__file__).resolve()), "--worker", "profile", str(job)]
        # in one process, so that cProfile sees every return being read
        subprocess.run(profile, check=True, env={**os.environ, "TIPWP_WORKERS": "1"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
