"""Resampling against the vendor's own bars, the intrabar path, and the synthetic generator."""

from __future__ import annotations

import numpy as np
import pytest

from leverlab.data import (
    Bars,
    GapEvent,
    intrabar_path,
    iter_resample_ticks,
    iter_synthetic_ticks,
    load,
    resample_bars,
    resample_ticks,
    synthetic_bars,
    synthetic_ticks,
    validate,
)
from leverlab.data.readers.lean import read_lean

SIDES = [f"{s}_{k}" for s in ("bid", "ask") for k in ("open", "high", "low", "close")]


@pytest.fixture(scope="module")
def eurusd_ticks(lean):
    return read_lean(lean / "forex/oanda/tick/eurusd")


def test_ticks_to_m1_equal_vendor_minutes(lean, eurusd_ticks):
    mine = resample_ticks(eurusd_ticks, "M1")
    vendor = read_lean(lean / "forex/oanda/minute/eurusd").between(eurusd_ticks.time[0] - 60 * 10**9,
                                                                   eurusd_ticks.time[-1] + 1)
    assert len(mine) == len(vendor) == 15_366
    assert np.array_equal(mine.time, vendor.time)
    for c in SIDES:  # vendor prices have 5 decimals: equal to the float
        assert np.array_equal(getattr(mine, c), getattr(vendor, c)), c


def test_ticks_to_h1_equal_vendor_hours(lean, eurusd_ticks):
    hours = read_lean(lean / "forex/oanda/hour/eurusd.zip")
    mine = resample_ticks(eurusd_ticks, "H1", open="previous_close")
    common, i, j = np.intersect1d(mine.time, hours.time, return_indices=True)
    assert len(mine) == common.size == 264
    for c in SIDES:
        a, b = getattr(mine, c)[i][1:], getattr(hours, c)[j][1:]  # bar 0 has no previous close
        assert np.abs(a - b).max() < 1e-9, c
    plain = resample_ticks(eurusd_ticks, "H1")  # opening at the first tick instead
    assert np.array_equal(plain.bid_close, mine.bid_close)
    # and minute bars -> H1 agree with ticks -> H1
    m1 = resample_bars(resample_ticks(eurusd_ticks, "M1"), "H1")
    for c in SIDES:
        assert np.array_equal(getattr(m1, c), getattr(plain, c)), c


def test_streaming_resample_equals_batch(eurusd_ticks):
    t = eurusd_ticks.take(slice(0, 100_000))
    chunks = (t.take(slice(a, a + 7_777)) for a in range(0, len(t), 7_777))
    parts = list(iter_resample_ticks(chunks, "M5"))
    whole = resample_ticks(t, "M5")
    assert np.array_equal(np.concatenate([p.time for p in parts]), whole.time)
    assert np.array_equal(np.concatenate([p.ask_high for p in parts]), whole.ask_high)
    assert np.array_equal(np.concatenate([p.volume for p in parts]), whole.volume)


def test_intrabar_path():
    b = load("sample:eurusd-h1").take(slice(0, 500))
    t, bid, ask = intrabar_path(b)
    assert t.shape == bid.shape == ask.shape == (2000,)
    assert np.array_equal(t[::4], b.time) and (np.diff(t) > 0).all()
    assert np.array_equal(bid[::4], b.bid_open) and np.array_equal(bid[3::4], b.bid_close)
    assert np.array_equal(ask[3::4], b.ask_close)
    hl = np.sort(np.stack([bid[1::4], bid[2::4]]), axis=0)
    assert np.array_equal(hl[0], b.bid_low) and np.array_equal(hl[1], b.bid_high)
    high_first = bid[1::4] == b.bid_high
    nearer_high = (b.bid_high - b.bid_open) < (b.bid_open - b.bid_low)
    assert np.array_equal(high_first & (b.bid_high != b.bid_low), nearer_high & (b.bid_high != b.bid_low))
    assert np.array_equal(ask[1::4] == b.ask_high, high_first)  # same order on both sides
    one = Bars("EURUSD", "H1", b.time, b.bid_open, b.bid_high, b.bid_low, b.bid_close, spread=np.full(len(b), 12.0))
    _, bid1, ask1 = intrabar_path(one)
    assert np.allclose(ask1 - bid1, 12 * 1e-5)


