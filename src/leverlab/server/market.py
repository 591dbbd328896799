"""The demo broker's market: the quotes of every instrument it serves, and the clock that replays them.

Bars are expanded into the same four-point intrabar path the engine trades on
(``leverlab.data.intrabar_path``), so the price a client sees is the price its orders fill at.
Instrument names follow OANDA (``EUR_USD``); the engine's are ``EURUSD``.

>>> from leverlab.data import load
>>> m = Market({"EURUSD": load("sample:eurusd-h1").take(slice(0, 24))})
>>> m.v20_name("EURUSD"), m.symbol_of("EUR_USD")
('EUR_USD', 'EURUSD')
>>> t, bid, ask = m.quote_at("EURUSD", m.start)
>>> (t == m.start, round(ask - bid, 5) >= 0)
(True, True)
"""

from __future__ import annotations

import time as _time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..data.frames import Bars, Ticks, timeframe_ns
from ..data.resample import intrabar_path, resample_bars
from ..instruments import Instrument, instrument

#: Accounts are fed their quotes in chunks on this grid (UTC ns), so a replay after a restart feeds
#: exactly the same chunks and books exactly the same ledger.
CHUNK_NS = 7 * 86_400 * 10**9

#: Candle granularities of v20 and their length (only those at least as long as the data's bars are served).
GRANULARITIES = {"S5": 5, "S10": 10, "S15": 15, "S30": 30, "M1": 60, "M2": 120, "M4": 240, "M5": 300, "M10": 600,
                 "M15": 900, "M30": 1800, "H1": 3600, "H2": 7200, "H3": 10800, "H4": 14400, "H6": 21600,
                 "H8": 28800, "H12": 43200, "D": 86400, "W": 604800}
#: the days a weekly candle may start on (v20 ``WeeklyAlignment``); OANDA's default is Friday
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def week_origin(day: str) -> int:
    """UTC ns of the first ``day`` 00:00 after the epoch (1970-01-01 was a Thursday): where weekly
    candles start, at the day boundary of this server's daily candles (UTC midnight; OANDA's own days
    and weeks turn at 17:00 New York, which this server does not model).

    >>> week_origin("Friday") // 86_400_000_000_000, week_origin("Thursday")
    (1, 0)
    """
    return (WEEKDAYS.index(day) - 3) % 7 * 86_400 * 10**9


@dataclass(frozen=True)
class Quotes:
    """One instrument's quote path: UTC ns times (sorted), bids and asks."""

    time: np.ndarray
    bid: np.ndarray
    ask: np.ndarray


