"""MetaTrader's margin and profit formulas: the only copy in leverlab.

Compiled with numba so the simulation kernel calls them on every tick, and plain Python (the
calculators) calls the very same functions. Calculation modes are integer codes from
``leverlab.instruments.CALC_MODE_CODE``: 0 forex, 1 forex_no_leverage, 2 cfd, 3 cfd_leverage.

>>> margin_in_margin_ccy(0, 1.0, 100_000.0, 1.1, 1000.0, 1.0)   # 1 lot EURUSD at 1:1000, in EUR
100.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._jit import jit

FOREX = 0
FOREX_NO_LEVERAGE = 1
CFD = 2
CFD_LEVERAGE = 3


@jit
def margin_in_margin_ccy(
    calc_mode: int, lots: float, contract_size: float, price: float, leverage: float, margin_rate: float
) -> float:
    """Initial margin of ``lots`` in the symbol's margin currency (MQL5 symbol-properties table).

    ``leverage`` is 1:L (``math.inf`` for unlimited, giving zero margin in the leveraged modes);
    ``margin_rate`` is the symbol's multiplier - for a fixed-margin instrument pass
    ``leverage=1`` with forex mode and the required fraction as the rate (lots x CS x rate).
    """
    if calc_mode == FOREX:
        return lots * contract_size / leverage * margin_rate
    if calc_mode == FOREX_NO_LEVERAGE:
        return lots * contract_size * margin_rate
    if calc_mode == CFD:
        return lots * contract_size * price * margin_rate
    if calc_mode == CFD_LEVERAGE:
        return lots * contract_size * price / leverage * margin_rate
    return math.nan


@jit
def profit_in_profit_ccy(side: int, lots: float, contract_size: float, open_price: float, close_price: float) -> float:
    """Profit of a position in its profit (quote) currency; ``side`` is +1 buy, -1 sell."""
    return side * (close_price - open_price) * contract_size * lots


@jit
def hedged_margin(buy_margin: float, sell_margin: float, buy_lots: float, sell_lots: float,
                  hedge_factor: float) -> float:
    """Margin of one symbol's buy and sell legs with hedge factor ``h`` (formulas.md section 4).

    margin = uncovered part of the larger leg + h x (covered part of both legs), where each leg's
    margin per lot is its own average. ``h = 1`` charges both legs in full, ``h = 0`` a perfect hedge nothing.
    """
    if buy_lots <= 0.0 or sell_lots <= 0.0:
        return buy_margin + sell_margin
    covered = min(buy_lots, sell_lots)
    buy_per_lot = buy_margin / buy_lots
    sell_per_lot = sell_margin / sell_lots
    if buy_lots >= sell_lots:
        uncovered = (buy_lots - covered) * buy_per_lot
    else:
        uncovered = (sell_lots - covered) * sell_per_lot
    return uncovered + hedge_factor * covered * (buy_per_lot + sell_per_lot)


@dataclass(frozen=True)
class RiskLots:
    """Lots for a risk budget: ``lots`` to trade (0.0: no trade), ``computed`` before rounding, and
    ``reason`` when the size was refused or cut: ``below_min_lot`` or ``max_lot``."""

    lots: float
    computed: float
    reason: str = ""


def floor_lots(lots: float, lot_step: float) -> float:
    """``lots`` rounded down to the ``lot_step`` grid (1e-9 of a step forgives float noise such as
    0.29999999 for 0.3), to 8 decimals.

    >>> floor_lots(0.0299, 0.01), floor_lots(0.3 / 0.1 * 0.1, 0.1)
    (0.02, 0.3)
    """
    return round(math.floor(lots / lot_step + 1e-9) * lot_step, 8)


def risk_lots(budget: float, loss_per_lot: float, min_lot: float, lot_step: float, max_lot: float) -> RiskLots:
    """Lots that lose at most ``budget`` (account units) when each lot loses ``loss_per_lot``: the
    exact size floored to the ``lot_step`` grid, capped at ``max_lot``. Never rounded up: below
    ``min_lot`` there is no trade (0.0, reason ``below_min_lot``), as a larger order would risk more
    than asked. The one sizing rule of the ``size`` calculator and of strategies' ``risk`` sizing.

    >>> risk_lots(1.0, 500.0, 0.01, 0.01, 100.0)   # 1 USD at risk, 50 pips x 10 USD a lot: 0.002 lot
    RiskLots(lots=0.0, computed=0.002, reason='below_min_lot')
    >>> risk_lots(100.0, 500.0, 0.01, 0.01, 100.0).lots
    0.2
    """
    computed = budget / loss_per_lot if loss_per_lot > 0 else 0.0
    lots = floor_lots(computed, lot_step)
    if lots > max_lot:
        return RiskLots(max_lot, computed, "max_lot")
    if lots < min_lot - 1e-12:
        return RiskLots(0.0, computed, "below_min_lot")
    return RiskLots(lots, computed)
