"""One time module: every room reads and prints instants through ``leverlab.times``."""

from __future__ import annotations

import importlib
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from leverlab.times import from_ns, iso, to_ns

T = 1_720_209_600_000_000_000  # 2024-07-05T20:00:00Z


@pytest.mark.parametrize("text", ["2024-07-05T20:00:00Z", "2024-07-05T20:00Z", " 2024-07-05T20:00:00z ",
                                  "2024-07-05T22:00:00+02:00", "2024-07-05T20:00:00"])
def test_to_ns_reads_iso_text_with_or_without_an_offset(text):
    assert to_ns(text) == T


def test_to_ns_reads_every_kind_of_time():
    assert to_ns(datetime(2024, 7, 5, 20, tzinfo=timezone.utc)) == T
    assert to_ns(datetime(2024, 7, 5, 20)) == T  # naive: UTC
    assert to_ns(date(2024, 7, 5)) == T - 20 * 3600 * 10**9
    assert to_ns(np.datetime64("2024-07-05T20:00:00.000000001")) == T + 1
    assert to_ns(np.int64(T)) == T and to_ns(T) == T


def test_to_ns_names_what_it_cannot_read():
    with pytest.raises(ValueError, match="not ISO 8601"):
        to_ns("5 July 2024")
    with pytest.raises(TypeError, match="cannot read a time from float"):
        to_ns(1.5)


def test_iso_shows_whole_seconds_and_only_the_fraction_needed():
    assert iso(T) == "2024-07-05T20:00:00Z"
    assert iso(T + 292_000_000) == "2024-07-05T20:00:00.292Z"
    assert iso(T + 1_000) == "2024-07-05T20:00:00.000001Z"
    assert iso(T + 7) == "2024-07-05T20:00:00Z"  # below the microsecond: the bar's own time
    assert iso(np.int64(T)) == "2024-07-05T20:00:00Z"
    assert iso(None) is None


def test_iso_reads_back_through_to_ns_and_agrees_with_from_ns():
    for ns in (T, T + 292_000_000, T + 123_456_000, 0, -1_500_000_000):
        assert to_ns(iso(ns)) == ns
        assert from_ns(ns) == datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=ns // 1000)
    assert iso(-1_500_000_000) == "1969-12-31T23:59:58.5Z"


def test_the_rooms_use_the_one_iso():
    compare, hmr, validate, _schedule, backtest = (importlib.import_module(f"leverlab.{m}") for m in (
        "analysis.compare", "brokers.hmr", "data.validate", "engine._schedule", "engine.backtest"))
    assert compare.iso is validate.iso is backtest.iso is iso
    assert hmr.to_ns is compare.to_ns is _schedule.to_ns is backtest.to_ns is to_ns
