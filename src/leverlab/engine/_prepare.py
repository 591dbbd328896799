"""Turning market data and account terms into the kernel's arrays.

A run's market is one merged quote stream: ticks as they are, bars expanded into the data
layer's four-vertex intrabar path (``leverlab.data.intrabar_path``: open, the extreme nearer the
open, the other extreme, close). Decision points are the closes of the primary
symbol's bars (or, on ticks, the last tick of each decision-timeframe bar).

The bid/ask each quote carries follows the run's spread mode (``SPREAD_MODES``): ``data`` keeps
the data's own bid and ask; ``broker`` rebuilds them from the data's mid +/- half the account
type's published typical spread, so every account pays its own spread while the market moves
alike. Both are applied here, before the kernel, which only ever sees a bid and an ask.

Data the engine cannot use (empty, unsorted, no pair to convert a currency) raises the data
layer's ``DataError``, the one error class for bad market data.
"""

from __future__ import annotations

import math
import sys
import threading
from dataclasses import dataclass, replace

import numpy as np
from numba import njit

from ..brokers.hmr import merge_intervals
from ..brokers.terms import AccountTerms, SpreadWindow
from ..conversion import conversion_path
from ..data.errors import DataError
from ..data.frames import TIMEFRAMES, Bars, Ticks
from ..instruments import CALC_MODE_CODE, Instrument, instrument
from ..money import currency
from ..times import NS
from . import _layout as L
from ._jit import jit
from ._schedule import rollover_days, swap_fee_booked, swap_kernel_mode


@dataclass
class Stream:
    """The merged quote stream of a run and its decision points."""

    time: np.ndarray  # int64
    sym: np.ndarray  # int64 symbol index
    bid: np.ndarray
    ask: np.ndarray
    flags: np.ndarray  # uint8
    decisions: np.ndarray  # int64 quote indices of decision points (primary symbol bar closes)
    bars: Bars  # the decision-timeframe bars of the primary symbol (what the strategy sees)


def _check_sorted(name: str, t: np.ndarray) -> None:
    if t.shape[0] == 0:
        raise DataError(f"{name}: no data")
    if t.shape[0] > 1:
        bad = np.flatnonzero(np.diff(t) < 0)
        if bad.size:
            i = int(bad[0])
            raise DataError(f"{name}: data not sorted by time: row {i + 1} ({t[i + 1]}) comes before row {i} ({t[i]})")


SPREAD_MODES = ("broker", "data", "data+markup")
"""``data``: the data's bid/ask (bid-only data without a spread column gets the account type's
typical spread as its ask - bid, else 0). ``broker``: mid +/- half the account type's published
typical spread. ``data+markup``: the data's own spread, quote by quote, plus the account's markup over a
stated reference - the markup the profile publishes (Pepperstone Standard: 1 pip over Razor), else the
account's typical spread minus the data's median spread (the reference: the data's median), never
below a zero spread."""


def check_spread_mode(mode: str) -> str:
    """``mode`` if it is one of ``SPREAD_MODES``; ValueError naming them otherwise."""
    if mode not in SPREAD_MODES:
        raise ValueError(f"spread mode {mode!r}: expected one of {', '.join(SPREAD_MODES)}")
    return mode


def data_spread_points(data: Bars | Ticks, point: float) -> np.ndarray | None:
    """The data's own spread in points at each quote (bar closes for bars); None for bid-only bars
    without a spread column."""
    if isinstance(data, Ticks):
        return (np.asarray(data.ask, dtype=np.float64) - np.asarray(data.bid, dtype=np.float64)) / point
    if data.two_sided:
        return (np.asarray(data.ask_close, dtype=np.float64) - np.asarray(data.bid_close, dtype=np.float64)) / point
    if data.spread is not None:
        return np.asarray(data.spread, dtype=np.float64)
    return None


