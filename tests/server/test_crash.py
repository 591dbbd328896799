"""Nothing acknowledged is lost: the server killed with SIGKILL under concurrent load keeps every order and
transaction it answered for, with gap-free ids and balances equal to their transactions' sum - on SQLite
and on PostgreSQL."""

from __future__ import annotations

import random
import threading
import time
from decimal import Decimal
from typing import Any

import broker_proc
import httpx
from broker_proc import Client, Server, balance_sum

pg_url = broker_proc.pg_url  # the fixtures (a conftest.py here would shadow tests/engine/conftest.py)
pg_cluster = getattr(broker_proc, "pg_cluster", None)  # what pg_url needs, where tests/server/pg.py is present

RESPONSE_TXNS = ("orderCreateTransaction", "orderFillTransaction", "orderCancelTransaction", "orderRejectTransaction",
                 "takeProfitOrderTransaction", "stopLossOrderTransaction")


def _trader(c: Client, seed: int, acked: list[dict[str, Any]], stop: threading.Event) -> None:
    """Place and close orders until the server dies; keep every transaction the server acknowledged."""
    rnd = random.Random(seed)
    http = httpx.Client(base_url=c.server.url + "/v3", headers={"Authorization": f"Bearer {c.token}"}, timeout=10)
    open_trades: list[str] = []
    while not stop.is_set():
        try:
            if open_trades and rnd.random() < 0.4:
                tid = open_trades.pop(rnd.randrange(len(open_trades)))
                r = http.put(f"/accounts/{c.id}/trades/{tid}/close")
            else:
                units = rnd.choice([1000, 2000, -1000, -3000])
                r = http.post(f"/accounts/{c.id}/orders", json={"order": {
                    "type": "MARKET", "instrument": "EUR_USD", "units": str(units), "positionFill": "OPEN_ONLY"}})
        except httpx.HTTPError:
            return  # the server is gone: what was not answered was not acknowledged
        if r.status_code in (200, 201, 400, 404):
            body = r.json()
            acked.extend(body[k] for k in RESPONSE_TXNS if k in body)
            fill = body.get("orderFillTransaction")
            if fill and "tradeOpened" in fill:
                open_trades.append(fill["tradeOpened"]["tradeID"])


def _crash_and_check(db: str) -> None:
    srv = Server(db, speed="600").start()
    try:
        clients = [srv.account(deposit=100_000) for _ in range(3)]
        acked: dict[str, list[dict[str, Any]]] = {c.id: [] for c in clients}
        stop = threading.Event()
        threads = [threading.Thread(target=_trader, args=(c, 10 * i + k, acked[c.id], stop))
                   for i, c in enumerate(clients) for k in range(3)]  # 9 concurrent traders, 3 per account
        for th in threads:
            th.start()
        deadline = time.monotonic() + 60
        while sum(len(v) for v in acked.values()) < 150 and time.monotonic() < deadline:
            time.sleep(0.05)
        srv.kill()  # SIGKILL mid-load
        stop.set()
        for th in threads:
            th.join(30)
        assert sum(len(v) for v in acked.values()) >= 150, "the load did not get going"
        srv.start()
        for c in clients:
            c.http = httpx.Client(base_url=srv.url + "/v3", headers={"Authorization": f"Bearer {c.token}"},
                                  timeout=60)
            txns = c.txns()
            ids = [int(x["id"]) for x in txns]
            assert ids == list(range(1, len(ids) + 1)), "transaction ids must be gap-free"
            by_id = {x["id"]: x for x in txns}
            for x in acked[c.id]:
                assert by_id.get(x["id"]) == x, f"acknowledged transaction {x['id']} lost or changed"
            summary = c.get("/summary").json()["account"]
            assert summary["lastTransactionID"] == str(ids[-1])
            assert Decimal(summary["balance"]) == balance_sum(txns)
            fills = [x for x in txns if "accountBalance" in x]
            assert Decimal(fills[-1]["accountBalance"]) == Decimal(summary["balance"])
            # the restarted server goes on where it stopped
            r = c.order(instrument="EUR_USD", units="1000")
            assert r.status_code == 201 and r.json()["orderCreateTransaction"]["id"] == str(ids[-1] + 1)
    finally:
        srv.stop()


def test_sigkill_loses_nothing_acknowledged_sqlite(tmp_path: Any) -> None:
    _crash_and_check(f"sqlite:///{tmp_path / 'crash.sqlite'}")


def test_sigkill_loses_nothing_acknowledged_postgres(pg_url: str) -> None:
    _crash_and_check(pg_url)
