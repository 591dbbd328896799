"""Every summary statistic agrees with the series and events it summarises."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import numpy as np
import pytest
from conftest import bars, make_terms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leverlab.engine import Backtest
from leverlab.engine.result import max_drawdown
from leverlab.strategies import Strategy
from leverlab.times import iso


def check_stats(r, deposit) -> None:
    """The statistics of ``r`` against its own events, series, trades and deals."""
    s = r.stats
    types = [e.type for e in r.events]
    assert s.stop_outs == types.count("stop_out")
    assert s.margin_calls == types.count("margin_call")
    assert s.rejects == types.count("reject")
    assert s.trades == len(r.trades) and s.deals == len(r.deals)
    assert s.final_balance == r.ledger_balance() == sum((d.amount for d in r.deals if d.kind != "bonus"), Decimal(0))
    assert r.deals[0].kind == "deposit" and r.deals[0].amount == Decimal(str(deposit))
    so = [e.time for e in r.events if e.type == "stop_out"]
    assert s.first_stop_out_time == (iso(so[0]) if so else None)
    assert s.max_drawdown == max_drawdown(np.asarray(r.series.equity))
    levels = [e.margin_level for e in r.events if e.margin_level is not None and math.isfinite(e.margin_level)]
    series = np.asarray(r.series.margin_level)
    levels += series[np.isfinite(series)].tolist()
    if s.min_margin_level is None:
        assert levels == []
    else:
        assert all(s.min_margin_level <= lv for lv in levels)


def test_min_margin_level_includes_the_stop_out():
    # the run's own events show a margin call at 50 % and a stop-out at 20 %: the lowest level seen is 20 %
    from typer.testing import CliRunner

    from leverlab.cli import app

    out = CliRunner().invoke(app, ["backtest", "--data", "sample:eurusd-h1", "--broker", "xm", "--account-type",
                                   "standard", "--country", "SC", "--lots", "0.1", "--json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    levels = {e["type"]: e["margin_level"] for e in d["events"] if e["type"] in ("margin_call", "stop_out")}
    assert levels == {"margin_call": pytest.approx(50.0), "stop_out": pytest.approx(20.0)}
    assert d["min_margin_level"] == pytest.approx(20.0, abs=1e-6)
    assert d["min_margin_level"] <= levels["stop_out"]


def _walk(seed: int, n: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    c = 1.1 * np.exp(np.cumsum(rng.normal(0, 0.006, n)))
    gap = rng.random(n) < 0.1
    o = np.concatenate(([1.1], c[:-1])) * np.where(gap, 1 + rng.normal(0, 0.01, n), 1.0)
    h = np.maximum(o, c) * (1 + rng.random(n) * 0.004)
    lo = np.minimum(o, c) * (1 - rng.random(n) * 0.004)
    return np.round(o, 5), np.round(h, 5), np.round(lo, 5), np.round(c, 5)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), leverage=st.sampled_from([500.0, 2000.0]),
       stop_out=st.sampled_from([0.0, 20.0, 50.0]), margin_call=st.sampled_from([None, 80.0, 100.0]),
       deposit=st.sampled_from([100, 1_000]), hedging=st.booleans(), bonus=st.sampled_from([0.0, 50.0]),
       targets=st.lists(st.sampled_from([math.nan, 0.0, 0.5, -0.5, 2.0, -3.0, 10.0]), min_size=30, max_size=30),
       python=st.booleans())
def test_statistics_agree_with_events_and_series(seed, leverage, stop_out, margin_call, deposit, hedging, bonus,
                                                 targets, python):
    o, h, lo, c = _walk(seed, 30)
    data = bars("EURUSD", c, opens=o, highs=h, lows=lo, spread=0.0002)
    terms = make_terms(leverage=leverage, stop_out=stop_out, margin_call=margin_call, bonus_pct=bonus,
                       stop_out_counts_credit=False)
    if python:  # the same targets through Strategy.next, with SL/TP and pending orders on the way
        class Targets(Strategy):
            def next(self):
                tg = targets[self._i]
                if math.isnan(tg):
                    return
                px = float(self.data.Close[-1])
                self.close()
                if tg > 0:
                    self.buy(tg, sl=px - 0.01, tp=px + 0.02)
                elif tg < 0:
                    self.sell(-tg, limit=px + 0.002)

        strategy = Targets
    else:
        strategy = np.asarray(targets)
    r = Backtest(data, strategy, terms=terms, deposit=deposit, hedging=hedging).run()
    check_stats(r, deposit)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.sampled_from([math.nan, math.inf, -math.inf, 0.0])),
                min_size=1, max_size=60))
def test_max_drawdown_is_the_array_formula(values):
    """The one-pass drawdown equals the array formula it replaced: nanmax((peak - x) / peak) where the
    running peak (NaN from a NaN on) is above 0, else 0."""
    x = np.array(values)
    peak = np.maximum.accumulate(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, (peak - x) / peak, 0.0)
    want = float(np.nanmax(dd)) if not np.isnan(dd).all() else math.nan
    got = max_drawdown(x)
    assert got == want or (math.isnan(got) and math.isnan(want))


def test_max_drawdown_by_hand():
    # peak 120, trough 90: 30 / 120 = 0.25; the later 130 -> 117 is 13 / 130 = 0.1
    assert max_drawdown(np.array([100.0, 120.0, 90.0, 130.0, 117.0])) == 0.25
    assert max_drawdown(np.array([])) == 0.0
