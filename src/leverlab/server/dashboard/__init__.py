"""The demo broker's web dashboard at ``/``: log in with an account token, watch and trade each account.

Server-rendered pages (Jinja2) and one small script (``static/app.js``) with the uPlot charting library
(vendored, see ``static/VENDORED.md``); nothing is loaded from elsewhere. Every figure comes from the
same ``Broker`` the v20 API serves (the account's ``AccountBook`` on the engine); orders go through
``Broker.execute`` and are answered once committed, as a v20 request is.

The token is kept in an HttpOnly, SameSite=Strict cookie; the JSON actions also need the
``X-Leverlab-Dashboard`` header, which another site's page cannot send without a CORS preflight.
A wrong token gets the login page again with the reason, and no account data.
"""

from __future__ import annotations

import asyncio
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..copying import CopyError, rule_from
from ..service import create_account
from ..v20 import V20Error, rfc3339

HERE = Path(__file__).resolve().parent
COOKIE = "leverlab_token"
HEADER = "x-leverlab-dashboard"
#: Seconds between two updates of the account stream.
STREAM_EVERY = 0.5
#: Transactions shown in the log.
LOG_ROWS = 60

env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))


@lru_cache(maxsize=1)
def broker_choices() -> list[tuple[str, list[str]]]:
    """Every bundled broker profile and its account types, for the form that opens an account."""
    from ...brokers import broker_ids, load_broker

    return [(b, [a.id for a in load_broker(b).account_types]) for b in broker_ids()]


def account_state(broker: Any, book: Any) -> dict[str, Any]:
    """All the dashboard shows of one account, as JSON: summary with the broker's margin-call and
    stop-out levels, open trades, pending orders, positions, the newest committed transactions, the
    prices now and the copy-trading state."""
    s = book.summary()
    v = book.engine.view()
    terms = book.terms
    lvl = v.margin_level if v.margin > 0 and math.isfinite(v.margin_level) else None
    lev = terms.selected_leverage
    account = {**s, "broker": book.info.broker, "accountType": book.info.account_type,
               "country": book.info.country, "client": book.info.client,
               "leverage": None if math.isinf(lev) else lev, "marginLevel": lvl,
               "marginCallLevel": terms.margin_call_level, "stopOutLevel": terms.stop_out_level,
               "equity": s["NAV"], "freeMargin": f"{v.free_margin:.2f}"}
    stored = broker.stored.get(book.info.id, 0)
    txns = list(reversed(broker.stored_txns(book.info.id, max(1, stored - LOG_ROWS + 1), stored)))
    t = broker.clock.now
    prices = []
    for name in broker.market.v20_names:
        sym = broker.market.symbol_of(name)
        q = broker.market.quote_at(sym, t)
        if q is None:
            continue
        prices.append({"instrument": name, "bid": book.px(sym, q[1]), "ask": book.px(sym, q[2]), "time": rfc3339(q[0]),
                       "tradeable": bool(broker.market.tradeable(sym, t))})
    copier = broker.copier
    return {"account": account, "trades": book.view_trades("OPEN"), "orders": book.view_orders(),
            "positions": book.view_positions(True), "transactions": txns, "prices": prices,
            "time": rfc3339(t), "t": t / 1e9, "copy": copier.state(book.info.id) if copier is not None else None}


