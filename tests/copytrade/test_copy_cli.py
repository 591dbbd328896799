"""`leverlab copy` as a user runs it: the master and followers table, --json, and exit code 2 with a
clear message on bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from leverlab.cli import app

runner = CliRunner()
BASE = ["copy", "--master", "exness/standard,deposit=1000,leverage=500", "--country", "SC", "--lots", "0.5"]


def run(*args: str):
    return runner.invoke(app, [*BASE, *args], env={"COLUMNS": "200"})


def test_table_of_master_and_followers():
    r = run("--follower", "octa/mt,deposit=300,leverage=200", "--follower", "pepperstone/standard,deposit=50",
            "--rule", "octa")
    assert r.exit_code == 0, r.output
    for needle in ("Copy trading", "exness/standard", "master", "octa/mt", "pepperstone/standard", "follower",
                   "tracking error", "/day", "not copied - open: under the account type's minimum lot"):
        assert needle in r.stdout, needle


def test_json_is_one_document_per_follower():
    r = run("--follower", "octa/mt,deposit=300,leverage=200", "--follower", "xm/standard,deposit=100,name=small",
            "--rule", "ratio:0.5", "--min-lots", "0.02", "--max-lots", "0.2", "--stop-copy-equity", "40", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["rule"] == {"kind": "ratio", "value": 0.5, "min_lots": 0.02, "max_lots": 0.2, "stop_copy_equity": 40.0,
                           "text": "ratio 0.5 x master lots, at least 0.02 lots, at most 0.2 lots, stop copying at "
                                   "equity 40"}
    assert doc["master"]["account"] == "exness/standard" and doc["master"]["leverage"] == 500
    assert [f["account"] for f in doc["followers"]] == ["octa/mt", "small"]
    for f in doc["followers"]:
        assert {"copies", "skipped", "skipped_by_reason", "rejected", "stop_outs", "final_equity", "tracking_error",
                "skipped_copies"} <= set(f)
        assert f["skipped"] == len(f["skipped_copies"]) == sum(f["skipped_by_reason"].values())
        opens = [c for c in f["skipped_copies"] if c["action"] == "open" and c["status"] == "rejected"]
        assert all(0.02 <= c["lots"] <= 0.2 for c in opens)  # the bounds hold on every order placed
    assert "standard deviation" in doc["tracking_error_definition"]


@pytest.mark.parametrize(("args", "needle"), [
    (["--follower", "octa/mt", "--rule", "ratio:0"], "ratio: expected a finite number above 0, got '0'"),
    (["--follower", "octa/mt", "--rule", "ratio:-1"], "got '-1'"),
    (["--follower", "octa/mt", "--rule", "ratio:abc"], "got 'abc'"),
    (["--follower", "octa/mt", "--rule", "lots:nan"], "lots: expected a finite number above 0"),
    (["--follower", "octa/mt", "--rule", "half"], "expected octa, ratio:X or lots:X"),
    (["--follower", "exness/standard"], "exness/standard cannot copy itself"),
    (["--follower", "octa"], "account 'octa': expected BROKER/ACCOUNT"),
    (["--follower", "octa/mt,deposit=-5"], "deposit must be above 0"),
    (["--follower", "octa/mt,lev=5"], "option 'lev=5' not understood"),
    (["--follower", "octa/mt", "--min-lots", "1", "--max-lots", "0.5"], "min_lots 1 is above max_lots 0.5"),
    (["--follower", "nobroker/mt"], "nobroker/mt: "),
])
def test_bad_input_is_one_error_document(args, needle):
    r = run(*args, "--json")
    assert r.exit_code == 2, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["code"] == 2 and needle in doc["error"], doc


def test_bad_input_without_json_says_so_on_stderr():
    r = runner.invoke(app, [*BASE, "--follower", "octa/mt", "--rule", "ratio:0"])
    assert r.exit_code == 2
    assert "ratio: expected a finite number above 0" in r.stderr and r.stdout == ""
