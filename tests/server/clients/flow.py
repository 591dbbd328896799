"""The one flow every client runs, and the checks of what it must leave on the server.

Flow (issue 11 item 5): connect (list accounts; async_v20's ``initialize()``), stream prices (a first
price, then a later one after the clock steps), a market buy with stop loss and take profit (201 with a
fill that opened a trade), list the open trades (the trade with both dependent orders), let the stop
loss trigger (the test steps the market clock), read the transactions since the fill (the STOP_LOSS
fill and the take profit cancelled as LINKED_TRADE_CLOSED), then open again and close the position.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .conftest import INSTRUMENT, Served

UNITS = 1000
SL_DISTANCE = Decimal("0.0010")  # 10 pips under the bid: H1 EUR/USD bars cross that within a few steps
TP_DISTANCE = Decimal("0.0300")  # 300 pips over the ask: not reached before the stop loss on the sample
STEP_SECONDS = 900  # a quarter of an H1 bar: one point of the engine's intrabar path per step


def stops_for(bid: Any, ask: Any) -> tuple[str, str]:
    """(stop-loss price, take-profit price) for a long from the quoted bid and ask, at EUR/USD's 5 decimals."""
    q = Decimal("0.00001")
    return (str((Decimal(str(bid)) - SL_DISTANCE).quantize(q)), str((Decimal(str(ask)) + TP_DISTANCE).quantize(q)))


def check_price(price: dict[str, Any]) -> None:
    """A streamed ClientPrice as the spec has it (JSON form)."""
    assert price["instrument"] == INSTRUMENT
    bid, ask = Decimal(str(price["bids"][0]["price"])), Decimal(str(price["asks"][0]["price"]))
    assert Decimal("0.5") < bid < ask < Decimal("2"), price
    assert price["time"]


def check_fill(create: dict[str, Any], sl: str, tp: str) -> str:
    """The 201 body of the market order with SL/TP; the trade id. One batch: MARKET_ORDER, ORDER_FILL,
    TAKE_PROFIT_ORDER, STOP_LOSS_ORDER (server-notes: transaction semantics 2, 3, 6)."""
    order, fill = create["orderCreateTransaction"], create["orderFillTransaction"]
    assert order["type"] == "MARKET_ORDER" and order["instrument"] == INSTRUMENT
    assert Decimal(order["stopLossOnFill"]["price"]) == Decimal(sl)
    assert Decimal(order["takeProfitOnFill"]["price"]) == Decimal(tp)
    assert fill["type"] == "ORDER_FILL" and fill["orderID"] == order["id"] and fill["batchID"] == order["id"]
    trade_id = str(fill["tradeOpened"]["tradeID"])
    assert trade_id == fill["id"], "a trade's id is the id of the fill that opened it"
    assert Decimal(fill["tradeOpened"]["units"]) == UNITS
    related = [str(x) for x in create["relatedTransactionIDs"]]
    assert len(related) == 4 and related[0] == order["id"], related
    assert int(create["lastTransactionID"]) >= max(int(x) for x in related)
    return trade_id


def check_open_trades(trades: list[dict[str, Any]], trade_id: str, sl: str, tp: str) -> None:
    (trade,) = [t for t in trades if str(t["id"]) == trade_id]
    assert trade["state"] == "OPEN" and Decimal(trade["currentUnits"]) == UNITS
    assert Decimal(trade["stopLossOrder"]["price"]) == Decimal(sl)
    assert Decimal(trade["takeProfitOrder"]["price"]) == Decimal(tp)


def check_since(txns: list[dict[str, Any]], trade_id: str, since: str) -> None:
    """Transactions after the fill: the stop loss filled with the trade closed, the take profit cancelled."""
    assert txns and all(int(t["id"]) > int(since) for t in txns), [t["id"] for t in txns]
    ids = [int(t["id"]) for t in txns]
    assert ids == list(range(ids[0], ids[0] + len(ids))), f"ids not gap-free: {ids}"
    sl_fills = [t for t in txns if t["type"] == "ORDER_FILL" and t.get("reason") == "STOP_LOSS_ORDER"]
    assert len(sl_fills) == 1, [(t["type"], t.get("reason")) for t in txns]
    assert [str(c["tradeID"]) for c in sl_fills[0]["tradesClosed"]] == [trade_id]
    assert Decimal(sl_fills[0]["pl"]) < 0
    cancels = [t for t in txns if t["type"] == "ORDER_CANCEL"]
    assert [c["reason"] for c in cancels] == ["LINKED_TRADE_CLOSED"], cancels


def check_position_close(body: dict[str, Any]) -> None:
    order, fill = body["longOrderCreateTransaction"], body["longOrderFillTransaction"]
    assert order["type"] == "MARKET_ORDER" and order["reason"] == "POSITION_CLOSEOUT"
    assert fill["type"] == "ORDER_FILL" and fill["reason"] == "MARKET_ORDER_POSITION_CLOSEOUT"
    assert Decimal(fill["units"]) == -UNITS


def check_ledger(served: Served, account_id: str) -> None:
    """After the flow: no open trade or position, ids 1..last gap-free, balance = the funds transferred in +
    every fill's pl + financing + commission (server-notes: property checks)."""
    token = served.tokens[account_id]
    status, body = served.rest("GET", f"/v3/accounts/{account_id}/openTrades", token)
    assert status == 200 and body["trades"] == [], body
    status, body = served.rest("GET", f"/v3/accounts/{account_id}/openPositions", token)
    assert status == 200 and body["positions"] == [], body
    txns = served.transactions(account_id)
    assert [int(t["id"]) for t in txns] == list(range(1, len(txns) + 1))
    balance = Decimal(0)
    for t in txns:
        if t["type"] == "TRANSFER_FUNDS":
            balance += Decimal(t["amount"])
        elif t["type"] == "ORDER_FILL":
            balance += Decimal(t["pl"]) + Decimal(t.get("financing", "0")) + Decimal(t.get("commission", "0"))
        elif t["type"] == "DAILY_FINANCING":
            balance += Decimal(t["financing"])
    status, summary = served.rest("GET", f"/v3/accounts/{account_id}/summary", token)
    assert status == 200
    assert Decimal(summary["account"]["balance"]) == balance, (summary["account"]["balance"], balance)
    fills = [t for t in txns if t["type"] == "ORDER_FILL"]
    assert [t["reason"] for t in fills] == ["MARKET_ORDER", "STOP_LOSS_ORDER", "MARKET_ORDER",
                                            "MARKET_ORDER_POSITION_CLOSEOUT"], [t["reason"] for t in fills]
