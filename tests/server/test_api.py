"""The v20 surface of the demo broker, against a real server on 127.0.0.1 (stepped clock, SQLite file)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import broker_proc
import httpx
from broker_proc import Client, Server, balance_sum

server = broker_proc.server  # the fixture (a conftest.py here would shadow tests/engine/conftest.py)


def test_market_order_with_sl_tp_then_sl_triggers(server: Server) -> None:
    c = server.account()
    px = c.get("/pricing", params={"instruments": "EUR_USD"}).json()["prices"][0]
    bid, ask = float(px["bids"][0]["price"]), float(px["asks"][0]["price"])
    r = c.order(type="MARKET", instrument="EUR_USD", units="10000", stopLossOnFill={"price": f"{bid - 0.0005:.5f}"},
                takeProfitOnFill={"price": f"{ask + 0.0200:.5f}"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["Location"].endswith(f"/orders/{body['orderCreateTransaction']['id']}")
    fill = body["orderFillTransaction"]
    oid = int(body["orderCreateTransaction"]["id"])
    # one batch: MARKET_ORDER -> ORDER_FILL -> TAKE_PROFIT_ORDER -> STOP_LOSS_ORDER
    assert body["relatedTransactionIDs"] == [str(oid + i) for i in range(4)]
    assert fill["price"] == px["asks"][0]["price"] and fill["tradeOpened"]["tradeID"] == fill["id"]
    trade_id = fill["id"]
    trades = c.get("/openTrades").json()["trades"]
    assert [t["id"] for t in trades] == [trade_id]
    assert trades[0]["stopLossOrder"]["price"] == f"{bid - 0.0005:.5f}"
    t = server.step_until_closed(c, trade_id, steps=4, limit=200)
    assert t["state"] == "CLOSED"
    after = c.txns(oid + 3)
    fill2 = next(x for x in after if x["type"] == "ORDER_FILL")
    assert fill2["reason"] in ("STOP_LOSS_ORDER", "TAKE_PROFIT_ORDER")
    cancel = next(x for x in after if x["type"] == "ORDER_CANCEL")
    assert cancel["reason"] == "LINKED_TRADE_CLOSED"
    all_txns = c.txns()
    assert [int(x["id"]) for x in all_txns] == list(range(1, len(all_txns) + 1))
    summary = c.get("/summary").json()["account"]
    assert Decimal(summary["balance"]) == balance_sum(all_txns)
    assert Decimal(summary["balance"]) == Decimal(fill2["accountBalance"])


def test_bad_input_is_refused_and_nothing_is_half_written(server: Server) -> None:
    c = server.account()
    last = c.get("/summary").json()["lastTransactionID"]
    r = c.http.post(c.a("/orders"), content=b'{"order": {"instrument": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_JSON"
    r = c.http.post(c.a("/orders"), content=b"x" * 100_000)
    assert r.status_code == 413
    assert c.get("/summary").json()["lastTransactionID"] == last  # neither wrote anything
    cases = [({"instrument": "XXX_YYY", "units": "1000"}, "INSTRUMENT_UNKNOWN"),
             ({"instrument": "EUR_USD", "units": "ten"}, "INVALID_VALUE"),
             ({"instrument": "EUR_USD", "units": "1000.5"}, "UNITS_PRECISION_EXCEEDED"),
             ({"instrument": "EUR_USD", "units": "100"}, "UNITS_MIMIMUM_NOT_MET"),
             ({"instrument": "EUR_USD", "units": "1500"}, "UNITS_PRECISION_EXCEEDED"),
             ({"instrument": "EUR_USD", "units": "1000", "stopLossOnFill": {"price": "5.00000"}},
              "STOP_LOSS_ON_FILL_LOSS"),
             ({"instrument": "EUR_USD", "units": "1000", "takeProfitOnFill": {"price": "0.50000"}},
              "TAKE_PROFIT_ON_FILL_LOSS"),
             ({"instrument": "EUR_USD", "units": "1000", "timeInForce": "GTC"}, "TIME_IN_FORCE_INVALID")]
    for order, code in cases:
        r = c.order(**order)
        assert r.status_code == 400, (order, r.text)
        assert r.json()["errorCode"] == code, (order, r.text)
        assert r.json()["errorMessage"]
        if code != "INVALID_VALUE":
            assert r.json()["orderRejectTransaction"]["rejectReason"] == code
    assert c.get("/openTrades").json()["trades"] == []
    assert Decimal(c.get("/summary").json()["account"]["balance"]) == Decimal("10000")
    r = c.http.put(c.a("/trades/999/close"))
    assert r.status_code == 404 and r.json()["errorCode"] == "NO_SUCH_TRADE"
    r = c.http.put(c.a("/orders/999/cancel"))
    assert r.status_code == 404
    r = c.get("/pricing", params={"instruments": "EUR_USD,NOPE_X"})
    assert r.status_code == 400
    r = c.get("/transactions/99999")
    assert r.status_code == 404


def test_unicode_digits_are_not_numbers(server: Server) -> None:
    """Python's int() and Decimal() read "١٢" (Arabic-Indic digits) as 12; the API takes ASCII digits only."""
    c = server.account()
    last = c.get("/summary").json()["lastTransactionID"]
    r = c.order(instrument="EUR_USD", units="١٠٠٠")
    assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_VALUE", r.text
    for path, params in [("/trades", {"count": "١٢"}), ("/orders", {"count": "١٢"}),
                         ("/transactions", {"pageSize": "١٢"}), ("/transactions/sinceid", {"id": "١"})]:
        r = c.get(path, params=params)
        assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_VALUE", (path, r.text)
    assert c.get("/summary").json()["lastTransactionID"] == last  # nothing written


