"""The broker: every account's book in memory, the database as the record, the market clock.

Each state-changing request is applied to its account's book and committed in one database
transaction (the command, with the market time it applied at, and the transactions it produced)
before the answer leaves. The background tick advances every account to the clock and commits the
transactions that produced (SL/TP fills, margin call, stop-out, financing) with the clock. On start
each book is rebuilt by replaying its commands against the same market, and the transactions the
replay produces must equal the stored ones; what the replay produces beyond them (a tick the kill
interrupted) is stored then.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from ..brokers import resolve_terms
from ..engine.errors import BacktestError
from . import db
from .book import AccountBook, AccountInfo
from .market import Clock, Market
from .v20 import V20Error

log = logging.getLogger("leverlab.server")


class ReplayMismatch(RuntimeError):
    """A stored account's commands, replayed, gave other transactions than those stored."""


def hash_token(token: str) -> str:
    """The stored form of a token (SHA-256 hex): the database never holds a usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A random token in OANDA's shape (32 hex digits, a dash, 32 hex digits; 256 bits)."""
    return f"{secrets.token_hex(16)}-{secrets.token_hex(16)}"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)


def create_account(eng: Engine, *, broker: str, account_type: str, country: str, client: str, deposit: float,
                   currency: str = "USD", alias: str = "", token: str | None = None, leverage: str = "",
                   market_ns: int | None = None) -> tuple[str, str]:
    """Open an account in the database: (account id, token). ``token``: an existing token whose user gets
    the account (else a new user and token). ValueError naming the problem for terms that do not resolve,
    a deposit that is not a positive amount, or an unknown token."""
    if not (deposit > 0 and deposit <= 1e12):
        raise ValueError(f"--deposit {deposit!r}: expected a positive amount of at most 1e12")
    try:
        resolve_terms(broker, account_type, country, client, currency=currency,
                      selected_leverage=float(leverage) if leverage else None)
    except (LookupError, ValueError) as exc:
        raise ValueError(str(exc.args[0]) if exc.args else str(exc)) from None
    with eng.begin() as conn:
        if token is not None:
            uid = conn.execute(select(db.users.c.id).where(db.users.c.token_hash == hash_token(token))).scalar()
            if uid is None:
                raise ValueError("--token: no user has this token")
        else:
            token = new_token()
            uid = (conn.execute(select(func.max(db.users.c.id))).scalar() or 1000000) + 1
            conn.execute(insert(db.users).values(id=uid, token_hash=hash_token(token),
                                                 created=datetime.now(timezone.utc).isoformat()))
        n = conn.execute(select(func.count()).select_from(db.accounts).where(db.accounts.c.user_id == uid)).scalar()
        acc_id = f"101-001-{uid:07d}-{int(n or 0) + 1:03d}"
        if market_ns is None:
            clock = conn.execute(select(db.settings.c.value).where(db.settings.c.key == "clock")).scalar()
            market_ns = int(clock) if clock is not None else 0
        conn.execute(insert(db.accounts).values(
            id=acc_id, user_id=uid, alias=alias or f"{broker} {account_type}", broker=broker,
            account_type=account_type, country=country.upper(), client=client, currency=currency.upper(),
            deposit=str(Decimal(repr(float(deposit)))), leverage=leverage, created_ns=int(market_ns)))
    return acc_id, token


