"""`leverlab ruin`: Monte Carlo risk of ruin, 100k paths x 1,000 trades, on this machine's cores and on a local Ray.

    python benchmarks/bench_ruin.py [--quick] [--no-ray] [--json out.json]

Goal (README): under 5 s for 100k paths x 1,000 trades. Medians of 3 runs after a warm-up (compiled
code loaded from the disk cache). On Ray the paths are split into ranges, one task each; the figures
must equal the local run's (a difference fails the run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20k paths")
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    from leverlab.analysis.ruin import risk_of_ruin

    paths = 20_000 if a.quick else 100_000
    kw = dict(deposit=1_000, leverage=1000, stop_out_level=50, win_rate=0.45, reward_risk=1.5, risk_pct=2,
              n_trades=1000, n_paths=paths, seed=3)

    def timed(**extra):
        risk_of_ruin(**{**kw, "n_paths": 1000}, **extra)  # warm-up
        times, res = [], None
        for _ in range(3):
            t0 = time.perf_counter()
            res = risk_of_ruin(**kw, **extra)
            times.append(time.perf_counter() - t0)
        return statistics.median(times), res

    rows = []
    sec, local = timed()
    rows.append({"executor": f"local ({os.cpu_count()} cores, numba threads)", "seconds": sec})
    same = True
    if not a.no_ray:
        import ray

        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, configure_logging=False)
        sec, there = timed(executor="ray")
        ray.shutdown()
        same = there == local
        rows.append({"executor": f"local Ray ({os.cpu_count()} CPUs)", "seconds": sec})
    print(f"{paths:,} paths x 1,000 trades, 2 % risk at 1:1000; load average {os.getloadavg()[0]:.2f}")
    for r in rows:
        print(f"{r['executor']:<40} {r['seconds']:6.2f} s  ({paths * 1000 / r['seconds'] / 1e6:,.0f}M trades/s)")
    print(f"P(stop-out) {local.p_stop_out:.2%}, P(ruin) {local.p_ruin:.2%}; Ray's figures equal the local run's: "
          f"{same}")
    if a.json:
        a.json.write_text(json.dumps({"paths": paths, "rows": rows}, indent=1))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
