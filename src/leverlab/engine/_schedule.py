"""Time schedules the kernel follows: rollover instants, HMR windows, cashback payment instants.

All are computed once in Python as sorted int64 UTC nanoseconds, so the kernel only walks a
pointer forward. Rollovers follow the broker's server time zone, so DST shifts them in UTC.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from ..brokers.terms import WEEKDAYS, AccountTerms
from ..instruments import Instrument
from ..money import currency
from ..times import NS, from_ns, to_ns


def _utc_offsets_ns(local_days: np.ndarray, at: time, tz: ZoneInfo) -> np.ndarray:
    """UTC offset (ns) of local time ``at`` on each day (epoch day numbers); looked up weekly, and day
    by day only in a week where the offset changes (DST), so long spans cost few zone look-ups."""
    base = date(1970, 1, 1)

    def off(k: int) -> int:
        u = datetime.combine(base + timedelta(days=int(local_days[k])), at, tzinfo=tz).utcoffset()
        return int(u.total_seconds()) * NS if u is not None else 0

    n = local_days.shape[0]
    out = np.empty(n, dtype=np.int64)
    prev_i, prev = 0, off(0)
    out[0] = prev
    i = 5
    while True:
        j = min(i, n - 1)
        cur = off(j)
        if cur == prev:
            out[prev_i:j + 1] = prev
        else:
            for k in range(prev_i + 1, j + 1):
                out[k] = off(k)
        if j == n - 1:
            break
        prev_i, prev = j, cur
        i += 5
    return out


_ROLL_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def rollover_times(start_ns: int, end_ns: int, rollover_time: str, server_timezone: str,
                   triple_day: str) -> tuple[np.ndarray, np.ndarray]:
    """Rollover instants in (start_ns, end_ns] and each one's swap multiplier.

    Each trading day D (Monday to Friday, server time) ends with a rollover at ``rollover_time``
    on D - or, for "00:00", at midnight that ends D (the start of D + 1). The rollover ending
    ``triple_day`` books three nights (it covers the weekend's settlement). DST-aware.
    """
    utc, _, wd = rollover_days(start_ns, end_ns, rollover_time, server_timezone)
    return utc, np.where(wd == WEEKDAYS.index(triple_day.lower()), 3.0, 1.0)


def rollover_days(start_ns: int, end_ns: int, rollover_time: str, server_timezone: str
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rollover instants in (start_ns, end_ns] (int64 UTC ns), the trading day each one ends (epoch day
    number of the server-local date D) and its weekday (0 Monday). Remembered for the last few spans (a
    comparison runs many accounts over the same data; a long span costs a zone look-up per week). The
    arrays are shared: never write to them (they stay writable so the kernel keeps one signature)."""
    key = (int(start_ns), int(end_ns), rollover_time, server_timezone)
    out = _ROLL_CACHE.get(key)
    if out is None:
        out = _rollover_days(*key)
        if len(_ROLL_CACHE) >= 32:
            _ROLL_CACHE.pop(next(iter(_ROLL_CACHE)))
        _ROLL_CACHE[key] = out
    return out


def _rollover_days(start_ns: int, end_ns: int, rollover_time: str, server_timezone: str
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tz = ZoneInfo(server_timezone)
    hh, mm = (int(x) for x in rollover_time.split(":"))
    day = 86_400 * NS
    days = np.arange(start_ns // day - 2, end_ns // day + 3, dtype=np.int64)
    wd = (days + 3) % 7  # 1970-01-01 was a Thursday
    days, wd = days[wd < 5], wd[wd < 5]
    if days.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    local_days = days + (1 if (hh, mm) == (0, 0) else 0)
    utc = local_days * day + (hh * 3600 + mm * 60) * NS - _utc_offsets_ns(local_days, time(hh, mm), tz)
    keep = (utc > start_ns) & (utc <= end_ns)
    return np.ascontiguousarray(utc[keep]), np.ascontiguousarray(days[keep]), np.ascontiguousarray(wd[keep])


# ---- swaps: what each symbol books at each rollover ---------------------------------------------------
SWAP_SOURCES = ("published", "policy", "none")
"""Where a run's swaps come from (``Backtest(swaps=...)``): ``published`` - the profile's swap table
(a symbol without one books none, and says so); ``policy`` - the table where published, else each
day's financing from the central-bank policy-rate differential of the two currencies
(``leverlab.data.policy_rates``) minus the broker's markup, on its day count; ``none`` - no swaps."""

#: the broker markup (percent per year, taken on each side) when a profile publishes none: OANDA's
#: published admin fee - 1.00 % on most pairs, 2.00 % on pairs with CZK, HUF, SAR, THB or ZAR, 4.00 % with
#: TRY ("funding rates ... adjusted by our x% admin fee (annualized)", policy_rates.md section 6), the one
#: published schedule with per-currency tiers (IG states "no more than 0.5 %", Saxo +/- 0.45 %)
DEFAULT_MARKUP = 1.0
DEFAULT_MARKUP_BY_CURRENCY = {"CZK": 2.0, "HUF": 2.0, "SAR": 2.0, "THB": 2.0, "ZAR": 2.0, "TRY": 4.0}
#: the year an annual rate is divided by when a profile publishes none: OANDA's "position value x
#: applicable funding rate x 1/365"
DEFAULT_DAY_COUNT = 365.0
#: EUR overnight rates sat near the ECB main refinancing rate until fixed-rate full allotment began on
#: 2008-10-15, near the deposit facility rate after (policy_rates.md section 4, EUR): the model reads
#: ``EUR_MRO`` up to this day and ``EUR`` (the DFR) from the next
EUR_MRO_UNTIL = np.datetime64("2008-10-14", "D")
FX_CLASSES = ("major", "minor", "exotic")
_SWAP_MODE_CODE = {"points": 0, "money": 1, "interest": 2}


def check_swap_source(swaps: str) -> str:
    """``swaps`` if it is one of ``SWAP_SOURCES``; ValueError naming them otherwise."""
    if swaps not in SWAP_SOURCES:
        raise ValueError(f"swaps {swaps!r}: expected one of {', '.join(SWAP_SOURCES)}")
    return swaps


def _legs(spec: Instrument) -> tuple[str | None, str]:
    """The currencies whose rates finance a position: (base, quote) for a currency pair; for any other
    symbol (None, profit currency) - its underlying earns no policy rate (an assumption, stated)."""
    if spec.asset_class in FX_CLASSES:
        return spec.base.upper(), spec.quote.upper()
    return None, spec.profit_currency.upper()


def swap_markup(terms: AccountTerms, spec: Instrument) -> tuple[float, str]:
    """The markup (percent per year) of the policy-rate model and where it comes from."""
    if terms.swap_markup is not None:
        return terms.swap_markup, f"{terms.swap_markup:g} %/yr ({terms.swap_markup_source or 'profile'})"
    base, quote = _legs(spec)
    m = max([DEFAULT_MARKUP] + [DEFAULT_MARKUP_BY_CURRENCY.get(c, 0.0) for c in (base, quote) if c])
    return m, f"{m:g} %/yr (default: OANDA admin fee; the profile publishes none)"


def swap_day_count(terms: AccountTerms) -> tuple[float, str]:
    if terms.swap_day_count is not None:
        return terms.swap_day_count, f"/{terms.swap_day_count:g} ({terms.swap_day_count_source or 'profile'})"
    return DEFAULT_DAY_COUNT, f"/{DEFAULT_DAY_COUNT:g} (default: OANDA; the profile publishes none)"


def swap_fee_booked(terms: AccountTerms) -> bool:
    """Whether a swap-free account's published fee is booked at rollovers (per night or triple night,
    in the account's own currency)."""
    return (terms.swap_free and terms.swap_free_fee is not None and terms.swap_free_fee_per in ("night", "triple_night")
            and terms.swap_free_fee_currency == currency(terms.currency).quote_code)


def swap_kernel_mode(terms: AccountTerms, symbol: str) -> int:
    """The kernel's swap unit for a symbol (``_layout.S_SWAP_MODE``): 0 points, 1 account money per lot
    (a swap-free fee, a 'money' table), 2 a fraction of the notional (an 'interest' table, the policy-rate
    model)."""
    if swap_fee_booked(terms):
        return 1
    sw = terms.swaps.get(symbol.upper())
    return 2 if sw is None else _SWAP_MODE_CODE[sw.mode]


def swap_source(terms: AccountTerms, symbol: str, spec: Instrument, swaps: str) -> str:
    """Which swap source a symbol uses in a run, in words (every result states it per symbol)."""
    check_swap_source(swaps)
    triple = terms.triple_day_for(spec.asset_class)
    if terms.swap_free:
        why = terms.swap_free_reason or "swap-free account"
        if terms.swap_free_fee is None:
            return f"none: {why}; no swap-free fee published"
        fee = f"{terms.swap_free_fee:g} {terms.swap_free_fee_currency} per lot per {terms.swap_free_fee_per}"
        if swap_fee_booked(terms):
            return f"swap-free fee {fee} ({why})"
        return f"none: {why}; its fee {fee} is not simulated (booked per trade or in another currency)"
    if swaps == "none":
        return "none (swaps='none')"
    sw = terms.swaps.get(symbol.upper())
    if sw is not None:
        return (f"published table: long {sw.long:g} / short {sw.short:g} {sw.mode} "
                f"({terms.swap_table_source or 'profile'}), x3 on {triple}")
    if swaps == "published":
        return "none: no published swap table (swaps='policy' derives them from policy rates)"
    base, quote = _legs(spec)
    missing = [c for c in (base, quote) if c and c not in _rate_currencies()]
    if missing:
        return f"none: no policy-rate series for {', '.join(missing)}"
    m_text = swap_markup(terms, spec)[1]
    dc_text = swap_day_count(terms)[1]
    legs = (f"{_rate_name(base)} - {_rate_name(quote)}" if base
            else f"0 (assumed: {spec.base} earns no policy rate) - {_rate_name(quote)}")
    return (f"policy rates {legs}, markup {m_text}, {dc_text}, x3 on {triple}; nights outside the rate file's "
            f"coverage book none")


def _rate_currencies() -> set[str]:
    from ..data.policy_rates import policy_rates

    return set(policy_rates())


def _rate_name(ccy: str | None) -> str:
    return "EUR (ECB MRO to 2008-10-14, deposit rate after)" if ccy == "EUR" else str(ccy)


def _rates_on(ccy: str, days: np.ndarray) -> np.ndarray:
    """Policy rate (percent) of ``ccy`` on each day (``datetime64[D]``); NaN outside the series."""
    from ..data.policy_rates import policy_rates

    series = policy_rates()

    def lookup(key: str) -> np.ndarray:
        ser = series[key]
        i = np.searchsorted(ser.dates, days, side="right") - 1
        r = ser.rates[np.maximum(i, 0)].astype(np.float64)
        return np.where((i < 0) | (days > ser.verified_through), np.nan, r)

    if ccy == "EUR":
        return np.where(days <= EUR_MRO_UNTIL, lookup("EUR_MRO"), lookup("EUR"))
    return lookup(ccy)


def swap_schedule(terms: AccountTerms, symbols: list[str], specs: dict[str, Instrument], start_ns: int,
                  end_ns: int, swaps: str) -> tuple[np.ndarray, np.ndarray]:
    """The rollovers in (start_ns, end_ns] and what each symbol books at each one, as the kernel reads them.

    Returns ``roll_t`` int64 (n,) UTC ns and ``roll_f`` float64 (n, 2 x symbols): per symbol its long then
    short swap per lot for that rollover, nights included (3 on its asset class's triple day), in the
    symbol's kernel unit (``swap_kernel_mode``): points, account money, or a fraction of the notional -
    for the policy-rate model (r_base - r_quote - markup) / 100 / day count x nights for a long and
    (r_quote - r_base - markup) / 100 / day count x nights for a short, with the rates in force on the
    server-local trading day the rollover ends; a night without a rate books nothing.
    """
    check_swap_source(swaps)
    utc, days, wd = rollover_days(start_ns, end_ns, terms.rollover_time, terms.server_timezone)
    n = utc.shape[0]
    out = np.zeros((n, 2 * len(symbols)))
    if n == 0:
        return utc, out
    day64 = days.astype("datetime64[D]")
    fee = swap_fee_booked(terms)
    for i, name in enumerate(symbols):
        spec = specs[name]
        triple = WEEKDAYS.index(terms.triple_day_for(spec.asset_class).lower())
        nights = np.where(wd == triple, 3.0, 1.0)
        if terms.swap_free:
            if fee:
                scale = float(1 / currency(terms.currency).unit_value)
                per = nights if terms.swap_free_fee_per == "night" else np.where(wd == triple, 1.0, 0.0)
                out[:, 2 * i] = out[:, 2 * i + 1] = -float(terms.swap_free_fee) * scale * per  # type: ignore[arg-type]
            continue
        if swaps == "none":
            continue
        sw = terms.swaps.get(name)
        if sw is not None:
            k = 1.0 / 100.0 / 360.0 if sw.mode == "interest" else 1.0
            out[:, 2 * i] = sw.long * k * nights
            out[:, 2 * i + 1] = sw.short * k * nights
            continue
        if swaps == "published":
            continue
        base, quote = _legs(spec)
        have = _rate_currencies()
        if (base is not None and base not in have) or quote not in have:
            continue
        rq = _rates_on(quote, day64)
        rb = _rates_on(base, day64) if base is not None else np.zeros(n)
        m = swap_markup(terms, spec)[0]
        dc = swap_day_count(terms)[0]
        out[:, 2 * i] = np.nan_to_num((rb - rq - m) / 100.0 / dc * nights)
        out[:, 2 * i + 1] = np.nan_to_num((rq - rb - m) / 100.0 / dc * nights)
    return utc, out


_IV_CACHE: dict[tuple, np.ndarray] = {}


def _window_intervals(terms: AccountTerms, i: int, start_ns: int, end_ns: int, calendar: tuple[int, ...]) -> np.ndarray:
    """One window's merged intervals, remembered for the last few spans: a comparison runs many
    accounts over the same data, and a long span's weekly windows cost a zone look-up each."""
    from ..brokers.hmr import hmr_intervals

    w = terms.hmr_windows[i]
    key = (w, start_ns, end_ns, calendar if w.trigger == "news" else ())
    iv = _IV_CACHE.get(key)
    if iv is None:
        iv = np.asarray(hmr_intervals(terms, start_ns, end_ns, calendar, window=i), dtype=np.int64).reshape(-1, 2)
        if len(_IV_CACHE) >= 32:
            _IV_CACHE.pop(next(iter(_IV_CACHE)))
        _IV_CACHE[key] = iv
    return iv


def hmr_schedule(terms: AccountTerms, start_ns: int, end_ns: int, calendar: Iterable[int],
                 order: list[str]) -> tuple[np.ndarray, np.ndarray, bool]:
    """The HMR windows (``leverlab.brokers.hmr``) as the kernel reads them.

    Returns ``hmr``, int64 (n, 3): elementary [start, end) intervals (no window starts or ends
    inside one) with, per row, the end of the new-position windows containing it (0: none), and
    ``hmr_cap``, float64 (n, 2 x symbols): per symbol the leverage cap on every open position while
    inside (windows that apply to all positions) and the cap given to a position opened inside
    (windows that apply to new positions) - each window with its own cap
    (``SymbolMargin.hmr_caps``, else ``hmr_cap``), the tightest where windows overlap; and whether
    any window applies to all open positions.
    """
    windows = terms.hmr_windows
    n_sym = len(order)
    all_positions = any(w.applies_to == "all_positions" for w in windows)
    if not windows:
        return np.zeros((0, 3), np.int64), np.zeros((0, 2 * n_sym)), all_positions
    cal = tuple(int(c) for c in calendar)
    ivs = [_window_intervals(terms, i, start_ns, end_ns, cal) for i in range(len(windows))]
    edges = np.unique(np.concatenate([iv.ravel() for iv in ivs] + [np.zeros(0, np.int64)]))
    if edges.shape[0] < 2:
        return np.zeros((0, 3), np.int64), np.zeros((0, 2 * n_sym)), all_positions
    lo, hi = edges[:-1], edges[1:]
    m = lo.shape[0]
    cap = np.full((m, 2 * n_sym), math.inf)
    new_until = np.zeros(m, np.int64)
    active = np.zeros(m, dtype=bool)
    for i, (w, iv) in enumerate(zip(windows, ivs)):
        if iv.shape[0] == 0:
            continue
        j = np.searchsorted(iv[:, 0], lo, side="right") - 1
        inside = (j >= 0) & (lo < iv[np.maximum(j, 0), 1])
        if not inside.any():
            continue
        active |= inside
        col0 = 0 if w.applies_to == "all_positions" else n_sym
        if col0:
            new_until = np.where(inside, np.maximum(new_until, iv[np.maximum(j, 0), 1]), new_until)
        for si, name in enumerate(order):
            sm = terms.symbols.get(name)
            if sm is None:
                continue
            c = sm.hmr_caps[i] if len(sm.hmr_caps) == len(windows) else sm.hmr_cap
            if c is None:
                continue
            cap[inside, col0 + si] = np.minimum(cap[inside, col0 + si], float(c))
    hmr = np.ascontiguousarray(np.stack([lo, hi, new_until], axis=1)[active], dtype=np.int64)
    return hmr, np.ascontiguousarray(cap[active]), all_positions


def cashback_times(start_ns: int, end_ns: int, schedule: str) -> np.ndarray:
    """Payment instants for scheduled cashback: each UTC midnight ('daily') or month start ('monthly')."""
    if schedule not in ("daily", "monthly"):
        return np.zeros(0, dtype=np.int64)
    d = from_ns(start_ns).date()
    last = from_ns(end_ns).date() + timedelta(days=32)
    out = []
    while d <= last:
        d = d + timedelta(days=1)
        if schedule == "daily" or d.day == 1:
            out.append(to_ns(datetime.combine(d, time(0, 0), tzinfo=timezone.utc)))
    return np.asarray(out, dtype=np.int64)
