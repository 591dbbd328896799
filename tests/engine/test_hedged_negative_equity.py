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
