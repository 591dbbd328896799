"""The schema of a broker profile (one YAML file per broker), as pydantic v2 models.

Conventions a profile author needs:

* Every published figure is a *fact*: ``{value: ..., source: ..., confidence: high|medium|low}``
  with optional ``date`` and ``note``. ``source`` is a key of the profile's ``sources:`` table
  (which holds the URL and the page date) or a URL. A figure no source gives is written
  ``unknown`` (or ``{value: unknown, note: ...}``) and is never guessed by the code.
* Leverage is a number N meaning 1:N, or the word ``unlimited``.
* Equity bands are written exactly as published (``min``/``max``); a band holds from its ``min``
  up to (not including) the next band's ``min``. So with Exness's ``max: 999.99`` / ``min: 1000``,
  equity 999.995 is still in the first band and 1000.00 is in the second. When a broker publishes
  touching edges ("up to 10,000" / "10,000 - 50,000") the shared edge belongs to the higher band.
* Asset classes are those of ``leverlab.instruments.ASSET_CLASSES``.
* Costs: an account type's ``spread`` gives ``typical`` / ``minimum`` spreads per symbol or asset
  class (pips), each a fact with its own source; ``commission`` records a commission on its published
  basis beside ``commission_per_lot_side``; the broker's ``swaps`` section holds the swap rules
  (mode, rollover, triple day per asset class, published table).

Models are strict about unknown keys (``extra="forbid"``) so a typo fails at load time, and every
number has its range (NaN and infinities are refused everywhere). ``_yaml.read_yaml`` reads a YAML file
safely and within limits (size, nesting, aliases), for profiles and the regulation data alike.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, cast

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ..instruments import ASSET_CLASSES, AssetClass, CalcMode

T = TypeVar("T")

Confidence = Literal["high", "medium", "low"]
ClientClass = Literal["retail", "pro"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
AssetClassName = AssetClass
Unknown = Literal["unknown"]
UNKNOWN: Unknown = "unknown"


def _not_bool(v: Any) -> Any:
    """YAML reads ``yes`` / ``true`` as a boolean, which pydantic would take as the number 1."""
    if isinstance(v, bool):
        raise ValueError("a number (found true/false)")
    return v


def _range(expected: str, *, ge: float | None = None, gt: float | None = None, le: float | None = None) -> Any:
    """A check refusing NaN, +/-inf and numbers outside the range; ``expected`` is the error's wording."""

    def check(v: float) -> float:
        if not math.isfinite(v) or (ge is not None and v < ge) or (gt is not None and v <= gt) \
                or (le is not None and v > le):
            raise ValueError(expected)
        return v

    return AfterValidator(check)


# The ranges of a profile's numbers. Each refuses NaN, +/-inf (YAML's .nan, .inf) and true/false.
_NUM = BeforeValidator(_not_bool)
Finite = Annotated[float, _NUM, _range("a finite number")]
NonNegative = Annotated[float, _NUM, _range("a finite number of 0 or more", ge=0)]
Positive = Annotated[float, _NUM, _range("a finite number above 0", gt=0)]
Amount = Annotated[float, _NUM, _range("an amount of 0 or more (finite)", ge=0)]
Level = Annotated[float, _NUM, _range("a margin level in percent, 0 or more (finite)", ge=0)]
Percent = Annotated[float, _NUM, _range("a percent from 0 to 100", ge=0, le=100)]
MarginPercent = Annotated[float, _NUM, _range("a margin percent above 0, up to 100", gt=0, le=100)]
Minutes = Annotated[float, _NUM, _range("minutes, 0 or more (finite)", ge=0)]
BonusPercent = Annotated[float, _NUM, _range("a bonus percent from 0 to 1000", ge=0, le=1000)]
SpreadValue = Annotated[float, _NUM, _range("a spread of 0 or more (a spread cannot be negative, infinite or NaN)",
                                            ge=0)]
WideningValue = Annotated[float, _NUM, _range("a widening of 0 or more (times the spread, or pips added)", ge=0)]
LeverageNumber = Annotated[float, _NUM, _range("a leverage N of 1 or more (1:N)", ge=1)]
Digits = Annotated[int, _NUM, Field(ge=0, le=12)]
#: leverage as published: N >= 1 for 1:N, or "unlimited"
LeverageValue = Union[LeverageNumber, Literal["unlimited"]]

_AT = re.compile(r"^\[at ([^\]]+)\] ")


