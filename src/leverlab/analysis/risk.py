"""The trader's calculators: margin, pip value, position size, stop-out price and swap cost.

Pure functions over an instrument spec, a leverage and the current rates. Margin and profit come
from ``leverlab.engine.formulas`` (the one copy the simulator also uses); conversions into the
account currency follow ``leverlab.conversion``; amounts are rounded once, by ``leverlab.money``.
A lot is the account's (``account_instrument``: 1,000 units of an FX pair on XM Micro and on cent
accounts, whose amounts are in cents), the lot the engine books; sizing is ``engine.formulas.risk_lots``.

>>> r = margin("EURUSD", lots=1, price=1.1, leverage=1000, account_currency="USD")
>>> r.margin, r.currency
(Decimal('110.00'), 'USD')
>>> pip_value("USDJPY", lots=1, account_currency="USD", rates={"USDJPY": 150.0})
Decimal('6.67')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..brokers.terms import WEEKDAYS, AccountTerms
from ..conversion import MissingRateError, convert
from ..engine.formulas import hedged_margin, margin_in_margin_ccy, profit_in_profit_ccy, risk_lots
from ..instruments import CALC_MODE_CODE, CENT_LOT, Instrument, instrument
from ..money import currency, round_money


class CalculatorError(ValueError):
    """Calculator inputs that make no sense (negative lots, price <= 0, unknown side...)."""


def account_instrument(symbol: str | Instrument, account_currency: str = "USD",
                       terms: AccountTerms | None = None) -> Instrument:
    """The spec one lot of ``symbol`` has on the account: an ``Instrument`` as given; else the
    resolved account's (``terms.instrument``: XM Micro and cent lots are 1,000 units of an FX pair);
    else the catalog's, as a cent lot (0.01 standard lot) when ``account_currency`` is a cent
    currency (USC, EUC) - the lot the engine books (``AccountTerms.instrument``).

    >>> account_instrument("EURUSD", "USC").contract_size, account_instrument("EURUSD").contract_size
    (1000.0, 100000.0)
    """
    if isinstance(symbol, Instrument):
        return symbol
    if terms is not None:
        return terms.instrument(symbol)
    spec = instrument(symbol)
    return spec.with_lot(CENT_LOT) if currency(account_currency).is_cent else spec


_spec = account_instrument


def _positive(name: str, value: float) -> float:
    v = float(value)
    if not (v > 0 and math.isfinite(v)):
        raise CalculatorError(f"{name} must be a positive number, got {value!r}")
    return v


def _rates_with(spec: Instrument, price: float | None, rates: Mapping[str, float] | None) -> dict[str, float]:
    """The rates to convert with, including the symbol's own price (EURUSD converts EUR to USD itself)."""
    out = {k.upper(): float(v) for k, v in (rates or {}).items()}
    for k, v in out.items():
        if not (v > 0 and math.isfinite(v)):
            raise CalculatorError(f"rate {k}={v!r} must be a positive number")
    if price is not None and spec.is_fx:
        out.setdefault(spec.symbol, float(price))
    return out


def _to_account(amount: float, from_ccy: str, account_currency: str, rates: Mapping[str, float]) -> float:
    """Convert into account units (a cent account's amounts are in cents of its underlying currency)."""
    acc = currency(account_currency)
    value = convert(amount, from_ccy, acc.quote_code, rates)
    return value / float(acc.unit_value)


@dataclass(frozen=True)
class MarginResult:
    """Margin for an order: in the account currency (rounded as a broker books it) and in the margin currency."""

    margin: Decimal
    currency: str
    margin_in_margin_currency: float
    margin_currency: str
    leverage: float
    margin_rate: float
    calc_mode: str


