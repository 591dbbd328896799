"""SMA(10/20) stop-and-reverse at 1,000 units on backtesting.py's own EURUSD.csv: same trades and the
same final equity to the cent as backtesting.py.

How the two are configured to be equivalent:
- costs: backtesting.py ``commission=0, spread=0``; leverlab terms with no commission, no swaps
  (no swap rates given) and, the CSV being single-sided, a zero spread model (ask = bid);
- leverage: backtesting.py ``margin=1`` (no leverage) with 10,000 cash, which never binds at
  1,000 units; leverlab 1:100 with a 10,000 USD deposit and stop-out 0 %, which never binds either;
- fills: backtesting.py ``trade_on_close=False`` fills a decision at the next bar's open, as
  leverlab does; ``exclusive_orders=False`` with an explicit ``position.close()`` before each
  entry, as leverlab's SmaCross does; ``finalize_trades=False``: backtesting.py then leaves the last
  trade open and values it at the last close in "Equity Final", which is where leverlab closes it
  (reason 'end'). (With ``finalize_trades=True`` backtesting.py fills that close at the last bar's
  *open*, a bar before the data ends, so the last trade would differ by design.)
- 1,000 units of EURUSD = 0.01 lot (contract size 100,000); prices have 5 decimals, so every
  profit is a whole number of cents and leverlab's per-deal rounding changes nothing.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from conftest import make_terms

from leverlab.data.frames import Bars
from leverlab.engine import Backtest
from leverlab.strategies import SmaCross
from leverlab.times import iso

DATA = (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "backtesting-py" / "backtesting" / "test"
        / "EURUSD.csv")


def _load():
    pd = pytest.importorskip("pandas")
    if not DATA.exists():
        pytest.skip(f"shared data not found: {DATA.name}")
    df = pd.read_csv(DATA, index_col=0, parse_dates=True)
    t = df.index.values.astype("datetime64[ns]").astype(np.int64)
    bars = Bars("EURUSD", "H1", t, *(df[c].to_numpy(np.float64) for c in ("Open", "High", "Low", "Close")))
    return df, bars


def test_sma_cross_matches_backtesting_py_trade_for_trade():
    bt = pytest.importorskip("backtesting")
    from backtesting.lib import crossover
    from backtesting.test import SMA

    df, bars = _load()

    class BtSmaCross(bt.Strategy):
        def init(self):
            self.ma1 = self.I(SMA, self.data.Close, 10)
            self.ma2 = self.I(SMA, self.data.Close, 20)

        def next(self):
            if crossover(self.ma1, self.ma2):
                self.position.close()
                self.buy(size=1000)
            elif crossover(self.ma2, self.ma1):
                self.position.close()
                self.sell(size=1000)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = bt.Backtest(df, BtSmaCross, cash=10_000, commission=0, spread=0, margin=1, trade_on_close=False,
                            exclusive_orders=False, finalize_trades=False).run()
    theirs = stats["_trades"]

    terms = make_terms(leverage=100.0, stop_out=0.0, margin_call=None)
    r = Backtest(bars, SmaCross, terms=terms, deposit=10_000).run(units=1000)

    assert len(r.trades) == len(theirs) + 1 > 100  # + the trade backtesting.py leaves open
    assert r.trades[-1].reason == "end" and all(t.reason == "signal" for t in r.trades[:-1])
    ts = lambda x: x.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    for mine, (_, th) in zip(r.trades, theirs.iterrows()):
        assert (iso(mine.open_time), iso(mine.close_time)) == (ts(th.EntryTime), ts(th.ExitTime))
        assert mine.side == ("buy" if th.Size > 0 else "sell")
        assert mine.lots * 100_000 == pytest.approx(abs(th.Size))
        assert mine.open_price == pytest.approx(th.EntryPrice, abs=1e-12)
        assert mine.close_price == pytest.approx(th.ExitPrice, abs=1e-12)
        assert mine.profit == Decimal(str(round(th.PnL, 2)))
    final = Decimal(str(round(stats["Equity Final [$]"], 2)))
    assert r.stats["final_equity"] == final
    assert r.stats["final_balance"] == final


def test_vectorized_sma_cross_matches_strategy_mode():
    _, bars = _load()
    terms = make_terms(leverage=100.0, stop_out=0.0, margin_call=None)
    a = Backtest(bars, SmaCross, terms=terms, deposit=10_000).run(units=1000)
    b = Backtest(bars, SmaCross, terms=terms, deposit=10_000, vectorized=True).run(units=1000)
    assert [(t.open_time, t.close_time, t.profit) for t in a.trades] == [
        (t.open_time, t.close_time, t.profit) for t in b.trades]
    assert a.stats["final_equity"] == b.stats["final_equity"]
    assert np.array_equal(a.series.equity, b.series.equity)
