"""Higher-margin windows: weekend (DST-aware) and news (from a calendar); HMR interval arrays."""

from __future__ import annotations

import numpy as np
import pytest

from leverlab.brokers import hmr_intervals, leverage, resolve_terms, to_ns


def exness(symbol: str, time: str | None, equity: float = 3000, **kw: object):
    return leverage("exness", "standard", "SC", "retail", symbol, equity, time=time, **kw)


def test_exness_weekend_usdchf_1_2000_becomes_1_200() -> None:
    # Exness library example: 1 lot USDCHF at 1:2000 = 50 USD; opened Fri 20:00 GMT = 500 USD (1:200)
    normal = exness("USDCHF", "2024-07-03T20:00:00Z")
    assert normal.leverage == 2000 and 100_000 * normal.margin_rate == pytest.approx(50)
    weekend = exness("USDCHF", "2024-07-05T20:00:00Z")
    assert weekend.leverage == 200 and weekend.bound_by == "hmr"
    assert 100_000 * weekend.margin_rate == pytest.approx(500)
    assert "inside the window" in weekend.explanation


@pytest.mark.parametrize("time,inside", [
    # summer (EDT): close Fri 20:59 UTC -> window from 17:59 UTC; reopen Sun 21:05 UTC -> until 22:05 UTC
    ("2024-07-05T17:58:59Z", False), ("2024-07-05T17:59:00Z", True), ("2024-07-07T22:04:59Z", True),
    ("2024-07-07T22:05:00Z", False),
    # winter (EST): close Fri 21:59 UTC -> from 18:59 UTC; reopen Sun 22:05 -> until 23:05 UTC
    ("2024-01-12T18:58:00Z", False), ("2024-01-12T18:59:00Z", True), ("2024-01-14T23:04:00Z", True),
    ("2024-01-14T23:05:00Z", False),
])
def test_exness_weekend_window_edges_follow_dst(time: str, inside: bool) -> None:
    assert (exness("EURUSD", time).leverage == 200) is inside


def test_hmr_caps_by_instrument_and_unknown_caps() -> None:
    t = "2024-07-05T20:00:00Z"
    assert exness("XAUUSD", t).leverage == 200
    assert exness("XAGUSD", t).leverage == 100
    unknown = exness("US500", t)  # fixed margin 0.5%; HMR cap for indices unknown
    assert unknown.fixed_margin and unknown.margin_rate == pytest.approx(0.005)
    assert any(r["rule"] == "hmr" and r["value"] == "unknown" for r in unknown.rules)


def test_news_window_needs_a_calendar() -> None:
    cal = ["2024-03-08T13:30:00Z"]
    assert exness("EURUSD", "2024-03-08T13:14:59Z", calendar=cal).leverage == 2000  # > 15 min before: outside
    assert exness("EURUSD", "2024-03-08T13:15:00Z", calendar=cal).leverage == 200  # 15 min before
    assert exness("EURUSD", "2024-03-08T13:34:59Z", calendar=cal).leverage == 200
    assert exness("EURUSD", "2024-03-08T13:35:00Z", calendar=cal).leverage == 2000  # 5 min after: outside
    no_cal = exness("EURUSD", "2024-03-08T13:30:00Z")
    assert no_cal.leverage == 2000
    assert any("no economic calendar" in r["note"] for r in no_cal.rules)


def test_justmarkets_weekend_and_unknown_news_cap() -> None:
    # 2019 notice: Fri 22:00 to Mon 02:00 GMT+3 -> Fri 19:00 to Sun 23:00 UTC; example 0.5 lot USDCAD at Fri 23:00 GMT+3
    a = leverage("justmarkets", "pro", "SC", "retail", "USDCAD", 1000, time="2024-07-05T20:00:00Z", selected=1000)
    assert a.leverage == 200 and round(0.5 * 100_000 * a.margin_rate) == 250
    assert leverage("justmarkets", "pro", "SC", "retail", "USDCAD", 1000, time="2024-07-03T12:00:00Z",
                    selected=1000).leverage == 1000
    news = leverage("justmarkets", "standard", "SC", "retail", "EURUSD", 500, time="2024-03-08T13:25:00Z",
                    calendar=["2024-03-08T13:30:00Z"])
    assert news.leverage == 3000 and "unknown" in news.explanation


def test_amarkets_weekend_cuts_raised_leverage_to_1000() -> None:
    fri = "2024-07-05T20:00:00Z"  # 23:00 EEST
    a = leverage("amarkets", "standard", "SC", "retail", "EURUSD", 800, time=fri, selected=3000)
    assert a.leverage == 1000 and a.bound_by == "hmr"
    assert leverage("amarkets", "standard", "SC", "retail", "EURUSD", 800, time="2024-07-03T10:00:00Z",
                    selected=3000).leverage == 3000


def test_hmr_intervals_array() -> None:
    t = resolve_terms("exness", "standard", "SC")
    start, end = to_ns("2024-07-01T00:00:00Z"), to_ns("2024-07-15T00:00:00Z")
    iv = hmr_intervals(t, start, end)
    assert iv.dtype == np.int64 and iv.shape == (2, 2)
    assert iv[0, 0] == to_ns("2024-07-05T17:59:00Z") and iv[0, 1] == to_ns("2024-07-07T22:05:00Z")
    cal = ["2024-07-03T12:30:00Z", "2024-07-10T12:30:00Z", "2025-01-01T00:00:00Z"]
    iv2 = hmr_intervals(t, start, end, cal)
    assert iv2.shape == (4, 2)
    assert [to_ns("2024-07-03T12:15:00Z"), to_ns("2024-07-03T12:35:00Z")] in iv2.tolist()
    news_only = hmr_intervals(t, start, end, cal, window="news")
    assert news_only.shape == (2, 2)
    winter = hmr_intervals(t, to_ns("2024-01-08T00:00:00Z"), to_ns("2024-01-15T00:00:00Z"))
    assert winter.tolist() == [[to_ns("2024-01-12T18:59:00Z"), to_ns("2024-01-14T23:05:00Z")]]
    # overlapping windows are merged
    merged = hmr_intervals(t, start, end, ["2024-07-05T18:00:00Z"])
    assert merged.shape == (2, 2)


def test_amarkets_per_window_caps_in_terms() -> None:
    t = resolve_terms("amarkets", "standard", "SC", selected_leverage=3000)
    sm = t.margin_for("EURUSD")
    ids = [w.id for w in t.hmr_windows]
    assert dict(zip(ids, sm.hmr_caps)) == {"news": 200, "weekend": 1000}
    assert sm.hmr_cap == 200
    assert hmr_intervals(t, to_ns("2024-07-01T00:00Z"), to_ns("2024-07-08T00:00Z"), window="weekend").tolist() == [
        [to_ns("2024-07-05T19:00:00Z"), to_ns("2024-07-07T22:00:00Z")]]
