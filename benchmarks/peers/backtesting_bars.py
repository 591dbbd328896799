"""backtesting.py's side of the bar benchmark: SMA(10/20) stop-and-reverse at 1,000 units, orders at
the next bar's open, no margin model (``margin=1``). Prints one JSON line (median seconds of ``run()``).

    .bench/backtesting/bin/python benchmarks/peers/backtesting_bars.py BARS.npz REPEAT
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
from _common import emit, median_time
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class SmaCross(Strategy):
    def init(self):
        self.a = self.I(SMA, self.data.Close, 10)
        self.b = self.I(SMA, self.data.Close, 20)

    def next(self):
        if crossover(self.a, self.b):
            self.position.close()
            self.buy(size=1000)
        elif crossover(self.b, self.a):
            self.position.close()
            self.sell(size=1000)


def main() -> None:
    d = np.load(sys.argv[1])
    df = pd.DataFrame({"Open": d["open"], "High": d["high"], "Low": d["low"], "Close": d["close"]},
                      index=pd.to_datetime(d["time"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sec, st = median_time(lambda: Backtest(df, SmaCross, cash=10_000, margin=1, trade_on_close=False,
                                               finalize_trades=False).run(), int(sys.argv[2]))
    import backtesting
    emit(seconds=sec, trades=int(st["# Trades"]), equity=float(st["Equity Final [$]"]),
         version=backtesting.__version__)


if __name__ == "__main__":
    main()
