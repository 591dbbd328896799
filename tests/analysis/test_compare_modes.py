"""``compare`` under ``spread="data+markup"`` and ``widening=True``, from Python and from the command line:
each row says where its spread came from as "data+markup <markup> (<source>)", and the notes say which
modes ran. Figures: Pepperstone Standard publishes 1 pip over its Razor account's raw spread (profile
``spread.markup``); Exness Standard publishes only a typical 0.95 pips, so its markup is 0.95 minus the
data's median spread; Exness Pro publishes neither, so it is not run under data+markup."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from leverlab.analysis.compare import SPREAD_CHOICES, compare
from leverlab.cli.compare import compare_cmd
from leverlab.data import load


@pytest.fixture(scope="module")
def q4() -> object:
    """Three months of the bundled EURUSD H1 sample."""
    return load("sample:eurusd-h1").between(1_538_352_000_000_000_000, None)  # 2018-10-01 ..


def _rows(c):
    return {r.label: r for r in c.rows}


def test_data_plus_markup_rows_state_their_markup(q4):
    assert "data+markup" in SPREAD_CHOICES
    kw = dict(deposit=10_000, sizing={"lots": 0.1}, brokers=["exness", "pepperstone"], workers=1)
    m = _rows(compare(q4, "sma_cross", spread="data+markup", **kw))
    d = _rows(compare(q4, "sma_cross", spread="data", **kw))
    pep = m["pepperstone/standard"]
    assert pep.spread.startswith("data+markup 1 pips over the Razor account's raw spread (")
    std = m["exness/standard"]
    assert std.spread.startswith("data+markup -0.40 pips: typical 0.95 pips (")  # 0.95 - the sample's 1.35
    pro = m["exness/pro"]
    assert not pro.simulated and pro.spread == "data+markup: not published"
    assert "publishes neither a spread markup nor a typical spread for EURUSD" in (pro.error or "")
    # Pepperstone Standard pays the data's spread plus 1 pip: more than under the data's spread alone;
    # Exness Standard's typical spread is below the data's median, so it pays less than the data's spread
    assert pep.stats.costs.spread > d["pepperstone/standard"].stats.costs.spread
    assert std.stats.costs.spread < d["exness/standard"].stats.costs.spread


def test_widening_runs_and_is_noted(q4):
    kw = dict(deposit=10_000, sizing={"lots": 0.1}, brokers=["exness"], workers=1, spread="broker")
    plain, wide = compare(q4, "sma_cross", **kw), compare(q4, "sma_cross", widening=True, **kw)
    assert not any("widening" in n for n in plain.notes)
    assert any(n.startswith("spread widening: every account's spread widens") for n in wide.notes)
    p, w = _rows(plain)["exness/standard"], _rows(wide)["exness/standard"]
    assert w.stats.costs.spread > p.stats.costs.spread  # x3 around each rollover costs more


def test_cli_data_plus_markup_and_widening(tmp_path):
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("compare")(compare_cmd)
    app.command("noop")(lambda: None)
    fast = ["compare", "--start", "2018-11-01", "--brokers", "exness", "--workers", "1", "--lots", "0.1", "--json"]
    r = CliRunner().invoke(app, [*fast, "--out", str(tmp_path / "m"), "--spread", "data+markup", "--widening"],
                           env={"COLUMNS": "220"})
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    rows = {row["account_type"]: row for row in doc["rows"]}
    assert rows["standard"]["spread"].startswith("data+markup ") and "typical 0.95 pips" in rows["standard"]["spread"]
    assert any(n.startswith("spreads (data+markup)") for n in doc["notes"])
    assert any(n.startswith("spread widening") for n in doc["notes"])
