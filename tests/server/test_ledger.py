"""One accounting core: the server's ledger is the engine's. Orders sent to a real server and the same
orders applied to a plain ``leverlab.engine.Account`` at the same market times book the same deals; a
stop-out follows the account's own broker rule; swaps arrive as DAILY_FINANCING at the broker's rollover."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import broker_proc
import numpy as np
from broker_proc import Server

from leverlab import load, resolve_terms
from leverlab.brokers.terms import SwapRate
from leverlab.engine import Account
from leverlab.instruments import instrument
from leverlab.server.book import AccountBook, AccountInfo
from leverlab.server.market import Market
from leverlab.server.v20 import parse_time
from leverlab.times import to_ns

server = broker_proc.server  # the fixture (a conftest.py here would shadow tests/engine/conftest.py)


def _clock(server: Server) -> int:
    return parse_time(server.step(seconds=0)["time"])


def test_server_ledger_equals_engine_account(server: Server) -> None:
    """pepperstone razor (commission per lot) through the server and through Account: same fills, same
    commissions, same balances after every deal, same final balance."""
    c = server.account(broker="pepperstone", account_type="razor", country="AU", deposit=5_000)
    plan: list[tuple[int, str, Any]] = []  # (market time, action, argument)

    def at() -> int:
        return _clock(server)

    t = at()
    r = c.order(instrument="EUR_USD", units="20000")
    plan.append((t, "buy", 0.2))
    first = r.json()["orderFillTransaction"]["tradeOpened"]["tradeID"]
    server.step(seconds=5 * 3600)
    t = at()
    r = c.order(instrument="XAU_USD", units="-10", positionFill="OPEN_ONLY")
    assert r.status_code == 201, r.text
    plan.append((t, "sell_xau", 0.1))
    server.step(seconds=7 * 3600)
    t = at()
    r = c.http.put(c.a(f"/trades/{first}/close"), json={"units": "10000"})
    assert r.status_code == 200, r.text
    plan.append((t, "close_part", 0.1))
    server.step(seconds=26 * 3600)
    t = at()
    r = c.order(instrument="EUR_USD", units="-20000")  # REDUCE_FIRST: closes the rest, opens 10000 short
    assert r.status_code == 201, r.text
    plan.append((t, "reduce_then_sell", None))
    server.step(seconds=3 * 3600)
    t = at()
    r = c.http.put(c.a("/positions/XAU_USD/close"), json={"shortUnits": "ALL"})
    assert r.status_code == 200, r.text
    plan.append((t, "close_xau", None))
    server.step(seconds=3600)
    t_end = at()
    txns = c.txns()
    summary = c.get("/summary").json()["account"]

    # the same orders on a plain engine account, fed the whole span at once
    terms = resolve_terms("pepperstone", "razor", "AU", "retail")
    t0 = parse_time(txns[0]["time"])
    frames = {}
    for src in ("sample:eurusd-h1", "sample:xauusd-h1"):
        f = load(src)
        tt = np.asarray(f.time)
        frames[f.symbol] = f.take(slice(int(np.searchsorted(tt, t0)), int(np.searchsorted(tt, t_end + 86400 * 10**9))))
    acct = Account(terms, ["EURUSD", "XAUUSD"], deposit=5_000)
    acct.feed(frames)
    times = acct.quote_times

    def go(t: int) -> None:
        acct.advance(int(np.searchsorted(times, t, "right")))

    pos_eur = pos_xau = 0
    for t, action, _arg in plan:
        go(t)
        if action == "buy":
            acct.submit("EURUSD", 1, 0.2)
        elif action == "sell_xau":
            acct.submit("XAUUSD", -1, 0.1)
        elif action == "close_part":
            acct.close("EURUSD", pos_eur, 0.1)
        elif action == "reduce_then_sell":
            acct.close("EURUSD", pos_eur)
            acct.submit("EURUSD", -1, 0.1)
        elif action == "close_xau":
            acct.close("XAUUSD", pos_xau)
        acct.execute()
        if action == "buy":
            pos_eur = acct.positions("EURUSD")[0].id
        if action == "sell_xau":
            pos_xau = acct.positions("XAUUSD")[0].id
    go(t_end)
    deals = acct.deals()
    # every fill's price and the balance after it agree with the engine's deals
    fills = [x for x in txns if x["type"] == "ORDER_FILL"]
    trade_deals = [d for d in deals if d.kind in ("open", "close")]
    fill_prices = []
    for x in fills:
        fill_prices += [tc["price"] for tc in x.get("tradesClosed", [])]
        if "tradeReduced" in x:
            fill_prices.append(x["tradeReduced"]["price"])
        if "tradeOpened" in x:
            fill_prices.append(x["tradeOpened"]["price"])
    # open EURUSD, open XAUUSD, close part, close the rest + open short (one fill), close XAUUSD: six deals
    assert len(fill_prices) == len(trade_deals) == 6
    assert sorted(fill_prices) == sorted(f"{d.price:.{instrument(d.symbol or '').digits}f}" for d in trade_deals)
    balances_server = [Decimal(x["accountBalance"]) for x in fills]
    balances_engine = []
    for x in fills:  # the engine's balance after the last deal at that fill's time
        at_t = [d for d in deals if d.time <= parse_time(x["time"])]
        balances_engine.append(at_t[-1].balance)
    assert balances_server == balances_engine
    commissions = sum((-d.amount for d in deals if d.kind == "commission"), Decimal(0))
    assert commissions > 0  # razor charges per lot: the ledger shows it
    assert sum((Decimal(x["commission"]) for x in fills), Decimal(0)) == commissions
    assert Decimal(summary["balance"]) == deals[-1].balance == acct.result().final_balance


def test_stop_out_follows_the_broker_rule(server: Server) -> None:
    """exness standard (stop-out at 0 % margin level): a buy and a sell of 1 lot on $100 each; whichever the
    market goes against is closed out as MARGIN_CALL_ENTER, MARKET_ORDER reason MARGIN_CLOSEOUT and its fill,
    with the balance left equal to the transactions' sum (NBP as a funding adjustment if it went negative)."""
    long = server.account(deposit=100)
    short = server.account(deposit=100)
    assert long.order(instrument="EUR_USD", units="100000").status_code == 201
    assert short.order(instrument="EUR_USD", units="-100000").status_code == 201
    hit = None
    for _ in range(60):
        server.step(seconds=12 * 3600)
        for c in (long, short):
            if any(x["type"] == "MARKET_ORDER" and x.get("reason") == "MARGIN_CLOSEOUT" for x in c.txns()):
                hit = c
        if hit:
            break
    assert hit is not None, "neither account was stopped out in 30 days of a 1:2000 lot on $100"
    txns = hit.txns()
    types = [x["type"] for x in txns]
    k = next(i for i, x in enumerate(txns) if x["type"] == "MARKET_ORDER" and x.get("reason") == "MARGIN_CLOSEOUT")
    assert "MARGIN_CALL_ENTER" in types[:k]
    fill = txns[k + 1]
    assert fill["type"] == "ORDER_FILL" and fill["reason"] == "MARKET_ORDER_MARGIN_CLOSEOUT"
    assert fill["orderID"] == txns[k]["id"]
    summary = hit.get("/summary").json()["account"]
    assert summary["openTradeCount"] == 0
    bal = Decimal(0)
    for x in txns:
        if x["type"] == "TRANSFER_FUNDS":
            bal += Decimal(x["amount"])
        elif x["type"] == "ORDER_FILL":
            bal += Decimal(x["pl"]) - Decimal(x["commission"])
    assert bal == Decimal(summary["balance"]) >= 0


