"""``leverlab stopout --broker`` charges locked legs as the broker's hedged-margin rule says.

Buy 1 + sell 1 lot EURUSD at 1.1000, balance 250 USD (formulas.md section 4: margin = uncovered +
h x (covered buy + covered sell margin)); per-lot margin from each broker's equity band at 250 USD.
"""

import json

import pytest
from typer.testing import CliRunner

from leverlab.cli import app

runner = CliRunner()


def _used_margin(broker: str) -> float:
    r = runner.invoke(app, ["stopout", "--broker", broker, "--account-type", "standard", "--country", "SC",
                            "--position", "EURUSD:buy:1@1.1", "--position", "EURUSD:sell:1@1.1",
                            "--rate", "EURUSD=1.1", "--balance", "250", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["used_margin"]


@pytest.mark.parametrize("broker,expected", [
    # FBS, h = 50 % (support.fbs-help-id.com 360017070339); 1:2000 at 250 USD: 100,000 / 2,000 x 1.1 = 55 a leg;
    # 0 uncovered + 0.5 x (55 + 55) = 55 USD (was 110: both legs in full)
    ("fbs", 55.0),
    # Exness, h = 0 (get.exness.help 360014504992): 1:2000, 55 a leg; 0.0 x 110 = 0 USD (was 110)
    ("exness", 0.0),
    # XM, h = 0 for FX (xmza.com margin-and-leverage): 1:1000, 110 a leg; 0.0 x 220 = 0 USD (was 220)
    ("xm", 0.0),
])
def test_locked_pair_uses_the_brokers_hedged_margin(broker, expected):
    assert _used_margin(broker) == pytest.approx(expected, abs=1e-9)


def test_partly_locked_fbs_pays_the_uncovered_lot_in_full():
    """FBS, buy 2 + sell 1 at 55 USD a lot: 1 uncovered lot 55 + 0.5 x (55 + 55) = 110 USD (was 165)."""
    r = runner.invoke(app, ["stopout", "--broker", "fbs", "--account-type", "standard", "--country", "SC",
                            "--position", "EURUSD:buy:2@1.1", "--position", "EURUSD:sell:1@1.1",
                            "--rate", "EURUSD=1.1", "--balance", "250", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["used_margin"] == pytest.approx(110.0)
