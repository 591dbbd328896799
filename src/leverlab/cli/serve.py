"""``leverlab serve`` (the demo broker: OANDA's v20 API on leverlab's engine) and ``leverlab accounts``.

Register on an app: ``app.command("serve")(serve_cmd)`` and ``app.add_typer(accounts_app, name="accounts")``.
Both need the ``server`` extra. Bad input (an unknown broker, a deposit that is not positive, data that
do not load, a database served with other data) exits with code 2 and a message naming the cause.
"""

from __future__ import annotations

import math
import os
from typing import Optional

import typer

from ._common import client_option, console, emit_json, fail

DEFAULT_DATA = "sample:eurusd-h1,sample:xauusd-h1"

accounts_app = typer.Typer(help="Demo broker accounts: open one under any broker profile.", no_args_is_help=True)


def _speed(text: str) -> float:
    if text.lower() in ("max", "inf"):
        return math.inf
    try:
        v = float(text)
    except ValueError:
        fail(f"--speed {text!r}: expected a number (1 = real time, 60, 0 = stepped by POST /admin/clock) or max")
    if not (math.isfinite(v) and v >= 0):
        fail(f"--speed {text!r}: expected a finite number >= 0, or max")
    return v


def serve_cmd(
    db: Optional[str] = typer.Option(None, "--db", help="database URL: sqlite:///file, a file path or "
                                                       "postgresql://user@host/db (default: SQLite in the user "
                                                       "data folder)"),
    data: str = typer.Option(DEFAULT_DATA, "--data", help="market data: comma-separated sources (files, store "
                                                          "symbols, sample:eurusd-h1)"),
    speed: str = typer.Option("60", "--speed", help="market seconds per real second; max = as fast as it goes; "
                                                    "0 = the clock moves only by POST /admin/clock"),
    start: Optional[str] = typer.Option(None, "--start", help="market time to start a new database's clock at "
                                                              "(ISO; default: the data's start)"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8080, "--port", help="port to listen on"),
) -> None:
    """Run the demo broker: OANDA's v20 REST API and streams, every account on leverlab's engine."""
    try:
        import uvicorn

        from ..server import build
        from ..times import to_ns
    except ImportError as exc:
        fail(f"the demo broker needs the server extra (pip install 'leverlab[server]'): {exc}")
    sp = _speed(speed)
    try:
        t0 = to_ns(start) if start else None
        app = build(db, data, sp, t0, admin_token=os.environ.get("LEVERLAB_ADMIN_TOKEN") or None)
    except typer.Exit:
        raise
    except Exception as exc:  # bad input: data that do not load, a database served with other data
        fail(f"{type(exc).__name__}: {exc}")
    console.print(f"leverlab demo broker on http://{host}:{port}/v3 (stream on the same port), speed {speed}")
    # open streams must not hold a stop for long: they end after 2 s
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)


@accounts_app.command("create")
def accounts_create(
    broker: str = typer.Option(..., "--broker", help="broker id, e.g. exness"),
    account_type: str = typer.Option(..., "--account-type", help="account type id, e.g. standard"),
    country: str = typer.Option(..., "--country", help="ISO-3166 country of residence"),
    client: str = typer.Option("retail", "--client", help="retail or pro"),
    deposit: float = typer.Option(10_000.0, "--deposit", help="deposit in account units"),
    currency: str = typer.Option("USD", "--currency", help="account currency"),
    leverage: Optional[str] = typer.Option(None, "--leverage", help="selected leverage (capped by the policy)"),
    alias: str = typer.Option("", "--alias", help="a name for the account"),
    token: Optional[str] = typer.Option(None, "--token", envvar="LEVERLAB_TOKEN",
                                        help="an existing token: the account joins its user (default: a new user "
                                             "and token)"),
    db: Optional[str] = typer.Option(None, "--db", help="database URL (as for serve)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """Open a demo account under a broker profile; print its id and the token that reaches it."""
    client_option(client)
    try:
        from ..server import db as dbm
        from ..server.service import create_account
    except ImportError as exc:
        fail(f"the demo broker needs the server extra (pip install 'leverlab[server]'): {exc}")
    try:
        lev = ""
        if leverage:
            from ..brokers.schema import parse_leverage

            v = parse_leverage(leverage)
            lev = "" if v is None or math.isinf(v) else repr(float(v))
        eng = dbm.connect(db)
        acc, tok = create_account(eng, broker=broker, account_type=account_type, country=country, client=client,
                                  deposit=deposit, currency=currency, alias=alias, token=token, leverage=lev)
    except typer.Exit:
        raise
    except Exception as exc:
        fail(str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}")
    if as_json:
        emit_json({"ok": True, "account_id": acc, "token": tok})
        return
    console.print(f"account {acc}")
    console.print(f"token   {tok}")
