from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leverlab.money import (
    MoneyError,
    currency,
    format_money,
    from_minor,
    round_money,
    to_account_units,
    to_decimal,
    to_minor,
)


def test_rounding_is_half_away_from_zero_per_minor_unit():
    assert round_money(10.005, "USD") == Decimal("10.01")
    assert round_money(-10.005, "USD") == Decimal("-10.01")
    assert round_money(1234.5, "JPY") == Decimal("1235")
    assert format_money(1234.5, "USD") == "1,234.50 USD"


def test_cent_currencies():
    usc = currency("usc")
    assert usc.is_cent and usc.quote_code == "USD"
    assert to_account_units(Decimal("1500"), "USC") == Decimal("150000")
    assert currency("EUC").underlying == "EUR"


def test_unknown_currency_lists_valid_codes():
    with pytest.raises(MoneyError, match="unknown currency 'XYZ'.*USD"):
        currency("XYZ")
    with pytest.raises(MoneyError):
        round_money(float("nan"), "USD")


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_minor_units_round_trip(units):
    assert to_minor(from_minor(units, "USD"), "USD") == units


def test_numpy_float_is_read_by_its_value():
    """A NumPy float64 is a float whose repr is 'np.float64(1.5)' (NumPy 2); it must give Decimal('1.5'),
    as the Python float does, not an InvalidOperation."""
    import numpy as np

    assert to_decimal(np.float64(1.5)) == Decimal("1.5")
    assert to_decimal(np.float64(0.1)) == to_decimal(0.1) == Decimal("0.1")
