"""OANDA's official Python client (``v20``), unmodified, runs the flow against a real ``leverlab serve``.

Only host, port, scheme (``ssl=False``) and token are set; the stream uses a second Context on the same
host, as a v20-python program does for OANDA's stream host.
"""

from __future__ import annotations

import json
from typing import Any

import v20

from . import flow
from .conftest import INSTRUMENT, Served


def _json(response: Any) -> dict[str, Any]:
    return dict(json.loads(response.raw_body))


def test_v20_python_flow(served: Served) -> None:
    account_id, token = served.create_account()
    api = v20.Context(served.host, served.port, ssl=False, token=token)
    stream_api = v20.Context(served.host, served.port, ssl=False, token=token)

    # connect
    accounts = api.account.list().get("accounts", 200)
    assert account_id in [a.id for a in accounts]
    assert api.account.summary(account_id).get("account", 200).id == account_id

    # stream prices: the snapshot price, then a later one once the clock has stepped
    stream = stream_api.pricing.stream(account_id, instruments=INSTRUMENT, snapshot=True)
    assert stream.status == 200, stream
    prices = []
    for kind, msg in stream.parts():
        if kind == "pricing.ClientPrice":
            prices.append(msg.dict())
            if len(prices) == 1:
                served.advance(flow.STEP_SECONDS)
            elif prices[-1]["time"] > prices[0]["time"]:
                break
        assert len(prices) < 50, "the stream never sent a later price after the clock stepped"
    for p in prices:
        flow.check_price(p)
    last = prices[-1]

    # market order with stop loss and take profit
    sl, tp = flow.stops_for(last["bids"][0]["price"], last["asks"][0]["price"])
    created = api.order.market(account_id, instrument=INSTRUMENT, units=flow.UNITS,
                               stopLossOnFill={"price": sl}, takeProfitOnFill={"price": tp})
    fill = created.get("orderFillTransaction", 201)
    trade_id = flow.check_fill(_json(created), sl, tp)
    assert str(fill.tradeOpened.tradeID) == trade_id

    # list trades
    trades = api.trade.list_open(account_id)
    assert [t.id for t in trades.get("trades", 200)] == [trade_id]
    flow.check_open_trades(_json(trades)["trades"], trade_id, sl, tp)

    # let the stop loss trigger
    served.step_until_closed(account_id, trade_id, flow.STEP_SECONDS)
    assert api.trade.get(account_id, trade_id).get("trade", 200).state == "CLOSED"

    # transactions since the fill
    since = api.transaction.since(account_id, id=fill.id)
    kinds = [t.type for t in since.get("transactions", 200)]
    assert "ORDER_FILL" in kinds
    flow.check_since(_json(since)["transactions"], trade_id, fill.id)

    # open again and close the position
    api.order.market(account_id, instrument=INSTRUMENT, units=flow.UNITS).get("orderFillTransaction", 201)
    closed = api.position.close(account_id, INSTRUMENT, longUnits="ALL")
    closed.get("longOrderFillTransaction", 200)
    flow.check_position_close(_json(closed))
    assert api.position.list_open(account_id).get("positions", 200) == []
    flow.check_ledger(served, account_id)
