"""Swaps over time (issue 9, item 3): the published table where there is one, else each day's financing
from the central-bank policy-rate differential (``leverlab.data.policy_rates``) minus the broker's
markup, on its day count, booked at its rollover in its server time zone, three nights on each asset
class's triple day; swap-free accounts skip swaps and pay their published fee; every result says which
swap source each symbol used."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import bars, make_terms, ns, scripted

from leverlab.brokers import resolve_terms
from leverlab.brokers.terms import SwapRate, SymbolMargin
from leverlab.engine import Backtest, BacktestError

ROLL = dict(rollover_time="22:00", server_timezone="UTC")  # Exness's published rollover, 22:00 GMT+0


def _hold(terms, data, *, buy=1.0, sell=0.0, close_at=20, swaps="policy", symbols=None):
    def open_(s):
        for sym in symbols or [None]:
            if buy:
                s.buy(buy, symbol=sym) if sym else s.buy(buy)
            if sell:
                s.sell(sell, symbol=sym) if sym else s.sell(sell)

    plan = {0: open_, close_at: lambda s: [s.close(symbol=sym) if sym else s.close() for sym in symbols or [None]]}
    return Backtest(data, scripted(plan), terms=terms, deposit=100_000, swaps=swaps).run()


def _swaps(r, symbol=None):
    return [d.amount for d in r.deals if d.kind == "swap" and (symbol is None or d.symbol == symbol)]


def test_policy_rate_swap_over_a_wednesday_in_2008():
    """EURUSD long 1 lot over Wednesday 2008-03-05 (rollover 22:00 UTC, the triple night), markup 0.5 %/yr,
    day count 365 (OANDA's 1/365). Rates in force that day: EUR = ECB main refinancing rate 4.00
    (from 2007-06-13; the model reads the MRO until 2008-10-14), USD = FOMC target 3.00 (from 2008-01-30).
    Long: 4.00 - 3.00 - 0.5 = +0.50 %/yr on 100,000 x 1.5000 = 150,000 USD for 3 nights:
    150,000 x 0.005 x 3 / 365 = 6.1644 -> +6.16 USD (credited)."""
    terms = make_terms(swap_markup=0.5, swap_markup_source="test", **ROLL)
    r = _hold(terms, bars("EURUSD", [1.5] * 24, start=ns(2008, 3, 5, 10)))
    assert _swaps(r) == [Decimal("6.16")]
    assert r.trades[0].swap == Decimal("6.16") and r.stats["costs"]["swap"] == Decimal("-6.16")
    assert r.final_balance == r.ledger_balance() == Decimal("100006.16")


def test_policy_rate_swap_over_a_wednesday_in_2016():
    """EURUSD 1 lot over Wednesday 2016-03-09 (triple night), markup 0.5 %/yr, /365. Rates that day:
    EUR = ECB deposit facility rate -0.30 (from 2015-12-09), USD = FOMC upper bound 0.50 (from 2015-12-17).
    Long: -0.30 - 0.50 - 0.5 = -1.30 %/yr on 110,000 USD: 110,000 x 0.013 x 3 / 365 = 11.7534 -> -11.75.
    Short: 0.50 - (-0.30) - 0.5 = +0.30 %/yr: 110,000 x 0.003 x 3 / 365 = 2.7123 -> +2.71."""
    terms = make_terms(swap_markup=0.5, swap_markup_source="test", **ROLL)
    data = bars("EURUSD", [1.1] * 24, start=ns(2016, 3, 9, 10))
    assert _swaps(_hold(terms, data)) == [Decimal("-11.75")]
    assert _swaps(_hold(terms, data, buy=0, sell=1)) == [Decimal("2.71")]


def test_defaults_where_the_profile_publishes_none_are_stated():
    """Exness publishes no swap table, markup or day count: the policy model uses OANDA's 1.00 % admin fee
    and 1/365, and the result says so per symbol. Long EURUSD over Wednesday 2016-03-09 at 22:00 UTC:
    -0.30 - 0.50 - 1.00 = -1.80 %/yr: 110,000 x 0.018 x 3 / 365 = 16.2740 -> -16.27."""
    terms = resolve_terms("exness", "standard", "SC")
    r = _hold(terms, bars("EURUSD", [1.1] * 24, start=ns(2016, 3, 9, 10)))
    assert _swaps(r) == [Decimal("-16.27")]
    src = r.meta["swaps"]["EURUSD"]
    assert r.meta["swap_source"] == "policy"
    assert src.startswith("policy rates EUR") and "default: OANDA" in src and "/365" in src and "wednesday" in src
    published = _hold(terms, bars("EURUSD", [1.1] * 24, start=ns(2016, 3, 9, 10)), swaps="published")
    assert _swaps(published) == [] and "no published swap table" in published.meta["swaps"]["EURUSD"]


def test_one_account_holds_fx_tripled_on_wednesday_and_energy_on_friday():
    """Exness: triple swap Wednesday for FX and metals, Friday for energies. EURUSD 1.1000 and USOIL 80.00
    long 1 lot each, Tuesday 2016-03-08 10:00 to Saturday, markup 0.5, /365. EURUSD -1.30 %/yr on 110,000:
    3.9178 a night -> -3.92, triple -11.75. USOIL (1,000 barrels, no policy rate of its own: 0 - USD 0.50
    - 0.5 = -1.00 %/yr on 80,000 USD): 2.1918 -> -2.19 a night, triple 6.5753 -> -6.58."""
    sm = {"EURUSD": SymbolMargin("EURUSD", 1000.0), "USOIL": SymbolMargin("USOIL", 100.0)}
    terms = make_terms(symbol_margin=sm, swap_markup=0.5, triple_swap_days={"energy": "friday"}, **ROLL)
    start = ns(2016, 3, 8, 10)
    data = {"EURUSD": bars("EURUSD", [1.1] * 96, start=start), "USOIL": bars("USOIL", [80.0] * 96, start=start)}
    r = _hold(terms, data, close_at=95, symbols=["EURUSD", "USOIL"])
    assert _swaps(r, "EURUSD") == [Decimal(x) for x in ("-3.92", "-11.75", "-3.92", "-3.92")]
    assert _swaps(r, "USOIL") == [Decimal(x) for x in ("-2.19", "-2.19", "-2.19", "-6.58")]
    assert r.final_balance == r.ledger_balance()


def test_published_table_beats_the_policy_rates():
    """A published swap of -6.1 points a night (point 0.00001, 1 lot = 6.10 USD) is used in every mode but
    'none', tripled on Wednesday: -18.30."""
    terms = make_terms(swaps={"EURUSD": SwapRate(-6.1, 1.0)}, swap_table_source="test table, high", **ROLL)
    data = bars("EURUSD", [1.1] * 24, start=ns(2016, 3, 9, 10))
    for mode in ("policy", "published"):
        r = _hold(terms, data, swaps=mode)
        assert _swaps(r) == [Decimal("-18.30")]
        assert r.meta["swaps"]["EURUSD"].startswith("published table: long -6.1 / short 1 points (test table")
    assert _swaps(_hold(terms, data, swaps="none")) == []


def test_swap_free_skips_swaps_and_pays_its_fee():
    """Swap-free with a published fee of 5.00 USD per lot per night: 3 nights on Wednesday -> -15.00
    (booked as the swap would be); without a fee nothing is booked, and the result says why."""
    data = bars("EURUSD", [1.1] * 24, start=ns(2016, 3, 9, 10))
    fee = make_terms(swap_free=True, swap_free_fee=5.0, swap_free_fee_currency="USD", swap_free_reason="test", **ROLL)
    r = _hold(fee, data)
    assert _swaps(r) == [Decimal("-15.00")] and r.meta["swaps"]["EURUSD"].startswith("swap-free fee 5 USD")
    free = _hold(make_terms(swap_free=True, **ROLL), data)
    assert _swaps(free) == [] and free.meta["swaps"]["EURUSD"].startswith("none: swap-free account")
    octa = resolve_terms("octa", "mt", "SC")  # swap-free for every client since 2022, not on request
    assert octa.swap_free and "no swaps" in octa.swap_free_reason


def test_no_rate_no_swap_and_a_clear_reason():
    """A pair with a currency the policy-rate file lacks (SEK) books no swap and says so; a date after the
    file's verified-through day books nothing either; an unknown swaps option is refused."""
    from leverlab.engine._schedule import swap_source

    terms = make_terms()
    from leverlab.instruments import instrument

    assert swap_source(terms, "EURSEK", instrument("EURSEK"), "policy") == "none: no policy-rate series for SEK"
    r = _hold(make_terms(**ROLL), bars("EURUSD", [1.1] * 24, start=ns(2027, 3, 10, 10)))
    assert _swaps(r) == []
    with pytest.raises(BacktestError, match="swaps 'tomnext': expected one of published, policy, none"):
        Backtest(bars("EURUSD", [1.1] * 3), terms=terms, swaps="tomnext")