def test_insufficient_margin_is_201_with_order_cancel(server: Server) -> None:
    c = server.account(deposit=100)
    r = c.order(instrument="EUR_USD", units="5000000")  # 50 lots on $100
    assert r.status_code == 201, r.text
    body = r.json()
    assert "orderFillTransaction" not in body
    assert body["orderCancelTransaction"]["reason"] == "INSUFFICIENT_MARGIN"
    assert c.get("/openTrades").json()["trades"] == []


def test_datetime_formats(server: Server) -> None:
    c = server.account()
    rfc = c.get("/summary").json()["account"]["createdTime"]
    unix = c.get("/summary", headers={"Accept-Datetime-Format": "UNIX"}).json()["account"]["createdTime"]
    assert rfc.endswith("Z") and "T" in rfc
    whole, frac = unix.split(".")
    assert len(frac) == 9 and int(whole) > 1_500_000_000
    from leverlab.server.v20 import parse_time

    assert parse_time(rfc) == parse_time(unix)


def test_pending_orders_fill_replace_cancel_and_expire(server: Server) -> None:
    c = server.account()
    px = c.get("/pricing", params={"instruments": "EUR_USD"}).json()["prices"][0]
    ask = float(px["asks"][0]["price"])
    far = c.order(type="LIMIT", instrument="EUR_USD", units="1000", price=f"{ask - 0.0500:.5f}",
                  clientExtensions={"id": "far-1", "tag": "t"})
    assert far.status_code == 201, far.text
    far_id = far.json()["orderCreateTransaction"]["id"]
    pend = c.get("/pendingOrders").json()["orders"]
    assert [o["id"] for o in pend] == [far_id] and pend[0]["state"] == "PENDING"
    assert c.get("/orders/@far-1").json()["order"]["id"] == far_id
    rep = c.http.put(c.a(f"/orders/{far_id}"), json={"order": {"type": "LIMIT", "instrument": "EUR_USD",
                                                               "units": "2000", "price": f"{ask - 0.0400:.5f}"}})
    assert rep.status_code == 201, rep.text
    new_id = rep.json()["orderCreateTransaction"]["id"]
    assert rep.json()["orderCancelTransaction"]["reason"] == "CLIENT_REQUEST_REPLACED"
    assert c.get(f"/orders/{far_id}").json()["order"]["state"] == "CANCELLED"
    can = c.http.put(c.a(f"/orders/{new_id}/cancel"))
    assert can.status_code == 200 and can.json()["orderCancelTransaction"]["orderID"] == new_id
    again = c.http.put(c.a(f"/orders/{new_id}/cancel"))
    assert again.status_code == 404
    # a stop just above the market fills as the price rises or expires with its GTD
    near = c.order(type="STOP", instrument="EUR_USD", units="1000", price=f"{ask + 0.0003:.5f}")
    gtd = c.order(type="LIMIT", instrument="EUR_USD", units="1000", price=f"{ask - 0.0900:.5f}", timeInForce="GTD",
                  gtdTime=_later(c, hours=2))
    assert near.status_code == 201 and gtd.status_code == 201
    gtd_id = gtd.json()["orderCreateTransaction"]["id"]
    server.step(seconds=3 * 3600)
    o = c.get(f"/orders/{gtd_id}").json()["order"]
    assert o["state"] == "CANCELLED"
    cancel = c.get(f"/transactions/{o['cancellingTransactionID']}").json()["transaction"]
    assert cancel["reason"] == "TIME_IN_FORCE_EXPIRED"
    st = c.get(f"/orders/{near.json()['orderCreateTransaction']['id']}").json()["order"]
    assert st["state"] in ("FILLED", "PENDING")
    if st["state"] == "FILLED":
        assert c.get(f"/trades/{st['tradeOpenedID']}").json()["trade"]["price"]