def margin(
    symbol: str | Instrument,
    lots: float,
    price: float,
    leverage: float,
    account_currency: str = "USD",
    rates: Mapping[str, float] | None = None,
    *,
    fixed_margin_rate: float | None = None,
) -> MarginResult:
    """Initial margin for ``lots`` of ``symbol`` at ``price`` and leverage 1:``leverage``.

    ``leverage`` may be ``math.inf`` (unlimited). ``fixed_margin_rate`` (e.g. 0.01 for 1 %) models a
    fixed-margin instrument: margin = lots x contract size x rate (x price for CFDs), leverage ignored.
    ``rates`` holds prices of the pairs needed to convert the margin currency into the account
    currency (e.g. ``{"GBPUSD": 1.27}``); a missing one raises an error naming it.
    """
    spec = _spec(symbol, account_currency)
    _positive("lots", lots)
    _positive("price", price)
    if not leverage > 0:
        raise CalculatorError(f"leverage must be > 0, got {leverage!r}")
    mode = spec.calc_mode
    rate = spec.margin_rate
    lev = float(leverage)
    if fixed_margin_rate is not None:
        rate = _positive("fixed_margin_rate", fixed_margin_rate)
        mode = "forex_no_leverage" if mode == "forex" else "cfd"
        lev = 1.0
    amount = margin_in_margin_ccy(CALC_MODE_CODE[mode], float(lots), spec.contract_size, float(price), lev, rate)
    acc = _to_account(amount, spec.margin_currency, account_currency, _rates_with(spec, price, rates))
    return MarginResult(
        margin=round_money(acc, account_currency), currency=currency(account_currency).code,
        margin_in_margin_currency=amount, margin_currency=spec.margin_currency,
        leverage=float(leverage) if fixed_margin_rate is None else 1.0 / rate,
        margin_rate=rate if fixed_margin_rate is not None else (0.0 if math.isinf(lev) else rate / lev),
        calc_mode=mode,
    )


def profit(
    symbol: str | Instrument, side: str, lots: float, open_price: float, close_price: float,
    account_currency: str = "USD", rates: Mapping[str, float] | None = None,
) -> Decimal:
    """Profit of a closed position in the account currency (converted at ``rates``, or at the close price)."""
    spec = _spec(symbol, account_currency)
    s = _side(side)
    _positive("lots", lots)
    _positive("open_price", open_price)
    _positive("close_price", close_price)
    amount = profit_in_profit_ccy(s, float(lots), spec.contract_size, float(open_price), float(close_price))
    acc = _to_account(amount, spec.profit_currency, account_currency, _rates_with(spec, close_price, rates))
    return round_money(acc, account_currency)


def pip_value(
    symbol: str | Instrument, lots: float = 1.0, account_currency: str = "USD",
    rates: Mapping[str, float] | None = None, price: float | None = None,
) -> Decimal:
    """Value of one pip on ``lots`` in the account currency (quote-currency value, converted)."""
    spec = _spec(symbol, account_currency)
    _positive("lots", lots)
    amount = spec.pip_size * spec.contract_size * float(lots)
    acc = _to_account(amount, spec.profit_currency, account_currency, _rates_with(spec, price, rates))
    return round_money(acc, account_currency)


@dataclass(frozen=True)
class SizeResult:
    """A position size for a risk budget: lots rounded down to the lot step, and what it risks."""

    lots: float
    risk_amount: Decimal
    risk_at_lots: Decimal
    pip_value_per_lot: float
    currency: str
    note: str = ""


def position_size(
    symbol: str | Instrument, equity: float, risk_pct: float, stop_pips: float,
    account_currency: str = "USD", rates: Mapping[str, float] | None = None, price: float | None = None,
    *, max_lots: float | None = None,
) -> SizeResult:
    """Lots that lose ``risk_pct`` % of ``equity`` if the stop ``stop_pips`` away is hit.

    Sized by ``engine.formulas.risk_lots``, the rule strategies' ``risk`` sizing uses: rounded down
    to the lot step, never above the maximum lot (the instrument's, or the account type's
    ``max_lots``); a size below the minimum lot is 0 lots with a ``below_min_lot`` note rather than
    rounded up into more risk. ``symbol`` may be the account's spec (``account_instrument``).
    """
    spec = _spec(symbol, account_currency)
    _positive("equity", equity)
    _positive("risk_pct", risk_pct)
    _positive("stop_pips", stop_pips)
    if risk_pct > 100:
        raise CalculatorError(f"risk_pct must be at most 100, got {risk_pct}")
    per_lot = _to_account(spec.pip_size * spec.contract_size, spec.profit_currency, account_currency,
                          _rates_with(spec, price, rates))
    budget = float(equity) * float(risk_pct) / 100.0
    max_lot = spec.max_lot if max_lots is None else min(spec.max_lot, float(max_lots))
    sized = risk_lots(budget, per_lot * float(stop_pips), spec.min_lot, spec.lot_step, max_lot)
    lots = sized.lots
    note = ""
    if sized.reason == "below_min_lot":
        note = (f"below_min_lot: the risk budget allows {sized.computed:.4f} lots, below the minimum lot "
                f"{spec.min_lot:g}: no trade")
    elif sized.reason == "max_lot":
        note = f"capped at the maximum lot {max_lot:g}"
    return SizeResult(
        lots=lots, risk_amount=round_money(budget, account_currency),
        risk_at_lots=round_money(lots * per_lot * float(stop_pips), account_currency),
        pip_value_per_lot=per_lot, currency=currency(account_currency).code, note=note,
    )


