"""The copy backtest on the bundled EURUSD H1 sample: every master fill mirrored on each follower's own
account at the same quote, with the follower's own margin check, stop-out and NBP."""

from __future__ import annotations

import math

import pytest

from leverlab import load
from leverlab.copytrade import CopyError, CopyRule
from leverlab.copytrade.backtest import AccountSpec, copy_backtest, tracking_error
from leverlab.engine import Strategy
from leverlab.engine.formulas import floor_lots
from leverlab.strategies import get

MASTER = AccountSpec("exness", "standard", deposit=10_000, leverage=500)  # stop-out 0 %, NBP


@pytest.fixture(scope="module")
def sample():
    return load("sample:eurusd-h1")


class Scripted(Strategy):
    """Buy 1 lot at bar 5, close 0.3 of it at bar 10 and the rest at bar 15; at bar 20 buy 0.4 lot
    with a 5-pip stop-loss."""

    def next(self):
        i = len(self.data) - 1
        if i == 5:
            self.buy(lots=1.0)
        elif i == 10:
            self.close(lots=0.3)
        elif i == 15:
            self.close()
        elif i == 20:
            self.buy(lots=0.4, sl=self.data.Close[-1] - 0.0005)


def fills(result):
    return [(d.kind, d.time, d.lots) for d in result.deals if d.kind in ("open", "close")]


def test_octa_rule_sizes_each_copy_from_both_equities_and_leverages(sample):
    """Master 1,000 USD at 1:500 trading 0.5 lot, follower 300 USD at 1:200. The first copy, before
    either account has traded: 0.5 x 300/1000 x 200/500 = 0.5 x 0.3 x 0.4 = 0.06 lot. Later copies
    use the equities of the moment; each is the rule's size floored to the 0.01 step."""
    run = copy_backtest(sample.take(slice(0, 1500)), get("sma_cross"),
                        master=AccountSpec("exness", "standard", deposit=1_000, leverage=500),
                        followers=[AccountSpec("octa", "mt", deposit=300, leverage=200)],
                        rule=CopyRule("octa"), country="SC", params={"lots": 0.5})
    f = run.followers[0]
    opens = [c for c in f.copies if c.action == "open"]
    assert math.isclose(opens[0].computed, 0.06) and opens[0].lots == 0.06
    assert len(opens) >= 10 and len({c.lots for c in opens}) > 1  # the equities moved the size
    for c in opens:
        if c.status == "copied":
            assert c.lots == floor_lots(c.computed, 0.01)
    # every copy filled at the master's quote: the follower's fills are the master's times
    m_times = {(k, t) for k, t, _ in fills(run.master_result)}
    f_times = {(k, t) for k, t, _ in fills(f.result)}
    assert f_times <= m_times and f.copied == len(fills(f.result))  # every follower fill is a copy
    assert f.result.final_balance == f.result.ledger_balance()


def test_partial_closes_and_a_stop_loss_are_mirrored(sample):
    """Ratio 0.5: the 1-lot buy is copied as 0.5 lot; the master's 0.3-lot partial close as
    0.5 x 0.3 / 1.0 = 0.15 lot; the master's last 0.7 lot closes the copy's remaining 0.35 lot; the
    0.4-lot buy is copied as 0.2 lot and closed when the master's stop-loss fills, at that quote."""
    run = copy_backtest(sample.take(slice(0, 200)), Scripted, master=MASTER,
                        followers=[AccountSpec("octa", "mt", deposit=1_000, leverage=200)],
                        rule=CopyRule("ratio", 0.5), country="SC")
    master = fills(run.master_result)
    follower = fills(run.followers[0].result)
    assert [(k, lots) for k, _, lots in master] == [("open", 1.0), ("close", 0.3), ("close", 0.7), ("open", 0.4),
                                                   ("close", 0.4)]
    assert [(k, lots) for k, _, lots in follower] == [("open", 0.5), ("close", 0.15), ("close", 0.35),
                                                     ("open", 0.2), ("close", 0.2)]
    assert [t for _, t, _ in follower] == [t for _, t, _ in master]  # the same quotes
    assert [tr.reason for tr in run.master_result.trades][-1] == "sl"
    assert [c.reason for c in run.followers[0].copies][-1] == "sl"  # the copy closed because of the master's SL
    assert run.followers[0].skipped == []


