"""Start-up: a first backtest in a fresh process, compiled code cached on disk, and where its time goes.

    python benchmarks/bench_startup.py             # 5 fresh processes, medians, import profile
    python benchmarks/bench_startup.py --quick     # 3 processes
    python benchmarks/bench_startup.py --profile   # also a pyinstrument profile of one process (bench extra)

Goals (issue 13): the result within 1.5 s of starting the process and the process gone within 2 s, on a
quiet machine. Each child is a new ``python``: it imports leverlab, loads the 12-year EURUSD H1 sample,
runs SMA(10/20) at 0.01 lot with Exness standard terms (``Strategy.next`` per bar, 74k bars) and exits.
The phases are wall and CPU seconds from the child's first line (the interpreter's own start, a few
10 ms, is in "to result" and "to exit", measured by this parent from spawn). A second run in a
separate child tells the kernel's own time from the first call's loading of cached machine code.
CPU seconds are the child's alone, so they stay readable on a busy machine; wall is the goal.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOAL_RESULT, GOAL_EXIT = 1.5, 2.0

CHILD = r"""
import json, sys, time
T0, C0 = time.perf_counter(), time.process_time()
marks = []
def mark(name):
    marks.append((name, time.perf_counter() - T0, time.process_time() - C0))
import numpy, numba
mark("import numpy, numba")
from leverlab.engine import Backtest
from leverlab.strategies import SmaCross
from leverlab.data import load
mark("import leverlab (engine, strategies, data)")
bars = load("sample:eurusd-h1")
mark("load the sample (Parquet)")
bt = Backtest(bars, SmaCross, broker="exness", account_type="standard", country="SC", deposit=1_000)
mark("Backtest set-up (terms resolved)")
r = bt.run(lots=0.01)
mark("first run (compiled code loaded from the disk cache)")
done = time.time()
if "--again" in sys.argv:
    Backtest(bars, SmaCross, broker="exness", account_type="standard", country="SC", deposit=1_000).run(lots=0.01)
    mark("second run, same process")
print(json.dumps({"marks": marks, "result_epoch": done, "trades": r.stats["trades"]}), flush=True)
"""


def one(again: bool = False, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One fresh process: its phases, and from spawn the seconds to the result and to exit."""
    t_epoch, t0 = time.time(), time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, *(["--again"] if again else [])], capture_output=True,
                         text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"start-up child failed:\n{out.stderr[-2000:]}")
    d = json.loads(out.stdout.strip().splitlines()[-1])
    d["to_result"] = d["result_epoch"] - t_epoch
    d["to_exit"] = wall
    return d


CLI = ["backtest", "--data", "sample:eurusd-h1", "--broker", "exness", "--account-type", "standard", "--country", "SC",
       "--lots", "0.01", "--json"]


def cli_once() -> float:
    """Seconds from spawn to exit of ``leverlab backtest ... --json`` (the same backtest from the command line)."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "leverlab.cli", *CLI], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"leverlab backtest failed:\n{out.stdout[-1000:]}{out.stderr[-1000:]}")
    return time.perf_counter() - t0


def import_profile(top: int = 12) -> list[tuple[str, float]]:
    """Self time of each imported package (first dotted name; leverlab by subpackage), from ``-X importtime``."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c",
                          "from leverlab.engine import Backtest; from leverlab.strategies import SmaCross; "
                          "from leverlab.data import load"], capture_output=True, text=True, cwd=ROOT)
    per: dict[str, float] = defaultdict(float)
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, _, name = (x.strip() for x in line.split("|", 1)[0].split(":", 1) + line.split("|")[1:])
        parts = name.split(".")
        key = ".".join(parts[:2]) if parts[0] == "leverlab" else parts[0]
        per[key] += int(self_us) / 1e6
    return sorted(per.items(), key=lambda kv: -kv[1])[:top]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 processes instead of 5")
    ap.add_argument("--profile", action="store_true", help="a pyinstrument profile of one child (bench extra)")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    one()  # fill the disk caches (compiled code, bytecode, page cache)
    runs = [one() for _ in range(3 if a.quick else 5)]
    again = one(again=True)
    cli = statistics.median(cli_once() for _ in range(3))
    med = {k: statistics.median(r[k] for r in runs) for k in ("to_result", "to_exit")}
    phases = []
    prev_w = prev_c = 0.0
    for i, (name, _, _) in enumerate(runs[0]["marks"]):
        w = statistics.median(r["marks"][i][1] for r in runs)
        c = statistics.median(r["marks"][i][2] for r in runs)
        phases.append((name, w - prev_w, c - prev_c))
        prev_w, prev_c = w, c
    second = again["marks"][-1][1] - again["marks"][-2][1]
    first = phases[-1][1]
    print(f"cpu: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; python {sys.version.split()[0]}; "
          f"{len(runs)} fresh processes, medians")
    print(f"{'phase':<56} {'wall s':>7} {'cpu s':>7}")
    for name, w, c in phases:
        print(f"{name:<56} {w:7.3f} {c:7.3f}")
    print(f"{'  of the first run: the kernel itself (a second run)':<56} {second:7.3f}")
    print(f"{'  of the first run: loading cached compiled code, etc.':<56} {first - second:7.3f}")
    print(f"to result, from spawn: {med['to_result']:.2f} s (goal < {GOAL_RESULT} s: "
          f"{'met' if med['to_result'] < GOAL_RESULT else 'NOT met'}); to process exit: {med['to_exit']:.2f} s "
          f"(goal < {GOAL_EXIT} s: {'met' if med['to_exit'] < GOAL_EXIT else 'NOT met'}); "
          f"teardown {med['to_exit'] - med['to_result']:.2f} s")
    print(f"the same from the command line (leverlab backtest ... --json), spawn to exit: {cli:.2f} s")
    prof = import_profile()
    print("import self-time by package (python -X importtime): " +
          ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in prof))
    if a.profile:
        try:
            import pyinstrument  # noqa: F401
        except ImportError:
            print("--profile needs pyinstrument: pip install -e '.[bench]'")
            return 1
        subprocess.run([sys.executable, "-m", "pyinstrument", "-r", "text", "--show-all", "-c", CHILD], cwd=ROOT)
    if a.json:
        a.json.write_text(json.dumps({"to_result": med["to_result"], "to_exit": med["to_exit"], "cli_to_exit": cli,
                                      "phases": phases, "second_run": second, "imports": prof,
                                      "load": os.getloadavg()[0]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
