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
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..engine.errors import BacktestError
from .book import AccountBook
from .market import GRANULARITIES, WEEKDAYS
from .service import Broker
from .v20 import V20Error, money, parse_time, rfc3339, time_field, to_unix_times

log = logging.getLogger("leverlab.server")

#: The largest request body taken (bytes); above it: 413.
MAX_BODY = 64 * 1024
STREAM_POLL = 0.25
#: At most this many quotes of one instrument per stream write (a fast clock sends the latest).
STREAM_BURST = 8
HEARTBEAT = 5.0

_ID = re.compile(r"[0-9]{1,18}")
_INT = re.compile(r"-?[0-9]{1,18}")


def _is_id(text: str) -> bool:
    """Whether ``text`` is a transaction id or count: ASCII digits only (``str.isdigit`` also takes "²")."""
    return _ID.fullmatch(text) is not None


def _stream_line(obj: Any, unix: bool) -> bytes:
    """One line of a v20 stream (price, transaction or heartbeat): compact JSON, times as UNIX when asked."""
    return json.dumps(to_unix_times(obj) if unix else obj, separators=(",", ":")).encode() + b"\n"


Handler = Callable[[Request, int], Awaitable[tuple[int, dict[str, Any]] | Response]]


def create_app(broker: Broker, *, admin_token: str | None = None, tick_interval: float = 0.25) -> Starlette:
    """The ASGI app over ``broker``; a background task ticks the clock every ``tick_interval`` seconds.

    With speed 0 the clock moves only through ``POST /leverlab/v1/clock/advance`` (alias ``/admin/clock``),
    body ``{"steps": n}``, ``{"seconds": s}`` or ``{"to": time}``, allowed with ``admin_token`` or, on a
    stepped clock only, any account's token; at other speeds only ``admin_token`` may move it."""
    from .copying import install

    install(broker)  # copy trading (server.copying)
    return V20App(broker, admin_token, tick_interval).app()


def extra_routes(v20: V20App) -> list[Any]:
    """The routes beside v20's: copy trading (``server.copying``) and the dashboard (``server.dashboard``)."""
    from . import copying, dashboard

    return [*copying.api_routes(v20), *dashboard.routes(v20)]


