"""Instrument specifications: what a lot is, what a pip is, and how margin is computed for a symbol.

The catalog holds typical MetaTrader specs; a broker profile may override any field per symbol
(``Instrument.with_overrides``).

>>> eurusd = instrument("EURUSD")
>>> eurusd.contract_size, eurusd.pip_size, eurusd.margin_currency, eurusd.profit_currency
(100000.0, 0.0001, 'EUR', 'USD')
>>> instrument("XAUUSD").calc_mode
'cfd_leverage'
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

AssetClass = Literal["major", "minor", "exotic", "metal", "energy", "index", "crypto", "stock"]
CalcMode = Literal["forex", "forex_no_leverage", "cfd", "cfd_leverage"]

#: units of base currency in the catalog's (standard) lot of an FX pair
STANDARD_LOT = 100_000.0
#: a cent lot: 0.01 standard lot ("500 cent lots = 5 lots", get.exness.help 360013782240; "1 lot on
#: Cent = 0.01 standard lot", FBS bonus terms), its amounts booked in cents of the account currency
CENT_LOT = 1_000.0

ASSET_CLASSES: tuple[str, ...] = get_args(AssetClass)
CALC_MODES: tuple[str, ...] = get_args(CalcMode)
#: integer codes of the calculation modes, as the compiled core sees them
CALC_MODE_CODE: dict[str, int] = {m: i for i, m in enumerate(CALC_MODES)}


class UnknownSymbolError(KeyError):
    """A symbol that is not in the catalog (or a profile's overrides)."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0])


@dataclass(frozen=True)
class Instrument:
    """One tradable symbol.

    ``margin_currency`` is the currency margin is computed in (the base for FX), ``profit_currency``
    the one profit is computed in (the quote). ``digits`` is the number of decimals of a price
    (a point is 10**-digits); ``pip_size`` is the conventional pip (0.0001, or 0.01 for JPY pairs).
    ``margin_rate`` is MetaTrader's margin-rate multiplier (1.0 unless a broker sets another).
    """

    symbol: str
    base: str
    quote: str
    asset_class: AssetClass
    contract_size: float
    digits: int
    pip_size: float
    calc_mode: CalcMode
    min_lot: float = 0.01
    max_lot: float = 100.0
    lot_step: float = 0.01
    margin_rate: float = 1.0
    margin_currency: str = ""
    profit_currency: str = ""

    def __post_init__(self) -> None:
        if not self.margin_currency:  # forex modes charge base currency; CFD modes multiply by price -> quote
            object.__setattr__(self, "margin_currency", self.base if self.calc_mode.startswith("forex") else self.quote)
        if not self.profit_currency:
            object.__setattr__(self, "profit_currency", self.quote)
        if self.asset_class not in ASSET_CLASSES:
            raise ValueError(f"{self.symbol}: asset_class {self.asset_class!r} is not one of {ASSET_CLASSES}")
        if self.calc_mode not in CALC_MODES:
            raise ValueError(f"{self.symbol}: calc_mode {self.calc_mode!r} is not one of {CALC_MODES}")
        if self.contract_size <= 0 or self.pip_size <= 0:
            raise ValueError(f"{self.symbol}: contract_size and pip_size must be > 0")
        if not 0 < self.min_lot <= self.max_lot or self.lot_step <= 0:
            raise ValueError(f"{self.symbol}: expected 0 < min_lot <= max_lot and lot_step > 0")

    @property
    def point(self) -> float:
        """The smallest price increment, 10**-digits."""
        return 10.0 ** -self.digits

    @property
    def is_fx(self) -> bool:
        return self.asset_class in ("major", "minor", "exotic")

    def with_lot(self, lot_size: float) -> "Instrument":
        """The spec on an account type whose FX lot is ``lot_size`` units of base currency (a standard
        lot is ``STANDARD_LOT``): the contract size scales by ``lot_size / STANDARD_LOT``.

        >>> instrument("EURUSD").with_lot(1_000).contract_size, instrument("XAUUSD").with_lot(1_000).contract_size
        (1000.0, 1.0)
        """
        if lot_size == STANDARD_LOT:
            return self
        return replace(self, contract_size=self.contract_size * lot_size / STANDARD_LOT)

    def with_overrides(self, **changes: Any) -> "Instrument":
        """A copy with some fields replaced (a broker's own spec for this symbol)."""
        known = {f.name for f in fields(self)}
        bad = sorted(set(changes) - known)
        if bad:
            raise ValueError(f"{self.symbol}: unknown instrument field(s) {bad}; expected some of {sorted(known)}")
        return replace(self, **changes)


def _fx(symbol: str, cls: AssetClass, **kw: Any) -> Instrument:
    jpy = symbol.endswith("JPY")
    huf = symbol.endswith("HUF")
    digits = 3 if jpy or huf else 5
    return Instrument(
        symbol=symbol, base=symbol[:3], quote=symbol[3:], asset_class=cls, contract_size=100_000.0,
        digits=digits, pip_size=0.01 if (jpy or huf) else 0.0001, calc_mode="forex", **kw,
    )


_MAJORS = ("EURUSD", "GBPUSD", "USDJPY", "USDCHF", "AUDUSD", "USDCAD", "NZDUSD")
_MINORS = (
    "EURGBP", "EURJPY", "GBPJPY", "EURCHF", "AUDJPY", "EURAUD", "GBPCHF", "CADJPY", "NZDJPY", "EURCAD",
    "CHFJPY", "EURNZD", "GBPAUD", "GBPCAD", "GBPNZD", "AUDCAD", "AUDCHF", "AUDNZD", "CADCHF", "NZDCAD",
    "NZDCHF",
)
_EXOTICS = ("USDTRY", "USDZAR", "USDMXN", "EURSEK", "GBPSEK", "USDSEK", "USDNOK", "USDSGD", "USDPLN",
            "EURTRY", "USDHKD", "USDCNH", "EURPLN", "EURNOK", "USDHUF")

_OTHERS = (
    Instrument("XAUUSD", "XAU", "USD", "metal", 100.0, 2, 0.01, "cfd_leverage"),
    Instrument("XAGUSD", "XAG", "USD", "metal", 5_000.0, 3, 0.01, "cfd_leverage"),
    Instrument("USOIL", "WTI", "USD", "energy", 1_000.0, 2, 0.01, "cfd_leverage", margin_currency="USD"),
    Instrument("UKOIL", "BRENT", "USD", "energy", 1_000.0, 2, 0.01, "cfd_leverage", margin_currency="USD"),
    Instrument("US30", "US30", "USD", "index", 1.0, 1, 1.0, "cfd_leverage", min_lot=0.1, lot_step=0.1,
               max_lot=500.0, margin_currency="USD"),
    Instrument("US500", "US500", "USD", "index", 1.0, 2, 0.1, "cfd_leverage", min_lot=0.1, lot_step=0.1,
               max_lot=500.0, margin_currency="USD"),
    Instrument("USTEC", "USTEC", "USD", "index", 1.0, 2, 0.1, "cfd_leverage", min_lot=0.1, lot_step=0.1,
               max_lot=500.0, margin_currency="USD"),
    Instrument("DE40", "DE40", "EUR", "index", 1.0, 1, 1.0, "cfd_leverage", min_lot=0.1, lot_step=0.1,
               max_lot=500.0, margin_currency="EUR"),
    Instrument("UK100", "UK100", "GBP", "index", 1.0, 1, 1.0, "cfd_leverage", min_lot=0.1, lot_step=0.1,
               max_lot=500.0, margin_currency="GBP"),
    Instrument("BTCUSD", "BTC", "USD", "crypto", 1.0, 2, 1.0, "cfd_leverage", max_lot=20.0, margin_currency="USD"),
    Instrument("ETHUSD", "ETH", "USD", "crypto", 1.0, 2, 0.1, "cfd_leverage", max_lot=200.0, margin_currency="USD"),
)

_CATALOG: dict[str, Instrument] = {
    **{s: _fx(s, "major") for s in _MAJORS},
    **{s: _fx(s, "minor") for s in _MINORS},
    **{s: _fx(s, "exotic") for s in _EXOTICS},
    **{i.symbol: i for i in _OTHERS},
}


def instrument(symbol: str) -> Instrument:
    """The catalog spec of a symbol (case-insensitive); raise naming the valid symbols if unknown."""
    spec = _CATALOG.get(symbol.upper())
    if spec is None:
        raise UnknownSymbolError(f"unknown symbol {symbol!r}; expected one of: {', '.join(sorted(_CATALOG))}")
    return spec


def symbols(asset_class: str | None = None) -> list[str]:
    """Catalog symbols, optionally only those of one asset class."""
    return sorted(s for s, i in _CATALOG.items() if asset_class is None or i.asset_class == asset_class)
