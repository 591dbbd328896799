"""Replaying a statement on every account the trader can open: the done-when cases (the MT4 EUR demo on the
bundled sample, the MT4 USD statement at its own prices) and a small statement computed by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leverlab.analysis.compare import CompareError
from leverlab.cli import app
from leverlab.history import HistoryComparison, Statement, compare_statement
from leverlab.history.model import AccountInfo, BalanceOp, Exit, Trade
from leverlab.times import to_ns

from .conftest import MT4_EUR, MT4_USD

SAMPLES = ["sample:eurusd-h1", "sample:xauusd-h1"]


def _accounted(h: HistoryComparison) -> None:
    """Every replayed trade is placed or listed as not placed, on every account that ran."""
    for label, log in h.accounts.items():
        not_placed = sum(1 for s in log.skipped if s.what == "not placed")
        assert log.placed + not_placed == len(h.replayed), label


@pytest.fixture(scope="module")
def eur_demo(mt4_eur: Statement) -> HistoryComparison:
    return compare_statement(mt4_eur.in_zone("+03:00"), data=SAMPLES, country="SC", client="retail")


def test_eur_demo_on_the_bundled_sample(eur_demo: HistoryComparison) -> None:
    h = eur_demo
    assert h.mode == "data"
    # 18 EURUSD trades and 1 XAUUSD in the statement (2017-10); the other 111 need prices no sample has
    assert len(h.replayed) == 19 and len(h.not_replayed) == 111
    assert sum(1 for s in h.not_replayed if s.reason.startswith("unknown symbol")) == 3  # gbpnok, gbptry, gbpmxn
    assert sum(1 for s in h.not_replayed if s.reason == "no price data for GBPUSD (give --data for it)") == 16
    c = h.comparison
    assert c.ranked and c.ranked[0].rank == 1 and c.inputs.currency == "EUR" and c.inputs.deposit == 500.0
    assert any("margin path between trades is simulated" in n for n in c.notes)
    assert any("converted to UTC from server zone +03:00" in n for n in c.notes)
    _accounted(h)
    # the sample has no EURUSD quote from Friday 2017-10-06 16:00 UTC to the Sunday open: the first trade is
    # filled there, and each account says so
    first = h.accounts[c.ranked[0].label].skipped[0]
    assert (first.ticket, first.what) == ("61960300", "filled late") and "53.0 h later" in first.reason
    for r in c.ranked:  # every run's ledger explains its balance to the cent
        res = r.result
        assert res is not None and res.final_balance == res.ledger_balance()


def test_usd_statement_at_its_own_prices(mt4_usd: Statement) -> None:
    h = compare_statement(mt4_usd, country="SC", client="retail")
    assert h.mode == "statement" and len(h.replayed) == 302 and h.not_replayed == []
    c = h.comparison
    assert any("checks margin at each trade event only" in n for n in c.notes)
    assert any("server time" in n for n in c.notes)
    # the accounts whose commission is unpublished are listed, not ranked (issue 9: never simulated at 0)
    unranked = {r.label for r in c.rows if r.unranked}
    assert {"exness/zero", "justmarkets/raw_spread"} <= unranked
    assert all("never simulated as 0" in r.unranked for r in c.rows if r.unranked)
    assert len(c.ranked) >= 15
    _accounted(h)
    # the two withdrawals (-350, -450) are booked on every account that still has the free margin for them
    alive = [r for r in c.ranked if r.stats is not None and not r.stats.stop_outs]
    assert alive and all(h.accounts[r.label].transfers_booked == Decimal("-800.00") for r in alive)
    # an account whose costs stop it out lists the trades it could no longer place, with the reason
    stopped = [r for r in c.ranked if r.stats is not None and r.stats.stop_outs]
    for r in stopped:
        log = h.accounts[r.label]
        assert any(s.what == "not placed" and "not enough free margin" in s.reason for s in log.skipped)
    doc = h.to_dict()
    assert doc["history"]["mode"] == "statement" and doc["rows"][0]["rank"] == 1
    json.dumps(doc)  # one JSON document


def _tiny() -> Statement:
    t = Trade("1", "EURUSD", "EURUSD", 1, Decimal("1"), to_ns("2024-03-05T10:00Z"), Decimal("1.1000"), None, None,
              exits=(Exit(to_ns("2024-03-05T12:00Z"), Decimal("1"), Decimal("1.1010"), Decimal("100.00")),))
    ops = (BalanceOp(to_ns("2024-03-04T09:00Z"), Decimal("1000")),
           BalanceOp(to_ns("2024-03-05T11:00Z"), Decimal("-500")))
    return Statement("tiny.htm", "mt4-statement", AccountInfo(currency="USD"), (t,), ops, Decimal("600.00"))


def test_hand_computed_replay() -> None:
    h = compare_statement(_tiny(), brokers=["exness"], country="SC")
    rows = {r.label: r for r in h.comparison.rows}
    # Exness Standard publishes 0.95 pips on EURUSD: the statement's prices stand as the mid, so the buy opens at
    # 1.1000 + 0.000475 and closes at 1.1010 - 0.000475: (0.0010 - 0.000095) x 100,000 x 1 lot = 90.50 USD;
    # 1,000 deposited, 500 withdrawn between: 590.50
    std = rows["exness/standard"].result
    assert std is not None
    assert [(d.kind, d.amount) for d in std.deals] == [("deposit", Decimal("1000.00")), ("open", Decimal("0.00")),
                                                       ("deposit", Decimal("-500.00")), ("close", Decimal("90.50"))]
    # Raw Spread: 0.028 pips and 3.50 USD a lot a side: (0.0010 - 0.0000028) x 100,000 = 99.72; 1000 - 500 + 99.72 - 7
    assert rows["exness/raw_spread"].result.final_balance == Decimal("592.72")  # type: ignore[union-attr]
    # the cent account trades the same exposure in its smaller lots: 100 cent lots, the same 90.50 USD
    cent = rows["exness/standard_cent"]
    assert cent.stats is not None and cent.stats.final_balance == 590.50
    # net return on the money put in: (590.50 - 1000 + 500) / 1000
    assert rows["exness/standard"].stats.net_return == pytest.approx(0.0905)  # type: ignore[union-attr]


def test_nothing_to_replay_is_a_clear_error() -> None:
    s = _tiny()
    with pytest.raises(CompareError, match=r"data 'sample:xauusd-h1' for tiny.htm: no market data between "
                                           r"2024-03-02T09:00:00Z and 2024-03-07T12:00:00Z; the data covers 2007"):
        compare_statement(s, data=["sample:xauusd-h1"])
    unknown = Statement("odd.htm", s.format, s.account, (Trade("2", "gbpnok", None, 1, Decimal("1"), 0, Decimal(1),
                                                               None, None),), s.balance_ops, None)
    with pytest.raises(CompareError, match="odd.htm: no trade can be replayed: unknown symbol 'gbpnok'"):
        compare_statement(unknown)
    no_deposit = Statement("nodep.htm", s.format, s.account, s.trades, (), None)
    with pytest.raises(CompareError, match="nodep.htm: the statement has no deposit"):
        compare_statement(no_deposit)


def test_cli_compare_writes_the_report(statements_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    r = CliRunner().invoke(app, ["history", "compare", str(statements_dir / MT4_EUR), "--data", SAMPLES[0],
                                 "--data", SAMPLES[1], "--zone", "+03:00", "--brokers", "exness,xm", "--out",
                                 str(out), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["history"]["trades_replayed"] == 19 and doc["report"]["html"] == str(out / "report.html")
    assert (out / "report.html").stat().st_size > 0 and (out / "report.png").stat().st_size > 0
    r = CliRunner().invoke(app, ["history", "compare", str(statements_dir / MT4_USD), "--brokers", "xm",
                                 "--out", str(tmp_path / "usd")], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "Your trades on each account" in r.stdout and "trade event only" in r.stdout
