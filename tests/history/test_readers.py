"""The four real statements read into one typed history; bad files give a clear error naming the file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from leverlab.history import Statement, StatementError, map_symbol, read_statement
from leverlab.times import to_ns

from .conftest import MT4_EUR, MT4_USD, MT5_TESTER, MT5_XLSX


def _balance_from_history(s: Statement) -> Decimal:
    return sum((t.net for t in s.trades), Decimal(0)) + sum((b.amount for b in s.balance_ops), Decimal(0))


def test_mt4_usd_counts_account_and_balance(mt4_usd: Statement) -> None:
    s = mt4_usd
    assert s.format == "mt4-statement"
    assert (s.account.number, s.account.currency, s.account.leverage, s.account.company) == \
        ("1000001", "USD", None, "Fyntura Limited")  # the file prints "Leverage:" with nothing after it
    assert sum(1 for t in s.trades if t.closed) == 297  # "Total Trades: 297" in the file's details
    assert sum(1 for t in s.trades if not t.exits) == 5  # the Open Trades table
    assert [b.amount for b in s.balance_ops] == [Decimal("397.00"), Decimal("-350.00"), Decimal("-450.00")]
    assert s.stated_balance == Decimal("1232.24")
    # every closed trade's profit + commission + swap + taxes, plus deposits and withdrawals: the stated balance
    assert sum((t.net for t in s.trades if t.closed), Decimal(0)) + sum((b.amount for b in s.balance_ops),
                                                                        Decimal(0)) == Decimal("1232.24")
    assert s.symbols == ["AUDUSD", "EURGBP", "EURJPY", "EURUSD", "GBPJPY", "GBPUSD", "UKOIL", "USDJPY", "XAUUSD"]
    first = s.trades[0]
    assert (first.ticket, first.symbol_raw, first.side, first.lots, first.open_price, first.open_commission) == \
        ("2175250", "eurusd", 1, Decimal("0.02"), Decimal("1.11159"), Decimal("-0.04"))
    assert first.open_time == to_ns("2024-09-18T09:57:14")  # server wall clock, zone not stated
    assert s.zone is None and "server time" in s.time_note()


def test_mt4_eur_counts_and_unmapped_symbols(mt4_eur: Statement) -> None:
    s = mt4_eur
    assert (s.account.currency, s.account.leverage, s.account.company) == \
        ("EUR", 200.0, "Tradeslide Trading Tech Limited")
    assert len(s.closed_trades) == 130 and s.stated_balance == Decimal("524.17")
    assert _balance_from_history(s) == Decimal("524.17")
    assert sorted(s.unmapped) == ["gbpmxn", "gbpnok", "gbptry"]  # not in the catalog: kept, named, unmapped
    assert len(s.symbols) == 30


def test_mt5_xlsx_french_labels_partial_close_and_per_deal_commission(mt5_xlsx: Statement) -> None:
    s = mt5_xlsx
    assert s.format == "mt5-history"
    a = s.account
    assert (a.number, a.currency, a.server, a.mode, a.demo, a.company) == \
        ("1000003", "USD", "FTMO-Demo", "hedging", True, "FTMO Global Markets Ltd")
    assert sum(1 for t in s.trades if t.closed) == 374  # 374 closed positions (PROVENANCE), 375 rows with the partial
    assert sum(1 for t in s.trades if t.exits and not t.closed) == 1
    assert sum(1 for t in s.trades if not t.exits) == 5  # the open positions table: 6 rows, one the partial
    assert sum(len(t.exits) for t in s.trades) == 381
    assert s.stated_balance == Decimal("200772.80")
    assert _balance_from_history(s) == Decimal("200772.80")  # every deal's money, open positions' entry commission too
    part = next(t for t in s.trades if t.ticket == "479327047")
    assert (part.symbol, part.side, part.lots, part.closed_lots, part.open_lots) == \
        ("AUDUSD", -1, Decimal("0.05"), Decimal("0.02"), Decimal("0.03"))
    assert part.open_commission == Decimal("-0.13") and part.exits[0].commission == Decimal("-0.05")
    assert (part.sl, part.tp) == (Decimal("0.69606"), Decimal("0.69025"))  # from the Positions table
    assert any("375 of 375 closed positions agree" in n for n in s.notes)
    assert "LNKUSD" in s.unmapped and "US500" in s.symbols  # US500.cash mapped


def test_mt5_tester_utf16(mt5_tester: Statement) -> None:
    s = mt5_tester
    assert s.format == "mt5-tester"
    assert (s.account.currency, s.account.leverage, s.account.company, s.account.server) == \
        ("USD", 500.0, "MetaQuotes Ltd.", "MetaQuotes-Demo")
    assert len(s.closed_trades) == 145 and sum(len(t.exits) for t in s.trades) == 145
    assert [b.amount for b in s.balance_ops] == [Decimal("3000.00")]
    assert s.stated_balance == Decimal("3012.48") == _balance_from_history(s)
    # deals 288 and 289 close two sells at one price: tied by their stated profit, not by order of opening
    by_deal = {e.ticket: t for t in s.trades for e in t.exits}
    assert by_deal["288"].open_price == Decimal("4200.41") and by_deal["289"].open_price == Decimal("4209.54")


def test_in_zone_moves_times_to_utc(mt4_eur: Statement) -> None:
    utc = mt4_eur.in_zone("+03:00")
    assert utc.trades[0].open_time == mt4_eur.trades[0].open_time - 3 * 3600 * 10**9
    assert utc.zone == "+03:00" and "UTC" in utc.time_note()
    athens = mt4_eur.in_zone("Europe/Athens")  # EEST in October 2017: UTC+3
    assert athens.trades[0].open_time == utc.trades[0].open_time
    with pytest.raises(StatementError, match="expected an IANA name"):
        mt4_eur.in_zone("Mars/Olympus")


def test_symbol_suffixes_and_override() -> None:
    assert [map_symbol(s) for s in ("EURUSD.", "eurusd-std", "US500.cash", "EURUSDm", "XAUUSD.pro", "GBPJPYmicro")] \
        == ["EURUSD", "EURUSD", "US500", "EURUSD", "XAUUSD", "GBPJPY"]
    assert map_symbol("LNKUSD") is None and map_symbol("LNKUSD", {"lnkusd": "ETHUSD"}) == "ETHUSD"


# ------------------------------------------------------------------ bad files
def test_truncated_html_names_the_file(statements_dir: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.htm"
    cut.write_bytes((statements_dir / MT4_USD).read_bytes()[:200_000])
    with pytest.raises(StatementError, match=r"cut\.htm: the HTML ends before its closing </html>.*truncated"):
        read_statement(cut)


def test_another_format_names_the_file(tmp_path: Path) -> None:
    csv = tmp_path / "EURUSD.csv"
    csv.write_text("time,bid,ask\n2024-01-01 00:00,1.1,1.1001\n")
    with pytest.raises(StatementError, match=r"EURUSD\.csv: neither HTML nor an XLSX workbook.*expected a MetaTrader"):
        read_statement(csv)
    page = tmp_path / "page.html"
    page.write_text("<html><body><table><tr><td>Hello</td><td>1</td></tr></table></body></html>")
    with pytest.raises(StatementError, match=r"page\.html: an HTML page without a trades or deals table"):
        read_statement(page)


def test_workbook_without_deals_table(statements_dir: Path, tmp_path: Path) -> None:
    import openpyxl

    with pytest.warns(UserWarning, match="no default style"):  # as MetaTrader writes its workbooks
        src = openpyxl.load_workbook(statements_dir / MT5_XLSX, read_only=True)
    rows = [list(r) for r in src.worksheets[0].iter_rows(values_only=True)]
    src.close()
    cut = next(i for i, r in enumerate(rows) if r[4] == "Direction")  # keep everything above the deals table
    wb = openpyxl.Workbook()
    for r in rows[:cut - 1]:
        wb.active.append(r)
    path = tmp_path / "positions-only.xlsx"
    wb.save(path)
    with pytest.raises(StatementError, match=r"positions-only\.xlsx: a workbook without the deals table"):
        read_statement(path)
    with pytest.raises(StatementError, match="missing.xlsx: cannot read the file"):
        read_statement(tmp_path / "missing.xlsx")


def test_every_shared_statement_reads(statements_dir: Path) -> None:
    for name in (MT4_USD, MT4_EUR, MT5_XLSX, MT5_TESTER):
        assert read_statement(statements_dir / name).trades


def test_mt5_history_as_html_reads_like_the_workbook(statements_dir: Path, tmp_path: Path,
                                                     mt5_xlsx: Statement) -> None:
    """The terminal saves the same report as HTML: the same rows in <tr>/<td> read to the same history."""
    import html

    import openpyxl

    with pytest.warns(UserWarning, match="no default style"):
        wb = openpyxl.load_workbook(statements_dir / MT5_XLSX, read_only=True)
    rows = [["" if v is None else str(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>\n" for r in rows)
    page = tmp_path / "ReportHistory.html"
    page.write_text(f"<html><body><table>\n{body}</table></body></html>", encoding="utf-16")
    s = read_statement(page)
    assert s.summary() | {"file": ""} == mt5_xlsx.summary() | {"file": ""}
    assert [t.to_dict() for t in s.trades] == [t.to_dict() for t in mt5_xlsx.trades]


def test_mt5_tester_in_utf8(statements_dir: Path, tmp_path: Path, mt5_tester: Statement) -> None:
    utf8 = tmp_path / "ReportTester.html"
    utf8.write_text((statements_dir / MT5_TESTER).read_bytes().decode("utf-16"), encoding="utf-8")
    s = read_statement(utf8)
    assert len(s.closed_trades) == 145 and s.stated_balance == mt5_tester.stated_balance