def spread_origin(mode: str, terms: AccountTerms | None, spec: Instrument, data: Bars | Ticks) -> tuple[float, str]:
    """The spread a symbol is simulated with under ``mode``: (points, where it comes from).

    ``broker``: the account type's published typical spread, described as
    "broker 0.95 pips (<source>, <confidence>)"; DataError naming the account and the symbol when
    the profile publishes none (a silent 0 would make the account look free). ``data``: NaN
    points (the data's own) and "data"; for bid-only data without a spread column, the account's
    typical spread ("broker ... (bid-only data)") or 0 ("none (bid-only data): 0").
    ``data+markup``: the markup in points added to the data's spread and how it was found; DataError
    when the data has no spread of its own or the account publishes neither a markup nor a typical spread.
    """
    check_spread_mode(mode)
    fig = terms.typical_spread(spec.symbol, spec.asset_class) if terms is not None else None
    who = f"{terms.broker}/{terms.account_type}" if terms is not None else "a run without account terms"
    if mode == "broker":
        if fig is None:
            raise DataError(f"{who} publishes no typical spread for {spec.symbol}: spread mode 'broker' cannot "
                            f"price it; use spread='data'")
        return fig[0], f"broker {fig[1]}"
    if mode == "data+markup":
        sp = data_spread_points(data, spec.point)
        if sp is None:
            raise DataError(f"{spec.symbol}: the data has no spread of its own (bid-only, no spread column): spread "
                            f"mode 'data+markup' cannot add a markup to it; use spread='broker'")
        per_pip = spec.pip_size / spec.point
        if terms is not None and terms.spread_markup_pips is not None:
            return terms.spread_markup_pips * per_pip, f"data + {terms.spread_markup_source}"
        if fig is None:
            raise DataError(f"{who} publishes neither a spread markup nor a typical spread for {spec.symbol}: spread "
                            f"mode 'data+markup' cannot price it; use spread='data'")
        finite = sp[np.isfinite(sp)]
        median = float(np.median(finite)) if finite.size else 0.0
        pts = fig[0] - median
        return pts, (f"data {pts / per_pip:+.2f} pips: typical {fig[0] / per_pip:g} pips ({fig[1]}) over the "
                     f"reference, the data's median spread {median / per_pip:.2f} pips")
    if isinstance(data, Ticks) or data.two_sided or data.spread is not None:
        return math.nan, "data"
    if fig is None:
        return 0.0, "none (bid-only data, no published spread): 0"
    return fig[0], f"broker {fig[1]} (bid-only data)"


def markup_bars(bars: Bars, markup_points: float, point: float) -> Bars:
    """``bars`` with each OHLC column's spread (two-sided, or the spread column) widened by ``markup_points``
    around the column's mid, never below zero."""
    cols = ("open", "high", "low", "close")
    bids = [np.asarray(getattr(bars, f"bid_{c}"), dtype=np.float64) for c in cols]
    if bars.two_sided:
        asks = [np.asarray(getattr(bars, f"ask_{name}"), dtype=np.float64) for name in cols]
    else:
        sp = np.asarray(bars.spread, dtype=np.float64) * point
        asks = [b + sp for b in bids]
    mids = [0.5 * (a + b) for a, b in zip(asks, bids)]
    halves = [0.5 * np.maximum(a - b + markup_points * point, 0.0) for a, b in zip(asks, bids)]
    (o, h, lo, c), (ho, hh, hl, hc) = mids, halves
    return replace(bars, spread=None, bid_open=o - ho, bid_high=h - hh, bid_low=lo - hl, bid_close=c - hc,
                   ask_open=o + ho, ask_high=h + hh, ask_low=lo + hl, ask_close=c + hc)


def broker_bars(bars: Bars, spread_points: float, point: float) -> Bars:
    """``bars`` with each OHLC column's bid and ask rebuilt as the data's mid -/+ half ``spread_points``.

    The mid is (bid + ask) / 2 of the same column for two-sided bars, bid + spread / 2 with a
    spread column; bid-only bars without one have no mid, so their bid is kept and the ask is
    bid + the spread (the rule for such data in every mode).
    """
    half = 0.5 * spread_points * point
    cols = ("open", "high", "low", "close")
    bids = [np.asarray(getattr(bars, f"bid_{c}"), dtype=np.float64) for c in cols]
    if bars.two_sided:
        mids = [0.5 * (b + np.asarray(getattr(bars, f"ask_{c}"), dtype=np.float64)) for b, c in zip(bids, cols)]
    elif bars.spread is not None:
        sp = np.asarray(bars.spread, dtype=np.float64) * point
        mids = [b + 0.5 * sp for b in bids]
    else:
        mids = [b + half for b in bids]
    o, h, lo, c = mids
    return replace(bars, spread=None, bid_open=o - half, bid_high=h - half, bid_low=lo - half, bid_close=c - half,
                   ask_open=o + half, ask_high=h + half, ask_low=lo + half, ask_close=c + half)


def bar_path(bars: Bars, spread_points: float, point: float) -> tuple[np.ndarray, ...]:
    """The data layer's four-vertex intrabar path (open, nearer extreme, other extreme, close) with
    the kernel's flags: the open is a gap from the previous bar, the rest is continuous. In pooled
    arrays (``_pooled``): a stream's arrays are reused once nothing refers to them."""
    from ..data.resample import intrabar_path

    n = len(bars)
    time, bid, ask, flags = _pooled(4 * n, ("int64", "float64", "float64", "uint8"))
    if bars.two_sided or bars.spread is not None:
        intrabar_path(bars, point=point, out=(time, bid, ask))
    else:
        intrabar_path(bars, point=point, spread=spread_points, out=(time, bid, ask))
    pattern = np.array((L.F_OPEN, L.F_CONT, L.F_CONT, L.F_CONT | L.F_CLOSE), dtype=np.uint8)
    flags.view(np.uint32)[:] = pattern.view(np.uint32)[0]  # four flags at a time (4.5 ms -> 0.1 ms at 1M bars)
    return time, bid, ask, flags


