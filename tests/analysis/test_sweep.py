"""`sweep`: one account, many leverages - what the broker grants, and what leverage does to survival."""

from __future__ import annotations

import json
import math

import pytest
import typer
from typer.testing import CliRunner

from leverlab.analysis.compare import CompareError
from leverlab.analysis.sweep import parse_leverages, sweep
from leverlab.cli.compare import sweep_cmd
from leverlab.data import load

H2_2018 = 1_527_811_200_000_000_000  # 2018-06-01


@pytest.fixture(scope="module")
def bars():
    return load("sample:eurusd-h1").between(H2_2018, None)


@pytest.fixture(scope="module")
def swept(bars):
    return sweep(bars, "sma_cross", "xm", "standard", leverages=[30, 1000, "unlimited"], deposit=1_000,
                 sizing={"lots": 0.5}, params_grid={"fast": [5, 10]}, workers=2)


def test_points_in_order_with_what_the_broker_grants(swept):
    assert [(p.leverage_requested, p.params["fast"]) for p in swept.points] == [
        (30, 5), (30, 10), (1000, 5), (1000, 10), (math.inf, 5), (math.inf, 10)]
    assert [p.leverage_applied for p in swept.points[::2]] == [30, 1000, 1000]  # XM's maximum is 1:1000
    assert any("grants less" in n for n in swept.notes)
    # asking for more than the broker gives changes nothing: the same account, the same numbers
    assert swept.points[4].stats == swept.points[2].stats


def test_leverage_decides_survival(swept):
    low = swept.points[0]
    high = [p for p in swept.points if p.leverage_requested == 1000]
    # 0.5 lot needs ~2,000 USD of margin at 1:30: every order is refused, the deposit stays intact
    assert low.stats["trades"] == 0 and low.stats["rejects"] > 0 and low.survived
    assert all(p.stats["net_return"] < -0.9 for p in high)  # at 1:1000 the orders go through, and lose
    ruined = [p for p in high if not p.survived]
    assert ruined and all(p.stats["stop_outs"] >= 1 or p.stats["ruined"] for p in ruined)
    assert swept.survival_rate(30) == 1.0 and swept.survival_rate(1000) < 1.0
    assert swept.points[2].stats != swept.points[3].stats  # the parameter grid is applied


def test_json_ready(swept):
    doc = json.loads(json.dumps(swept.to_dict()))
    assert doc["points"][4]["leverage_requested"] == "unlimited" and doc["inputs"]["grid"] == {"fast": [5, 10]}


@pytest.mark.parametrize("call, needle", [
    (lambda b: sweep(b, "sma_cross", "xm", "standard", ["lots"]), "expected a number"),
    (lambda b: sweep(b, "sma_cross", "xm", "nope", [100]), "nope"),
    (lambda b: sweep(b, "sma_cross", "nobroker", "standard", [100]), "nobroker"),
    (lambda b: sweep(b, "sma_cross", "xm", "standard", [100], {"speed": [1]}), "no parameter 'speed'"),
    (lambda b: sweep(b, "sma_cross", "xm", "standard", [0.5]), "1 or more"),
])
def test_bad_input(bars, call, needle):
    with pytest.raises(CompareError, match=needle):
        call(bars)


def test_parse_leverages():
    assert parse_leverages(["1:500", "30", "unlimited"]) == [500.0, 30.0, math.inf]


def test_cli_json_and_exit_2(tmp_path):
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("sweep")(sweep_cmd)
    app.command("noop")(lambda: None)
    runner = CliRunner()
    base = ["sweep", "--broker", "xm", "--account-type", "standard", "--start", "2018-11-01", "--lots", "0.1",
            "--workers", "1"]
    r = runner.invoke(app, base + ["--leverages", "100,1:1000", "--json", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [p["leverage_requested"] for p in doc["points"]] == [100.0, 1000.0]
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    r = runner.invoke(app, base + ["--leverages", "high"])
    assert r.exit_code == 2 and "expected a number" in r.output
    r = runner.invoke(app, base + ["--grid", "fast"])
    assert r.exit_code == 2 and "NAME=V1,V2" in r.output