@dataclass(frozen=True)
class Position:
    """An open position for the stop-out calculator: ``side`` 'buy' or 'sell'."""

    symbol: str
    side: str
    lots: float
    open_price: float


@dataclass(frozen=True)
class LevelPrice:
    """Where the margin level reaches ``level`` % when ``symbol``'s bid moves alone."""

    level: float
    price: float | None  # None: never reached in the searched range (e.g. fully hedged)
    distance_pips: float | None
    equity_at_price: float | None


@dataclass(frozen=True)
class StopOutResult:
    symbol: str
    current_price: float
    equity: float
    used_margin: float
    margin_level: float | None
    margin_call: LevelPrice | None
    stop_out: LevelPrice
    currency: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def _side(side: str) -> int:
    s = side.lower()
    if s in ("buy", "long"):
        return 1
    if s in ("sell", "short"):
        return -1
    raise CalculatorError(f"side must be 'buy' or 'sell', got {side!r}")


def stopout_levels(
    positions: Sequence[Position],
    balance: float,
    leverage: float | Mapping[str, float],
    stop_out_level: float,
    margin_call_level: float | None = None,
    *,
    prices: Mapping[str, float],
    account_currency: str = "USD",
    moving_symbol: str | None = None,
    spread: float = 0.0,
    credit: float = 0.0,
    margin_at_open: bool = False,
    hedge_factor: float | Mapping[str, float] = 1.0,
    instruments: Mapping[str, Instrument] | None = None,
) -> StopOutResult:
    """The price (and pip distance) of ``moving_symbol`` at which margin call and stop-out are reached.

    Equity = balance + credit + floating P/L (longs valued at the bid, shorts at bid + ``spread``);
    used margin is re-priced at the current rate unless ``margin_at_open`` (both conventions exist,
    formulas.md section 1). Other symbols stay at ``prices``. Solved numerically on the very functions
    the engine uses, so any mix of symbols and currencies gives the engine's answer. Raises
    CalculatorError for inconsistent inputs and MissingRateError for a position without a price.

    ``hedge_factor`` (one for all, or by symbol) is the share of margin charged on locked volume
    (``engine.formulas.hedged_margin``; a broker's is ``AccountTerms.hedge_factor_for`` its asset
    class). ``instruments`` are the account's specs by symbol (``AccountTerms.instrument``: the
    account type's lot); without them, ``account_instrument``.
    """
    prices_u, moving, specs = _stopout_inputs(positions, prices, moving_symbol, stop_out_level, margin_call_level,
                                              instruments or {}, account_currency)
    account = _AccountAt(positions, specs, prices_u, moving, balance, credit, leverage, account_currency, spread,
                         margin_at_open, hedge_factor)
    p0 = prices_u[moving]
    eq0, used0 = account(p0)
    ml0 = eq0 / used0 * 100.0 if used0 > 0 else None
    pip = specs[moving].pip_size
    notes = []
    if not margin_at_open:
        notes.append("margin re-priced at the current rate (set margin_at_open for brokers that freeze it)")
    return StopOutResult(
        symbol=moving, current_price=p0, equity=eq0, used_margin=used0, margin_level=ml0,
        margin_call=_level_price(account, margin_call_level, p0, eq0, pip) if margin_call_level is not None else None,
        stop_out=_level_price(account, stop_out_level, p0, eq0, pip), currency=currency(account_currency).code,
        notes=tuple(notes),
    )


