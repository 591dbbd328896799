"""``sweep`` under each spread and swap mode (Python and ``leverlab sweep --spread/--swaps``): every point
says where its spread and swaps came from, and a note names both modes. Exness Standard (SC) publishes a
typical EURUSD spread of 0.95 pips and no swap table; Exness Pro publishes neither."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from leverlab.analysis.compare import CompareError
from leverlab.analysis.sweep import sweep
from leverlab.cli.compare import sweep_cmd
from leverlab.data import load

Q4_2018 = 1_538_352_000_000_000_000  # 2018-10-01


@pytest.fixture(scope="module")
def bars():
    return load("sample:eurusd-h1").between(Q4_2018, None)


def _sweep(bars, **kw):
    return sweep(bars, "sma_cross", "exness", "standard", leverages=[100], deposit=10_000, sizing={"lots": 0.1},
                 workers=1, **kw)


def test_default_is_the_data_spread_and_published_swaps(bars):
    s = _sweep(bars)
    (p,) = s.points
    assert (p.spread, p.to_dict()["spread"]) == ("data", "data")
    assert p.swap_source.startswith("none: no published swap table") and p.stats.costs.swap == 0
    assert any(n.startswith("costs: spread data") and "swaps published" in n for n in s.notes)


@pytest.mark.parametrize("keep", [True, False])
def test_broker_spread_and_policy_swaps(bars, keep):
    d, b = _sweep(bars, keep_results=keep), _sweep(bars, spread="broker", swaps="policy", keep_results=keep)
    (pd,), (pb,) = d.points, b.points
    assert pb.spread == "broker 0.95 pips (Exness tick archive, medium)"
    assert pb.swap_source.startswith("policy rates EUR")
    assert pb.stats.costs.swap != 0  # policy-rate financing books what "published" does not
    assert pb.stats.costs.spread != pd.stats.costs.spread
    assert any(n.startswith("costs: spread broker") and "swaps policy" in n for n in b.notes)


def test_data_plus_markup_point_and_unpriced_account(bars):
    (p,) = _sweep(bars, spread="data+markup", swaps="none").points
    assert p.spread.startswith("data+markup -0.40 pips: typical 0.95 pips") and p.swap_source == "none (swaps='none')"
    with pytest.raises(CompareError, match="exness/pro publishes no typical spread for EURUSD"):
        sweep(bars, "sma_cross", "exness", "pro", leverages=[100], deposit=10_000, sizing={"lots": 0.1},
              workers=1, spread="broker")
    with pytest.raises(CompareError, match="spread 'mid': expected one of auto, broker, data, data\\+markup"):
        _sweep(bars, spread="mid")
    with pytest.raises(CompareError, match="swaps 'x': expected one of published, policy, none"):
        _sweep(bars, swaps="x")


def test_cli_spread_and_swaps_options():
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("sweep")(sweep_cmd)
    app.command("noop")(lambda: None)
    base = ["sweep", "--broker", "exness", "--account-type", "standard", "--leverages", "100", "--start",
            "2018-11-01", "--lots", "0.1", "--deposit", "10000", "--workers", "1"]
    r = CliRunner().invoke(app, [*base, "--spread", "broker", "--swaps", "policy", "--json"])
    assert r.exit_code == 0, r.output
    (pt,) = json.loads(r.stdout)["points"]
    assert pt["spread"].startswith("broker 0.95 pips") and pt["swap_source"].startswith("policy rates EUR")
    r = CliRunner().invoke(app, [*base, "--spread", "broker", "--swaps", "policy"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "spread exness/standard: broker 0.95 pips" in r.output and "costs: spread broker" in r.output
    r = CliRunner().invoke(app, [*base, "--spread", "mid"])
    assert r.exit_code == 2 and "spread 'mid'" in r.output
