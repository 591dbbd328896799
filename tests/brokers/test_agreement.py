"""``leverage()`` and ``resolve_terms()`` give the same numbers over a grid of brokers, accounts,
residences, client classes, symbols, equities and times."""

from __future__ import annotations

import math

import pytest

from leverlab.brokers import PolicyError, broker_ids, leverage, load_broker, resolve_terms
from leverlab.money import currency

SYMBOLS = ["EURUSD", "AUDUSD", "GBPSEK", "XAUUSD", "USOIL", "US500", "BTCUSD"]
EQUITIES = [0.0, 199.99, 999.99, 999.995, 1000.0, 1000.01, 4999.99, 40000.5, 150000.0]
COUNTRIES = ["DE", "AU", "SC", "KE"]
WEEKEND = "2024-07-05T20:00:00Z"  # inside every published weekend window
NEWS_T, NEWS_CAL = "2024-07-03T12:30:00Z", ["2024-07-03T12:30:00Z"]  # a Wednesday release


def _expected(sm, equity_units: float, cap: float | None) -> float:
    """Margin rate the engine would charge from the terms."""
    if sm.fixed_margin_rate is not None:
        rate = sm.fixed_margin_rate
        return max(rate, 1.0 / cap) if cap is not None else rate
    lev = sm.leverage_at(equity_units)
    if cap is not None:
        lev = min(lev, cap)
    return 0.0 if math.isinf(lev) else 1.0 / lev


@pytest.mark.parametrize("broker", broker_ids())
def test_leverage_and_terms_agree(broker: str) -> None:
    profile = load_broker(broker)
    checked = 0
    for account in profile.account_types:
        for country in COUNTRIES:
            for client in ("retail", "pro"):
                for selected in (None, "unlimited") if account.id in ("standard", "standard_cent") else (None,):
                    try:
                        terms = resolve_terms(profile, account.id, country, client, selected_leverage=selected,
                                              symbols=SYMBOLS)
                    except PolicyError:
                        continue  # type not offered there / stop-out unknown: nothing to compare
                    unit = float(currency(terms.currency).unit_value)
                    idx = {w.id: i for i, w in enumerate(terms.hmr_windows)}
                    for sym in SYMBOLS:
                        a0 = leverage(profile, account.id, country, client, sym, 100.0, selected=selected)
                        if sym not in terms.symbols:
                            assert a0.fixed_margin and math.isnan(a0.margin_rate), (sym, a0.explanation)
                            continue
                        sm = terms.margin_for(sym)
                        for eq in EQUITIES:
                            units = eq / unit  # the same equity in account units (cents for cent accounts)
                            a = leverage(profile, account.id, country, client, sym, units, selected=selected)
                            assert a.margin_rate == pytest.approx(_expected(sm, units, None)), (
                                broker, account.id, country, client, sym, eq, a.explanation)
                            checked += 1
                        for when, cal, wid in ((WEEKEND, (), "weekend"), (NEWS_T, NEWS_CAL, "news")):
                            if wid not in idx:
                                continue
                            a = leverage(profile, account.id, country, client, sym, 4000 / unit, time=when,
                                         calendar=cal, selected=selected)
                            cap = sm.hmr_caps[idx[wid]]
                            assert a.margin_rate == pytest.approx(_expected(sm, 4000 / unit, cap)), (
                                broker, account.id, country, sym, wid, a.explanation)
                            checked += 1
    assert checked > 50