def _stopout_inputs(positions: Sequence[Position], prices: Mapping[str, float], moving_symbol: str | None,
                    stop_out_level: float, margin_call_level: float | None,
                    instruments: Mapping[str, Instrument], account_currency: str
                    ) -> tuple[dict[str, float], str, dict[str, Instrument]]:
    """Checked inputs: prices by upper-case symbol, the moving symbol (default: the first by name) and
    the positions' specs."""
    if not positions:
        raise CalculatorError("no open positions: margin level is undefined, so there is no stop-out price")
    prices_u = {k.upper(): float(v) for k, v in prices.items()}
    syms = {p.symbol.upper() for p in positions}
    moving = (moving_symbol or next(iter(sorted(syms)))).upper()
    if moving not in syms:
        raise CalculatorError(f"moving_symbol {moving} is not among the positions' symbols {sorted(syms)}")
    for s in syms:
        if s not in prices_u:
            raise MissingRateError(f"no current price given for {s}")
    if stop_out_level < 0 or (margin_call_level is not None and margin_call_level < stop_out_level):
        raise CalculatorError("expected 0 <= stop_out_level <= margin_call_level")
    given = {k.upper(): v for k, v in instruments.items()}
    specs = {s: given.get(s) or account_instrument(s, account_currency) for s in syms}
    for p in positions:
        _positive("lots", p.lots)
        _positive("open_price", p.open_price)
        _side(p.side)
    return prices_u, moving, specs


@dataclass(frozen=True)
class _AccountAt:
    """The account as a function of the moving symbol's bid: ``(equity, used margin)`` in account units."""

    positions: Sequence[Position]
    specs: Mapping[str, Instrument]
    prices: Mapping[str, float]
    moving: str
    balance: float
    credit: float
    leverage: float | Mapping[str, float]
    account_currency: str
    spread: float
    margin_at_open: bool
    hedge_factor: float | Mapping[str, float]

    def __call__(self, bid_moving: float) -> tuple[float, float]:
        px = dict(self.prices)
        px[self.moving] = bid_moving
        floating = 0.0
        legs: dict[str, list[float]] = {}  # symbol -> [buy margin, sell margin, buy lots, sell lots]
        for p in self.positions:
            spec = self.specs[p.symbol.upper()]
            s = _side(p.side)
            bid = px[spec.symbol]
            close = bid if s > 0 else bid + self.spread
            pnl = profit_in_profit_ccy(s, p.lots, spec.contract_size, p.open_price, close)
            floating += _to_account(pnl, spec.profit_currency, self.account_currency, px)
            b = legs.setdefault(spec.symbol, [0.0, 0.0, 0.0, 0.0])
            side = 0 if s > 0 else 1
            b[side] += self._margin(p, spec, s, bid, px)
            b[side + 2] += p.lots
        used = sum(hedged_margin(b[0], b[1], b[2], b[3], self._hedge(sym)) for sym, b in legs.items())
        return self.balance + self.credit + floating, used

    def _hedge(self, symbol: str) -> float:
        """The hedge factor of ``symbol`` (1.0, no relief, when a mapping lacks it)."""
        if isinstance(self.hedge_factor, Mapping):
            return float(self.hedge_factor.get(symbol, 1.0))
        return float(self.hedge_factor)

    def _margin(self, p: Position, spec: Instrument, s: int, bid: float, px: Mapping[str, float]) -> float:
        """One position's margin in account units, at the open price when ``margin_at_open``."""
        mprice = p.open_price if self.margin_at_open else (bid + self.spread if s > 0 else bid)
        rate_px = dict(px)
        if self.margin_at_open and spec.is_fx:
            rate_px[spec.symbol] = p.open_price
        lev = float(self.leverage[spec.symbol]) if isinstance(self.leverage, Mapping) else float(self.leverage)
        m = margin_in_margin_ccy(CALC_MODE_CODE[spec.calc_mode], p.lots, spec.contract_size, mprice, lev,
                                 spec.margin_rate)
        return _to_account(m, spec.margin_currency, self.account_currency, rate_px)


def _level_price(account: _AccountAt, level: float, p0: float, eq0: float, pip: float) -> LevelPrice:
    """Where equity - level % x used margin crosses zero: the nearer crossing below or above ``p0``."""
    def f(px: float) -> float:
        eq, used = account(px)
        return eq - level / 100.0 * used

    if f(p0) <= 0:
        return LevelPrice(level, p0, 0.0, eq0)
    roots = [_bisect(f, *lo_hi, p0) for lo_hi in (_bracket(f, p0, d) for d in (-1.0, 1.0)) if lo_hi is not None]
    if not roots:
        return LevelPrice(level, None, None, None)
    best = min(roots, key=lambda r: abs(r - p0))
    eq, _ = account(best)
    return LevelPrice(level, best, (best - p0) / pip, eq)


