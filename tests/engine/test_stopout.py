"""Hand-computed margin call, stop-out, NBP and gap outcomes (formulas.md section 1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import bars, make_terms, scripted, ticks

from leverlab.engine import Backtest

BUY10 = scripted({0: lambda s: s.buy(10)})


def test_stop_out_at_exact_crossing_with_margin_repriced():
    """10,000 USD, long 10 lots EURUSD at 1.1000, 1:1000, SO 50 %, margin = 1,000 EUR x current rate:
    10,000 + 1,000,000 (p - 1.1) = 0.5 x 1,000 p  ->  p = 1.0905452..., balance 545.27."""
    r = Backtest(bars("EURUSD", [1.1, 1.1, 1.08, 1.08]), BUY10, terms=make_terms(), deposit=10_000).run()
    so = [e for e in r.events if e.type == "stop_out"]
    assert len(so) == 1
    assert round(so[0].price, 6) == 1.090545
    assert so[0].margin_level == pytest.approx(50.0, abs=1e-6)
    assert r.stats["final_balance"] == Decimal("545.27")
    assert r.trades[0].reason == "stop_out"
    # margin call fired first, at margin level 100 %: 10,000 + 1e6 (p - 1.1) = 1,000 p -> p = 1.0910911
    mc = [e for e in r.events if e.type == "margin_call"]
    assert len(mc) == 1 and round(mc[0].price, 6) == 1.091091
    assert [e.type for e in r.events] == ["margin_call", "stop_out"]
    assert r.stats["nbp_absorbed"] == Decimal("0.00")
    assert r.ledger_balance() == r.final_balance


def test_stop_out_zero_percent_on_continuous_path_closes_at_zero_equity():
    """Exness-style SO 0 %: the position is closed where equity reaches zero, p = 1.0900."""
    t = make_terms(stop_out=0.0, margin_call=60.0)
    r = Backtest(bars("EURUSD", [1.1, 1.1, 1.08, 1.08]), BUY10, terms=t, deposit=10_000).run()
    so = [e for e in r.events if e.type == "stop_out"]
    assert round(so[0].price, 6) == 1.09
    assert abs(r.stats["final_balance"]) <= Decimal("0.01")


@pytest.mark.parametrize("nbp, final, absorbed", [(True, "0.00", "10000.00"), (False, "-10000.00", "0.00")])
def test_gap_through_stop_out_closes_at_gap_price_then_nbp(nbp, final, absorbed):
    """Ticks gap from 1.1000 to 1.0800: stop-out closes at the gap price, loss 20,000 on 10,000;
    with NBP the broker absorbs 10,000, without it the debt stands."""
    t = make_terms(stop_out=0.0, nbp=nbp)
    tk = ticks("EURUSD", [1.1] * 61 + [1.08] * 60)
    r = Backtest(tk, BUY10, terms=t, deposit=10_000, timeframe="M1").run()
    so = [e for e in r.events if e.type == "stop_out"]
    assert so[0].price == 1.08
    assert r.stats["final_balance"] == Decimal(final)
    assert r.stats["nbp_absorbed"] == Decimal(absorbed)
    assert ("nbp" in [e.type for e in r.events]) is nbp
    assert r.ledger_balance() == r.final_balance
    if nbp:
        assert [d.kind for d in r.deals][-1] == "nbp"


def test_stop_out_closes_largest_loss_first_and_rechecks():
    """Two positions: a big loser and a small winner. Only the loser is closed (the level recovers)."""
    plan = {0: lambda s: (s.buy(5), s.sell(1, symbol="GBPUSD"))}
    data = {"EURUSD": bars("EURUSD", [1.1, 1.1, 1.085, 1.085]),
            "GBPUSD": bars("GBPUSD", [1.27, 1.27, 1.27, 1.27])}
    t = make_terms({"EURUSD": 1000.0, "GBPUSD": 1000.0})
    r = Backtest(data, scripted(plan), terms=t, deposit=4_000).run()
    so = [e for e in r.events if e.type == "stop_out"]
    assert len(so) == 1 and so[0].symbol == "EURUSD"
    reasons = {tr.symbol: tr.reason for tr in r.trades}
    assert reasons == {"EURUSD": "stop_out", "GBPUSD": "end"}


def test_pending_orders_deleted_at_stop_out():
    plan = {0: lambda s: (s.buy(10), s.buy(1, limit=1.0))}
    r = Backtest(bars("EURUSD", [1.1, 1.1, 1.08, 1.08]), scripted(plan), terms=make_terms(), deposit=10_000).run()
    assert "pending_deleted" in [e.type for e in r.events]
    assert r.stats["trades"] == 1


def test_market_order_rejected_without_free_margin():
    """1:100, 1,000 USD deposit: 1 lot EURUSD needs 1,100 USD margin -> rejected, recorded with a reason."""
    t = make_terms(leverage=100.0)
    r = Backtest(bars("EURUSD", [1.1] * 4), BUY10, terms=t, deposit=1_000).run()
    rej = [e for e in r.events if e.type == "reject"]
    assert len(rej) == 1 and rej[0].reason == "not enough free margin"
    assert rej[0].amount == pytest.approx(11_000.0)
    assert r.stats["trades"] == 0 and r.stats["rejects"] == 1
    assert r.stats["final_balance"] == Decimal("1000.00")
