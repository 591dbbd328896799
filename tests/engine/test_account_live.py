"""The steppable account's live-trading calls (a paper-trading server's): ``execute`` fills queued orders at
the last quote rather than the next, ``position`` finds one position, ``quote_times`` maps a time to a quote."""

from __future__ import annotations

import numpy as np
from conftest import bars, make_terms

from leverlab.data.resample import intrabar_path
from leverlab.engine import Account


def _account(deposit: float = 10_000) -> Account:
    acct = Account(make_terms(commission_per_lot_side=3.5), ["EURUSD"], deposit=deposit)
    # closes 1.1000, 1.1010, 1.1020, 1.1030 with a 2-point spread: each bar is four quotes 15 min apart
    acct.feed(bars("EURUSD", [1.1000, 1.1010, 1.1020, 1.1030], spread=0.00002))
    return acct


def test_execute_fills_at_the_last_quote_with_the_kernels_rules() -> None:
    acct = _account()
    times = acct.quote_times
    assert times.shape[0] == acct.quotes == 16 and bool(np.all(np.diff(times) >= 0))
    acct.advance(int(np.searchsorted(times, times[5], "right")))  # through quote 5 (bar 1, second point)
    oid = acct.submit("EURUSD", 1, 1.0, sl=1.0900)
    assert acct.positions() == []  # queued: without execute it fills at the next quote
    acct.execute()
    (p,) = acct.positions()
    # bought at the ask of the last quote simulated, before any further quote; commission 3.50 booked
    assert acct.index == 6 and p.open_time == int(times[5])
    deals = acct.deals(1)
    assert [d.kind for d in deals] == ["open", "commission"] and deals[1].amount == -3.5
    _, _, ask = intrabar_path(bars("EURUSD", [1.1000, 1.1010, 1.1020, 1.1030], spread=0.00002))
    assert deals[0].price == p.open_price == ask[5]
    assert p.sl == 1.0900 and oid > 0
    assert acct.position(p.id) == p
    assert acct.position(p.id + 100) is None
    acct.close("EURUSD", p.id)
    acct.execute()
    assert acct.positions() == [] and acct.position(p.id) is None
    assert [d.kind for d in acct.deals(3)] == ["close", "commission"]


def test_execute_refuses_what_the_kernel_refuses() -> None:
    acct = _account(deposit=10)
    acct.advance(2)
    acct.submit("EURUSD", 1, 5.0)  # 5 lots at 1:1000 need ~550 USD of margin
    acct.execute()
    assert acct.positions() == []
    (ev,) = acct.events()
    assert ev.type == "reject" and "margin" in ev.reason
    acct.submit("EURUSD", -1, 0.01, sl=1.0)  # a sell's SL below the price: invalid stops
    acct.execute()
    assert acct.positions() == [] and acct.events(1)[0].reason == "invalid_stops"
