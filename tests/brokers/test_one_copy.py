"""Small rules kept in one place: the asset-class list, the equity-band lookup, the Fact accessor."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from leverlab.brokers import resolve_terms
from leverlab.brokers.schema import AssetClassName
from leverlab.instruments import ASSET_CLASSES

HERE = Path(__file__).resolve().parent


def test_the_schema_accepts_exactly_the_catalog_asset_classes():
    assert get_args(AssetClassName) == ASSET_CLASSES


def test_hedged_margin_for_all_covers_every_asset_class():
    t = resolve_terms(str(HERE / "eleventh.yaml"), "classic", "BR")
    assert t.hedge_factor == dict.fromkeys(ASSET_CLASSES, 0.5)
