"""Commissions in every published form (issue 9, item 2): per lot per side, per round turn, per
notional traded, in their own currency, booked when the platform books them and converted at the
deal's quote."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import bars, make_terms, scripted

from leverlab.brokers import resolve_terms
from leverlab.engine import Backtest


def _round_trip(terms, data, lots: float = 1.0, close_at: int = 2, deposit: float = 10_000):
    return Backtest(data, scripted({0: lambda s: s.buy(lots), close_at: lambda s: s.close()}), terms=terms,
                    deposit=deposit).run()


def _commissions(r):
    return [(d.time, d.amount) for d in r.deals if d.kind == "commission"]


def test_notional_commission_by_hand():
    """XM Zero: "$3.5 per $100,000 traded" (per side). EURUSD 1.2000 then 1.2500, 2 lots, mid = bid
    (no spread): the open trades 2 x 100,000 EUR x 1.20 = 240,000 USD -> 3.5 x 240,000 / 100,000 = 8.40 USD;
    the close trades 2 x 100,000 x 1.25 = 250,000 USD -> 8.75 USD. Round trip 17.15 (not 2 x 2 x 3.5 = 14)."""
    terms = make_terms(commission_per_lot_side=3.5, commission_notional=100_000.0)
    r = _round_trip(terms, bars("EURUSD", [1.2, 1.2, 1.25, 1.25]), lots=2)
    assert [a for _, a in _commissions(r)] == [Decimal("-8.40"), Decimal("-8.75")]
    assert r.trades[0].commission == Decimal("-17.15")
    assert r.stats["costs"]["commission"] == Decimal("17.15")
    assert r.final_balance == r.ledger_balance() == Decimal("10000") + Decimal("10000.00") - Decimal("17.15")


def test_notional_commission_converted_to_a_eur_account_at_the_deal():
    """The same 3.5 USD per 100,000 USD on a EUR account: USD -> EUR at the quote's mid (EURUSD 1.25):
    1 lot opened at 1.25 = 125,000 USD -> 4.375 USD -> 3.50 EUR."""
    terms = make_terms(currency="EUR", commission_per_lot_side=3.5, commission_notional=100_000.0)
    r = Backtest(bars("EURUSD", [1.25] * 4), scripted({0: lambda s: s.buy(1)}), terms=terms, deposit=10_000).run()
    assert _commissions(r)[0][1] == Decimal("-3.50")


@pytest.mark.parametrize("sides, at_open, at_close", [((1.0, 1.0), "-3.50", "-3.50"),
                                                      ((2.0, 0.0), "-7.00", None),
                                                      ((0.0, 2.0), None, "-7.00")])
def test_booked_when_the_platform_books_it(sides, at_open, at_close):
    """3.50 per lot per side on 1 lot: both sides at their deals (MT5), the round turn at opening (XM MT4
    "open and close charged together at opening"), or the round turn at the close. Same total 7.00."""
    terms = make_terms(commission_per_lot_side=3.5, commission_sides=sides)
    data = bars("EURUSD", [1.1] * 4)
    r = _round_trip(terms, data)
    opened = r.deals[1].time
    got = dict(_commissions(r))
    want = {k: Decimal(v) for k, v in ((opened, at_open), (r.trades[0].close_time, at_close)) if v is not None}
    assert {k: v for k, v in got.items()} == want
    assert r.trades[0].commission == Decimal("-7.00") and r.final_balance == Decimal("9993.00") == r.ledger_balance()


def test_commission_in_its_own_currency():
    """FP Markets' Raw commission is AUD 3.50 per lot per side: on a USD account at AUDUSD 0.6500 it is
    3.50 x 0.65 = 2.275 -> 2.28 USD per side (converted at the deal's quote)."""
    terms = make_terms({"EURUSD": 1000.0}, commission_per_lot_side=3.5, commission_currency="AUD")
    data = {"EURUSD": bars("EURUSD", [1.1] * 4), "AUDUSD": bars("AUDUSD", [0.65] * 4)}
    r = _round_trip(terms, data)
    assert [a for _, a in _commissions(r)] == [Decimal("-2.28"), Decimal("-2.28")]


def test_resolved_profiles_book_their_published_basis():
    """XM Zero: per 100,000 USD traded, MT5's booking (both sides at their deals) by preference; Exness
    Raw Spread: USD 3.50 per lot per side; an unknown commission says so."""
    zero = resolve_terms("xm", "zero", "SC")
    assert zero.commission_notional == 100_000.0 and zero.commission_sides == (1.0, 1.0)
    assert "per 100,000 USD traded" in zero.commission_source and zero.commission_known
    assert any("MT5" in w and "MT4 open_for_both" in w for w in zero.explanation)
    raw = resolve_terms("exness", "raw_spread", "SC")
    assert raw.commission_notional == 0.0 and raw.commission_per_lot_side == 3.5
    assert raw.commission_source.startswith("3.5 USD per lot per side")
    unknown = resolve_terms("exness", "zero", "SC")
    assert not unknown.commission_known and unknown.commission_source.startswith("unknown")
