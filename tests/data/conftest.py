"""Shared fixtures: the real data folder next to the repository (skipped if absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real market data folder not found at ../shared/data relative to the repository ({SHARED})")
    return SHARED


@pytest.fixture(scope="session")
def lean(shared: Path) -> Path:
    return shared / "lean" / "Data"
