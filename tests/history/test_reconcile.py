"""Reconciliation of the four real statements with leverlab's own formula and contract specs: counts pinned,
a few deals recomputed by hand, and every statement's balance explained to the cent."""

from __future__ import annotations

from decimal import Decimal

from leverlab import load
from leverlab.history import Reconciliation, Statement, reconcile


def _check(r: Reconciliation, deal: str):
    return next(c for c in r.checks if c.deal == deal)


def test_mt4_usd(mt4_usd: Statement) -> None:
    r = reconcile(mt4_usd)
    # 297 closes; the 6 unmatched are EURGBP/EURJPY/GBPJPY, whose GBP/JPY profit needs GBPUSD or USDJPY at the
    # close, a price no statement prints
    assert r.counts == {"cent": 291, "minor_unit": 0, "unmatched": 6}
    assert r.unmatched_reasons() == {"missing conversion price": 6}
    assert r.goal_met and r.balance.ok
    assert (r.balance.deposits, r.balance.withdrawals, r.balance.computed) == \
        (Decimal("397.00"), Decimal("-800.00"), Decimal("1232.24"))
    # USDJPY sell 0.03 at 157.653, closed at 157.254: (157.653 - 157.254) x 100,000 x 0.03 = 1,197 JPY, converted
    # at its own close: 1,197 / 157.254 = 7.6119 -> 7.61 USD, as stated
    c = _check(r, "2761281")
    assert (c.symbol, c.status, c.basis, c.computed) == ("USDJPY", "cent", "own", Decimal("7.61"))
    assert c.how == "(157.653 - 157.254) x 100000 x 0.03 = 1197 JPY; / USDJPY 157.254 (its own close)"
    # XAUUSD buy 0.06 at 2683.38 closed at 2668.10: (2668.10 - 2683.38) x 100 oz x 0.06 = -91.68 USD
    c = _check(r, "2766718")
    assert (c.status, c.basis, c.computed, c.stated) == ("cent", "account", Decimal("-91.68"), Decimal("-91.68"))
    # commission -2.00 USD a lot on every trade (PROVENANCE): 0.02 lot -> -0.04
    assert r.commission["rate_per_lot"]["EURUSD"] == "-2.00" and r.commission["consistent"] == 297


def test_mt4_eur_own_close_and_stored_eurusd(mt4_eur: Statement) -> None:
    r = reconcile(mt4_eur)
    # EUR-based pairs convert at their own close (EURUSD: USD profit / the EURUSD close) and all match;
    # the others need EURUSD, EURGBP... at the close, which the statement does not print
    assert r.counts == {"cent": 57, "minor_unit": 0, "unmatched": 73} and r.goal_met and r.balance.ok
    assert r.unmatched_reasons() == {"missing conversion price": 70, "unknown symbol": 3}
    # EURUSD buy 0.05 at 1.17663, closed at 1.17675: 0.00012 x 100,000 x 0.05 = 0.60 USD / 1.17675 = 0.5099 EUR
    c = _check(r, "62466899")
    assert (c.status, c.basis, c.computed) == ("cent", "own", Decimal("0.51"))
    # with the bundled EURUSD H1 (Oanda, UTC) and the server taken as UTC+3, the USD-quoted pairs convert at the
    # bar's mid: 33 of those 35 deals within one cent; H1 mids are not the broker's price at that second
    stored = reconcile(mt4_eur.in_zone("+03:00"), prices={"EURUSD": load("sample:eurusd-h1")})
    assert stored.counts == {"cent": 80, "minor_unit": 10, "unmatched": 40}
    s = [c for c in stored.checks if c.basis == "stored"]
    assert len(s) == 35 and sum(c.status != "unmatched" for c in s) == 33
    # XAUUSD buy 0.05 at 1273.81, closed at 1271.84: -1.97 x 100 x 0.05 = -9.85 USD; / EURUSD 1.176815 (the mid of
    # the 09:00 UTC bar, 12:23 server time) = -8.3701 -> -8.37 EUR; the statement booked -8.38 (its own EURUSD rate)
    c = _check(stored, "62467045")
    assert (c.status, c.computed, c.stated) == ("minor_unit", Decimal("-8.37"), Decimal("-8.38"))
    assert stored.goal_met


