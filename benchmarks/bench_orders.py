"""Orders per second as the number of orders placed grows: the cost of one order must not grow with it.

    python benchmarks/bench_orders.py                 # 10k, 100k and 1M orders
    python benchmarks/bench_orders.py --sizes 10000 100000
    python benchmarks/bench_orders.py --quick           # 10k and 100k
    python benchmarks/bench_orders.py --keep-open --per-bar 5 --deposit 1e9   # up to a million positions open

One account (Exness standard terms for SC, deposit 1,000,000 USD unless ``--deposit``) steps through synthetic
EURUSD H1 bars (the sample series mirror-tiled). At each bar close it places ``--per-bar`` orders:
market buys and sells with SL/TP, pending limits and stops away from the price, and it cancels the
previous bar's pending orders that are left and closes every position, so the number of orders
alive at any moment stays bounded while the number placed grows with the bars. Prints orders/s per
size and the ratio of each size's rate to the smallest's (1.0: the cost per order does not grow).

``--keep-open`` places market buys only and never closes them, so the open positions grow with the
orders (until free margin runs out: then orders are rejected, and stop-outs close the worst first).
Above a few dozen open positions the kernel values the account from per-symbol totals and tracks
MAE/MFE lazily, so a quote costs O(symbols), not O(open positions): the rate should stay roughly
flat in this case too. The machine may be shared: read the numbers as indicative.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from bench_engine import mirror_tile  # this folder is on sys.path when a benchmark runs

from leverlab import load, resolve_terms
from leverlab.data.frames import Bars
from leverlab.engine import Account

H1 = 3_600_000_000_000


def tiled_bars(n: int) -> Bars:
    """``n`` H1 bars of the sample series, tiled forth and back (no fake gaps), hourly from its start."""
    b = load("sample:eurusd-h1")
    cols = mirror_tile(*(np.asarray(x, dtype=np.float64) for x in (b.bid_open, b.bid_high, b.bid_low, b.bid_close)),
                       n)
    t = int(np.asarray(b.time)[0]) + np.arange(n, dtype=np.int64) * H1
    spread = 0.00008
    return Bars("EURUSD", "H1", t, cols[0], cols[1], cols[2], cols[3], ask_open=cols[0] + spread,
                ask_high=cols[1] + spread, ask_low=cols[2] + spread, ask_close=cols[3] + spread)


def run(n_orders: int, per_bar: int, keep_open: bool = False, deposit: float = 1_000_000
        ) -> tuple[float, int, int, int]:
    """Place ``n_orders`` orders (``per_bar`` at each bar close); returns seconds, trades, events and the
    positions still open at the end (closed by the finish)."""
    n_bars = n_orders // per_bar + 1
    data = tiled_bars(n_bars)
    acct = Account(resolve_terms("exness", "standard", "SC"), ["EURUSD"], deposit=deposit)
    acct.feed(data)
    dec = acct.decisions
    close = np.asarray(data.bid_close)
    placed = 0
    pending: list[int] = []
    t0 = time.perf_counter()
    for d in range(n_bars - 1):
        acct.advance(int(dec[d]) + 1)
        if keep_open:
            for _ in range(min(per_bar, n_orders - placed)):
                acct.submit("EURUSD", 1, 0.01)
            placed += per_bar
            continue
        for oid in pending:
            try:
                acct.cancel(oid)
            except ValueError:  # filled meanwhile
                pass
        pending.clear()
        acct.close("EURUSD")
        px = float(close[d])
        for k in range(per_bar):
            if placed >= n_orders:
                break
            kind = k % 4
            side = 1 if (k // 4) % 2 == 0 else -1
            if kind == 0:
                acct.submit("EURUSD", side, 0.01, sl=px - side * 0.01, tp=px + side * 0.01)
            elif kind == 1:
                acct.submit("EURUSD", -side, 0.02)
            elif kind == 2:
                pending.append(acct.submit("EURUSD", side, 0.01, limit=px - side * 0.002))
            else:
                pending.append(acct.submit("EURUSD", side, 0.01, stop=px + side * 0.002))
            placed += 1
    acct.advance()
    r = acct.finish()
    secs = time.perf_counter() - t0
    return secs, r.stats.trades, len(r.events), sum(t.reason == "end" for t in r.trades)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--per-bar", type=int, default=10)
    ap.add_argument("--keep-open", action="store_true", help="market buys only, never closed")
    ap.add_argument("--deposit", type=float, default=1_000_000,
                    help="USD (1e9 keeps a million 0.01-lot buys open: no stop-out)")
    ap.add_argument("--quick", action="store_true", help="10k and 100k orders")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    if a.quick:
        a.sizes = [s for s in a.sizes if s <= 100_000] or a.sizes
    rows = []
    run(1_000, a.per_bar, a.keep_open, a.deposit)  # warm-up: compiled code loaded from the cache
    base = None
    head = ("orders", "seconds", "orders/s", "ratio", "trades", "events", "open at end")
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, (10, 9, 10, 6, 9, 9, 11))), flush=True)
    for n in a.sizes:
        secs, trades, events, still_open = run(n, a.per_bar, a.keep_open, a.deposit)
        rate = n / secs
        base = base or rate
        print(f"{n:>10,} {secs:>9.2f} {rate:>10,.0f} {rate / base:>6.2f} {trades:>9,} {events:>9,} {still_open:>11,}",
              flush=True)
        rows.append({"orders": n, "seconds": secs, "orders_per_second": rate, "ratio": rate / base,
                     "open_at_end": still_open})
    if a.json:
        import json

        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
