"""Every order ends as a fill, a reject with its reason or a cancel; no table growth loses one."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from conftest import bars, make_terms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leverlab import load
from leverlab.engine import Account, Backtest
from leverlab.engine.errors import OrderError
from leverlab.strategies import Strategy


class FivePerBar(Strategy):
    def next(self):
        for _ in range(5):
            self.buy(lots=0.01)


def test_five_buys_per_bar_all_fill():
    # 100 bars: the orders of the first 99 closes fill at the next bar; the last close's are cancelled at the end
    data = load("sample:eurusd-h1").take(slice(0, 100))
    r = Backtest(data, FivePerBar, broker="exness", account_type="standard", country="SC", deposit=1_000_000).run()
    assert r.stats.trades == 495
    assert r.stats.rejects == 0
    assert [(e.type, e.reason) for e in r.events] == [("cancelled", "end")] * 5


def test_pending_orders_triggered_together_all_fill():
    # 27 positions open, then 10 buy stops that one bar triggers together: more fills than free position slots
    acct = Account(make_terms(), ["EURUSD"], deposit=1_000_000)
    acct.feed(bars("EURUSD", [1.1, 1.101, 1.102, 1.103], spread=0.0001))
    acct.advance(acct.decisions[0] + 1)
    for k in range(27):
        acct.submit("EURUSD", 1 if k % 3 else -1, 0.01)
    acct.advance(acct.decisions[1] + 1)
    for k in range(10):
        acct.submit("EURUSD", 1, 0.01, stop=1.1013 + k * 1e-5)
    acct.advance(acct.decisions[2] + 1)
    assert len(acct.positions()) == 37 and acct.orders() == []
    r = acct.finish()
    assert r.stats.trades == 37 and r.events == []
    assert sorted(t.open_price for t in r.trades)[-10:] == [1.1013 + k * 1e-5 for k in range(10)]


def test_cancel_and_finish_leave_an_event():
    acct = Account(make_terms(), ["EURUSD"], deposit=10_000)
    acct.feed(bars("EURUSD", [1.1, 1.101, 1.102], spread=0.0001))
    acct.advance(acct.decisions[0] + 1)
    a = acct.submit("EURUSD", 1, 0.1, limit=1.0)
    b = acct.submit("EURUSD", -1, 0.1, stop=1.0)
    acct.cancel(a)
    with pytest.raises(ValueError):
        acct.cancel(a)
    r = acct.finish()
    assert [(e.type, e.ref, e.reason) for e in r.events] == [("cancelled", a, "cancelled"), ("cancelled", b, "end")]


def _walk(seed: int, n: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    c = 1.1 * np.exp(np.cumsum(rng.normal(0, 0.003, n)))
    o = np.concatenate(([1.1], c[:-1]))
    h = np.maximum(o, c) * (1 + rng.random(n) * 0.002)
    lo = np.minimum(o, c) * (1 - rng.random(n) * 0.002)
    return np.round(o, 5), np.round(h, 5), np.round(lo, 5), np.round(c, 5)


ORDER = st.tuples(st.sampled_from(["market", "limit", "stop", "close", "cancel"]), st.sampled_from([1, -1]),
                  st.sampled_from([0.01, 0.1, 1.0, 0.0, -0.1, 0.015, 1e9]), st.floats(-0.01, 0.01),
                  st.sampled_from([None, -0.005, 0.005]), st.sampled_from([None, -0.005, 0.005]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=st.integers(0, 10_000), hedging=st.booleans(), deposit=st.sampled_from([1_000, 100_000]),
       per_bar=st.lists(st.lists(ORDER, max_size=60), min_size=1, max_size=12))
def test_every_order_is_accounted_for(seed, hedging, deposit, per_bar):
    o, h, lo, c = _walk(seed, 16)
    acct = Account(make_terms(leverage=500.0, stop_out=50.0, margin_call=100.0), ["EURUSD"], deposit=deposit,
                   hedging=hedging)
    acct.feed(bars("EURUSD", c, opens=o, highs=h, lows=lo, spread=0.0001))
    placed: list[int] = []
    for d, orders in enumerate(per_bar):
        acct.advance(acct.decisions[d] + 1)
        px = float(c[d])
        for kind, side, lots, dist, sl, tp in orders:
            if kind == "close":
                acct.close("EURUSD")
                continue
            if kind == "cancel":
                if placed:
                    try:
                        acct.cancel(placed[int(abs(dist) * 1e5) % len(placed)])
                    except ValueError:  # filled, rejected or cancelled already
                        pass
                continue
            level = px + dist
            ref = px if kind == "market" else level
            try:
                placed.append(acct.submit("EURUSD", side, lots, limit=level if kind == "limit" else None,
                                          stop=level if kind == "stop" else None,
                                          sl=None if sl is None else ref + sl, tp=None if tp is None else ref + tp))
            except OrderError:  # an invalid volume is refused at once: never placed
                assert not (0.01 <= lots <= 100 and round(lots / 0.01, 6).is_integer())
    acct.advance()
    r = acct.finish()
    assert placed == sorted(set(placed))
    ended = [e.ref for e in r.events if e.type in ("reject", "cancelled", "pending_deleted")]
    assert len(ended) == len(set(ended)) and set(ended) <= set(placed)
    if hedging:  # each fill opens its own position: one open deal per filled order
        fills = sum(1 for x in r.deals if x.kind == "open")
        assert len(placed) == fills + len(ended)
    assert acct.orders() == []
    # the ledger reconciles: the deposit plus every deal is the final balance
    assert sum((x.amount for x in r.deals if x.kind != "bonus"), Decimal(0)) == r.final_balance
