"""`leverlab sweep` throughput: broker accounts x leverages x strategy parameters, locally and on a local Ray.

    python benchmarks/bench_sweep.py            # 10 accounts x 10 leverages x 10 parameter sets = 1,000
                                                # backtests on the 12-year EURUSD H1 sample
    python benchmarks/bench_sweep.py --quick    # 3 x 3 x 3 = 27 backtests on the same data
    python benchmarks/bench_sweep.py --no-ray   # the local pool only

SMA cross at 0.1 lot (its compiled targets mode), 1,000 USD, SC retail. Measured: backtests per
second with the local pool (``--workers``, default all cores) and on a local Ray started here with as
many CPUs (its start-up timed apart), the per-backtest CPU cost, and the sizes that a cluster ships:
the shared context (market data, strategy, parameters) once per node, a job (terms, parameters) per
backtest, and a Result back per backtest. docs/SCALE.md turns these into a cluster estimate. The two
executors' points are compared: a difference fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from pathlib import Path

ACCOUNTS = ["amarkets/standard", "exness/standard", "fbs/standard", "fpmarkets/standard", "justmarkets/standard",
            "octa/mt", "xm/standard", "exness/pro", "xm/micro", "fpmarkets/raw"]
LEVERAGES = [30, 50, 100, 200, 300, 500, 1000, 2000, 3000, "unlimited"]
FAST = [4, 5, 6, 7, 8, 9, 10, 12, 14, 16]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 x 3 x 3 backtests")
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    from leverlab.analysis import _runner
    from leverlab.analysis.sweep import sweep
    from leverlab.data import load

    k = 3 if a.quick else 10
    accounts, levs, grid = ACCOUNTS[:k], LEVERAGES[:: 10 // k][:k], {"fast": FAST[:k], "slow": [30]}
    bars = load("sample:eurusd-h1")
    kw = dict(leverages=levs, params_grid=grid, deposit=1_000, sizing={"lots": 0.1}, workers=a.workers,
              keep_results=False)  # as `leverlab sweep` runs it: each point's figures, not its whole Result
    sweep(bars.take(slice(0, 2000)), "sma_cross", accounts[:1], None, **{**kw, "leverages": [100]})  # warm-up
    c0, w0 = time.process_time(), time.perf_counter()
    local = sweep(bars, "sma_cross", accounts, None, **kw)
    cpu_local = time.process_time() - c0  # threads of this process: the compiled kernel releases the GIL
    wall_local = time.perf_counter() - w0
    n = len(local.points)
    rows = [{"executor": f"local ({a.workers} workers)", "backtests": n, **local.timing, "call_seconds": wall_local}]
    print(f"EURUSD H1, {len(bars):,} bars (12 years); {len(accounts)} accounts x {len(levs)} leverages x "
          f"{len(grid['fast'])} parameter sets = {n:,} backtests; cpu: {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")
    sizes = {}
    from leverlab.engine import Backtest
    from leverlab.strategies import SmaCross

    res = Backtest(bars, SmaCross, broker="exness", account_type="standard", country="SC", deposit=1_000,
                   vectorized=True).run(lots=0.1)
    sizes["data_bytes"] = sum(x.nbytes for x in vars(bars).values() if hasattr(x, "nbytes"))
    sizes["result_bytes"] = len(pickle.dumps(res, protocol=5))
    sizes["figures_bytes"] = len(pickle.dumps((local.points[0].traded, local.points[0].stats), protocol=5))
    from leverlab.brokers import resolve_terms

    job = _runner.Job(resolve_terms("exness", "standard", "SC"), 1000.0, {"fast": 5})
    sizes["job_bytes"] = len(pickle.dumps(job, protocol=5))
    # a batch of jobs on one account's terms pickles the terms once (pickle keeps one copy of an object)
    batch = [_runner.Job(job.terms, 1000.0, {"fast": k}) for k in range(101)]
    sizes["job_in_batch_bytes"] = (len(pickle.dumps(batch, protocol=5)) - sizes["job_bytes"]) / 100
    failed = False
    if not a.no_ray:
        import ray

        t0 = time.perf_counter()
        ray.init(num_cpus=a.workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
        start = time.perf_counter() - t0
        first = sweep(bars, "sma_cross", accounts, None, executor="ray", **kw)  # workers start, load kernels
        w0 = time.perf_counter()
        on_ray = sweep(bars, "sma_cross", accounts, None, executor="ray", **kw)
        wall_ray = time.perf_counter() - w0
        ray.shutdown()
        rows.append({"executor": f"local Ray ({a.workers} CPUs), first sweep (workers starting)", "backtests": n,
                     **first.timing})
        rows.append({"executor": f"local Ray ({a.workers} CPUs), warm", "backtests": n, **on_ray.timing,
                     "call_seconds": wall_ray})
        same = [p.to_dict() for p in on_ray.points] == [p.to_dict() for p in local.points]
        print(f"local Ray start-up {start:.2f} s (not counted); Ray's points equal the local pool's: {same}")
        failed = not same
    print(f"{'executor':<52} {'backtests':>9} {'seconds':>8} {'backtests/s':>12} {'whole call s':>12}")
    for r in rows:
        whole = f"{r['call_seconds']:.2f}" if "call_seconds" in r else ""
        print(f"{r['executor']:<52} {r['backtests']:>9,.0f} {r['run_seconds']:>8.2f} "
              f"{r['backtests_per_second']:>12,.1f} {whole:>12}")
    per_cpu = cpu_local / n
    print(f"CPU per backtest (local, all threads): {per_cpu * 1e3:.1f} ms; shared data "
          f"{sizes['data_bytes'] / 2**20:.1f} MiB (once per node); job {sizes['job_bytes'] / 1024:.1f} KiB "
          f"({sizes['job_in_batch_bytes']:.0f} B more for each job on the same terms in a batch); "
          f"back per backtest: figures "
          f"{sizes['figures_bytes'] / 1024:.1f} KiB (a whole Result would be {sizes['result_bytes'] / 2**20:.1f} MiB)")
    if a.json:
        a.json.write_text(json.dumps({"rows": rows, "cpu_per_backtest": per_cpu, **sizes, "bars": len(bars)},
                                     indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
