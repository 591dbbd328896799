"""The terms one trader gets from one broker: a profile resolved for an account.

A broker profile (a YAML file) describes every entity, account type and rule. ``AccountTerms``
is that profile narrowed to one account - broker + account type + entity (from the country) +
client class + account currency + the leverage the trader selected - in plain numbers the
engine, the calculators and the comparison all read. It is built only by
``leverlab.brokers.resolve_terms``; nothing else interprets profile files.

Units: money in account units (for a cent account, cents: a USD 1,000 band edge is 100,000 USC);
leverage as L of 1:L with ``math.inf`` for unlimited; levels in percent of margin level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from ..instruments import CENT_LOT, STANDARD_LOT, Instrument, instrument

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_Amount = TypeVar("_Amount", float, Decimal)


def band_index(floors: Sequence[_Amount], amount: _Amount) -> int:
    """The equity band holding ``amount``: the last whose floor is <= amount (the first if below all).

    The one lookup in Python: the policy uses it on exact Decimal edges, ``SymbolMargin`` on floats.

    >>> band_index([0.0, 1000.0, 5000.0], 999.99), band_index([0.0, 1000.0, 5000.0], 1000.0)
    (0, 1)
    """
    i = 0
    for k, f in enumerate(floors):
        if amount >= f:
            i = k
    return i


@dataclass(frozen=True)
class SymbolMargin:
    """How margin is set for one symbol under these terms, in the form the compiled engine consumes.

    Effective leverage = min(``static_cap``, the equity band's leverage, the HMR cap for a
    position opened inside a window). When ``fixed_margin_rate`` is set the symbol ignores
    leverage altogether: margin = lots x contract size x rate (x price for CFDs).
    """

    symbol: str
    static_cap: float  # min(selected, entity, regulator class cap, instrument cap); inf = unlimited
    band_floor: tuple[float, ...] = ()  # ascending equity floors of the bands (account units); empty: no bands
    band_leverage: tuple[float, ...] = ()  # leverage of each band (inf = unlimited)
    bands_reprice_open: bool = True  # a band change re-margins open positions (Exness, FBS, JustMarkets)
    fixed_margin_rate: float | None = None
    hmr_cap: float | None = None  # leverage cap for positions opened inside an HMR window; None: none
    explanation: tuple[str, ...] = ()
    # added for brokers whose windows have different caps (AMarkets: weekend 1:1000, news 1:200):
    # the cap in each of the terms' ``hmr_windows`` (same order); ``hmr_cap`` is their minimum
    hmr_caps: tuple[float | None, ...] = ()

    def leverage_at(self, equity: float, in_hmr_window: bool = False) -> float:
        """The leverage (inf = unlimited) for a position opened at ``equity`` (account units), inside
        or outside an HMR window."""
        lev = self.static_cap
        if self.band_floor:
            lev = min(lev, self.band_leverage[band_index(self.band_floor, equity)])
        if in_hmr_window and self.hmr_cap is not None:
            lev = min(lev, self.hmr_cap)
        return lev


@dataclass(frozen=True)
class HmrWindow:
    """A higher-margin window rule: around each event of ``trigger``, new positions get the symbol's hmr_cap."""

    trigger: str  # "news" (needs an economic calendar) or "weekend"
    minutes_before: float
    minutes_after: float
    applies_to: str = "new_positions"  # or "all_positions"
    source: str = ""
    # added: where a weekend window sits (the market close/reopen it is anchored on, in ``timezone``)
    id: str = ""
    timezone: str = "UTC"
    weekly_start: str = ""  # e.g. "friday 16:59"
    weekly_end: str = ""  # e.g. "sunday 17:05"


@dataclass(frozen=True)
class SwapRate:
    """Overnight financing per lot and night: ``mode`` 'points' (in points of the symbol), 'money'
    (account currency per lot) or 'interest' (annual % of notional, 360-day year)."""

    long: float
    short: float
    mode: str = "points"


@dataclass(frozen=True)
class SpreadWindow:
    """Spreads widen around each event of ``kind`` ("rollover": the broker's daily rollover; "news": a
    high-impact calendar event) from ``minutes_before`` to ``minutes_after``: to ``value`` times the normal
    spread (``unit`` "times") or by ``value`` pips (``unit`` "pips"), on the listed symbols and asset
    classes (both empty: every symbol); ``source`` says where the figures come from."""

    kind: str
    unit: str
    value: float
    minutes_before: float
    minutes_after: float
    symbols: tuple[str, ...] = ()
    asset_classes: tuple[str, ...] = ()
    source: str = ""

    def applies(self, symbol: str, asset_class: str) -> bool:
        return (not self.symbols and not self.asset_classes) or symbol.upper() in self.symbols \
            or asset_class in self.asset_classes


