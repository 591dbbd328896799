"""Risk sizing never risks more than asked: floored to the volume step, no trade below the minimum lot.

The engine (a strategy's ``risk``) and the ``size`` calculator size through one rule,
``engine.formulas.risk_lots``.
"""

import json

import numpy as np
import pytest
from conftest import bars, make_terms
from typer.testing import CliRunner

from leverlab.analysis.risk import position_size
from leverlab.cli import app
from leverlab.engine import Backtest, Strategy

SL = 0.0050  # 50 pips on EURUSD


class _RiskOnce(Strategy):
    """Buys once at the first decision with a 50-pip stop, sized by ``risk`` (% of equity)."""

    risk = 1.0
    ids: list = []

    def next(self):
        if self._i == 0:
            type(self).ids.append(self.buy(sl=float(self.data.Close[-1]) - SL))


def _run(deposit: float):
    _RiskOnce.ids = []
    return Backtest(bars("EURUSD", [1.1] * 5), _RiskOnce, terms=make_terms(), deposit=deposit).run()


def test_below_the_minimum_lot_there_is_no_trade_and_an_event_says_why():
    """100 USD x 1 % = 1 USD over 50 pips x 10 USD a pip a lot (500 USD a lot): 0.002 lot < 0.01 minimum.
    Was: 0.01 lot opened (5 USD = 5 % at risk). Now: no order, a below_min_lot reject naming 0.002 and 0.01."""
    r = _run(100)
    assert r.stats.trades == 0 and not [d for d in r.deals if d.kind == "open"]
    assert _RiskOnce.ids == [0]
    rejects = [e for e in r.events if e.type == "reject"]
    assert len(rejects) == 1 and rejects[0].symbol == "EURUSD"
    assert rejects[0].amount == pytest.approx(0.002)
    reason = rejects[0].reason
    assert reason.startswith("below_min_lot") and "0.002" in reason and "minimum 0.01" in reason
    doc = json.loads(r.to_json())
    assert any(e.get("reason", "").startswith("below_min_lot") for e in doc["summary"]["events"])
    assert r.stats.rejects == 1


def test_sizes_floor_to_the_step_and_match_the_calculator():
    """1 % of 1,490 USD = 14.90 USD over 500 USD a lot = 0.0298 lot -> floored to **0.02** (never 0.03,
    which would risk 15 USD); the ``size`` calculator gives the same lots."""
    r = _run(1490)
    opens = [d for d in r.deals if d.kind == "open"]
    assert [d.lots for d in opens] == [0.02]
    calc = position_size("EURUSD", 1490, 1.0, 50)
    assert calc.lots == 0.02


def test_size_command_below_minimum_says_below_min_lot():
    """``leverlab size``: 100 USD, 1 %, 50 pips -> 0 lots and the reason (same numbers as the engine)."""
    res = CliRunner().invoke(app, ["size", "--symbol", "EURUSD", "--equity", "100", "--risk", "1", "--stop-pips", "50",
                                   "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["lots"] == 0.0 and doc["note"].startswith("below_min_lot")


@pytest.mark.parametrize("equity", [100.0, 999.0, 1490.0, 2000.0, 12345.0])
def test_engine_and_calculator_give_the_same_lots(equity):
    """For several equities, the strategy's risk sizing opens exactly the calculator's lots (0: no trade)."""
    r = _run(equity)
    opens = [d.lots for d in r.deals if d.kind == "open"]
    calc = position_size("EURUSD", equity, 1.0, 50).lots
    assert opens == ([calc] if calc > 0 else [])
    assert np.isclose(calc * 500, min(calc * 500, equity * 0.01))