def test_a_follower_is_stopped_out_while_the_master_survives(sample):
    """The same 0.5-lot trades on 10,000 USD (Exness, stop-out 0 %) and on 100 USD (XM 1:1000, stop-out
    20 %): a 0.5-lot EURUSD position moves 5 USD a pip, so about 17 pips against the follower take
    its margin level under 20 % while the master barely notices."""
    run = copy_backtest(sample.take(slice(0, 2000)), get("sma_cross"), master=MASTER,
                        followers=[AccountSpec("xm", "standard", deposit=100, leverage=1000)],
                        rule=CopyRule("lots", 0.5), country="SC", params={"lots": 0.5})
    f = run.followers[0]
    assert run.master_result.stats.stop_outs == 0
    assert f.result.stats.stop_outs >= 1
    stopped = [c for c in f.copies if c.reason == "the follower's stop-out closed it first"]
    assert stopped and all(c.status == "skipped" and c.action == "close" for c in stopped)
    # what the stop-out left is too little for the next copies' margin: refused, with the margin needed
    refused = [c for c in f.copies if c.status == "rejected"]
    assert refused and all(c.reason == "not enough free margin" and c.margin_needed > 0 for c in refused)
    assert f.result.final_balance >= 0 and f.result.final_balance == f.result.ledger_balance()
    assert f.summary()["stop_outs"] == f.result.stats.stop_outs


def test_a_copy_refused_for_lack_of_margin(sample):
    """50 USD at Pepperstone 1:200 cannot copy a 0.5-lot EURUSD sell: its margin is 0.5 x 100,000 / 200
    = 250 EUR, converted at the mid of the fill quote (bid 1.32883, ask 1.32898: 1.328905) =
    332.22625 USD. The order is refused (a reject event), no deal is booked, and the master's
    close of that position is skipped."""
    run = copy_backtest(sample.take(slice(0, 100)), get("sma_cross"), master=MASTER,
                        followers=[AccountSpec("pepperstone", "standard", deposit=50)],
                        rule=CopyRule("ratio", 1), country="SC", params={"lots": 0.5})
    f = run.followers[0]
    first, then = f.copies[0], f.copies[1]
    assert (first.action, first.side, first.lots, first.status) == ("open", "sell", 0.5, "rejected")
    assert first.reason == "not enough free margin"
    assert first.margin_needed == pytest.approx(250 * 1.328905, abs=1e-6)
    assert (then.action, then.status, then.reason) == ("close", "skipped", "its open was not copied")
    assert [d.kind for d in f.result.deals] == ["deposit"]
    assert f.result.final_balance == 50 and f.copied == 0
    assert f.result.stats.rejects == sum(c.status == "rejected" for c in f.copies)


def test_stop_copy_closes_the_copies_and_copies_no_more(sample):
    """A 1,000 USD follower copying 0.5 lot with a stop-copy level of 950 USD: at the first bar close
    with equity at or below 950 it closes its copies and copies nothing after."""
    run = copy_backtest(sample.take(slice(0, 2000)), get("sma_cross"), master=MASTER,
                        followers=[AccountSpec("octa", "mt", deposit=1_000, leverage=500)],
                        rule=CopyRule("ratio", 1, stop_copy_equity=950), country="SC", params={"lots": 0.5})
    f = run.followers[0]
    assert f.stopped_copying is not None
    after = [d for d in f.result.deals if d.kind == "open" and d.time > f.stopped_copying]
    assert after == []
    assert any(c.reason == "stop_copy" and c.status == "copied" for c in f.copies)
    later = [c for c in f.copies if c.action == "open" and c.time > f.stopped_copying]
    assert later and all(c.status == "skipped" and c.reason.startswith("stop_copy") for c in later)
    closed = [tr for tr in f.result.trades if tr.close_time >= f.stopped_copying]
    assert closed and all(tr.close_time <= f.stopped_copying + 3_600 * 10**9 for tr in closed)


def test_tracking_error_is_zero_for_an_exact_copy_and_positive_for_a_drifting_one(sample):
    """A follower on the master's own terms, deposit and size copies it exactly: tracking error 0.
    Half the size on the same deposit halves every daily return: the error is the spread of half
    the master's returns, above 0."""
    run = copy_backtest(sample.take(slice(0, 1500)), get("sma_cross"), master=MASTER,
                        followers=[AccountSpec("exness", "standard", deposit=10_000, leverage=500, name="twin"),
                                   AccountSpec("exness", "standard", deposit=10_000, leverage=500, name="half")],
                        rule=CopyRule("ratio", 1), country="SC", params={"lots": 0.5})
    twin = run.followers[0]
    assert twin.tracking_error == 0.0
    assert twin.result.final_balance == run.master_result.final_balance
    half = copy_backtest(sample.take(slice(0, 1500)), get("sma_cross"), master=MASTER,
                         followers=[AccountSpec("exness", "standard", deposit=10_000, leverage=500, name="half")],
                         rule=CopyRule("ratio", 0.5), country="SC", params={"lots": 0.5}).followers[0]
    assert half.tracking_error is not None and half.tracking_error > 0
    assert half.tracking_error == tracking_error(run.master_result.series, half.result.series)


