"""Each built-in strategy refuses parameter values that make no sense, naming the parameter, the value
found and the value expected - before any bar is simulated, and in its compiled mode too."""

from __future__ import annotations

import math

import pytest

from leverlab.strategies import BollingerRsi, DonchianBreakout, EmaCross, Grid, Martingale, SmaCross


@pytest.mark.parametrize("cls, params, message", [
    (SmaCross, {"fast": -5}, "SmaCross parameter fast=-5: expected a whole number of bars, at least 1"),
    (SmaCross, {"fast": "0"}, "SmaCross parameter fast=0: expected a whole number of bars, at least 1"),
    (SmaCross, {"fast": 30}, "SmaCross parameter slow=20: expected a whole number of bars above fast=30"),
    (SmaCross, {"sl_pips": -1}, "SmaCross parameter sl_pips=-1: expected a distance in pips above 0, or none"),
    (SmaCross, {"lots": 0}, "SmaCross parameter lots=0: expected a finite number above 0"),
    (EmaCross, {"fast": 20, "slow": 20}, "EmaCross parameter slow=20: expected a whole number of bars above fast=20"),
    (DonchianBreakout, {"entry": 1}, "DonchianBreakout parameter entry=1: expected a whole number of bars, at least 2"),
    (BollingerRsi, {"rsi_low": 80}, "BollingerRsi parameter rsi_high=70.0: expected an RSI level above rsi_low=80.0"),
    (BollingerRsi, {"bb_std": math.nan}, "BollingerRsi parameter bb_std=nan: expected a number of standard deviations"),
    (Grid, {"side": "up"}, "Grid parameter side='up': expected long, short or both"),
    (Grid, {"max_levels": 0}, "Grid parameter max_levels=0: expected a whole number of positions, at least 1"),
    (Martingale, {"multiplier": 0.5}, "Martingale parameter multiplier=0.5: expected a factor of at least 1"),
])
def test_nonsense_is_refused_with_the_value_found_and_expected(cls, params, message):
    with pytest.raises(ValueError) as exc:
        cls.checked_params(params)
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize("cls, params", [
    (SmaCross, {"fast": 1, "slow": 2}), (EmaCross, {"fast": 5, "slow": 50}), (DonchianBreakout, {"entry": 2}),
    (BollingerRsi, {"rsi_low": 0, "rsi_high": 100}), (Grid, {"side": "long"}), (Martingale, {"max_steps": 0}),
])
def test_sensible_edges_pass(cls, params):
    assert cls.checked_params(params) == params


def test_the_compiled_mode_checks_too():
    bars = type("B", (), {"bid_close": [1.0, 1.1, 1.2]})
    with pytest.raises(ValueError, match="fast=0: expected"):
        SmaCross.targets(bars, fast=0, lots=0.1)
    with pytest.raises(ValueError, match="slow=3: expected a whole number of bars above fast=5"):
        EmaCross.targets(bars, fast=5, slow=3, lots=0.1)