class Dashboard:
    """The dashboard's handlers over a ``V20App`` (its broker, its command path)."""

    def __init__(self, v20: Any) -> None:
        self.v20 = v20
        self.broker = v20.broker

    # ---------------------------------------------------------------- helpers
    def page(self, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**ctx), status_code=status)

    def user(self, request: Request) -> int | None:
        try:
            return int(self.broker.user_of(request.cookies.get(COOKIE)))
        except V20Error:
            return None

    async def form(self, request: Request) -> dict[str, str]:
        raw = await request.body()
        if len(raw) > 16 * 1024:
            return {}
        return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}

    def login_page(self, request: Request, error: str = "", status: int = 200, **ctx: Any) -> HTMLResponse:
        return self.page("login.html", status, error=error, brokers=broker_choices(),
                         logged_in=self.user(request) is not None, **ctx)

    @staticmethod
    def with_cookie(resp: Response, token: str) -> Response:
        resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=30 * 86400, path="/")
        return resp

    # ---------------------------------------------------------------- pages
    async def home(self, request: Request) -> Response:
        user = self.user(request)
        if user is None:
            return self.login_page(request)
        books = self.broker.accounts_of(user)
        await self.broker.opened_durable()  # an account opened by this look-up: its first transactions in
        if len(books) == 1 and "list" not in request.query_params:
            return RedirectResponse(f"/accounts/{books[0].info.id}", 303)
        rows = [{"id": b.info.id, "alias": b.alias, "broker": b.info.broker, "type": b.info.account_type,
                 "currency": b.info.currency, **{k: b.summary()[k] for k in ("balance", "NAV", "marginUsed")}}
                for b in books]
        return self.page("accounts.html", accounts=rows, brokers=broker_choices(), time=rfc3339(self.broker.clock.now))

    async def login(self, request: Request) -> Response:
        token = (await self.form(request)).get("token", "").strip()
        try:
            self.broker.user_of(token)
        except V20Error:
            why = "Enter your account token." if not token else "That token is not known on this server."
            return self.login_page(request, why, 401)
        return self.with_cookie(RedirectResponse("/", 303), token)

    async def logout(self, request: Request) -> Response:
        resp = RedirectResponse("/", 303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    async def open_account(self, request: Request) -> Response:
        f = await self.form(request)
        user = self.user(request)
        token = request.cookies.get(COOKIE) if user is not None else None
        try:
            deposit = float(f.get("deposit", ""))
        except ValueError:
            return self.login_page(request, f"deposit: expected an amount, got {f.get('deposit', '')!r}", 400, form=f)
        try:
            aid, tok = create_account(self.broker.db, broker=f.get("broker", ""),
                                      account_type=f.get("account_type", ""),
                                      country=f.get("country", "SC") or "SC", client=f.get("client", "retail"),
                                      deposit=deposit, currency=f.get("currency", "USD") or "USD",
                                      alias=f.get("alias", ""), token=token, leverage=f.get("leverage", "").strip(),
                                      market_ns=self.broker.clock.now)
        except ValueError as exc:
            return self.login_page(request, str(exc), 400, form=f)
        self.broker.refresh()
        await self.broker.opened_durable()
        resp = self.page("opened.html", account_id=aid, token=tok if token is None else None)
        return self.with_cookie(resp, tok)

    async def account(self, request: Request) -> Response:
        user = self.user(request)
        if user is None:
            return self.login_page(request, "Log in to see this account.", 401)
        try:
            book = self.broker.book_for(user, request.path_params["account_id"])
        except V20Error as e:
            return self.page("error.html", e.status, message=e.message)
        finally:
            await self.broker.opened_durable()
        state = account_state(self.broker, book)
        others = [b.info.id for b in self.broker.accounts_of(user) if b.info.id != book.info.id]
        return self.page("account.html", a=state["account"], others=others,
                         state_json=json.dumps(state).replace("<", "\\u003c"),
                         instruments=self.broker.market.v20_names)

    # ---------------------------------------------------------------- JSON and the stream
    def authorised(self, request: Request, action: bool = False) -> Any:
        """The account's book for the cookie's user; V20Error 401/403/404 otherwise."""
        if action and request.headers.get(HEADER) != "1":
            raise V20Error(403, f"dashboard actions need the {HEADER} header", "FORBIDDEN")
        user = self.broker.user_of(request.cookies.get(COOKIE))
        return self.broker.book_for(user, request.path_params["account_id"])

    def api(self, fn: Any, action: bool = True) -> Any:
        async def run(request: Request) -> Response:
            try:
                try:
                    book = self.authorised(request, action)
                finally:
                    await self.broker.opened_durable()
                status, body = await fn(request, book)
            except V20Error as e:
                return JSONResponse(e.body(), e.status)
            return JSONResponse(body, status)
        return run

    async def state(self, request: Request, book: Any) -> tuple[int, dict[str, Any]]:
        return 200, account_state(self.broker, book)

    async def stream(self, request: Request) -> Response:
        try:
            book = self.authorised(request)
        except V20Error as e:
            return JSONResponse(e.body(), e.status)
        aid = book.info.id

        async def events() -> Any:
            while True:
                b = self.broker.books.get(aid)
                if b is None:
                    return
                yield f"data: {json.dumps(account_state(self.broker, b), separators=(',', ':'))}\n\n".encode()
                await asyncio.sleep(STREAM_EVERY)

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    async def _command(self, book: Any, cmd: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return await self.broker.apply(book.info.id, {**cmd, "requestID": f"dashboard-{next(self.v20.ids)}"})

    async def body(self, request: Request) -> dict[str, Any]:
        body = await self.v20.read_json(request)
        if not isinstance(body, dict):
            raise V20Error(400, "expected a JSON object", "INVALID_VALUE")
        return body

    async def order(self, request: Request, book: Any) -> tuple[int, dict[str, Any]]:
        b = await self.body(request)
        order: dict[str, Any] = {"type": b.get("type", "MARKET"), "instrument": b.get("instrument"),
                                 "units": str(b.get("units", "")).strip()}
        if order["type"] == "MARKET":
            order["timeInForce"] = "FOK"
        else:
            order["price"] = str(b.get("price", "")).strip()
            order["timeInForce"] = "GTC"
        for key, name in (("stopLoss", "stopLossOnFill"), ("takeProfit", "takeProfitOnFill")):
            if str(b.get(key, "") or "").strip():
                order[name] = {"price": str(b[key]).strip()}
        return await self._command(book, {"kind": "order", "order": order})

    async def close_trade(self, request: Request, book: Any) -> tuple[int, dict[str, Any]]:
        return await self._command(book, {"kind": "close_trade", "trade": request.path_params["trade_id"],
                                          "units": "ALL"})

    async def cancel_order(self, request: Request, book: Any) -> tuple[int, dict[str, Any]]:
        return await self._command(book, {"kind": "cancel_order", "order": request.path_params["order_id"]})

    async def copy(self, request: Request, book: Any) -> tuple[int, dict[str, Any]]:
        copier = self.broker.copier
        if request.method == "DELETE":
            copier.unsubscribe(book.info.id)
            return 200, copier.state(book.info.id)
        body = await self.body(request)
        try:
            copier.subscribe(book.info.id, str(body.get("master", "")).strip(), rule_from(body))
        except CopyError as exc:
            raise V20Error(400, str(exc), "INVALID_COPY") from None
        return 200, copier.state(book.info.id)

    def routes(self) -> list[BaseRoute]:
        a = "/dashboard/api/accounts/{account_id}"
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/open", self.open_account, methods=["POST"]),
            Route("/accounts/{account_id}", self.account, methods=["GET"]),
            Route(a, self.api(self.state, action=False), methods=["GET"]),
            Route(a + "/stream", self.stream, methods=["GET"]),
            Route(a + "/orders", self.api(self.order), methods=["POST"]),
            Route(a + "/trades/{trade_id}/close", self.api(self.close_trade), methods=["POST"]),
            Route(a + "/orders/{order_id}/cancel", self.api(self.cancel_order), methods=["POST"]),
            Route(a + "/copy", self.api(self.copy), methods=["PUT", "DELETE"]),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]


def routes(v20: Any) -> list[BaseRoute]:
    """The dashboard's routes for a ``V20App`` (mounted beside ``/v3``)."""
    return Dashboard(v20).routes()


__all__ = ["account_state", "broker_choices", "routes"]
