"""Synthetic ticks and bars for scale tests and stress scenarios, seeded and deterministic.

Model (ticks):

- **times**: exponential inter-arrival (``mean_interval_ms``), whole milliseconds, only while the
  FX market is open (the session calendar of :mod:`.validate`: Sunday 23:00 to Friday 20:00 UTC).
- **returns**: bootstrapped from a real series (``like``, default the bundled EURUSD H1): each
  tick draws one real hourly log return and scales it by ``sqrt(dt / 1 h)``, so the hourly
  volatility and its fat tails come from the real data.
- **spread**: the real median spread (in points) times a log-normal jitter, times 3 in the
  21:00-23:00 UTC rollover, widened after an event; whole points, at least one.
- **events** (:class:`GapEvent`): a one-tick jump (e.g. ``-0.28`` at 2015-01-15 09:30 as EURCHF
  did) followed by a spread widening that decays.

Random numbers come in fixed blocks of ticks, each from its own stream ``(seed, block)``, so the
output does not depend on ``chunk_size``: same seed, same bytes. Iterators hold one chunk at a
time, so 100M+ ticks stream in constant memory.

>>> t = synthetic_ticks(1000, seed=1)
>>> len(t), bool((t.ask > t.bid).all())
(1000, True)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import DataError
from .frames import Bars, Ticks, concat, timeframe_ns
from .validate import _FRI_CLOSE, _OPEN_PER_WEEK, _SUN_OPEN, _W, _WEEK0, _parse_duration

_BLOCK = 1 << 18
_H = 3_600_000_000_000


@dataclass(frozen=True)
class GapEvent:
    """A price jump in one tick: ``change`` is relative (``-0.28`` = 28 % down) at UTC ``time``;
    the spread is multiplied by ``spread_mult`` and decays back with time constant ``decay``."""

    time: str | int
    change: float
    spread_mult: float = 20.0
    decay: str | int = "5min"

    @property
    def time_ns(self) -> int:
        if isinstance(self.time, (int, np.integer)):
            return int(self.time)
        return int(np.datetime64(str(self.time).rstrip("Z"), "ns").astype(np.int64))


@dataclass(frozen=True)
class _Model:
    returns: np.ndarray       # hourly log returns to bootstrap
    shapes: np.ndarray        # per real bar: log(h/o), log(l/o), log(c/o) (for bars)
    spread_points: float
    point: float
    price: float
    bar_ns: int


def _model(like: Bars | str | None, point: float | None, spread_points: float | None, price: float | None) -> _Model:
    from .api import load

    bars = load(like or "sample:eurusd-h1") if not isinstance(like, Bars) else like
    if not isinstance(bars, Bars):
        raise DataError(f"{like!r} holds ticks", expected="bars to take the returns and bar shapes from")
    c = bars.bid_close
    r = np.diff(np.log(c))
    gap = np.diff(bars.time) > timeframe_ns(bars.timeframe)  # drop returns across holes/weekends
    r = r[~gap & np.isfinite(r)]
    o = bars.bid_open
    shapes = np.stack([np.log(bars.bid_high / o), np.log(bars.bid_low / o), np.log(c / o)], axis=1)
    shapes = shapes[np.isfinite(shapes).all(axis=1)]
    if point is None:
        from ..instruments import UnknownSymbolError, instrument

        try:
            point = instrument(bars.symbol).point
        except UnknownSymbolError:
            point = 1e-5
    if spread_points is None:
        spread_points = float(np.median((bars.ask_close - bars.bid_close) / point)) if bars.two_sided else 10.0
    scale = np.sqrt(_H / timeframe_ns(bars.timeframe))
    return _Model(np.ascontiguousarray(r * scale), np.ascontiguousarray(shapes), max(spread_points, 1.0), point,
                  float(price if price is not None else c[-1]), timeframe_ns(bars.timeframe))


def _to_calendar(u: np.ndarray) -> np.ndarray:
    """Open-market time (ns since the calendar origin) -> UTC ns, skipping the weekend closure."""
    wk, o = np.divmod(u, _OPEN_PER_WEEK)
    return _WEEK0 + wk * _W + np.where(o < _FRI_CLOSE, o, o - _FRI_CLOSE + _SUN_OPEN)


def _to_open(t: int) -> int:
    x = t - _WEEK0
    wk, off = divmod(x, _W)
    return wk * _OPEN_PER_WEEK + min(off, _FRI_CLOSE) + max(0, off - _SUN_OPEN)


def _start_ns(start: str | int) -> int:
    return int(start) if isinstance(start, (int, np.integer)) else int(np.datetime64(str(start), "ns").astype(np.int64))


def iter_synthetic_ticks(n: int, *, symbol: str = "EURUSD", start: str | int = "2024-01-01", seed: int = 0,
                         chunk_size: int = 1_000_000, like: Bars | str | None = None,
                         mean_interval_ms: float = 250.0, spread_points: float | None = None,
                         point: float | None = None, price: float | None = None,
                         events: Sequence[GapEvent] = ()) -> Iterator[Ticks]:
    """Yield ``n`` synthetic ticks in chunks of ``chunk_size`` (see the module docstring)."""
    m = _model(like, point, spread_points, price)
    digits = max(0, int(round(-np.log10(m.point))))
    evs = sorted(events, key=lambda e: e.time_ns)
    ev_t = np.array([e.time_ns for e in evs], np.int64)
    ev_done = np.zeros(len(evs), bool)
    u = _to_open(_start_ns(start))
    logp = float(np.log(m.price))
    buf: list[Ticks] = []
    have = 0
    emitted = 0
    block = 0
    while emitted < n:
        k = min(_BLOCK, n - emitted - have) if n - emitted - have > 0 else 0
        if k:
            rng = np.random.default_rng([seed, block])
            block += 1
            dt_ms = np.maximum(1, np.rint(rng.exponential(mean_interval_ms, k))).astype(np.int64)
            uu = u + np.cumsum(dt_ms * 1_000_000)
            t = _to_calendar(uu)
            u = int(uu[-1])
            ret = m.returns[rng.integers(0, m.returns.size, k)] * np.sqrt(dt_ms * 1e6 / _H)
            widen = np.ones(k)
            for i, e in enumerate(evs):
                if ev_done[i] or t[-1] < ev_t[i]:
                    continue
                j = int(np.searchsorted(t, ev_t[i]))
                ret[j] += np.log1p(e.change)
                ev_done[i] = True
            for i, e in enumerate(evs):  # widening also spills over block borders
                if ev_done[i]:
                    tau = _parse_duration(e.decay)
                    age = (t - ev_t[i]).astype(np.float64)
                    w = np.where(age >= 0, 1 + (e.spread_mult - 1) * np.exp(-np.maximum(age, 0) / tau), 1.0)
                    widen = np.maximum(widen, w)
            logmid = logp + np.cumsum(ret)
            logp = float(logmid[-1])
            hour = (t // _H) % 24
            session = np.where((hour >= 21) & (hour < 23), 3.0, 1.0)
            jitter = np.exp(rng.normal(0.0, 0.25, k))
            sp = np.maximum(1.0, np.rint(m.spread_points * jitter * session * widen))
            mid = np.exp(logmid)
            bid = np.round(mid - sp * m.point / 2, digits)
            ask = np.round(bid + sp * m.point, digits)
            buf.append(Ticks(symbol, t, bid, ask, source="synthetic", meta={"timezone": "UTC", "seed": seed}))
            have += k
        if have >= chunk_size or (emitted + have >= n and have):
            allt = concat(buf) if len(buf) > 1 else buf[0]
            take = min(chunk_size, have)
            out = allt.take(slice(0, take))
            rest = allt.take(slice(take, None))
            buf = [rest] if len(rest) else []
            have -= take
            emitted += take
            yield out


def synthetic_ticks(n: int, **kwargs) -> Ticks:
    """All ``n`` synthetic ticks at once (see :func:`iter_synthetic_ticks` for the options)."""
    kwargs.setdefault("chunk_size", max(n, 1))
    return concat(list(iter_synthetic_ticks(n, **kwargs)))


def iter_synthetic_bars(n: int, timeframe: str = "H1", *, symbol: str = "EURUSD", start: str | int = "2024-01-01",
                        seed: int = 0, chunk_size: int = 1_000_000, like: Bars | str | None = None,
                        spread_points: float | None = None, point: float | None = None, price: float | None = None,
                        events: Sequence[GapEvent] = ()) -> Iterator[Bars]:
    """Yield ``n`` bid/ask bars: each bar's shape (high, low, close relative to its open) is a real
    bar of ``like`` drawn at random and scaled by ``sqrt(timeframe / like's timeframe)``; opens
    continue from the previous close; an event's jump lands in the bar that holds its time."""
    m = _model(like, point, spread_points, price)
    tf = timeframe_ns(timeframe)
    digits = max(0, int(round(-np.log10(m.point))))
    scale = np.sqrt(tf / m.bar_ns)
    u0 = _to_open(_start_ns(start))
    u0 -= u0 % tf
    logp = float(np.log(m.price))
    ev = sorted(events, key=lambda e: e.time_ns)
    done = 0
    block = 0
    while done < n:
        k = min(chunk_size, n - done)
        rng = np.random.default_rng([seed, 1_000_003, block])
        block += 1
        idx = done + np.arange(k, dtype=np.int64)
        t = _to_calendar(u0 + idx * tf)
        shp = m.shapes[rng.integers(0, m.shapes.shape[0], k)] * scale
        hi, lo, cl = shp[:, 0].copy(), shp[:, 1].copy(), shp[:, 2].copy()
        for e in ev:
            j = int(np.searchsorted(t, e.time_ns, "right")) - 1
            if 0 <= j < k and t[j] + tf > e.time_ns:
                jump = np.log1p(e.change)
                cl[j] += jump
                hi[j] = max(hi[j], cl[j])
                lo[j] = min(lo[j], cl[j])
        opens = logp + np.concatenate([[0.0], np.cumsum(cl)[:-1]])
        logp = float(opens[-1] + cl[-1])
        o, h, low, c = (np.round(np.exp(opens + x), digits) for x in (0.0, hi, lo, cl))
        h = np.maximum.reduce([h, o, c])
        low = np.minimum.reduce([low, o, c])
        sp = np.maximum(1.0, np.rint(m.spread_points * np.exp(rng.normal(0.0, 0.25, k)))) * m.point
        yield Bars(symbol, timeframe.upper(), t, o, h, low, c, np.round(o + sp, digits), np.round(h + sp, digits),
                   np.round(low + sp, digits), np.round(c + sp, digits), source="synthetic",
                   meta={"timezone": "UTC", "seed": seed})
        done += k


def synthetic_bars(n: int, timeframe: str = "H1", **kwargs) -> Bars:
    """All ``n`` synthetic bars at once (see :func:`iter_synthetic_bars`)."""
    kwargs.setdefault("chunk_size", max(n, 1))
    return concat(list(iter_synthetic_bars(n, timeframe, **kwargs)))
