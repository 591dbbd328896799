"""`leverlab compare` over every broker and account type on the 12-year EURUSD H1 sample.

Goal: under 5 s wall on 2 cores with warm compiled caches. Measured:
  - the comparison itself (``compare()``), compiled-targets mode (fixed lots), 1 and 2 workers,
    process pool vs thread pool;
  - the same with risk-% sizing, which needs the equity at each decision and so runs the
    strategy bar by bar in Python (``--quick`` skips it: it is the slow one);
  - the whole command as a user runs it (new process: start-up, data, runs, report HTML + PNG).

    python benchmarks/bench_compare.py [--quick] [--json out.json]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    out_json = Path(argv[argv.index("--json") + 1]) if "--json" in argv else None
    from leverlab.analysis.compare import compare
    from leverlab.data import load

    bars = load("sample:eurusd-h1")
    # warm: load compiled kernels from the on-disk cache (first use in a process)
    compare(bars.take(slice(0, 500)), "sma_cross", deposit=1_000, sizing={"lots": 0.1}, brokers=["xm"], workers=1)
    compare(bars.take(slice(0, 500)), "sma_cross", deposit=1_000, brokers=["xm"], workers=1)
    rows = []
    cases = [("lots 0.1, compiled targets", {"lots": 0.1}, 1, "auto"),
             ("lots 0.1, compiled targets", {"lots": 0.1}, 2, "process"),
             ("lots 0.1, compiled targets", {"lots": 0.1}, 2, "thread")]
    if not quick:
        cases += [("risk 1%, Python next()", {"risk": 1.0}, 2, "process"),
                  ("risk 1%, Python next()", {"risk": 1.0}, 2, "thread")]
    import leverlab.analysis._runner as runner

    for label, sizing, workers, pool in cases:
        original = runner.run_jobs

        def run_jobs(jobs, ctx, w=None, on_done=None, pool=pool, _orig=original, **_):  # noqa: ANN001
            return _orig(jobs, ctx, w, on_done, pool=pool)

        runner.run_jobs = run_jobs
        try:
            wall, c = _timed(partial(compare, bars, "sma_cross", deposit=1_000, sizing=sizing, workers=workers))
        finally:
            runner.run_jobs = original
        n = int(c.timing["backtests"])
        rows.append((label, workers, pool, n, len(c.ranked), wall, c.timing["run"] / n * workers))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "leverlab.cli", "compare", "--lots", "0.1", "--workers", "2", "--out",
               str(Path(tmp) / "r"), "--json"]
        wall_cli, proc = _timed(lambda: subprocess.run(cmd, capture_output=True, text=True))
        ok = proc.returncode == 0
    print(f"EURUSD H1, {len(bars):,} bars (12 years), 1,000 USD, SC retail, every broker and account type")
    print(f"{'case':30s} {'workers':>7s} {'pool':>8s} {'runs':>5s} {'ranked':>6s} {'wall s':>7s} {'s/backtest':>10s}")
    for label, w, pool, n, ranked, wall, per in rows:
        print(f"{label:30s} {w:7d} {pool:>8s} {n:5d} {ranked:6d} {wall:7.2f} {per:10.3f}")
    print(f"{'CLI end to end (new process,':30s} {2:7d} {'auto':>8s}  lots 0.1, report HTML+PNG): "
          f"{wall_cli:.2f} s {'ok' if ok else 'FAILED: ' + proc.stderr[-300:]}")
    best = min(wall for label, _, _, _, _, wall, _ in rows if label.startswith("lots"))
    print(f"goal < 5 s (compiled targets, 2 workers): {'met' if best < 5 else 'NOT met'} ({best:.2f} s)")
    if out_json:
        import json

        out_json.write_text(json.dumps({"bars": len(bars), "cli_seconds": wall_cli, "rows": [
            {"case": label, "workers": w, "pool": pool, "backtests": n, "seconds": wall, "per_backtest": per}
            for label, w, pool, n, _, wall, per in rows]}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
