"""The demo broker: a paper-trading server that speaks OANDA's v20 REST API on leverlab's engine.

Every account is a ``leverlab.engine.Account`` under its broker profile's resolved terms; the
server replays market data on a clock and keeps its record in a database (SQLite by default,
PostgreSQL by URL). Start it with ``leverlab serve``; open accounts with ``leverlab accounts create``.
Needs the ``server`` extra (``pip install leverlab[server]``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["build", "load_market"]


def load_market(sources: str) -> Any:
    """The market of a comma-separated list of data sources (``sample:eurusd-h1,sample:xauusd-h1``)."""
    from ..data import load
    from .market import Market

    frames = {}
    for src in [s.strip() for s in sources.split(",") if s.strip()]:
        f = load(src)
        frames[f.symbol.upper()] = f
    return Market(frames)


def build(db_url: str | None, data: str, speed: float, start: int | None = None, admin_token: str | None = None,
          tick_interval: float = 0.25) -> Any:
    """The ASGI app of a demo broker on database ``db_url`` (None: the user's SQLite file) and ``data``."""
    from . import db
    from .app import create_app
    from .book import warm_up
    from .service import Broker

    eng = db.connect(db_url)
    market = load_market(data)
    warm_up(market)
    broker = Broker(eng, market, data, speed, start)
    return create_app(broker, admin_token=admin_token, tick_interval=tick_interval)
