"""oandapyV20 (hootnot), unmodified, runs the flow against a real ``leverlab serve``.

Its hosts live in the module-level ``TRADING_ENVIRONMENTS``; a program points it at another host by adding
an environment at run time (here through monkeypatch, so it is undone after the test) and asking for it.
oandapyV20 raises ValueError when a status differs from the one the endpoint expects (201 for orders).
"""

from __future__ import annotations

import oandapyV20
import oandapyV20.endpoints.accounts as accounts
import oandapyV20.endpoints.orders as orders
import oandapyV20.endpoints.positions as positions
import oandapyV20.endpoints.pricing as pricing
import oandapyV20.endpoints.trades as trades
import oandapyV20.endpoints.transactions as transactions
import pytest
from oandapyV20.exceptions import StreamTerminated

from . import flow
from .conftest import INSTRUMENT, Served


def test_oandapyv20_flow(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, token = served.create_account()
    monkeypatch.setitem(oandapyV20.oandapyV20.TRADING_ENVIRONMENTS, "leverlab",
                        {"api": served.base, "stream": served.base})
    api = oandapyV20.API(access_token=token, environment="leverlab")

    # connect
    listed = api.request(accounts.AccountList())
    assert account_id in [a["id"] for a in listed["accounts"]]

    # stream prices: the snapshot price, then a later one once the clock has stepped
    stream = pricing.PricingStream(account_id, params={"instruments": INSTRUMENT})
    prices = []
    try:
        for msg in api.request(stream):
            if msg.get("type") == "PRICE":
                prices.append(msg)
                if len(prices) == 1:
                    served.advance(flow.STEP_SECONDS)
                elif msg["time"] > prices[0]["time"]:
                    stream.terminate("got a later price")
            assert len(prices) < 50, "the stream never sent a later price after the clock stepped"
    except StreamTerminated:
        pass
    assert len(prices) >= 2
    for p in prices:
        flow.check_price(p)
    last = prices[-1]

    # market order with stop loss and take profit
    sl, tp = flow.stops_for(last["bids"][0]["price"], last["asks"][0]["price"])
    create = orders.OrderCreate(account_id, data={"order": {
        "type": "MARKET", "instrument": INSTRUMENT, "units": str(flow.UNITS), "timeInForce": "FOK",
        "positionFill": "DEFAULT", "stopLossOnFill": {"price": sl}, "takeProfitOnFill": {"price": tp}}})
    body = api.request(create)
    assert create.status_code == 201
    trade_id = flow.check_fill(body, sl, tp)
    fill_id = body["orderFillTransaction"]["id"]

    # list trades
    open_trades = api.request(trades.OpenTrades(account_id))
    flow.check_open_trades(open_trades["trades"], trade_id, sl, tp)

    # let the stop loss trigger
    served.step_until_closed(account_id, trade_id, flow.STEP_SECONDS)
    assert api.request(trades.TradeDetails(account_id, trade_id))["trade"]["state"] == "CLOSED"

    # transactions since the fill
    since = api.request(transactions.TransactionsSinceID(account_id, params={"id": fill_id}))
    flow.check_since(since["transactions"], trade_id, fill_id)

    # open again and close the position
    api.request(orders.OrderCreate(account_id, data={"order": {
        "type": "MARKET", "instrument": INSTRUMENT, "units": str(flow.UNITS)}}))
    closed = api.request(positions.PositionClose(account_id, INSTRUMENT, data={"longUnits": "ALL"}))
    flow.check_position_close(closed)
    assert api.request(positions.OpenPositions(account_id))["positions"] == []
    flow.check_ledger(served, account_id)
