"""The demo broker under load (issue 11 item 8): market orders per second and their latency with 20
concurrent clients, on SQLite and on PostgreSQL, and one price stream fanned out to 100 subscribers.

    python benchmarks/bench_server.py                      # both databases, the fan-out
    python benchmarks/bench_server.py --db sqlite --seconds 10 --clients 20
    python benchmarks/bench_server.py --skip-fanout
    python benchmarks/bench_server.py --quick --json out.json           # a few seconds each (CI)
    python benchmarks/bench_server.py --db sqlite --skip-fanout --profile server.txt   # py-spy the server

Each run starts a real ``leverlab serve`` in a subprocess on 127.0.0.1 (its SQLite file in a temp dir, or
a private PostgreSQL cluster made with initdb in a temp dir), opens one account per client with
``leverlab accounts create``, then every client (aiohttp, one connection each) places market orders of
1,000 EUR/USD units back to back, buy then sell, so each position opens and closes and nothing piles up.
Every order is acknowledged only after its transactions are committed (201), so this measures the whole
path: HTTP, the engine's fill, the database commit. Latency is per request as the client sees it.

The fan-out: the server replays the sample at 3600x (one H1 bar a second, four intrabar quotes a second
per instrument), 100 subscribers stream EUR_USD and XAU_USD. Lag is each price's arrival minus the wall
time its market time maps to (the smallest such difference taken as zero): a subscriber that keeps up
shows a flat lag; one that falls behind shows it growing over the run.

Goals (issue 11, a 2-core machine): >= 1,000 market orders/s on SQLite with p99 < 50 ms; the fan-out
keeping up (every subscriber receives every 250 ms window's price, lag not growing). The machine may
be shared with other jobs: read the numbers as indicative.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENT = "EUR_USD"


def _tests_module(name: str) -> Any:
    """A helper module of tests/server (``pg``: the private PostgreSQL cluster the tests use, initdb/pg_ctl in a
    temp dir; ``broker_proc``: how the tests start and stop ``leverlab serve``)."""
    folder = str(ROOT / "tests" / "server")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def _pg_module() -> Any:
    return _tests_module("pg")


def _cli(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "leverlab.cli", *args, "--json"], capture_output=True, text=True,
                         timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"leverlab {' '.join(args)}: {out.stdout}{out.stderr}")
    return dict(json.loads(out.stdout))


class Server:
    """``leverlab serve`` in a subprocess (started by ``start()``, as the tests start it); stopped on exit."""

    def __init__(self, db: str, workdir: Path, speed: str) -> None:
        self.db = db
        self.speed = speed
        self.launcher = _tests_module("broker_proc")
        self.port = self.launcher.free_port()
        self.log = workdir / f"serve-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self) -> subprocess.Popen[bytes]:
        """Start it; returns once it answers HTTP (RuntimeError with its log's tail otherwise)."""
        self.proc = self.launcher.launch(self.db, self.port, self.log, "--speed", self.speed)
        return self.proc

    def accounts(self, n: int) -> list[tuple[str, str]]:
        def one(_: int) -> tuple[str, str]:
            doc = _cli("accounts", "create", "--db", self.db, "--broker", "exness", "--account-type", "standard",
                       "--country", "SC", "--client", "retail", "--deposit", "1000000")
            return str(doc["account_id"]), str(doc["token"])
        with ThreadPoolExecutor(1) as pool:  # one at a time: concurrent creates race on the user id
            made = list(pool.map(one, range(n)))
        import urllib.request
        for account, token in made:  # the server opens each account on its first request: not timed
            req = urllib.request.Request(f"{self.base}/v3/accounts/{account}/summary",
                                         headers={"Authorization": f"Bearer {token}"})
            urllib.request.urlopen(req, timeout=600).read()
        return made

    def stop(self) -> None:
        if self.proc is not None:
            self.launcher.terminate(self.proc)


async def _order_client(base: str, account: str, token: str, stop_at: float, warm_until: float,
                        lat: list[float], errors: list[str]) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = f"{base}/v3/accounts/{account}/orders"
    done = 0
    side = 1
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=1)) as session:
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                return done
            body = {"order": {"type": "MARKET", "instrument": INSTRUMENT, "units": str(1000 * side)}}
            async with session.post(url, data=json.dumps(body)) as resp:
                text = await resp.text()
                status = resp.status
            t1 = time.perf_counter()
            if status != 201 or "orderFillTransaction" not in text:
                errors.append(f"{status} {text[:300]}")
                if len(errors) > 20:
                    return done
            side = -side
            if t0 >= warm_until:
                lat.append(t1 - t0)
                done += 1


