"""`leverlab history import|reconcile` as a user runs them: one JSON document under --json, exit 2 with the
file named on a bad file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from leverlab.cli import app

from .conftest import MT4_EUR, MT5_XLSX

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["history", *args], env={"COLUMNS": "200"})


def test_import_json(statements_dir: Path) -> None:
    r = run("import", str(statements_dir / MT5_XLSX), "--json", "--symbol", "LNKUSD=ETHUSD")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["format"] == "mt5-history" and doc["closed_trades"] == 374 and doc["unmapped_symbols"] == {}
    assert len(doc["trades_list"]) == 380 and doc["balance_operations"][0]["amount"] == "200000.00"


def test_reconcile_json_and_text(statements_dir: Path) -> None:
    r = run("reconcile", str(statements_dir / MT5_XLSX), "--contract-size", "ETHUSD=10", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["counts"] == {"cent": 379, "minor_unit": 0, "unmatched": 2} and doc["goal_met"]
    assert doc["balance"]["ok"] and doc["balance"]["stated"] == "200772.80"
    r = run("reconcile", str(statements_dir / MT4_EUR), "--data", "sample:eurusd-h1", "--zone", "+03:00")
    assert r.exit_code == 0, r.output
    assert "80 to the cent" in r.stdout and "57 of 57 to the cent" in r.stdout and ": ok" in r.stdout


def test_bad_file_is_one_json_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    r = run("reconcile", str(bad), "--json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["code"] == 2 and "notes.txt: neither HTML nor an XLSX" in doc["error"]
    r = run("import", str(bad), "--zone", "Nowhere/Land")
    assert r.exit_code == 2 and "notes.txt:neitherHTML" in "".join(r.output.split())  # stderr wraps lines
