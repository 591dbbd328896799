"""Accounting invariants under random order streams and price paths (hypothesis)."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
from conftest import bars, make_terms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leverlab.engine import Backtest
from leverlab.strategies import Strategy

ACTIONS = st.lists(
    st.tuples(st.integers(0, 39), st.sampled_from(["buy", "sell", "close", "limit", "stop", "sltp"]),
              st.sampled_from([0.01, 0.1, 0.5, 1.0, 3.0, 10.0]), st.floats(0.0005, 0.02)),
    max_size=25)


def _path(seed: int, n: int = 40) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    c = 1.1 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    gap = rng.random(n) < 0.1
    o = np.concatenate(([1.1], c[:-1])) * np.where(gap, 1 + rng.normal(0, 0.01, n), 1.0)
    h = np.maximum(o, c) * (1 + rng.random(n) * 0.003)
    lo = np.minimum(o, c) * (1 - rng.random(n) * 0.003)
    return np.round(o, 5), np.round(h, 5), np.round(lo, 5), np.round(c, 5)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), actions=ACTIONS, leverage=st.sampled_from([30.0, 500.0, 3000.0]),
       stop_out=st.sampled_from([0.0, 20.0, 50.0]), nbp=st.booleans(), hedging=st.booleans(),
       commission=st.sampled_from([0.0, 3.5]), bonus=st.sampled_from([0.0, 50.0]),
       deposit=st.sampled_from([100, 1_000, 10_000]))
def test_ledger_and_account_invariants(seed, actions, leverage, stop_out, nbp, hedging, commission, bonus, deposit):
    o, h, lo, c = _path(seed)
    data = bars("EURUSD", c, opens=o, highs=h, lows=lo, spread=0.0001)
    terms = make_terms(leverage=leverage, stop_out=stop_out, margin_call=stop_out + 50.0, nbp=nbp,
                       commission_per_lot_side=commission, bonus_pct=bonus)
    plan: dict[int, list] = {}
    for i, kind, lots, dist in actions:
        plan.setdefault(i, []).append((kind, lots, dist))
    checks: list[tuple[float, float]] = []

    class Random(Strategy):
        def next(self):
            a = self.account
            floating = sum(p.profit for p in self.positions)
            checks.append((a.equity, a.balance + floating + a.credit))
            px = float(self.data.Close[-1])
            for kind, lots, dist in plan.get(self._i, []):
                if kind == "buy":
                    self.buy(lots)
                elif kind == "sell":
                    self.sell(lots, sl=px + dist, tp=px - dist)
                elif kind == "close":
                    self.close()
                elif kind == "limit":
                    self.buy(lots, limit=px - dist, sl=px - 2 * dist)
                elif kind == "stop":
                    self.sell(lots, stop=px - dist)
                elif kind == "sltp" and self.positions:
                    p = self.positions[0]
                    self.modify(p.id, sl=px - p.side * dist, tp=px + p.side * dist)

    r = Backtest(data, Random, terms=terms, deposit=deposit, hedging=hedging).run()
    # every balance change is a deal, and the deals explain the balance to the cent
    running = Decimal(0)
    for d in r.deals:
        if d.kind != "bonus":
            running += d.amount
        assert d.balance == running
    assert running == r.final_balance == r.ledger_balance()
    # equity = balance + floating + credit at every decision
    for eq, parts in checks:
        assert math.isclose(eq, parts, rel_tol=1e-9, abs_tol=1e-6)
    # margin level and free margin consistent with their definitions at every recorded point
    s = r.series
    assert np.allclose(s.free_margin, s.equity - s.margin, atol=1e-6)
    used = s.margin > 0
    assert np.allclose(s.margin_level[used], s.equity[used] / s.margin[used] * 100.0, rtol=1e-9)
    assert np.all(np.isnan(s.margin_level[~used]))
    # with NBP the balance is never left below zero once nothing is open
    if nbp:
        assert r.final_balance >= 0
        assert np.all(s.balance[~used] >= -1e-9)
        for d in r.deals:
            if d.kind == "nbp":
                assert d.balance == 0
    else:
        assert r.stats["nbp_absorbed"] == 0
    # trades carry their deals: price profit + commission + swap add up to the trade deals
    trade_sum = sum((t.profit for t in r.trades), Decimal(0))
    assert trade_sum == sum((d.amount for d in r.deals if d.kind == "close"), Decimal(0))
