"""Orders beyond the market order: trailing stops, market-if-touched, a closed market, configuration."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import broker_proc
from broker_proc import Server

server = broker_proc.server  # the fixture (a conftest.py here would shadow tests/engine/conftest.py)


def test_trailing_stop_follows_the_price_and_closes_the_trade(server: Server) -> None:
    c = server.account()
    r = c.order(instrument="EUR_USD", units="10000", trailingStopLossOnFill={"distance": "0.00100"})
    assert r.status_code == 201, r.text
    body = r.json()
    fill = body["orderFillTransaction"]
    tid = fill["tradeOpened"]["tradeID"]
    tsl_tx = next(x for x in c.txns(int(fill["id"])) if x["type"] == "TRAILING_STOP_LOSS_ORDER")
    assert tsl_tx["reason"] == "ON_FILL" and tsl_tx["distance"] == "0.00100"
    first = Decimal(c.get(f"/trades/{tid}").json()["trade"]["trailingStopLossOrder"]["trailingStopValue"])
    best = first
    for _ in range(400):
        server.step(steps=1)
        t = c.get(f"/trades/{tid}").json()["trade"]
        if t["state"] == "CLOSED":
            break
        best = max(best, Decimal(t["trailingStopLossOrder"]["trailingStopValue"]))
    assert t["state"] == "CLOSED"
    closing = c.get(f"/transactions/{t['closingTransactionIDs'][-1]}").json()["transaction"]
    assert closing["reason"] == "TRAILING_STOP_LOSS_ORDER"
    assert closing["orderID"] == tsl_tx["id"]
    # the stop only ever moved up, and the trade closed at (or through, on a gap) its last level
    assert best >= first
    assert Decimal(closing["price"]) <= best + Decimal("0.00001")


def test_market_if_touched_and_configuration(server: Server) -> None:
    c = server.account()
    px = c.get("/pricing", params={"instruments": "EUR_USD"}).json()["prices"][0]
    ask = float(px["asks"][0]["price"])
    r = c.order(type="MARKET_IF_TOUCHED", instrument="EUR_USD", units="1000", price=f"{ask - 0.0002:.5f}",
                stopLossOnFill={"distance": "0.00500"})
    assert r.status_code == 201, r.text
    oid = r.json()["orderCreateTransaction"]["id"]
    assert r.json()["orderCreateTransaction"]["type"] == "MARKET_IF_TOUCHED_ORDER"
    for _ in range(100):
        server.step(steps=1)
        o = c.get(f"/orders/{oid}").json()["order"]
        if o["state"] != "PENDING":
            break
    assert o["state"] == "FILLED", o
    fill = c.get(f"/transactions/{o['fillingTransactionID']}").json()["transaction"]
    assert fill["reason"] == "MARKET_IF_TOUCHED_ORDER" and Decimal(fill["price"]) <= Decimal(f"{ask - 0.0002:.5f}")
    trade = c.get(f"/trades/{o['tradeOpenedID']}").json()["trade"]
    assert trade["stopLossOrder"]["state"] == "PENDING"
    conf = c.http.patch(c.a("/configuration"), json={"alias": "practice"})
    assert conf.status_code == 200 and conf.json()["clientConfigureTransaction"]["alias"] == "practice"
    assert c.get("/summary").json()["account"]["alias"] == "practice"
    bad = c.http.patch(c.a("/configuration"), json={"marginRate": "0.5"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "MARGIN_RATE_INVALID"


def test_a_closed_market_cancels_market_orders(server: Server) -> None:
    c = server.account()
    server.step(to="2018-03-10T12:00:00Z")  # a Saturday: no quotes
    p = c.get("/pricing", params={"instruments": "EUR_USD"}).json()["prices"][0]
    assert p["tradeable"] is False and p["status"] == "non-tradeable"
    r = c.order(instrument="EUR_USD", units="1000")
    assert r.status_code == 201
    assert r.json()["orderCancelTransaction"]["reason"] == "MARKET_HALTED"
    assert "orderFillTransaction" not in r.json()
    assert c.get("/openTrades").json()["trades"] == []


def test_a_new_account_trades_at_once_at_the_current_quote(tmp_path: Path) -> None:
    """An account opened between two bars of its instrument trades at once, at the quote of the bar in
    progress (not refused for margin until the next bar), and replays to the same record after a restart."""
    srv = Server(str(tmp_path / "broker.sqlite")).start()
    try:
        srv.step(steps=2)  # from 10:00 into the H1 bar: the clock now stands between two of its quotes
        c = srv.account()
        px = c.get("/pricing", params={"instruments": "EUR_USD"}).json()["prices"][0]
        r = c.order(instrument="EUR_USD", units="100000")
        assert r.status_code == 201, r.text
        fill = r.json()["orderFillTransaction"]
        assert fill["type"] == "ORDER_FILL", r.json()
        assert fill["price"] == px["asks"][0]["price"]  # a buy fills at the ask the pricing endpoint showed
        before = c.txns()
        srv.stop()
        srv.start()
        assert c.txns() == before  # the replay feeds the new book the same bar in progress
    finally:
        srv.stop()
