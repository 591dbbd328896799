"""Small rules kept in one place: the asset-class list, the equity-band lookup, the Fact accessor."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest

from leverlab.brokers import policy, resolve_terms
from leverlab.brokers.schema import AssetClassName
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
