"""Fixtures for the client matrix: a real demo broker (``leverlab serve``) in a subprocess on 127.0.0.1, its
database in a temporary directory, and the private PostgreSQL cluster (tests/server/pg.py).

The clients are configured with the host, port, scheme and token only; the test itself reads and steps
the server through plain HTTP (``Served.rest``, ``Served.advance``) to check what the clients did.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from broker_proc import free_port, launch, terminate
from pg import pg_cluster, pg_url  # noqa: F401  (pytest fixtures)

INSTRUMENT = "EUR_USD"


def leverlab(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the installed ``leverlab`` command line (this interpreter's) and return the finished process."""
    return subprocess.run([sys.executable, "-m", "leverlab.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@dataclass
class Served:
    """A running ``leverlab serve``: where it listens, its database, and plain-HTTP helpers for the checks."""

    port: int
    db: str
    proc: subprocess.Popen[bytes]
    log: Path
    host: str = "127.0.0.1"
    admin_token: str = field(default_factory=lambda: secrets.token_hex(16))  # moves the clock
    tokens: dict[str, str] = field(default_factory=dict)  # account id -> token

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def create_account(self, deposit: float = 10_000, broker: str = "exness", account_type: str = "standard",
                       country: str = "SC", client: str = "retail") -> tuple[str, str]:
        """A new account through ``leverlab accounts create --json``: (account id, token)."""
        out = leverlab("accounts", "create", "--db", self.db, "--broker", broker, "--account-type", account_type,
                       "--country", country, "--client", client, "--deposit", str(deposit), "--json")
        assert out.returncode == 0, out.stdout + out.stderr
        doc = json.loads(out.stdout)
        account_id, token = str(doc["account_id"]), str(doc["token"])
        self.tokens[account_id] = token
        # the server opens the account on its first request; on a cold numba cache that compiles the engine's
        # kernel (a minute or more), longer than a client's own timeout: wait for it here
        status, body = self.rest("GET", f"/v3/accounts/{account_id}/summary", token, timeout=600)
        assert status == 200, (status, body)
        return account_id, token

    def rest(self, method: str, path: str, token: str | None, body: Any = None,
             headers: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, Any]:
        """One request; (status, parsed JSON body or the raw text)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token is not None:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def advance(self, seconds: int) -> str:
        """Step the market clock ``seconds`` of market time forward (the server runs with --speed 0) through
        the admin endpoint; the new market time. Every account's stops and limits have been checked and
        committed when it returns."""
        status, body = self.rest("POST", "/admin/clock", self.admin_token, {"seconds": seconds})
        assert status == 200, (status, body)
        return str(body["time"])

    def trade_state(self, account_id: str, trade_id: str) -> dict[str, Any]:
        status, body = self.rest("GET", f"/v3/accounts/{account_id}/trades/{trade_id}", self.tokens[account_id])
        assert status == 200, (status, body)
        return dict(body["trade"])

    def step_until_closed(self, account_id: str, trade_id: str, step: int = 900, limit: int = 2000) -> int:
        """Advance the clock ``step`` seconds at a time until the trade is CLOSED; the number of steps."""
        for n in range(1, limit + 1):
            self.advance(step)
            if self.trade_state(account_id, trade_id)["state"] == "CLOSED":
                return n
        raise AssertionError(f"trade {trade_id} still open after {limit} steps of {step} s")

    def quote(self, account_id: str, instrument: str = INSTRUMENT) -> tuple[float, float]:
        """The current (bid, ask) from the pricing snapshot."""
        status, body = self.rest("GET", f"/v3/accounts/{account_id}/pricing?instruments={instrument}",
                                 self.tokens[account_id])
        assert status == 200, (status, body)
        price = body["prices"][0]
        return float(price["bids"][0]["price"]), float(price["asks"][0]["price"])

    def transactions(self, account_id: str) -> list[dict[str, Any]]:
        """Every transaction of the account, through /transactions/sinceid?id=0... via idrange 1..last."""
        token = self.tokens[account_id]
        status, summary = self.rest("GET", f"/v3/accounts/{account_id}/summary", token)
        assert status == 200, (status, summary)
        last = int(summary["lastTransactionID"])
        status, body = self.rest("GET", f"/v3/accounts/{account_id}/transactions/idrange?from=1&to={last}", token)
        assert status == 200, (status, body)
        return list(body["transactions"])


def start_server(db: str, workdir: Path, *extra: str) -> Served:
    """``leverlab serve`` on a free 127.0.0.1 port in a subprocess; returns once it answers HTTP."""
    port = free_port()
    log = workdir / f"serve-{port}.log"
    admin_token = secrets.token_hex(16)
    env = dict(os.environ, PYTHONUNBUFFERED="1", LEVERLAB_ADMIN_TOKEN=admin_token)
    proc = launch(db, port, log, "--speed", "0", *extra, env=env)
    return Served(port, db, proc, log, admin_token=admin_token)


def stop_server(served: Served) -> None:
    terminate(served.proc)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A demo broker on SQLite in a temp dir, clock stepped by the test, with one funded account."""
    srv = start_server(f"sqlite:///{tmp_path / 'broker.db'}", tmp_path)
    try:
        yield srv
    finally:
        stop_server(srv)
