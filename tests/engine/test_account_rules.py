"""Broker rules on the account: equity bands, HMR windows, swaps, cent accounts, hedged margin,
commission, cashback, bonus credit (formulas.md sections 2, 4, 5, 6, 7)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from decimal import Decimal

import numpy as np
import pytest
from conftest import bars, make_terms, ns, record_margins, scripted

from leverlab.brokers.terms import HmrWindow, SwapRate, SymbolMargin
from leverlab.data.frames import Bars
from leverlab.engine import Backtest

EXNESS_BANDS = dict(band_floor=(0.0, 1000.0, 5000.0, 30000.0), band_leverage=(2000.0, 2000.0, 1000.0, 500.0))


def _margins(plan, data, terms, deposit, **kw):
    return record_margins(data, plan, terms=terms, deposit=deposit, **kw)


@pytest.mark.parametrize("reprice, after", [(True, 1120.0), (False, 560.0)])
def test_equity_band_crossing_mid_trade(reprice, after):
    """Exness bands (1:2000 below USD 5,000, 1:1000 from 5,000): 10 lots EURUSD at 1.1000 on 4,000 USD
    -> 550 USD margin; at 1.1200 equity is 24,000 -> 1:1000 -> 1,000 EUR x 1.12 = 1,120 USD
    (a broker that does not re-margin open positions keeps 1:2000: 560 USD)."""
    sm = {"EURUSD": SymbolMargin("EURUSD", math.inf, bands_reprice_open=reprice, **EXNESS_BANDS)}
    seen, r = _margins({0: lambda s: s.buy(10)}, bars("EURUSD", [1.1, 1.1, 1.1, 1.12, 1.12]),
                       make_terms(symbol_margin=sm, stop_out=0.0), 4_000)
    assert seen[1] == pytest.approx(550.0)
    assert seen[3] == pytest.approx(after)


def _weekend_bars() -> Bars:
    fri = [ns(2024, 1, 5, h) for h in range(12, 21)]
    sun = [ns(2024, 1, 7, 22), ns(2024, 1, 7, 23), ns(2024, 1, 8, 0), ns(2024, 1, 8, 1)]
    t = np.asarray(fri + sun, dtype=np.int64)
    p = np.full(t.shape[0], 0.85)
    return Bars("USDCHF", "H1", t, p, p, p, p)


def test_position_opened_inside_weekend_hmr_window():
    """Exness weekend HMR: 1 lot USDCHF at 1:2000 = 50 USD; opened inside the window (Friday 16:59 New
    York minus 3 h = 18:59 UTC in winter, to Sunday 17:05 NY plus 1 h = 23:05 UTC) at 1:200 = 500 USD,
    until the window ends."""
    w = HmrWindow("weekend", 180, 60, weekly_start="friday 16:59", weekly_end="sunday 17:05",
                  timezone="America/New_York")
    sm = {"USDCHF": SymbolMargin("USDCHF", 2000.0, hmr_cap=200.0)}
    terms = make_terms(symbol_margin=sm, hmr_windows=(w,), leverage=2000.0)
    seen, r = _margins({0: lambda s: s.buy(1), 6: lambda s: s.buy(1)}, _weekend_bars(), terms, 10_000)
    assert seen[1] == pytest.approx(50.0)  # opened Friday 13:00 UTC, outside
    assert seen[7] == pytest.approx(550.0)  # + 1 lot opened 19:00 UTC, inside: 500
    assert seen[9] == pytest.approx(550.0)  # Sunday 22:45 UTC, still inside
    assert seen[10] == pytest.approx(100.0)  # Sunday 23:45 UTC, window over


def test_news_window_from_calendar():
    """A news event at 11:10 UTC with a 15-minute-before / 5-after window: an order filling at the 11:00
    open is margined at 1:200 (550 USD for 1 lot EURUSD) and is rejected on a 100 USD account; without
    the calendar entry 1:2000 (55 USD) applies and it fills. After the window the cap no longer applies."""
    w = HmrWindow("news", 15, 5)
    sm = {"EURUSD": SymbolMargin("EURUSD", 2000.0, hmr_cap=200.0)}
    terms = make_terms(symbol_margin=sm, hmr_windows=(w,), leverage=2000.0, stop_out=0.0, margin_call=None)
    news = datetime(2024, 1, 2, 11, 10, tzinfo=timezone.utc)
    plan = {0: lambda s: s.buy(1)}
    with_news = Backtest(bars("EURUSD", [1.1] * 4), scripted(plan), terms=terms, deposit=100, calendar=[news]).run()
    assert [e.type for e in with_news.events] == ["reject"]
    assert with_news.events[0].amount == pytest.approx(550.0)
    seen, quiet = _margins(plan, bars("EURUSD", [1.1] * 4), terms, 100)
    assert quiet.events == [] and seen[1] == pytest.approx(55.0)


def test_triple_swap_on_wednesday():
    """1 lot EURUSD long, swap -6.1 points (point 0.00001): -6.10 per night; held from Tuesday to
    Thursday noon with rollover at 00:00: Tuesday's night x1 and Wednesday's night x3 = -24.40."""
    terms = make_terms(swaps={"EURUSD": SwapRate(-6.1, 1.0)}, rollover_time="00:00", server_timezone="UTC")
    start = ns(2024, 1, 2, 10)  # Tuesday
    b = bars("EURUSD", [1.1] * 48, start=start)
    r = Backtest(b, scripted({0: lambda s: s.buy(1), 45: lambda s: s.close()}), terms=terms, deposit=10_000).run()
    swaps = [d.amount for d in r.deals if d.kind == "swap"]
    assert swaps == [Decimal("-6.10"), Decimal("-18.30")]
    assert r.trades[0].swap == Decimal("-24.40")
    assert r.stats["costs"]["swap"] == Decimal("24.40")
    assert r.final_balance == Decimal("9975.60")
    free = Backtest(b, scripted({0: lambda s: s.buy(1), 45: lambda s: s.close()}),
                    terms=make_terms(swaps={"EURUSD": SwapRate(-6.1, 1.0)}, swap_free=True), deposit=10_000).run()
    assert [d for d in free.deals if d.kind == "swap"] == []


def test_rollover_follows_server_dst():
    """A server at EET (UTC+2 in winter, +3 in summer): the 00:00 rollover is 22:00 UTC in January,
    21:00 UTC in July."""
    from leverlab.engine._schedule import rollover_times
    w, _ = rollover_times(ns(2024, 1, 9, 12), ns(2024, 1, 10, 12), "00:00", "EET", "wednesday")
    s, _ = rollover_times(ns(2024, 7, 9, 12), ns(2024, 7, 10, 12), "00:00", "EET", "wednesday")
    assert [int(x) for x in w] == [ns(2024, 1, 9, 22)]
    assert [int(x) for x in s] == [ns(2024, 7, 9, 21)]


def test_cent_account():
    """USC account: deposit 100,000 USC (1,000 USD); 1 cent lot (contract size 1,000) EURUSD
    1.1000 -> 1.1050 = +5 USD = +500.00 USC; margin at 1:1000 = 1 EUR x 1.1 = 110 USC."""
    seen, r = _margins({0: lambda s: s.buy(1), 2: lambda s: s.close()}, bars("EURUSD", [1.1, 1.1, 1.105, 1.105]),
                       make_terms(currency="USC"), 100_000)
    assert seen[1] == pytest.approx(110.0)
    assert r.trades[0].profit == Decimal("500.00")
    assert r.final_balance == Decimal("100500.00") and r.currency == "USC"


@pytest.mark.parametrize("h, buy, sell, margin", [(0.0, 1, 1, 0.0), (0.5, 1, 1, 110.0), (0.3, 1, 1, 66.0),
                                                  (0.5, 2, 1, 220.0), (1.0, 2, 1, 330.0)])
def test_hedged_margin(h, buy, sell, margin):
    """formulas.md section 4: EURUSD 1.1000, 1:1000, 110 USD per lot."""
    seen, _ = _margins({0: lambda s: (s.buy(buy), s.sell(sell))}, bars("EURUSD", [1.1] * 3),
                       make_terms(hedge_factor={"major": h}), 10_000)
    assert seen[1] == pytest.approx(margin)


def test_commission_per_side_and_cashback_per_trade():
    """3.50 per lot per side: a 1-lot round trip costs 7.00; cashback 2.00 per lot paid at the close."""
    terms = make_terms(commission_per_lot_side=3.5, cashback_per_lot=2.0, cashback_schedule="per_trade")
    r = Backtest(bars("EURUSD", [1.1] * 4), scripted({0: lambda s: s.buy(1), 1: lambda s: s.close()}), terms=terms,
                 deposit=10_000).run()
    kinds = [(d.kind, d.amount) for d in r.deals]
    assert ("commission", Decimal("-3.50")) in kinds and ("cashback", Decimal("2.00")) in kinds
    assert r.trades[0].commission == Decimal("-7.00")
    assert r.stats["costs"]["commission"] == Decimal("7.00") and r.stats["costs"]["cashback"] == Decimal("2.00")
    assert r.final_balance == Decimal("9995.00") == r.ledger_balance()


def test_daily_cashback_paid_as_a_deal():
    terms = make_terms(cashback_per_lot=1.0, cashback_schedule="daily")
    b = bars("EURUSD", [1.1] * 30)
    r = Backtest(b, scripted({0: lambda s: s.buy(2), 1: lambda s: s.close()}), terms=terms, deposit=1_000).run()
    cb = [d for d in r.deals if d.kind == "cashback"]
    assert len(cb) == 1 and cb[0].amount == Decimal("2.00") and cb[0].time == ns(2024, 1, 3)


@pytest.mark.parametrize("counts, so_price", [(True, 1.09855), (False, 1.09955)])
def test_bonus_credit_and_stop_out_rule(counts, so_price):
    """1,000 USD + 100 % bonus credit; 10 lots EURUSD at 1:1000 (margin 1,000 p), SO 50 %. With credit
    counted: 2,000 + 1e6 (p - 1.1) = 500 p -> p = 1.098549; without, the balance alone:
    1,000 + 1e6 (p - 1.1) = 500 p -> p = 1.099550."""
    terms = make_terms(bonus_pct=100.0, stop_out_counts_credit=counts, margin_call=None)
    r = Backtest(bars("EURUSD", [1.1, 1.1, 1.08, 1.08]), scripted({0: lambda s: s.buy(10)}), terms=terms,
                 deposit=1_000).run()
    so = [e for e in r.events if e.type == "stop_out"]
    assert round(so[0].price, 5) == so_price
    assert [d.kind for d in r.deals][:2] == ["deposit", "bonus"]
    assert r.ledger_balance() == r.final_balance
