"""The real MetaTrader statements next to the repository (../shared/data/mt-statements), read once."""

from __future__ import annotations

from pathlib import Path

import pytest

from leverlab.history import Statement, read_statement

STATEMENTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mt-statements"
MT4_USD = "mt4-usd-detailed-statement.htm"
MT4_EUR = "mt4-eur-demo-detailed-statement.htm"
MT5_XLSX = "mt5-usd-demo-trade-history.xlsx"
MT5_TESTER = "mt5-tester-report-xauusd.html"


@pytest.fixture(scope="session")
def statements_dir() -> Path:
    if not STATEMENTS.is_dir():
        pytest.skip(f"real statements not found at ../shared/data/mt-statements ({STATEMENTS})")
    return STATEMENTS


@pytest.fixture(scope="session")
def mt4_usd(statements_dir: Path) -> Statement:
    return read_statement(statements_dir / MT4_USD)


@pytest.fixture(scope="session")
def mt4_eur(statements_dir: Path) -> Statement:
    return read_statement(statements_dir / MT4_EUR)


@pytest.fixture(scope="session")
def mt5_xlsx(statements_dir: Path) -> Statement:
    return read_statement(statements_dir / MT5_XLSX)


@pytest.fixture(scope="session")
def mt5_tester(statements_dir: Path) -> Statement:
    return read_statement(statements_dir / MT5_TESTER)
