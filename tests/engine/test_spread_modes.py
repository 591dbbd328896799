"""Spread modes: ``data`` keeps the data's bid/ask, ``broker`` rebuilds them around the data's mid with
the account type's typical spread, before the kernel (which only ever sees a bid and an ask).

The typical spread used here (1.0 pip on EURUSD, 10 points of 0.00001) is assumed for the test,
not a broker's figure."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from conftest import bars, make_terms, ticks

from leverlab.data.resample import intrabar_path
from leverlab.engine import Backtest, BacktestError
from leverlab.engine._prepare import build_stream
from leverlab.instruments import instrument

ONE_PIP = {"EURUSD": 10.0}  # points; assumed
ONE_PIP_SRC = {"EURUSD": "1 pips (assumed for a test, low)"}


def _terms(**kw):
    return make_terms(spread_points=ONE_PIP, spread_sources=ONE_PIP_SRC, **kw)


def test_broker_bars_have_the_accounts_spread_at_every_vertex_and_the_datas_mid():
    # two-sided data with a 2-pip spread; the account's typical spread is 1 pip (assumed)
    b = bars("EURUSD", [1.1000, 1.1020, 1.0990, 1.1005], highs=[1.1010, 1.1030, 1.1025, 1.1012],
             lows=[1.0995, 1.0998, 1.0980, 1.0985], spread=0.0002)
    spec = instrument("EURUSD")
    s = build_stream({"EURUSD": b}, ["EURUSD"], _terms(), {"EURUSD": spec}, "H1", "broker")
    assert s.ask.shape == (16,)  # four vertices (open, nearer extreme, other extreme, close) per bar
    np.testing.assert_allclose(s.ask - s.bid, 0.0001, atol=1e-12)  # 10 points x 0.00001
    _, bid, ask = intrabar_path(b, point=spec.point)  # the data's own path
    np.testing.assert_allclose((s.bid + s.ask) / 2, (bid + ask) / 2, atol=1e-12)
    # every OHLC column is rebuilt: the strategy's bars are mid -/+ 0.00005
    np.testing.assert_allclose(s.bars.ask_high - s.bars.bid_high, 0.0001, atol=1e-12)
    np.testing.assert_allclose(s.bars.bid_low, np.array([1.0995, 1.0998, 1.0980, 1.0985]) + 0.0001 - 0.00005)
    data = build_stream({"EURUSD": b}, ["EURUSD"], _terms(), {"EURUSD": spec}, "H1", "data")
    np.testing.assert_allclose(data.ask - data.bid, 0.0002, atol=1e-12)  # the data's own spread


def test_broker_ticks_have_the_accounts_spread_and_the_datas_mid():
    t = ticks("EURUSD", [1.1000, 1.1003, 1.0999, 1.1001], spread=0.0003)
    spec = instrument("EURUSD")
    s = build_stream({"EURUSD": t}, ["EURUSD"], _terms(), {"EURUSD": spec}, "M1", "broker")
    np.testing.assert_allclose(s.ask - s.bid, 0.0001, atol=1e-12)
    np.testing.assert_allclose((s.bid + s.ask) / 2, np.asarray(t.bid) + 0.00015, atol=1e-12)


def _one_trade(spread: str):
    """Buy 1 lot at the first close, close it at the last; flat prices."""
    b = bars("EURUSD", [1.1] * 4, spread=0.0002)
    return Backtest(b, [1.0, math.nan, math.nan, 0.0], terms=_terms(), deposit=10_000, spread=spread).run()


def test_one_trade_pays_lots_times_contract_size_times_the_spread():
    """1 lot x 100,000 EUR x 0.0001 (1 pip) = 10.00 USD under ``broker``; under ``data`` the data's
    2-pip spread: 1 x 100,000 x 0.0002 = 20.00 USD. Prices are flat, so the loss is the spread."""
    r = _one_trade("broker")
    assert r.stats.costs.spread == Decimal("10.00")
    assert r.stats.final_equity == Decimal("9990.00")
    assert r.meta["spread"] == "broker"
    assert r.meta["spreads"] == {"EURUSD": "broker 1 pips (assumed for a test, low)"}
    assert r.summary()["spreads"] == {"EURUSD": "broker 1 pips (assumed for a test, low)"}
    d = _one_trade("data")
    assert d.stats.costs.spread == Decimal("20.00")
    assert d.meta["spread"] == "data" and d.meta["spreads"] == {"EURUSD": "data"}
    assert d.summary()["spread"] == "data"


def test_broker_without_a_published_spread_is_an_error_naming_account_and_symbol():
    b = bars("EURUSD", [1.1] * 4, spread=0.0002)
    with pytest.raises(BacktestError, match=r"test/standard publishes no typical spread for EURUSD"):
        Backtest(b, None, terms=make_terms(), spread="broker")
    with pytest.raises(BacktestError, match="spread mode 'bid'"):
        Backtest(b, None, terms=_terms(), spread="bid")
