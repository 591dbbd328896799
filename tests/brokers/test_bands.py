"""Every edge of every published equity-band table, cent accounts, and formulas.md section 5."""

from __future__ import annotations

import math

import pytest

from leverlab.brokers import leverage, resolve_terms

INF = math.inf


def lev(broker: str, account: str, equity: float, symbol: str = "EURUSD", **kw: object) -> float:
    return leverage(broker, account, "SC" if broker != "xm" else "BR", "retail", symbol, equity, **kw).leverage


# (broker, account type, equity, expected leverage with no trader selection)
EDGES = [
    # Exness official: 0-999.99 unlimited (1:2000 unless opted in), 1,000-4,999.99 2000,
    # 5,000-29,999.99 1000, >=30,000 500
    ("exness", "standard", 0, 2000), ("exness", "standard", 999.99, 2000), ("exness", "standard", 1000.00, 2000),
    ("exness", "standard", 4999.99, 2000), ("exness", "standard", 5000, 1000), ("exness", "standard", 29999.99, 1000),
    ("exness", "standard", 30000, 500), ("exness", "standard", 10_000_000, 500),
    # FBS Standard: 0-199 3000, 200-1,999 2000, 2,000-4,999 1000, 5,000-29,999 500, 30,000-149,999 200, >=150,000 100
    ("fbs", "standard", 0, 3000), ("fbs", "standard", 199, 3000), ("fbs", "standard", 199.99, 3000),
    ("fbs", "standard", 200, 2000), ("fbs", "standard", 1999, 2000), ("fbs", "standard", 2000, 1000),
    ("fbs", "standard", 4999, 1000), ("fbs", "standard", 5000, 500), ("fbs", "standard", 29999, 500),
    ("fbs", "standard", 30000, 200), ("fbs", "standard", 149999, 200), ("fbs", "standard", 150000, 100),
    # JustMarkets: 0-999 3000, 1,000-4,999 2000, 5,000-39,999 1000, >=40,000 500
    ("justmarkets", "standard", 0, 3000), ("justmarkets", "standard", 999, 3000),
    ("justmarkets", "standard", 999.99, 3000), ("justmarkets", "standard", 1000, 2000),
    ("justmarkets", "standard", 4999, 2000), ("justmarkets", "standard", 5000, 1000),
    ("justmarkets", "standard", 39999, 1000), ("justmarkets", "standard", 40000, 500),
    # XM (total equity): 5-40,000 1000, 40,001-80,000 500, 80,001-200,000 200, >=200,001 100
    ("xm", "standard", 5, 1000), ("xm", "standard", 40000, 1000), ("xm", "standard", 40000.5, 1000),
    ("xm", "standard", 40001, 500), ("xm", "standard", 80000, 500), ("xm", "standard", 80001, 200),
    ("xm", "standard", 200000, 200), ("xm", "standard", 200001, 100),
    # AMarkets Standard (Apr 2021 + 1:3000 opt-in <= 1,000): touching edges belong to the higher band
    ("amarkets", "standard", 1000, 1000), ("amarkets", "standard", 1000.01, 1000),
    ("amarkets", "standard", 9999.99, 1000), ("amarkets", "standard", 10000, 500),
    ("amarkets", "standard", 49999.99, 500), ("amarkets", "standard", 50000, 200),
    ("amarkets", "standard", 99999.99, 200), ("amarkets", "standard", 100000, 100),
    ("amarkets", "ecn", 500, 200), ("amarkets", "ecn", 99999.99, 200), ("amarkets", "ecn", 100000, 100),
]


@pytest.mark.parametrize("broker,account,equity,expected", EDGES)
def test_band_edges(broker: str, account: str, equity: float, expected: float) -> None:
    assert lev(broker, account, equity) == expected


def test_exness_unlimited_needs_the_opt_in_and_equity_below_1000() -> None:
    assert lev("exness", "standard", 999.99, selected="unlimited") == INF
    assert lev("exness", "standard", 999.995, selected="unlimited") == INF  # between edges: still band 1
    assert lev("exness", "standard", 1000.00, selected="unlimited") == 2000
    a = leverage("exness", "standard", "SC", "retail", "EURUSD", 500, selected="unlimited")
    assert a.margin_rate == 0.0 and a.to_dict()["leverage"] == "unlimited"
    assert lev("exness", "standard", 500, selected=100) == 100
    assert leverage("exness", "standard", "SC", "retail", "EURUSD", 500, selected=100).bound_by == "selected"


def test_amarkets_raised_leverage_on_request_only_up_to_1000() -> None:
    assert lev("amarkets", "standard", 1000, selected=3000) == 3000
    assert lev("amarkets", "standard", 1000.01, selected=3000) == 1000
    assert lev("amarkets", "ecn", 999, selected=3000) == 3000


def test_cent_accounts_compare_equity_in_cents() -> None:
    # USC 150,000 = USD 1,500 -> Exness band 2
    assert lev("exness", "standard_cent", 150_000) == 2000
    assert lev("exness", "standard_cent", 99_999, selected="unlimited") == INF  # USD 999.99
    assert lev("exness", "standard_cent", 100_000, selected="unlimited") == 2000  # USD 1,000.00
    assert lev("exness", "standard_cent", 499_999) == 2000
    assert lev("exness", "standard_cent", 500_000) == 1000
    assert lev("exness", "standard_cent", 3_000_000) == 500
    # FBS Cent: own table (1:1000 up to USD 4,999) and an account cap of 1:1000
    assert lev("fbs", "cent", 19_900) == 1000
    assert lev("fbs", "cent", 499_900) == 1000
    assert lev("fbs", "cent", 500_000) == 500
    assert lev("fbs", "cent", 15_000_000) == 100
    t = resolve_terms("exness", "standard_cent", "SC", currency="USD")
    assert t.currency == "USC" and t.is_cent
    assert t.margin_for("EURUSD").band_floor == (0.0, 100_000.0, 500_000.0, 3_000_000.0)
    assert t.margin_for("EURUSD").leverage_at(150_000) == 2000


def test_cent_equity_given_in_usd_is_not_taken_as_cents() -> None:
    # the same account type asked with an explicit USD currency compares dollars
    assert lev("exness", "standard_cent", 1500, account_currency="USD") == 2000
    assert lev("exness", "standard_cent", 5000, account_currency="USD") == 1000


def margin_usd(broker: str, equity: float, **kw: object) -> float:
    """1 lot EURUSD @ 1.1000 on a USD account at the leverage the policy gives (formulas.md section 5)."""
    L = lev(broker, "standard" if broker != "amarkets" else "standard", equity, **kw)
    return round(100_000 / L * 1.1, 2)


@pytest.mark.parametrize("broker,equity,margin", [
    ("exness", 4000, 55.00), ("exness", 6000, 110.00), ("exness", 40000, 220.00),
    ("fbs", 150, 36.67), ("fbs", 250, 55.00), ("justmarkets", 45000, 220.00),
    ("xm", 50000, 220.00), ("amarkets", 60000, 550.00),
])
def test_formulas_section5_worked_examples(broker: str, equity: float, margin: float) -> None:
    assert margin_usd(broker, equity) == margin


def test_formulas_section5_news_window_at_1_200() -> None:
    cal = ["2024-03-08T13:30:00Z"]
    for broker, equity in (("exness", 4000), ("amarkets", 5000)):
        a = leverage(broker, "standard", "SC", "retail", "EURUSD", equity, time="2024-03-08T13:25:00Z", calendar=cal)
        assert a.leverage == 200 and a.bound_by == "hmr"
        assert round(100_000 * a.margin_rate * 1.1, 2) == 550.00
