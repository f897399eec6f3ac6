"""Benchmark of `tipwp merge` on the real 2.0 plan, as a person runs it: the whole command, in a fresh process.

    .venv/bin/python bench/bench_merge.py            # 5 runs per figure (medians), about a minute
    .venv/bin/python bench/bench_merge.py --runs 3

Figures, all measured in this one run, against the targets (bench/README.md):
- `tipwp merge` of the full plan's 12 filled returns (every row of every body filled), interpreter start included;
- the same with 10x the returns and rows (ten rounds of every body's return, each superseding the one before):
  time as a ratio of the 1x time, and the merge process's peak memory;
- `tipwp --help`;
- for context only (not a target): python-calamine's bare parse of the 12 returns, in a fresh process.

The package is byte-compiled first, as `pip install` leaves it on a user's machine (an editable checkout run with
PYTHONDONTWRITEBYTECODE=1, as on these machines, would otherwise recompile every module of ours on every run: about
0.1 s that no user pays).
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # tests.returns_kit fills the returns, as the merge tests do

TIPWP = Path(sys.executable).parent / "tipwp"
ROUNDS = 10
TARGETS = {"merge_1x_s": 1.0, "scale_10x": 10.0, "peak_10x_mb": 300.0, "help_s": 0.3}
CALAMINE = """
import sys
from python_calamine import CalamineWorkbook
for path in sys.argv[1:]:
    book = CalamineWorkbook.from_path(path)
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python()
"""


def prepare(root: Path, seed: int = 7) -> tuple[Path, list[Path], list[Path]]:
    """The real master, every body's template with every row filled (1x), and ten rounds of them (10x)."""
    from tests.returns_kit import fill_every_row, issue
    from xlsx_tools.workbook.master import build_master

    master = root / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H2")
    templates = issue(master, root / "templates")
    rng = random.Random(seed)
    (root / "1x").mkdir()
    (root / "10x").mkdir()
    one = [fill_every_row(path, rng, out=root / "1x" / path.name) for path in templates.values()]
    ten = [
        fill_every_row(path, rng, out=root / "10x" / f"{path.stem}.r{n:02d}{path.suffix}", round_no=n)
        for n in range(1, ROUNDS + 1)
        for path in templates.values()
    ]
    return master, one, ten


def timed(command: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MB) of one run of `command`; it must succeed (exit 0 or 1:
    findings). The CPU time (user + system) is printed beside the wall time: on a busy machine the wall time grows
    with the load, the CPU time much less, so the two together tell a slow program from a shared machine."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command[:3]} failed with {process.returncode}: {process.stderr.read().decode()[-800:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def merge_runs(master: Path, files: list[Path], scratch: Path, runs: int) -> list[tuple[float, float, float]]:
    out = []
    for n in range(runs):
        copy = scratch / f"run{n}" / "master.xlsx"
        copy.parent.mkdir(parents=True)
        shutil.copy(master, copy)
        out.append(timed([str(TIPWP), "merge", str(copy), *map(str, files)]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compileall.compile_dir(REPO / "xlsx_tools", quiet=1)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="tipwp-bench-") as folder:
        root = Path(folder)
        master, one, ten = prepare(root)
        # interleaved, so a slow minute of the machine weighs on every figure alike
        one_x, ten_x, help_s, calamine = [], [], [], []
        for n in range(args.runs):
            one_x += merge_runs(master, one, root / f"m1-{n}", 1)
            ten_x += merge_runs(master, ten, root / f"m10-{n}", 1)
            help_s.append(timed([str(TIPWP), "--help"])[0])
            calamine.append(timed([sys.executable, "-c", CALAMINE, *map(str, one)])[0])
    median_1x = statistics.median(w for w, _, _ in one_x)
    median_10x = statistics.median(w for w, _, _ in ten_x)
    figures = {
        "merge_1x_s": median_1x,
        "scale_10x": median_10x / median_1x,
        "peak_10x_mb": max(m for _, _, m in ten_x),
        "help_s": statistics.median(help_s),
    }
    load = os.getloadavg()[0]
    print(f"tipwp merge benchmark: {len(one)} returns (1x), {len(ten)} (10x), {args.runs} runs, medians")
    print(f"load average {load_before:.1f} at the start, {load:.1f} at the end (2 CPUs: above ~0.5 inflates the times)")
    print(f"{'figure':34} {'measured':>10} {'target':>8}")
    labels = {
        "merge_1x_s": "tipwp merge, 12 returns (s)",
        "scale_10x": "10x returns and rows / 1x (time)",
        "peak_10x_mb": "10x merge peak memory (MB)",
        "help_s": "tipwp --help (s)",
    }
    failed = []
    for key, label in labels.items():
        ok = figures[key] <= TARGETS[key]
        failed += [] if ok else [key]
        print(f"{label:34} {figures[key]:10.2f} {TARGETS[key]:8.1f}  {'ok' if ok else 'MISSED'}")
    print(f"{'tipwp merge, 12 returns, CPU (s)':34} {statistics.median(c for _, c, _ in one_x):10.2f}  (user + system)")
    print(f"{'10x merge (s)':34} {median_10x:10.2f}")
    print(f"{'calamine bare parse, 12 returns (s)':34} {statistics.median(calamine):10.2f}  (context, not a target)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
