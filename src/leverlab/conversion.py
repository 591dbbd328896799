"""Converting amounts between currencies through direct, inverse or cross rates.

MetaTrader converts margin (in the margin currency) and profit (in the profit currency) into the
deposit currency at the current rate of the pair that links them; where no pair links them
directly it goes through USD (a cross). ``conversion_path`` finds that route once, so the compiled
engine can follow it on every tick and the calculators can follow it here.

>>> round(convert(1000.0, "GBP", "EUR", {"EURGBP": 0.77142}), 4)  # 1000 / 0.77142: EUR is the base
1296.3107
>>> convert(100.0, "EUR", "USD", {"EURUSD": 1.1})
110.00000000000001
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .money import currency


class MissingRateError(ValueError):
    """No price is available for a pair needed to convert between two currencies."""


@dataclass(frozen=True)
class Leg:
    """One step of a conversion: multiply by the price of ``pair``, or divide when ``invert``."""

    pair: str
    invert: bool


def _iso(code: str) -> str:
    """The code used in FX pairs (cent currencies convert as their underlying)."""
    try:
        return currency(code).quote_code
    except ValueError:
        return code.upper()


def conversion_path(from_ccy: str, to_ccy: str, pairs: Iterable[str]) -> tuple[Leg, ...]:
    """The legs that convert ``from_ccy`` into ``to_ccy`` using the given pairs (e.g. 'EURUSD').

    Tries a direct pair, then its inverse, then a cross through USD, EUR or another common currency.
    Raises ``MissingRateError`` naming the pair(s) that would be needed.
    """
    a, b = _iso(from_ccy), _iso(to_ccy)
    if a == b:
        return ()
    avail = {p.upper() for p in pairs}

    def one(x: str, y: str) -> Leg | None:
        if x + y in avail:
            return Leg(x + y, False)
        if y + x in avail:
            return Leg(y + x, True)
        return None

    leg = one(a, b)
    if leg:
        return (leg,)
    for via in ("USD", "EUR", "GBP", "JPY", "CHF", "AUD", "CAD", "NZD"):
        if via in (a, b):
            continue
        l1, l2 = one(a, via), one(via, b)
        if l1 and l2:
            return (l1, l2)
    cross = "" if "USD" in (a, b) else f", or for both {a}USD and USD{b} (either direction)"
    raise MissingRateError(
        f"cannot convert {a} to {b}: need a price for {a}{b} (or {b}{a}){cross}; "
        f"have: {', '.join(sorted(avail)) or 'none'}"
    )


def convert(amount: float, from_ccy: str, to_ccy: str, rates: Mapping[str, float]) -> float:
    """Convert ``amount`` using mid prices in ``rates`` ({'EURUSD': 1.1, ...})."""
    rates_u = {k.upper(): float(v) for k, v in rates.items()}
    for leg in conversion_path(from_ccy, to_ccy, rates_u):
        price = rates_u[leg.pair]
        if not price > 0:
            raise MissingRateError(f"rate for {leg.pair} must be > 0, got {price}")
        amount = amount / price if leg.invert else amount * price
    return amount