class Broker:
    """All accounts of one database on one market."""

    def __init__(self, eng: Engine, market: Market, data_source: str, speed: float, start: int | None = None) -> None:
        self.db = eng
        self.market = market
        self.books: dict[str, AccountBook] = {}
        self.owner: dict[str, int] = {}
        self.users: dict[str, int] = {}  # token hash -> user id
        self.seq: dict[str, int] = {}  # commands stored per account
        self.stored: dict[str, int] = {}  # transactions stored per account
        self.ticks = 0
        self.broken: dict[str, str] = {}  # accounts that could not be opened, and why
        with eng.begin() as conn:
            rows = dict(conn.execute(select(db.settings.c.key, db.settings.c.value)).all())
            if "data" in rows and rows["data"] != data_source:
                raise ValueError(f"this database was served with --data {rows['data']}, not {data_source}: its "
                                 f"accounts replay on the data they traded; use that source or another --db")
            if "data" not in rows:
                conn.execute(insert(db.settings).values(key="data", value=data_source))
            clock = int(rows["clock"]) if "clock" in rows else int(start if start is not None else market.start)
            if "clock" not in rows:
                conn.execute(insert(db.settings).values(key="clock", value=str(clock)))
        self.clock = Clock(max(clock, market.start), market.end, speed)
        self.refresh()

    # ---- loading
    def refresh(self) -> None:
        """Load the users and accounts not in memory yet (created by ``leverlab accounts create``)."""
        with self.db.connect() as conn:
            for uid, th in conn.execute(select(db.users.c.id, db.users.c.token_hash)):
                self.users[th] = uid
            rows = conn.execute(select(db.accounts).where(db.accounts.c.id.notin_(list(self.books) or [""]))).all()
        for r in rows:
            if r.id in self.broken:
                continue
            created = int(r.created_ns)
            if not created:  # made before any server ran: it opens at the clock, for good
                created = self.clock.now
                with self.db.begin() as conn:
                    conn.execute(update(db.accounts).where(db.accounts.c.id == r.id).values(created_ns=created))
            info = AccountInfo(r.id, r.user_id, r.alias, r.broker, r.account_type, r.country, r.client, r.currency,
                               r.deposit, created, r.leverage)
            try:
                self.rebuild(info)
            except (BacktestError, LookupError, ValueError) as exc:
                self.broken[r.id] = str(exc)
                log.error("account %s cannot be opened: %s", r.id, exc)

    def rebuild(self, info: AccountInfo) -> AccountBook:
        """The account's book from its stored commands, checked against its stored transactions."""
        book = AccountBook(info, self.market)
        with self.db.connect() as conn:
            cmds = conn.execute(select(db.commands.c.market_ns, db.commands.c.body)
                                .where(db.commands.c.account_id == info.id).order_by(db.commands.c.seq)).all()
            stored = conn.execute(select(db.transactions.c.body).where(db.transactions.c.account_id == info.id)
                                  .order_by(db.transactions.c.id)).scalars().all()
        for t, body in cmds:
            try:
                book.apply(json.loads(body), int(t))
            except V20Error:
                pass
        book.advance(self.clock.now)
        for i, body in enumerate(stored):
            if i >= len(book.txns) or _dumps(book.txns[i]) != _dumps(json.loads(body)):
                got = _dumps(book.txns[i]) if i < len(book.txns) else "nothing"
                raise ReplayMismatch(f"account {info.id}: transaction {i + 1} replays as {got[:300]}, "
                                     f"stored {body[:300]}")
        self.books[info.id] = book
        self.owner[info.id] = info.user_id
        self.seq[info.id] = len(cmds)
        self.stored[info.id] = len(stored)
        if not stored:  # a new account: CREATE and TRANSFER_FUNDS
            self._commit([info.id])
        elif len(book.txns) > len(stored):
            self._commit([info.id])
        return book

    # ---- auth
    def user_of(self, token: str | None) -> int:
        """The user a bearer token belongs to; V20Error 401 for none or an unknown one."""
        if not token:
            raise V20Error(401, "Insufficient authorization to perform request.")
        h = hash_token(token)
        uid = self.users.get(h)
        if uid is None:
            self.refresh()
            uid = self.users.get(h)
        if uid is None:
            raise V20Error(401, "Insufficient authorization to perform request.")
        return uid

    def book_for(self, user: int, account_id: str) -> AccountBook:
        """The account's book if ``user`` owns it: 403 for another user's account, 404 for none."""
        if account_id not in self.owner:
            self.refresh()
        owner = self.owner.get(account_id)
        if owner is None:
            if account_id in self.broken:
                raise V20Error(404, f"The Account specified cannot be opened: {self.broken[account_id]}",
                               "ACCOUNT_NOT_TRADEABLE" if False else "NO_SUCH_ACCOUNT")
            raise V20Error(404, "The Account specified does not exist", "NO_SUCH_ACCOUNT")
        if owner != user:
            raise V20Error(403, "Insufficient authorization to perform request.")
        return self.books[account_id]

    def accounts_of(self, user: int) -> list[AccountBook]:
        self.refresh()
        return [b for aid, b in sorted(self.books.items()) if self.owner[aid] == user]

    # ---- changes
    def execute(self, account_id: str, cmd: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Apply a command at the clock's time and commit it before returning (status, body); V20Error for a
        refused one (committed too when it wrote a reject transaction)."""
        book = self.books[account_id]
        t = self.clock.now
        n0 = len(book.txns)
        try:
            status, body = book.apply(cmd, t)
        except V20Error:
            if len(book.txns) > n0:
                self._commit([account_id], (account_id, t, cmd))
            raise
        except Exception:
            self._reload(account_id)  # the book may be half-changed: back to what is stored
            raise
        if len(book.txns) > n0:
            try:
                self._commit([account_id], (account_id, t, cmd))
            except Exception:
                self._reload(account_id)
                raise
        return status, body

    def _reload(self, account_id: str) -> None:
        info = self.books[account_id].info
        del self.books[account_id]
        self.rebuild(info)

    def _commit(self, ids: Iterable[str], command: tuple[str, int, dict[str, Any]] | None = None,
                clock: int | None = None) -> None:
        """Store the new transactions of ``ids`` (and a command, and the clock) in one database transaction."""
        rows = []
        for aid in ids:
            book = self.books[aid]
            for x in book.txns[self.stored[aid]:]:
                rows.append({"account_id": aid, "id": int(x["id"]), "type": x["type"], "body": _dumps(x)})
        with self.db.begin() as conn:
            if command is not None:
                aid, t, cmd = command
                conn.execute(insert(db.commands).values(account_id=aid, seq=self.seq[aid] + 1, market_ns=t,
                                                        body=_dumps(cmd)))
            if rows:
                conn.execute(insert(db.transactions), rows)
            if clock is not None:
                conn.execute(update(db.settings).where(db.settings.c.key == "clock").values(value=str(clock)))
        if command is not None:
            self.seq[command[0]] += 1
        for aid in ids:
            self.stored[aid] = len(self.books[aid].txns)

    def tick(self, to: int | None = None) -> int:
        """Advance the clock (to its target, or to ``to``) and every account with it; commit. The new time."""
        t = self.clock.target() if to is None else max(self.clock.now, min(int(to), self.market.end))
        if t == self.clock.now and to is None:
            return t
        changed = []
        for aid, book in self.books.items():
            book.advance(t)
            if len(book.txns) > self.stored[aid]:
                changed.append(aid)
        self._commit(changed, clock=t)
        self.clock.now = t
        self.ticks += 1
        return t

    # ---- reading the record
    def stored_txns(self, account_id: str, lo: int, hi: int) -> list[dict[str, Any]]:
        """Committed transactions ``lo..hi`` (ids, inclusive) of an account."""
        book = self.books[account_id]
        hi = min(hi, self.stored[account_id])
        return [book.txns[i - 1] for i in range(max(lo, 1), hi + 1)]