def test_synthetic_ticks_deterministic_and_chunk_independent():
    a = synthetic_ticks(300_000, seed=7)
    chunks = list(iter_synthetic_ticks(300_000, seed=7, chunk_size=65_536))
    assert [len(c) for c in chunks][:2] == [65_536, 65_536] and sum(map(len, chunks)) == 300_000
    assert np.array_equal(np.concatenate([c.time for c in chunks]), a.time)
    assert np.array_equal(np.concatenate([c.ask for c in chunks]), a.ask)
    assert not np.array_equal(synthetic_ticks(1000, seed=8).bid, a.bid[:1000])
    rep = validate(a)
    assert rep.issue("crossed").count == 0 and rep.issue("unsorted").count == 0 and rep.issue("gaps").count == 0
    # volatility from the real series: synthetic hourly returns within a factor of 2 of EURUSD H1's
    real = load("sample:eurusd-h1").bid_close
    real_sd = np.std(np.diff(np.log(real)))
    syn_sd = np.std(np.diff(np.log(resample_ticks(a, "H1").bid_close)))
    assert 0.5 < syn_sd / real_sd < 2.0
    weekday = ((a.time // 86_400_000_000_000) + 3) % 7  # 0 = Monday
    assert not ((weekday == 5)).any()  # never on a Saturday


def test_synthetic_gap_event():
    e = synthetic_ticks(20_000, symbol="EURCHF", start="2015-01-15T09:00", price=1.201, seed=1,
                        events=[GapEvent("2015-01-15T09:30", -0.28, spread_mult=30)])
    i = int(np.searchsorted(e.time, np.datetime64("2015-01-15T09:30", "ns").astype(np.int64)))
    assert e.bid[i] / e.bid[i - 1] - 1 == pytest.approx(-0.28, abs=0.01)
    assert (e.ask[i] - e.bid[i]) > 10 * np.median(e.ask[:i] - e.bid[:i])
    assert validate(e).issue("outliers").examples[0]["row"] == i


def test_synthetic_bars():
    b = synthetic_bars(2_000, "M15", seed=3, start="2024-03-01")
    assert b.timeframe == "M15" and len(b) == 2_000 and b.two_sided
    rep = validate(b)
    assert rep.issue("ohlc").count == 0 and rep.issue("crossed").count == 0 and rep.issue("gaps").count == 0
    assert np.array_equal(synthetic_bars(2_000, "M15", seed=3, start="2024-03-01").bid_close, b.bid_close)
    assert np.array_equal(b.bid_open[1:], b.bid_close[:-1])


def test_intrabar_path_into_given_arrays():
    """``out=`` fills the caller's arrays (the engine's pooled stream buffers) with the same points; the
    ask of single-sided bars is the bid plus spread x point, as the array sum gives it."""
    b = load("sample:eurusd-h1").take(slice(0, 300))
    one = Bars("EURUSD", "H1", b.time, b.bid_open, b.bid_high, b.bid_low, b.bid_close)
    want = intrabar_path(one, point=1e-5, spread=7.0)
    out = (np.empty(1200, np.int64), np.empty(1200), np.empty(1200))
    got = intrabar_path(one, point=1e-5, spread=7.0, out=out)
    assert all(g is o for g, o in zip(got, out))
    assert all(g.tobytes() == w.tobytes() for g, w in zip(got, want))
    assert want[2][3::4].tobytes() == (one.bid_close + 7.0 * 1e-5).tobytes()
    with pytest.raises(ValueError, match="EURUSD: out= needs three separate writeable contiguous arrays of 1200"):
        intrabar_path(one, point=1e-5, spread=7.0, out=(np.empty(4, np.int64), np.empty(4), np.empty(4)))
    for bad in ((out[0], out[1].astype(np.float32), out[2]), (out[0], out[1], out[1])):  # rounded; one array twice
        with pytest.raises(ValueError, match="separate writeable contiguous arrays"):
            intrabar_path(one, point=1e-5, spread=7.0, out=bad)
