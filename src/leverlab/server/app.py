"""The HTTP face of the demo broker: OANDA's v20 REST API (``/v3``) and its two streams, on Starlette.

Handlers run on the event loop one at a time (nothing awaits between reading a book and committing
its change), so requests and the clock's ticks never interleave inside an account. Streams poll the
committed record every 250 ms and send a heartbeat every 5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..engine.errors import BacktestError
from .book import AccountBook
from .market import GRANULARITIES
from .service import Broker
from .v20 import V20Error, money, parse_time, rfc3339, to_unix_times

log = logging.getLogger("leverlab.server")

#: The largest request body taken (bytes); above it: 413.
MAX_BODY = 64 * 1024
STREAM_POLL = 0.25
HEARTBEAT = 5.0

Handler = Callable[[Request, int], Awaitable[tuple[int, dict[str, Any]] | Response]]


class Ctx:
    def __init__(self) -> None:
        self.ids = itertools.count(int(time.time()) * 1000)


def create_app(broker: Broker, *, admin_token: str | None = None, tick_interval: float = 0.25) -> Starlette:
    """The ASGI app over ``broker``; a background task ticks the clock every ``tick_interval`` seconds
    (with speed 0 the clock moves only through ``POST /admin/clock``, allowed with ``admin_token``)."""
    ctx = Ctx()

    def unix_wanted(request: Request) -> bool:
        return request.headers.get("accept-datetime-format", "RFC3339").upper() == "UNIX"

    def respond(request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None,
                rid: str = "") -> Response:
        if unix_wanted(request):
            body = to_unix_times(body)
        h = {"RequestID": rid or str(next(ctx.ids))}
        h.update(headers or {})
        return Response(json.dumps(body, separators=(",", ":")), status_code=status, headers=h,
                        media_type="application/json")

    def token_of(request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        scheme, _, tok = auth.partition(" ")
        return tok.strip() if scheme.lower() == "bearer" and tok.strip() else None

    def endpoint(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            rid = str(next(ctx.ids))
            request.state.rid = rid
            try:
                user = broker.user_of(token_of(request))
                out = await fn(request, user)
            except V20Error as e:
                return respond(request, e.status, e.body(), rid=rid)
            except Exception:  # a bug: say so without detail, log it
                log.exception("internal error on %s %s", request.method, request.url.path)
                return respond(request, 500, {"errorMessage": "Internal server error"}, rid=rid)
            if isinstance(out, Response):
                return out
            status, body = out
            headers = {}
            if status == 201 and "orderCreateTransaction" in body:
                aid = request.path_params.get("account_id", "")
                headers["Location"] = f"{str(request.base_url).rstrip('/')}/v3/accounts/{aid}/orders/" \
                                      f"{body['orderCreateTransaction']['id']}"
            return respond(request, status, body, headers, rid)
        return run

    async def read_json(request: Request) -> Any:
        n = request.headers.get("content-length")
        if n is not None and n.isdigit() and int(n) > MAX_BODY:
            raise V20Error(413, f"The request body is larger than {MAX_BODY} bytes", "REQUEST_TOO_LARGE")
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise V20Error(413, f"The request body is larger than {MAX_BODY} bytes", "REQUEST_TOO_LARGE")
            chunks.append(chunk)
        raw = b"".join(chunks)
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise V20Error(400, f"Invalid JSON in the request body: {exc}", "INVALID_JSON") from None

    def book(request: Request, user: int) -> AccountBook:
        return broker.book_for(user, request.path_params["account_id"])

    def command(request: Request, kind: str, **fields: Any) -> tuple[int, dict[str, Any]]:
        aid = request.path_params["account_id"]
        cmd = {"kind": kind, "requestID": request.state.rid, **fields}
        return broker.execute(aid, cmd)

    def qint(request: Request, name: str, default: int, lo: int, hi: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        try:
            v = int(raw)
        except ValueError:
            raise V20Error(400, f"Invalid value specified for '{name}': {raw!r} is not an integer",
                           "INVALID_VALUE") from None
        if not lo <= v <= hi:
            raise V20Error(400, f"Invalid value specified for '{name}': {v} is outside {lo}..{hi}", "INVALID_VALUE")
        return v

    def qtime(request: Request, name: str) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        try:
            return parse_time(raw)
        except ValueError as exc:
            raise V20Error(400, f"Invalid value specified for '{name}': {exc}", "INVALID_VALUE") from None

    def instruments_param(request: Request, required: bool = True) -> list[str]:
        raw = request.query_params.get("instruments", "")
        names = [x for x in raw.split(",") if x]
        if not names and required:
            raise V20Error(400, "Invalid value specified for 'instruments': at least one instrument is required",
                           "INVALID_VALUE")
        bad = [x for x in names if broker.market.symbol_of(x) is None]
        if bad:
            raise V20Error(400, f"Invalid value specified for 'instruments': unknown {', '.join(bad)}; this server "
                                f"quotes {', '.join(broker.market.v20_names)}", "INVALID_INSTRUMENT")
        return names

    # ---------------------------------------------------------------- accounts
    async def accounts_list(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        return 200, {"accounts": [{"id": b.info.id, "tags": []} for b in broker.accounts_of(user)]}

    async def account(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        return 200, {"account": b.details(), "lastTransactionID": b.last_id}

    async def summary(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        return 200, {"account": b.summary(), "lastTransactionID": b.last_id}

    def instrument_dict(b: AccountBook, sym: str) -> dict[str, Any]:
        spec = b.market.specs[sym]
        v = b.vol[sym]
        cs = v.contract_size
        prec = b.units_precision(sym)
        pip = spec.pip_size
        pip_loc = round(__import__("math").log10(pip))
        kind = "CURRENCY" if spec.asset_class == "forex" else "METAL" if spec.asset_class == "metals" else "CFD"
        unit = Decimal(1).scaleb(-prec)
        return {"name": b.market.v20_name(sym), "type": kind, "displayName": f"{spec.base}/{spec.quote}",
                "pipLocation": pip_loc, "displayPrecision": spec.digits, "tradeUnitsPrecision": prec,
                "minimumTradeSize": str(Decimal(repr(v.min_lot * cs)).quantize(unit)),
                "maximumTrailingStopDistance": f"{1.0:.{spec.digits}f}",
                "minimumTrailingStopDistance": f"{5 * pip:.{spec.digits}f}",
                "maximumPositionSize": "0",
                "maximumOrderUnits": str(Decimal(repr(v.max_lot * cs)).quantize(unit)),
                "marginRate": b.margin_rate(), "guaranteedStopLossOrderMode": "DISABLED",
                "tags": [], "financing": {"longRate": "0", "shortRate": "0", "financingDaysOfWeek": [
                    {"dayOfWeek": d, "daysCharged": 1} for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY",
                                                                 "FRIDAY")]}}

    async def instruments(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        names = instruments_param(request, required=False) or broker.market.v20_names
        syms = [broker.market.symbol_of(n) for n in names]
        return 200, {"instruments": [instrument_dict(b, s) for s in syms if s], "lastTransactionID": b.last_id}

    async def configure(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        book(request, user)
        body = await read_json(request)
        return command(request, "configure", body=body)

    async def changes(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        raw = request.query_params.get("sinceTransactionID")
        last = broker.stored[b.info.id]
        if raw is None or not raw.isdigit():
            raise V20Error(400, "Invalid value specified for 'sinceTransactionID': expected a transaction id",
                           "INVALID_VALUE")
        since = int(raw)
        if since > last:
            raise V20Error(416, f"sinceTransactionID {since} is beyond the last transaction {last}",
                           "INVALID_RANGE")
        txns = broker.stored_txns(b.info.id, since + 1, last)
        ids = {x["id"] for x in txns}
        created = [b.order_dict(o) for o in b.orders.values() if o.id in ids and o.type != "MARKET"]
        filled = [b.order_dict(o) for o in b.orders.values() if o.filling_id in ids and o.type != "MARKET"]
        cancelled = [b.order_dict(o) for o in b.orders.values() if o.cancelling_id in ids and o.type != "MARKET"]
        live = b._positions_now()
        opened = [b.trade_dict(t, live) for t in b.trades.values() if t.id in ids]
        closed = [b.trade_dict(t, live) for t in b.trades.values() if t.state == "CLOSED"
                  and any(c in ids for c in t.closing_ids)]
        reduced = [b.trade_dict(t, live) for t in b.trades.values() if t.state == "OPEN"
                   and any(c in ids for c in t.closing_ids)]
        touched = {t["instrument"] for t in opened + closed + reduced}
        positions = [b.position_dict(s, live) for s in broker.market.symbols if broker.market.v20_name(s) in touched]
        s = b.summary()
        state = {k: s[k] for k in ("unrealizedPL", "NAV", "marginUsed", "marginAvailable", "positionValue",
                                   "marginCloseoutUnrealizedPL", "marginCloseoutNAV", "marginCloseoutMarginUsed",
                                   "marginCloseoutPercent", "marginCloseoutPositionValue", "withdrawalLimit",
                                   "marginCallMarginUsed", "marginCallPercent")}
        state["orders"] = []
        state["trades"] = [{"id": t["id"], "unrealizedPL": t["unrealizedPL"], "marginUsed": t["marginUsed"]}
                           for t in b.view_trades("OPEN")]
        state["positions"] = [{"instrument": p["instrument"], "netUnrealizedPL": p["unrealizedPL"],
                               "longUnrealizedPL": p["long"]["unrealizedPL"],
                               "shortUnrealizedPL": p["short"]["unrealizedPL"], "marginUsed": p["marginUsed"]}
                              for p in b.view_positions(True)]
        return 200, {"changes": {"ordersCreated": created, "ordersCancelled": cancelled, "ordersFilled": filled,
                                 "ordersTriggered": [], "tradesOpened": opened, "tradesReduced": reduced,
                                 "tradesClosed": closed, "positions": positions, "transactions": txns},
                     "state": state, "lastTransactionID": str(last)}

    # ---------------------------------------------------------------- prices
    def client_price(b: AccountBook, name: str, t: int) -> dict[str, Any] | None:
        sym = broker.market.symbol_of(name)
        assert sym is not None
        q = broker.market.quote_at(sym, t)
        if q is None:
            return None
        qt, bid, ask = q
        ok = broker.market.tradeable(sym, t)
        d = b.digits(sym)
        f = broker.market.home_factor(broker.market.specs[sym].quote, b.info.currency, t)
        fs = "1" if f is None else repr(round(f, 8))
        return {"type": "PRICE", "instrument": name, "time": rfc3339(qt), "status": "tradeable" if ok else
                "non-tradeable", "tradeable": ok,
                "bids": [{"price": f"{bid:.{d}f}", "liquidity": 10000000}],
                "asks": [{"price": f"{ask:.{d}f}", "liquidity": 10000000}],
                "closeoutBid": f"{bid:.{d}f}", "closeoutAsk": f"{ask:.{d}f}",
                "quoteHomeConversionFactors": {"positiveUnits": fs, "negativeUnits": fs}}

    async def pricing(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        names = instruments_param(request)
        t = broker.clock.now
        since = qtime(request, "since")
        prices = [p for p in (client_price(b, n, t) for n in names) if p is not None
                  and (since is None or parse_time(p["time"]) > since)]
        out: dict[str, Any] = {"prices": prices, "time": rfc3339(t)}
        if request.query_params.get("includeHomeConversions", "").lower() == "true":
            ccys = sorted({c for s in broker.market.symbols for c in (broker.market.specs[s].base,
                                                                      broker.market.specs[s].quote)})
            out["homeConversions"] = [{"currency": c, "accountGain": repr(f), "accountLoss": repr(f),
                                       "positionValue": repr(f)}
                                      for c in ccys
                                      if (f := broker.market.home_factor(c, b.info.currency, t)) is not None]
        return 200, out

    async def pricing_stream(request: Request, user: int) -> Response:
        b = book(request, user)
        names = instruments_param(request)
        unix = unix_wanted(request)
        snapshot = request.query_params.get("snapshot", "true").lower() != "false"

        async def gen() -> AsyncIterator[bytes]:
            sent: dict[str, str] = {}
            last_beat = time.monotonic()
            first = True
            while True:
                t = broker.clock.now
                lines = []
                for n in names:
                    p = client_price(b, n, t)
                    if p is None or sent.get(n) == p["time"]:
                        continue
                    sent[n] = p["time"]
                    if first and not snapshot:
                        continue
                    lines.append(p)
                first = False
                now = time.monotonic()
                if now - last_beat >= HEARTBEAT:
                    lines.append({"type": "HEARTBEAT", "time": rfc3339(t)})
                    last_beat = now
                if lines:
                    yield b"".join(json.dumps(to_unix_times(x) if unix else x, separators=(",", ":")).encode()
                                   + b"\n" for x in lines)
                await asyncio.sleep(STREAM_POLL)

        return StreamingResponse(gen(), media_type="application/octet-stream",
                                 headers={"RequestID": request.state.rid})

    async def candles(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        if "account_id" in request.path_params:
            book(request, user)
        name = request.path_params["instrument"]
        sym = broker.market.symbol_of(name)
        if sym is None:
            raise V20Error(400, f"Invalid value specified for 'instrument': {name!r}; this server quotes "
                                f"{', '.join(broker.market.v20_names)}", "INVALID_INSTRUMENT")
        gran = request.query_params.get("granularity", "S5")
        if gran not in GRANULARITIES:
            raise V20Error(400, f"Invalid value specified for 'granularity': {gran!r}", "INVALID_VALUE")
        price = request.query_params.get("price", "M")
        if not price or any(c not in "MBA" for c in price):
            raise V20Error(400, f"Invalid value specified for 'price': {price!r}; expected letters of M, B, A",
                           "INVALID_VALUE")
        count = qint(request, "count", 500, 1, 5000)
        t_from, t_to = qtime(request, "from"), qtime(request, "to")
        if t_from is not None and t_to is not None and t_to < t_from:
            raise V20Error(400, "'to' is before 'from'", "INVALID_VALUE")
        rows, why = broker.market.candles(sym, gran, t_from, t_to, count, broker.clock.now)
        if why:
            raise V20Error(400, why, "INVALID_VALUE")
        d = broker.market.specs[sym].digits
        out = []
        for r in rows:
            c: dict[str, Any] = {"complete": r["complete"], "volume": r["volume"], "time": rfc3339(int(r["time"]))}
            bid, ask = r["bid"], r["ask"]
            for letter, key, vals in (("B", "bid", bid), ("A", "ask", ask),
                                      ("M", "mid", tuple(0.5 * (x + y) for x, y in zip(bid, ask)))):  # type: ignore
                if letter in price:
                    c[key] = {k: f"{v:.{d}f}" for k, v in zip("ohlc", vals)}  # type: ignore[call-overload]
            out.append(c)
        return 200, {"instrument": name, "granularity": gran, "candles": out}

    # ---------------------------------------------------------------- orders
    async def create_order(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        body = await read_json(request)
        if not isinstance(body, dict) or "order" not in body:
            raise V20Error(400, "Invalid value specified for 'order': the body must be an object with an 'order'",
                           "INVALID_VALUE")
        del b
        return command(request, "order", order=body["order"])

    def filter_list(items: list[dict[str, Any]], request: Request, default_count: int = 50) -> list[dict[str, Any]]:
        ids = request.query_params.get("ids")
        if ids:
            want = set(ids.split(","))
            items = [x for x in items if x["id"] in want]
        inst = request.query_params.get("instrument")
        if inst:
            items = [x for x in items if x.get("instrument") == inst]
        before = request.query_params.get("beforeID")
        if before:
            if not before.isdigit():
                raise V20Error(400, f"Invalid value specified for 'beforeID': {before!r}", "INVALID_VALUE")
            items = [x for x in items if int(x["id"]) < int(before)]
        return items[:qint(request, "count", default_count, 1, 500)]

    async def list_orders(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        state = request.query_params.get("state", "PENDING")
        if state not in ("PENDING", "FILLED", "TRIGGERED", "CANCELLED", "ALL"):
            raise V20Error(400, f"Invalid value specified for 'state': {state!r}", "INVALID_VALUE")
        return 200, {"orders": filter_list(b.view_orders((state,)), request), "lastTransactionID": b.last_id}

    async def pending_orders(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        return 200, {"orders": b.view_orders(), "lastTransactionID": b.last_id}

    async def get_order(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        o = b.order_by_spec(request.path_params["spec"])
        return 200, {"order": b.order_dict(o), "lastTransactionID": b.last_id}

    async def replace_order(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        book(request, user)
        body = await read_json(request)
        if not isinstance(body, dict) or "order" not in body:
            raise V20Error(400, "Invalid value specified for 'order': the body must be an object with an 'order'",
                           "INVALID_VALUE")
        return command(request, "replace_order", order=request.path_params["spec"], body=body["order"])

    async def cancel_order(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        book(request, user).order_by_spec(request.path_params["spec"])
        return command(request, "cancel_order", order=request.path_params["spec"])

    async def order_ext(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        book(request, user).order_by_spec(request.path_params["spec"])
        body = await read_json(request)
        return command(request, "order_ext", order=request.path_params["spec"], body=body)

    # ---------------------------------------------------------------- trades
    async def list_trades(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        state = request.query_params.get("state", "OPEN")
        if state not in ("OPEN", "CLOSED", "CLOSE_WHEN_TRADEABLE", "ALL"):
            raise V20Error(400, f"Invalid value specified for 'state': {state!r}", "INVALID_VALUE")
        return 200, {"trades": filter_list(b.view_trades(state), request), "lastTransactionID": b.last_id}

    async def open_trades(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        return 200, {"trades": b.view_trades("OPEN"), "lastTransactionID": b.last_id}

    async def get_trade(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        tr = b.trade_by_spec(request.path_params["spec"])
        return 200, {"trade": b.trade_dict(tr), "lastTransactionID": b.last_id}

    async def close_trade(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        book(request, user).trade_by_spec(request.path_params["spec"])
        body = await read_json(request)
        units = body.get("units", "ALL") if isinstance(body, dict) else "ALL"
        return command(request, "close_trade", trade=request.path_params["spec"], units=units)

    async def trade_ext(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        book(request, user).trade_by_spec(request.path_params["spec"])
        body = await read_json(request)
        return command(request, "trade_ext", trade=request.path_params["spec"], body=body)

    async def trade_orders(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        book(request, user).trade_by_spec(request.path_params["spec"])
        body = await read_json(request)
        return command(request, "trade_orders", trade=request.path_params["spec"], body=body)

    # ---------------------------------------------------------------- positions
    async def list_positions(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        return 200, {"positions": b.view_positions(False), "lastTransactionID": b.last_id}

    async def open_positions(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        return 200, {"positions": b.view_positions(True), "lastTransactionID": b.last_id}

    async def get_position(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        sym = broker.market.symbol_of(request.path_params["instrument"])
        if sym is None:
            raise V20Error(404, "The Instrument specified does not exist", "INSTRUMENT_UNKNOWN")
        return 200, {"position": b.position_dict(sym), "lastTransactionID": b.last_id}

    async def close_position(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        book(request, user)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise V20Error(400, "Invalid value specified for the body: expected an object", "INVALID_VALUE")
        return command(request, "close_position", instrument=request.path_params["instrument"], body=body)

    # ---------------------------------------------------------------- transactions
    groups = {"ORDER": lambda t: t.endswith("_ORDER") or t.startswith("ORDER_"),
              "FUNDING": lambda t: t == "TRANSFER_FUNDS", "ADMIN": lambda t: t in ("CREATE", "CLOSE", "REOPEN",
                                                                                  "CLIENT_CONFIGURE"),
              "MARGIN_CALL": lambda t: t.startswith("MARGIN_CALL"), "FINANCING": lambda t: t == "DAILY_FINANCING"}

    def type_filter(request: Request) -> Callable[[str], bool] | None:
        raw = request.query_params.get("type")
        if not raw:
            return None
        wanted = raw.split(",")
        return lambda t: any(groups[w](t) if w in groups else t == w for w in wanted)

    def range_of(request: Request, last: int) -> tuple[int, int]:
        def one(name: str, default: int) -> int:
            raw = request.query_params.get(name)
            if raw is None:
                return default
            if not raw.isdigit():
                raise V20Error(400, f"Invalid value specified for '{name}': {raw!r} is not a transaction id",
                               "INVALID_VALUE")
            return int(raw)
        lo, hi = one("from", 1), one("to", last)
        if lo < 1 or hi < lo:
            raise V20Error(400, f"Invalid range: from {lo} to {hi}", "INVALID_RANGE")
        if lo > last:
            raise V20Error(416, f"The range starts after the last transaction ({last})", "INVALID_RANGE")
        return lo, hi

    async def transactions(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        last = broker.stored[b.info.id]
        t_from, t_to = qtime(request, "from"), qtime(request, "to")
        size = qint(request, "pageSize", 100, 1, 1000)
        flt = type_filter(request)
        txns = [x for x in broker.stored_txns(b.info.id, 1, last)
                if (t_from is None or parse_time(x["time"]) >= t_from) and (t_to is None or parse_time(x["time"]) <= t_to)
                and (flt is None or flt(x["type"]))]
        base = f"{str(request.base_url).rstrip('/')}/v3/accounts/{b.info.id}/transactions/idrange"
        typ = request.query_params.get("type")
        pages = []
        for i in range(0, len(txns), size):
            page = txns[i:i + size]
            url = f"{base}?from={page[0]['id']}&to={page[-1]['id']}"
            pages.append(url + (f"&type={typ}" if typ else ""))
        out: dict[str, Any] = {"from": rfc3339(t_from if t_from is not None else b.info.created_ns),
                               "to": rfc3339(t_to if t_to is not None else broker.clock.now), "pageSize": size,
                               "count": len(txns), "pages": pages, "lastTransactionID": str(last)}
        if typ:
            out["type"] = typ.split(",")
        return 200, out

    async def idrange(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        last = broker.stored[b.info.id]
        lo, hi = range_of(request, last)
        flt = type_filter(request)
        txns = [x for x in broker.stored_txns(b.info.id, lo, hi) if flt is None or flt(x["type"])]
        return 200, {"transactions": txns, "lastTransactionID": str(last)}

    async def sinceid(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        last = broker.stored[b.info.id]
        raw = request.query_params.get("id")
        if raw is None or not raw.isdigit():
            raise V20Error(400, "Invalid value specified for 'id': expected a transaction id", "INVALID_VALUE")
        if int(raw) > last:
            raise V20Error(416, f"id {raw} is beyond the last transaction ({last})", "INVALID_RANGE")
        flt = type_filter(request)
        txns = [x for x in broker.stored_txns(b.info.id, int(raw) + 1, last) if flt is None or flt(x["type"])]
        return 200, {"transactions": txns, "lastTransactionID": str(last)}

    async def one_txn(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = book(request, user)
        raw = request.path_params["txn_id"]
        last = broker.stored[b.info.id]
        if not raw.isdigit() or not 1 <= int(raw) <= last:
            raise V20Error(404, "The Transaction specified does not exist", "NO_SUCH_TRANSACTION")
        return 200, {"transaction": b.txns[int(raw) - 1], "lastTransactionID": str(last)}

    async def txn_stream(request: Request, user: int) -> Response:
        b = book(request, user)
        aid = b.info.id
        unix = unix_wanted(request)

        async def gen() -> AsyncIterator[bytes]:
            sent = broker.stored[aid]
            last_beat = time.monotonic() - HEARTBEAT
            while True:
                book_now = broker.books.get(aid, b)
                lines: list[dict[str, Any]] = list(book_now.txns[sent:broker.stored[aid]])
                sent += len(lines)
                now = time.monotonic()
                if now - last_beat >= HEARTBEAT:
                    lines.append({"type": "HEARTBEAT", "lastTransactionID": str(sent),
                                  "time": rfc3339(broker.clock.now)})
                    last_beat = now
                if lines:
                    yield b"".join(json.dumps(to_unix_times(x) if unix else x, separators=(",", ":")).encode()
                                   + b"\n" for x in lines)
                await asyncio.sleep(STREAM_POLL)

        return StreamingResponse(gen(), media_type="application/octet-stream",
                                 headers={"RequestID": request.state.rid})

    # ---------------------------------------------------------------- users
    async def user_info(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        spec = request.path_params["user_spec"]
        if spec not in ("@", str(user)):
            raise V20Error(403, "Insufficient authorization to perform request.")
        info = {"userID": user, "country": "", "FIFO": False}
        if not request.url.path.endswith("externalInfo"):
            info = {"username": f"user{user}", "userID": user, "country": "", "emailAddress": ""}
        return 200, {"userInfo": info}

    # ---------------------------------------------------------------- admin (the clock)
    async def admin_clock(request: Request) -> Response:
        rid = str(next(ctx.ids))
        tok = token_of(request)
        if not admin_token:
            return respond(request, 404, {"errorMessage": "No admin token is configured on this server"}, rid=rid)
        if not tok or not hmac.compare_digest(tok, admin_token):
            return respond(request, 401, {"errorMessage": "Insufficient authorization to perform request."}, rid=rid)
        if request.method == "POST":
            try:
                body = await read_json(request)
                if not isinstance(body, dict):
                    raise V20Error(400, "expected an object with 'seconds' or 'to'", "INVALID_VALUE")
                if "to" in body:
                    target = parse_time(str(body["to"]))
                elif "seconds" in body:
                    target = broker.clock.now + int(float(body["seconds"]) * 1e9)
                else:
                    raise V20Error(400, "expected an object with 'seconds' or 'to'", "INVALID_VALUE")
                broker.tick(target)
            except V20Error as e:
                return respond(request, e.status, e.body(), rid=rid)
            except ValueError as exc:
                return respond(request, 400, {"errorMessage": str(exc)}, rid=rid)
        return respond(request, 200, {"time": rfc3339(broker.clock.now), "speed": broker.clock.speed
                                      if broker.clock.speed != float("inf") else "max",
                                      "start": rfc3339(broker.market.start), "end": rfc3339(broker.market.end)},
                       rid=rid)

    async def not_found(request: Request) -> Response:
        return respond(request, 404, {"errorMessage": f"No such endpoint: {request.method} {request.url.path}"})

    a = "/v3/accounts/{account_id}"
    routes = [
        Route("/v3/accounts", endpoint(accounts_list), methods=["GET"]),
        Route(a, endpoint(account), methods=["GET"]),
        Route(a + "/summary", endpoint(summary), methods=["GET"]),
        Route(a + "/instruments", endpoint(instruments), methods=["GET"]),
        Route(a + "/configuration", endpoint(configure), methods=["PATCH"]),
        Route(a + "/changes", endpoint(changes), methods=["GET"]),
        Route(a + "/pricing", endpoint(pricing), methods=["GET"]),
        Route(a + "/pricing/stream", endpoint(pricing_stream), methods=["GET"]),
        Route(a + "/instruments/{instrument}/candles", endpoint(candles), methods=["GET"]),
        Route("/v3/instruments/{instrument}/candles", endpoint(candles), methods=["GET"]),
        Route(a + "/orders", endpoint(create_order), methods=["POST"]),
        Route(a + "/orders", endpoint(list_orders), methods=["GET"]),
        Route(a + "/pendingOrders", endpoint(pending_orders), methods=["GET"]),
        Route(a + "/orders/{spec}", endpoint(get_order), methods=["GET"]),
        Route(a + "/orders/{spec}", endpoint(replace_order), methods=["PUT"]),
        Route(a + "/orders/{spec}/cancel", endpoint(cancel_order), methods=["PUT"]),
        Route(a + "/orders/{spec}/clientExtensions", endpoint(order_ext), methods=["PUT"]),
        Route(a + "/trades", endpoint(list_trades), methods=["GET"]),
        Route(a + "/openTrades", endpoint(open_trades), methods=["GET"]),
        Route(a + "/trades/{spec}", endpoint(get_trade), methods=["GET"]),
        Route(a + "/trades/{spec}/close", endpoint(close_trade), methods=["PUT"]),
        Route(a + "/trades/{spec}/clientExtensions", endpoint(trade_ext), methods=["PUT"]),
        Route(a + "/trades/{spec}/orders", endpoint(trade_orders), methods=["PUT"]),
        Route(a + "/positions", endpoint(list_positions), methods=["GET"]),
        Route(a + "/openPositions", endpoint(open_positions), methods=["GET"]),
        Route(a + "/positions/{instrument}", endpoint(get_position), methods=["GET"]),
        Route(a + "/positions/{instrument}/close", endpoint(close_position), methods=["PUT"]),
        Route(a + "/transactions", endpoint(transactions), methods=["GET"]),
        Route(a + "/transactions/idrange", endpoint(idrange), methods=["GET"]),
        Route(a + "/transactions/sinceid", endpoint(sinceid), methods=["GET"]),
        Route(a + "/transactions/stream", endpoint(txn_stream), methods=["GET"]),
        Route(a + "/transactions/{txn_id}", endpoint(one_txn), methods=["GET"]),
        Route("/v3/users/{user_spec}", endpoint(user_info), methods=["GET"]),
        Route("/v3/users/{user_spec}/externalInfo", endpoint(user_info), methods=["GET"]),
        Route("/admin/clock", admin_clock, methods=["GET", "POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(ticker()) if broker.clock.speed != 0 else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()

    async def ticker() -> None:
        fast = broker.clock.speed == float("inf")
        while True:
            try:
                broker.tick()
            except BacktestError as exc:
                log.error("the clock stopped: %s", exc)
                return
            except Exception:
                log.exception("tick failed")
            await asyncio.sleep(0.001 if fast else tick_interval)

    app = Starlette(routes=routes, lifespan=lifespan)

    async def _404(request: Request, exc: Exception) -> Response:
        return await not_found(request)

    async def _405(request: Request, exc: Exception) -> Response:
        return respond(request, 405, {"errorMessage": f"Method {request.method} is not allowed on "
                                                      f"{request.url.path}"})

    app.add_exception_handler(404, _404)
    app.add_exception_handler(405, _405)
    _ = money  # re-exported helpers stay importable from here
    return app
