"""Skipping quiet bars (Strategy.decision_bars) changes nothing but speed."""

import numpy as np
import pytest

from leverlab import Backtest, load
from leverlab.engine import StrategyError
from leverlab.strategies import SmaCross


class EveryBar(SmaCross):
    def decision_bars(self):
        return None


class WrongLength(SmaCross):
    def decision_bars(self):
        return np.ones(3, dtype=bool)


@pytest.fixture(scope="module")
def bars():
    b = load("sample:eurusd-h1")
    return b.take(slice(0, 6000))


@pytest.mark.parametrize("params", [dict(risk=2.0, sl_pips=30), dict(lots=0.3, tp_pips=40)])
def test_decision_bars_give_identical_results(bars, params):
    kw = dict(broker="exness", account_type="standard", country="SC", deposit=1_000)
    skip = Backtest(bars, SmaCross, **kw).run(**params)
    full = Backtest(bars, EveryBar, **kw).run(**params)
    assert skip.stats["trades"] > 20
    assert skip.to_json() == full.to_json()


def test_bad_decision_bars_is_a_clear_error(bars):
    with pytest.raises(StrategyError, match="decision_bars"):
        Backtest(bars, WrongLength, broker="exness", account_type="standard", country="SC",
                 deposit=1_000).run(lots=0.1)
