"""Fixed-margin instruments: a margin rate instead of leverage; unknown rates stay unknown."""

from __future__ import annotations

import math

import pytest

from leverlab.brokers import leverage, resolve_terms


def test_exness_gbpsek_fixed_one_percent() -> None:
    a = leverage("exness", "standard", "SC", "retail", "GBPSEK", 500, selected="unlimited")
    assert a.fixed_margin and a.margin_rate == pytest.approx(0.01) and a.bound_by == "fixed_margin"
    assert 0.5 * 100_000 * a.margin_rate == pytest.approx(500)  # 0.5 lot = 500 GBP (help-centre example)
    sel = next(r for r in a.rules if r["rule"] == "selected")
    assert not sel["applied"] and "ignored" in sel["note"]
    # the equity band does not matter
    assert leverage("exness", "standard", "SC", "retail", "GBPSEK", 50_000).margin_rate == pytest.approx(0.01)


def test_regulator_cap_raises_a_fixed_margin() -> None:
    a = leverage("exness", "standard", "DE", "retail", "GBPSEK", 500)  # CySEC non-major 20:1 = 5% > 1%
    assert a.margin_rate == pytest.approx(0.05) and a.bound_by == "regulator" and a.fixed_margin


def test_unknown_fixed_margin_is_unknown_not_guessed() -> None:
    a = leverage("exness", "standard", "SC", "retail", "USDHKD", 500)
    assert a.fixed_margin and math.isnan(a.margin_rate) and math.isnan(a.leverage)
    assert a.to_dict()["leverage"] == "unknown" and a.to_dict()["margin_rate"] == "unknown"
    assert "not published" in a.explanation
    t = resolve_terms("exness", "standard", "SC")
    assert "USDHKD" not in t.symbols and "GBPSEK" in t.symbols
    assert t.margin_for("GBPSEK").fixed_margin_rate == pytest.approx(0.01)
    assert any("USDHKD" in line for line in t.explanation)
    with pytest.raises(KeyError, match="covered:"):
        t.margin_for("USDHKD")


def test_instrument_caps_fbs() -> None:
    assert leverage("fbs", "standard", "SC", "retail", "XAUUSD", 100).leverage == 500
    assert leverage("fbs", "standard", "SC", "retail", "US500", 100).leverage == 500
    assert leverage("fbs", "standard", "SC", "retail", "DE40", 100).leverage == 200
    assert leverage("fbs", "standard", "SC", "retail", "USOIL", 100).bound_by == "instrument_cap"
    assert leverage("fpmarkets", "standard", "BR", "retail", "BTCUSD", 100).leverage == 50


def test_errors_name_bad_values_and_list_valid_ones() -> None:
    from leverlab.brokers import PolicyError
    from leverlab.instruments import UnknownSymbolError

    with pytest.raises(PolicyError, match=r"unknown account type 'gold'.*standard, standard_cent, pro"):
        leverage("exness", "gold", "SC", "retail", "EURUSD", 100)
    with pytest.raises(UnknownSymbolError, match=r"unknown symbol 'EURXXX'.*EURUSD"):
        leverage("exness", "standard", "SC", "retail", "EURXXX", 100)
    with pytest.raises(PolicyError, match="client class 'vip'"):
        leverage("exness", "standard", "SC", "vip", "EURUSD", 100)
    with pytest.raises(PolicyError, match="not offered by xtb_int"):
        leverage("xtb", "pro", "BR", "retail", "EURUSD", 100)