def fail_at(subpath: str, message: str) -> ValueError:
    """A validation error that points below the model being validated (``bands.2.min``)."""
    return ValueError(f"[at {subpath}] {message}")


def leverage_number(value: LeverageValue | str | None) -> float:
    """1:N as the float N; ``unlimited`` -> ``math.inf``."""
    if value == "unlimited":
        return math.inf
    if value is None or value == UNKNOWN:
        raise ValueError("leverage is unknown")
    return float(value)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """One web page a profile's figures come from."""

    url: str
    date: str | None = None  # the page's own date, when it shows one
    title: str | None = None


class Sourced(_Model):
    """Where a figure (or a table of figures) comes from and how far to trust it."""

    source: str | None = None  # key of the profile's sources table, or a URL
    date: str | None = None
    confidence: Confidence | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _needs_provenance(self) -> "Sourced":
        if self._is_known() and (self.source is None or self.confidence is None):
            missing = [k for k in ("source", "confidence") if getattr(self, k) is None]
            raise ValueError(f"a published figure needs {' and '.join(missing)}; "
                             f"expected e.g. source: <key of sources> and confidence: high|medium|low")
        return self

    def _is_known(self) -> bool:
        return True


class Fact(Sourced, Generic[T]):
    """A single published figure with its provenance; ``value: unknown`` when no source gives it."""

    value: Union[T, Unknown]

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if data == UNKNOWN:
            return {"value": UNKNOWN}
        return data

    def _is_known(self) -> bool:
        return not self.is_unknown

    @property
    def is_unknown(self) -> bool:
        return isinstance(self.value, str) and self.value == UNKNOWN

    def known(self) -> T | None:
        """The published value typed as ``T``, or None when it is ``unknown``.

        >>> Fact[float](value=50.0, source="s", confidence="high").known(), Fact[float](value="unknown").known()
        (50.0, None)
        """
        return None if self.is_unknown else cast(T, self.value)


class MoneyFact(Fact[Amount]):
    """An amount of money (minimum deposit, commission) with its currency; never negative."""

    currency: str = "USD"


def _unknown_fact() -> Any:
    return Fact(value=UNKNOWN)


class Match(_Model):
    """Which instruments a rule covers: listed symbols and/or whole asset classes."""

    symbols: list[str] = []
    asset_classes: list[AssetClassName] = []
    exclude_symbols: list[str] = []

    @field_validator("symbols", "exclude_symbols")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [s.upper() for s in v]

    @model_validator(mode="after")
    def _not_empty(self) -> "Match":
        if not self.symbols and not self.asset_classes:
            raise ValueError("a match needs `symbols` or `asset_classes`")
        return self

    def matches(self, symbol: str, asset_class: str) -> bool:
        s = symbol.upper()
        if s in self.exclude_symbols:
            return False
        return s in self.symbols or asset_class in self.asset_classes

    @property
    def by_symbol(self) -> bool:
        return bool(self.symbols)


# ------------------------------------------------------------------ entities and regulation
class Serves(Sourced):
    """Residents of which countries an entity onboards: ISO codes, ``EU``, ``EEA`` or ``REST``."""

    countries: list[str] = Field(min_length=1)
    client_classes: list[ClientClass] = ["retail", "pro"]


class Entity(Sourced):
    """One legal entity of the broker group and what it offers."""

    id: str
    name: str
    regulator: str | None  # id of a regime in regulation.yaml; null when the regulator is unknown
    regulator_detail: str | None = None  # licence as published
    serves: Serves
    max_leverage: Fact[LeverageValue]
    pro_max_leverage: Fact[LeverageValue] = Field(default_factory=_unknown_fact)
    margin_call: Fact[Level] | None = None  # overrides the account type's level here
    stop_out: Fact[Level] | None = None
    pro_margin_call: Fact[Level] | None = None
    pro_stop_out: Fact[Level] | None = None
    nbp: Fact[bool] | None = None
    account_types: list[str] | Literal["all"] = "all"

    @model_validator(mode="after")
    def _levels(self) -> "Entity":
        _check_levels(self.margin_call, self.stop_out, "")
        _check_levels(self.pro_margin_call, self.pro_stop_out, "pro_")
        return self


def _check_levels(mc: Fact[Any] | None, so: Fact[Any] | None, prefix: str) -> None:
    """A stop-out is reached after the margin call, so it cannot be the higher level."""
    if mc is None or so is None or mc.is_unknown or so.is_unknown:
        return
    if float(so.value) > float(mc.value):
        raise fail_at(f"{prefix}stop_out", f"stop-out {so.value}% is above the margin call {mc.value}%; "
                                           f"expected {prefix}stop_out <= {prefix}margin_call")