async def _orders(base: str, accounts: list[tuple[str, str]], seconds: float, warmup: float) -> dict[str, Any]:
    lat: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    warm_until, stop_at = start + warmup, start + warmup + seconds
    counts = await asyncio.gather(*(_order_client(base, a, t, stop_at, warm_until, lat, errors)
                                    for a, t in accounts))
    elapsed = max(time.perf_counter(), stop_at) - warm_until
    arr = np.asarray(lat) * 1000.0
    return {"orders": int(sum(counts)), "per_s": sum(counts) / elapsed,
            "p50_ms": float(np.percentile(arr, 50)) if arr.size else float("nan"),
            "p99_ms": float(np.percentile(arr, 99)) if arr.size else float("nan"),
            "max_ms": float(arr.max()) if arr.size else float("nan"), "errors": errors[:3], "n_errors": len(errors)}


def _profile(pid: int, seconds: float, out: str | None) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the server for ``seconds`` (a flame graph SVG, or ``--format raw`` collapsed stacks
    when ``out`` ends in .txt), if asked for and installed; None otherwise."""
    if not out:
        return None
    import shutil
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print(f"  (py-spy not installed: no profile written to {out})")
        return None
    fmt = ["--format", "raw"] if out.endswith(".txt") else []
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
                             "--nonblocking", "-o", out, *fmt], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_orders(kind: str, clients: int, seconds: float, warmup: float,
                 profile: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="leverlab-bench-") as tmp:
        work = Path(tmp)
        cluster = None
        pg = None
        if kind == "sqlite":
            db = f"sqlite:///{work / 'broker.db'}"
        else:
            pg = _pg_module()
            root = Path(tempfile.mkdtemp(prefix="leverlab-pg-"))  # its own: the postgres user must reach it
            cluster = pg.start_cluster(root)
            db = cluster.create_database("bench")
        server = Server(db, work, "0")
        try:
            proc = server.start()
            accounts = server.accounts(clients)
            spy = _profile(proc.pid, seconds + warmup, profile)
            result = asyncio.run(_orders(server.base, accounts, seconds, warmup))
            if spy is not None:
                spy.wait(timeout=120)
        finally:
            server.stop()
            if cluster is not None and pg is not None:
                pg.stop_cluster(cluster)
                import shutil
                shutil.rmtree(cluster.datadir.parent, ignore_errors=True)
        return result


async def _subscriber(base: str, account: str, token: str, instruments: str, stop_at: float,
                      got: list[tuple[str, float, float]], errors: list[str]) -> None:
    url = f"{base}/v3/accounts/{account}/pricing/stream?instruments={instruments}"
    timeout = aiohttp.ClientTimeout(total=None, sock_read=30)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}",
                                              "Accept-Datetime-Format": "UNIX"}, timeout=timeout) as session:
        async with session.get(url) as resp:
            if resp.status != 200:
                errors.append(f"{resp.status} {await resp.text()}")
                return
            while time.time() < stop_at:
                try:
                    line = await asyncio.wait_for(resp.content.readline(), timeout=max(0.1, stop_at - time.time()))
                except asyncio.TimeoutError:
                    return
                if not line:
                    errors.append("stream ended")
                    return
                msg = json.loads(line)
                if msg.get("type") == "PRICE":
                    got.append((msg["instrument"], float(Decimal(msg["time"])), time.time()))


async def _fanout(base: str, account: str, token: str, subscribers: int, seconds: float,
                  speed: float) -> dict[str, Any]:
    per_sub: list[list[tuple[str, float, float]]] = [[] for _ in range(subscribers)]
    errors: list[str] = []
    stop_at = time.time() + seconds
    await asyncio.gather(*(_subscriber(base, account, token, "EUR_USD,XAU_USD", stop_at, per_sub[i], errors)
                           for i in range(subscribers)))
    rows = [r for sub in per_sub for r in sub[2:]]  # past the snapshot
    if not rows:
        return {"errors": errors[:3], "n_errors": len(errors), "prices": 0}
    market = np.asarray([r[1] for r in rows])
    wall = np.asarray([r[2] for r in rows])
    lag = wall - market / speed
    lag -= lag.min()
    half = len(rows) // 2
    order = np.argsort(wall)
    counts = np.asarray([len(s) for s in per_sub])
    first = min(r[2] for r in rows)
    window = max(r[2] for r in rows) - first
    instruments = {r[0] for r in rows}
    return {"subscribers": subscribers, "prices": len(rows),
            "per_sub_per_instr_s": float(np.median(counts)) / max(window, 1e-9) / max(len(instruments), 1),
            "min_sub": int(counts.min()), "max_sub": int(counts.max()),
            "lag_p50_ms": float(np.percentile(lag, 50) * 1000), "lag_p99_ms": float(np.percentile(lag, 99) * 1000),
            "lag_first_half_p99_ms": float(np.percentile(lag[order[:half]], 99) * 1000),
            "lag_second_half_p99_ms": float(np.percentile(lag[order[half:]], 99) * 1000),
            "errors": errors[:3], "n_errors": len(errors)}


def bench_fanout(subscribers: int, seconds: float) -> dict[str, Any]:
    speed = 3600.0
    with tempfile.TemporaryDirectory(prefix="leverlab-bench-") as tmp:
        work = Path(tmp)
        server = Server(f"sqlite:///{work / 'broker.db'}", work, str(int(speed)))
        try:
            server.start()
            (account, token), = server.accounts(1)
            return asyncio.run(_fanout(server.base, account, token, subscribers, seconds, speed))
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--subscribers", type=int, default=100)
    ap.add_argument("--fanout-seconds", type=float, default=20.0)
    ap.add_argument("--skip-fanout", action="store_true")
    ap.add_argument("--quick", action="store_true", help="3 s of orders per database, 15 s of fan-out (CI)")
    ap.add_argument("--json", type=Path, default=None, help="write the figures to this JSON file")
    ap.add_argument("--profile", metavar="FILE", help="py-spy the SQLite order run into FILE (.svg flame graph, "
                                                      ".txt collapsed stacks)")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.fanout_seconds = 3.0, 1.0, 15.0
    doc: dict[str, Any] = {"clients": args.clients, "seconds": args.seconds, "orders": []}

    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"market orders, {args.clients} concurrent clients, {args.seconds:g} s after {args.warmup:g} s warm-up")
    print(f"{'database':<12}{'orders':>8}{'orders/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
          f"  goal (SQLite)")
    broken = False  # errors or no data: the run failed (a missed goal is a result, not a failure)
    for kind in kinds:
        r = bench_orders(kind, args.clients, args.seconds, args.warmup, args.profile if kind == "sqlite" else None)
        goal = ""
        if kind == "sqlite":
            met = r["per_s"] >= 1000 and r["p99_ms"] < 50 and r["n_errors"] == 0
            goal = f"{'met' if met else 'MISSED'} (>=1000/s, p99<50)"
        print(f"{kind:<12}{r['orders']:>8}{r['per_s']:>10.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
              f"{r['max_ms']:>9.1f}{r['n_errors']:>8}  {goal}")
        for e in r["errors"]:
            print(f"  error: {e}")
        broken |= r["n_errors"] > 0
        doc["orders"].append({"database": kind, **{k: v for k, v in r.items() if k != "errors"}})
    if not args.skip_fanout:
        f = bench_fanout(args.subscribers, args.fanout_seconds)
        print(f"\nprice stream fan-out: {args.subscribers} subscribers, EUR_USD and XAU_USD at 3600x "
              f"(4 quotes/s per instrument), {args.fanout_seconds:g} s")
        if not f.get("prices"):
            print(f"  no prices received; errors: {f['errors']}")
            return 1
        keeps_up = (f["per_sub_per_instr_s"] >= 3.6 and f["min_sub"] >= 0.9 * f["max_sub"]
                    and f["lag_second_half_p99_ms"] < f["lag_first_half_p99_ms"] + 250 and f["n_errors"] == 0)
        broken |= f["n_errors"] > 0
        doc["fanout"] = {**{k: v for k, v in f.items() if k != "errors"}, "keeps_up": keeps_up,
                         "seconds": args.fanout_seconds}
        print(f"{'prices/s per subscriber per instrument':<42}{f['per_sub_per_instr_s']:>8.2f}   (goal 4)")
        print(f"{'prices per subscriber, min / max':<42}{f['min_sub']:>8} / {f['max_sub']}")
        print(f"{'lag p50 / p99 ms':<42}{f['lag_p50_ms']:>8.0f} / {f['lag_p99_ms']:.0f}")
        print(f"{'lag p99 ms, first half / second half':<42}{f['lag_first_half_p99_ms']:>8.0f} / "
              f"{f['lag_second_half_p99_ms']:.0f}")
        print(f"{'keeps up':<42}{'yes' if keeps_up else 'NO':>8}")
        for e in f["errors"]:
            print(f"  error: {e}")
    if args.json:
        args.json.write_text(json.dumps(doc, indent=1))
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
