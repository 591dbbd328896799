"""Risk of ruin: hand-checkable paths, leverage's effect, determinism and the command."""

import json
import math

import pytest
from typer.testing import CliRunner

from leverlab.analysis.ruin import risk_of_ruin
from leverlab.cli import app


def test_all_losers_with_small_lots_lose_exactly_the_stop_each_trade():
    # 0.1 lot EURUSD, 20-pip stop = 20 USD a trade; margin 11 USD at 1:1000 never nears stop-out
    r = risk_of_ruin(deposit=1000, leverage=1000, stop_out_level=50, win_rate=0.0, reward_risk=1, lots=0.1,
                     stop_pips=20, n_trades=10, n_paths=3, n_bands=10)
    assert r.percentiles["50"] == pytest.approx([980 - 20 * i for i in range(10)])
    assert r.p_stop_out == 0 and r.p_ruin == 0


def test_stop_out_closes_before_the_stop_loss():
    # 100 USD, 1 lot asked but 1:1000 margin (110/lot) caps it at 0.9 lot (99 USD margin);
    # the 20-pip stop would lose 180, the 50 % stop-out closes at equity 49.50 first
    r = risk_of_ruin(deposit=100, leverage=1000, stop_out_level=50, win_rate=0.0, reward_risk=1, lots=1,
                     stop_pips=20, n_trades=1, n_paths=2, n_bands=1)
    assert r.p_stop_out == 1.0 and r.percentiles["50"] == [pytest.approx(49.5)]


def test_more_leverage_more_stop_outs_and_determinism():
    kw = dict(deposit=1000, stop_out_level=50, win_rate=0.45, reward_risk=1.2, lots=0.5, stop_pips=20,
              n_trades=300, n_paths=4000)
    low, high = risk_of_ruin(leverage=30, **kw), risk_of_ruin(leverage=1000, **kw)
    assert low.p_stop_out == 0 < high.p_stop_out
    assert high.summary() == risk_of_ruin(leverage=1000, **kw).summary()
    assert risk_of_ruin(leverage=1000, seed=2, **kw).summary() != high.summary()
    unlimited = risk_of_ruin(leverage=math.inf, **kw)
    # no margin: a stop-out only when a loss would take the whole equity (margin level 0 %)
    assert unlimited.p_stop_out < high.p_stop_out


def test_bootstrap_and_bad_input():
    r = risk_of_ruin(deposit=1000, leverage=500, stop_out_level=20, r_multiples=[2.0], n_trades=50, n_paths=10)
    assert r.p_loss == 0 and r.median_final_equity > 1000
    with pytest.raises(ValueError, match="win_rate"):
        risk_of_ruin(deposit=1000, leverage=500, stop_out_level=20)


def test_ruin_command():
    runner = CliRunner()
    r = runner.invoke(app, ["ruin", "--win-rate", "0.5", "--reward-risk", "1", "--paths", "2000", "--trades",
                            "200", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {"p_stop_out", "p_ruin", "p_loss", "percentiles"} <= set(doc)
    r = runner.invoke(app, ["ruin", "--leverage", "lots"])
    assert r.exit_code == 2 and "--leverage" in r.output
