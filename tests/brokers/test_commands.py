"""The CLI commands, exercised through a small standalone Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from leverlab.cli.brokers import broker_cmd, brokers_cmd, leverage_cmd

app = typer.Typer()
app.command("brokers")(brokers_cmd)
app.command("broker")(broker_cmd)
app.command("leverage")(leverage_cmd)
runner = CliRunner()
HERE = Path(__file__).resolve().parent


def run(*args: str):
    return runner.invoke(app, list(args))


def lev_args(**over: str) -> list[str]:
    base = {"--broker": "exness", "--account-type": "standard", "--country": "SC", "--client": "retail",
            "--symbol": "USDCHF", "--equity": "3000"}
    base.update(over)
    return ["leverage", *[x for kv in base.items() for x in kv]]


def test_leverage_json_document() -> None:
    r = run(*lev_args(), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["leverage"] == 2000 and doc["margin_rate"] == pytest.approx(0.0005)
    assert doc["bound_by"] == "equity_band" and isinstance(doc["rules"], list) and doc["explanation"]


def test_leverage_unlimited_time_calendar_and_selected(tmp_path: Path) -> None:
    r = run(*lev_args(**{"--equity": "500"}), "--selected", "unlimited", "--json")
    assert json.loads(r.stdout)["leverage"] == "unlimited"
    r = run(*lev_args(), "--time", "2024-07-05T20:00:00Z", "--json")
    assert json.loads(r.stdout)["leverage"] == 200
    cal = tmp_path / "calendar.csv"
    cal.write_text("time,event\n2024-03-08T13:30:00Z,NFP\n")
    r = run(*lev_args(), "--time", "2024-03-08T13:25:00Z", "--calendar", str(cal), "--json")
    assert json.loads(r.stdout)["bound_by"] == "hmr"
    calj = tmp_path / "calendar.json"
    calj.write_text(json.dumps([{"time": "2024-03-08T13:30:00Z", "event": "NFP"}]))
    r = run(*lev_args(), "--time", "2024-03-08T13:25:00Z", "--calendar", str(calj), "--json")
    assert json.loads(r.stdout)["leverage"] == 200


def test_leverage_plain_text_explains() -> None:
    r = run(*lev_args(**{"--country": "DE", "--symbol": "EURUSD"}))
    assert r.exit_code == 0 and "resident of DE" in r.stdout and "[BOUND]" in r.stdout


def test_broker_accepts_a_profile_path() -> None:
    r = run(*lev_args(**{"--broker": str(HERE / "eleventh.yaml"), "--account-type": "classic",
                         "--symbol": "EURUSD"}), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["leverage"] == 1000


@pytest.mark.parametrize("flag,bad,listed", [
    ("--broker", "exnes", "pepperstone"), ("--account-type", "gold", "raw_spread"),
    ("--symbol", "EURXXX", "GBPUSD"), ("--country", "ZZ", "ISO-3166"),
])
def test_bad_values_exit_2_naming_them(flag: str, bad: str, listed: str) -> None:
    r = run(*lev_args(**{flag: bad}), "--json")
    assert r.exit_code == 2
    assert repr(bad) in r.output and listed in r.output
    assert r.stdout == ""  # no half JSON document


def test_brokers_side_by_side_json_and_table() -> None:
    r = run("brokers", "--equity", "3000", "--country", "DE", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    rows = {b["id"]: b for b in doc["brokers"]}
    assert len(rows) == 10
    assert rows["exness"]["max_leverage"] == "unlimited"
    assert rows["exness"]["leverage_at_equity"]["leverage"] == "1:30"
    assert rows["xm"]["stop_out"] == "20%"
    r = run("brokers", "--equity", "3000")
    assert r.exit_code == 0 and "Exness" in r.stdout and "Pepperstone" in r.stdout
    assert run("brokers", "--country", "QQ").exit_code == 2


def test_broker_profile_with_sources() -> None:
    r = run("broker", "fbs", "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["id"] == "fbs"
    assert doc["leverage"]["max"]["source"] == "http://fbs-affiliate.com/trading/leverage"
    r = run("broker", "fbs")
    assert r.exit_code == 0 and "fbs-affiliate.com" in r.stdout and "entities[fbs_eu]" in r.stdout
    r = run("broker", "nosuch")
    assert r.exit_code == 2 and "'nosuch'" in r.output and "exness" in r.output