class Market:
    """Every instrument the server quotes, from one frame (Bars or Ticks) per engine symbol."""

    def __init__(self, feeds: Mapping[str, Bars | Ticks]) -> None:
        if not feeds:
            raise ValueError("the market needs data for at least one instrument")
        self.frames = {k.upper(): v for k, v in feeds.items()}
        self.symbols = list(self.frames)
        self.specs: dict[str, Instrument] = {s: instrument(s) for s in self.symbols}
        self.quotes: dict[str, Quotes] = {}
        self.gap_ns: dict[str, int] = {}
        for s, f in self.frames.items():
            if isinstance(f, Bars):
                t, b, a = intrabar_path(f, point=10.0 ** -self.specs[s].digits, spread=0.0)
                self.gap_ns[s] = timeframe_ns(f.timeframe)
            else:
                t, b, a = np.asarray(f.time), np.asarray(f.bid, dtype=float), np.asarray(f.ask, dtype=float)
                self.gap_ns[s] = 300 * 10**9
            self.quotes[s] = Quotes(np.asarray(t, dtype=np.int64), b, a)
        self.start = min(int(q.time[0]) for q in self.quotes.values())
        self.end = max(int(q.time[-1]) for q in self.quotes.values())
        self._by_v20 = {self.v20_name(s): s for s in self.symbols}

    # ---- names
    def v20_name(self, symbol: str) -> str:
        """OANDA's name of an engine symbol: base_quote (``EUR_USD``, ``XAU_USD``)."""
        spec = self.specs[symbol]
        return f"{spec.base}_{spec.quote}"

    def symbol_of(self, name: str) -> str | None:
        """The engine symbol of a v20 instrument name, None when the server does not quote it."""
        return self._by_v20.get(name)

    @property
    def v20_names(self) -> list[str]:
        return [self.v20_name(s) for s in self.symbols]

    # ---- prices
    def index_at(self, symbol: str, t: int) -> int:
        """How many quotes of ``symbol`` have time <= ``t``."""
        return int(np.searchsorted(self.quotes[symbol].time, t, "right"))

    def quote_at(self, symbol: str, t: int) -> tuple[int, float, float] | None:
        """The last quote at or before ``t``: (time, bid, ask), None before the first."""
        q = self.quotes[symbol]
        i = self.index_at(symbol, t) - 1
        if i < 0:
            return None
        return int(q.time[i]), float(q.bid[i]), float(q.ask[i])

    def tradeable(self, symbol: str, t: int) -> bool:
        """Whether the market of ``symbol`` is open at ``t``: a quote at most one bar (or 5 minutes of ticks)
        old, and another due within as long (weekends, holidays and the end of the data are closed)."""
        q = self.quotes[symbol]
        i = self.index_at(symbol, t)
        gap = self.gap_ns[symbol]
        return 0 < i < q.time.shape[0] and t - int(q.time[i - 1]) <= gap and int(q.time[i]) - t <= gap

    def mid(self, symbol: str, t: int) -> float | None:
        """The mid price at ``t`` (None before the first quote)."""
        q = self.quote_at(symbol, t)
        return None if q is None else 0.5 * (q[1] + q[2])

    def home_factor(self, ccy: str, home: str, t: int) -> float | None:
        """Units of ``home`` per unit of ``ccy`` at the mids of ``t``, through a pair the market quotes
        directly (None when it quotes none)."""
        if ccy == home:
            return 1.0
        for s, spec in self.specs.items():
            m = self.mid(s, t)
            if m is None:
                continue
            if (spec.base, spec.quote) == (ccy, home):
                return m
            if (spec.base, spec.quote) == (home, ccy):
                return 1.0 / m
        return None

    def next_quote_time(self, t: int, steps: int = 1) -> int:
        """The time of the ``steps``-th quote after ``t`` of any instrument (the market's end when fewer)."""
        times = np.unique(np.concatenate([q.time[self.index_at(s, t):self.index_at(s, t) + max(steps, 1)]
                                          for s, q in self.quotes.items()]))
        return int(times[max(steps, 1) - 1]) if times.shape[0] >= max(steps, 1) else self.end

    # ---- chunks the accounts are fed
    def chunk_end(self, t: int) -> int:
        """The end of the grid chunk holding ``t``."""
        return (t // CHUNK_NS + 1) * CHUNK_NS

    def frames_between(self, t0: int, t1: int) -> dict[str, Bars | Ticks] | None:
        """Every symbol's rows with time in [t0, t1), None when a symbol has none there."""
        out: dict[str, Bars | Ticks] = {}
        for s, f in self.frames.items():
            tt = np.asarray(f.time)
            a, b = np.searchsorted(tt, t0, "left"), np.searchsorted(tt, t1, "left")
            if b <= a:
                return None
            out[s] = f.take(slice(int(a), int(b)))
        return out

    def first_feed_time(self, t: int) -> int:
        """Where an account opened at ``t`` starts being fed: the earliest start of the row (bar or tick)
        holding any instrument's last quote at or before ``t``, so the account has the current price of
        every instrument at once (not only from its next bar); ``t`` itself before the data starts."""
        starts = []
        for f in self.frames.values():
            tt = np.asarray(f.time)
            i = int(np.searchsorted(tt, t, "right")) - 1
            if i >= 0:
                starts.append(int(tt[i]))
        return min(starts, default=t)

    def next_chunk(self, t0: int) -> tuple[int, dict[str, Bars | Ticks]] | None:
        """The rows from ``t0`` to the first grid boundary by which every symbol has some, with that end;
        None when the data ends first."""
        t1 = self.chunk_end(t0)
        while t0 <= self.end:
            got = self.frames_between(t0, t1)
            if got is not None:
                return t1, got
            t1 += CHUNK_NS
            if t1 > self.end + 2 * CHUNK_NS:
                return None
        return None

    # ---- candles
    def candles(self, symbol: str, granularity: str, t_from: int | None, t_to: int | None, count: int,
                now: int, weekly_alignment: str = "Friday") -> tuple[list[dict[str, object]], str]:
        """Candles of ``granularity`` up to the clock ``now`` (never later), as (rows, "") or ([], why);
        weekly ones start on ``weekly_alignment`` (one of ``WEEKDAYS``) at 00:00 UTC."""
        f = self.frames[symbol]
        if not isinstance(f, Bars):
            return [], "candles are served from bar data only"
        sec = GRANULARITIES.get(granularity)
        if sec is None:
            return [], f"granularity {granularity!r} is not one of {', '.join(GRANULARITIES)}"
        tf = timeframe_ns(f.timeframe)
        g = sec * 10**9
        if g < tf or g % tf:
            return [], f"granularity {granularity} is finer than (or not a multiple of) the data's {f.timeframe} bars"
        origin = week_origin(weekly_alignment) if granularity == "W" else 0
        bars = f if g == tf else resample_bars(f, _tf_name(sec), origin=origin)
        tt = np.asarray(bars.time)
        hi = int(np.searchsorted(tt, now, "right"))
        lo = 0
        if t_from is not None:
            lo = int(np.searchsorted(tt, t_from, "left"))
        if t_to is not None:
            hi = min(hi, int(np.searchsorted(tt, t_to, "right")))
        if t_from is None:
            lo = max(0, hi - count)
        else:
            hi = min(hi, lo + count) if t_to is None else hi
        rows: list[dict[str, object]] = []
        q = self.quotes[symbol]
        for i in range(lo, hi):
            t0 = int(tt[i])
            complete = t0 + g <= now
            if complete:
                b = (bars.bid_open[i], bars.bid_high[i], bars.bid_low[i], bars.bid_close[i])
                a = b
                if bars.ask_open is not None and bars.ask_high is not None and bars.ask_low is not None \
                        and bars.ask_close is not None:
                    a = (bars.ask_open[i], bars.ask_high[i], bars.ask_low[i], bars.ask_close[i])
            else:  # the candle forming now: only the quotes seen so far
                j0, j1 = np.searchsorted(q.time, t0, "left"), np.searchsorted(q.time, now, "right")
                if j1 <= j0:
                    continue
                qb, qa = q.bid[j0:j1], q.ask[j0:j1]
                b = (qb[0], qb.max(), qb.min(), qb[-1])
                a = (qa[0], qa.max(), qa.min(), qa[-1])
            vol = int(bars.volume[i]) if bars.volume is not None else 4
            rows.append({"time": t0, "complete": complete, "volume": vol, "bid": b, "ask": a})
        return rows, ""


def _tf_name(sec: int) -> str:
    """leverlab's timeframe name of a length in seconds (a week is ``D7``).

    >>> [_tf_name(s) for s in (5, 120, 7200, 86400, 604800)]
    ['S5', 'M2', 'H2', 'D1', 'D7']
    """
    if sec % 60:
        return f"S{sec}"
    if sec % 86400 == 0:
        return f"D{sec // 86400}"
    if sec % 3600 == 0:
        return f"H{sec // 3600}"
    return f"M{sec // 60}"


class Clock:
    """Market time: replayed from ``start`` at ``speed`` times real time (0: it moves only when stepped;
    ``inf``: as fast as the server can go), never past ``end``."""

    def __init__(self, start: int, end: int, speed: float) -> None:
        self.now = int(start)
        self.end = int(end)
        self.speed = float(speed)
        self._wall = _time.monotonic()

    def target(self) -> int:
        """Where the clock should be now (what the background task advances the accounts to)."""
        wall = _time.monotonic()
        dt, self._wall = wall - self._wall, wall
        if self.speed == 0:
            return self.now
        if self.speed == float("inf"):
            return min(self.end, self.now + 3600 * 10**9)
        return min(self.end, self.now + int(dt * self.speed * 1e9))
