"""``Mirror`` driven as a live server would drive it: a master ``Account`` that a person trades, a
follower ``Account`` stepped to the same quotes, each master deal passed on as it is booked."""

from __future__ import annotations

import pytest

from leverlab import load, resolve_terms
from leverlab.copytrade import CopyRule, Mirror
from leverlab.engine import Account


@pytest.fixture()
def pair():
    bars = load("sample:eurusd-h1").take(slice(0, 60))
    master = Account(resolve_terms("exness", "standard", "SC", selected_leverage=500), ["EURUSD"], deposit=2_000)
    follower = Account(resolve_terms("octa", "mt", "SC", selected_leverage=200), ["EURUSD"], deposit=500)
    for a in (master, follower):
        a.feed(bars)
    return master, follower


def step(master: Account, follower: Account, mirror: Mirror, end: int, seen: list[int]) -> None:
    """Advance the master to ``end``; for each new fill, bring the follower to the fill's quote and mirror it
    there (what the backtest does); then bring the follower to ``end`` too."""
    before = master.index
    master.advance(end)
    new = [d for d in master.deals(since=seen[0]) if d.kind in ("open", "close")]
    seen[0] = len(master.deals())
    for d in new:
        # both accounts see the same quotes: the fill's quote is the first at or after `before` with its time
        q = before
        while q < end:
            follower.advance(q + 1)
            if follower.now >= d.time:
                break
            q += 1
        # the follower has now simulated the master's fill quote; a live copy fills at the next one
        (mirror.on_open(d, master.view().equity) if d.kind == "open" else mirror.on_close(d, "signal"))
    follower.advance(end)
    mirror.resolve()


def test_open_partial_close_and_close_follow_the_master(pair):
    master, follower = pair
    mirror = Mirror(follower, CopyRule("ratio", 0.5), master_leverage=500)
    seen = [len(master.deals())]
    dec = master.decisions
    master.advance(int(dec[2]) + 1)
    follower.advance(int(dec[2]) + 1)
    master.submit("EURUSD", +1, 0.4)
    step(master, follower, mirror, int(dec[5]) + 1, seen)
    assert [p.lots for p in follower.positions()] == [0.2]  # 0.4 x 0.5
    master.close("EURUSD", master.positions()[0].id, 0.1)
    step(master, follower, mirror, int(dec[8]) + 1, seen)
    assert [p.lots for p in follower.positions()] == [pytest.approx(0.15)]  # 0.2 - 0.2 x 0.1 / 0.4
    master.close("EURUSD")
    step(master, follower, mirror, int(dec[10]) + 1, seen)
    assert follower.positions() == [] and mirror.pending == []
    assert [(c.action, c.lots, c.status) for c in mirror.copies] == [("open", 0.2, "copied"), ("close", 0.05, "copied"),
                                                                     ("close", 0.15, "copied")]
    f = follower.finish()
    assert f.final_balance == f.ledger_balance()


def test_stop_copy_closes_the_copies_and_refuses_new_ones(pair):
    master, follower = pair
    mirror = Mirror(follower, CopyRule("ratio", 1, stop_copy_equity=10_000), master_leverage=500)  # always below
    seen = [len(master.deals())]
    dec = master.decisions
    master.advance(int(dec[2]) + 1)
    follower.advance(int(dec[2]) + 1)
    master.submit("EURUSD", -1, 0.1)
    step(master, follower, mirror, int(dec[4]) + 1, seen)
    assert [p.lots for p in follower.positions()] == [0.1]
    assert mirror.check_stop_copy() is True and mirror.check_stop_copy() is False  # once
    follower.advance(int(dec[5]) + 1)
    mirror.resolve()
    assert follower.positions() == [] and mirror.copies[-1].reason == "stop_copy"
    master.submit("EURUSD", +1, 0.1)
    step(master, follower, mirror, int(dec[7]) + 1, seen)
    assert mirror.copies[-1].status == "skipped" and mirror.copies[-1].reason.startswith("stop_copy")
    assert follower.positions() == []
