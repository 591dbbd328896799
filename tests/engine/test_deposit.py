"""A deposit that money cannot hold is refused by the account itself, with the value found and the one expected."""

from __future__ import annotations

import math

import pytest

from leverlab import load
from leverlab.brokers import resolve_terms
from leverlab.engine import Backtest, BacktestError
from leverlab.engine.account import MAX_DEPOSIT, Account

TERMS = resolve_terms("exness", "standard", "SC")


@pytest.mark.parametrize("deposit", [-5, 0, 1e300, math.inf, math.nan, MAX_DEPOSIT * 1.5, "1000", True])
def test_account_refuses_a_deposit_money_cannot_hold(deposit):
    with pytest.raises(BacktestError, match=r"deposit must be a positive amount of at most 1,000,000,000,000 "
                                            r"account units .*got"):
        Account(TERMS, ["EURUSD"], deposit=deposit)


def test_backtest_refuses_it_before_any_work():
    bars = load("sample:eurusd-h1").take(slice(0, 50))
    with pytest.raises(BacktestError, match="got -5"):
        Backtest(bars, None, terms=TERMS, deposit=-5)


def test_the_largest_deposit_is_booked_exactly():
    bars = load("sample:eurusd-h1").take(slice(0, 50))
    r = Backtest(bars, None, terms=TERMS, deposit=MAX_DEPOSIT).run()
    assert r.stats.final_balance == r.deposit == MAX_DEPOSIT and r.stats.nbp_absorbed == 0
