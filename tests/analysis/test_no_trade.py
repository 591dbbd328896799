"""A run that placed no trade says nothing about an account: compare and sweep show it as "no trade" and
never rank, recommend or count it as survived - in the table, the JSON and the report."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from leverlab.analysis import score as S
from leverlab.analysis.compare import compare
from leverlab.analysis.report import others_html
from leverlab.analysis.sweep import sweep
from leverlab.cli import app
from leverlab.data import load
from leverlab.strategies import Strategy

runner = CliRunner()


class Idle(Strategy):
    """Never places an order."""


@pytest.fixture(scope="module")
def q4():
    return load("sample:eurusd-h1").between(1_538_352_000_000_000_000, None)  # 2018-10-01 ..


@pytest.fixture(scope="module")
def mixed(q4):
    """Half a lot on 100 USD at 1:100: under every broker the margin is refused, so no order fills."""
    return compare(q4, "sma_cross", deposit=100, leverage=100, sizing={"lots": 0.5}, brokers=["xm", "exness"],
                   workers=1)


def test_a_strategy_that_never_trades_is_not_ranked(q4):
    c = compare(q4, Idle, deposit=1_000, sizing={"lots": 0.1}, brokers=["exness"], workers=1)
    assert c.rows and c.ranked == [] and len(c.no_trade) == sum(r.simulated for r in c.rows)
    doc = c.to_dict()
    simulated = [r for r in doc["rows"] if r["simulated"]]
    assert simulated and all(r["no_trade"] and r["rank"] is None and r["score"] is None for r in simulated)
    assert any(n.startswith("no trade:") for n in doc["notes"])
    assert "no trade: the run filled no order" in others_html(c)


def test_rejected_orders_are_no_trade_not_the_best_account(mixed):
    idle = mixed.no_trade
    assert idle and all(r.stats.rejects > 0 and r.stats.trades == 0 for r in idle)
    assert not set(r.label for r in idle) & set(r.label for r in mixed.ranked)


def test_score_leaves_rows_that_did_not_trade_unranked():
    rows = [{"simulated": True, "traded": False, "broker": "a", "account_type": "x", "ruined": False,
             "ruin_fraction": None, "net_return": 0.0, "net_cost": 0.0, "deposit": 1000.0, "nbp": True,
             "stop_out_level": 50.0, "regulator": "fca", "leverage": 30.0}]
    rows.append({**rows[0], "broker": "b", "traded": True})
    S.score(rows)
    assert [(r["broker"], r["rank"]) for r in rows] == [("a", None), ("b", 1)]


def test_sweep_says_no_trade_when_every_order_is_rejected(q4):
    s = sweep(q4, "sma_cross", "xm", "standard", [30, 1000], deposit=1_000, sizing={"lots": 0.5}, workers=1)
    low, high = s.points
    assert low.no_trade and low.stats.rejects > 0 and not high.no_trade
    assert s.to_dict()["points"][0]["no_trade"] is True
    assert low.survived and s.survival_rate(30) == 1.0  # never ruined, as the API always said...
    assert s.survival_rate(30, traded_only=True) != s.survival_rate(30, traded_only=True)  # ...but no survival rate
    assert any(n.startswith("no trade: 1 of 2 run(s)") for n in s.notes)


def test_sweep_command_prints_no_trade_not_survived():
    r = runner.invoke(app, ["sweep", "--broker", "xm", "--account-type", "standard", "--leverages", "30",
                            "--start", "2018-10-01", "--lots", "0.5", "--workers", "1"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "no trade (no order was filled)" in r.stdout and "survived 100%" not in r.stdout


def test_compare_command_recommends_nothing_when_nothing_traded(tmp_path):
    f = tmp_path / "idle.py"
    f.write_text("from leverlab.strategies import Strategy\n\n\nclass Idle(Strategy):\n    pass\n")
    r = runner.invoke(app, ["compare", "--strategy", f"{f}:Idle", "--start", "2018-11-01", "--brokers", "xm",
                            "--lots", "0.1", "--out", str(tmp_path / "rep"), "--workers", "1"],
                      env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "no trade xm/" in r.stdout and "nothing ranked" in r.stdout and "best for you" not in r.stdout
    assert not (tmp_path / "rep" / "report.html").exists()
    j = runner.invoke(app, ["compare", "--strategy", f"{f}:Idle", "--start", "2018-11-01", "--brokers", "xm",
                            "--lots", "0.1", "--out", str(tmp_path / "rep"), "--workers", "1", "--json"])
    doc = json.loads(j.stdout)
    assert doc["report"] is None and all(r["rank"] is None for r in doc["rows"])


class HoldOne(Strategy):
    """Buys once and holds: one trade, at unlimited leverage without any margin."""

    def next(self):
        if not self.position:
            self.buy(0.01)


def test_a_position_held_to_the_end_at_unlimited_leverage_is_a_trade(q4):
    c = compare(q4, HoldOne, deposit=1_000, leverage="unlimited", sizing={"lots": 0.01}, brokers=["exness"],
                workers=1)
    assert c.ranked and not c.no_trade and all(r.traded for r in c.ranked)
