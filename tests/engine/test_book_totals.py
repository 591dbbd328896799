"""The book's per-symbol totals agree with a position-by-position valuation.

Above ``TOTALS_ABOVE`` open positions the kernel values the account from per-symbol totals and tracks
MAE/MFE lazily (``_kernel.totals``); up to it, position by position. Here the threshold (``agg_i[G_FEW]``)
is set to 0 (totals from the first position) or out of reach (never), and random order streams on
hedging and netting accounts, with symbols whose profit and margin convert through other pairs
(EURGBP via GBPUSD, USDJPY via itself, EURUSD's margin via EURUSD) and news windows that cap the
positions opened in them (overlapping or not), must give:

* at every step, equity, floating profit and margin equal to the sum over ``positions()``;
* the same deals, trades (MAE/MFE bit for bit), events and, to 1e-9, the same series either way.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pytest
from conftest import H1, bars, make_terms, ns
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from leverlab.brokers.terms import HmrWindow, SymbolMargin
from leverlab.engine import Account
from leverlab.engine import _layout as L
from leverlab.engine.errors import OrderError
from leverlab.engine.formulas import hedged_margin

START = {"EURUSD": 1.1, "GBPUSD": 1.27, "EURGBP": 0.85, "USDJPY": 150.0}
START_NS = ns(2024, 1, 2, 10)
HEDGE = 0.5  # hedged margin: half of the covered part charged


def _walk(seed: int, n: int, start: float) -> tuple[np.ndarray, ...]:
    """``n`` bars of a random walk from ``start`` (open, high, low, close), prices at 5 significant decimals."""
    rng = np.random.default_rng(seed)
    c = start * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    o = np.concatenate(([start], c[:-1]))
    h = np.maximum(o, c) * (1 + rng.random(n) * 0.002)
    lo = np.minimum(o, c) * (1 - rng.random(n) * 0.002)
    digits = 3 if start > 50 else 5
    return tuple(np.round(x, digits) for x in (o, h, lo, c))


def _account(symbols: list[str], seed: int, n_bars: int, hedging: bool, few: int, deposit: float,
             news: tuple[int, ...] = ()) -> Account:
    """An account at 1:500 on ``symbols`` over random walks; ``news``: bars with a news event at :30, around
    which (60 min before, 90 after) new positions are capped at 1:100 (windows may overlap)."""
    sm = {s: SymbolMargin(s, 500.0, hmr_cap=100.0) for s in START}
    terms = make_terms(leverage=500.0, symbol_margin=sm, hedge_factor={"major": HEDGE, "minor": HEDGE},
                       hmr_windows=(HmrWindow("news", 60, 90, id="news"),) if news else ())
    calendar = [datetime.fromtimestamp((START_NS + i * H1) / 1e9 + 1800, timezone.utc) for i in news]
    acct = Account(terms, symbols, deposit=deposit, hedging=hedging, calendar=calendar)
    feeds = {}
    for j, s in enumerate(symbols):
        o, h, lo, c = _walk(seed + j, n_bars, START[s])
        spread = 0.02 if START[s] > 50 else 0.0002
        feeds[s] = bars(s, c, start=START_NS, opens=o, highs=h, lows=lo, spread=spread)
    acct.feed(feeds)
    acct._s.agg_i[L.G_FEW] = few
    return acct


def _check_totals(acct: Account) -> None:
    """The account's figures against the sum over its open positions (each valued on its own)."""
    v = acct.view()
    ps = acct.positions()
    floating = math.fsum(p.profit for p in ps)
    assert v.equity == pytest.approx(v.balance + floating + v.credit, rel=1e-9, abs=1e-6)
    margin = 0.0
    for s in {p.symbol for p in ps}:
        legs = [(sum(p.margin for p in ps if p.symbol == s and p.side == side),
                 sum(p.lots for p in ps if p.symbol == s and p.side == side)) for side in (1, -1)]
        if acct._kparams[L.P_HEDGING] > 0:
            margin += hedged_margin(legs[0][0], legs[1][0], legs[0][1], legs[1][1], HEDGE)
        else:
            margin += legs[0][0] + legs[1][0]
    assert v.margin == pytest.approx(margin, rel=1e-9, abs=1e-6)


ACTION = st.tuples(st.sampled_from(["market", "market", "market", "limit", "stop", "close", "close_id", "modify",
                                    "cancel"]),
                   st.integers(0, 3), st.sampled_from([1, -1]), st.sampled_from([0.01, 0.02, 0.1, 0.5, 3.0]),
                   st.sampled_from([None, 0.002, 0.01]), st.sampled_from([None, 0.002, 0.01]))


