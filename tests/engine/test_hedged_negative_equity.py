"""A fully hedged account whose equity falls below zero in a spread spike (issue 9, item 6).

Exness charges no margin on fully hedged orders (get.exness.help 360014504992) and stops out at a 0 %
margin level - "no bottom line besides their equity running out" (Exness, 2016 notice); after a stop-out
its Negative Balance Protection resets a negative balance to zero with a "null operation"
(get.exness.help 360011050319). So a locked pair is stopped out where the equity runs out, and does not
float below zero waiting for the spread to come back.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from conftest import ns, scripted

from leverlab.brokers import resolve_terms
from leverlab.data.frames import Ticks
from leverlab.engine import Backtest

SEC = 1_000_000_000


def _spike() -> Ticks:
    """EURUSD ticks a second apart: 1 pip spread, a 21-pip spike around the same mid at second 62, then 1 pip."""
    n = 180
    bid = np.full(n, 1.1000)
    ask = np.full(n, 1.1001)
    bid[62], ask[62] = 1.0990, 1.1011
    return Ticks("EURUSD", ns(2024, 1, 3, 10) + np.arange(n, dtype=np.int64) * SEC, bid, ask)


def test_locked_pair_is_stopped_out_where_the_equity_runs_out():
    """Deposit 100 USD; buy 1 lot at 1.1001 and sell 1 lot at 1.1000 (filled on the first tick after the
    first minute's close): margin 0. At the spike the buy is worth (1.0990 - 1.1001) x 100,000 = -110 and
    the sell (1.1000 - 1.1011) x 100,000 = -110: equity 100 - 220 = -120 < 0, so both legs are stopped out
    (-220 realised), the balance -120 is reset to 0 by NBP (+120). Before: never stopped out, and the
    equity came back to about 98 when the spread narrowed."""
    terms = resolve_terms("exness", "standard", "SC")
    assert terms.hedge_factor_for("major") == 0.0 and terms.stop_out_level == 0.0 and terms.nbp
    r = Backtest(_spike(), scripted({0: lambda s: (s.buy(1), s.sell(1))}), terms=terms, deposit=100,
                 timeframe="M1").run()
    assert r.stats["stop_outs"] == 2
    assert [t.reason for t in r.trades] == ["stop_out", "stop_out"]
    assert sum(t.profit for t in r.trades) == Decimal("-220.00")
    assert r.stats["nbp_absorbed"] == Decimal("120.00")
    assert r.final_balance == Decimal("0.00") == r.ledger_balance()


def test_a_leg_the_broker_cannot_margin_is_not_closed():
    """Exness: "If there's not enough free margin, the system won't allow you to close a hedged order"
    (get.exness.help 360014696320). Deposit 100 USD, buy 1.5 lots EURUSD at 1.1001 (margin 1.5 x 100,000 /
    2,000 x 1.1001 = 82.51 at 1:2000, equity 85 after the spread) and sell 1.5 at 1.1000 (hedged: margin 0,
    equity 100 - 2 x 15 = 70). Closing the sell would unhedge the buy: 82.51 USD of margin (a buy at the ask)
    > 70, so the close is refused (a reject event, amount 82.51) and both legs stay open; FBS (no such rule
    published) closes it."""
    terms = resolve_terms("exness", "standard", "SC")
    assert terms.hedge_close_needs_margin
    n = 240
    t = ns(2024, 1, 3, 10) + np.arange(n, dtype=np.int64) * SEC
    data = Ticks("EURUSD", t, np.full(n, 1.1000), np.full(n, 1.1001))

    def close_sell(s):
        s.close(position_id=next(p.id for p in s.positions if p.side < 0))

    plan = {0: lambda s: (s.buy(1.5), s.sell(1.5)), 1: close_sell}
    r = Backtest(data, scripted(plan), terms=terms, deposit=100, timeframe="M1").run()
    rejects = [e for e in r.events if e.type == "reject"]
    assert len(rejects) == 1 and rejects[0].amount == pytest.approx(82.5, abs=0.01)
    assert [t.reason for t in r.trades] == ["end", "end"]  # both legs held to the end
    fbs = resolve_terms("fbs", "standard", "SC")
    assert not fbs.hedge_close_needs_margin
    r2 = Backtest(data, scripted(plan), terms=fbs, deposit=100, timeframe="M1").run()
    assert [t.reason for t in r2.trades][0] == "signal" and not [e for e in r2.events if e.type == "reject"]
