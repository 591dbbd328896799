"""The server's record: users (token hashes), accounts, the commands applied to each account (with the
market time they applied at) and the v20 transactions they produced; plus the market clock.

SQLAlchemy 2 Core tables; the schema is made and upgraded by the Alembic migrations shipped in
``leverlab/server/migrations`` (run on every start). SQLite runs in WAL mode; a ``postgresql://`` URL
uses psycopg 3.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created", String(40), nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("alias", String(128), nullable=False),
    Column("broker", String(64), nullable=False),
    Column("account_type", String(64), nullable=False),
    Column("country", String(8), nullable=False),
    Column("client", String(16), nullable=False),
    Column("currency", String(8), nullable=False),
    Column("deposit", String(32), nullable=False),
    Column("leverage", String(16), nullable=False, server_default=""),
    Column("created_ns", BigInteger, nullable=False),
)

commands = Table(
    "commands", metadata,
    Column("account_id", String(32), ForeignKey("accounts.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("market_ns", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
)

transactions = Table(
    "transactions", metadata,
    Column("account_id", String(32), ForeignKey("accounts.id"), primary_key=True),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("type", String(48), nullable=False),
    Column("body", Text, nullable=False),
)

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

Index("ix_transactions_type", transactions.c.account_id, transactions.c.type)


def default_url() -> str:
    """SQLite in the user data directory (``$LEVERLAB_DATA_DIR`` if set)."""
    root = os.environ.get("LEVERLAB_DATA_DIR")
    if not root:
        from platformdirs import user_data_dir

        root = user_data_dir("leverlab")
    Path(root).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(root) / 'demo-broker.sqlite'}"


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` select psycopg 3; a bare path is a SQLite file."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def connect(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the user's SQLite file), schema migrated to the newest revision."""
    url = normalise_url(url or default_url())
    if url.startswith("sqlite"):
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn: Any, _rec: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives a killed process (the OS has the write); FULL would
            # add an fsync per commit, for power loss
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    else:
        eng = create_engine(url, pool_size=5, max_overflow=5)
    migrate(eng)
    return eng


def migrate(eng: Engine) -> None:
    """Upgrade the database to the newest Alembic revision shipped with the package."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