@pytest.mark.parametrize(("followers", "message"), [
    ([], "at least one follower"),
    ([AccountSpec("exness", "standard")], "exness/standard cannot copy itself"),
    ([AccountSpec("octa", "mt"), AccountSpec("octa", "mt", deposit=5)], "two followers are both named octa/mt"),
    ([AccountSpec("nobroker", "mt")], "nobroker/mt: "),
    ([AccountSpec("octa", "nosuchtype", name="x")], "x: "),
])
def test_bad_runs_are_refused_before_anything_runs(sample, followers, message):
    with pytest.raises(CopyError, match=message):
        copy_backtest(sample.take(slice(0, 50)), get("sma_cross"), master=AccountSpec("exness", "standard"),
                      followers=followers, rule=CopyRule("octa"), country="SC")


def test_octa_rule_with_unlimited_leverage_is_refused(sample):
    with pytest.raises(CopyError, match="exness/standard: Octa's copy rule divides by the leverage"):
        copy_backtest(sample.take(slice(0, 50)), get("sma_cross"),
                      master=AccountSpec("exness", "standard", leverage=math.inf),
                      followers=[AccountSpec("octa", "mt")], rule=CopyRule("octa"), country="SC")


def test_octa_rule_on_a_cent_follower_copies_the_same_exposure(sample):
    """A cent account keeps its equity in US cents and its lots are 1,000 units (a standard lot is
    100,000). Master 1,000 USD at 1:500 buys 0.5 lot = 50,000 units; follower 30,000 US cents =
    300 USD at 1:200: 50,000 x 300/1000 x 200/500 = 6,000 units = 6 cent lots."""
    run = copy_backtest(sample.take(slice(0, 300)), get("sma_cross"),
                        master=AccountSpec("exness", "standard", deposit=1_000, leverage=500),
                        followers=[AccountSpec("exness", "standard_cent", deposit=30_000, leverage=200)],
                        rule=CopyRule("octa"), country="SC", params={"lots": 0.5})
    f = run.followers[0]
    assert f.result.currency == "USC"
    first = f.copies[0]
    assert (first.action, first.lots, first.status) == ("open", 6.0, "copied")
    assert math.isclose(first.computed, 6.0)


def test_ticks_and_a_second_symbol_keep_the_fills_on_the_masters_quotes(sample):
    """On ticks (decisions on M5 bars) and on two symbols priced at the same instants (EURUSD traded,
    XAUUSD only fed: every quote time is shared by both), each follower fill is at its master fill's
    time, and the follower's ledger reconciles."""
    from leverlab.data.synthetic import synthetic_ticks

    ticks = synthetic_ticks(40_000, seed=3, mean_interval_ms=3_000)  # about 33 hours
    run = copy_backtest(ticks, get("sma_cross"), master=MASTER, timeframe="M5",
                        followers=[AccountSpec("octa", "mt", deposit=2_000, leverage=200)],
                        rule=CopyRule("ratio", 0.5), country="SC", params={"lots": 0.2})
    both = copy_backtest({"EURUSD": sample.take(slice(0, 800)), "XAUUSD": load("sample:xauusd-h1").take(slice(0, 800))},
                         get("sma_cross"), master=MASTER,
                         followers=[AccountSpec("octa", "mt", deposit=2_000, leverage=200)],
                         rule=CopyRule("ratio", 0.5), country="SC", params={"lots": 0.2})
    for r in (run, both):
        f = r.followers[0]
        master, follower = fills(r.master_result), fills(f.result)
        assert len(master) > 10 and f.copied == len(follower) == len(master)
        assert [(k, t, round(lots * 2, 8)) for k, t, lots in follower] == master
        assert f.result.final_balance == f.result.ledger_balance()


def test_octa_rule_same_margin_level_but_the_followers_broker_stops_out_first(sample):
    """Octa's rule keeps the follower's margin level with the master's: master 10,000 USD, follower
    5,000 USD, both 1:200, so each copy is half the master's lots (first: 6 x 5000/10000 x 200/200 =
    3 lots) and needs half its margin. When the master's margin level dips to 47 %, Exness (stop-out
    0 %) keeps it open; Pepperstone (stop-out 50 %) closes the follower's copies at 50 %."""
    run = copy_backtest(sample.take(slice(0, 3000)), get("sma_cross"),
                        master=AccountSpec("exness", "standard", deposit=10_000, leverage=200),
                        followers=[AccountSpec("pepperstone", "standard", deposit=5_000, leverage=200)],
                        rule=CopyRule("octa"), country="SC", params={"lots": 6.0})
    m, f = run.master_result.stats, run.followers[0].result.stats
    assert run.followers[0].copies[0].lots == 3.0
    assert m.stop_outs == 0 and 40 < m.min_margin_level < 50
    assert f.stop_outs == 1 and f.min_margin_level == pytest.approx(50, abs=1e-6)
    assert float(f.final_equity) < float(m.final_equity) / 2  # it no longer tracks half the master
    assert run.followers[0].tracking_error > 0
