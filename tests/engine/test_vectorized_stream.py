"""Vectorized (target positions, fully compiled) and streamed (chunked ticks) runs agree with the
bar-by-bar Python strategy run."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from conftest import make_terms, ns

from leverlab.data.frames import Ticks
from leverlab.engine import Backtest, BacktestError
from leverlab.strategies import EmaCross, SmaCross


def _ticks(n: int = 60_000, seed: int = 3) -> Ticks:
    rng = np.random.default_rng(seed)
    t = ns(2024, 1, 2) + np.cumsum(rng.integers(200, 2_000, n)).astype(np.int64) * 1_000_000
    bid = np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 0.00008, n))), 5)
    return Ticks("EURUSD", t, bid, bid + 0.00012)


def _chunks(tk: Ticks, size: int):
    for a in range(0, len(tk), size):
        yield tk.take(slice(a, a + size))


@pytest.mark.parametrize("cls", [EmaCross, SmaCross])
def test_python_vectorized_and_streamed_runs_agree(cls):
    tk = _ticks()
    terms = make_terms(leverage=1000.0)
    kw = dict(terms=terms, deposit=1_000, timeframe="M1")
    a = Backtest(tk, cls, **kw).run(lots=0.1)
    b = Backtest(tk, cls, vectorized=True, **kw).run(lots=0.1)
    c = Backtest.stream(_chunks(tk, 7_777), cls, **kw).run(lots=0.1)
    assert a.stats["trades"] > 20
    key = lambda r: [(t.open_time, t.close_time, t.side, t.profit) for t in r.trades]  # noqa: E731
    assert key(a) == key(b) == key(c)
    assert a.final_balance == b.final_balance == c.final_balance
    assert a.stats["final_equity"] == b.stats["final_equity"] == c.stats["final_equity"]


def test_stop_out_on_ticks_closes_at_the_first_tick_beyond_the_level():
    """Target +10 lots from the first decision bar on 10,000 USD at 1:1000, SO 50 %; the bid then falls
    by 1e-5 per tick. Margin re-priced: the level crosses 50 % at p = 1.0905453 (see test_stopout),
    so the stop-out closes at the first tick at or below it, 1.09054, each tick checked."""
    n = 2_000
    t = ns(2024, 1, 2) + np.arange(n, dtype=np.int64) * 1_000_000_000
    bid = np.round(np.where(np.arange(n) < 120, 1.1, 1.1 - (np.arange(n) - 119) * 1e-5), 5)
    tk = Ticks("EURUSD", t, bid, bid.copy())
    targets = np.full(34, np.nan)
    targets[0] = 10.0
    r = Backtest(tk, targets, terms=make_terms(), deposit=10_000).run()
    so = [e for e in r.events if e.type == "stop_out"]
    assert so and so[0].price == 1.09054
    assert r.trades[0].open_price == 1.1 and r.trades[0].reason == "stop_out"
    assert r.final_balance == r.ledger_balance() == Decimal("540.00")  # 10,000 - 1e6 x 0.00946


def test_target_array_length_is_checked():
    tk = _ticks(5_000)
    with pytest.raises(BacktestError, match="one per decision bar"):
        Backtest(tk, np.zeros(3), terms=make_terms()).run()


def test_tick_bars_match_numpy_reduceat_including_nan():
    """The compiled tick -> bar pass gives what np.maximum/minimum.reduceat give (NaN propagates)."""
    from leverlab.engine._prepare import DataError, ticks_to_bars

    rng = np.random.default_rng(0)
    n = 50_000
    t = np.cumsum(rng.integers(0, 3_000_000_000, n)).astype(np.int64) - 10 * 60_000_000_000  # negative times too
    b = rng.normal(1, 0.01, n)
    a = b + 0.0001
    b[[5, 1000, 37777]] = np.nan
    a[[9, 5000]] = np.nan
    bars, last = ticks_to_bars(Ticks("EURUSD", t, b, a), "M1")
    tf = 60_000_000_000
    bucket = t // tf
    ref_last = np.append(np.flatnonzero(np.diff(bucket) != 0), n - 1)
    first = np.concatenate(([0], ref_last[:-1] + 1))
    assert np.array_equal(last, ref_last) and np.array_equal(bars.time, bucket[first] * tf)
    for got, ref in [(bars.bid_open, b[first]), (bars.bid_high, np.maximum.reduceat(b, first)),
                     (bars.bid_low, np.minimum.reduceat(b, first)), (bars.bid_close, b[ref_last]),
                     (bars.ask_open, a[first]), (bars.ask_high, np.maximum.reduceat(a, first)),
                     (bars.ask_low, np.minimum.reduceat(a, first)), (bars.ask_close, a[ref_last])]:
        assert np.array_equal(got, ref, equal_nan=True)
    t[100] = t[99] - 1
    with pytest.raises(DataError, match="row 100 .* comes before row 99"):
        ticks_to_bars(Ticks("EURUSD", t, b, a), "M1")


def test_bar_stream_reuses_only_free_buffers():
    """A bar run's quote arrays come from a pool: a stream nobody holds gives its memory to the next,
    one still held (a live account, a result's views) never does, and the points are the same."""
    from leverlab.data import load
    from leverlab.engine._prepare import bar_path

    b = load("sample:eurusd-h1").take(slice(0, 500))
    first = bar_path(b, 8.0, 1e-5)
    want = [a.copy() for a in first]
    held = bar_path(b, 8.0, 1e-5)  # the first is alive: other memory
    assert not any(np.shares_memory(x, y) for x, y in zip(first, held))
    address = first[1].ctypes.data
    del first
    again = bar_path(b, 8.0, 1e-5)
    assert again[1].ctypes.data == address
    assert all(x.tobytes() == y.tobytes() for x, y in zip(again, want))
