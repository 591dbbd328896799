"""Currencies, minor units and rounding: the one place in leverlab where money is rounded.

Amounts that are *stored* (balances, deals) are exact: ``Decimal`` quantized to the currency's
minor unit, or integers of minor units. Floats appear only inside the compiled simulation and are
turned into exact money here, at the moment a broker would book a deal.

>>> usd = currency("USD")
>>> round_money(10.005, usd)
Decimal('10.01')
>>> to_minor(Decimal("12.34"), usd)
1234
>>> currency("USC").unit_value   # one US cent, measured in USD
Decimal('0.01')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Union

Amount = Union[Decimal, int, float, str]


class MoneyError(ValueError):
    """An amount or a currency that makes no sense (unknown code, NaN, wrong currency)."""


@dataclass(frozen=True)
class Currency:
    """A currency an account can be kept in.

    ``minor_digits`` is the number of decimals a broker books (2 for USD, 0 for JPY).
    Cent currencies (USC, EUC) keep balances in cents of an ``underlying`` currency:
    ``unit_value`` is what one unit of this currency is worth in the underlying one.
    """

    code: str
    minor_digits: int
    name: str
    underlying: str | None = None
    unit_value: Decimal = Decimal(1)

    @property
    def is_cent(self) -> bool:
        return self.underlying is not None

    @property
    def quote_code(self) -> str:
        """The ISO code used in FX pairs for conversions (USC converts as USD)."""
        return self.underlying or self.code

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.minor_digits)


_CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("USD", 2, "US dollar"),
        Currency("EUR", 2, "Euro"),
        Currency("GBP", 2, "Pound sterling"),
        Currency("JPY", 0, "Japanese yen"),
        Currency("CHF", 2, "Swiss franc"),
        Currency("AUD", 2, "Australian dollar"),
        Currency("CAD", 2, "Canadian dollar"),
        Currency("NZD", 2, "New Zealand dollar"),
        Currency("SEK", 2, "Swedish krona"),
        Currency("NOK", 2, "Norwegian krone"),
        Currency("DKK", 2, "Danish krone"),
        Currency("PLN", 2, "Polish zloty"),
        Currency("HUF", 2, "Hungarian forint"),
        Currency("CZK", 2, "Czech koruna"),
        Currency("TRY", 2, "Turkish lira"),
        Currency("ZAR", 2, "South African rand"),
        Currency("MXN", 2, "Mexican peso"),
        Currency("SGD", 2, "Singapore dollar"),
        Currency("HKD", 2, "Hong Kong dollar"),
        Currency("CNH", 2, "Offshore yuan"),
        Currency("ILS", 2, "Israeli shekel"),
        Currency("AED", 2, "UAE dirham"),
        Currency("KES", 2, "Kenyan shilling"),
        Currency("NGN", 2, "Nigerian naira"),
        Currency("INR", 2, "Indian rupee"),
        Currency("THB", 2, "Thai baht"),
        Currency("IDR", 2, "Indonesian rupiah"),
        Currency("MYR", 2, "Malaysian ringgit"),
        Currency("BRL", 2, "Brazilian real"),
        Currency("USC", 2, "US cent (cent account)", underlying="USD", unit_value=Decimal("0.01")),
        Currency("EUC", 2, "Euro cent (cent account)", underlying="EUR", unit_value=Decimal("0.01")),
    )
}


def currency(code: str | Currency) -> Currency:
    """Look up a currency by its code (case-insensitive); raise naming the valid codes."""
    if isinstance(code, Currency):
        return code
    c = _CURRENCIES.get(str(code).upper())
    if c is None:
        raise MoneyError(f"unknown currency {code!r}; expected one of: {', '.join(sorted(_CURRENCIES))}")
    return c


def currencies() -> list[str]:
    """All known currency codes, sorted."""
    return sorted(_CURRENCIES)


def to_decimal(amount: Amount) -> Decimal:
    """An exact Decimal for an amount; floats go through their shortest repr (0.1 -> Decimal('0.1'))."""
    if isinstance(amount, Decimal):
        d = amount
    elif isinstance(amount, float):  # NumPy's float64 too, whose repr is 'np.float64(0.1)'
        d = Decimal(repr(float(amount)))
    else:
        d = Decimal(amount)
    if not d.is_finite():
        raise MoneyError(f"amount must be a finite number, got {amount!r}")
    return d


def round_money(amount: Amount, ccy: str | Currency) -> Decimal:
    """Round an amount to the currency's minor unit, half away from zero (as MetaTrader books deals)."""
    return to_decimal(amount).quantize(currency(ccy).quantum, rounding=ROUND_HALF_UP)


def to_minor(amount: Amount, ccy: str | Currency) -> int:
    """An amount as an integer of minor units (cents), rounded as a deal is."""
    c = currency(ccy)
    return int(round_money(amount, c).scaleb(c.minor_digits))


def from_minor(units: int, ccy: str | Currency) -> Decimal:
    """Integer minor units back to an exact Decimal amount."""
    c = currency(ccy)
    return Decimal(int(units)).scaleb(-c.minor_digits)


def format_money(amount: Amount, ccy: str | Currency) -> str:
    """'1,234.50 USD' - for tables and messages."""
    c = currency(ccy)
    return f"{round_money(amount, c):,.{c.minor_digits}f} {c.code}"


def to_account_units(amount_in_underlying: Amount, ccy: str | Currency) -> Decimal:
    """Express an amount given in the underlying currency in account units (USD 10 -> USC 1000)."""
    c = currency(ccy)
    return to_decimal(amount_in_underlying) / c.unit_value


def to_underlying(amount: Amount, ccy: str | Currency) -> Decimal:
    """Express an amount in account units in the underlying currency (USC 1000 -> USD 10)."""
    c = currency(ccy)
    return to_decimal(amount) * c.unit_value
