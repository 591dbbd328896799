"""HMR windows with a cap each (``SymbolMargin.hmr_caps``): AMarkets margins at 1:200 around news
for positions opened inside the news window, and at 1:1000 over the weekend for every open position."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from conftest import ns, record_margins, scripted

from leverlab.brokers import resolve_terms
from leverlab.data.frames import Bars
from leverlab.engine import Backtest

M5 = 300_000_000_000


def _run(times, plan, deposit=1_000.0, calendar=()):
    """Flat EURUSD at 1.1 on AMarkets standard (SC); returns the margin seen at each bar close."""
    t = np.asarray(times, dtype=np.int64)
    p = np.full(t.shape[0], 1.1)
    data = Bars("EURUSD", "M5", t, p, p, p, p)
    terms = resolve_terms("amarkets", "standard", "SC")
    seen, r = record_margins(data, plan, terms=terms, deposit=deposit, calendar=calendar, timeframe="M5")
    return seen, r, terms


def test_amarkets_windows_have_their_own_caps():
    terms = resolve_terms("amarkets", "standard", "SC")
    caps = dict(zip((w.id for w in terms.hmr_windows), terms.symbols["EURUSD"].hmr_caps))
    assert caps == {"news": 200.0, "weekend": 1000.0}
    assert {w.id: w.applies_to for w in terms.hmr_windows} == {"news": "new_positions", "weekend": "all_positions"}


def test_news_cap_for_positions_opened_inside_the_news_window():
    """News at 11:10 UTC, window 15 min before / 10 after: [10:55, 11:20). 1 lot EURUSD at 1.1 is 110 USD
    at the account's 1:1000; a lot filled at 10:55 (inside) is 550 USD at 1:200 until 11:20; a lot
    filled at 10:45 (before) stays at 110 USD through the window."""
    t0 = ns(2024, 1, 2, 10, 40)
    times = [t0 + k * M5 for k in range(12)]  # 10:40 ... 11:35 bars; closes at +3:45
    news = datetime(2024, 1, 2, 11, 10, tzinfo=timezone.utc)
    plan = {0: lambda s: s.buy(1), 2: lambda s: s.buy(1)}  # fills at the 10:45 and 10:55 opens
    seen, r, _ = _run(times, plan, calendar=[news])
    assert seen[1] == pytest.approx(110.0)  # 10:48:45, one lot, no window yet
    assert seen[3] == pytest.approx(660.0)  # 10:58:45: + the lot opened inside the window at 1:200
    assert seen[7] == pytest.approx(660.0)  # 11:18:45: still inside
    assert seen[8] == pytest.approx(220.0)  # 11:23:45: the window is over
    assert r.events == []
    quiet, _, _ = _run(times, plan)  # no news in the calendar: no cap
    assert quiet[3] == pytest.approx(220.0)


def test_weekend_cap_is_the_weekend_windows_own():
    """AMarkets' weekend window (Friday 22:00 to Monday 01:00 server time, EET: 20:00 to Sunday
    23:00 UTC in winter) caps every open position at 1:1000, not at the news window's 1:200: 1 lot
    opened on Friday keeps 110 USD of margin through the weekend (550 USD if the news cap applied)."""
    fri = [ns(2024, 1, 5, 19, 30) + k * M5 for k in range(12)]  # 19:30 ... 20:25 UTC
    sun = [ns(2024, 1, 7, 22, 30) + k * M5 for k in range(12)]  # 22:30 ... 23:25 UTC
    seen, r, _ = _run(fri + sun, {0: lambda s: s.buy(1), 13: lambda s: s.buy(1)})
    assert seen[1] == pytest.approx(110.0)  # Friday 19:38:45 UTC, before the window
    assert seen[8] == pytest.approx(110.0)  # Friday 20:13:45 UTC, inside: 1:1000 cap, not 1:200
    assert seen[14] == pytest.approx(220.0)  # Sunday 22:43:45, + 1 lot opened inside the weekend: 1:1000
    assert seen[20] == pytest.approx(220.0)  # Sunday 23:13:45, the window is over
    assert r.events == []


def test_weekend_window_is_in_the_schedule_with_its_cap():
    from leverlab.engine._schedule import hmr_schedule

    terms = resolve_terms("amarkets", "standard", "SC")
    hmr, cap, all_positions = hmr_schedule(terms, ns(2024, 1, 5), ns(2024, 1, 9), [], ["EURUSD"])
    assert all_positions
    assert hmr.tolist() == [[ns(2024, 1, 5, 20), ns(2024, 1, 7, 23), 0]]
    assert cap.tolist() == [[1000.0, float("inf")]]


def test_overlapping_windows_each_with_its_cap():
    """A 1:2000 account with a weekend window on all positions at 1:500 and a news window (22:45,
    15 min before / 10 after) on new positions at 1:200, the news inside the weekend: a lot held from
    before the weekend is margined at 1:500 (220 USD); a lot opened in the news window gets the tighter
    1:200 (550 USD) until the news window ends, then 1:500 while the weekend lasts, then 1:2000 (55 USD)."""
    from conftest import make_terms

    from leverlab.brokers.terms import HmrWindow, SymbolMargin

    weekend = HmrWindow("weekend", 0, 0, applies_to="all_positions", weekly_start="friday 20:00",
                        weekly_end="sunday 23:00", timezone="UTC", id="weekend")
    news = HmrWindow("news", 15, 10, id="news")
    sm = {"EURUSD": SymbolMargin("EURUSD", 2000.0, hmr_cap=200.0, hmr_caps=(500.0, 200.0))}
    terms = make_terms(symbol_margin=sm, hmr_windows=(weekend, news), leverage=2000.0, stop_out=0.0,
                       margin_call=None)
    sun = [ns(2024, 1, 7, 22, 30) + k * M5 for k in range(12)]  # 22:30 ... 23:25 UTC
    t = np.asarray([ns(2024, 1, 5, 19, 45), ns(2024, 1, 5, 19, 50), ns(2024, 1, 5, 20, 5)] + sun, dtype=np.int64)
    p = np.full(t.shape[0], 1.1)
    seen: dict[int, float] = {}
    plan = {0: lambda s: s.buy(1), 3: lambda s: s.buy(1)}  # fills at Fri 19:50 and at the Sun 22:35 open

    def note(s):
        seen[s._i] = s.account.margin
        if s._i in plan:
            plan[s._i](s)

    Backtest(Bars("EURUSD", "M5", t, p, p, p, p), scripted({i: note for i in range(t.shape[0])}), terms=terms,
             deposit=10_000, calendar=[datetime(2024, 1, 7, 22, 45, tzinfo=timezone.utc)], timeframe="M5").run()
    assert seen[1] == pytest.approx(55.0)  # Friday 19:53:45, before the weekend
    assert seen[2] == pytest.approx(220.0)  # Friday 20:08:45, weekend 1:500
    assert seen[4] == pytest.approx(220.0 + 550.0)  # Sunday 22:38:45: news window [22:30, 22:55)
    assert seen[7] == pytest.approx(220.0 + 550.0)  # Sunday 22:53:45, still inside the news window
    assert seen[8] == pytest.approx(220.0 + 220.0)  # Sunday 22:58:45: news over, weekend 1:500 on both
    assert seen[9] == pytest.approx(55.0 + 55.0)  # Sunday 23:03:45: the weekend is over
