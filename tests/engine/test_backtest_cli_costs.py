"""``leverlab backtest`` runs every cost mode from the command line and says which one ran, in its JSON
and in its printed table: --spread data|broker|data+markup, --widening/--no-widening, --swaps
published|policy|none (Exness Standard, SC: typical EURUSD spread 0.95 pips published, no swap table)."""

import json

import pytest
import typer
from typer.testing import CliRunner

from leverlab.cli.backtest import backtest_cmd

BASE = ["backtest", "--data", "sample:eurusd-h1", "--strategy", "sma_cross", "--lots", "0.1", "--broker", "exness",
        "--account-type", "standard", "--country", "SC"]


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("backtest")(backtest_cmd)
    app.command("noop")(lambda: None)
    return app


def _run(*args: str) -> dict:
    r = CliRunner().invoke(_app(), BASE + list(args) + ["--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_defaults_state_data_spread_published_swaps_no_widening():
    d = _run()
    assert (d["spread"], d["swap_source"], d["widening"]) == ("data", "published", "off")
    assert d["spreads"] == {"EURUSD": "data"}
    assert d["swaps"]["EURUSD"].startswith("none: no published swap table")  # Exness publishes none
    assert d["costs"]["swap"] == 0.0


def test_broker_spread_policy_swaps_and_widening_run_and_are_stated():
    plain = _run("--spread", "broker")
    assert plain["spread"] == "broker" and plain["spreads"]["EURUSD"].startswith("broker 0.95 pips")
    d = _run("--spread", "broker", "--swaps", "policy", "--widening")
    assert d["swap_source"] == "policy" and d["swaps"]["EURUSD"].startswith("policy rates EUR")
    assert d["costs"]["swap"] != 0.0  # policy-rate financing books swaps where "published" books none
    assert set(d["widening"]) == {"rollover", "news"} and "assumed" in d["widening"]["rollover"]
    assert d["widening"]["news"].endswith("no --calendar given, so no news window ran")
    assert d["costs"] != plain["costs"]  # the widened spread changed what the account paid
    assert _run("--spread", "broker", "--no-widening")["widening"] == "off"


def test_data_plus_markup_and_no_swaps():
    d = _run("--spread", "data+markup", "--swaps", "none")
    assert d["spread"] == "data+markup" and "over the reference" in d["spreads"]["EURUSD"]
    assert d["swap_source"] == "none" and d["swaps"] == {"EURUSD": "none (swaps='none')"}
    # Exness's 0.95 pips is below this sample's median data spread: a negative markup, so it pays less
    assert d["costs"]["spread"] < _run()["costs"]["spread"]


def test_printed_table_names_the_modes():
    r = CliRunner().invoke(_app(), BASE + ["--spread", "broker", "--swaps", "policy", "--widening"],
                           env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    out = r.output
    for text in ("spread mode", "broker 0.95 pips", "widening: rollover", "swaps", "policy", "swap EURUSD from",
                 "commission from"):
        assert text in out, text


@pytest.mark.parametrize("args, message", [
    (["--spread", "bogus"], "spread mode 'bogus': expected one of broker, data, data+markup"),
    (["--swaps", "bogus"], "swaps 'bogus': expected one of published, policy, none"),
])
def test_bad_mode_exits_2_naming_it(args, message):
    r = CliRunner().invoke(_app(), BASE + args)
    assert r.exit_code == 2
    assert message in r.output
