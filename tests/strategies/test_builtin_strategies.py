"""The built-in strategies decide what their docstrings say, on hand-made prices and on the sample."""

from __future__ import annotations

import numpy as np
import pytest

from leverlab.analysis.compare import CompareError, compare, min_bars
from leverlab.brokers import resolve_terms
from leverlab.data import Bars, load
from leverlab.engine import Backtest
from leverlab.strategies.bollinger_rsi import BollingerRsi, rsi
from leverlab.strategies.donchian import DonchianBreakout, rolling_max, rolling_min
from leverlab.strategies.grid import Grid
from leverlab.strategies.martingale import Martingale

H = 3_600_000_000_000
T0 = 1_704_103_200_000_000_000  # 2024-01-01 10:00 UTC, a Monday


def bars_from(close: list[float] | np.ndarray, spread: float = 0.00002, wick: float = 0.0002) -> Bars:
    """Two-sided H1 bars whose open is the previous close (no gaps), with small wicks."""
    c = np.asarray(close, dtype=np.float64)
    o = np.concatenate([[c[0]], c[:-1]])
    hi = np.maximum(o, c) + wick
    lo = np.minimum(o, c) - wick
    t = T0 + np.arange(c.shape[0], dtype=np.int64) * H
    return Bars("EURUSD", "H1", t, o, hi, lo, c, o + spread, hi + spread, lo + spread, c + spread)


@pytest.fixture(scope="module")
def terms():
    return resolve_terms("exness", "standard", "SC", "retail", currency="USD")


def test_channels_and_rsi_by_hand():
    x = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    assert np.allclose(rolling_max(x, 2)[1:], [3, 3, 5, 5]) and np.isnan(rolling_max(x, 2)[0])
    assert np.allclose(rolling_min(x, 3)[2:], [1, 2, 2])
    up = rsi(np.arange(30, dtype=float), 14)
    assert np.isnan(up[:14]).all() and np.allclose(up[14:], 100.0)
    # Wilder smoothing by hand: alternating +1/-1 from a first gain gives RS = g/l of the two EMAs
    alt = np.cumsum([0.0] + [1.0 if k % 2 == 0 else -1.0 for k in range(20)])
    g = loss = None
    for d in np.diff(alt):
        gk, lk = max(d, 0.0), max(-d, 0.0)
        g = gk if g is None else g + (gk - g) / 14
        loss = lk if loss is None else loss + (lk - loss) / 14
    assert rsi(alt, 14)[-1] == pytest.approx(100 - 100 / (1 + g / loss))


def test_donchian_buys_the_breakout_and_leaves_on_the_exit_channel(terms):
    flat = [1.1000 + 0.0003 * ((k % 4) - 1.5) for k in range(40)]
    up = [1.1010 + 0.0010 * k for k in range(10)]
    down = [up[-1] - 0.0015 * k for k in range(1, 15)]
    b = bars_from(flat + up + down)
    r = Backtest(b, DonchianBreakout, terms=terms, deposit=10_000).run(lots=0.1)
    first = r.trades[0]
    assert first.side == "buy" and first.open_time == int(b.time[41])  # decided at bar 40's close, filled next
    assert first.reason in ("signal", "sl") and first.close_time > first.open_time
    assert first.profit > 0  # the rally was caught, the fall ended it
    assert DonchianBreakout.min_bars() == 22 and DonchianBreakout.min_bars(entry=55) == 57


def test_risk_sizing_uses_the_exit_channel_as_the_stop(terms):
    bars = load("sample:eurusd-h1").between(None, T0 - 11 * 365 * 24 * H)  # 2007..2013
    r = Backtest(bars.take(slice(0, 3000)), DonchianBreakout, terms=terms, deposit=10_000).run(risk=1)
    assert r.stats["trades"] > 10
    stopped = [t for t in r.trades if t.reason == "sl"]
    assert stopped and all(-t.profit <= 10_000 * 0.02 for t in stopped[:3])  # about 1 % of equity, never 2 %


def test_bollinger_rsi_fades_a_spike_and_exits_at_the_middle(terms):
    base = [1.1000 + 0.0002 * np.sin(k / 2) for k in range(40)]
    crash = [base[-1] - 0.0020 * k for k in range(1, 6)]
    recover = [crash[-1] + 0.0025 * k for k in range(1, 8)]
    b = bars_from(base + crash + recover)
    r = Backtest(b, BollingerRsi, terms=terms, deposit=10_000).run(lots=0.1, sl_pips=200)
    assert r.trades, "the spike below the band with RSI < 30 should be bought"
    t = r.trades[0]
    assert t.side == "buy" and t.reason == "signal" and t.profit > 0
    assert BollingerRsi.min_bars(bb_period=50) == 51


def test_grid_buys_each_rung_down_takes_profit_one_step_up_and_respects_max_levels(terms):
    down = [1.1000 - 0.0005 * k for k in range(30)]  # 15 pips per bar through 20-pip rungs
    b = bars_from(down + down[::-1], wick=0.00001)
    r = Backtest(b, Grid, terms=terms, deposit=10_000).run(lots=0.01, step_pips=20, max_levels=3, side="long")
    buys = [t for t in r.trades if t.side == "buy"]
    assert buys and all(t.reason in ("tp", "end") for t in buys)
    assert all(t.reason != "tp" or t.close_price - t.open_price == pytest.approx(0.0020, abs=0.0006) for t in buys)
    # never more than 3 open at once
    events = sorted([(t.open_time, 1) for t in buys] + [(t.close_time, -1) for t in buys], key=lambda e: (e[0], e[1]))
    open_now, peak = 0, 0
    for _, d in events:
        open_now += d
        peak = max(peak, open_now)
    assert peak == 3
    assert not [t for t in r.trades if t.side == "sell"]


def test_martingale_doubles_after_losses_resets_after_a_win_and_blows_up(terms):
    month = load("sample:eurusd-h1").take(slice(0, 800))
    r = Backtest(month, Martingale, terms=terms, deposit=1_000).run(lots=0.01)
    trades = r.trades
    for prev, nxt in zip(trades, trades[1:]):
        if nxt.reason == "stop_out" or prev.reason == "stop_out":
            continue
        expected = 0.01 if prev.profit > 0 else min(round(prev.lots * 2, 2), 0.01 * 2 ** 8)
        assert nxt.lots == pytest.approx(expected), (prev, nxt)
    assert r.stats["stop_outs"] >= 1 and r.stats["final_equity"] < 100  # the run of losses that ends it


def test_compare_runs_each_builtin_and_checks_the_warm_up():
    bars = load("sample:eurusd-h1").between(1_538_352_000_000_000_000, None)
    for cls in (DonchianBreakout, BollingerRsi, Grid, Martingale):
        c = compare(bars, cls, deposit=1_000, sizing={"risk": 1}, brokers=["pepperstone"], workers=1)
        assert c.ranked and all(r.simulated for r in c.ranked), cls
    with pytest.raises(CompareError, match="needs at least 57"):
        compare(bars.take(slice(0, 40)), DonchianBreakout, deposit=1_000, params={"entry": "55"},
                brokers=["pepperstone"], workers=1)
    assert min_bars(Grid, {}) == 2
