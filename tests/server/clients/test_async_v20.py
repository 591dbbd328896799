"""async_v20 (aiohttp), unmodified, runs the flow against a real ``leverlab serve``, its ``initialize()``
included: the health host's service list, then accounts, account details and instruments (whose
precisions it uses to format orders client-side). Only hosts, ports, schemes and the token are set. It asks
for UNIX datetimes (``Accept-Datetime-Format: UNIX``), so this flow also covers that format.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from async_v20 import OandaClient, StopLossDetails, TakeProfitDetails

from . import flow
from .conftest import INSTRUMENT, Served


def _client(served: Served, token: str) -> OandaClient:
    hosts: dict[str, Any] = {}
    for kind in ("rest", "stream", "health"):
        hosts.update({f"{kind}_host": served.host, f"{kind}_port": served.port, f"{kind}_scheme": "http"})
    return OandaClient(token=token, **hosts)


async def _flow(served: Served, account_id: str, token: str) -> None:
    client = _client(served, token)
    try:
        # connect: initialize() lists the services, accounts, details and instruments
        assert await client.initialize()
        assert client.default_parameters  # filled by initialize
        listed = await client.list_accounts()
        assert account_id in [a.id for a in listed.accounts]
        eur = [i for i in client.instruments if i.name == INSTRUMENT]
        assert eur and eur[0].display_precision == 5, "async_v20 formats prices with the served precision"

        # stream prices: the snapshot price, then a later one once the clock has stepped
        prices: list[dict[str, Any]] = []
        stream = await client.stream_pricing(INSTRUMENT, snapshot=True)
        try:
            async for rsp in stream:
                if "price" in rsp:
                    prices.append(rsp["price"].dict(json=True, datetime_format="UNIX"))
                    if len(prices) == 1:
                        await asyncio.to_thread(served.advance, flow.STEP_SECONDS)
                    elif Decimal(prices[-1]["time"]) > Decimal(prices[0]["time"]):
                        break
                assert len(prices) < 50, "the stream never sent a later price after the clock stepped"
        finally:
            await stream.aclose()
        for p in prices:
            flow.check_price(p)
            assert Decimal(p["time"]) > 10**9, f"not a UNIX time though UNIX was asked for: {p['time']}"
        last = prices[-1]

        # market order with stop loss and take profit
        sl, tp = flow.stops_for(last["bids"][0]["price"], last["asks"][0]["price"])
        created = await client.market_order(INSTRUMENT, flow.UNITS, stop_loss_on_fill=StopLossDetails(price=sl),
                                            take_profit_on_fill=TakeProfitDetails(price=tp))
        assert created.status == 201 and created, created
        body = created.dict(json=True)
        trade_id = flow.check_fill(body, sl, tp)
        fill_id = body["orderFillTransaction"]["id"]

        # list trades
        open_trades = await client.list_open_trades()
        flow.check_open_trades(open_trades.dict(json=True)["trades"], trade_id, sl, tp)

        # let the stop loss trigger
        await asyncio.to_thread(served.step_until_closed, account_id, trade_id, flow.STEP_SECONDS)
        trade = await client.get_trade(trade_id)
        assert trade.trade.state == "CLOSED"

        # transactions since the fill
        since = await client.since_transaction(fill_id)
        flow.check_since(since.dict(json=True)["transactions"], trade_id, fill_id)

        # open again and close the position
        again = await client.market_order(INSTRUMENT, flow.UNITS)
        assert again.status == 201 and "orderFillTransaction" in again.dict(json=True)
        closed = await client.close_position(INSTRUMENT, long_units="ALL")
        assert closed.status == 200, closed
        flow.check_position_close(closed.dict(json=True))
        assert (await client.list_open_positions()).dict(json=True)["positions"] == []
    finally:
        await client.close()


# async_v20 warns on every field newer than the 3.0.25 spec it was generated from (quotePL, baseFinancing,
# dividendAdjustment...), which the server sends as OANDA's live service does; it keeps working
@pytest.mark.filterwarnings("ignore::async_v20.exceptions.UnknownKeywordArgument")
@pytest.mark.filterwarnings("ignore:read_timeout is deprecated:DeprecationWarning")  # its aiohttp session
def test_async_v20_flow(served: Served) -> None:
    account_id, token = served.create_account()
    asyncio.run(_flow(served, account_id, token))
    flow.check_ledger(served, account_id)
