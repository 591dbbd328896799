"""LEAN readers on the real files, and the bundled sample."""

from __future__ import annotations

import numpy as np
import pytest

from leverlab.data import Bars, Ticks, load, read, validate
from leverlab.data.readers.lean import read_lean

from .helpers import utc


def test_oanda_eurusd_h1(lean):
    b = read(lean / "forex/oanda/hour/eurusd.zip")
    assert isinstance(b, Bars) and b.symbol == "EURUSD" and b.timeframe == "H1" and b.two_sided
    assert len(b) == 74_439
    assert utc(b.time[0]) == "2007-01-01T21:00:00.000000000"
    assert utc(b.time[-1]) == "2018-12-31T21:00:00.000000000"
    rep = b.meta["report"]
    assert rep["timezone"] == "UTC"
    gaps = {(g["from"], g["to"]) for g in rep["gaps"]}
    assert ("2016-12-09T21:00:00Z", "2016-12-16T05:00:00Z") in gaps  # the missing Oanda week
    # SNB day: the 09:00 bar's bid low
    i = int(np.searchsorted(b.time, np.datetime64("2015-01-15T09:00", "ns").astype(np.int64)))
    assert b.bid_low[i] == pytest.approx(1.15646)


def test_fxcm_eurusd_h1_crossed_and_timezone(lean):
    raw = read_lean(lean / "forex/fxcm/hour/eurusd.zip")
    assert len(raw) == 69_928
    # file says 20070330 00:00 in fixed UTC-5
    assert utc(raw.time[0]) == "2007-03-30T05:00:00.000000000"
    assert utc(raw.time[-1]) == "2018-07-05T04:00:00.000000000"
    rep = validate(raw)
    assert rep.issue("crossed").count == 2_613
    assert rep.issue("crossed").action == "warn" and rep.rows_out == 69_928
    fixed = validate(raw, {"crossed": "fix"})
    assert fixed.issue("crossed").changed == 2_613
    assert (fixed.frame.ask_close >= fixed.frame.bid_close).all()
    dropped = validate(raw, {"crossed": "drop"})
    assert dropped.rows_out == 69_928 - 2_613


def test_oanda_eurusd_ticks_duplicates(lean):
    t = read(lean / "forex/oanda/tick/eurusd")
    assert isinstance(t, Ticks) and t.symbol == "EURUSD"
    assert len(t) == 532_903
    assert utc(t.time[0]) == "2014-05-01T00:00:00.292000000"
    assert utc(t.time[-1]) == "2014-05-15T23:59:56.324000000"
    dup = [i for i in t.meta["report"]["issues"] if i["check"] == "duplicates"][0]
    assert dup["count"] == 4_494 and dup["action"] == "warn"


def test_oanda_xauusd_ticks_fractional_ms(lean):
    t = read_lean(lean / "cfd/oanda/tick/xauusd")
    assert len(t) == 2_022_969
    assert utc(t.time[0]) == "2014-05-01T00:00:00.043142000"
    assert t.time[0] % 1_000_000 == 43_142_000 % 1_000_000


def test_minute_and_daily(lean):
    m = read_lean(lean / "forex/oanda/minute/eurusd/20140507_quote.zip")
    assert m.timeframe == "M1" and utc(m.time[0]) == "2014-05-07T00:00:00.000000000"
    assert m.bid_open[0] == 1.39286 and m.ask_close[0] == 1.39290
    d = read_lean(lean / "forex/oanda/daily/eurusd.zip")
    assert d.timeframe == "D1" and len(d) == 3_738
    g = validate(read_lean(lean / "forex/fxcm/daily/gbpusd.zip"))
    assert any(x["from"].startswith("2017-06-2") and x["to"].startswith("2018-03-1") for x in g.gaps)


def test_sample_loads_offline():
    b = load("sample:eurusd-h1")
    assert b.symbol == "EURUSD" and len(b) == 74_439 and b.two_sided and b.source == "sample:eurusd-h1"
    assert utc(b.time[0]) == "2007-01-01T21:00:00.000000000"
    assert b.meta["report"]["rows_out"] == 74_439
    x = load("sample:xauusd-h1")
    assert x.symbol == "XAUUSD" and utc(x.time[0]).startswith("2007-01-01")
    assert utc(x.time[-1]).startswith("2018-12-31")
    assert b.time.flags.c_contiguous and b.bid_close.dtype == np.float64


def test_sample_equals_source(lean):
    src = read_lean(lean / "forex/oanda/hour/eurusd.zip")
    b = load("sample:eurusd-h1")
    for c in ("time", "bid_open", "bid_high", "bid_low", "bid_close", "ask_open", "ask_high", "ask_low", "ask_close"):
        assert np.array_equal(getattr(b, c), getattr(src, c)), c