def _play(acct: Account, symbols: list[str], plan: list[list[tuple]], check: bool) -> tuple:
    """Run ``plan`` (one list of actions per bar close) and return what it booked."""
    dec = acct.decisions
    for d, actions in enumerate(plan[: len(dec) - 1]):
        acct.advance(int(dec[d]) + 1)
        if check:
            _check_totals(acct)
        px = float(acct._s.px[0, L.X_BID])
        for kind, si, side, lots, sl_d, tp_d in actions:
            sym = symbols[si % len(symbols)]
            mid = float(acct._s.px[acct._sym(sym), L.X_BID])
            scale = mid / px if px else 1.0
            sl = None if sl_d is None else mid - side * sl_d * scale * mid
            tp = None if tp_d is None else mid + side * tp_d * scale * mid
            try:
                if kind == "market":
                    acct.submit(sym, side, lots, sl=sl, tp=tp)
                elif kind == "limit":
                    acct.submit(sym, side, lots, limit=mid * (1 - side * 0.001))
                elif kind == "stop":
                    acct.submit(sym, side, lots, stop=mid * (1 + side * 0.001))
                elif kind == "close":
                    acct.close(sym, lots=lots if lots < 1 else None)
                elif kind == "close_id" or kind == "modify":
                    ps = acct.positions(sym)
                    if ps:
                        p = ps[int(lots * 100) % len(ps)]
                        if kind == "close_id":
                            acct.close(sym, p.id, lots=0.01 if lots == 0.02 and p.lots > 0.01 else None)
                        else:
                            acct.modify(p.id, sl=None if sl is None else p.open_price - p.side * sl_d * p.open_price,
                                        tp=None if tp is None else p.open_price + p.side * tp_d * p.open_price)
                elif acct.orders():
                    acct.cancel(acct.orders()[0]["id"])
            except (OrderError, ValueError):
                pass
    acct.advance()
    r = acct.finish()
    assert all(math.isfinite(t.close_price) for t in r.trades)
    trades = [(t.position_id, t.symbol, t.side, t.lots, t.open_price, t.close_price, t.profit, t.reason, t.mae, t.mfe)
              for t in r.trades]
    deals = [(d.kind, d.position_id, d.amount, d.lots, d.price) for d in r.deals]
    events = [(e.type, e.reason, e.ref) for e in r.events]
    s = r.series
    return trades, deals, events, (s.equity, s.margin, s.free_margin)


BUY = ("market", 0, 1, 0.01, None, None)
#: found by this test: a netting sell's TP and a pending sell filled on the same bar path; the pending fill
#: reopened the TP's slot before the TP's turn, which then closed the new position at its level: nan
SLOT_REUSED = dict(seed=4204, hedging=False, cross=False, deposit=2_000, news=(),
                   plan=[[], [], [BUY] * 6, [BUY] * 9, [BUY] * 9, [BUY] * 6 + [("market", 0, -1, 0.5, 0.01, None)],
                         [BUY] * 12, [BUY] * 7 + [("market", 2, 1, 0.01, None, None),
                                                  ("market", 0, 1, 0.01, None, 0.002),
                                                  ("limit", 0, -1, 0.02, None, 0.01)]])


@example(**SLOT_REUSED)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=st.integers(0, 10_000), hedging=st.booleans(), cross=st.booleans(),
       deposit=st.sampled_from([2_000, 1_000_000]), news=st.lists(st.integers(0, 15), max_size=3).map(tuple),
       plan=st.lists(st.lists(ACTION, max_size=12), min_size=2, max_size=16))
def test_totals_equal_position_by_position(seed, hedging, cross, deposit, news, plan):
    symbols = list(START) if cross else ["EURUSD"]
    n_bars = len(plan) + 2
    each = _play(_account(symbols, seed, n_bars, hedging, 10**9, deposit, news), symbols, plan, check=True)
    tot = _play(_account(symbols, seed, n_bars, hedging, 0, deposit, news), symbols, plan, check=True)
    assert tot[0] == each[0]  # trades, MAE/MFE included, bit for bit
    assert tot[1] == each[1]
    assert tot[2] == each[2]
    for a, b in zip(tot[3], each[3]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("hedging", [True, False])
def test_lazy_extremes_through_full_stacks(hedging):
    """A buy and a sell at each of 150 bars of a rising then falling path: every new group of the
    lowest-bid stack sees a higher low than the one before, so the stacks fill (their room is the position
    table's, 32 slots at first) and are flushed; MAE/MFE stay those of position-by-position tracking."""
    closes = np.concatenate((np.linspace(1.1, 1.2, 75), np.linspace(1.2, 1.05, 75)))
    runs = []
    for few in (10**9, 0):
        acct = Account(make_terms(), ["EURUSD"], deposit=1_000_000, hedging=hedging)
        acct.feed(bars("EURUSD", closes, spread=0.0001))
        acct._s.agg_i[L.G_FEW] = few
        for d in acct.decisions[:-1]:
            acct.advance(int(d) + 1)
            acct.submit("EURUSD", 1, 0.01)
            if hedging:
                acct.submit("EURUSD", -1, 0.02)
        r = acct.finish()
        runs.append([(t.position_id, t.lots, t.profit, t.mae, t.mfe) for t in r.trades])
    assert runs[0] == runs[1]
    assert len(runs[0]) > 250 if hedging else len(runs[0]) == 1
