"""`leverlab compare` as a user runs it: a ranking, a report, --json, and exit code 2 with nothing
left behind on bad input."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from leverlab.cli.compare import compare_cmd

app = typer.Typer(pretty_exceptions_enable=False)
app.command("compare")(compare_cmd)


@app.command("noop")
def _noop() -> None:  # a second command keeps "compare" a named subcommand
    """Unused."""


runner = CliRunner()
FAST = ["--start", "2018-11-01", "--brokers", "xm,pepperstone"]


def run(*args: str):
    return runner.invoke(app, ["compare", *args], env={"COLUMNS": "220"})


def test_ranking_summary_and_report(tmp_path):
    out = tmp_path / "rep"
    r = run(*FAST, "--out", str(out), "--workers", "1")
    assert r.exit_code == 0, r.output
    assert "Ranking" in r.stdout and "pepperstone/standard" in r.stdout and "xm/micro" in r.stdout
    assert "best for you:" in r.stdout and "report:" in r.stdout and str(out / "report.html") in r.stdout
    assert "cannot open xm/shares" in r.stdout  # the ineligible are listed with the reason
    assert (out / "report.html").stat().st_size > 100_000 and (out / "report.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_json_is_one_document_with_the_whole_table(tmp_path):
    r = run(*FAST, "--out", str(tmp_path / "j"), "--json", "--lots", "0.1", "--leverage", "1:500",
            "--weights", "survival=5", "--workers", "1")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["inputs"]["sizing"] == {"lots": 0.1} and doc["inputs"]["leverage"] == 500.0
    assert doc["weights"]["survival"] == 5.0
    ranked = [row for row in doc["rows"] if row["rank"] is not None]
    assert [row["rank"] for row in ranked] == list(range(1, len(ranked) + 1))
    for row in ranked:
        assert row["leverage"]["applied"] <= 500
        assert set(row["stats"]["costs"]) == {"spread", "commission", "swap", "cashback", "net"}
        assert set(row["score"]) == {"survival", "return", "cost", "protection", "leverage", "total"}
    shares = next(row for row in doc["rows"] if row["account_type"] == "shares")
    assert shares["eligible"] is False and shares["instead"]
    assert doc["report"]["html"].endswith("report.html")


@pytest.mark.parametrize("args, needle", [
    (["--strategy", "nope"], "unknown strategy 'nope'"),
    (["--param", "speed=3"], "has no parameter 'speed'"),
    (["--param", "fast"], "expected NAME=VALUE"),
    (["--weights", "survival=lots"], "not a number"),
    (["--lots", "0.1", "--risk", "1"], "give one of --lots, --units or --risk"),
    (["--leverage", "lots"], "--leverage 'lots'"),
    (["--deposit", "50", "--brokers", "amarkets"], "no broker account can be opened"),
    (["--start", "2018-12-31T12:00", "--param", "slow=50"], "data too short"),
    (["--data", "no/such/file.csv"], "neither a file"),
])
def test_bad_input_exit_2_and_no_report(tmp_path, args, needle):
    out = tmp_path / "never"
    r = run(*FAST, *args, "--out", str(out), "--workers", "1")
    assert r.exit_code == 2, r.output
    assert needle in " ".join(r.output.split())
    assert not out.exists()


def test_open_hands_the_report_to_the_browser(tmp_path, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    r = run(*FAST, "--lots", "0.1", "--out", str(tmp_path / "o"), "--open", "--workers", "1")
    assert r.exit_code == 0, r.output
    assert opened == [(tmp_path / "o" / "report.html").resolve().as_uri()]
