"""Resampling: ticks -> bid/ask OHLC bars of any timeframe, bars -> coarser bars, and bars -> an
intrabar price path for simulation.

Bars are labelled by their UTC open time ``floor((t - origin) / tf) * tf + origin`` (origin 0 =
UTC midnight; pass ``origin`` in ns for e.g. a 22:00 UTC daily roll). Only bars that hold data are
emitted (no empty bars over weekends or holes). A tick bar's ``volume`` is the sum of bid and ask
volumes when the ticks carry volumes, else the tick count (MetaTrader's "tick volume").

Intrabar path (MetaTrader's "1 minute OHLC" idea): each bar becomes four points, O, then whichever
of H and L is nearer to O, then the other, then C, at ``open + k * tf / 4`` for k = 0..3. The order
is decided on the bid side and applied to both sides, so the spread stays the bar's own; on a tie
the low comes first (the pessimistic order for a long position).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from numba import njit

from .frames import Bars, Ticks, timeframe_ns


@njit(cache=True)
def _tick_ohlc(key, bid, ask, bvol, avol, use_vol, out_t, out):  # pragma: no cover - compiled
    n = key.shape[0]
    j = -1
    last = np.int64(-9223372036854775807)
    for i in range(n):
        k = key[i]
        if j < 0 or k != last:
            j += 1
            last = k
            out_t[j] = k
            out[j, 0] = bid[i]
            out[j, 1] = bid[i]
            out[j, 2] = bid[i]
            out[j, 4] = ask[i]
            out[j, 5] = ask[i]
            out[j, 6] = ask[i]
            out[j, 8] = 0.0
        b = bid[i]
        a = ask[i]
        if b > out[j, 1]:
            out[j, 1] = b
        if b < out[j, 2]:
            out[j, 2] = b
        if a > out[j, 5]:
            out[j, 5] = a
        if a < out[j, 6]:
            out[j, 6] = a
        out[j, 3] = b
        out[j, 7] = a
        if use_vol:
            out[j, 8] += bvol[i] + avol[i]
        else:
            out[j, 8] += 1.0
    return j + 1


@njit(cache=True)
def _bar_ohlc(key, cols, nsides, has_vol, has_spread, out_t, out):  # pragma: no cover - compiled
    # cols: rows x [bo,bh,bl,bc,ao,ah,al,ac,vol,spread]; out same layout
    n = key.shape[0]
    j = -1
    last = np.int64(-9223372036854775807)
    for i in range(n):
        k = key[i]
        if j < 0 or k != last:
            j += 1
            last = k
            out_t[j] = k
            for s in range(nsides):
                out[j, 4 * s] = cols[i, 4 * s]
                out[j, 4 * s + 1] = cols[i, 4 * s + 1]
                out[j, 4 * s + 2] = cols[i, 4 * s + 2]
            out[j, 8] = 0.0
            out[j, 9] = cols[i, 9]
        for s in range(nsides):
            if cols[i, 4 * s + 1] > out[j, 4 * s + 1]:
                out[j, 4 * s + 1] = cols[i, 4 * s + 1]
            if cols[i, 4 * s + 2] < out[j, 4 * s + 2]:
                out[j, 4 * s + 2] = cols[i, 4 * s + 2]
            out[j, 4 * s + 3] = cols[i, 4 * s + 3]
        if has_vol:
            out[j, 8] += cols[i, 8]
        if has_spread and cols[i, 9] < out[j, 9]:
            out[j, 9] = cols[i, 9]
    return j + 1


def _keys(time: np.ndarray, tf: int, origin: int) -> np.ndarray:
    return (time - origin) // tf * tf + origin


def _require_sorted(time: np.ndarray, what: str) -> None:
    if time.size > 1 and (np.diff(time) < 0).any():
        raise ValueError(f"{what} must be sorted by time (validate with unsorted='fix' first)")


def resample_ticks(ticks: Ticks, timeframe: str, *, origin: int = 0, open: str = "first") -> Bars:
    """Bid and ask OHLC bars of ``timeframe`` from sorted ticks.

    ``open="first"``: a bar opens at its first tick. ``open="previous_close"``: it opens at the
    previous bar's close (high/low widened to include it), the convention of LEAN/Oanda bar files,
    to compare with a vendor's bars like for like.

    >>> import numpy as np
    >>> t = Ticks("EURUSD", np.array([0, 10, 70]) * 10**9, np.array([1.0, 1.2, 1.1]), np.array([1.1, 1.3, 1.2]))
    >>> b = resample_ticks(t, "M1")
    >>> b.bid_high.tolist(), b.ask_close.tolist(), b.volume.tolist()
    ([1.2, 1.1], [1.3, 1.2], [2.0, 1.0])
    """
    tf = timeframe_ns(timeframe)
    _require_sorted(ticks.time, "ticks")
    key = _keys(ticks.time, tf, origin)
    use_vol = ticks.bid_volume is not None and ticks.ask_volume is not None
    z = np.zeros(1)
    n_out = int(np.count_nonzero(np.diff(key))) + 1 if key.size else 0
    out_t = np.empty(n_out, np.int64)
    out = np.empty((n_out, 9), np.float64)
    m = _tick_ohlc(key, ticks.bid, ticks.ask, ticks.bid_volume if use_vol else z,
                   ticks.ask_volume if use_vol else z, use_vol, out_t, out) if n_out else 0
    out = out[:m]
    if open == "previous_close" and m > 1:
        for o in (0, 4):
            out[1:, o] = out[:-1, o + 3]
            out[:, o + 1] = np.maximum(out[:, o + 1], out[:, o])
            out[:, o + 2] = np.minimum(out[:, o + 2], out[:, o])
    elif open not in ("first", "previous_close"):
        raise ValueError(f"open={open!r} (expected 'first' or 'previous_close')")
    meta = {k: v for k, v in ticks.meta.items() if k in ("timezone", "files", "format", "tz_assumed", "tz_note")}
    meta["resampled_from"] = "ticks"
    bo, bh, bl, bc, ao, ah, al, ac = (np.ascontiguousarray(out[:, c]) for c in range(8))
    return Bars(ticks.symbol, timeframe.upper(), out_t[:m], bo, bh, bl, bc, ao, ah, al, ac,
                volume=np.ascontiguousarray(out[:, 8]), source=ticks.source, meta=meta)


def resample_bars(bars: Bars, timeframe: str, *, origin: int = 0) -> Bars:
    """Coarser bars from finer ones (M1 -> H1...): first open, max high, min low, last close,
    summed volume, minimum spread."""
    tf = timeframe_ns(timeframe)
    if tf < timeframe_ns(bars.timeframe) or tf % timeframe_ns(bars.timeframe):
        raise ValueError(f"cannot resample {bars.timeframe} bars to {timeframe} (expected a whole multiple)")
    _require_sorted(bars.time, "bars")
    n = len(bars)
    cols = np.zeros((n, 10))
    sides = ("bid", "ask") if bars.two_sided else ("bid",)
    for s, side in enumerate(sides):
        for c, k in enumerate(("open", "high", "low", "close")):
            cols[:, 4 * s + c] = getattr(bars, f"{side}_{k}")
    if bars.volume is not None:
        cols[:, 8] = bars.volume
    if bars.spread is not None:
        cols[:, 9] = bars.spread
    key = _keys(bars.time, tf, origin)
    n_out = int(np.count_nonzero(np.diff(key))) + 1 if n else 0
    out_t = np.empty(n_out, np.int64)
    out = np.empty((n_out, 10))
    m = _bar_ohlc(key, cols, len(sides), bars.volume is not None, bars.spread is not None, out_t, out) if n else 0
    def col(i: int) -> np.ndarray:
        return np.ascontiguousarray(out[:m, i])

    asks = {f"ask_{k}": col(4 + i) for i, k in enumerate(("open", "high", "low", "close"))} if bars.two_sided else {}
    return Bars(bars.symbol, timeframe.upper(), out_t[:m], col(0), col(1), col(2), col(3), **asks,
                volume=col(8) if bars.volume is not None else None, spread=col(9) if bars.spread is not None else None,
                source=bars.source, meta=dict(bars.meta, resampled_from=bars.timeframe))


def iter_resample_ticks(chunks: Iterable[Ticks], timeframe: str, *, origin: int = 0) -> Iterator[Bars]:
    """Resample a stream of sorted tick chunks; yields completed bars per chunk, the last bar at
    the end. Memory stays at one chunk."""
    tf = timeframe_ns(timeframe)
    carry: Ticks | None = None
    from .frames import concat

    for ch in chunks:
        cur = ch if carry is None or len(carry) == 0 else concat([carry, ch])
        if len(cur) == 0:
            continue
        last_key = _keys(cur.time[-1:], tf, origin)[0]
        cut = int(np.searchsorted(cur.time, last_key, "left"))
        carry = cur.take(slice(cut, None))
        done = cur.take(slice(0, cut))
        if len(done):
            yield resample_ticks(done, timeframe, origin=origin)
    if carry is not None and len(carry):
        yield resample_ticks(carry, timeframe, origin=origin)


@njit(cache=True, nogil=True)
def _path(t0, tf, bo, bh, bl, bc, ao, ah, al, ac, sp, out_t, out_b, out_a):  # pragma: no cover - compiled
    """The four points of each bar; asks from ``ao..ac``, or (when those are empty) the bid plus ``sp``
    (one spread per bar, or one for all)."""
    q = tf // 4
    sided = ao.shape[0] == 0
    for i in range(t0.shape[0]):
        j = 4 * i
        s = sp[i if sp.shape[0] > 1 else 0] if sided else 0.0
        a_o = bo[i] + s if sided else ao[i]
        a_h = bh[i] + s if sided else ah[i]
        a_l = bl[i] + s if sided else al[i]
        a_c = bc[i] + s if sided else ac[i]
        high_first = (bh[i] - bo[i]) < (bo[i] - bl[i])
        out_t[j] = t0[i]
        out_t[j + 1] = t0[i] + q
        out_t[j + 2] = t0[i] + 2 * q
        out_t[j + 3] = t0[i] + 3 * q
        out_b[j] = bo[i]
        out_a[j] = a_o
        if high_first:
            out_b[j + 1] = bh[i]
            out_a[j + 1] = a_h
            out_b[j + 2] = bl[i]
            out_a[j + 2] = a_l
        else:
            out_b[j + 1] = bl[i]
            out_a[j + 1] = a_l
            out_b[j + 2] = bh[i]
            out_a[j + 2] = a_h
        out_b[j + 3] = bc[i]
        out_a[j + 3] = a_c


def intrabar_path(bars: Bars, *, point: float | None = None, spread: float | None = None,
                  out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Four points per bar: (time int64 ns, bid, ask), each of length ``4 * len(bars)``.

    Single-sided bars get ``ask = bid + spread_points * point`` from the bars' ``spread`` column
    or the constant ``spread`` (points); ``point`` defaults to the instrument catalog's. ``out``: three
    arrays of ``4 * len(bars)`` (int64, float64, float64) to write into instead of new ones.

    >>> import numpy as np
    >>> b = Bars("EURUSD", "H1", np.array([0]), np.array([1.0]), np.array([1.1]), np.array([0.95]),
    ...          np.array([1.05]), np.array([1.0002]), np.array([1.1002]), np.array([0.9502]), np.array([1.0502]))
    >>> t, bid, ask = intrabar_path(b)
    >>> bid.tolist(), (t // 10**9).tolist()
    ([1.0, 0.95, 1.1, 1.05], [0, 900, 1800, 2700])
    """
    tf = timeframe_ns(bars.timeframe)
    n = len(bars)
    none = np.zeros(0)
    if bars.two_sided:
        asks = [np.ascontiguousarray(a, dtype=np.float64)
                for a in (bars.ask_open, bars.ask_high, bars.ask_low, bars.ask_close)]
        sp = none
    else:
        if point is None:
            from ..instruments import instrument

            point = instrument(bars.symbol).point
        if bars.spread is not None:
            sp = np.ascontiguousarray(bars.spread * point, dtype=np.float64)
        elif spread is not None:
            sp = np.array([spread * point], dtype=np.float64)
        else:
            raise ValueError(f"{bars.symbol}: single-sided bars need a spread column "
                             "or spread= (points) for the ask side")
        asks = [none] * 4  # the bid plus the spread, in the compiled pass
    if out is None:
        out_t, out_b, out_a = np.empty(4 * n, np.int64), np.empty(4 * n), np.empty(4 * n)
    else:
        out_t, out_b, out_a = out
        if not (out_t.shape == out_b.shape == out_a.shape == (4 * n,) and out_t.dtype == np.int64
                and out_b.dtype == out_a.dtype == np.float64
                and all(a.flags.writeable and a.flags.c_contiguous for a in out)
                and not (np.shares_memory(out_b, out_a) or np.shares_memory(out_t, out_b)
                         or np.shares_memory(out_t, out_a))):
            raise ValueError(f"{bars.symbol}: out= needs three separate writeable contiguous arrays of {4 * n} "
                             f"points (int64 times, float64 bids, float64 asks)")
    if n:
        ao, ah, al, ac = asks
        _path(bars.time, tf, bars.bid_open, bars.bid_high, bars.bid_low, bars.bid_close, ao, ah, al, ac, sp,
              out_t, out_b, out_a)
    return out_t, out_b, out_a
