"""vectorbt's side of the bar benchmark: the same SMA(10/20) stop-and-reverse at 1,000 units, timed on
``Portfolio.from_signals`` alone with the signals precomputed (its fastest path, orders at the next
open) and end to end (signals + portfolio). No margin model. Prints one JSON line.

    .bench/vectorbt/bin/python benchmarks/peers/vectorbt_bars.py BARS.npz REPEAT
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import vectorbt as vbt
from _common import emit, median_time


def main() -> None:
    d = np.load(sys.argv[1])
    repeat = int(sys.argv[2])
    close = pd.Series(d["close"], index=pd.to_datetime(d["time"]))
    opens = pd.Series(d["open"], index=close.index)

    def signals():
        fast = vbt.MA.run(close, 10).ma
        slow = vbt.MA.run(close, 20).ma
        return fast.vbt.crossed_above(slow), fast.vbt.crossed_below(slow)

    ent, ext = signals()
    nxt = opens.shift(-1).ffill()
    sec, pf = median_time(lambda: vbt.Portfolio.from_signals(close, entries=ent, short_entries=ext, size=1000,
                                                             init_cash=10_000, price=nxt), repeat)

    def full():
        e, x = signals()
        return vbt.Portfolio.from_signals(close, entries=e, short_entries=x, size=1000, init_cash=10_000, price=nxt)

    sec_full, _ = median_time(full, max(1, repeat // 2))
    emit(seconds=sec, seconds_end_to_end=sec_full, trades=int(pf.trades.count()), version=vbt.__version__)


if __name__ == "__main__":
    main()
