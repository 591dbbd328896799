"""Spreads per account beyond the typical figure (issue 9, item 1): the ``data+markup`` mode, and spread
widening around the broker's daily rollover and high-impact calendar events, compiled, on ticks and bars."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from conftest import bars, make_terms, ns, scripted

from leverlab.brokers import resolve_terms
from leverlab.brokers.terms import SpreadWindow
from leverlab.data.frames import Ticks
from leverlab.engine import Backtest, BacktestError

ROLL = dict(rollover_time="22:00", server_timezone="UTC")
MINUTE = 60_000_000_000


def _minute_ticks(start: int, n: int, bid: float = 1.1, spread: float = 0.0001) -> Ticks:
    """One EURUSD tick a minute from ``start``, constant bid and spread (1 pip)."""
    t = start + np.arange(n, dtype=np.int64) * MINUTE
    b = np.full(n, bid)
    return Ticks("EURUSD", t, b, b + spread)


def _buy_at(data, bar: int, terms, **kw):
    """Buy 1 lot at the close of decision bar ``bar`` (it fills at the next quote); return the Result."""
    return Backtest(data, scripted({bar: lambda s: s.buy(1)}), terms=terms, deposit=10_000, **kw).run()


def test_spread_widening_at_rollover_on_ticks():
    """Rollover 22:00 UTC; the documented default widens x3 from 5 minutes before to 30 after. A 1-pip
    EURUSD spread (10 USD a lot) bought at 22:10 (inside) costs 3 pips = 30.00 USD and fills at mid + 1.5 pips;
    at 21:50 (outside) 1 pip = 10.00 USD. Without widening 10.00 both times."""
    terms = make_terms(**ROLL)
    data = _minute_ticks(ns(2024, 1, 3, 21, 40), 70)  # 21:40 .. 22:49, M1 decision bars
    inside = _buy_at(data, 29, terms, timeframe="M1", widening=True)  # bar 22:09 closes, fills at 22:10
    assert inside.stats["costs"]["spread"] == Decimal("30.00")
    assert inside.trades[0].open_price == pytest.approx(1.1 + 0.00005 + 0.00015)
    outside = _buy_at(data, 9, terms, timeframe="M1", widening=True)  # fills at 21:50
    assert outside.stats["costs"]["spread"] == Decimal("10.00")
    off = _buy_at(data, 29, terms, timeframe="M1")
    assert off.stats["costs"]["spread"] == Decimal("10.00") and off.meta["widening"] == "off"
    assert inside.meta["widening"]["rollover"].startswith("default, assumed: x3")


def test_spread_widening_at_rollover_on_bars():
    """H1 bars with a 1-pip spread: an order at the close of the 21:00 bar fills at the 22:00 open, inside
    the rollover window (x3: 30.00 USD); at the close of the 19:00 bar it fills at 20:00 (10.00 USD)."""
    terms = make_terms(**ROLL)
    data = bars("EURUSD", [1.1] * 6, start=ns(2024, 1, 3, 18), spread=0.0001)  # 18:00 .. 23:00
    assert _buy_at(data, 3, terms, widening=True).stats["costs"]["spread"] == Decimal("30.00")
    assert _buy_at(data, 1, terms, widening=True).stats["costs"]["spread"] == Decimal("10.00")


def test_published_fixed_widening_and_news_windows():
    """A profile's own rollover widening of +2 pips (majors, 10 minutes each side) beats the default:
    1 + 2 = 3 pips at 22:05; a calendar event at 14:30 widens by the default news window (x3, 2 minutes
    before to 5 after): a fill at 14:32 pays 3 pips, at 14:40 one."""
    win = SpreadWindow("rollover", "pips", 2.0, 10.0, 10.0, asset_classes=("major",), source="test, high")
    terms = make_terms(spread_widening=(win,), **ROLL)
    data = _minute_ticks(ns(2024, 1, 3, 21, 40), 70)
    r = _buy_at(data, 24, terms, timeframe="M1", widening=True)  # fills at 22:05
    assert r.stats["costs"]["spread"] == Decimal("30.00")
    assert r.meta["widening"]["rollover"].startswith("test, high; -10/+10 min, on major")
    day = _minute_ticks(ns(2024, 1, 3, 14, 0), 60)
    cal = ["2024-01-03T14:30:00Z"]
    assert _buy_at(day, 31, terms, timeframe="M1", widening=True, calendar=cal).stats["costs"]["spread"] \
        == Decimal("30.00")
    assert _buy_at(day, 39, terms, timeframe="M1", widening=True, calendar=cal).stats["costs"]["spread"] \
        == Decimal("10.00")


def test_data_plus_markup_keeps_the_data_spread_shape():
    """Pepperstone Standard publishes "about 1 pip wider than Razor": under ``data+markup`` each quote's own
    spread gets +1 pip. Data spreads of 0.4 pip then 1.2 pips: a buy filled on the 1.2-pip quote pays 2.2 pips
    = 22.00 USD a lot."""
    terms = resolve_terms("pepperstone", "standard", "AU")
    b = bars("EURUSD", [1.1] * 4)
    sp = np.array([0.00004, 0.00012, 0.00012, 0.00012])
    data = type(b)(b.symbol, b.timeframe, b.time, b.bid_open, b.bid_high, b.bid_low, b.bid_close,
                   ask_open=b.bid_open + sp, ask_high=b.bid_high + sp, ask_low=b.bid_low + sp,
                   ask_close=b.bid_close + sp)
    r = Backtest(data, scripted({0: lambda s: s.buy(0.1)}), terms=terms, deposit=10_000, spread="data+markup").run()
    assert r.stats["costs"]["spread"] == Decimal("2.20")  # 0.1 lot: 2.2 pips x 1 USD
    assert r.meta["spreads"]["EURUSD"].startswith("data + 1 pips over the Razor account's raw spread")


def test_data_plus_markup_over_the_data_median_when_no_markup_is_published():
    """Exness Standard publishes a typical 0.95 pips but no markup: the reference is the data's median
    spread (here 1.30 pips), so every quote's spread moves by 0.95 - 1.30 = -0.35 pips (never below 0):
    a fill on a 1.30-pip quote pays 0.95 pips (9.50 USD a lot)."""
    terms = resolve_terms("exness", "standard", "SC")
    data = bars("EURUSD", [1.1] * 4, spread=0.00013)
    r = _buy_at(data, 0, terms, spread="data+markup")
    assert r.stats["costs"]["spread"] == Decimal("9.50")
    assert "-0.35 pips" in r.meta["spreads"]["EURUSD"] and "median spread 1.30 pips" in r.meta["spreads"]["EURUSD"]
    with pytest.raises(BacktestError, match="no spread of its own"):
        _buy_at(bars("EURUSD", [1.1] * 4), 0, terms, spread="data+markup")  # bid-only data