@dataclass(frozen=True)
class AccountTerms:
    """Everything the simulator needs to treat an account as this broker would."""

    broker: str
    broker_name: str
    account_type: str
    entity: str
    regulator: str
    country: str
    client_class: str  # "retail" or "pro"
    currency: str  # account currency code (USC/EUC for cent accounts)
    is_cent: bool
    selected_leverage: float  # what the trader asked for, after the policy's caps (inf = unlimited)
    margin_call_level: float | None  # percent; None when the broker publishes none
    stop_out_level: float  # percent
    stop_out_counts_credit: bool  # whether bonus credit counts in equity for the stop-out check
    nbp: bool  # negative balance protection
    delete_pending_on_stop_out: bool
    commission_per_lot_side: float  # in commission_currency per lot per side
    commission_currency: str
    swap_free: bool
    triple_swap_day: str  # one of WEEKDAYS
    rollover_time: str  # "HH:MM" in server_timezone
    server_timezone: str  # IANA name, e.g. "Etc/GMT-2" or "EET"
    min_deposit: float | None
    max_lots: float | None
    symbols: dict[str, SymbolMargin] = field(default_factory=dict)
    hedge_factor: dict[str, float] = field(default_factory=dict)  # by asset class; missing -> 1.0 (no relief)
    spread_points: dict[str, float] = field(default_factory=dict)  # typical spread by symbol or asset class
    # where each ``spread_points`` figure comes from, same keys: "0.95 pips (<source title>, <confidence>)"
    spread_sources: dict[str, str] = field(default_factory=dict)
    swaps: dict[str, SwapRate] = field(default_factory=dict)  # by symbol
    hmr_windows: tuple[HmrWindow, ...] = ()
    cashback_per_lot: float = 0.0  # account currency per lot traded (round turn), 0 = none
    cashback_schedule: str = "none"  # "per_trade", "daily", "monthly", "none"
    bonus_pct: float = 0.0  # credit granted as % of a deposit, 0 = none
    bonus_cap: float | None = None
    explanation: tuple[str, ...] = ()  # how this account was resolved: entity, caps, unknowns
    # units of base currency in one FX lot of this account type (standard 100,000; XM Micro and cent
    # lots 1,000) and the spec of each traded symbol with that lot and the profile's overrides: the
    # engine and the calculators read the contract size here, so both value a lot alike
    lot_size: float = STANDARD_LOT
    instruments: dict[str, Instrument] = field(default_factory=dict)
    # the commission as the engine books it: per notional traded when ``commission_notional`` > 0
    # (``commission_per_lot_side`` in ``commission_currency`` per that much notional: XM Zero 3.5 per
    # 100,000), else per lot per side; the sides booked at the open and at the close ((1, 1); MT4's
    # "open and close charged together at opening": (2, 0)); whether the amount is published, and
    # where it comes from ("3.5 USD per 100,000 traded (XM Zero, high)" or "unknown (...): 0 used"). The
    # descriptions (``*_source``, ``*_reason``, ``commission_known``) stay out of repr and equality: terms
    # that simulate alike compare equal
    commission_notional: float = 0.0
    commission_sides: tuple[float, float] = (1.0, 1.0)
    commission_known: bool = field(default=True, repr=False, compare=False)
    commission_source: str = field(default="", repr=False, compare=False)
    # swaps beyond a published table (``swaps``): the broker's markup over the rate differential in the
    # policy-rate model (percent per year, taken on each side; None: the engine's documented default)
    # and the year it divides an annual rate by (None: the default), each with where it comes from;
    # the triple-swap weekday per asset class where it differs from ``triple_swap_day``; the fee a
    # swap-free account pays instead (amount per lot in ``swap_free_fee_currency`` per
    # ``swap_free_fee_per``: night / triple_night), and why the account is swap-free
    swap_markup: float | None = None
    swap_markup_source: str = field(default="", repr=False, compare=False)
    swap_day_count: float | None = None
    swap_day_count_source: str = field(default="", repr=False, compare=False)
    triple_swap_days: dict[str, str] = field(default_factory=dict)
    swap_free_fee: float | None = None
    swap_free_fee_currency: str = ""
    swap_free_fee_per: str = "night"
    swap_free_reason: str = field(default="", repr=False, compare=False)
    swap_table_source: str = field(default="", repr=False, compare=False)  # where the ``swaps`` table comes from
    # spread mode ``data+markup``: the pips this account's spread sits above a stated reference, and
    # where that comes from ("1 pip over the Razor account's raw spread (...)"); None: not published
    spread_markup_pips: float | None = None
    spread_markup_source: str = field(default="", repr=False, compare=False)
    # how spreads widen around the daily rollover and high-impact news, where the profile publishes it
    # (a kind left out gets the engine's documented default when widening is simulated)
    spread_widening: tuple["SpreadWindow", ...] = ()
    # the broker refuses to close one leg of a hedge when the leg it unhedges needs more margin than the
    # equity (Exness "Hedged orders"); False where not published
    hedge_close_needs_margin: bool = False

    def triple_day_for(self, asset_class: str) -> str:
        """The weekday whose rollover books three nights for ``asset_class`` (its own, else the account's)."""
        return self.triple_swap_days.get(asset_class, self.triple_swap_day)

    def margin_for(self, symbol: str) -> SymbolMargin:
        """The margin rules for ``symbol``; raises KeyError naming the symbols these terms cover."""
        try:
            return self.symbols[symbol.upper()]
        except KeyError:
            raise KeyError(f"{self.broker}/{self.account_type} has no terms for {symbol!r}; "
                           f"covered: {', '.join(sorted(self.symbols))}") from None

    def instrument(self, symbol: str) -> Instrument:
        """The spec ``symbol`` trades with on this account: the resolved one, else the catalog's with
        this account's lot (a cent account without a resolved spec trades cent lots)."""
        key = symbol.upper()
        spec = self.instruments.get(key)
        if spec is not None:
            return spec
        lot = CENT_LOT if self.is_cent and self.lot_size == STANDARD_LOT else self.lot_size
        return instrument(key).with_lot(lot)

    def typical_spread(self, symbol: str, asset_class: str) -> tuple[float, str] | None:
        """The published typical spread of ``symbol`` in points and where it comes from (the symbol's own
        figure beats its asset class's), or None when the profile publishes none for it."""
        for key in (symbol.upper(), asset_class):
            if key in self.spread_points:
                return self.spread_points[key], self.spread_sources.get(key, "source not recorded")
        return None

    def hedge_factor_for(self, asset_class: str) -> float:
        return self.hedge_factor.get(asset_class, 1.0)

    @property
    def unlimited(self) -> bool:
        return math.isinf(self.selected_leverage)
