"""The cost of simulating costs: the tick kernel with the broker spread model on, against the same run
with the data's own spread (issue 9: within 10 % of its speed, as a ratio measured in one run).

    python benchmarks/bench_costs.py            # 5M synthetic EURUSD ticks
    python benchmarks/bench_costs.py --quick    # 1M
    python benchmarks/bench_costs.py --json out.json

Both runs: EMA(10/20) cross on 1-minute bars, compiled targets, every tick simulated with margin and
stop-out checks, Exness Standard terms (SC, 1:1000), 0.1 lot. "data": the data's bid/ask as they are.
"broker model": bid/ask rebuilt around the mid with Exness's typical 0.95 pips, widened around every
rollover and one high-impact event a day (the documented defaults), and swaps from the policy-rate
table. The two are timed alternately (``--repeat`` pairs after one warm-up each; medians), end to end:
building the quote stream (where the spread model works: one compiled pass that rebuilds every tick and
its minute bars) plus the kernel plus the Result; and the compiled kernel's share alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

DAY = 86_400_000_000_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1M ticks instead of 5M")
    ap.add_argument("--ticks", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()

    from leverlab.brokers import resolve_terms
    from leverlab.data import synthetic_ticks
    from leverlab.engine import Backtest
    from leverlab.strategies import EmaCross

    n = a.ticks or (1_000_000 if a.quick else 5_000_000)
    tk = synthetic_ticks(n, symbol="EURUSD", seed=7)
    terms = resolve_terms("exness", "standard", "SC", selected_leverage=1000)
    t = np.asarray(tk.time, dtype=np.int64)
    calendar = list(range(int(t[0] // DAY * DAY + DAY // 2), int(t[-1]), DAY))  # 12:00 UTC each day

    def data() -> Any:
        return Backtest(tk, EmaCross, terms=terms, deposit=10_000, vectorized=True, timeframe="M1").run(lots=0.1)

    def broker() -> Any:
        return Backtest(tk, EmaCross, terms=terms, deposit=10_000, vectorized=True, timeframe="M1", spread="broker",
                        widening=True, swaps="policy", calendar=calendar).run(lots=0.1)

    from leverlab.engine._sim import _Sim

    kernel = [0.0]
    inner = _Sim._run_segment

    def timed(self: Any, *args: Any, **kw: Any) -> Any:  # the compiled kernel's share of a run
        t0 = time.perf_counter()
        try:
            return inner(self, *args, **kw)
        finally:
            kernel[0] += time.perf_counter() - t0

    _Sim._run_segment = timed  # type: ignore[method-assign]
    runs = {"data": data, "broker model": broker}
    out = {k: f() for k, f in runs.items()}  # warm-up (compiled code cached on disk)
    times: dict[str, list[float]] = {k: [] for k in runs}
    ktimes: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(a.repeat):
        for k, f in runs.items():
            kernel[0] = 0.0
            t0 = time.perf_counter()
            out[k] = f()
            times[k].append(time.perf_counter() - t0)
            ktimes[k].append(kernel[0])
    med = {k: statistics.median(v) for k, v in times.items()}
    kmed = {k: statistics.median(v) for k, v in ktimes.items()}
    ratio = med["broker model"] / med["data"]
    print(f"cpu: {os.cpu_count()} cores (shared), load average {os.getloadavg()[0]:.2f}; "
          f"python {sys.version.split()[0]}")
    print(f"{'case':<26} {'seconds':>9} {'ticks/s':>14}  costs (spread / commission / swap), trades")
    rows = []
    for k in runs:
        c = out[k].stats["costs"]
        rows.append(dict(case=k, seconds=med[k], ticks=n, rate=n / med[k], spread=str(c["spread"]),
                         swap=str(c["swap"]), trades=out[k].stats["trades"]))
        print(f"{k:<26} {med[k]:>9.3f} {n / med[k]:>14,.0f}  {c['spread']} / {c['commission']} / {c['swap']}, "
              f"{out[k].stats['trades']} trades")
    kratio = kmed["broker model"] / kmed["data"]
    print(f"broker model / data time ratio, end to end: {ratio:.3f} (goal: <= 1.10); compiled kernel alone: "
          f"{kratio:.3f} ({kmed['broker model']:.3f} s / {kmed['data']:.3f} s)")
    if a.json:
        a.json.write_text(json.dumps({"rows": rows, "ratio": ratio, "kernel_ratio": kratio}, indent=1))


if __name__ == "__main__":
    main()
