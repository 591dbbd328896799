"""The calculator commands as a script would use them: one JSON document, exit code 2 on bad input."""

import json

from typer.testing import CliRunner

from leverlab.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_margin_json_with_cross_conversion():
    r = run("margin", "--symbol", "EURGBP", "--lots", "1", "--price", "0.85", "--leverage", "500",
            "--account-currency", "USD", "--rate", "EURUSD=1.1", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["margin"] == 220.0 and doc["currency"] == "USD" and doc["leverage"] == 500.0


def test_margin_missing_rate_and_bad_rate_exit_2():
    r = run("margin", "--symbol", "EURGBP", "--lots", "1", "--price", "0.85", "--leverage", "500")
    assert r.exit_code == 2 and "EURUSD" in r.output
    r = run("margin", "--symbol", "EURUSD", "--lots", "1", "--price", "1.1", "--leverage", "5", "--rate", "EURUSD")
    assert r.exit_code == 2 and "PAIR=PRICE" in r.output
    r = run("margin", "--symbol", "EURXXX", "--lots", "1", "--price", "1.1", "--leverage", "5")
    assert r.exit_code == 2 and "unknown symbol 'EURXXX'" in r.output and "EURUSD" in r.output
    r = run("margin", "--symbol", "EURUSD", "--lots", "-1", "--price", "1.1", "--leverage", "5")
    assert r.exit_code == 2 and "lots must be a positive number" in r.output


def test_stopout_size_pip_swap_json():
    r = run("stopout", "--position", "EURUSD:buy:10@1.1", "--balance", "10000", "--rate", "EURUSD=1.1",
            "--leverage", "1000", "--stop-out", "50", "--margin-call", "100", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert abs(doc["stop_out"]["price"] - 1.090545) < 5e-7
    assert doc["margin_call"]["price"] > doc["stop_out"]["price"]
    r = run("size", "--symbol", "EURUSD", "--equity", "10000", "--risk", "1", "--stop-pips", "20", "--json")
    assert json.loads(r.stdout)["lots"] == 0.5
    r = run("pip", "--symbol", "USDJPY", "--rate", "USDJPY=150", "--json")
    assert json.loads(r.stdout)["pip_value"] == 6.67
    r = run("swap", "--symbol", "EURUSD", "--side", "buy", "--lots", "1", "--nights", "1", "--long", "-6.1",
            "--short", "0", "--start", "wednesday", "--json")
    assert json.loads(r.stdout)["total"] == -18.3
    r = run("stopout", "--position", "EURUSD-buy-1", "--balance", "1", "--rate", "EURUSD=1.1",
            "--leverage", "100", "--stop-out", "50")
    assert r.exit_code == 2 and "SYMBOL:SIDE:LOTS@PRICE" in r.output
