"""``Account`` stepped by hand books exactly what ``Backtest`` books when a strategy places the same
orders at the same bars, and quotes fed in several chunks book exactly what one chunk books."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import bars, fingerprint, make_terms, scripted

from leverlab.brokers import SwapRate, resolve_terms
from leverlab.data import load
from leverlab.engine import Account, Backtest, BacktestError, OrderError


def _plan(close):
    """Bar -> action on a ``trader`` that offers buy/sell/close/modify/cancel and reads positions/orders:
    a market buy with SL/TP, a sell limit, a buy stop, a partial close, an SL change, a cancel,
    a full close, then a short that is closed."""

    def at(i):
        return float(close[i])

    return {
        0: lambda t, i: t.buy(0.1, sl=at(i) - 0.005, tp=at(i) + 0.01),
        5: lambda t, i: t.sell(0.2, limit=at(i) + 0.0015),
        10: lambda t, i: t.buy(0.1, stop=at(i) + 0.002),
        20: lambda t, i: t.close(lots=0.1),
        30: lambda t, i: [t.modify(p.id, sl=p.open_price - 0.02) for p in t.positions()[:1]],
        40: lambda t, i: [t.cancel(o["id"]) for o in t.orders()],
        60: lambda t, i: t.close(),
        80: lambda t, i: t.sell(0.3),
        120: lambda t, i: t.close(),
    }


class _ViaStrategy:
    """The plan's calls on a running Strategy."""

    def __init__(self, s):
        self.s = s

    def buy(self, lots, **kw):
        self.s.buy(lots, **kw)

    def sell(self, lots, **kw):
        self.s.sell(lots, **kw)

    def close(self, lots=None):
        self.s.close(lots=lots)

    def modify(self, pid, sl):
        self.s.modify(pid, sl=sl)

    def cancel(self, oid):
        self.s.cancel(oid)

    def positions(self):
        return self.s.positions

    def orders(self):
        return self.s.orders


class _ViaAccount:
    """The plan's calls on an Account."""

    def __init__(self, acct, symbol):
        self.a, self.sym = acct, symbol

    def buy(self, lots, **kw):
        self.a.submit(self.sym, 1, lots, **kw)

    def sell(self, lots, **kw):
        self.a.submit(self.sym, -1, lots, **kw)

    def close(self, lots=None):
        self.a.close(self.sym, 0, lots)

    def modify(self, pid, sl):
        self.a.modify(pid, sl=sl)

    def cancel(self, oid):
        self.a.cancel(oid)

    def positions(self):
        return self.a.positions()

    def orders(self):
        return self.a.orders()


def _sample(n):
    return load("sample:eurusd-h1").take(slice(1_000, 1_000 + n))


def _terms():
    """Exness standard with the schedules switched on: swaps (rollovers), commission, daily cashback, a bonus."""
    return replace(resolve_terms("exness", "standard", "SC"), swaps={"EURUSD": SwapRate(-6.5, 1.2)},
                   commission_per_lot_side=3.5, cashback_per_lot=2.0, cashback_schedule="daily", bonus_pct=10.0)


def _news(data, *bars_):
    """High-impact news at the open of these bars (exness: new positions at 1:200 around them)."""
    return [int(data.time[i]) for i in bars_]


def test_account_stepped_by_hand_books_what_backtest_books():
    data = _sample(200)
    terms, news = _terms(), _news(data, 1, 81)
    plan = _plan(data.bid_close)
    r = Backtest(data, scripted({i: (lambda s, f=f, i=i: f(_ViaStrategy(s), i)) for i, f in plan.items()}),
                 terms=terms, deposit=1_000, calendar=news).run()

    acct = Account(terms, ["EURUSD"], deposit=1_000, calendar=news)
    acct.feed(data)
    via = _ViaAccount(acct, "EURUSD")
    for d, q in enumerate(acct.decisions.tolist()):
        acct.advance(q + 1)
        if d in plan:
            plan[d](via, d)
    acct.advance()
    mine = acct.finish()

    kinds = [d.kind for d in r.deals]
    assert kinds.count("open") >= 3 and r.stats["trades"] >= 3
    assert {"bonus", "swap", "commission", "cashback"} <= set(kinds)
    assert fingerprint(mine) == fingerprint(r)
    assert mine.deals == r.deals and mine.final_balance == r.final_balance == r.ledger_balance()


def test_quotes_fed_in_chunks_book_what_one_feed_books():
    data = _sample(600)
    terms, news = _terms(), _news(data, 1, 81, 137, 301)
    c = data.bid_close
    plan = {**_plan(c),  # and positions held across the cuts at bars 137 and 300
            130: lambda t, i: t.buy(0.2, tp=float(c[i]) + 0.03),
            200: lambda t, i: t.sell(0.1, limit=float(c[i]) + 0.001),
            350: lambda t, i: t.close(),
            400: lambda t, i: t.sell(0.1, sl=float(c[i]) + 0.02)}

    def run(cuts):
        acct = Account(terms, ["EURUSD"], deposit=1_000, calendar=news)
        via = _ViaAccount(acct, "EURUSD")
        seen_deals, seen_events, bar = 0, 0, 0
        for a, b in zip(cuts[:-1], cuts[1:]):
            acct.feed({"EURUSD": data.take(slice(a, b))})
            for q in acct.decisions.tolist():
                acct.advance(q + 1)
                if bar in plan:
                    plan[bar](via, bar)
                bar += 1
            seen_deals += len(acct.deals(since=seen_deals))
            seen_events += len(acct.events(since=seen_events))
        acct.advance()
        assert seen_deals == len(acct.deals())
        return acct.finish()

    one = run([0, 600])
    three = run([0, 137, 300, 600])
    kinds = {d.kind for d in one.deals}
    assert one.stats["trades"] >= 3 and {"bonus", "swap", "commission", "cashback"} <= kinds
    assert fingerprint(three) == fingerprint(one)


def test_account_refuses_what_it_cannot_do():
    acct = Account(make_terms(), ["EURUSD"], deposit=1_000)
    with pytest.raises(BacktestError, match="no quotes yet"):
        acct.view()
    with pytest.raises(BacktestError, match="missing: EURUSD"):
        acct.feed({"GBPUSD": bars("GBPUSD", [1.2] * 3)})
    acct.feed(bars("EURUSD", [1.1] * 3, start=2_000_000_000_000_000_000))
    with pytest.raises(OrderError, match="below the minimum volume"):
        acct.submit("EURUSD", 1, 0.001)
    with pytest.raises(OrderError, match="side must be"):
        acct.submit("EURUSD", 0, 0.1)
    with pytest.raises(ValueError, match="no data for symbol 'USDJPY'"):
        acct.submit("USDJPY", 1, 0.1)
    with pytest.raises(BacktestError, match="come before the last quote"):
        acct.feed(bars("EURUSD", [1.1] * 3))
