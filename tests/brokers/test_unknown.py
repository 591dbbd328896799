"""Unknown is never permissive; account types open only where and to whom they are offered; minimum
deposits compared after conversion; the published instrument-class caps (issue 9, item 7)."""

from __future__ import annotations

import math

import pytest

from leverlab.brokers import PolicyError, eligible_account_types, leverage, load_all, regimes, resolve_terms
from leverlab.brokers.summary import convert_reference


def test_an_unknown_pro_cap_does_not_fall_through_to_the_offshore_bands():
    """FBS Australia publishes no leverage for professional clients and ASIC caps only retail ones: the
    answer is unknown, not the 1:2000 of FBS's offshore equity bands."""
    a = leverage("fbs", "standard", "AU", "pro", "EURUSD", 1_000)
    assert math.isnan(a.leverage) and a.bound_by == "unknown"
    assert "fbs_au" in a.unknowns[0] and "pro cap is unknown" in a.unknowns[0]
    assert not any(r["applied"] for r in a.rules)  # the bands are listed, not applied
    assert a.to_dict()["leverage"] == "unknown"
    with pytest.raises(PolicyError, match="pro cap is unknown"):
        resolve_terms("fbs", "standard", "AU", "pro")


def test_an_unknown_retail_cap_with_no_regulator_cap_is_unknown_too():
    """Octa's Mauritius entity publishes no maximum and the FSC Mauritius cap is unknown: the broker's
    1:1000 of its Comoros entity is not borrowed."""
    assert math.isnan(leverage("octa", "mt", "MU", "retail", "EURUSD", 1_000).leverage)
    with pytest.raises(PolicyError, match="octa_mu.*retail cap is unknown"):
        resolve_terms("octa", "mt", "MU", "retail")


def test_a_regulator_cap_bounds_an_unpublished_retail_entity_cap():
    """Exness's EU entity publishes no maximum, but CySEC caps a retail major pair at 1:30: that is the most
    the position can get, and the answer says the regulator bounds the unpublished cap."""
    a = leverage("exness", "standard", "DE", "retail", "EURUSD", 1_000)
    assert a.leverage == 30.0 and a.bound_by == "regulator"
    reg = next(r for r in a.rules if r["rule"] == "regulator")
    assert "also bounds the unpublished entity exness_eu" in reg["note"]


def test_pepperstones_professional_table_is_applied_to_its_au_professional_clients():
    """Pro / retail: crypto 10/2, other commodities 50/10, major indices 200/20, oil 100/10, gold 500/20."""
    pro = {s: leverage("pepperstone", "razor", "AU", "pro", s, 10_000) for s in
           ("BTCUSD", "XAGUSD", "US500", "USOIL", "XAUUSD", "EURUSD")}
    assert {s: a.leverage for s, a in pro.items()} == {"BTCUSD": 10.0, "XAGUSD": 50.0, "US500": 200.0,
                                                       "USOIL": 100.0, "XAUUSD": 500.0, "EURUSD": 500.0}
    assert pro["BTCUSD"].bound_by == "instrument_cap"
    cap = next(r for r in pro["BTCUSD"].rules if r["rule"] == "instrument_cap")
    assert cap["source"] == "https://pepperstone.com/en-au/trading/professional-clients/" and cap["date"]
    # the retail column is ASIC's class caps; the table is not applied to retail clients
    assert leverage("pepperstone", "razor", "AU", "retail", "BTCUSD", 10_000).bound_by == "regulator"
    assert leverage("pepperstone", "razor", "AU", "retail", "BTCUSD", 10_000).leverage == 2.0
    # published for the AU entity only: the UK professional client keeps its entity's 1:500
    uk = leverage("pepperstone", "razor", "GB", "pro", "BTCUSD", 10_000)
    assert uk.leverage == 500.0 and uk.bound_by == "entity"
    assert resolve_terms("pepperstone", "razor", "AU", "pro").margin_for("BTCUSD").static_cap == 10.0


def test_an_eu_only_account_is_not_opened_for_a_seychelles_resident():
    sc = dict((a, (ok, why)) for a, ok, why in eligible_account_types("octa", "SC", "retail", 1_000, "USD"))
    assert sc["ctrader_eu"][0] is False and "not offered by octa_comoros" in sc["ctrader_eu"][1]
    assert sc["mt"][0] is True
    de = dict((a, ok) for a, ok, _ in eligible_account_types("octa", "DE", "retail", 1_000, "USD"))
    assert de["ctrader_eu"] is True
    with pytest.raises(PolicyError, match="not offered by octa_comoros"):
        resolve_terms("octa", "ctrader_eu", "SC")


def test_a_professional_account_is_not_opened_for_a_retail_client():
    retail = dict((a, (ok, why)) for a, ok, why in eligible_account_types("fpmarkets", "AU", "retail", 5_000, "AUD"))
    assert retail["pro"][0] is False and "for pro clients only" in retail["pro"][1]
    pro = dict((a, ok) for a, ok, _ in eligible_account_types("fpmarkets", "AU", "pro", 5_000, "AUD"))
    assert pro["pro"] is True
    with pytest.raises(PolicyError, match="for pro clients only"):
        resolve_terms("fpmarkets", "pro", "AU", "retail")
    assert resolve_terms("fpmarkets", "pro", "AU", "pro").selected_leverage == 500.0


def test_minimum_deposits_are_compared_after_conversion():
    """FP Markets Raw asks AUD 1,000. At the reference AUDUSD 0.70466 that is 1,000 x 0.70466 = 704.66 USD:
    a 500 USD deposit is short, 710 USD is enough (compared at face value both were 'not compared')."""
    assert convert_reference(1_000, "AUD", "USD") == (704.66, "1,000.00 AUD = 704.66 USD at the reference "
                                                               "rates of 2026-06-12")
    short = dict((a, (ok, why)) for a, ok, why in eligible_account_types("fpmarkets", "SC", "retail", 500, "USD"))
    assert short["raw"][0] is False and "704.66 USD" in short["raw"][1]
    enough = dict((a, ok) for a, ok, _ in eligible_account_types("fpmarkets", "SC", "retail", 710, "USD"))
    assert enough["raw"] is True
    # EUR money against a USD minimum: XM Shares asks USD 10,000 = 10,000 / 1.1566 = 8,646.03 EUR
    eur = dict((a, (ok, why)) for a, ok, why in eligible_account_types("xm", "SC", "retail", 8_646, "EUR"))
    assert eur["shares"][0] is False and "8,646.03 EUR" in eur["shares"][1]


def test_esma_supervises_no_firm_and_every_entity_names_a_supervisor():
    regs = regimes()
    assert regs["esma"].supervises_firms is False
    for p in load_all():
        for e in p.entities:
            if e.regulator is not None:
                assert regs[e.regulator].supervises_firms, (p.id, e.id, e.regulator)
                assert regs[e.regulator].authority, (p.id, e.id)