def test_mt5_xlsx_partial_close_per_deal(mt5_xlsx: Statement) -> None:
    r = reconcile(mt5_xlsx)
    # ETHUSD is 10 units a lot at this broker (the catalog's generic spec says 1): reconcile finds the size with
    # which every ETHUSD deal matches and names it
    assert r.inferred_contract_sizes == {"ETHUSD": Decimal("10")}
    assert r.counts == {"cent": 351, "minor_unit": 0, "unmatched": 30}
    r = reconcile(mt5_xlsx, contract_sizes={"ETHUSD": 10})
    assert r.counts == {"cent": 379, "minor_unit": 0, "unmatched": 2}  # the 2: LNKUSD, not in the catalog
    assert r.goal_met and r.balance.ok and r.balance.computed == Decimal("200772.80")
    # USDCHF position 468040415: buy 1 lot at 0.79569, closed in three deals. Per deal, at each deal's own price:
    # 0.5 at 0.79738: 0.00169 x 100,000 x 0.5 = 84.50 CHF / 0.79738 = 105.972 -> 105.97 USD
    # 0.25 at 0.79765: 0.00196 x 25,000 = 49.00 CHF / 0.79765 = 61.430 -> 61.43 USD
    # 0.25 at 0.79758: 0.00189 x 25,000 = 47.25 CHF / 0.79758 = 59.242 -> 59.24 USD
    deals = [c for c in r.checks if c.ticket == "468040415"]
    assert [(c.lots, c.computed, c.status) for c in deals] == [
        (Decimal("0.5"), Decimal("105.97"), "cent"), (Decimal("0.25"), Decimal("61.43"), "cent"),
        (Decimal("0.25"), Decimal("59.24"), "cent")]
    # commission per deal, each rounded: 2.50 a lot a side; 0.25 lot -> 0.625 -> -0.63
    t = next(t for t in mt5_xlsx.trades if t.ticket == "468040415")
    assert [e.commission for e in t.exits] == [Decimal("-1.25"), Decimal("-0.63"), Decimal("-0.63")]
    assert r.commission["per"].startswith("deal") and r.commission["rate_per_lot"]["USDCHF"] == "-2.50"
    # the partial close still open at the end: AUDUSD sell 0.05 at 0.69460, 0.02 closed at 0.69183:
    # 0.00277 x 100,000 x 0.02 = 5.54 USD
    c = next(c for c in r.checks if c.ticket == "479327047")
    assert (c.lots, c.computed, c.status) == (Decimal("0.02"), Decimal("5.54"), "cent")


def test_mt5_tester(mt5_tester: Statement) -> None:
    r = reconcile(mt5_tester)
    assert r.counts == {"cent": 145, "minor_unit": 0, "unmatched": 0} and r.goal_met and r.balance.ok
    # deal 289: buy 0.03 at 4203.94 closing the sell opened at 4209.54: 5.60 x 100 x 0.03 = 16.80 USD
    c = _check(r, "289")
    assert (c.computed, c.status, c.open_price) == (Decimal("16.80"), "cent", Decimal("4209.54"))


def test_given_rate_converts_crosses(mt4_usd: Statement) -> None:
    # a constant rate is not the broker's price at each close: the crosses then convert, but need not match
    r = reconcile(mt4_usd, rates={"GBPUSD": 1.27, "USDJPY": 150.0})
    assert r.unmatched_reasons().get("missing conversion price") is None
    assert {c.basis for c in r.checks if c.symbol in ("EURGBP", "GBPJPY", "EURJPY")} == {"given"}
    assert r.to_dict()["counts"]["cent"] >= 291