class V20App:
    """The v20 handlers over one broker (see ``create_app``)."""

    def __init__(self, broker: Broker, admin_token: str | None, tick_interval: float) -> None:
        self.broker = broker
        self.admin_token = admin_token
        self.tick_interval = tick_interval
        self.ids = itertools.count(int(time.time()) * 1000)
        self._lines: dict[tuple[str, int, str, bool], bytes] = {}


    def unix_wanted(self, request: Request) -> bool:
        return request.headers.get("accept-datetime-format", "RFC3339").upper() == "UNIX"

    def respond(self, request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None,
                rid: str = "") -> Response:
        if self.unix_wanted(request):
            body = to_unix_times(body)
        h = {"RequestID": rid or str(next(self.ids))}
        h.update(headers or {})
        return Response(json.dumps(body, separators=(",", ":")), status_code=status, headers=h,
                        media_type="application/json")

    def token_of(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        scheme, _, tok = auth.partition(" ")
        return tok.strip() if scheme.lower() == "bearer" and tok.strip() else None

    def endpoint(self, fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            rid = str(next(self.ids))
            request.state.rid = rid
            try:
                try:
                    user = self.broker.user_of(self.token_of(request))
                    out = await fn(request, user)
                finally:  # looking an account up may have opened it (and queued its first transactions)
                    await self.broker.opened_durable()
            except V20Error as e:
                return self.respond(request, e.status, e.body(), rid=rid)
            except Exception:  # a bug: say so without detail, log it
                log.exception("internal error on %s %s", request.method, request.url.path)
                return self.respond(request, 500, {"errorMessage": "Internal server error"}, rid=rid)
            if isinstance(out, Response):
                return out
            status, body = out
            headers = {}
            if status == 201 and "orderCreateTransaction" in body:
                aid = request.path_params.get("account_id", "")
                headers["Location"] = f"{str(request.base_url).rstrip('/')}/v3/accounts/{aid}/orders/" \
                                      f"{body['orderCreateTransaction']['id']}"
            return self.respond(request, status, body, headers, rid)
        return run

    async def read_json(self, request: Request) -> Any:
        n = request.headers.get("content-length")
        if n is not None and _is_id(n) and int(n) > MAX_BODY:
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

    def book(self, request: Request, user: int) -> AccountBook:
        return self.broker.book_for(user, request.path_params["account_id"])

    async def command(self, request: Request, kind: str, **fields: Any) -> tuple[int, dict[str, Any]]:
        """Apply a command; answer once it (or the reject it wrote) is committed."""
        aid = request.path_params["account_id"]
        return await self.broker.apply(aid, {"kind": kind, "requestID": request.state.rid, **fields})

    def qint(self, request: Request, name: str, default: int, lo: int, hi: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not _INT.fullmatch(raw):  # ASCII only: int() also takes "١٢" and " 12 "
            raise V20Error(400, f"Invalid value specified for '{name}': {raw!r} is not an integer", "INVALID_VALUE")
        v = int(raw)
        if not lo <= v <= hi:
            raise V20Error(400, f"Invalid value specified for '{name}': {v} is outside {lo}..{hi}", "INVALID_VALUE")
        return v

    def qtime(self, request: Request, name: str) -> int | None:
        raw = request.query_params.get(name)
        return None if raw is None else time_field(raw, name)

    def instruments_param(self, request: Request, required: bool = True) -> list[str]:
        raw = request.query_params.get("instruments", "")
        names = [x for x in raw.split(",") if x]
        if not names and required:
            raise V20Error(400, "Invalid value specified for 'instruments': at least one instrument is required",
                           "INVALID_VALUE")
        bad = [x for x in names if self.broker.market.symbol_of(x) is None]
        if bad:
            raise V20Error(400, f"Invalid value specified for 'instruments': unknown {', '.join(bad)}; this server "
                                f"quotes {', '.join(self.broker.market.v20_names)}", "INVALID_INSTRUMENT")
        return names

    # ---------------------------------------------------------------- accounts
    async def accounts_list(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        return 200, {"accounts": [{"id": b.info.id, "tags": []} for b in self.broker.accounts_of(user)]}

    async def account(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        return 200, {"account": b.details(), "lastTransactionID": b.last_id}

    async def summary(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        return 200, {"account": b.summary(), "lastTransactionID": b.last_id}

    def instrument_dict(self, b: AccountBook, sym: str) -> dict[str, Any]:
        spec = b.market.specs[sym]
        v = b.vol[sym]
        cs = v.contract_size
        prec = b.units_precision(sym)
        pip = spec.pip_size
        pip_loc = round(math.log10(pip))
        kind = "CURRENCY" if spec.asset_class == "forex" else "METAL" if spec.asset_class == "metals" else "CFD"
        return {"name": b.market.v20_name(sym), "type": kind, "displayName": f"{spec.base}/{spec.quote}",
                "pipLocation": pip_loc, "displayPrecision": spec.digits, "tradeUnitsPrecision": prec,
                "minimumTradeSize": b.fmt_units(sym, v.min_lot * cs),
                "maximumTrailingStopDistance": b.px(sym, 1.0),
                "minimumTrailingStopDistance": b.px(sym, 5 * pip),
                "maximumPositionSize": "0",
                "maximumOrderUnits": b.fmt_units(sym, v.max_lot * cs),
                "marginRate": b.margin_rate()}

    async def instruments(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        names = self.instruments_param(request, required=False) or self.broker.market.v20_names
        syms = [self.broker.market.symbol_of(n) for n in names]
        return 200, {"instruments": [self.instrument_dict(b, s) for s in syms if s], "lastTransactionID": b.last_id}

    async def configure(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        self.book(request, user)
        body = await self.read_json(request)
        return await self.command(request, "configure", body=body)

    async def changes(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        raw = request.query_params.get("sinceTransactionID")
        last = self.broker.stored[b.info.id]
        if raw is None or not _is_id(raw):
            raise V20Error(400, "Invalid value specified for 'sinceTransactionID': expected a transaction id",
                           "INVALID_VALUE")
        since = int(raw)
        if since > last:
            raise V20Error(416, f"sinceTransactionID {since} is beyond the last transaction {last}",
                           "INVALID_RANGE")
        txns = self.broker.stored_txns(b.info.id, since + 1, last)
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
        market = self.broker.market
        positions = [b.position_dict(s, live) for s in market.symbols if market.v20_name(s) in touched]
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
    def client_price(self, b: AccountBook, name: str, t: int) -> dict[str, Any] | None:
        sym = self.broker.market.symbol_of(name)
        assert sym is not None
        q = self.broker.market.quote_at(sym, t)
        if q is None:
            return None
        qt, bid, ask = q
        ok = self.broker.market.tradeable(sym, t)
        fs = b.home_factor(sym, t)
        return {"type": "PRICE", "instrument": name, "time": rfc3339(qt), "status": "tradeable" if ok else
                "non-tradeable", "tradeable": ok,
                "bids": [{"price": b.px(sym, bid), "liquidity": 10000000}],
                "asks": [{"price": b.px(sym, ask), "liquidity": 10000000}],
                "closeoutBid": b.px(sym, bid), "closeoutAsk": b.px(sym, ask),
                "quoteHomeConversionFactors": {"positiveUnits": fs, "negativeUnits": fs}}

    def price_line(self, b: AccountBook, name: str, t: int, unix: bool) -> bytes:
        """The stream line of ``name``'s quote at ``t`` for ``b``'s currency (shared by every subscriber)."""
        key = (name, t, b.info.currency, unix)
        line = self._lines.get(key)
        if line is None:
            p = self.client_price(b, name, t)
            line = _stream_line(p, unix)
            if len(self._lines) > 4096:
                self._lines.clear()
            self._lines[key] = line
        return line

    async def pricing(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        names = self.instruments_param(request)
        t = self.broker.clock.now
        since = self.qtime(request, "since")
        prices = [p for p in (self.client_price(b, n, t) for n in names) if p is not None
                  and (since is None or parse_time(p["time"]) > since)]
        out: dict[str, Any] = {"prices": prices, "time": rfc3339(t)}
        if request.query_params.get("includeHomeConversions", "").lower() == "true":
            ccys = sorted({c for s in self.broker.market.symbols for c in (self.broker.market.specs[s].base,
                                                                      self.broker.market.specs[s].quote)})
            out["homeConversions"] = [{"currency": c, "accountGain": repr(f), "accountLoss": repr(f),
                                       "positionValue": repr(f)}
                                      for c in ccys
                                      if (f := self.broker.market.home_factor(c, b.info.currency, t)) is not None]
        return 200, out

    async def pricing_stream(self, request: Request, user: int) -> Response:
        b = self.book(request, user)
        names = self.instruments_param(request)
        unix = self.unix_wanted(request)
        snapshot = request.query_params.get("snapshot", "true").lower() != "false"

        async def gen() -> AsyncIterator[bytes]:
            market = self.broker.market
            last: dict[str, int] = {}  # market time of the last quote sent, per instrument
            last_beat = time.monotonic()
            first = True
            while True:
                t = self.broker.clock.now
                out: list[bytes] = []
                for n in names:
                    q = market.quotes[market.symbol_of(n) or ""]
                    hi = int(np.searchsorted(q.time, t, "right"))
                    lo = max(hi - 1, 0) if n not in last else int(np.searchsorted(q.time, last[n], "right"))
                    lo = max(lo, hi - STREAM_BURST)  # a fast clock: the latest quotes only
                    if hi > lo:
                        last[n] = int(q.time[hi - 1])
                        if first and not snapshot:
                            continue
                        out += [self.price_line(b, n, int(q.time[i]), unix) for i in range(lo, hi)]
                first = False
                now = time.monotonic()
                if now - last_beat >= HEARTBEAT:
                    beat = {"type": "HEARTBEAT", "time": rfc3339(t)}
                    out.append(_stream_line(beat, unix))
                    last_beat = now
                for line in out:  # one whole line per chunk: some clients parse each chunk they receive
                    yield line
                await self.broker.changed(STREAM_POLL)

        return StreamingResponse(gen(), media_type="application/octet-stream",
                                 headers={"RequestID": request.state.rid})

    async def candles(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        if "account_id" in request.path_params:
            self.book(request, user)
        name = request.path_params["instrument"]
        sym = self.broker.market.symbol_of(name)
        if sym is None:
            raise V20Error(400, f"Invalid value specified for 'instrument': {name!r}; this server quotes "
                                f"{', '.join(self.broker.market.v20_names)}", "INVALID_INSTRUMENT")
        gran = request.query_params.get("granularity", "S5")
        if gran not in GRANULARITIES:
            raise V20Error(400, f"Invalid value specified for 'granularity': {gran!r}", "INVALID_VALUE")
        price = request.query_params.get("price", "M")
        if not price or any(c not in "MBA" for c in price):
            raise V20Error(400, f"Invalid value specified for 'price': {price!r}; expected letters of M, B, A",
                           "INVALID_VALUE")
        count = self.qint(request, "count", 500, 1, 5000)
        t_from, t_to = self.qtime(request, "from"), self.qtime(request, "to")
        if t_from is not None and t_to is not None and t_to < t_from:
            raise V20Error(400, "'to' is before 'from'", "INVALID_VALUE")
        weekly = request.query_params.get("weeklyAlignment", "Friday")
        if weekly not in WEEKDAYS:
            raise V20Error(400, f"Invalid value specified for 'weeklyAlignment': {weekly!r}; expected one of "
                                f"{', '.join(WEEKDAYS)}", "INVALID_VALUE")
        rows, why = self.broker.market.candles(sym, gran, t_from, t_to, count, self.broker.clock.now, weekly)
        if why:
            raise V20Error(400, why, "INVALID_VALUE")
        d = self.broker.market.specs[sym].digits
        out = []
        for r in rows:
            c: dict[str, Any] = {"complete": r["complete"], "volume": r["volume"],
                                 "time": rfc3339(int(str(r["time"])))}
            bid, ask = r["bid"], r["ask"]
            for letter, key, vals in (("B", "bid", bid), ("A", "ask", ask),
                                      ("M", "mid", tuple(0.5 * (x + y) for x, y in zip(bid, ask)))):  # type: ignore
                if letter in price:
                    c[key] = {k: f"{v:.{d}f}" for k, v in zip("ohlc", vals)}  # type: ignore[call-overload]
            out.append(c)
        return 200, {"instrument": name, "granularity": gran, "candles": out}

    # ---------------------------------------------------------------- orders
    async def create_order(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        body = await self.read_json(request)
        if not isinstance(body, dict) or "order" not in body:
            raise V20Error(400, "Invalid value specified for 'order': the body must be an object with an 'order'",
                           "INVALID_VALUE")
        del b
        return await self.command(request, "order", order=body["order"])

    def filter_list(self, items: list[dict[str, Any]], request: Request,
                    default_count: int = 50) -> list[dict[str, Any]]:
        ids = request.query_params.get("ids")
        if ids:
            want = set(ids.split(","))
            items = [x for x in items if x["id"] in want]
        inst = request.query_params.get("instrument")
        if inst:
            items = [x for x in items if x.get("instrument") == inst]
        before = request.query_params.get("beforeID")
        if before:
            if not _is_id(before):
                raise V20Error(400, f"Invalid value specified for 'beforeID': {before!r}", "INVALID_VALUE")
            items = [x for x in items if int(x["id"]) < int(before)]
        return items[:self.qint(request, "count", default_count, 1, 500)]

    async def list_orders(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        state = request.query_params.get("state", "PENDING")
        if state not in ("PENDING", "FILLED", "TRIGGERED", "CANCELLED", "ALL"):
            raise V20Error(400, f"Invalid value specified for 'state': {state!r}", "INVALID_VALUE")
        return 200, {"orders": self.filter_list(b.view_orders((state,)), request), "lastTransactionID": b.last_id}

    async def pending_orders(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        return 200, {"orders": b.view_orders(), "lastTransactionID": b.last_id}

    async def get_order(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        o = b.order_by_spec(request.path_params["spec"])
        return 200, {"order": b.order_dict(o), "lastTransactionID": b.last_id}

    async def replace_order(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        self.book(request, user)
        body = await self.read_json(request)
        if not isinstance(body, dict) or "order" not in body:
            raise V20Error(400, "Invalid value specified for 'order': the body must be an object with an 'order'",
                           "INVALID_VALUE")
        return await self.command(request, "replace_order", order=request.path_params["spec"], body=body["order"])

    async def cancel_order(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        self.book(request, user).order_by_spec(request.path_params["spec"])
        return await self.command(request, "cancel_order", order=request.path_params["spec"])

    async def order_ext(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        self.book(request, user).order_by_spec(request.path_params["spec"])
        body = await self.read_json(request)
        return await self.command(request, "order_ext", order=request.path_params["spec"], body=body)

    # ---------------------------------------------------------------- trades
    async def list_trades(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        state = request.query_params.get("state", "OPEN")
        if state not in ("OPEN", "CLOSED", "CLOSE_WHEN_TRADEABLE", "ALL"):
            raise V20Error(400, f"Invalid value specified for 'state': {state!r}", "INVALID_VALUE")
        return 200, {"trades": self.filter_list(b.view_trades(state), request), "lastTransactionID": b.last_id}

    async def open_trades(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        return 200, {"trades": b.view_trades("OPEN"), "lastTransactionID": b.last_id}

    async def get_trade(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        tr = b.trade_by_spec(request.path_params["spec"])
        return 200, {"trade": b.trade_dict(tr), "lastTransactionID": b.last_id}

    async def close_trade(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        self.book(request, user).trade_by_spec(request.path_params["spec"])
        body = await self.read_json(request)
        units = body.get("units", "ALL") if isinstance(body, dict) else "ALL"
        return await self.command(request, "close_trade", trade=request.path_params["spec"], units=units)

    async def trade_ext(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        self.book(request, user).trade_by_spec(request.path_params["spec"])
        body = await self.read_json(request)
        return await self.command(request, "trade_ext", trade=request.path_params["spec"], body=body)

    async def trade_orders(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        self.book(request, user).trade_by_spec(request.path_params["spec"])
        body = await self.read_json(request)
        return await self.command(request, "trade_orders", trade=request.path_params["spec"], body=body)

    # ---------------------------------------------------------------- positions
    async def list_positions(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        return 200, {"positions": b.view_positions(False), "lastTransactionID": b.last_id}

    async def open_positions(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        return 200, {"positions": b.view_positions(True), "lastTransactionID": b.last_id}

    async def get_position(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        sym = self.broker.market.symbol_of(request.path_params["instrument"])
        if sym is None:
            raise V20Error(404, "The Instrument specified does not exist", "INSTRUMENT_UNKNOWN")
        return 200, {"position": b.position_dict(sym), "lastTransactionID": b.last_id}

    async def close_position(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        self.book(request, user)
        body = await self.read_json(request)
        if not isinstance(body, dict):
            raise V20Error(400, "Invalid value specified for the body: expected an object", "INVALID_VALUE")
        return await self.command(request, "close_position", instrument=request.path_params["instrument"], body=body)

    # ---------------------------------------------------------------- transactions
    groups: dict[str, Callable[[str], bool]] = {"ORDER": lambda t: t.endswith("_ORDER") or t.startswith("ORDER_"),
              "FUNDING": lambda t: t == "TRANSFER_FUNDS", "ADMIN": lambda t: t in ("CREATE", "CLOSE", "REOPEN",
                                                                                  "CLIENT_CONFIGURE"),
              "MARGIN_CALL": lambda t: t.startswith("MARGIN_CALL"), "FINANCING": lambda t: t == "DAILY_FINANCING"}

    def type_filter(self, request: Request) -> Callable[[str], bool] | None:
        raw = request.query_params.get("type")
        if not raw:
            return None
        wanted = raw.split(",")
        return lambda t: any(self.groups[w](t) if w in self.groups else t == w for w in wanted)

    def range_of(self, request: Request, last: int) -> tuple[int, int]:
        def one(name: str, default: int) -> int:
            raw = request.query_params.get(name)
            if raw is None:
                return default
            if not _is_id(raw):
                raise V20Error(400, f"Invalid value specified for '{name}': {raw!r} is not a transaction id",
                               "INVALID_VALUE")
            return int(raw)
        lo, hi = one("from", 1), one("to", last)
        if lo < 1 or hi < lo:
            raise V20Error(400, f"Invalid range: from {lo} to {hi}", "INVALID_RANGE")
        if lo > last:
            raise V20Error(416, f"The range starts after the last transaction ({last})", "INVALID_RANGE")
        return lo, hi

    async def transactions(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        last = self.broker.stored[b.info.id]
        t_from, t_to = self.qtime(request, "from"), self.qtime(request, "to")
        size = self.qint(request, "pageSize", 100, 1, 1000)
        flt = self.type_filter(request)
        txns = [x for x in self.broker.stored_txns(b.info.id, 1, last)
                if (t_from is None or parse_time(x["time"]) >= t_from)
                and (t_to is None or parse_time(x["time"]) <= t_to)
                and (flt is None or flt(x["type"]))]
        base = f"{str(request.base_url).rstrip('/')}/v3/accounts/{b.info.id}/transactions/idrange"
        typ = request.query_params.get("type")
        pages = []
        for i in range(0, len(txns), size):
            page = txns[i:i + size]
            url = f"{base}?from={page[0]['id']}&to={page[-1]['id']}"
            pages.append(url + (f"&type={typ}" if typ else ""))
        out: dict[str, Any] = {"from": rfc3339(t_from if t_from is not None else b.info.created_ns),
                               "to": rfc3339(t_to if t_to is not None else self.broker.clock.now), "pageSize": size,
                               "count": len(txns), "pages": pages, "lastTransactionID": str(last)}
        if typ:
            out["type"] = typ.split(",")
        return 200, out

    async def idrange(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        last = self.broker.stored[b.info.id]
        lo, hi = self.range_of(request, last)
        flt = self.type_filter(request)
        txns = [x for x in self.broker.stored_txns(b.info.id, lo, hi) if flt is None or flt(x["type"])]
        return 200, {"transactions": txns, "lastTransactionID": str(last)}

    async def sinceid(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        last = self.broker.stored[b.info.id]
        raw = request.query_params.get("id")
        if raw is None or not _is_id(raw):
            raise V20Error(400, "Invalid value specified for 'id': expected a transaction id", "INVALID_VALUE")
        if int(raw) > last:
            raise V20Error(416, f"id {raw} is beyond the last transaction ({last})", "INVALID_RANGE")
        flt = self.type_filter(request)
        txns = [x for x in self.broker.stored_txns(b.info.id, int(raw) + 1, last) if flt is None or flt(x["type"])]
        return 200, {"transactions": txns, "lastTransactionID": str(last)}

    async def one_txn(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        b = self.book(request, user)
        raw = request.path_params["txn_id"]
        last = self.broker.stored[b.info.id]
        if not _is_id(raw) or not 1 <= int(raw) <= last:
            raise V20Error(404, "The Transaction specified does not exist", "NO_SUCH_TRANSACTION")
        return 200, {"transaction": b.txns[int(raw) - 1], "lastTransactionID": str(last)}

    async def txn_stream(self, request: Request, user: int) -> Response:
        b = self.book(request, user)
        aid = b.info.id
        unix = self.unix_wanted(request)

        async def gen() -> AsyncIterator[bytes]:
            sent = self.broker.stored[aid]
            last_beat = time.monotonic() - HEARTBEAT
            while True:
                book_now = self.broker.books.get(aid, b)
                lines: list[dict[str, Any]] = list(book_now.txns[sent:self.broker.stored[aid]])
                sent += len(lines)
                now = time.monotonic()
                if now - last_beat >= HEARTBEAT:
                    lines.append({"type": "HEARTBEAT", "lastTransactionID": str(sent),
                                  "time": rfc3339(self.broker.clock.now)})
                    last_beat = now
                for x in lines:  # one whole line per chunk: some clients parse each chunk they receive
                    yield _stream_line(x, unix)
                await self.broker.changed(STREAM_POLL)

        return StreamingResponse(gen(), media_type="application/octet-stream",
                                 headers={"RequestID": request.state.rid})

    # ---------------------------------------------------------------- users
    async def user_info(self, request: Request, user: int) -> tuple[int, dict[str, Any]]:
        spec = request.path_params["user_spec"]
        if spec not in ("@", str(user)):
            raise V20Error(403, "Insufficient authorization to perform request.")
        info = {"userID": user, "country": "", "FIFO": False}
        if not request.url.path.endswith("externalInfo"):
            info = {"username": f"user{user}", "userID": user, "country": "", "emailAddress": ""}
        return 200, {"userInfo": info}

    # ---------------------------------------------------------------- admin (the clock)
    async def admin_clock(self, request: Request) -> Response:
        rid = str(next(self.ids))
        tok = self.token_of(request)
        admin = bool(self.admin_token and tok and hmac.compare_digest(tok, self.admin_token))
        if not admin and self.broker.clock.speed == 0:  # a stepped clock (tests, demos): any account token steps it
            try:
                self.broker.user_of(tok)
                admin = True
            except V20Error:
                pass
        if not admin:
            return self.respond(request, 401, {"errorMessage": "Insufficient authorization to perform request."},
                                rid=rid)
        if request.method == "POST":
            try:
                body = await self.read_json(request)
                if not isinstance(body, dict):
                    raise V20Error(400, "expected an object with 'seconds' or 'to'", "INVALID_VALUE")
                if "steps" in body:  # the next N quote times of the market (any instrument)
                    target = self.broker.market.next_quote_time(self.broker.clock.now, int(body["steps"]))
                elif "to" in body:
                    target = parse_time(str(body["to"]))
                elif "seconds" in body:
                    target = self.broker.clock.now + int(float(body["seconds"]) * 1e9)
                else:
                    raise V20Error(400, "expected an object with 'steps', 'seconds' or 'to'", "INVALID_VALUE")
                self.broker.tick(target)
                await self.broker.durable()
            except V20Error as e:
                return self.respond(request, e.status, e.body(), rid=rid)
            except (ValueError, TypeError, OverflowError) as exc:
                return self.respond(request, 400, {"errorMessage": f"Invalid clock request: {exc}"}, rid=rid)
        return self.respond(request, 200, {"time": rfc3339(self.broker.clock.now), "speed": self.broker.clock.speed
                                      if self.broker.clock.speed != float("inf") else "max",
                                      "start": rfc3339(self.broker.market.start),
                                      "end": rfc3339(self.broker.market.end)},
                       rid=rid)

    async def services(self, request: Request) -> Response:
        """The health host's service list async_v20 asks for at start: none to report."""
        return self.respond(request, 200, {"services": []})

    async def not_found(self, request: Request) -> Response:
        return self.respond(request, 404, {"errorMessage": f"No such endpoint: {request.method} {request.url.path}"})

    def app(self) -> Starlette:
        """The Starlette app: the routes, the clock's background task, JSON 404/405."""
        a = "/v3/accounts/{account_id}"
        routes = [
            Route("/v3/accounts", self.endpoint(self.accounts_list), methods=["GET"]),
            Route(a, self.endpoint(self.account), methods=["GET"]),
            Route(a + "/summary", self.endpoint(self.summary), methods=["GET"]),
            Route(a + "/instruments", self.endpoint(self.instruments), methods=["GET"]),
            Route(a + "/configuration", self.endpoint(self.configure), methods=["PATCH"]),
            Route(a + "/changes", self.endpoint(self.changes), methods=["GET"]),
            Route(a + "/pricing", self.endpoint(self.pricing), methods=["GET"]),
            Route(a + "/pricing/stream", self.endpoint(self.pricing_stream), methods=["GET"]),
            Route(a + "/instruments/{instrument}/candles", self.endpoint(self.candles), methods=["GET"]),
            Route("/v3/instruments/{instrument}/candles", self.endpoint(self.candles), methods=["GET"]),
            Route(a + "/orders", self.endpoint(self.create_order), methods=["POST"]),
            Route(a + "/orders", self.endpoint(self.list_orders), methods=["GET"]),
            Route(a + "/pendingOrders", self.endpoint(self.pending_orders), methods=["GET"]),
            Route(a + "/orders/{spec}", self.endpoint(self.get_order), methods=["GET"]),
            Route(a + "/orders/{spec}", self.endpoint(self.replace_order), methods=["PUT"]),
            Route(a + "/orders/{spec}/cancel", self.endpoint(self.cancel_order), methods=["PUT"]),
            Route(a + "/orders/{spec}/clientExtensions", self.endpoint(self.order_ext), methods=["PUT"]),
            Route(a + "/trades", self.endpoint(self.list_trades), methods=["GET"]),
            Route(a + "/openTrades", self.endpoint(self.open_trades), methods=["GET"]),
            Route(a + "/trades/{spec}", self.endpoint(self.get_trade), methods=["GET"]),
            Route(a + "/trades/{spec}/close", self.endpoint(self.close_trade), methods=["PUT"]),
            Route(a + "/trades/{spec}/clientExtensions", self.endpoint(self.trade_ext), methods=["PUT"]),
            Route(a + "/trades/{spec}/orders", self.endpoint(self.trade_orders), methods=["PUT"]),
            Route(a + "/positions", self.endpoint(self.list_positions), methods=["GET"]),
            Route(a + "/openPositions", self.endpoint(self.open_positions), methods=["GET"]),
            Route(a + "/positions/{instrument}", self.endpoint(self.get_position), methods=["GET"]),
            Route(a + "/positions/{instrument}/close", self.endpoint(self.close_position), methods=["PUT"]),
            Route(a + "/transactions", self.endpoint(self.transactions), methods=["GET"]),
            Route(a + "/transactions/idrange", self.endpoint(self.idrange), methods=["GET"]),
            Route(a + "/transactions/sinceid", self.endpoint(self.sinceid), methods=["GET"]),
            Route(a + "/transactions/stream", self.endpoint(self.txn_stream), methods=["GET"]),
            Route(a + "/transactions/{txn_id}", self.endpoint(self.one_txn), methods=["GET"]),
            Route("/v3/users/{user_spec}", self.endpoint(self.user_info), methods=["GET"]),
            Route("/v3/users/{user_spec}/externalInfo", self.endpoint(self.user_info), methods=["GET"]),
            Route("/admin/clock", self.admin_clock, methods=["GET", "POST"]),
            Route("/leverlab/v1/clock", self.admin_clock, methods=["GET"]),
            Route("/leverlab/v1/clock/advance", self.admin_clock, methods=["POST"]),
            Route("/api/v1/services", self.services, methods=["GET"]),
        ]
        routes += extra_routes(self)  # copy trading's API and the web dashboard at /

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            tasks = [asyncio.create_task(self.broker.committer())]
            if self.broker.clock.speed != 0:
                tasks.append(asyncio.create_task(ticker()))
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()

        async def ticker() -> None:
            fast = self.broker.clock.speed == float("inf")
            while True:
                try:
                    self.broker.tick()
                except BacktestError as exc:
                    log.error("the clock stopped: %s", exc)
                    return
                except Exception:
                    log.exception("tick failed")
                await asyncio.sleep(0.001 if fast else self.tick_interval)

        app = Starlette(routes=routes, lifespan=lifespan)

        async def _404(request: Request, exc: Exception) -> Response:
            return await self.not_found(request)

        async def _405(request: Request, exc: Exception) -> Response:
            return self.respond(request, 405, {"errorMessage": f"Method {request.method} is not allowed on "
                                                          f"{request.url.path}"})

        app.add_exception_handler(404, _404)
        app.add_exception_handler(405, _405)
        _ = money  # re-exported helpers stay importable from here
        return app