# ------------------------------------------------------------------ account types
SPREAD_ALL = "all"  # key of ``Spread.minimum``: the lowest spread advertised on any instrument


def _check_money_currency(code: str, field: str) -> None:
    """Raise (at ``field``) for a currency code leverlab.money does not know."""
    from ..money import MoneyError, currency

    try:
        currency(code)
    except MoneyError:
        from ..money import currencies

        raise fail_at(field, f"found unknown currency {code!r}; expected one of {', '.join(currencies())}") from None


class SpreadFigure(Fact[SpreadValue]):
    """One published spread: ``value`` in pips of the symbol (``unit: price`` for a price difference,
    such as "gold from USD 0.3"); ``unknown`` with a ``note`` saying why when no source gives it."""

    unit: Literal["pips", "price"] = "pips"


class SpreadWidening(Fact[WideningValue]):
    """How far spreads widen in a window: ``value`` times the normal spread (``unit: times``) or
    ``value`` pips added (``unit: pips``), "up to" that much unless ``up_to: false``."""

    unit: Literal["times", "pips"]
    up_to: bool = True
    applies_to: Match | None = None  # None: every instrument
    minutes_before: Minutes | None = None  # the window around the event, when published
    minutes_after: Minutes | None = None

    @model_validator(mode="after")
    def _times_at_least_one(self) -> "SpreadWidening":
        if self.unit == "times" and not self.is_unknown and float(self.value) < 1:
            raise fail_at("value", f"found a widening of {self.value} times; expected a multiplier >= 1")
        return self


class SpreadMarkup(Fact[SpreadValue]):
    """How many pips an account type's spread sits above a stated reference (Pepperstone: Standard is
    "about 1 pip wider than Razor"); ``over`` names the reference."""

    over: str


