"""Which entity serves a resident, and the regulator's caps by asset class and client class."""

from __future__ import annotations

import pytest

from leverlab.brokers import UnknownCountryError, entity_for, leverage, load_broker, regulatory_class
from leverlab.brokers.regulation import NoEntityError, retail_cap
from leverlab.instruments import instrument


@pytest.mark.parametrize("country", ["DE", "FR", "CY", "IT", "NL", "PL", "IE", "NO"])
def test_eu_residents_go_to_the_cysec_or_eu_entity(country: str) -> None:
    for broker, entity in (("exness", "exness_eu"), ("fbs", "fbs_eu"), ("xm", "xm_cy"), ("xtb", "xtb_cy"),
                           ("avatrade", "ava_eu"), ("pepperstone", "pepperstone_eu"), ("octa", "octa_eu")):
        assert entity_for(load_broker(broker), country, "retail").id == entity


def test_uk_australia_and_rest_of_world() -> None:
    xm = load_broker("xm")
    assert entity_for(xm, "GB", "retail").id == "xm_uk"
    assert entity_for(xm, "AU", "retail").id == "xm_au"
    assert entity_for(xm, "BR", "retail").id == "xm_global"
    assert entity_for(xm, "uk", "retail").id == "xm_uk"  # common alias of GB
    pep = load_broker("pepperstone")
    assert entity_for(pep, "AU", "pro").id == "pepperstone_au"
    assert entity_for(pep, "SC", "retail").id == "pepperstone_bs"
    assert entity_for(load_broker("exness"), "AU", "retail").id == "exness_sc"  # no ASIC entity


def test_unknown_country_code() -> None:
    with pytest.raises(UnknownCountryError, match="'ZZ' is not a valid ISO-3166 alpha-2"):
        entity_for(load_broker("exness"), "ZZ", "retail")
    with pytest.raises(UnknownCountryError, match="'GER' is not a valid ISO-3166"):
        leverage("exness", "standard", "GER", "retail", "EURUSD", 100)


def test_no_entity_for_a_class_is_explicit() -> None:
    from pathlib import Path

    from leverlab.brokers.loader import parse_profile

    text = (Path(__file__).parent / "eleventh.yaml").read_text().replace(
        "countries: [REST], source", "countries: [REST], client_classes: [retail], source")
    p = parse_profile(text, "x.yaml")
    with pytest.raises(NoEntityError, match="no entity serving pro clients resident in DE"):
        entity_for(p, "DE", "pro")


def test_esma_classes() -> None:
    assert regulatory_class(instrument("EURUSD")) == "major_fx"
    assert regulatory_class(instrument("EURGBP")) == "major_fx"  # two of USD EUR JPY GBP CAD CHF
    assert regulatory_class(instrument("AUDUSD")) == "non_major_fx"
    assert regulatory_class(instrument("XAUUSD")) == "gold"
    assert regulatory_class(instrument("XAGUSD")) == "other_commodities"
    assert regulatory_class(instrument("US500")) == "major_indices"
    assert regulatory_class(instrument("BTCUSD")) == "crypto"
    assert retail_cap("fsa_seychelles", "major_fx").value == "unknown"
    assert retail_cap("svg_fsa", "major_fx").value == "none"
    assert retail_cap("scb_bahamas", "gold").value == 200
    assert retail_cap("scb_bahamas", "crypto").value == "unknown"


@pytest.mark.parametrize("symbol,cap", [("EURUSD", 30), ("AUDUSD", 20), ("XAUUSD", 20), ("XAGUSD", 10),
                                         ("US500", 20), ("BTCUSD", 2)])
def test_eu_uk_au_retail_caps_by_class(symbol: str, cap: float) -> None:
    for broker, country in (("xm", "DE"), ("xm", "GB"), ("xm", "AU"), ("pepperstone", "FR"),
                            ("pepperstone", "AU")):
        a = leverage(broker, "standard", country, "retail", symbol, 1000)
        assert a.leverage == cap, (broker, country, symbol)
        assert a.bound_by == "regulator"


def test_retail_vs_pro_and_rest_of_world() -> None:
    assert leverage("pepperstone", "razor", "AU", "retail", "EURUSD", 10_000).leverage == 30
    pro = leverage("pepperstone", "razor", "AU", "pro", "EURUSD", 10_000)
    assert pro.leverage == 500 and pro.bound_by in ("entity", "broker_max")
    assert leverage("avatrade", "retail", "DE", "pro", "EURUSD", 10_000).leverage == 400
    assert leverage("pepperstone", "standard", "SC", "retail", "EURUSD", 10_000).leverage == 200  # SCB 200:1
    assert leverage("xtb", "standard", "BR", "retail", "EURUSD", 10_000).leverage == 500
    assert leverage("xtb", "standard", "DE", "retail", "EURUSD", 10_000).leverage == 30
    assert leverage("exness", "standard", "KE", "retail", "EURUSD", 500).leverage == 400
    rest = leverage("exness", "standard", "SC", "retail", "EURUSD", 500)
    assert rest.leverage == 2000 and rest.bound_by == "equity_band"


def test_explanation_names_residence_entity_cap_and_the_band() -> None:
    a = leverage("exness", "standard", "DE", "retail", "EURUSD", 999.99)
    assert (a.leverage, a.bound_by, a.entity, a.regulator) == (30, "regulator", "exness_eu", "cysec")
    assert "resident of DE" in a.explanation and "CySEC" in a.explanation
    assert "1:30 [BOUND]" in a.explanation and "1:2000 [applied]" in a.explanation
    bound = [r for r in a.rules if r["bound"]]
    assert [r["rule"] for r in bound] == ["regulator"]
    band = next(r for r in a.rules if r["rule"] == "equity_band")
    assert band["value"] == 2000 and band["applied"] and band["source"].startswith("https://get.exness.help")
    import json

    json.dumps(a.to_dict())  # JSON-serialisable


def test_retail_stop_out_and_nbp_follow_the_regulator() -> None:
    from leverlab.brokers import resolve_terms

    eu = resolve_terms("exness", "standard", "DE")
    assert eu.stop_out_level == 50 and eu.nbp  # CySEC close-out raises Exness's 0%
    assert resolve_terms("exness", "standard", "SC").stop_out_level == 0
    assert resolve_terms("exness", "standard", "KE").stop_out_level == 20
    assert resolve_terms("pepperstone", "razor", "AU", "pro").stop_out_level == 20
    assert resolve_terms("pepperstone", "razor", "AU", "pro").nbp is False
    assert resolve_terms("avatrade", "retail", "DE", "pro").stop_out_level == 10
    jm = resolve_terms("justmarkets", "standard", "SC")
    assert jm.nbp is False and any("NBP not published" in x for x in jm.explanation)
