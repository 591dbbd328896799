"""The typed contracts between the comparison and its readers: RowStats, RunInputs, one input check."""

from __future__ import annotations

import math

import pytest

from leverlab.analysis.compare import CompareError, RowCosts, RowStats, RunInputs, compare
from leverlab.analysis.sweep import sweep
from leverlab.data import load


@pytest.fixture(scope="module")
def bars():
    return load("sample:eurusd-h1").take(slice(0, 2_000))


@pytest.fixture(scope="module")
def comparison(bars):
    return compare(bars, "sma_cross", deposit=1_000, sizing={"lots": 0.1}, brokers=["xm"], leverage="1:500",
                   workers=1)


def test_rows_carry_typed_numbers(comparison):
    for r in comparison.rows:
        assert (r.stats is None) == (not r.simulated)
    r = comparison.ranked[0]
    assert isinstance(r.stats, RowStats) and isinstance(r.stats.costs, RowCosts)
    assert r.stats["costs"]["net"] == r.stats.costs.net and r.to_dict()["stats"] == r.stats.to_dict()
    c = r.stats.costs
    assert c.net == pytest.approx(c.spread + c.commission + c.swap - c.cashback, abs=0.011)
    with pytest.raises(KeyError, match="final_equity, final_balance"):
        r.stats["equity"]


def test_comparison_inputs_are_typed_and_keep_their_json_keys(comparison, bars):
    i = comparison.inputs
    assert isinstance(i, RunInputs) and i.leverage == 500.0 and i.bars == len(bars) and i.symbol == "EURUSD"
    assert list(comparison.to_dict()["inputs"]) == [
        "data", "symbol", "timeframe", "bars", "start", "end", "strategy", "params", "sizing", "deposit",
        "currency", "country", "client", "leverage"]
    assert i["currency"] == "USD" and "grid" not in i.keys()


def test_sweep_inputs_list_their_own_keys(bars):
    s = sweep(bars, "sma_cross", "xm", "standard", [30, "unlimited"], {"fast": [5, 10]}, sizing={"lots": 0.1},
              workers=1)
    d = s.to_dict()["inputs"]
    assert list(d) == ["data", "symbol", "start", "end", "bars", "strategy", "params", "grid", "sizing", "broker",
                       "account_type", "deposit", "currency", "country", "client"]
    assert d["grid"] == {"fast": [5, 10]} and s.inputs.broker == "xm" and s.inputs.leverage is None
    assert all(isinstance(p.stats, RowStats) for p in s.points) and s.survival_rate(math.inf) <= 1


@pytest.mark.parametrize("kw, needle", [
    ({"deposit": -5}, "deposit must be a positive amount"),
    ({"client": "whale"}, "retail or pro"),
    ({"currency": "XXQ"}, "XXQ"),
])
def test_sweep_and_compare_check_inputs_alike(bars, kw, needle):
    args = {"deposit": 1_000, "currency": "USD", "client": "retail", **kw}
    with pytest.raises(CompareError, match=needle):
        compare(bars, "sma_cross", brokers=["xm"], workers=1, **args)
    with pytest.raises(CompareError, match=needle):
        sweep(bars, "sma_cross", "xm", "standard", [30], workers=1, **args)


def test_the_data_must_cover_the_longest_grid_combination(bars):
    short = bars.take(slice(0, 40))
    sweep(short, "sma_cross", "xm", "standard", [30], {"slow": [20, 30]}, sizing={"lots": 0.1}, workers=1)
    with pytest.raises(CompareError, match=r"data too short: 40 bars, SmaCross needs at least 61 .*slow=60"):
        sweep(short, "sma_cross", "xm", "standard", [30], {"slow": [20, 60]}, sizing={"lots": 0.1}, workers=1)
