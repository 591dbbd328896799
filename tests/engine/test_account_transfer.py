"""``Account.transfer``: a deposit or a withdrawal booked mid-run as a balance deal; the ledger still explains
the balance to the cent, and a withdrawal above the free margin is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from leverlab import load, resolve_terms
from leverlab.engine import Account, OrderError


def test_deposit_and_withdrawal_mid_run() -> None:
    acct = Account(resolve_terms("exness", "standard", "SC"), ["EURUSD"], deposit=1_000)
    acct.feed(load("sample:eurusd-h1").take(slice(0, 48)))
    acct.advance(acct.decisions[0] + 1)
    acct.transfer(250)
    acct.transfer(-100.005)  # rounded half away from zero to the cent, as a deal is booked: -100.01
    v = acct.view()
    assert (v.balance, v.equity) == (1149.99, 1149.99)
    res = acct.finish()
    assert [(d.kind, d.amount) for d in res.deals] == [("deposit", Decimal("1000.00")), ("deposit", Decimal("250.00")),
                                                       ("deposit", Decimal("-100.01"))]
    assert res.final_balance == res.ledger_balance() == Decimal("1149.99")


def test_withdrawal_above_free_margin_is_refused() -> None:
    acct = Account(resolve_terms("exness", "standard", "SC"), ["EURUSD"], deposit=1_000)
    acct.feed(load("sample:eurusd-h1").take(slice(0, 48)))
    acct.advance(acct.decisions[0] + 1)
    acct.submit("EURUSD", +1, 1.0)  # 1 lot at 1:2000: about 66 USD of margin
    acct.advance(acct.decisions[1] + 1)
    free = acct.view().free_margin
    with pytest.raises(OrderError, match="above the free margin"):
        acct.transfer(-(free + 1))
    assert acct.view().balance == 1_000  # nothing booked
