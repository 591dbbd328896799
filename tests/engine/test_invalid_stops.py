"""Stops or targets on the wrong side of the price are rejected as the platform rejects them ("invalid stops")."""

from __future__ import annotations

import pytest
from conftest import bars, make_terms

from leverlab.engine import Account, Backtest
from leverlab.strategies import Strategy

# flat prices: bid 1.1, ask 1.1002 at every quote
FLAT = bars("EURUSD", [1.1] * 4, spread=0.0002)

CASES = [  # side, order type, entry, sl, tp, valid
    (1, "market", None, 1.1001, None, False),  # a buy's SL at or above the bid (here between bid and ask)
    (1, "market", None, 1.1, None, False),
    (1, "market", None, None, 1.1, False),  # a buy's TP at or below the bid
    (1, "market", None, 1.099, 1.101, True),
    (-1, "market", None, 1.1001, None, False),  # a sell's SL at or below the ask
    (-1, "market", None, None, 1.1002, False),  # a sell's TP at or above the ask
    (-1, "market", None, 1.101, 1.099, True),
    (1, "limit", 1.09, 1.09, None, False),  # pending: against the entry price
    (1, "limit", 1.09, None, 1.085, False),
    (1, "limit", 1.09, 1.08, 1.095, True),
    (1, "stop", 1.11, 1.115, None, False),
    (1, "stop", 1.11, 1.105, 1.12, True),
    (-1, "limit", 1.11, 1.105, None, False),
    (-1, "limit", 1.11, None, 1.11, False),
    (-1, "limit", 1.11, 1.12, 1.10, True),
    (-1, "stop", 1.09, None, 1.095, False),
    (-1, "stop", 1.09, 1.095, 1.08, True),
]


@pytest.mark.parametrize("side, kind, entry, sl, tp, valid", CASES)
def test_wrong_side_stops_are_rejected(side, kind, entry, sl, tp, valid):
    acct = Account(make_terms(), ["EURUSD"], deposit=10_000)
    acct.feed(FLAT)
    acct.advance(acct.decisions[0] + 1)
    oid = acct.submit("EURUSD", side, 0.1, sl=sl, tp=tp, limit=entry if kind == "limit" else None,
                      stop=entry if kind == "stop" else None)
    acct.advance()
    rejects = [(e.ref, e.reason) for e in acct.events() if e.type == "reject"]
    if valid:
        assert rejects == []
        assert len(acct.positions()) == (1 if kind == "market" else 0)
    else:
        assert rejects == [(oid, "invalid_stops")]
        assert acct.positions() == [] and acct.orders() == []
        assert acct.finish().stats.trades == 0


def test_the_strategy_sees_the_reject():
    seen = []

    class WrongSide(Strategy):
        def next(self):
            if self._i == 0:
                self.buy(0.1, sl=float(self.data.Close[-1]) + 0.001)
            elif self._i == 1:
                seen.extend((e.type, e.reason) for e in self.events())

    r = Backtest(FLAT, WrongSide, terms=make_terms(), deposit=10_000).run()
    assert seen == [("reject", "invalid_stops")]
    assert r.stats.rejects == 1 and r.stats.trades == 0


@pytest.mark.parametrize("side, sl, tp, valid", [
    (1, 1.1, None, False),  # a buy closes at the bid 1.1: an SL at the bid is on the wrong side
    (1, None, 1.0999, False),  # ... and a TP below it
    (1, 1.095, 1.105, True),
    (-1, 1.1002, None, False),  # a sell closes at the ask 1.1002: an SL at the ask is on the wrong side
    (-1, None, 1.1003, False),
    (-1, 1.105, 1.095, True),
])
def test_modifying_to_wrong_side_stops_is_refused(side, sl, tp, valid):
    acct = Account(make_terms(), ["EURUSD"], deposit=10_000)
    acct.feed(FLAT)
    acct.advance(acct.decisions[0] + 1)
    acct.submit("EURUSD", side, 0.1)
    acct.advance(acct.decisions[1] + 1)
    (pos,) = acct.positions()
    acct.modify(pos.id, sl=sl, tp=tp)
    (after,) = acct.positions()
    rejects = [e for e in acct.events() if e.type == "reject"]
    if valid:
        assert not rejects and (after.sl, after.tp) == (sl, tp)
    else:
        assert [(e.reason, e.ref) for e in rejects] == [("invalid_stops", pos.id)]
        assert (after.sl, after.tp) == (None, None)  # the position keeps its levels
