"""Conversion of profit and margin into the account currency, and fill rules (formulas.md 2, 3, 6)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from conftest import bars, make_terms, scripted

from leverlab.engine import Backtest, BacktestError, StrategyError


def test_usdjpy_short_in_usd_account():
    """Sell 0.5 lot USDJPY 150.00 -> 149.00: 50,000 JPY / 149.00 = +335.57 USD; margin 0.5 x 100,000 / 500 = 100 USD."""
    seen = {}
    plan = {0: lambda s: s.sell(0.5), 1: lambda s: seen.update(margin=s.account.margin), 2: lambda s: s.close()}
    t = make_terms({"USDJPY": 500.0}, leverage=500.0)
    r = Backtest(bars("USDJPY", [150.0, 150.0, 149.0, 149.0, 149.0]), scripted(plan), terms=t, deposit=1_000).run()
    assert r.trades[0].profit == Decimal("335.57")
    assert seen["margin"] == pytest.approx(100.0)
    assert r.final_balance == Decimal("1335.57")


def test_eurgbp_in_usd_account_converts_through_gbpusd():
    """Buy 1 lot EURGBP 0.8500 -> 0.8550: 500 GBP x 1.27 = +635 USD; margin 100 EUR x (EURGBP x GBPUSD)."""
    seen = {}
    plan = {0: lambda s: s.buy(1), 1: lambda s: seen.update(margin=s.account.margin), 2: lambda s: s.close()}
    data = {"EURGBP": bars("EURGBP", [0.85, 0.85, 0.855, 0.855, 0.855]),
            "GBPUSD": bars("GBPUSD", [1.27] * 5)}
    r = Backtest(data, scripted(plan), terms=make_terms({"EURGBP": 1000.0}), deposit=1_000).run()
    assert r.trades[0].profit == Decimal("635.00")
    assert seen["margin"] == pytest.approx(100 * 0.85 * 1.27)  # at bar 1 close, EURGBP 0.85


def test_missing_conversion_pair_is_named():
    with pytest.raises(BacktestError, match="EURUSD"):  # margin in EUR needs EURUSD (or a cross)
        Backtest(bars("EURGBP", [0.85] * 3), None, terms=make_terms({"EURGBP": 1000.0})).run()


def test_unsorted_data_is_an_error():
    b = bars("EURUSD", [1.1, 1.2, 1.3])
    b.time[2] = b.time[0]
    with pytest.raises(BacktestError, match="not sorted"):
        Backtest(b, None, terms=make_terms()).run()


def test_unknown_symbol_in_terms_is_named():
    with pytest.raises(BacktestError, match="no terms for 'GBPUSD'"):
        Backtest(bars("GBPUSD", [1.2] * 3), None, terms=make_terms())


def test_lots_below_minimum_names_bar_time():
    with pytest.raises(StrategyError, match=r"2024-01-02T10:00:00Z.*below the minimum volume 0.01"):
        Backtest(bars("EURUSD", [1.1] * 3), scripted({0: lambda s: s.buy(0.001)}), terms=make_terms()).run()


def test_strategy_exception_names_bar_time():
    def boom(s):
        raise ZeroDivisionError("oops")
    with pytest.raises(StrategyError, match=r"next\(\) failed at bar 2024-01-02T11:00:00Z: ZeroDivisionError"):
        Backtest(bars("EURUSD", [1.1] * 3), scripted({1: boom}), terms=make_terms()).run()


def test_no_look_ahead_market_order_fills_at_next_open():
    plan = {0: lambda s: s.buy(1)}
    b = bars("EURUSD", [1.1, 1.2, 1.3], opens=[1.1, 1.15, 1.25])
    r = Backtest(b, scripted(plan), terms=make_terms(), deposit=10_000).run()
    assert r.trades[0].open_price == 1.15
    assert r.trades[0].open_time == int(b.time[1])


def test_buy_at_ask_sell_at_bid():
    plan = {0: lambda s: s.buy(1), 1: lambda s: s.close()}
    r = Backtest(bars("EURUSD", [1.1] * 4, spread=0.0002), scripted(plan), terms=make_terms(), deposit=10_000).run()
    tr = r.trades[0]
    assert tr.open_price == pytest.approx(1.1002) and tr.close_price == pytest.approx(1.1)
    assert tr.profit == Decimal("-20.00")
    assert r.stats["costs"]["spread"] == Decimal("20.00")


def test_gap_through_sl_fills_at_gap_price():
    """Long at 1.1000 with SL 1.0950; the next bar opens at 1.0900 (a gap) -> filled at 1.0900."""
    plan = {0: lambda s: s.buy(1, sl=1.095)}
    b = bars("EURUSD", [1.1, 1.1, 1.09, 1.09], opens=[1.1, 1.1, 1.09, 1.09])
    r = Backtest(b, scripted(plan), terms=make_terms(), deposit=10_000).run()
    assert r.trades[0].reason == "sl" and r.trades[0].close_price == 1.09
    assert r.trades[0].profit == Decimal("-1000.00")


def test_sl_inside_bar_fills_at_level():
    plan = {0: lambda s: s.buy(1, sl=1.095)}
    b = bars("EURUSD", [1.1, 1.1, 1.09, 1.09])  # bar 2 moves 1.1 -> 1.09 continuously
    r = Backtest(b, scripted(plan), terms=make_terms(), deposit=10_000).run()
    assert r.trades[0].reason == "sl" and r.trades[0].close_price == 1.095


def test_gap_through_tp_fills_at_better_gap_price():
    plan = {0: lambda s: s.buy(1, tp=1.105)}
    b = bars("EURUSD", [1.1, 1.1, 1.11, 1.11], opens=[1.1, 1.1, 1.11, 1.11])
    r = Backtest(b, scripted(plan), terms=make_terms(), deposit=10_000).run()
    assert r.trades[0].reason == "tp" and r.trades[0].close_price == 1.11


@pytest.mark.parametrize("pessimistic, reason, price", [(True, "sl", 1.095), (False, "tp", 1.104)])
def test_sl_and_tp_in_one_bar(pessimistic, reason, price):
    """A bar from 1.1000 with high 1.1050 and low 1.0940 reaches both SL 1.0950 and TP 1.1040.
    Pessimistic (default) takes the SL; otherwise the intrabar path decides: the high is nearer
    the open, so it comes first and the TP fills."""
    plan = {0: lambda s: s.buy(1, sl=1.095, tp=1.104)}
    b = bars("EURUSD", [1.1, 1.1, 1.099, 1.099], opens=[1.1, 1.1, 1.1, 1.099],
             highs=[1.1, 1.1, 1.105, 1.099], lows=[1.1, 1.1, 1.094, 1.099])
    r = Backtest(b, scripted(plan), terms=make_terms(), deposit=10_000, pessimistic=pessimistic).run()
    assert r.trades[0].reason == reason and r.trades[0].close_price == price


def test_limit_and_stop_orders():
    """Buy limit 1.0950 fills at the level inside a bar; sell stop 1.0900 gapped through fills at the gap."""
    plan = {0: lambda s: (s.buy(1, limit=1.095), s.sell(1, stop=1.09))}
    b = bars("EURUSD", [1.1, 1.1, 1.094, 1.08], opens=[1.1, 1.1, 1.1, 1.085])
    r = Backtest(b, scripted(plan), terms=make_terms(), deposit=10_000).run()
    opens = sorted((d.side, d.price) for d in r.deals if d.kind == "open")
    assert opens == [("buy", 1.095), ("sell", 1.085)]


def test_partial_close_and_modify():
    def mod(s):
        p = s.positions[0]
        s.modify(p.id, sl=1.05)
        s.close(p.id, lots=0.4)
    plan = {0: lambda s: s.buy(1), 1: mod}
    r = Backtest(bars("EURUSD", [1.1, 1.1, 1.11, 1.11]), scripted(plan), terms=make_terms(), deposit=10_000).run()
    assert [(t.lots, t.reason) for t in r.trades] == [(0.4, "signal"), (0.6, "end")]
    assert r.trades[0].profit == Decimal("0.00") and r.trades[1].profit == Decimal("600.00")


def test_netting_account_nets_opposite_order():
    plan = {0: lambda s: s.buy(1), 1: lambda s: s.sell(0.3)}
    r = Backtest(bars("EURUSD", [1.1, 1.1, 1.11, 1.11]), scripted(plan), terms=make_terms(), deposit=10_000,
                 hedging=False).run()
    assert [(t.lots, t.reason) for t in r.trades] == [(0.3, "signal"), (0.7, "end")]


def test_identical_inputs_give_identical_bytes():
    plan = {0: lambda s: s.buy(1, sl=1.09), 2: lambda s: s.sell(2)}
    b = bars("EURUSD", np.linspace(1.1, 1.12, 30), spread=0.0001)
    a = Backtest(b, scripted(plan), terms=make_terms(), deposit=1_000, slippage=3, seed=7).run().to_json()
    c = Backtest(b, scripted(plan), terms=make_terms(), deposit=1_000, slippage=3, seed=7).run().to_json()
    assert a == c
