"""One trade's profit recomputed with leverlab's own formula and contract specs, exactly (Decimal), and
converted into the account currency through the prices at hand. Shared by the MT5 reader (to tie an out
deal to its position when the file does not) and by ``reconcile``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ..conversion import MissingRateError, conversion_path
from ..instruments import Instrument
from ..money import round_money, to_decimal


def profit_in_quote(spec: Instrument, side: int, lots: Decimal, open_price: Decimal, close_price: Decimal,
                    contract_size: Decimal | None = None) -> Decimal:
    """side x (close - open) x contract size x lots, in the symbol's profit currency (exact): the formula of
    ``leverlab.engine.formulas.profit_in_profit_ccy``, in Decimal so nothing is lost before rounding."""
    cs = contract_size if contract_size is not None else to_decimal(spec.contract_size)
    return side * (close_price - open_price) * cs * lots


def convert_exact(amount: Decimal, from_ccy: str, to_ccy: str,
                  rates: Mapping[str, Decimal]) -> tuple[Decimal, list[tuple[str, str]]]:
    """``amount`` converted through ``rates`` (pair -> price) along ``conversion_path``; returns the amount and
    each leg as (pair, ``"/ USDJPY 156.349"``); MissingRateError naming the pair needed when no rate links them."""
    legs = conversion_path(from_ccy, to_ccy, rates)
    how = []
    for leg in legs:
        price = rates[leg.pair]
        if not price > 0:
            raise MissingRateError(f"rate for {leg.pair} must be > 0, got {price}")
        amount = amount / price if leg.invert else amount * price
        how.append((leg.pair, f"{'/' if leg.invert else 'x'} {leg.pair} {price}"))
    return amount, how


def account_profit(spec: Instrument, side: int, lots: Decimal, open_price: Decimal, close_price: Decimal,
                   currency: str, rates: Mapping[str, Decimal],
                   contract_size: Decimal | None = None) -> tuple[Decimal, str]:
    """The profit in ``currency`` rounded to its minor unit as a deal is booked, and how it was converted
    ("" when the profit currency is the account's)."""
    raw = profit_in_quote(spec, side, lots, open_price, close_price, contract_size)
    amount, how = convert_exact(raw, spec.profit_currency, currency, rates)
    return round_money(amount, currency), " ".join(h for _, h in how)