def test_daily_financing_at_the_brokers_rollover() -> None:
    """Swaps the engine books at the broker's rollover become DAILY_FINANCING, tripled on the triple day.

    No bundled profile publishes a swap table (each says unknown), so the terms here get one: -7.5 points
    a lot a night on a long EURUSD. 1 lot = 100,000 units x 0.00001 x 7.5 = $7.50 a night; over Tuesday
    to Thursday (Wednesday triple) that is 7.50 + 22.50 + 7.50."""
    bars = load("sample:eurusd-h1")
    market = Market({"EURUSD": bars})
    t0 = to_ns("2018-03-05T10:00:00Z")  # Monday
    terms = resolve_terms("exness", "standard", "SC", "retail")
    terms = replace(terms, swaps={"EURUSD": SwapRate(-7.5, 2.0, "points")}, swap_free=False)
    info = AccountInfo("101-001-0000009-001", 9, "t", "exness", "standard", "SC", "retail", "USD", "10000", t0)
    book = AccountBook(info, market, terms=terms)
    status, body = book.apply({"kind": "order", "order": {"instrument": "EUR_USD", "units": "100000"}}, t0)
    assert status == 201 and "tradeOpened" in body["orderFillTransaction"]
    new = book.advance(t0 + 3 * 86400 * 10**9)  # to Thursday 10:00: rollovers Mon, Tue, Wed nights
    fin = [x for x in new if x["type"] == "DAILY_FINANCING"]
    amounts = [Decimal(x["financing"]) for x in fin]
    assert amounts == [Decimal("-7.5000"), Decimal("-7.5000"), Decimal("-22.5000")]
    assert [x["time"][11:16] for x in fin] == ["22:00"] * 3  # exness rolls over at 22:00 UTC
    tid = body["orderFillTransaction"]["id"]
    assert fin[0]["positionFinancings"][0]["openTradeFinancings"][0]["tradeID"] == tid
    assert Decimal(book.trade_dict(book.trades[tid])["financing"]) == sum(amounts)
    assert Decimal(book.summary()["balance"]) == Decimal("10000") + sum(amounts)
