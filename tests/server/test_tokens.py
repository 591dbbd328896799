"""Nobody in where they don't belong: random tokens stored hashed, each seeing only its own accounts (401 without a
valid token, 403 for another user's account), on SQLite and on PostgreSQL."""

from __future__ import annotations

import broker_proc
import httpx
from broker_proc import Server
from sqlalchemy import create_engine, text

from leverlab.server.db import normalise_url

server = broker_proc.server  # the fixtures (a conftest.py here would shadow tests/engine/conftest.py)
pg_url = broker_proc.pg_url
pg_cluster = getattr(broker_proc, "pg_cluster", None)  # what pg_url needs, where tests/server/pg.py is present


def _tokens_see_only_their_accounts(server: Server) -> None:
    alice = server.account()
    bob = server.account()
    alice2 = server.account(token=alice.token)  # a second account of the same user
    ids = [a["id"] for a in alice.http.get("/accounts").json()["accounts"]]
    assert ids == sorted([alice.id, alice2.id])
    r = alice.http.get(f"/accounts/{bob.id}/summary")
    assert r.status_code == 403 and r.json() == {"errorMessage": "Insufficient authorization to perform request."}
    r = alice.http.post(f"/accounts/{bob.id}/orders", json={"order": {"instrument": "EUR_USD", "units": "1000"}})
    assert r.status_code == 403
    assert bob.txns()[-1]["type"] == "TRANSFER_FUNDS"  # nothing written on bob's account
    none = httpx.get(server.url + f"/v3/accounts/{alice.id}/summary")
    bad = httpx.get(server.url + f"/v3/accounts/{alice.id}/summary", headers={"Authorization": "Bearer nope"})
    for r in (none, bad):
        assert r.status_code == 401
        assert r.json() == {"errorMessage": "Insufficient authorization to perform request."}
    assert alice.get("/summary").status_code == 200
    r = alice.http.get("/accounts/101-001-9999999-001/summary")
    assert r.status_code == 404 and r.json()["errorCode"] == "NO_SUCH_ACCOUNT"


def _tokens_are_stored_hashed(server: Server) -> None:
    c = server.account()
    eng = create_engine(normalise_url(server.db))
    with eng.connect() as conn:
        stored = [r[0] for r in conn.execute(text("select token_hash from users"))]
    eng.dispose()
    assert c.token not in stored and all(len(h) == 64 for h in stored)
    import hashlib

    assert hashlib.sha256(c.token.encode()).hexdigest() in stored



def test_tokens_sqlite(server: Server) -> None:
    _tokens_see_only_their_accounts(server)
    _tokens_are_stored_hashed(server)


def test_tokens_postgres(pg_url: str) -> None:
    srv = Server(pg_url).start()
    try:
        _tokens_see_only_their_accounts(srv)
        _tokens_are_stored_hashed(srv)
    finally:
        srv.stop()
