"""Account eligibility and the headline table."""

from __future__ import annotations

from leverlab.brokers import eligible_account_types, headline_markdown, headline_table, load_broker, resolve_terms


def test_eligible_account_types() -> None:
    rows = {a: (ok, why) for a, ok, why in eligible_account_types(load_broker("exness"), "SC", "retail", 100, "USD")}
    assert rows["raw_spread"][0] is False and "below the minimum 200.00" in rows["raw_spread"][1]
    assert rows["standard"][0] is True and "not published" in rows["standard"][1]
    assert rows["standard_cent"][0] and "10,000 USD cents" in rows["standard_cent"][1]
    xtb = {a: ok for a, ok, _ in eligible_account_types("xtb", "BR", "retail", 1000, "USD")}
    assert xtb == {"standard": True, "pro": False}
    eur = {a: ok for a, ok, _ in eligible_account_types("xtb", "BR", "retail", 1000, "EUR")}
    assert eur["standard"] is False  # XTB International: USD accounts only
    xm = {a: ok for a, ok, _ in eligible_account_types("xm", "BR", "retail", 5, "USD")}
    assert xm["micro"] and not xm["shares"]


def test_headline_table_and_markdown() -> None:
    rows = {r["id"]: r for r in headline_table()}
    assert len(rows) == 10
    assert rows["exness"]["max_leverage"] == "unlimited" and rows["exness"]["stop_out"] == "0%"
    assert rows["fbs"]["max_leverage"] == "1:3000" and rows["fbs"]["margin_call"] == "40%"
    assert rows["pepperstone"]["margin_call"] == "90%" and rows["pepperstone"]["nbp"] == "yes"
    assert rows["justmarkets"]["nbp"] == "unknown"
    assert "CYSEC" in rows["xm"]["regulators"] and rows["xm"]["min_deposit"] == "5 USD"
    md = headline_markdown()
    assert md.count("\n") == 12 and "| Exness | unlimited |" in md


def test_terms_costs_and_unknowns_are_explained() -> None:
    t = resolve_terms("pepperstone", "razor", "AU")
    assert t.commission_per_lot_side == 3.5 and t.commission_currency == "USD"
    assert t.margin_call_level == 90 and t.stop_out_level == 50 and t.nbp
    assert t.margin_for("EURUSD").leverage_at(1e6) == 30
    assert any("swap rates not published" in x for x in t.explanation)
    x = resolve_terms("xm", "standard", "BR")
    assert x.hedge_factor["major"] == 0 and x.hedge_factor["index"] == 0.5
    jm = resolve_terms("justmarkets", "standard", "SC")
    assert jm.spread_points == {"EURUSD": 10.0}
    fbs = resolve_terms("fbs", "standard", "SC", bonus="deposit_100")
    assert fbs.bonus_pct == 100 and not fbs.stop_out_counts_credit
    assert fbs.margin_for("EURUSD").leverage_at(100) == 500


def test_selected_leverage_in_terms() -> None:
    assert resolve_terms("exness", "standard", "SC").selected_leverage == 2000  # unlimited needs the opt-in
    assert resolve_terms("exness", "standard", "SC", selected_leverage="unlimited").unlimited
    assert resolve_terms("exness", "standard", "SC", selected_leverage=500).selected_leverage == 500
    assert resolve_terms("xm", "micro", "BR", selected_leverage=5000).selected_leverage == 1000
    assert resolve_terms("exness", "standard", "DE").selected_leverage == 30  # CySEC's highest class cap
    assert resolve_terms("pepperstone", "razor", "AU", "pro").selected_leverage == 500
