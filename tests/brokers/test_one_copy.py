"""Small rules kept in one place: the asset-class list, the equity-band lookup, the Fact accessor."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest

from leverlab.brokers import leverage, load_all, policy, resolve_terms
from leverlab.brokers.policy import _PRIORITY, RuleKind, account_caps, offer_refusal, symbol_policy
from leverlab.brokers.schema import AssetClassName, Fact, MoneyFact
from leverlab.brokers.terms import SymbolMargin, band_index
from leverlab.instruments import ASSET_CLASSES

HERE = Path(__file__).resolve().parent


def test_the_schema_accepts_exactly_the_catalog_asset_classes():
    assert get_args(AssetClassName) == ASSET_CLASSES


def test_hedged_margin_for_all_covers_every_asset_class():
    t = resolve_terms(str(HERE / "eleventh.yaml"), "classic", "BR")
    assert t.hedge_factor == dict.fromkeys(ASSET_CLASSES, 0.5)


@pytest.mark.parametrize(("equity", "band"), [(-5.0, 0), (0.0, 0), (999.99, 0), (1000.0, 1), (4999.0, 1), (5000.0, 2),
                                              (1e12, 2)])
def test_one_band_lookup_for_decimal_edges_and_float_terms(equity, band):
    floors = (0.0, 1000.0, 5000.0)
    assert policy.band_index is band_index
    assert band_index([Decimal(str(f)) for f in floors], Decimal(str(equity))) == band
    sm = SymbolMargin("EURUSD", static_cap=1500.0, band_floor=floors, band_leverage=(2000.0, 1000.0, 500.0))
    assert sm.leverage_at(equity) == min(1500.0, (2000.0, 1000.0, 500.0)[band])


def test_fact_known_gives_the_typed_value_or_none():
    assert Fact[float](value=50.0, source="s", confidence="high").known() == 50.0
    assert Fact[float](value=0.0, source="s", confidence="high").known() == 0.0  # zero is known, not missing
    assert Fact[list[str]](value="unknown").known() is None
    assert MoneyFact(value=200.0, currency="EUR", source="s", confidence="low").known() == 200.0


def test_the_caps_every_symbol_shares_are_assembled_once():
    """``resolve_terms``'s leverage setting and every symbol's static rules read the same cap rules."""
    for p in load_all():
        for a in p.account_types:
            for e in p.entities:
                if offer_refusal(p, a, e, "retail"):
                    continue  # not opened for this entity's retail clients
                shared = account_caps(p, a, e, "retail")
                pol = symbol_policy(p, a, e, "retail", "EURUSD", None, strict=False)
                assert [r for r in pol.static if r.rule in ("broker_max", "entity", "account_type")] == shared
                if pol.unknown:
                    continue  # unknown leverage: resolve_terms refuses the account (see test_unknown.py)
                setting = resolve_terms(p, a.id, e.id, symbols=["EURUSD"]).selected_leverage
                assert setting <= min((r.value for r in shared if r.applied), default=float("inf"))


def test_every_rule_kind_is_declared_and_all_but_volume_tiers_are_ranked():
    kinds = set(get_args(RuleKind))
    assert set(_PRIORITY) <= kinds and kinds - set(_PRIORITY) == {"volume_tier"}
    a = leverage("amarkets", "standard", "SC", "retail", "XAUUSD", 800, time="2024-07-05T20:00:00Z", volume_lots=2)
    assert {r["rule"] for r in a.rules} <= kinds
