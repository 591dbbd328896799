"""What copy trading costs the demo broker: a master's market order answered with 0, 10 and 50 followers.

    python benchmarks/bench_copy_server.py                  # 0, 10 and 50 followers, 200 orders each
    python benchmarks/bench_copy_server.py --followers 0 20 --orders 100

A real ``leverlab serve`` (stepped clock, SQLite file in a temporary folder) per follower count: one
Exness master and N followers under Octa (rule ``ratio`` 0.1, so every copy fills), opened in the
database before the server starts. One client then places ``--orders`` market orders on the master,
alternating buy and sell of 10,000 EUR_USD (each sell closes the buy before it, so each close is
mirrored too), one at a time, and times each answer: each includes the followers' copies, committed in
the same database transaction. Prints the p50 and p99 latency per follower count, the time per copy
and the ratio to no followers. The machine may be shared: read the numbers as indicative.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def run(n_followers: int, n_orders: int) -> np.ndarray:
    """The master's order latencies (seconds) with ``n_followers`` copying it."""
    from leverlab.server import db
    from leverlab.server.service import create_account

    if str(ROOT / "tests" / "server") not in sys.path:  # how the tests start and stop ``leverlab serve``
        sys.path.insert(0, str(ROOT / "tests" / "server"))
    broker_proc = importlib.import_module("broker_proc")

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "broker.sqlite")
        eng = db.connect(path)
        master, token = create_account(eng, broker="exness", account_type="standard", country="SC",
                                       client="retail", deposit=1_000_000, leverage="500")
        followers = [create_account(eng, broker="octa", account_type="mt", country="SC", client="retail",
                                    deposit=100_000, leverage="200") for _ in range(n_followers)]
        eng.dispose()
        port = broker_proc.free_port()
        proc = broker_proc.launch(path, port, Path(tmp) / "serve.log", "--speed", "0", "--start", broker_proc.START)
        url = f"http://127.0.0.1:{port}"
        try:
            for fid, ftok in followers:
                r = httpx.put(f"{url}/leverlab/v1/accounts/{fid}/copy", json={"master": master, "rule": "ratio",
                              "value": 0.1}, headers={"Authorization": f"Bearer {ftok}"}, timeout=60)
                assert r.status_code == 200, r.text
            c = httpx.Client(base_url=f"{url}/v3/accounts/{master}", headers={"Authorization": f"Bearer {token}"},
                             timeout=60)
            out = []
            for i in range(n_orders + 10):
                body = {"order": {"type": "MARKET", "instrument": "EUR_USD", "units": "10000" if i % 2 == 0
                                  else "-10000"}}
                t0 = time.perf_counter()
                r = c.post("/orders", json=body)
                dt = time.perf_counter() - t0
                assert r.status_code == 201 and "orderFillTransaction" in r.json(), r.text
                if i >= 10:  # the first ones warm up
                    out.append(dt)
            return np.array(out)
        finally:
            broker_proc.terminate(proc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--followers", type=int, nargs="+", default=[0, 10, 50])
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="50 orders with 0 and 10 followers (CI)")
    ap.add_argument("--json", type=Path, default=None, help="write the figures to this JSON file")
    a = ap.parse_args()
    if a.quick:
        a.followers, a.orders = [0, 10], 50
    rows = []
    for n in a.followers:
        lat = run(n, a.orders)
        rows.append((n, float(np.percentile(lat, 50)) * 1e3, float(np.percentile(lat, 99)) * 1e3))
    base = rows[0][1]
    print(f"{'followers':>9}  {'p50 ms':>8}  {'p99 ms':>8}  {'ms per copy':>11}  {'p50 / first':>11}")
    for n, p50, p99 in rows:
        per = (p50 - base) / n if n else float("nan")
        print(f"{n:>9}  {p50:>8.2f}  {p99:>8.2f}  {per:>11.3f}  {p50 / base:>11.2f}")
    if a.json:
        a.json.write_text(json.dumps([{"followers": n, "p50_ms": p50, "p99_ms": p99} for n, p50, p99 in rows],
                                     indent=1))


if __name__ == "__main__":
    main()