class Spread(Sourced):
    """The spread model as published, with figures per symbol or asset class, each with its own source.

    ``typical`` (typical / average spread) and ``minimum`` (the "from" spread) are keyed by symbol
    (``EURUSD``) or asset class (``major``); a symbol's own figure beats its class's. ``minimum`` may
    use the key ``all`` for a "spreads from X pips" that names no instrument. ``widening`` gives how
    spreads widen around the daily ``rollover``, around high-impact ``news`` or in ``volatile``
    markets, only where published (absent: the engine applies its own documented defaults).
    ``markup``: pips above a stated reference (``over``), where the broker states one.
    """

    model: str
    typical: dict[str, SpreadFigure] = {}
    minimum: dict[str, SpreadFigure] = {}
    widening: dict[Literal["rollover", "news", "volatile"], SpreadWidening] = {}
    markup: SpreadMarkup | None = None  # over a stated reference, for the engine's ``data+markup`` mode

    @model_validator(mode="before")
    @classmethod
    def _old_form(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for old, new in (("typical_pips", "typical"), ("from_pips", "minimum")):
                if old in data:
                    raise fail_at(old, f"found the old field {old!r}; expected {new}: {{<symbol or asset class>: "
                                       f"{{value: <pips>, source: ..., confidence: ...}}}}"
                                       + (" (key 'all' for a spread that names no instrument)" if old == "from_pips"
                                          else ""))
        return data

    @model_validator(mode="after")
    def _keys(self) -> "Spread":
        for name in ("typical", "minimum"):
            for key in getattr(self, name):
                if key == SPREAD_ALL and name == "typical":
                    raise fail_at(f"typical.{key}", "found key 'all'; expected a symbol or an asset class "
                                                    "('all' is only for `minimum`)")
                if key != key.upper() and key not in ASSET_CLASSES and key != SPREAD_ALL:
                    raise fail_at(f"{name}.{key}", f"found {key!r}; expected a symbol in capitals (EURUSD) or "
                                                   f"an asset class ({', '.join(ASSET_CLASSES)})")
        return self

    @property
    def typical_pips(self) -> dict[str, float]:
        """The known typical spreads given in pips, by symbol or asset class (price-unit figures left out)."""
        return {k: float(f.value) for k, f in self.typical.items()
                if not f.is_unknown and f.unit == "pips"}

    @property
    def from_pips(self) -> float | None:
        """The advertised "spreads from" figure in pips that names no instrument (``minimum.all``), if known."""
        f = self.minimum.get(SPREAD_ALL)
        return None if f is None or f.is_unknown or f.unit != "pips" else float(f.value)


class Commission(Fact[Amount]):
    """A commission on its published basis: per lot per side, per round turn (open + close), or per
    ``per`` units of notional in ``per_currency`` (XM Zero: 3.5 USD per 100,000 USD traded).

    ``charged`` says when it is booked: at ``open``, at ``close``, at ``both``, or ``open_for_both``
    (open and close charged together at opening); ``charged_by_platform`` when platforms differ.
    ``up_to`` marks a published maximum ("up to USD 3.50, depending on the instrument").
    """

    currency: str = "USD"
    basis: Literal["per_lot_side", "per_round_turn", "per_notional"]
    per: Positive | None = None
    per_currency: str | None = None
    charged: Literal["open", "close", "both", "open_for_both"] | None = None
    charged_by_platform: dict[str, Literal["open", "close", "both", "open_for_both"]] = {}
    up_to: bool = False

    @model_validator(mode="after")
    def _basis(self) -> "Commission":
        if (self.basis == "per_notional") != (self.per is not None):
            raise fail_at("per", "a per_notional commission needs `per` (the notional it is charged on, e.g. "
                                 "100000) and the other bases must not have it")
        _check_money_currency(self.currency, "currency")
        if self.per_currency is not None:
            _check_money_currency(self.per_currency, "per_currency")
        return self

    def per_lot_side(self) -> float | None:
        """The amount per lot per side: exact for per_lot_side / per_round_turn; for per_notional, on a
        lot of 100,000 units of ``per_currency`` (so it differs for pairs whose base is another currency)."""
        if self.is_unknown:
            return None
        v = float(self.value)
        if self.basis == "per_lot_side":
            return v
        if self.basis == "per_round_turn":
            return v / 2
        return v * 100_000 / float(self.per)  # type: ignore[arg-type]


class HedgedMargin(Fact[dict[str, Percent]]):
    """Percent of margin charged on locked (covered) volume (0 to 100), per asset class (or ``all``).
    ``close_leg_needs_margin``: the broker refuses to close one leg of a hedge when the leg it unhedges
    needs more margin than there is (Exness), where published."""

    close_leg_needs_margin: Fact[bool] | None = None

    @field_validator("value")
    @classmethod
    def _classes(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for k in v:
                if k != "all" and k not in ASSET_CLASSES:
                    raise fail_at(str(k), f"unknown asset class {k!r}; expected 'all' or one of {ASSET_CLASSES}")
        return v


class AccountType(_Model):
    """One account type: deposit, costs, margin-call/stop-out levels, limits."""

    id: str
    name: str
    cent: bool = False
    currencies: Fact[list[str]]
    min_deposit: MoneyFact
    spread: Spread
    commission_per_lot_side: MoneyFact
    commission: Commission | None = None  # the published basis, when it is not simply per lot per side
    margin_call: Fact[Level]
    stop_out: Fact[Level]
    hedged_margin: HedgedMargin
    swap_free: Fact[str]
    max_lots: Fact[Positive]
    platforms: Fact[list[str]]
    max_leverage: Fact[LeverageValue] | None = None  # a cap of this account type
    # units of base currency in one lot of an FX pair on this account type (a standard lot is
    # 100,000; XM Micro and cent lots are 1,000); other symbols' lots scale by the same ratio.
    # Absent: a standard lot; ``unknown`` on a cent account: the cent lot (1/100 of a standard lot).
    lot_size: Fact[Positive] | None = None
    pro_margin_call: Fact[Level] | None = None  # levels for professional clients
    pro_stop_out: Fact[Level] | None = None
    swaps: "SwapTerms | None" = None  # this account type's swap terms, field by field over the broker's
    note: str | None = None
    # who may open it: e.g. ``{value: [pro], source: ..., confidence: ...}`` for a wholesale/professional
    # account; absent: retail and professional clients alike
    client_classes: Fact[list[ClientClass]] | None = None

    def offered_to(self, client_class: str) -> bool:
        """False when the account type is published as only for other client classes (an unknown list
        does not restrict)."""
        allowed = self.client_classes.known() if self.client_classes is not None else None
        return allowed is None or client_class in allowed

    @model_validator(mode="after")
    def _levels(self) -> "AccountType":
        _check_levels(self.margin_call, self.stop_out, "")
        _check_levels(self.pro_margin_call, self.pro_stop_out, "pro_")
        return self

    @model_validator(mode="after")
    def _commission(self) -> "AccountType":
        """The per-lot-side field stays consistent with the published basis (resolve reads the former)."""
        cps, com = self.commission_per_lot_side, self.commission
        _check_money_currency(cps.currency, "commission_per_lot_side.currency")
        if com is None:
            return self
        if com.is_unknown or cps.is_unknown:
            if com.is_unknown != cps.is_unknown:
                raise fail_at("commission_per_lot_side", "found one of commission / commission_per_lot_side "
                                                         "unknown and the other known; expected both known or "
                                                         "both unknown")
            return self
        want = com.per_lot_side()
        if cps.currency.upper() != com.currency.upper() or not math.isclose(float(cps.value), want,  # type: ignore[arg-type]
                                                                             rel_tol=1e-9, abs_tol=1e-9):
            raise fail_at("commission_per_lot_side", f"found {cps.value} {cps.currency} per lot per side; expected "
                                                     f"{want:g} {com.currency} from commission ({com.value} "
                                                     f"{com.basis})")
        return self


# ------------------------------------------------------------------ leverage policy
class Band(_Model):
    """One equity band as published. ``default_leverage`` is what applies without the opt-in."""

    min: NonNegative
    max: NonNegative | None = None
    leverage: LeverageValue
    default_leverage: LeverageValue | None = None
    opt_in: str | None = None  # condition for ``leverage`` when ``default_leverage`` is set
    source: str | None = None  # when one band comes from another page than its table
    confidence: Confidence | None = None
    note: str | None = None


class HistoricalTable(Sourced):
    period: str
    bands: list[Band]


class EquityBands(Sourced):
    """A dynamic-leverage table: the maximum leverage by account equity."""

    id: str
    basis: Literal["equity", "total_equity"] = "equity"
    currency: str
    account_types: list[str] | Literal["all"] = "all"
    applies_to: Match
    reprices_open: bool = True
    bands: list[Band] = Field(min_length=1)
    history: list[HistoricalTable] = []

    @model_validator(mode="after")
    def _ordered(self) -> "EquityBands":
        for i, b in enumerate(self.bands):
            if b.max is not None and b.max < b.min:
                raise fail_at(f"bands.{i}.max", f"band max {b.max} is below its min {b.min}; expected max >= min")
            if i == 0:
                continue
            prev = self.bands[i - 1]
            if b.min <= prev.min:
                raise fail_at(f"bands.{i}.min", f"bands are not sorted: min {b.min} follows min {prev.min}; "
                                                f"expected ascending band minimums")
            if prev.max is None:
                raise fail_at(f"bands.{i - 1}.max", f"band {i - 1} is open-ended (max: null) but band {i} follows; "
                                                    f"expected only the last band open-ended")
            if prev.max > b.min:
                raise fail_at(f"bands.{i}.min", f"bands overlap: band {i - 1} runs to {prev.max} but band {i} "
                                                f"starts at {b.min}; expected each min >= the previous max")
        return self


class InstrumentCap(Sourced):
    """A fixed leverage cap for some instruments (e.g. FBS metals 1:500), for the client classes and
    entities it is published for (Pepperstone's professional table: ``client_classes: [pro]``)."""

    match: Match
    leverage: LeverageValue
    client_classes: list[ClientClass] = ["retail", "pro"]
    entities: list[str] | Literal["all"] = "all"

    def covers(self, entity: str, client_class: str) -> bool:
        """Whether the cap is published for this entity id and client class."""
        return client_class in self.client_classes and (self.entities == "all" or entity in self.entities)


class FixedMargin(Sourced):
    """Instruments margined at a fixed percent of notional whatever the account leverage."""

    match: Match
    margin_pct: Union[MarginPercent, Unknown]


class HmrCap(_Model):
    match: Match
    leverage: Union[LeverageValue, Unknown]
    source: str | None = None
    confidence: Confidence | None = None
    note: str | None = None


class WeeklyTime(_Model):
    weekday: Weekday
    time: str  # "HH:MM" in the window's timezone

    @field_validator("time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v):
            raise ValueError(f"time {v!r} is not HH:MM (24 h)")
        return v

    def __str__(self) -> str:
        return f"{self.weekday} {self.time}"


class HmrWindowSpec(Sourced):
    """A higher-margin-requirement window: around news (needs a calendar) or over the weekend."""

    id: str
    trigger: Literal["news", "weekend"]
    timezone: str = "UTC"
    start: WeeklyTime | None = None  # weekend: the market close the window is anchored on
    end: WeeklyTime | None = None  # weekend: the reopen
    minutes_before: Minutes = 0
    minutes_after: Minutes = 0
    applies_to: Literal["new_positions", "all_positions"] = "new_positions"
    caps: list[HmrCap] = []

    @model_validator(mode="after")
    def _weekly(self) -> "HmrWindowSpec":
        if self.trigger == "weekend" and (self.start is None or self.end is None):
            raise fail_at("start", "a weekend window needs `start` and `end` (weekday + HH:MM)")
        return self


class Unlimited(Sourced):
    """Unlimited leverage and who may have it."""

    conditions: list[str]
    max_equity: Positive | None = None  # equity must stay below this (band currency)


class LeveragePolicy(_Model):
    max: Fact[LeverageValue]
    selectable: Fact[list[LeverageNumber]] | None = None
    equity_bands: list[EquityBands] = []
    instrument_caps: list[InstrumentCap] = []
    fixed_margin: list[FixedMargin] = []
    hmr: list[HmrWindowSpec] = []
    unlimited: Unlimited | None = None
    notes: list[str] = []


# ------------------------------------------------------------------ the rest
class ServerTime(Sourced):
    timezone: str  # IANA name, or "unknown"
    rollover: str | None = None  # HH:MM server time
    triple_swap_day: Union[Weekday, Unknown] = UNKNOWN
    detail: str | None = None

    def _is_known(self) -> bool:
        return self.timezone != UNKNOWN


class NegativeBalance(_Model):
    retail: Fact[bool]
    pro: Fact[bool]


class Feature(Sourced):
    """An advertised feature (copy trading, loyalty, stop-out protection, ...)."""

    name: str
    detail: str | None = None


class Bonus(Sourced):
    """A deposit bonus paid as credit."""

    id: str
    name: str
    deposit_pct: BonusPercent | None = None
    cap: Amount | None = None
    cap_currency: str = "USD"
    counts_for_stop_out: bool | None = None
    leverage_cap: LeverageValue | None = None
    account_types: list[str] | Literal["all"] = "all"
    detail: str | None = None


class Cashback(Sourced):
    name: str
    per_lot: Amount | None = None  # account currency per lot round turn; None: unpublished
    schedule: Literal["per_trade", "daily", "weekly", "monthly", "none"] = "none"
    detail: str | None = None


class InstrumentOverride(_Model):
    """A broker's own spec for a symbol: fields of ``leverlab.instruments.Instrument``, each in its range."""

    base: str | None = None
    quote: str | None = None
    asset_class: AssetClass | None = None
    contract_size: Positive | None = None
    digits: Digits | None = None
    pip_size: Positive | None = None
    calc_mode: CalcMode | None = None
    min_lot: Positive | None = None
    max_lot: Positive | None = None
    lot_step: Positive | None = None
    margin_rate: Positive | None = None
    margin_currency: str | None = None
    profit_currency: str | None = None

    def fields(self) -> dict[str, Any]:
        """The fields the profile sets, as keyword arguments for the instrument."""
        return self.model_dump(exclude_none=True)


class SwapSpec(_Model):
    long: Finite
    short: Finite
    mode: Literal["points", "money", "interest"] = "points"


SWAP_DAY_GROUPS = ("fx", "all")  # triple-day keys besides the asset classes: fx = major + minor + exotic


class RolloverTime(Fact[str]):
    """The daily rollover (swap booking) time as published, ``HH:MM`` in ``timezone`` (IANA name)."""

    timezone: str

    @field_validator("value")
    @classmethod
    def _hhmm(cls, v: Any) -> Any:
        if v != UNKNOWN and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(v)):
            raise ValueError("a time HH:MM (24 h)")
        return v


class SwapFreeFee(Fact[Amount]):
    """The fee a swap-free account pays instead of swaps, in ``currency`` per lot per ``per``."""

    currency: str = "USD"
    per: Literal["night", "triple_night", "trade"] | None = None


class SwapTerms(_Model):
    """How a broker charges overnight swaps (broker level, or one account type's overrides).

    ``table``: published long/short swaps by symbol (``unknown`` when no dated table was found);
    ``mode``: how swaps are quoted (points, money, interest %, or a rate differential + markup);
    ``benchmark``: the rate the broker says swaps are built from; ``markup``: its markup in percent
    per year; ``rollover``: booking time and zone; ``triple_days``: the weekday charged three
    nights, per asset class (or ``fx`` for all currency pairs, ``all``); ``swap_free_fee``;
    ``day_count``: the year (360 or 365 days) an annual rate is divided by; ``free``: the account type
    charges no swaps at all (swap-free for everyone, not on request).
    """

    table: Fact[dict[str, SwapSpec]] = Field(default_factory=_unknown_fact)
    mode: Fact[Literal["points", "money", "interest", "rate_differential"]] = Field(default_factory=_unknown_fact)
    benchmark: Fact[Literal["tom_next", "policy_rate", "overnight_rate"]] = Field(default_factory=_unknown_fact)
    markup: Fact[Percent] = Field(default_factory=_unknown_fact)  # percent per year
    rollover: RolloverTime | None = None
    triple_days: dict[str, Fact[Weekday]] = {}
    swap_free_fee: SwapFreeFee | None = None
    note: str | None = None
    # the year the broker divides an annual rate by (its day count: 360 or 365)
    day_count: Fact[Literal[360, 365]] = Field(default_factory=_unknown_fact)
    # ``true``: this account type charges no swaps to anyone (not a swap-free option on request)
    free: Fact[bool] = Field(default_factory=_unknown_fact)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "value" in data:
            raise fail_at("value", "found the old form swaps: {value: <table>, ...}; expected swaps: "
                                   "{table: {value: <table>, source: ..., confidence: ...}, mode: ..., ...}")
        return {} if data == UNKNOWN else data

    @model_validator(mode="after")
    def _day_keys(self) -> "SwapTerms":
        for k in self.triple_days:
            if k not in ASSET_CLASSES and k not in SWAP_DAY_GROUPS:
                raise fail_at(f"triple_days.{k}", f"found {k!r}; expected an asset class "
                                                  f"({', '.join(ASSET_CLASSES)}), 'fx' or 'all'")
        if self.swap_free_fee is not None:
            _check_money_currency(self.swap_free_fee.currency, "swap_free_fee.currency")
        return self

    def triple_day(self, asset_class: str) -> str:
        """The published triple-swap weekday of an asset class (its own, then ``fx``, then ``all``), or unknown."""
        keys = [asset_class] + (["fx"] if asset_class in ("major", "minor", "exotic") else []) + ["all"]
        for k in keys:
            f = self.triple_days.get(k)
            if f is not None and not f.is_unknown:
                return str(f.value)
        return UNKNOWN

    # the per-symbol table under the names the term resolver reads (``profile.swaps.value``)
    @property
    def is_unknown(self) -> bool:
        return self.table.is_unknown

    @property
    def value(self) -> Any:
        return self.table.value


AccountType.model_rebuild()  # its ``swaps`` field refers to SwapTerms, defined here


class BrokerProfile(_Model):
    """One broker, as data."""

    schema_version: Literal[1]
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    formerly: str | None = None
    as_of: str
    sources: dict[str, Source]
    server_time: ServerTime
    entities: list[Entity] = Field(min_length=1)
    account_types: list[AccountType] = Field(min_length=1)
    leverage: LeveragePolicy
    negative_balance_protection: NegativeBalance
    swaps: SwapTerms = Field(default_factory=SwapTerms)
    bonuses: list[Bonus] = []
    cashback: list[Cashback] = []
    copy_trading: list[Feature] = []
    features: list[Feature] = []
    instruments: dict[str, InstrumentOverride] = {}  # per-symbol overrides of the instrument catalog

    @model_validator(mode="before")
    @classmethod
    def _swap_times(cls, data: Any) -> Any:
        """``server_time.rollover`` / ``triple_swap_day`` (what the term resolver reads) follow the sourced
        ``swaps.rollover`` and the currency-pair day of ``swaps.triple_days`` when left out; a conflict fails."""
        if not isinstance(data, dict) or not isinstance(data.get("swaps"), dict) \
                or not isinstance(data.get("server_time"), dict):
            return data
        sw, st = data["swaps"], dict(data["server_time"])
        days = sw.get("triple_days") if isinstance(sw.get("triple_days"), dict) else {}
        fx = next((days[k] for k in ("major", "fx", "all") if k in days), None)
        day = fx.get("value") if isinstance(fx, dict) else fx
        if day is not None and day != UNKNOWN:
            have = st.get("triple_swap_day", UNKNOWN)
            if have == UNKNOWN:
                st["triple_swap_day"] = day
            elif have != day:
                raise fail_at("server_time.triple_swap_day", f"found {have!r} but swaps.triple_days gives {day!r} "
                                                             f"for currency pairs; expected the same day or none")
        ro = sw.get("rollover")
        if isinstance(ro, dict) and ro.get("value") not in (None, UNKNOWN) and ro.get("timezone") == st.get("timezone"):
            have = st.get("rollover")
            if have is None:
                st["rollover"] = ro["value"]
            elif have != ro["value"]:
                raise fail_at("server_time.rollover", f"found {have!r} but swaps.rollover gives {ro['value']!r} in the "
                                                      f"same zone; expected the same time or none")
        return {**data, "server_time": st}

    @model_validator(mode="after")
    def _references(self) -> "BrokerProfile":
        ent_ids = [e.id for e in self.entities]
        acc_ids = [a.id for a in self.account_types]
        for what, ids in (("entities", ent_ids), ("account_types", acc_ids)):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise fail_at(what, f"duplicate id(s) {dup}; expected unique ids")
        # each list of ids that names other parts of the profile ("all" names every one)
        refs = ([(f"entities.{i}.account_types", e.account_types, "account type", acc_ids)
                 for i, e in enumerate(self.entities)]
                + [(f"leverage.instrument_caps.{i}.entities", c.entities, "entity", ent_ids)
                   for i, c in enumerate(self.leverage.instrument_caps)]
                + [(f"leverage.equity_bands.{i}.account_types", t.account_types, "account type", acc_ids)
                   for i, t in enumerate(self.leverage.equity_bands)])
        for path, named, kind, known in refs:
            for x in named if named != "all" else ():
                if x not in known:
                    raise fail_at(path, f"unknown {kind} {x!r}; expected one of {known}")
        for path, src in _walk_sources(self, ""):
            if src is not None and not src.startswith(("http://", "https://")) and src not in self.sources:
                raise fail_at(path, f"source {src!r} is neither a URL nor a key of `sources`; "
                                    f"expected one of {sorted(self.sources)}")
        return self

    def source_url(self, ref: str | None) -> str | None:
        """The URL behind a source reference (a key of ``sources`` or a URL)."""
        if ref is None:
            return None
        s = self.sources.get(ref)
        return s.url if s else ref

    def source_date(self, ref: str | None) -> str | None:
        s = self.sources.get(ref) if ref else None
        return s.date if s else None


def _walk_sources(obj: Any, path: str) -> Any:
    """Yield (path, source reference) for every ``source`` field below ``obj``."""
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            val = getattr(obj, name)
            sub = f"{path}.{name}" if path else name
            if name == "source" and (val is None or isinstance(val, str)):
                yield sub, val
            else:
                yield from _walk_sources(val, sub)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _walk_sources(v, f"{path}.{i}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, BaseModel):
                yield from _walk_sources(v, f"{path}.{k}")


def parse_leverage(text: float | str) -> float:
    """A leverage setting as the N of 1:N: ``"1:500"``, ``"500"`` or ``500`` -> 500.0, ``"unlimited"``
    (or ``"infinite"``, ``"inf"``) -> ``math.inf``. Below 1 (a margin above the notional) is refused.

    >>> parse_leverage("1:500"), parse_leverage("unlimited")
    (500.0, inf)
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        t = str(text).strip().lower().removeprefix("1:")
        if t in ("unlimited", "infinite", "inf"):
            return math.inf
        try:
            value = float(t)
        except ValueError:
            raise ValueError(f"leverage {text!r}: expected a number such as 500, 1:500 or 'unlimited'") from None
    if not value >= 1:
        raise ValueError(f"leverage {text!r}: must be 1 or more (1:N with N >= 1), or 'unlimited'")
    return value


def leverage_text(value: LeverageValue | str | None) -> str:
    """Leverage for people: ``"1:500"``, ``"unlimited"``, or ``"unknown"`` when no figure is known.

    >>> leverage_text(30.0), leverage_text(math.inf), leverage_text(None)
    ('1:30', 'unlimited', 'unknown')
    """
    if value is None or value == UNKNOWN or (isinstance(value, float) and math.isnan(value)):
        return UNKNOWN
    n = leverage_number(value)
    return "unlimited" if math.isinf(n) else f"1:{n:g}"


def leverage_json(value: float | None) -> float | str | None:
    """Leverage for a JSON document: the number N of 1:N, ``"unlimited"`` for inf, None when unknown."""
    if value is None or math.isnan(value):
        return None
    return "unlimited" if math.isinf(value) else value
