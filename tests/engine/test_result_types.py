"""The typed statistics of a Result: attributes, the dict-style reads kept for old code, JSON, lazy lists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from leverlab.data import load
from leverlab.engine import Backtest
from leverlab.engine.result import Costs, Stats
from leverlab.strategies import SmaCross


@pytest.fixture(scope="module")
def result():
    bars = load("sample:eurusd-h1").take(slice(0, 2_000))
    return Backtest(bars, SmaCross, broker="exness", account_type="standard", country="SC",
                    deposit=1_000).run(lots=0.1)


def test_stats_are_typed_and_read_like_the_old_dict(result):
    s = result.stats
    assert isinstance(s, Stats) and isinstance(s.costs, Costs)
    assert s["final_equity"] == s.final_equity and s["costs"]["swap"] == s.costs.swap
    assert list(s.keys())[:3] == ["final_balance", "final_equity", "net_return"] and "quotes" in s.keys()
    assert dict(s.items())["trades"] == s.trades == len(result.trades)
    assert s.costs.net == s.costs.spread + s.costs.commission + s.costs.swap - s.costs.cashback
    with pytest.raises(KeyError, match="final_balance, final_equity"):
        s["final_eq"]
    with pytest.raises(AttributeError):
        s.trades = 0  # type: ignore[misc]


def test_to_dict_gives_json_numbers_in_field_order(result):
    d = result.stats.to_dict()
    assert list(d) == list(result.stats.keys())
    assert d["final_balance"] == float(result.stats.final_balance) and isinstance(d["costs"], dict)
    assert not any(isinstance(v, Decimal) for v in [*d.values(), *d["costs"].values()])
    assert "quotes" not in result.summary() and result.summary()["costs"] == d["costs"]


def test_ledger_lists_are_built_once_from_the_tables(result):
    assert "deals" not in vars(result)
    deals = result.deals
    assert result.deals is deals and len(deals) == result.stats.deals == len(result.raw.deals[0])
    assert result.ledger_balance() == result.final_balance