@njit(cache=True, nogil=True)
def _count_buckets(t, tf: int):
    """The first unsorted row (-1: sorted) and the number of timeframe buckets of sorted times."""
    n = t.shape[0]
    for i in range(1, n):
        if t[i] < t[i - 1]:
            return i, 0
    m = 1  # buckets: a new one wherever a tick reaches the end of the current one (sorted times)
    edge = (t[0] // tf + 1) * tf
    for i in range(1, n):
        if t[i] >= edge:
            m += 1
            edge = (t[i] // tf + 1) * tf
    return -1, m


@njit(cache=True, nogil=True)
def _bucket_ohlc(bid, ask, first: int, i: int, j: int, ohlc) -> None:
    """Bid and ask OHLC of ticks first..i into column j (max/min propagate NaN as ``np.maximum`` does)."""
    bh = bl = bid[first]
    ah = al = ask[first]
    nan = False
    for k in range(first + 1, i + 1):
        b = bid[k]
        a = ask[k]
        bh = b if b > bh else bh
        bl = b if b < bl else bl
        ah = a if a > ah else ah
        al = a if a < al else al
        nan = nan or b != b or a != a
    if nan:  # a NaN in the bucket: NaN extremes, as np.maximum / np.minimum give
        for k in range(first, i + 1):
            if bid[k] != bid[k]:
                bh = bl = math.nan
            if ask[k] != ask[k]:
                ah = al = math.nan
    ohlc[0, j] = bid[first]
    ohlc[1, j] = bh
    ohlc[2, j] = bl
    ohlc[3, j] = bid[i]
    ohlc[4, j] = ask[first]
    ohlc[5, j] = ah
    ohlc[6, j] = al
    ohlc[7, j] = ask[i]


@njit(cache=True, nogil=True, inline="always")
def _half_set(sp: float, k: float, add: float) -> float:
    """Half the spread of kind 1 (set to ``sp``, broker mode), times ``k`` plus ``add`` (widening)."""
    return 0.5 * sp * k + 0.5 * add if (k != 1.0 or add != 0.0) else 0.5 * sp


@njit(cache=True, nogil=True, inline="always")
def _half_marked(b: float, a: float, sp: float, k: float, add: float) -> float:
    """Half the spread of kind 2 (the quote's plus ``sp``, never below zero), times ``k`` plus ``add``."""
    return 0.5 * max(a - b + sp, 0.0) * k + 0.5 * add


@njit(cache=True, nogil=True, inline="always")
def _half_data(b: float, a: float, k: float, add: float) -> float:
    """Half the spread of kind 0 (the quote's own) inside a widening window: times ``k`` plus ``add``."""
    return 0.5 * (a - b) * k + 0.5 * add


@njit(cache=True, nogil=True, inline="always")
def _window_at(t: int, j: int, lo, hi, mult, add, t_end: int):
    """The widening rule at time ``t``, looked up from window ``j`` on: (window pointer, the time the rule
    holds until, multiplier, add); outside every window x1 + 0 until the next one (``t_end`` after the last)."""
    m = lo.shape[0]
    while j < m and hi[j] <= t:
        j += 1
    if j < m and lo[j] <= t:
        return j, hi[j], mult[j], add[j]
    return j, (lo[j] if j < m else t_end), 1.0, 0.0


@njit(cache=True, nogil=True)
def _fill_quotes(bid, ask, kind: int, sp: float, k: float, add: float, out_bid, out_ask, i0: int, i1: int) -> None:
    """Quotes i0..i1-1 with one spread rule: the data's (kind 0), ``sp`` (1) or the data's + ``sp`` (2), then
    times ``k`` plus ``add``, around each quote's mid (one tight loop per rule, so it vectorizes)."""
    if kind == 0 and k == 1.0 and add == 0.0:
        for i in range(i0, i1):
            out_bid[i] = bid[i]
            out_ask[i] = ask[i]
    elif kind == 1:
        half = _half_set(sp, k, add)
        for i in range(i0, i1):
            mid = 0.5 * (bid[i] + ask[i])
            out_bid[i] = mid - half
            out_ask[i] = mid + half
    elif kind == 2:
        for i in range(i0, i1):
            b = bid[i]
            a = ask[i]
            mid = 0.5 * (b + a)
            half = _half_marked(b, a, sp, k, add)
            out_bid[i] = mid - half
            out_ask[i] = mid + half
    else:
        for i in range(i0, i1):
            b = bid[i]
            a = ask[i]
            mid = 0.5 * (b + a)
            half = _half_data(b, a, k, add)
            out_bid[i] = mid - half
            out_ask[i] = mid + half


@njit(cache=True, nogil=True)
def _quote_range(time, bid, ask, kind: int, sp: float, lo, hi, mult, add, out_bid, out_ask, i0: int, i1: int,
                 j: int) -> int:
    """Quotes i0..i1-1 as the account's platform shows them (``_quotes``), from window ``j`` on, run by run
    between window edges; returns the window pointer for the next range."""
    i = i0
    while i < i1:
        j, edge, k, ad = _window_at(time[i], j, lo, hi, mult, add, time[i1 - 1] + 1)
        e = i + 1
        while e < i1 and time[e] < edge:
            e += 1
        _fill_quotes(bid, ask, kind, sp, k, ad, out_bid, out_ask, i, e)
        i = e
    return j


@njit(cache=True, nogil=True)
def _quotes(time, bid, ask, kind: int, sp: float, lo, hi, mult, add, out_bid, out_ask) -> None:
    """One symbol's quotes as the account's platform shows them, in one pass (``out_*`` may be ``bid``/``ask``):
    ``kind`` 0 keeps the data's spread, 1 sets it to ``sp`` (broker mode), 2 adds ``sp`` to it, never below
    zero (data+markup); inside an interval [lo, hi) the spread is then times ``mult`` plus ``add`` (widening),
    always around the quote's mid. Times and intervals ascend."""
    _quote_range(time, bid, ask, kind, sp, lo, hi, mult, add, out_bid, out_ask, 0, time.shape[0], 0)


@njit(cache=True, nogil=True)
def _tick_bars(t, tf: int, bid, ask):
    """One pass over ticks: the first unsorted row (-1: sorted), each bucket's last tick, and the bid
    and ask OHLC of every bucket (max/min propagate NaN as ``np.maximum``/``np.minimum`` do)."""
    n = t.shape[0]
    bad, m = _count_buckets(t, tf)
    if bad >= 0:
        return bad, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((8, 0))
    last = np.empty(m, np.int64)
    btime = np.empty(m, np.int64)
    ohlc = np.empty((8, m))
    j = 0
    first = 0
    start = (t[0] // tf) * tf
    edge = start + tf
    for i in range(n):
        if i == n - 1 or t[i + 1] >= edge:
            last[j] = i
            btime[j] = start
            _bucket_ohlc(bid, ask, first, i, j, ohlc)
            j += 1
            first = i + 1
            if i < n - 1:
                start = (t[i + 1] // tf) * tf
                edge = start + tf
    return -1, last, btime, ohlc


@jit
def _rebuild_bars(t, tf: int, bid, ask, kind: int, sp: float, lo, hi, mult, add, out_bid, out_ask, last, btime,
                  ohlc) -> None:
    """The account's quotes and the strategy's bars in one fused pass over sorted ticks, without temporaries:
    each tick's bid/ask rebuilt into ``out_*`` exactly as ``_quotes`` does (same expressions, so the same
    bits), and the bucket's last tick, start time and bid/ask OHLC (``_bucket_ohlc``'s rules, NaN included)
    updated from the rebuilt quote on the way. ``last``/``btime``/``ohlc`` are sized by ``_count_buckets``."""
    n = t.shape[0]
    j = 0  # window pointer
    wedge = t[0]  # the time from which the spread rule must be looked up again
    k = 1.0
    ad = 0.0
    half1 = 0.5 * sp
    copy = kind == 0
    nb = 0  # buckets closed so far
    first = 0  # the current bucket's first tick
    start = (t[0] // tf) * tf
    edge = start + tf
    bo = bh = bl = ao = ah = al = 0.0
    nan_b = nan_a = False
    for i in range(n):
        if t[i] >= wedge:  # entering or leaving a widening window: the rule of the run from here
            j, wedge, k, ad = _window_at(t[i], j, lo, hi, mult, add, t[n - 1] + 1)
            half1 = _half_set(sp, k, ad)
            copy = kind == 0 and k == 1.0 and ad == 0.0
        b = bid[i]
        a = ask[i]
        if copy:
            ob = b
            oa = a
        else:
            mid = 0.5 * (b + a)
            if kind == 1:
                half = half1
            elif kind == 2:
                half = _half_marked(b, a, sp, k, ad)
            else:
                half = _half_data(b, a, k, ad)
            ob = mid - half
            oa = mid + half
        out_bid[i] = ob
        out_ask[i] = oa
        if i == first:
            bo = bh = bl = ob
            ao = ah = al = oa
            nan_b = ob != ob
            nan_a = oa != oa
        else:
            bh = ob if ob > bh else bh
            bl = ob if ob < bl else bl
            ah = oa if oa > ah else ah
            al = oa if oa < al else al
            nan_b = nan_b or ob != ob
            nan_a = nan_a or oa != oa
        if i == n - 1 or t[i + 1] >= edge:  # the bucket's last tick: close it
            last[nb] = i
            btime[nb] = start
            ohlc[0, nb] = bo
            ohlc[1, nb] = math.nan if nan_b else bh
            ohlc[2, nb] = math.nan if nan_b else bl
            ohlc[3, nb] = ob
            ohlc[4, nb] = ao
            ohlc[5, nb] = math.nan if nan_a else ah
            ohlc[6, nb] = math.nan if nan_a else al
            ohlc[7, nb] = oa
            nb += 1
            first = i + 1
            if i < n - 1:
                start = (t[i + 1] // tf) * tf
                edge = start + tf


def ticks_to_bars(ticks: Ticks, timeframe: str, rebuild: tuple | None = None) -> tuple[Bars, np.ndarray]:
    """Bid OHLC bars of a timeframe from ticks, and the index of each bar's last tick (one compiled
    pass; also checks the ticks are sorted by time). ``rebuild`` = (kind, spread, lo, hi, mult, add,
    out_bid, out_ask): one fused pass (``_rebuild_bars``) rebuilds the quotes into ``out_*`` as ``_quotes``
    does and takes the bars from the rebuilt quotes, with no temporaries."""
    tf = TIMEFRAMES[timeframe]
    t = np.ascontiguousarray(ticks.time, dtype=np.int64)
    if t.shape[0] == 0:
        raise DataError(f"{ticks.symbol}: no data")
    bid = np.ascontiguousarray(ticks.bid, dtype=np.float64)
    ask = np.ascontiguousarray(ticks.ask, dtype=np.float64)
    if rebuild is None:
        bad, last, btime, ohlc = _tick_bars(t, int(tf), bid, ask)
    else:  # the bucket count (and the sort check) first, then one fused pass writes quotes and bars
        bad, m = _count_buckets(t, int(tf))
        last = btime = np.zeros(0, np.int64)
        ohlc = np.zeros((8, 0))
        if bad < 0:
            last, btime, ohlc = np.empty(m, np.int64), np.empty(m, np.int64), np.empty((8, m))
            kind, sp, lo, hi, mult, add, out_bid, out_ask = rebuild
            _rebuild_bars(t, int(tf), bid, ask, kind, sp, lo, hi, mult, add, out_bid, out_ask, last, btime, ohlc)
    if bad >= 0:
        raise DataError(f"{ticks.symbol}: data not sorted by time: row {bad} ({t[bad]}) comes before row {bad - 1} "
                        f"({t[bad - 1]})")
    bars = Bars(symbol=ticks.symbol, timeframe=timeframe, time=btime, bid_open=ohlc[0], bid_high=ohlc[1],
                bid_low=ohlc[2], bid_close=ohlc[3], ask_open=ohlc[4], ask_high=ohlc[5], ask_low=ohlc[6],
                ask_close=ohlc[7], source=ticks.source)
    return bars, last


_POOLS: dict[tuple[str, ...], list[tuple[np.ndarray, ...]]] = {}
_POOL_LOCK = threading.Lock()
_POOL_MAX = 1 << 23
"""The longest arrays the pool keeps (8M points: a 2M-bar stream); longer ones are left to the allocator."""


def _free_refs() -> int:
    """What ``sys.getrefcount`` reads, in ``_pooled``'s test, for an array nothing else holds: measured
    on this interpreter rather than assumed (newer CPython versions borrow some references)."""
    sets = [(np.empty(1),)]
    for arrays in sets:
        return max(sys.getrefcount(a) for a in arrays)
    raise AssertionError


_FREE = _free_refs()


def _pooled(n: int, dtypes: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """Arrays of ``n`` of each of ``dtypes``: views of a set no earlier stream still uses (only this pool
    refers to it), else a new set (the pool keeps the two last of each kind, up to ``_POOL_MAX`` long).
    A comparison or a sweep runs many accounts over the same data; reusing the memory saves touching
    fresh pages on every run."""
    with _POOL_LOCK:  # the views are taken before another thread can see the set as free
        pool = _POOLS.setdefault(dtypes, [])
        for k, arrays in enumerate(pool):
            # references: the pool's tuple, the generator's name, getrefcount's argument - and nothing else
            if arrays[0].shape[0] >= n and all(sys.getrefcount(a) <= _FREE for a in arrays):
                pool.append(pool.pop(k))
                return tuple(a[:n] for a in arrays)
        fresh = tuple(np.empty(n, dtype=d) for d in dtypes)
        if n <= _POOL_MAX:
            pool.append(fresh)
            if len(pool) > 2:
                pool.pop(0)
        return tuple(a[:n] for a in fresh)


#: spread widening where a profile publishes none (the engine's documented defaults, marked assumed): three
#: times the spread - AvaTrade's "FX spreads can widen up to 3x", the one published multiplier found (costs.md)
#: - from 5 minutes before to 30 minutes after the daily rollover, and from 2 minutes before to 5 minutes
#: after a high-impact calendar event (windows assumed: no broker in costs.md publishes one)
DEFAULT_WIDENING = (
    SpreadWindow("rollover", "times", 3.0, 5.0, 30.0,
                 source="default, assumed: x3 (AvaTrade's published 'up to 3x') from 5 min before to 30 min after"),
    SpreadWindow("news", "times", 3.0, 2.0, 5.0,
                 source="default, assumed: x3 (AvaTrade's published 'up to 3x') from 2 min before to 5 min after"),
)


def widening_windows(terms: AccountTerms | None) -> tuple[SpreadWindow, ...]:
    """The widening windows a run simulates: the profile's per kind (a published figure without its window
    takes the default window of its kind), the documented default for a kind it leaves out."""
    published = terms.spread_widening if terms is not None else ()
    out = []
    for d in DEFAULT_WIDENING:
        mine = [w for w in published if w.kind == d.kind]
        if not mine:
            out.append(d)
        for w in mine:
            out.append(replace(w, minutes_before=d.minutes_before if w.minutes_before < 0 else w.minutes_before,
                               minutes_after=d.minutes_after if w.minutes_after < 0 else w.minutes_after))
    return tuple(out)


def widening_sources(terms: AccountTerms | None) -> dict[str, str]:
    """Each widening window in words, by kind (what a result states)."""
    out: dict[str, str] = {}
    for w in widening_windows(terms):
        on = ", ".join(w.symbols + w.asset_classes) or "every symbol"
        text = f"{w.source}; -{w.minutes_before:g}/+{w.minutes_after:g} min, on {on}"
        out[w.kind] = f"{out[w.kind]}; {text}" if w.kind in out else text
    return out


def widening_table(terms: AccountTerms | None, order: list[str], specs: dict[str, Instrument], t0: int, t1: int,
                   calendar: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Elementary [lo, hi) intervals (no window starts or ends inside one) of the windows that reach
    [t0, t1], with per symbol the spread multiplier and the points added there (the largest of
    overlapping windows)."""
    per_win = []
    for w in widening_windows(terms):
        before, after = int(w.minutes_before * 60 * NS), int(w.minutes_after * 60 * NS)
        if w.kind == "rollover":
            if terms is None:
                continue
            at, _, _ = rollover_days(t0 - after - 1, t1 + before, terms.rollover_time, terms.server_timezone)
        else:
            at = np.asarray([c for c in calendar if t0 - after <= c <= t1 + before], dtype=np.int64)
        if at.shape[0]:
            per_win.append((w, merge_intervals(np.stack([at - before, at + after], axis=1))))
    n_sym = len(order)
    if not per_win:
        z = np.zeros(0, np.int64)
        return z, z, np.ones((0, n_sym)), np.zeros((0, n_sym))
    edges = np.unique(np.concatenate([iv.ravel() for _, iv in per_win]))
    lo, hi = edges[:-1], edges[1:]
    mult = np.ones((lo.shape[0], n_sym))
    add = np.zeros((lo.shape[0], n_sym))
    active = np.zeros(lo.shape[0], dtype=bool)
    for w, iv in per_win:
        j = np.searchsorted(iv[:, 0], lo, side="right") - 1
        inside = (j >= 0) & (lo < iv[np.maximum(j, 0), 1])
        active |= inside
        for si, name in enumerate(order):
            spec = specs[name]
            if not w.applies(name, spec.asset_class):
                continue
            if w.unit == "times":
                mult[inside, si] = np.maximum(mult[inside, si], w.value)
            else:
                add[inside, si] = np.maximum(add[inside, si], w.value * spec.pip_size)
    return (np.ascontiguousarray(lo[active]), np.ascontiguousarray(hi[active]), np.ascontiguousarray(mult[active]),
            np.ascontiguousarray(add[active]))


_ZEROS = np.zeros(0, np.int64)


def _symbol_column(n: int, si: int) -> np.ndarray:
    """The symbol index column of ``n`` quotes of symbol ``si``. Symbol 0's is a view of one shared zero
    array (the kernel only reads it): a run or a streamed chunk of one symbol need not fill a fresh one."""
    global _ZEROS
    if si != 0:
        return np.full(n, si, dtype=np.int64)
    if _ZEROS.shape[0] < n:
        _ZEROS = np.zeros(max(n, 2 * _ZEROS.shape[0]), np.int64)
    return _ZEROS[:n]


def build_stream(feeds: dict[str, Bars | Ticks], order: list[str], terms: AccountTerms | None,
                 specs: dict[str, Instrument], timeframe: str, spread: str = "data", widening: bool = False,
                 calendar: tuple[int, ...] = ()) -> Stream:
    """Merge every symbol's quotes into one time-ordered stream; decisions on ``order[0]``.

    ``spread`` is the run's spread mode (``SPREAD_MODES``): under ``broker`` every symbol's bid/ask
    is rebuilt around the data's mid with the account's typical spread (``spread_origin``).
    ``widening``: spreads widen in the windows of ``widening_windows`` around the broker's rollovers and
    the ``calendar``'s events (int ns): one compiled pass per symbol with the account's spread on ticks,
    in place on the bar paths.
    The strategy sees the quotes as rebuilt, as this account's platform would show them."""
    check_spread_mode(spread)
    parts = []
    primary = order[0]
    decision_bars: Bars | None = None
    lo = hi = np.zeros(0, np.int64)
    mult = add = np.zeros((0, len(order)))
    if widening:
        spans = [np.asarray(feeds[n].time, dtype=np.int64) for n in order]
        spans = [t for t in spans if t.shape[0]]
        if spans:
            lo, hi, mult, add = widening_table(terms, order, specs, min(int(t[0]) for t in spans),
                                               max(int(t[-1]) for t in spans), calendar)
    for si, name in enumerate(order):
        d = feeds[name]
        point = specs[name].point
        if not (isinstance(d, Ticks) and name == primary):  # the primary's ticks are checked in ticks_to_bars
            _check_sorted(name, np.asarray(d.time))
        pts = spread_origin(spread, terms, specs[name], d)[0]
        widen = lo.shape[0] > 0 and bool(np.any(mult[:, si] != 1.0) or np.any(add[:, si] != 0.0))
        m_col, a_col = np.ascontiguousarray(mult[:, si]), np.ascontiguousarray(add[:, si])
        rebuild = None
        if isinstance(d, Ticks):
            kind = {"broker": 1, "data+markup": 2}.get(spread, 0)
            if kind or widen:  # one compiled pass: the account's spread, then any widening
                time = np.asarray(d.time, dtype=np.int64)
                bid, ask = _pooled(time.shape[0], ("float64", "float64"))
                rebuild = (kind, pts * point if kind else 0.0, lo, hi, m_col, a_col, bid, ask)
                if name != primary:
                    _quotes(time, np.asarray(d.bid, dtype=np.float64), np.asarray(d.ask, dtype=np.float64),
                            *rebuild)
        elif spread == "broker":
            d = broker_bars(d, pts, point)
        elif spread == "data+markup":
            d = markup_bars(d, pts, point)
        if spread == "data+markup":
            pts = math.nan
        if isinstance(d, Bars):
            time, bid, ask, flags = bar_path(d, 0.0 if math.isnan(pts) else pts, point)
            if widen:  # the path's own arrays, widened in place
                _quotes(time, bid, ask, 0, 0.0, lo, hi, m_col, a_col, bid, ask)
            if name != primary:
                flags = flags & np.uint8(~L.F_CLOSE & 0xFF)
            else:
                decision_bars = d
        elif isinstance(d, Ticks):
            time = np.asarray(d.time, dtype=np.int64)
            if rebuild is None:
                bid = np.asarray(d.bid, dtype=np.float64)
                ask = np.asarray(d.ask, dtype=np.float64)
            flags = np.zeros(time.shape[0], dtype=np.uint8)
            if name == primary:
                decision_bars, last = ticks_to_bars(d, timeframe, rebuild)  # rebuilds the quotes on the way
                flags[last] = L.F_CLOSE
        else:
            raise DataError(f"{name}: expected Bars or Ticks, got {type(d).__name__}")
        parts.append((time, _symbol_column(time.shape[0], si), bid, ask, flags))
    if len(parts) == 1:
        time, sym, bid, ask, flags = parts[0]
    else:
        time = np.concatenate([p[0] for p in parts])
        perm = np.argsort(time, kind="stable")
        time = time[perm]
        sym, bid, ask, flags = (np.concatenate([p[k] for p in parts])[perm] for k in (1, 2, 3, 4))
    assert decision_bars is not None
    if len(parts) == 1 and isinstance(feeds[primary], Bars):  # every fourth point closes a bar
        decisions = np.arange(3, time.shape[0], 4, dtype=np.int64)
    else:
        decisions = np.flatnonzero((flags & L.F_CLOSE) != 0).astype(np.int64)
    return Stream(np.ascontiguousarray(time), np.ascontiguousarray(sym), np.ascontiguousarray(bid),
                  np.ascontiguousarray(ask), np.ascontiguousarray(flags), decisions, decision_bars)


def _legs(from_ccy: str, to_ccy: str, order: list[str], what: str, symbol: str) -> list[float]:
    try:
        path = conversion_path(from_ccy, to_ccy, order)
    except ValueError as exc:
        raise DataError(f"{symbol}: cannot convert its {what} currency to the account currency: {exc}. "
                        f"Pass the needed pair's prices in the data.") from None
    out = [-1.0, 0.0, -1.0, 0.0]
    for n, leg in enumerate(path):
        out[2 * n] = float(order.index(leg.pair))
        out[2 * n + 1] = 1.0 if leg.invert else 0.0
    return out


def cost_params(terms: AccountTerms, p: np.ndarray) -> None:
    """Write the terms' costs into the kernel's parameter slots - the commission: per lot per side
    (``P_COMMISSION``) or per unit of notional traded (``P_COMM_NOTIONAL``), and the sides booked at
    the open and at the close (``P_COMM_OPEN`` / ``P_COMM_CLOSE``); whether swaps are skipped; whether closing
    a hedge leg needs margin (``P_HEDGE_CLOSE``)."""
    if terms.commission_notional > 0:
        p[L.P_COMMISSION] = 0.0
        p[L.P_COMM_NOTIONAL] = terms.commission_per_lot_side / terms.commission_notional
    else:
        p[L.P_COMMISSION] = terms.commission_per_lot_side
        p[L.P_COMM_NOTIONAL] = 0.0
    p[L.P_COMM_OPEN], p[L.P_COMM_CLOSE] = (float(x) for x in terms.commission_sides)
    p[L.P_HEDGE_CLOSE] = 1.0 if terms.hedge_close_needs_margin else 0.0
    # a swap-free account books its published fee where the swaps would be (``swap_schedule``)
    p[L.P_SWAP_FREE] = 1.0 if terms.swap_free and not swap_fee_booked(terms) else 0.0


def symbol_table(order: list[str], specs: dict[str, Instrument], terms: AccountTerms,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The per-symbol float table and the equity-band tables (floors, leverages)."""
    acc = currency(terms.currency).quote_code
    nb = max([len(terms.symbols[s].band_floor) for s in order if s in terms.symbols] + [1])
    sym_f = np.zeros((len(order), L.N_SYM))
    band_floor = np.zeros((len(order), nb))
    band_lev = np.full((len(order), nb), math.inf)
    for i, name in enumerate(order):
        spec = specs[name]
        sym_f[i, L.S_CS] = spec.contract_size
        sym_f[i, L.S_MODE] = CALC_MODE_CODE[spec.calc_mode]
        sym_f[i, L.S_MRATE] = spec.margin_rate
        sym_f[i, L.S_POINT] = spec.point
        sym_f[i, L.S_MIN_LOT] = spec.min_lot
        sym_f[i, L.S_LOT_STEP] = spec.lot_step
        sym_f[i, L.S_MAX_LOT] = min(spec.max_lot, terms.max_lots or math.inf)
        sm = terms.symbols.get(name)
        if sm is None:  # a conversion-only symbol: never traded
            sym_f[i, L.S_STATIC_CAP] = terms.selected_leverage
            sym_f[i, L.S_FIXED_RATE] = math.nan
            sym_f[i, L.S_HMR_CAP] = math.inf
        else:
            sym_f[i, L.S_STATIC_CAP] = sm.static_cap
            sym_f[i, L.S_FIXED_RATE] = math.nan if sm.fixed_margin_rate is None else sm.fixed_margin_rate
            sym_f[i, L.S_HMR_CAP] = math.inf if sm.hmr_cap is None else sm.hmr_cap
            sym_f[i, L.S_BANDS_REPRICE] = 1.0 if sm.bands_reprice_open else 0.0
            sym_f[i, L.S_N_BANDS] = len(sm.band_floor)
            for b, (fl, lv) in enumerate(zip(sm.band_floor, sm.band_leverage)):
                band_floor[i, b] = fl
                band_lev[i, b] = lv
        sym_f[i, L.S_HEDGE] = terms.hedge_factor_for(spec.asset_class)
        sw = terms.swaps.get(name)
        if sw is not None:  # the published figures, for reading; the kernel books ``roll_f`` (``swap_schedule``)
            sym_f[i, L.S_SWAP_LONG] = sw.long
            sym_f[i, L.S_SWAP_SHORT] = sw.short
        sym_f[i, L.S_SWAP_MODE] = swap_kernel_mode(terms, name)
        if sm is not None:
            sym_f[i, L.S_M1_SYM:L.S_M2_INV + 1] = _legs(spec.margin_currency, acc, order, "margin", name)
            sym_f[i, L.S_P1_SYM:L.S_P2_INV + 1] = _legs(spec.profit_currency, acc, order, "profit", name)
            if terms.commission_per_lot_side and not terms.commission_notional > 0:
                sym_f[i, L.S_C1_SYM:L.S_C2_INV + 1] = _legs(terms.commission_currency, acc, order, "commission",
                                                           name)
            else:
                sym_f[i, L.S_C1_SYM:L.S_C2_INV + 1] = [-1.0, 0.0, -1.0, 0.0]
        else:
            for col in (L.S_M1_SYM, L.S_M2_SYM, L.S_P1_SYM, L.S_P2_SYM, L.S_C1_SYM, L.S_C2_SYM):
                sym_f[i, col] = -1.0
    return sym_f, band_floor, band_lev


def spec_for(symbol: str, terms: AccountTerms | None, overrides: dict[str, Instrument] | None) -> Instrument:
    """The instrument spec used for a symbol: an explicit override, else the account's
    (``AccountTerms.instrument``: the account type's lot, e.g. 1,000 units on XM Micro and cent
    accounts), else the catalog's."""
    if overrides and symbol in overrides:
        return overrides[symbol]
    if terms is not None:
        return terms.instrument(symbol)
    return instrument(symbol)
