"""A comparison prices each account's spread where its profile publishes one (``auto``), and says so.

Figures (Exness profile, EURUSD): Standard 0.95 pips typical, no commission; Raw Spread 0.028 pips
typical + USD 3.50 per lot per side (tick-weighted means from Exness's tick archive, Sept 2024, and
the Raw Spread account page). Per lot traded (one round turn, 100,000 EUR, 1 pip = 10 USD):
Standard 0.95 x 10 = 9.50 USD; Raw Spread 0.028 x 10 + 2 x 3.50 = 7.28 USD.
"""

from __future__ import annotations

import pytest

from leverlab.analysis.compare import CompareError, compare
from leverlab.data import load


@pytest.fixture(scope="module")
def q4() -> object:
    """Three months of the bundled EURUSD H1 sample."""
    return load("sample:eurusd-h1").between(1_538_352_000_000_000_000, None)  # 2018-10-01 ..


@pytest.fixture(scope="module")
def exness(q4):
    c = compare(q4, "sma_cross", deposit=10_000, sizing={"lots": 0.1}, brokers=["exness"], workers=1)
    return {r.account_type: r for r in c.rows}, c


def _per_lot(row) -> float:
    lots = sum(t.lots for t in row.result.trades)
    co = row.stats.costs
    return (co.spread + co.commission) / lots


def test_raw_spread_costs_less_per_lot_than_standard_at_the_published_figures(exness):
    rows, _ = exness
    std, raw = rows["standard"], rows["raw_spread"]
    assert std.spread == "broker 0.95 pips (Exness tick archive, medium)"
    assert raw.spread == "broker 0.028 pips (Exness tick archive, medium)"
    assert _per_lot(std) == pytest.approx(9.50, abs=0.02)  # 0.95 pips x 10 USD
    assert _per_lot(raw) == pytest.approx(7.28, abs=0.02)  # 0.028 x 10 + 2 x 3.50
    assert _per_lot(raw) < _per_lot(std)


def test_accounts_whose_spreads_differ_do_not_end_with_identical_equity(exness):
    rows, c = exness
    std, raw, pro = rows["standard"], rows["raw_spread"], rows["pro"]
    assert pro.spread == "data"  # Exness publishes no typical spread for Pro
    assert len({std.stats.final_equity, raw.stats.final_equity, pro.stats.final_equity}) == 3
    assert std.to_dict()["spread"] == std.spread
    assert any("pay the bid/ask spread in the price data ('data')" in n for n in c.notes)


def test_spread_data_and_broker_choices(q4):
    c = compare(q4, "sma_cross", deposit=10_000, sizing={"lots": 0.1}, brokers=["exness"], workers=1,
                spread="data")
    assert {r.spread for r in c.rows if r.simulated} == {"data"}
    assert any("every account pays the bid/ask spread in the price data" in n for n in c.notes)
    b = compare(q4, "sma_cross", deposit=10_000, sizing={"lots": 0.1}, brokers=["exness"], workers=1,
                spread="broker")
    pro = next(r for r in b.rows if r.account_type == "pro")
    assert not pro.simulated and "exness/pro publishes no typical spread for EURUSD" in (pro.error or "")
    with pytest.raises(CompareError, match="spread 'mid'"):
        compare(q4, "sma_cross", deposit=10_000, brokers=["exness"], spread="mid")


def test_cli_spread_option_and_where_each_spread_came_from(tmp_path):
    import json

    import typer
    from typer.testing import CliRunner

    from leverlab.cli.compare import compare_cmd

    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("compare")(compare_cmd)
    app.command("noop")(lambda: None)  # a second command keeps "compare" a named subcommand
    fast = ["compare", "--start", "2018-11-01", "--brokers", "exness", "--workers", "1", "--lots", "0.1"]
    r = CliRunner().invoke(app, [*fast, "--out", str(tmp_path / "a"), "--json"], env={"COLUMNS": "220"})
    assert r.exit_code == 0, r.output
    rows = {row["account_type"]: row for row in json.loads(r.stdout)["rows"]}
    assert rows["standard"]["spread"] == "broker 0.95 pips (Exness tick archive, medium)"
    assert rows["pro"]["spread"] == "data"
    assert "Exness tick archive, medium" in (tmp_path / "a" / "report.html").read_text()
    r = CliRunner().invoke(app, [*fast, "--out", str(tmp_path / "d"), "--json", "--spread", "data"],
                           env={"COLUMNS": "220"})
    assert {row["spread"] for row in json.loads(r.stdout)["rows"] if row["simulated"]} == {"data"}
    r = CliRunner().invoke(app, [*fast, "--out", str(tmp_path / "t"), "--spread", "mid"], env={"COLUMNS": "220"})
    assert r.exit_code == 2 and "spread 'mid'" in r.output