def _later(c: Client, hours: int) -> str:
    from leverlab.server.v20 import parse_time, rfc3339

    now = c.get("/pricing", params={"instruments": "EUR_USD"}).json()["time"]
    return rfc3339(parse_time(now) + hours * 3600 * 10**9)


def test_trade_partial_close_dependents_and_position_close(server: Server) -> None:
    c = server.account()
    r = c.order(instrument="EUR_USD", units="3000")
    tid = r.json()["orderFillTransaction"]["tradeOpened"]["tradeID"]
    px = c.get("/pricing", params={"instruments": "EUR_USD"}).json()["prices"][0]
    bid = float(px["bids"][0]["price"])
    dep = c.http.put(c.a(f"/trades/{tid}/orders"), json={"takeProfit": {"price": f"{bid + 0.01:.5f}"},
                                                         "stopLoss": {"distance": "0.0100"}})
    assert dep.status_code == 200, dep.text
    assert dep.json()["takeProfitOrderTransaction"]["type"] == "TAKE_PROFIT_ORDER"
    wrong = c.http.put(c.a(f"/trades/{tid}/orders"), json={"stopLoss": {"price": f"{bid + 0.01:.5f}"}})
    assert wrong.status_code == 400
    part = c.http.put(c.a(f"/trades/{tid}/close"), json={"units": "1000"})
    assert part.status_code == 200, part.text
    fill = part.json()["orderFillTransaction"]
    assert fill["reason"] == "MARKET_ORDER_TRADE_CLOSE" and fill["tradeReduced"]["tradeID"] == tid
    assert c.get(f"/trades/{tid}").json()["trade"]["currentUnits"] == "2000"
    ext = c.http.put(c.a(f"/trades/{tid}/clientExtensions"), json={"clientExtensions": {"id": "my-trade"}})
    assert ext.status_code == 200
    assert c.get("/trades/@my-trade").json()["trade"]["id"] == tid
    c.order(instrument="EUR_USD", units="-1000", positionFill="OPEN_ONLY")
    pos = c.get("/positions/EUR_USD").json()["position"]
    assert pos["long"]["units"] == "2000" and pos["short"]["units"] == "-1000"
    close = c.http.put(c.a("/positions/EUR_USD/close"), json={"longUnits": "ALL", "shortUnits": "ALL"})
    assert close.status_code == 200, close.text
    b = close.json()
    assert b["longOrderFillTransaction"]["reason"] == "MARKET_ORDER_POSITION_CLOSEOUT"
    assert b["shortOrderFillTransaction"]["reason"] == "MARKET_ORDER_POSITION_CLOSEOUT"
    assert c.get("/openPositions").json()["positions"] == []
    assert c.get(f"/trades/{tid}").json()["trade"]["state"] == "CLOSED"
    none = c.http.put(c.a("/positions/EUR_USD/close"), json={"longUnits": "ALL"})
    assert none.status_code == 400
    txns = c.txns()
    assert Decimal(c.get("/summary").json()["account"]["balance"]) == balance_sum(txns)


def test_reduce_first_closes_opposite_trades(server: Server) -> None:
    c = server.account()
    first = c.order(instrument="EUR_USD", units="2000").json()["orderFillTransaction"]["tradeOpened"]["tradeID"]
    r = c.order(instrument="EUR_USD", units="-3000")
    fill = r.json()["orderFillTransaction"]
    assert fill["tradesClosed"][0]["tradeID"] == first
    assert fill["tradeOpened"]["units"] == "-1000"
    trades = c.get("/openTrades").json()["trades"]
    assert [t["currentUnits"] for t in trades] == ["-1000"]


