"""Central-bank policy rates 2006 - mid-2026 (bundled ``policy_rates.csv``), for swap models.

One row per change: ``currency,effective_date,rate_percent,source_id``; a rate holds from its
effective date until the next row of its currency, and the last one only up to the date the file
was verified through. Provenance, definitions and caveats: ``policy_rates.md`` beside the file.

A *gap* is a span the file does not cover: every series must start with the rate in force on
2006-01-01 (the row dated on or before it), except JPY (from 2006-03-09, no rate target under
quantitative easing) and MXN (from 2008-01-21, no official target before). A series starting later
is refused at load; a date before a series' start or after its verified-through date has no rate.

>>> rate_on("USD", "2008-03-05"), rate_on("EUR", "2016-03-09")
(3.0, -0.3)
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

POLICY_RATES_FILE = Path(__file__).with_name("policy_rates.csv")
COLUMNS = ("currency", "effective_date", "rate_percent", "source_id")
COVERAGE_START = dt.date(2006, 1, 1)
#: currencies whose series starts after COVERAGE_START for a documented reason
LATE_STARTS = {"JPY": dt.date(2006, 3, 9), "MXN": dt.date(2008, 1, 21)}
#: the day up to which each series was checked (the last row holds until then, no later)
VERIFIED_THROUGH = {
    "AUD": dt.date(2026, 6, 16), "CAD": dt.date(2026, 6, 10), "CHF": dt.date(2026, 3, 19),
    "EUR": dt.date(2026, 6, 17), "EUR_MRO": dt.date(2026, 6, 17), "GBP": dt.date(2026, 6, 18),
    "JPY": dt.date(2026, 6, 17), "MXN": dt.date(2026, 6, 25), "NZD": dt.date(2026, 5, 27),
    "TRY": dt.date(2026, 4, 22), "USD": dt.date(2026, 6, 17), "ZAR": dt.date(2026, 5, 29),
}
CURRENCIES = tuple(sorted(VERIFIED_THROUGH))


class PolicyRateError(ValueError):
    """A policy-rate file that cannot be used: names the file, line, field, what was found and expected."""


class NoPolicyRateError(LookupError):
    """A currency or date the policy-rate file does not cover."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class RateSeries:
    """One currency's policy rate as a step function: ``rates[i]`` (percent per year) holds from
    ``dates[i]`` (``datetime64[D]``, ascending) to the next date, the last to ``verified_through``."""

    currency: str
    dates: np.ndarray
    rates: np.ndarray
    sources: tuple[str, ...]
    verified_through: np.datetime64

    def rate_on(self, date: str | dt.date | np.datetime64) -> float:
        """The rate in force on ``date``; ``NoPolicyRateError`` outside the series' coverage."""
        d = np.datetime64(date, "D")  # type: ignore[call-overload]
        if d < self.dates[0]:
            raise NoPolicyRateError(f"no {self.currency} policy rate on {d}: the series starts {self.dates[0]}"
                                    + _late_start_reason(self.currency))
        if d > self.verified_through:
            raise NoPolicyRateError(f"no {self.currency} policy rate on {d}: the file was verified through "
                                    f"{self.verified_through}; later decisions are not covered")
        return float(self.rates[int(np.searchsorted(self.dates, d, side="right")) - 1])


def _late_start_reason(currency: str) -> str:
    return {"JPY": " (quantitative easing until 2006-03-08: no interest-rate target)",
            "MXN": " (Banxico had no official overnight-rate target before 2008-01-21)"}.get(currency, "")


def policy_rates(path: str | os.PathLike[str] | None = None) -> dict[str, RateSeries]:
    """Every series of the policy-rate file (the bundled one by default), by currency code.

    Raises ``PolicyRateError`` for a file that does not validate (see the module docstring).
    """
    p = Path(path) if path is not None else POLICY_RATES_FILE
    return _load(str(p.resolve()), p.stat().st_mtime_ns)


def rate_on(currency: str, date: str | dt.date | np.datetime64,
            path: str | os.PathLike[str] | None = None) -> float:
    """The policy rate of ``currency`` (percent per year) in force on ``date``.

    ``EUR`` is the ECB deposit facility rate, ``EUR_MRO`` the main refinancing rate (see the notice
    for which to use when). Raises ``NoPolicyRateError`` for a currency or date not covered.
    """
    series = policy_rates(path)
    key = currency.upper()
    if key not in series:
        raise NoPolicyRateError(f"no policy-rate series for {currency!r}; expected one of {', '.join(series)}")
    return series[key].rate_on(date)


@lru_cache(maxsize=8)
def _load(path: str, _mtime: int) -> dict[str, RateSeries]:
    name = Path(path).name
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))

    def fail(line: int, field: str, found: object, expected: str) -> PolicyRateError:
        return PolicyRateError(f"{name}:{line}: {field}: found {found!r}; expected {expected}")

    if not rows or tuple(c.strip() for c in rows[0]) != COLUMNS:
        raise fail(1, "header", ",".join(rows[0]) if rows else "", ",".join(COLUMNS))
    per: dict[str, list[tuple[dt.date, float, str, int]]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(COLUMNS):
            raise fail(line, "row", ",".join(row), f"{len(COLUMNS)} fields: {','.join(COLUMNS)}")
        ccy, day, rate, src = (c.strip() for c in row)
        if ccy not in VERIFIED_THROUGH:
            raise fail(line, "currency", ccy, f"one of {', '.join(CURRENCIES)}")
        try:
            date = dt.date.fromisoformat(day)
        except ValueError:
            raise fail(line, "effective_date", day, "a date YYYY-MM-DD") from None
        try:
            value = float(rate)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise fail(line, "rate_percent", rate, "a number, the rate in percent per year (e.g. 4.25)")
        if not src:
            raise fail(line, "source_id", src, "the id of the row's source (see policy_rates.md)")
        prev = per.setdefault(ccy, [])
        if prev and date <= prev[-1][0]:
            what = "a duplicate of" if date == prev[-1][0] else "earlier than"
            raise fail(line, "effective_date", day, f"a {ccy} date after {prev[-1][0]} (line {prev[-1][3]}; this "
                                                    f"one is {what} it): dates ascend per currency, no duplicates")
        prev.append((date, value, src, line))
    out: dict[str, RateSeries] = {}
    for ccy in CURRENCIES:
        got = per.get(ccy)
        if not got:
            raise PolicyRateError(f"{name}: currency: found no {ccy} rows; expected the {ccy} series "
                                  f"(from {LATE_STARTS.get(ccy, COVERAGE_START)})")
        start = LATE_STARTS.get(ccy, COVERAGE_START)
        if got[0][0] > start:
            raise fail(got[0][3], "effective_date", got[0][0].isoformat(),
                       f"the {ccy} rate in force on {start} (a date on or before it); the series starts later, "
                       f"leaving a gap {start} .. {got[0][0] - dt.timedelta(days=1)} with no rate")
        if got[-1][0] > VERIFIED_THROUGH[ccy]:
            raise fail(got[-1][3], "effective_date", got[-1][0].isoformat(),
                       f"a date up to {VERIFIED_THROUGH[ccy]}, the day the {ccy} series was verified through")
        out[ccy] = RateSeries(ccy, np.array([g[0] for g in got], dtype="datetime64[D]"),
                              np.array([g[1] for g in got], dtype=np.float64), tuple(g[2] for g in got),
                              np.datetime64(VERIFIED_THROUGH[ccy], "D"))
    return out


__all__ = ["NoPolicyRateError", "PolicyRateError", "RateSeries", "policy_rates", "rate_on"]
