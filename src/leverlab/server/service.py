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

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

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
    for attempt in range(50):  # concurrent creators race for the next ids: the loser tries again
        try:
            return _insert_account(eng, broker=broker, account_type=account_type, country=country, client=client,
                                   deposit=deposit, currency=currency, alias=alias, token=token, leverage=leverage,
                                   market_ns=market_ns)
        except IntegrityError:
            if attempt == 49:
                raise
            time.sleep(0.01 * (1 + attempt % 5))
    raise AssertionError("unreachable")


def _insert_account(eng: Engine, *, broker: str, account_type: str, country: str, client: str, deposit: float,
                    currency: str, alias: str, token: str | None, leverage: str,
                    market_ns: int | None) -> tuple[str, str]:
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
        self.seq: dict[str, int] = {}  # commands applied per account (stored, or queued to be)
        self.stored: dict[str, int] = {}  # transactions committed per account (what readers see)
        self.queued: dict[str, int] = {}  # transactions taken into a batch per account
        self.pending: list[tuple[str, int, int, dict[str, Any]]] = []  # commands not yet in a batch
        self.dirty: set[str] = set()  # accounts with transactions not yet in a batch
        self.clock_dirty: int | None = None
        self.limit: dict[str, int] = {}  # accounts a failed request left half-changed: the good prefix
        self.reloading: set[str] = set()
        self.gen = 0  # changes queued so far
        self.committed_gen = 0  # changes committed so far
        self.opened_gen = 0  # the change that queued the newest opened account's first transactions
        self.waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.wake: asyncio.Event | None = None  # set by the committer task while it runs
        self._changed = asyncio.Event()  # set (and replaced) at each tick and commit: streams wake on it
        self.ticks = 0
        self.broken: dict[str, str] = {}  # accounts that could not be opened, and why
        self.copier: Any = None  # copy trading (server.copying.Copier): told of each change to mirror it
        self.extra: list[Callable[[Connection], None]] = []  # more writes for the next batch's transaction
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
        self.flush()

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
            except (BacktestError, LookupError, ValueError, ReplayMismatch) as exc:
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
        self.stored[info.id] = self.queued[info.id] = len(stored)
        if len(book.txns) > len(stored):  # a new account's CREATE and TRANSFER_FUNDS, or an interrupted tick's
            self.dirty.add(info.id)
            self._bump()
            self.opened_gen = self.gen
        return book

    # ---- auth
    def user_of(self, token: str | None) -> int:
        """The user a bearer token belongs to; V20Error 401 for none or an unknown one."""
        if not token:
            raise V20Error(401, "Insufficient authorization to perform request.")
        h = hash_token(token)
        uid = self.users.get(h)
        if uid is None:  # a user made since start: one indexed look-up, then their accounts
            with self.db.connect() as conn:
                found = conn.execute(select(db.users.c.id).where(db.users.c.token_hash == h)).scalar()
            if found is not None:
                self.refresh()
                uid = self.users.get(h)
        if uid is None:
            raise V20Error(401, "Insufficient authorization to perform request.")
        return uid

    def book_for(self, user: int, account_id: str) -> AccountBook:
        """The account's book if ``user`` owns it: 403 for another user's account, 404 for none."""
        if account_id not in self.owner and account_id not in self.broken:
            with self.db.connect() as conn:  # an account made since start: one indexed look-up first
                found = conn.execute(select(db.accounts.c.id).where(db.accounts.c.id == account_id)).scalar()
            if found is not None:
                self.refresh()
        owner = self.owner.get(account_id)
        if owner is None:
            if account_id in self.broken:
                raise V20Error(404, f"The Account specified cannot be opened: {self.broken[account_id]}",
                               "NO_SUCH_ACCOUNT")
            raise V20Error(404, "The Account specified does not exist", "NO_SUCH_ACCOUNT")
        if owner != user:
            raise V20Error(403, "Insufficient authorization to perform request.")
        return self.books[account_id]

    def accounts_of(self, user: int) -> list[AccountBook]:
        self.refresh()
        return [b for aid, b in sorted(self.books.items()) if self.owner[aid] == user]

    # ---- changes
    def execute(self, account_id: str, cmd: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Apply a command at the clock's time and queue it and its transactions for the next commit:
        (status, body); V20Error for a refused one (queued too when it wrote a reject transaction). The
        caller answers only after ``durable()`` (or ``flush()``) says the queue up to here is committed."""
        if account_id in self.reloading:
            raise V20Error(503, "The account is being restored from its record; retry in a moment",
                           "ACCOUNT_LOCKED")
        book = self.books[account_id]
        t = self.clock.now
        n0 = len(book.txns)
        eq0 = book.engine.view().equity if self.copier is not None else 0.0
        try:
            status, body = book.apply(cmd, t)
        except V20Error:
            if len(book.txns) > n0:
                self._queue(account_id, t, cmd)
            raise
        except Exception:
            # the book may be half-changed: keep what came before, restore it from the record once that is in
            self.limit[account_id] = n0
            self.reloading.add(account_id)
            raise
        if len(book.txns) > n0:
            self._queue(account_id, t, cmd)
            if self.copier is not None:
                self.copier.changed([(account_id, n0, eq0)], t)
        return status, body

    def _queue(self, aid: str, t: int, cmd: dict[str, Any]) -> None:
        self.seq[aid] += 1
        self.pending.append((aid, self.seq[aid], t, cmd))
        self.dirty.add(aid)
        self._bump()

    def _bump(self) -> None:
        self.gen += 1
        if self.wake is not None:
            self.wake.set()

    def snapshot(self) -> dict[str, Any]:
        """What is queued and not yet being written: commands, transaction rows, the clock (taken on the
        thread that changes the books, so the books may change again while it is written)."""
        rows = []
        marks = {}
        for aid in sorted(self.dirty):
            book = self.books.get(aid)
            if book is None:
                continue
            hi = min(len(book.txns), self.limit.get(aid, len(book.txns)))
            for x in book.txns[self.queued[aid]:hi]:
                rows.append({"account_id": aid, "id": int(x["id"]), "type": x["type"], "body": _dumps(x)})
            marks[aid] = hi
            self.queued[aid] = hi
        cmds = [{"account_id": a, "seq": q, "market_ns": t, "body": _dumps(c)} for a, q, t, c in self.pending]
        batch = {"commands": cmds, "rows": rows, "marks": marks, "clock": self.clock_dirty, "gen": self.gen,
                 "extra": self.extra}
        self.extra = []
        self.pending = []
        self.dirty = set()
        self.clock_dirty = None
        return batch

    def write(self, batch: dict[str, Any]) -> None:
        """Commit one batch in one database transaction (may run on a worker thread)."""
        if not (batch["commands"] or batch["rows"] or batch["clock"] is not None or batch.get("extra")):
            return
        with self.db.begin() as conn:
            if batch["commands"]:
                conn.execute(insert(db.commands), batch["commands"])
            if batch["rows"]:
                conn.execute(insert(db.transactions), batch["rows"])
            if batch["clock"] is not None:
                conn.execute(update(db.settings).where(db.settings.c.key == "clock").values(value=str(batch["clock"])))
            for extra in batch.get("extra", ()):
                extra(conn)

    def committed(self, batch: dict[str, Any]) -> None:
        """Mark a written batch as the record: its transactions become readable, its waiters may answer."""
        for aid, hi in batch["marks"].items():
            self.stored[aid] = max(self.stored.get(aid, 0), hi)
        self.committed_gen = max(self.committed_gen, batch["gen"])
        self.signal()
        if self.committed_gen == self.gen:
            for aid in list(self.reloading):
                self._reload(aid)

    def flush(self) -> None:
        """Commit everything queued, now, on this thread."""
        batch = self.snapshot()
        self.write(batch)
        self.committed(batch)

    def _reload(self, account_id: str) -> None:
        info = self.books[account_id].info
        del self.books[account_id]
        self.limit.pop(account_id, None)
        self.reloading.discard(account_id)
        self.rebuild(info)

    def tick(self, to: int | None = None) -> int:
        """Advance the clock (to its target, or to ``to``) and every account with it, queued for the next
        commit. The new time."""
        t = self.clock.target() if to is None else max(self.clock.now, min(int(to), self.market.end))
        if t == self.clock.now and to is None:
            return t
        changed = []
        for aid, book in self.books.items():
            if aid in self.reloading:
                continue
            n0 = len(book.txns)
            book.advance(t)
            if len(book.txns) > n0:
                self.dirty.add(aid)
                changed.append((aid, n0, None))
        self.clock.now = t
        self.signal()
        self.clock_dirty = t
        self._bump()
        self.ticks += 1
        if self.copier is not None:
            self.copier.changed(changed, t, tick=True)
        return t

    def signal(self) -> None:
        """Wake every stream waiting in ``changed`` (new prices or newly committed transactions)."""
        evt, self._changed = self._changed, asyncio.Event()
        evt.set()

    async def changed(self, timeout: float) -> None:
        """Wait for the next tick or commit, at most ``timeout`` seconds."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def durable(self) -> None:
        """Wait until every change queued so far is committed (RuntimeError if its commit failed)."""
        want = self.gen
        if self.committed_gen >= want:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append((want, fut))
        if self.wake is not None:
            self.wake.set()
        await fut

    async def apply(self, account_id: str, cmd: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """``execute`` a request's command and answer once it (or the reject it wrote) is committed."""
        try:
            out = self.execute(account_id, cmd)
        except V20Error:
            await self.durable()
            raise
        await self.durable()
        return out

    async def opened_durable(self) -> None:
        """Wait until the accounts opened so far have their first transactions committed: a request that
        opened one (even one answered 403) answers only after that, so whoever reads the account next sees
        its CREATE and TRANSFER_FUNDS."""
        if self.opened_gen > self.committed_gen:
            await self.durable()

    async def committer(self) -> None:
        """Group commit: write what is queued in one transaction on a worker thread while requests go on
        changing the books; answer the requests it covers; repeat."""
        loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        while True:
            if self.gen == self.committed_gen:
                self.wake.clear()
                await self.wake.wait()
                continue
            batch = self.snapshot()
            try:
                await loop.run_in_executor(None, self.write, batch)
            except Exception as exc:  # the record refused the batch: back to what it holds
                log.exception("commit failed")
                self._abandon(batch, exc)
                continue
            self.committed(batch)
            done = [(g, f) for g, f in self.waiters if g <= self.committed_gen]
            self.waiters = [(g, f) for g, f in self.waiters if g > self.committed_gen]
            for _, f in done:
                if not f.done():
                    f.set_result(None)

    def _abandon(self, batch: dict[str, Any], exc: Exception) -> None:
        """A batch failed to commit: fail every waiting request and restore the touched accounts from the record."""
        touched = set(batch["marks"]) | set(self.dirty) | {c["account_id"] for c in batch["commands"]}
        touched |= {a for a, _, _, _ in self.pending}
        self.pending = []
        self.dirty = set()
        self.committed_gen = self.gen
        for _, f in self.waiters:
            if not f.done():
                f.set_exception(RuntimeError(f"the record could not be written: {exc}"))
        self.waiters = []
        for aid in touched:
            if aid in self.books:
                with self.db.connect() as conn:
                    self.seq[aid] = int(conn.execute(select(func.count()).select_from(db.commands)
                                                     .where(db.commands.c.account_id == aid)).scalar() or 0)
                self._reload(aid)

    # ---- reading the record
    def stored_txns(self, account_id: str, lo: int, hi: int) -> list[dict[str, Any]]:
        """Committed transactions ``lo..hi`` (ids, inclusive) of an account."""
        book = self.books[account_id]
        hi = min(hi, self.stored[account_id])
        return [book.txns[i - 1] for i in range(max(lo, 1), hi + 1)]
