"""The public API with real broker terms and bundled data, and the `leverlab backtest` command."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from leverlab.cli.backtest import backtest_cmd, parse_params
from leverlab.engine import Backtest, BacktestError
from leverlab.strategies import SmaCross


@pytest.fixture(scope="module")
def sample():
    from leverlab.data import load
    bars = load("sample:eurusd-h1")
    from leverlab.data.frames import Bars
    n = 3_000
    return Bars(bars.symbol, bars.timeframe, *(getattr(bars, f)[:n] for f in (
        "time", "bid_open", "bid_high", "bid_low", "bid_close", "ask_open", "ask_high", "ask_low", "ask_close")))


def test_backtest_with_broker_terms(sample):
    r = Backtest(sample, SmaCross, broker="exness", account_type="standard", country="SC", deposit=1_000).run(lots=0.01)
    s = r.summary()
    for key in ("final_balance", "final_equity", "trades", "deals", "events", "nbp_absorbed"):
        assert key in s
    assert s["trades"] == len(r.trades) > 10 and s["deals"] == len(r.deals)
    assert r.ledger_balance() == r.final_balance
    assert len(r.series) == len(sample) + 1  # one point per bar close + the end
    json.dumps(s)


def test_unknown_broker_is_an_error(sample):
    with pytest.raises(Exception, match="unknown broker"):
        Backtest(sample, SmaCross, broker="nobroker", account_type="standard", country="SC")


def test_backtest_needs_terms_or_broker(sample):
    with pytest.raises(BacktestError, match="give either terms"):
        Backtest(sample, SmaCross)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("backtest")(backtest_cmd)
    app.command("noop")(lambda: None)
    return app


def test_cli_json_prints_one_document():
    res = CliRunner().invoke(_app(), ["backtest", "--data", "sample:eurusd-h1", "--strategy", "sma_cross",
                                      "--param", "fast=5", "--lots", "0.01", "--broker", "exness",
                                      "--account-type", "standard", "--country", "SC", "--deposit", "500",
                                      "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["params"] == {"fast": 5, "lots": 0.01}
    assert isinstance(doc["final_balance"], float) and isinstance(doc["events"], list)
    for e in doc["events"]:
        assert {"type", "time"} <= set(e)


@pytest.mark.parametrize("args, message", [
    (["--lots", "0.001"], "below the minimum volume"),
    (["--lots", "0.01", "--units", "1000"], "give one of --lots, --units or --risk"),
    (["--strategy", "nope", "--lots", "0.01"], "unknown strategy 'nope'"),
])
def test_cli_errors_exit_2(args, message):
    base = ["backtest", "--data", "sample:eurusd-h1", "--broker", "exness", "--account-type", "standard",
            "--country", "SC"]
    res = CliRunner().invoke(_app(), base + args)
    assert res.exit_code == 2
    assert message in res.output


def test_parse_params():
    assert parse_params(["a=1", "b=2.5", "c=x", "d=true"]) == {"a": 1, "b": 2.5, "c": "x", "d": True}
    with pytest.raises(ValueError, match="expected key=value"):
        parse_params(["oops"])


def test_backtest_cli_reads_an_iso_calendar_file(tmp_path):
    """A calendar file of ISO times (what users have) drives the news windows from the command line."""
    cal = tmp_path / "calendar.json"
    cal.write_text('["2010-05-06T18:00:00Z", "2015-01-15T09:30:00Z"]')
    app = typer.Typer()
    app.command("backtest")(backtest_cmd)
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["backtest", "--data", "sample:eurusd-h1", "--strategy", "sma_cross", "--lots",
                                 "0.1", "--broker", "exness", "--account-type", "standard", "--country", "SC",
                                 "--calendar", str(cal), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["trades"] > 0


def test_parsed_numbers_are_checked_against_the_parameter_type():
    """The one --param parser reads 5.5 as a number; SmaCross.fast is an int, so 5.5 is refused
    while 5 (or 5.0) is accepted as 5, and a float parameter takes an int as a float."""
    assert SmaCross.checked_params(parse_params(["fast=5"])) == {"fast": 5}
    assert SmaCross.checked_params({"fast": 5.0}) == {"fast": 5}
    with pytest.raises(ValueError, match="fast=5.5: expected int"):
        SmaCross.checked_params(parse_params(["fast=5.5"]))


def test_backtest_inputs_are_narrow_and_say_where_to_resolve(sample):
    with pytest.raises(TypeError, match=r"got str.*leverlab\.load\(\.\.\.\)"):
        Backtest("sample:eurusd-h1", SmaCross, broker="exness", account_type="standard", country="SC")
    with pytest.raises(TypeError, match=r"got str 'sma_cross'.*leverlab\.strategies\.get\(name\)"):
        Backtest(sample, "sma_cross", broker="exness", account_type="standard", country="SC")
    with pytest.raises(TypeError, match=r"Backtest\.stream"):
        Backtest(iter([sample]), SmaCross, broker="exness", account_type="standard", country="SC")
    with pytest.raises(TypeError, match="got dict for EURUSD"):
        Backtest({"EURUSD": {}}, SmaCross, broker="exness", account_type="standard", country="SC")


def test_broker_errors_become_backtest_errors(sample):
    from leverlab.brokers import PolicyError, UnknownBrokerError

    with pytest.raises(BacktestError, match="unknown broker") as exc:
        Backtest(sample, SmaCross, broker="nobroker", account_type="standard", country="SC")
    assert isinstance(exc.value.__cause__, UnknownBrokerError)
    with pytest.raises(BacktestError, match="unknown account type 'gold'") as exc:
        Backtest(sample, SmaCross, broker="exness", account_type="gold", country="SC")
    assert isinstance(exc.value.__cause__, PolicyError)


def test_a_stream_is_explicit_and_runs_once():
    from leverlab.data import synthetic_ticks
    from leverlab.strategies import EmaCross, Strategy

    tk = synthetic_ticks(20_000, symbol="EURUSD", seed=1)
    chunks = (tk.take(slice(a, a + 5_000)) for a in range(0, len(tk), 5_000))
    bt = Backtest.stream(chunks, EmaCross, broker="exness", account_type="standard", country="SC", deposit=1_000)
    assert bt.run(lots=0.01).stats["quotes"] == len(tk)
    with pytest.raises(BacktestError, match="chunks are consumed"):
        bt.run(lots=0.01)
    with pytest.raises(BacktestError, match="cannot run on a stream"):
        Backtest.stream(iter([tk]), type("Plain", (Strategy,), {}), broker="exness", account_type="standard",
                        country="SC").run()
