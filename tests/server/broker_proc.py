"""A real demo broker for the server tests: ``leverlab serve`` in a subprocess on 127.0.0.1, a real database
file, accounts opened as a user opens them, HTTP through httpx; and the fixtures (``server``, ``pg_url``).

Test modules import the fixtures from here: a ``conftest.py`` in this folder (which has no ``__init__.py``)
would shadow ``tests/engine/conftest.py``, imported by name as ``conftest``."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

ADMIN = "admin-test-token"
START = "2018-03-05T10:00:00Z"  # a Monday morning: EUR_USD and XAU_USD trade


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(db: str, port: int, log: Path, *extra: str, env: dict[str, str] | None = None,
           seconds: float = 300) -> subprocess.Popen[bytes]:
    """``leverlab serve --db DB`` on 127.0.0.1:``port`` in a subprocess (its own process group, output to
    ``log``); returns once it answers HTTP. ``seconds``: how long to wait (a first numba compile of the kernel
    can take a minute or two); RuntimeError with the log's tail when it exits or does not answer in time."""
    cmd = [sys.executable, "-m", "leverlab.cli", "serve", "--db", db, "--host", "127.0.0.1", "--port", str(port),
           *extra]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"leverlab serve exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v3/accounts", timeout=5).close()
            return proc
        except urllib.error.HTTPError:
            return proc  # 401: it answers
        except OSError:
            time.sleep(0.2)
    terminate(proc)
    raise RuntimeError(f"leverlab serve did not answer within {seconds:g} s:\n{log.read_text()[-4000:]}")


def terminate(proc: subprocess.Popen[bytes]) -> None:
    """Stop a ``launch``ed server: SIGTERM to its process group, SIGKILL after 30 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


class Server:
    """One ``leverlab serve`` process; ``start()`` after ``kill()`` serves the same database again (its log in
    a temporary folder, removed by ``stop()``)."""

    def __init__(self, db: str, speed: str = "0", start: str = START) -> None:
        self.db = db
        self.speed = speed
        self.start_at = start
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkdtemp(prefix="leverlab-serve-")) / "serve.log"

    def start(self) -> Server:
        env = {**os.environ, "LEVERLAB_ADMIN_TOKEN": ADMIN}
        self.log.parent.mkdir(exist_ok=True)
        self.proc = launch(self.db, self.port, self.log, "--speed", self.speed, "--start", self.start_at, env=env,
                           seconds=240)
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None:
            terminate(self.proc)
        shutil.rmtree(self.log.parent, ignore_errors=True)

    def account(self, broker: str = "exness", account_type: str = "standard", country: str = "SC",
                deposit: float = 10_000, token: str | None = None, **kw: Any) -> Client:
        """A new account through the CLI, as a user opens one: its client."""
        cmd = [sys.executable, "-m", "leverlab.cli", "accounts", "create", "--db", self.db, "--broker", broker,
               "--account-type", account_type, "--country", country, "--deposit", str(deposit), "--json"]
        if token:
            cmd += ["--token", token]
        for k, v in kw.items():
            cmd += [f"--{k.replace('_', '-')}", str(v)]
        import json

        out = subprocess.run(cmd, capture_output=True, check=True, timeout=120)
        doc = json.loads(out.stdout)
        return Client(self, doc["account_id"], doc["token"])

    def step(self, **body: Any) -> dict[str, Any]:
        r = httpx.post(self.url + "/admin/clock", json=body, headers={"Authorization": f"Bearer {ADMIN}"},
                       timeout=120)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def step_until_closed(self, c: Client, trade_id: str, steps: int = 1, limit: int = 500) -> dict[str, Any]:
        """Step the clock ``steps`` quotes at a time (at most ``limit`` times) until the trade is CLOSED; the
        trade as it then stands (the caller asserts its state)."""
        for _ in range(limit):
            self.step(steps=steps)
            if c.get(f"/trades/{trade_id}").json()["trade"]["state"] == "CLOSED":
                break
        return dict(c.get(f"/trades/{trade_id}").json()["trade"])


class Client:
    """An account's v20 calls."""

    def __init__(self, server: Server, account: str, token: str) -> None:
        self.server = server
        self.id = account
        self.token = token
        self.http = httpx.Client(base_url=server.url + "/v3", headers={"Authorization": f"Bearer {token}"},
                                 timeout=60)

    def a(self, path: str = "") -> str:
        return f"/accounts/{self.id}{path}"

    def get(self, path: str, **kw: Any) -> Any:
        return self.http.get(self.a(path), **kw)

    def order(self, **order: Any) -> Any:
        return self.http.post(self.a("/orders"), json={"order": order})

    def txns(self, since: int = 0) -> list[dict[str, Any]]:
        r = self.get("/transactions/sinceid", params={"id": since})
        assert r.status_code == 200, r.text
        return list(r.json()["transactions"])


def balance_sum(txns: list[dict[str, Any]]) -> Decimal:
    """The balance the transactions add up to: funding, fills (pl + financing - commission), financing."""
    total = Decimal(0)
    for x in txns:
        if x["type"] == "TRANSFER_FUNDS":
            total += Decimal(x["amount"])
        elif x["type"] == "ORDER_FILL":
            total += Decimal(x["pl"]) + Decimal(x["financing"]) - Decimal(x["commission"])
        elif x["type"] == "DAILY_FINANCING":
            total += Decimal(x["financing"])
    return total


try:  # the private PostgreSQL cluster fixture (tests/server/pg.py), where it is present
    from pg import pg_cluster, pg_url  # noqa: F401
except ImportError:  # else a database URL from the environment
    @pytest.fixture
    def pg_url() -> Iterator[str]:
        base = os.environ.get("LEVERLAB_TEST_POSTGRES_URL")
        if not base:
            if os.environ.get("CI") == "true":
                pytest.fail("CI must run the PostgreSQL tests: no PostgreSQL fixture and no LEVERLAB_TEST_POSTGRES_URL")
            pytest.skip("no PostgreSQL here (set LEVERLAB_TEST_POSTGRES_URL)")
        from sqlalchemy import create_engine, make_url, text

        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(base).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("broker") / "broker.sqlite"
    s = Server(str(db)).start()
    yield s
    s.stop()
