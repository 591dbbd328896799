"""What the command line promises: with --json exactly one JSON document, errors included, exit code 2 for
bad input on every command; --store and LEVERLAB_STORE; your own strategy file; `leverlab strategies`;
several --data sources and "not run" reasons that say what to do."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from leverlab.analysis.compare import compare, what_to_do
from leverlab.cli import app
from leverlab.data import load

runner = CliRunner()
BT = ["backtest", "--broker", "exness", "--account-type", "standard", "--country", "SC", "--data",
      "sample:eurusd-h1"]


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})


@pytest.mark.parametrize("args, needle", [
    (["brokers", "--country", "ZZ"], "ZZ"),
    (["brokers", "--equity", "-5"], "--equity -5: expected a finite amount above 0"),
    (["brokers", "--client", "alien"], "--client 'alien': expected retail or pro"),
    (["broker", "nope"], "unknown broker 'nope'"),
    (["leverage", "--broker", "nope", "--account-type", "standard", "--country", "SC", "--symbol", "EURUSD",
      "--equity", "100"], "nope"),
    (["margin", "--symbol", "EURUSD", "--lots", "1", "--price", "1.1"], "give --leverage"),
    (["margin", "--symbol", "EURUSD", "--lots", "x", "--price", "1.1"], "--lots"),
    (["size", "--symbol", "NOPE", "--equity", "1000", "--risk", "1", "--stop-pips", "20"], "NOPE"),
    (["leverage", "--broker", "exness", "--account-type", "standard", "--country", "SC", "--symbol", "EURUSD",
      "--equity", "0"], "--equity 0: expected a finite amount above 0"),
    (["stopout", "--position", "EURUSD:buy:1@1.1", "--balance", "-5", "--rate", "EURUSD=1.1", "--leverage", "100",
      "--stop-out", "50"], "--balance -5: expected a finite amount above 0"),
    (["stopout", "--position", "EURUSD-buy", "--balance", "1000", "--rate", "EURUSD=1.1"], "SYMBOL:SIDE:LOTS@PRICE"),
    (["pip", "--symbol", "NOPE"], "NOPE"),
    (["swap", "--symbol", "EURUSD", "--side", "buy", "--lots", "1", "--nights", "3", "--long", "-5", "--short", "1",
      "--mode", "magic"], "magic"),
    (["ruin", "--r-multiples", "1,x"], "--r-multiples"),
    ([*BT, "--deposit", "-5"], "deposit must be a positive amount"),
    ([*BT, "--deposit", "1e300"], "got 1e+300"),
    ([*BT, "--param", "fast=0"], "SmaCross parameter fast=0: expected a whole number of bars, at least 1"),
    (["backtest"], "Missing option"),
    (["compare", "--param", "fast=-5"], "SmaCross parameter fast=-5"),
    (["compare", "--deposit", "nan"], "deposit must be a positive amount"),
    (["sweep", "--broker", "xm", "--account-type", "standard", "--leverages", "lots"], "expected a number"),
    (["strategies", "--bogus"], "No such option"),
    (["data", "show", "NOSUCH", "--store", "/nonexistent-store"], "NOSUCH"),
])
def test_every_command_prints_one_json_error_with_exit_code_2(args, needle):
    r = invoke(*args, "--json")
    assert r.exit_code == 2, r.output
    doc = json.loads(r.stdout)  # the whole of stdout is one document
    assert doc["ok"] is False and needle in doc["error"]
    if args[0] != "data":  # the data commands keep their own document (no "code")
        assert doc["code"] == 2


def test_without_json_the_error_goes_to_stderr():
    r = invoke(*BT, "--deposit", "-5")
    assert r.exit_code == 2 and r.stdout == "" and "deposit must be a positive amount" in r.stderr
    assert "absorbed by NBP" not in r.output


@pytest.mark.parametrize("command", [BT[:7], ["compare"], ["sweep", "--broker", "xm", "--account-type", "standard"]])
def test_store_option_and_environment_reach_the_loader(tmp_path, command):
    base = [a for a in command if a != "--data"]
    by_option = invoke(*base, "--data", "GBPJPY", "--store", str(tmp_path / "opt"), "--json")
    assert by_option.exit_code == 2 and str(tmp_path / "opt") in json.loads(by_option.stdout)["error"]
    by_env = invoke(*base, "--data", "GBPJPY", "--json", env={"LEVERLAB_STORE": str(tmp_path / "env")})
    assert by_env.exit_code == 2 and str(tmp_path / "env") in json.loads(by_env.stdout)["error"]


OWN = '''from leverlab.strategies import Strategy, crossover, sma


class Pullback(Strategy):
    """Buy when the close crosses above its average."""

    n: int = 20
    """Bars of the average."""

    def init(self):
        self.ma = self.I(sma, self.data.Close, self.n)

    def next(self):
        if not self.position and crossover(self.data.Close, self.ma):
            c = self.data.Close[-1]
            self.buy(sl=c - 0.0050, tp=c + 0.0050)


class NotOne:
    pass
'''


def test_own_strategy_file_runs_from_the_command_line(tmp_path):
    f = tmp_path / "mine.py"
    f.write_text(OWN)
    r = invoke(*BT, "--strategy", f"{f}:Pullback", "--param", "n=30", "--lots", "0.1", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["params"] == {"n": 30, "lots": 0.1} and doc["trades"] > 10


@pytest.mark.parametrize("spec, needle", [
    ("missing.py:Pullback", "no file"),
    ("{f}:Nope", "has no class 'Nope'; Strategy subclasses there: Pullback"),
    ("{f}:NotOne", "NotOne is not a Strategy subclass"),
    ("{bad}:X", "line 2"),
])
def test_own_strategy_errors_name_the_file_and_class(tmp_path, spec, needle):
    f, bad = tmp_path / "mine.py", tmp_path / "bad.py"
    f.write_text(OWN)
    bad.write_text("x = 1\ndef (:\n")
    r = invoke(*BT, "--strategy", spec.format(f=f, bad=bad), "--json")
    assert r.exit_code == 2 and needle in json.loads(r.stdout)["error"]


def test_strategies_lists_the_built_ins_with_parameters():
    doc = json.loads(invoke("strategies", "--json").stdout)
    names = [s["name"] for s in doc["strategies"]]
    assert names == ["bollinger_rsi", "donchian", "ema_cross", "grid", "martingale", "sma_cross"]
    sma = next(s for s in doc["strategies"] if s["name"] == "sma_cross")
    assert sma["parameters"][0] == {"name": "fast", "type": "int", "default": 10,
                                    "meaning": "Bars of the fast simple moving average."}
    assert all(p["meaning"] for s in doc["strategies"] for p in s["parameters"])
    text = invoke("strategies").stdout
    assert "sma_cross (SmaCross)" in text and "Bars of the slow simple moving average" in text


def test_not_run_reasons_say_what_to_do():
    msg = ("BacktestError: EURUSD: cannot convert its commission currency to the account currency: cannot convert "
           "AUD to USD: need a price for AUDUSD (or USDAUD); have: EURUSD. Pass the needed pair's prices in the data.")
    assert what_to_do(msg).startswith("needs AUDUSD prices to convert the AUD commission: add --data <AUDUSD source>")
    assert what_to_do("BacktestError: something else") == "BacktestError: something else"


def test_a_second_source_converts_the_commission():
    bars = load("sample:eurusd-h1").take(slice(0, 1_500))
    alone = compare(bars, "sma_cross", deposit=1_000, sizing={"lots": 0.1}, brokers=["fpmarkets"], workers=1)
    raw = [r for r in alone.failed if "AUD" in (r.error or "")]
    assert raw and all(r.error.startswith("needs AUDUSD prices to convert the AUD commission") for r in raw)
    audusd = replace(bars, symbol="AUDUSD")
    both = compare([bars, audusd], "sma_cross", deposit=1_000, sizing={"lots": 0.1}, brokers=["fpmarkets"],
                   workers=1)
    assert not both.failed and {r.label for r in raw} <= {r.label for r in both.ranked}
    assert both.inputs.symbol == "EURUSD"


def test_compare_data_is_repeatable_and_refuses_a_second_source_of_one_symbol():
    r = invoke("compare", "--data", "sample:eurusd-h1", "--data", "sample:eurusd-h1", "--json")
    assert r.exit_code == 2 and "a second source of EURUSD" in json.loads(r.stdout)["error"]


def test_readme_own_strategy_example_runs(tmp_path):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    code = text.split("# my_strategy.py\n", 1)[1].split("```", 1)[0]
    (tmp_path / "my_strategy.py").write_text(code)
    r = invoke(*BT, "--strategy", f"{tmp_path / 'my_strategy.py'}:Pullback", "--param", "n=30", "--risk", "1",
               "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["trades"] > 10


@pytest.mark.parametrize("error, advice", [
    ("OrderError: EURUSD: 0.001 lots is below the minimum volume 0.01 of this account type",
     "raise the order size (--lots, --units or --risk)"),
    ("StrategyError: Mine.next() failed at bar 2018-10-01T00:00:00Z: ZeroDivisionError: division by zero",
     "the strategy's own code failed"),
    ("BacktestError: EURUSD: no price yet at 2018-10-01T00:00:00Z for the conversion pair(s) AUDUSD needed to value "
     "it in USD", "the AUDUSD prices start after 2018-10-01T00:00:00Z, when they are first needed: give --start"),
])
def test_other_refusals_say_what_to_do(error, advice):
    assert advice in what_to_do(error)