def _bracket(f: Callable[[float], float], p0: float, direction: float) -> tuple[float, float] | None:
    """From ``p0`` (where f > 0) step outward by doubling, 0.1 % first, up to 100 x ``p0``; the last
    point with f > 0 and the first with f <= 0, or None (a falling price stops just above zero)."""
    lo, step = p0, p0 * 0.001
    while step < p0 * 100:
        x_next = p0 + direction * step
        if x_next <= 0:
            x_next = p0 * 1e-9
        if f(x_next) <= 0:
            return lo, x_next
        lo = x_next
        if x_next == p0 * 1e-9:
            return None
        step *= 2.0
    return None


def _bisect(f: Callable[[float], float], lo: float, hi: float, p0: float) -> float:
    """The zero of f between ``lo`` (f > 0) and ``hi`` (f <= 0), to 1e-12 of max(1, p0)."""
    a, b = lo, hi
    for _ in range(200):
        mid = 0.5 * (a + b)
        if f(mid) > 0:
            a = mid
        else:
            b = mid
        if abs(b - a) < 1e-12 * max(1.0, p0):
            break
    return 0.5 * (a + b)


@dataclass(frozen=True)
class SwapResult:
    """Swap over ``nights`` nights: total in the account currency, and how many were triple."""

    total: Decimal
    per_night: Decimal
    charged_nights: int  # nights of swap charged (a triple night counts 3)
    triple_nights: int
    currency: str


def swap_cost(
    symbol: str | Instrument, side: str, lots: float, nights: int, swap_long: float, swap_short: float,
    *, mode: str = "points", start_weekday: str = "monday", triple_day: str = "wednesday",
    price: float | None = None, account_currency: str = "USD", rates: Mapping[str, float] | None = None,
) -> SwapResult:
    """Swap for holding a position ``nights`` nights from ``start_weekday``'s rollover on.

    Rollover happens on the nights after Monday..Friday; the one after ``triple_day`` counts three
    times (it carries the weekend), nights after Saturday and Sunday are not charged - seven swaps a
    week. ``mode``: 'points' (swap in points of the symbol, quote currency), 'money' (account currency
    per lot) or 'interest' (annual % of notional at ``price``, 360-day year).
    """
    spec = _spec(symbol, account_currency)
    s = _side(side)
    _positive("lots", lots)
    if nights < 0:
        raise CalculatorError(f"nights must be >= 0, got {nights}")
    days = [d.lower() for d in WEEKDAYS]
    if start_weekday.lower() not in days or triple_day.lower() not in days:
        raise CalculatorError(f"weekdays must be one of {days}")
    rate = swap_long if s > 0 else swap_short
    if mode == "points":
        per_night_q = rate * spec.point * spec.contract_size * lots
        per_night = _to_account(per_night_q, spec.profit_currency, account_currency, _rates_with(spec, price, rates))
    elif mode == "money":
        per_night = rate * lots
    elif mode == "interest":
        if price is None:
            raise CalculatorError("interest-mode swap needs the price")
        notional = lots * spec.contract_size * _positive("price", price)
        per_night_q = notional * rate / 100.0 / 360.0
        per_night = _to_account(per_night_q, spec.profit_currency, account_currency, _rates_with(spec, price, rates))
    else:
        raise CalculatorError(f"mode must be 'points', 'money' or 'interest', got {mode!r}")
    d0 = days.index(start_weekday.lower())
    tri = days.index(triple_day.lower())
    charged = triples = 0
    total = Decimal(0)
    for n in range(nights):
        d = (d0 + n) % 7
        if d >= 5:
            continue
        mult = 3 if d == tri else 1
        triples += mult == 3
        charged += mult
        total += round_money(per_night * mult, account_currency)  # each rollover is one booked deal
    return SwapResult(total=total, per_night=round_money(per_night, account_currency), charged_nights=charged,
                      triple_nights=triples, currency=currency(account_currency).code)