def test_transactions_pages_ranges_and_streams(server: Server) -> None:
    c = server.account()
    for _ in range(3):
        c.order(instrument="EUR_USD", units="1000")
    last = int(c.get("/summary").json()["lastTransactionID"])
    pages = c.get("/transactions", params={"pageSize": 4}).json()
    assert pages["count"] == last and len(pages["pages"]) == -(-last // 4)
    got = []
    for url in pages["pages"]:
        got += c.http.get(url).json()["transactions"]
    assert [int(x["id"]) for x in got] == list(range(1, last + 1))
    rng = c.get("/transactions/idrange", params={"from": 2, "to": 4}).json()["transactions"]
    assert [x["id"] for x in rng] == ["2", "3", "4"]
    fills = c.get("/transactions/idrange", params={"from": 1, "to": last, "type": "ORDER_FILL"}).json()
    assert {x["type"] for x in fills["transactions"]} == {"ORDER_FILL"}
    assert c.get("/transactions/idrange", params={"from": last + 5, "to": last + 6}).status_code == 416
    assert c.get("/transactions/sinceid", params={"id": last}).json()["transactions"] == []
    one = c.get("/transactions/1").json()["transaction"]
    assert one["type"] == "CREATE"
    ch = c.get("/changes", params={"sinceTransactionID": 2}).json()
    assert len(ch["changes"]["tradesOpened"]) == 3 and ch["lastTransactionID"] == str(last)
    # the transaction stream: heartbeat first, then new transactions as lines
    with httpx.stream("GET", server.url + f"/v3/accounts/{c.id}/transactions/stream",
                      headers={"Authorization": f"Bearer {c.token}", "Accept-Datetime-Format": "UNIX"},
                      timeout=30) as s:
        lines = s.iter_lines()
        beat = json.loads(next(lines))
        assert beat["type"] == "HEARTBEAT" and beat["lastTransactionID"] == str(last)
        assert "." in beat["time"] and "T" not in beat["time"]
        c.order(instrument="EUR_USD", units="1000")
        nxt = json.loads(next(lines))
        assert nxt["id"] == str(last + 1) and nxt["type"] == "MARKET_ORDER"


def test_price_stream_and_candles(server: Server) -> None:
    c = server.account()
    with httpx.stream("GET", server.url + f"/v3/accounts/{c.id}/pricing/stream",
                      params={"instruments": "EUR_USD,XAU_USD"}, headers={"Authorization": f"Bearer {c.token}"},
                      timeout=30) as s:
        lines = s.iter_lines()
        first = [json.loads(next(lines)) for _ in range(2)]
        assert {p["instrument"] for p in first} == {"EUR_USD", "XAU_USD"}
        assert all(p["type"] == "PRICE" and p["bids"][0]["price"] for p in first)
        server.step(steps=1)
        moved = json.loads(next(lines))
        assert moved["type"] in ("PRICE", "HEARTBEAT")
    r = c.http.get("/instruments/EUR_USD/candles", params={"granularity": "H1", "count": 5, "price": "MBA"})
    assert r.status_code == 200, r.text
    cs = r.json()["candles"]
    assert 1 <= len(cs) <= 5 and all(set(x) >= {"bid", "ask", "mid", "time", "complete"} for x in cs)
    assert c.http.get("/instruments/EUR_USD/candles", params={"granularity": "S5"}).status_code == 400
    # weekly candles start on OANDA's default day, Friday, or the weeklyAlignment asked for (00:00 UTC, the
    # day boundary of this server's daily candles)
    for day, asked in (("Friday", {}), ("Monday", {"weeklyAlignment": "Monday"})):
        r = c.http.get("/instruments/EUR_USD/candles", params={"granularity": "W", "count": 3, **asked})
        assert r.status_code == 200, r.text
        weeks = r.json()["candles"]
        assert weeks and all(dt.datetime.fromisoformat(w["time"][:19]).strftime("%A %H:%M:%S") == f"{day} 00:00:00"
                             for w in weeks)
    r = c.http.get("/instruments/EUR_USD/candles", params={"granularity": "W", "weeklyAlignment": "Fri"})
    assert r.status_code == 400 and "weeklyAlignment" in r.json()["errorMessage"]
    ins = c.get("/instruments").json()["instruments"]
    eur = next(i for i in ins if i["name"] == "EUR_USD")
    assert eur["displayPrecision"] == 5 and eur["minimumTradeSize"] == "1000" and eur["pipLocation"] == -4
