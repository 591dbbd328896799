"""Broker symbol names to leverlab's catalog: ``EURUSD.``, ``eurusd-std``, ``US500.cash``, ``EURUSDm``,
``GOLD``... each to the catalog symbol it trades, or None with the reason.

>>> map_symbol("EURUSDm"), map_symbol("US500.cash"), map_symbol("xauusd"), map_symbol("ukousd")
('EURUSD', 'US500', 'XAUUSD', 'UKOIL')
>>> map_symbol("eurusd-std"), map_symbol("GBPJPY.pro"), map_symbol("EURUSD#"), map_symbol("GOLD")
('EURUSD', 'GBPJPY', 'EURUSD', 'XAUUSD')
>>> map_symbol("gbpmxn") is None, map_symbol("WEIRD", {"weird": "EURUSD"})
(True, 'EURUSD')
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..instruments import UnknownSymbolError, instrument

#: Other names brokers give the catalog's non-FX symbols (after the suffix is cut).
ALIASES: dict[str, str] = {
    "GOLD": "XAUUSD", "XAU": "XAUUSD", "SILVER": "XAGUSD", "XAG": "XAGUSD",
    "UKOUSD": "UKOIL", "BRENT": "UKOIL", "XBRUSD": "UKOIL", "UKOILSPOT": "UKOIL", "BRN": "UKOIL",
    "USOUSD": "USOIL", "WTI": "USOIL", "XTIUSD": "USOIL", "USOILSPOT": "USOIL", "CL": "USOIL",
    "SPX500": "US500", "SP500": "US500", "US500": "US500", "USA500": "US500", "SPX": "US500",
    "NAS100": "USTEC", "US100": "USTEC", "NDX100": "USTEC", "NQ100": "USTEC", "USTECH": "USTEC",
    "DJ30": "US30", "WS30": "US30", "DOW30": "US30", "USA30": "US30",
    "GER40": "DE40", "GER30": "DE40", "DE30": "DE40", "DAX40": "DE40", "DAX": "DE40",
    "FTSE100": "UK100", "UK100": "UK100",
    "BITCOIN": "BTCUSD", "BTCUSDT": "BTCUSD", "ETHUSDT": "ETHUSD",
}

#: Suffixes brokers glue to a symbol without a separator (longest first).
_TAILS = ("MICRO", "MINI", "CASH", "SPOT", "PRO", "ECN", "RAW", "STD", "VIP", "SB", "M", "C", "I", "X", "Z",
          "E", "R", "B", "P", "K", "N")


def _known(name: str) -> str | None:
    if name in ALIASES:
        return ALIASES[name]
    try:
        return instrument(name).symbol
    except UnknownSymbolError:
        return None


def map_symbol(raw: str, overrides: Mapping[str, str] | None = None) -> str | None:
    """The catalog symbol ``raw`` trades, or None. ``overrides`` (raw name -> catalog symbol, any case)
    win; then the name as it is, without a separator suffix (``.``, ``-``, ``_``, ``#``, ``!``,
    ``+``), without a glued suffix (``m``, ``pro``, ``micro``...), then the known aliases."""
    if overrides:
        low = {k.strip().upper(): v for k, v in overrides.items()}
        hit = low.get(raw.strip().upper())
        if hit:
            return instrument(hit).symbol  # an unknown override target is an error: UnknownSymbolError
    name = raw.strip().upper()
    found = _known(name)
    if found:
        return found
    head = re.split(r"[.\-_#!+/ ]", name, maxsplit=1)[0]
    found = _known(head)
    if found:
        return found
    for tail in _TAILS:
        if head.endswith(tail) and len(head) > len(tail) + 2:
            found = _known(head[: -len(tail)])
            if found:
                return found
    return None


def unmapped_reason(raw: str) -> str:
    """Why ``raw`` has no catalog symbol, for reports."""
    return (f"{raw!r} is not in leverlab's instrument catalog (nor a known broker name for one); "
            f"map it with an override such as {raw}=EURUSD if it is one of the catalog's symbols")
