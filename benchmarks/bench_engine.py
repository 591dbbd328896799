"""leverlab's engine side by side with the peers that are installed, on the same data and strategy.

    python benchmarks/bench_engine.py            # everything (a few minutes)
    python benchmarks/bench_engine.py --quick    # smaller sizes, no 100M-tick stream
    python benchmarks/bench_engine.py --json out.json

Cases (medians of ``--repeat`` runs after one warm-up, compiled code cached on disk):
- bars: SMA(10/20) stop-and-reverse at 1,000 units on backtesting.py's EURUSD H1, mirror-tiled
  (the series, then its time reverse, ... so no fake gaps) to 100k and 1M bars. leverlab runs the
  full margin / stop-out model (Exness standard terms resolved for SC, 1:1000); backtesting.py and
  vectorbt have no broker margin model. vectorbt is timed on ``Portfolio.from_signals`` alone with
  signals precomputed (its fastest path), and also end to end.
- ticks: EMA(10/20) cross on 1-minute bars with every tick simulated (margin and stop-out checked
  on each), 1:1000, on the real 2.0M Oanda XAUUSD ticks (LEAN files in the shared data) and on
  100M synthetic EURUSD ticks streamed in 2M-tick chunks (peak RSS measured in a fresh process).

Each peer runs in its own pinned environment (``.bench/<peer>``, made by ``benchmarks/peer_envs.py``
from ``benchmarks/peers/<peer>.txt``) on the same numbers, written to a file; ``--no-peers`` skips them.
A peer or a case that fails makes the script exit 1. Start-up is ``bench_startup.py``.

The machine is shared (2 cores): run it when it is quiet, and read the numbers as indicative.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BT_CSV = SHARED / "backtesting-py" / "backtesting" / "test" / "EURUSD.csv"
XAU_TICKS = SHARED / "lean" / "Data" / "cfd" / "oanda" / "tick" / "xauusd"
H1 = 3_600_000_000_000


def _median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    out = fn()  # warm-up (and JIT compile where a tool compiles)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _timed(fn: Callable[[], Any]) -> tuple[float, dict[str, float]]:
    """One call of ``fn`` with the engine's phases timed: (total seconds, {"stream", "kernel", "result"})."""
    from leverlab.engine._sim import _Sim
    from leverlab.engine.account import Account

    spent = {"stream": 0.0, "kernel": 0.0, "result": 0.0}
    patched = {"feed": (Account, "stream"), "advance": (_Sim, "kernel"), "result": (Account, "result")}
    originals = {name: getattr(cls, name) for name, (cls, _) in patched.items()}

    def timed(orig, key):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                spent[key] += time.perf_counter() - t0
        return wrapper

    for name, (cls, key) in patched.items():
        setattr(cls, name, timed(originals[name], key))
    try:
        t0 = time.perf_counter()
        fn()
        total = time.perf_counter() - t0
    finally:
        for name, (cls, _) in patched.items():
            setattr(cls, name, originals[name])
    return total, spent


def phases(fn: Callable[[], Any]) -> str:
    """Where one leverlab run's time goes: building the quote stream, the rest of the set-up (terms
    tables, schedules, the strategy's targets), the compiled kernel, and building the Result."""
    total, spent = _timed(fn)
    other = total - sum(spent.values())
    return (f"one run {total * 1e3:.0f} ms: kernel {spent['kernel'] * 1e3:.0f}, stream {spent['stream'] * 1e3:.0f}, "
            f"other set-up {other * 1e3:.0f}, result {spent['result'] * 1e3:.0f}")


def uncached(fn: Callable[[], Any]) -> str:
    """One run with the remembered rollover / HMR schedules forgotten (what a new data span costs;
    the medians above reuse them, as a comparison of many accounts over one span does)."""
    from leverlab.engine import _schedule

    _schedule._ROLL_CACHE.clear()
    _schedule._IV_CACHE.clear()
    t0 = time.perf_counter()
    fn()
    return f"with schedules computed afresh {(time.perf_counter() - t0) * 1e3:.0f} ms"


def kernel_split(bars: Any, terms: Any, trades: int) -> str:
    """Where the bar kernel's time goes: the same bars and strategy targets, then the same with the
    position held from the first target on (no trade after it), then with no position at all (best of
    four each); the difference to the held run is what the trades cost."""
    from leverlab.engine import Backtest
    from leverlab.strategies import SmaCross

    targets = SmaCross.targets(bars, units=1000)
    first = int(np.flatnonzero(~np.isnan(targets))[0])
    held = np.full(targets.shape[0], np.nan)
    held[first] = targets[first]

    def kernel(tg: np.ndarray) -> float:
        class Fixed(SmaCross):
            @classmethod
            def targets(cls, bars: Any, **_: Any) -> np.ndarray:
                return tg

        run = lambda: Backtest(bars, Fixed, terms=terms, deposit=10_000, vectorized=True).run(units=1000)  # noqa: E731
        return min(_timed(run)[1]["kernel"] for _ in range(4))

    k_all, k_held, k_flat = kernel(targets), kernel(held), kernel(np.full(targets.shape[0], np.nan))
    return (f"kernel {k_all * 1e3:.0f} ms = {k_flat * 1e3:.0f} with no position + {(k_held - k_flat) * 1e3:.0f} "
            f"holding one throughout + {(k_all - k_held) * 1e3:.0f} for the {trades} trades "
            f"({(k_all - k_held) / max(trades, 1) * 1e6:.2f} us each)")


def mirror_tile(o, h, lo, c, n: int) -> tuple[np.ndarray, ...]:
    """Repeat a bar series forwards, then backwards in time, ... up to ``n`` bars. A reversed bar swaps
    its open and close, so every bar opens where the previous one closed, as in the original."""
    fwd = (o, h, lo, c)
    rev = (c[::-1], h[::-1], lo[::-1], o[::-1])
    parts: list[tuple[np.ndarray, ...]] = []
    have = 0
    k = 0
    while have < n:
        parts.append(fwd if k % 2 == 0 else rev)
        have += len(o)
        k += 1
    return tuple(np.concatenate([p[i] for p in parts])[:n] for i in range(4))


def load_bt_bars():
    import csv
    with open(BT_CSV) as f:
        rows = list(csv.reader(f))[1:]
    a = np.array([[float(x) for x in r[1:5]] for r in rows])
    return a[:, 0], a[:, 1], a[:, 2], a[:, 3]


def exness_terms(leverage: float = 1000.0):
    from leverlab.brokers import resolve_terms
    return resolve_terms("exness", "standard", "SC", selected_leverage=leverage)


# ---------------------------------------------------------------------------------------- bars
def bench_bars(n: int, repeat: int, peers: bool, python_mode: bool) -> list[dict[str, Any]]:
    from leverlab.data.frames import Bars
    from leverlab.engine import Backtest
    from leverlab.strategies import SmaCross

    o, h, lo, c = mirror_tile(*load_bt_bars(), n)
    t = np.datetime64("2017-01-02T00:00", "ns").astype(np.int64) + np.arange(n, dtype=np.int64) * H1
    bars = Bars("EURUSD", "H1", t, o, h, lo, c)
    terms = exness_terms()
    rows = []
    run = lambda: Backtest(bars, SmaCross, terms=terms, deposit=10_000, vectorized=True).run(units=1000)  # noqa: E731
    sec, r = _median_time(run, repeat)
    rows.append(dict(case=f"bars {n:,}", tool="leverlab (vectorized, full margin model)", items=n, seconds=sec,
                     note=f"{r.stats['trades']} trades, final equity {r.stats['final_equity']}; {phases(run)}; "
                          f"{kernel_split(bars, terms, r.stats['trades'])}; {uncached(run)}"))
    if python_mode:
        sec, r = _median_time(lambda: Backtest(bars, SmaCross, terms=terms, deposit=10_000).run(units=1000),
                              max(1, repeat // 2))
        rows.append(dict(case=f"bars {n:,}", tool="leverlab (Strategy.next per bar)", items=n, seconds=sec,
                         note=f"{r.stats['trades']} trades"))
    if not peers:
        return rows
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bars.npz"
        np.savez(path, time=t, open=o, high=h, low=lo, close=c)
        bt_rep = 1 if n > 200_000 else max(1, repeat // 2)
        d = run_peer("backtesting", "backtesting_bars.py", path, bt_rep)
        rows.append(dict(case=f"bars {n:,}", tool=f"backtesting.py {d['version']}", items=n, seconds=d["seconds"],
                         note=f"{d['trades']} trades, equity {d['equity']:.2f}"))
        d = run_peer("vectorbt", "vectorbt_bars.py", path, repeat)
        rows.append(dict(case=f"bars {n:,}", tool=f"vectorbt {d['version']} (from_signals only)", items=n,
                         seconds=d["seconds"], note=f"{d['trades']} trades; no margin model"))
        rows.append(dict(case=f"bars {n:,}", tool=f"vectorbt {d['version']} (signals + portfolio)", items=n,
                         seconds=d["seconds_end_to_end"], note="end to end"))
    return rows


class PeerError(RuntimeError):
    """A peer's benchmark script failed (its last lines of output say why)."""


def run_peer(peer: str, script: str, datafile: Path, *args: Any) -> dict[str, Any]:
    """Run ``benchmarks/peers/<script>`` with the peer's own pinned Python (``.bench/<peer>``, created by
    ``peer_envs.ensure`` when missing) on ``datafile``; its one JSON line as a dict."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from peer_envs import ensure

    py = ensure(peer)
    out = subprocess.run([str(py), str(Path(__file__).resolve().parent / "peers" / script), str(datafile),
                          *map(str, args)], capture_output=True, text=True)
    if out.returncode != 0:
        raise PeerError(f"{peer} ({script}) failed:\n" + "\n".join(out.stderr.strip().splitlines()[-10:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------- ticks
def load_xau_ticks():
    from leverlab.data import concat, read
    files = sorted(glob.glob(str(XAU_TICKS / "*_quote.zip")))
    if not files:
        return None
    return concat([read(f) for f in files])


def bench_xau(repeat: int, peers: bool) -> list[dict[str, Any]]:
    from leverlab.engine import Backtest
    from leverlab.strategies import EmaCross

    tk = load_xau_ticks()
    if tk is None:
        return [dict(case="XAUUSD ticks", tool="leverlab", items=0, seconds=None, note="shared data not found")]
    terms = exness_terms()
    n = len(tk)
    run = lambda: Backtest(tk, EmaCross, terms=terms, deposit=10_000, vectorized=True,  # noqa: E731
                           timeframe="M1").run(lots=0.1)
    sec, r = _median_time(run, repeat)
    rows = [dict(case=f"XAUUSD ticks {n:,}", tool="leverlab (vectorized, every tick)", items=n, seconds=sec,
                 note=f"{r.stats['trades']} trades, {r.stats['stop_outs']} stop-outs; {phases(run)}")]
    sec, r = _median_time(lambda: Backtest(tk, EmaCross, terms=terms, deposit=10_000, timeframe="M1"
                                           ).run(lots=0.1), max(1, repeat // 2))
    rows.append(dict(case=f"XAUUSD ticks {n:,}", tool="leverlab (Strategy.next per minute)", items=n, seconds=sec,
                     note=f"{r.stats['trades']} trades"))
    if peers:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ticks.npz"
            np.savez(path, time=tk.time, bid=tk.bid, ask=tk.ask)
            d = run_peer("nautilus", "nautilus_ticks.py", path)
        rows.append(dict(case=f"XAUUSD ticks {n:,}", tool=f"NautilusTrader {d['version']} (EMACross, engine.run)",
                         items=n, seconds=d["seconds"], note=f"{d['fills']} fills; margin account, no stop-out"))
    return rows


STREAM_CHILD = r"""
import json, resource, sys, time
import numpy as np
from leverlab.data import iter_synthetic_ticks
from leverlab.engine import Backtest
from leverlab.strategies import EmaCross
from leverlab.brokers import resolve_terms
n, chunk = int(sys.argv[1]), int(sys.argv[2])
terms = resolve_terms("exness", "standard", "SC", selected_leverage=1000)
gen_time = gen_cpu = 0.0
def chunks():
    global gen_time, gen_cpu
    it = iter_synthetic_ticks(n, symbol="EURUSD", seed=7, chunk_size=chunk)
    while True:
        t0, c0 = time.perf_counter(), time.process_time()
        c = next(it, None)
        gen_time += time.perf_counter() - t0
        gen_cpu += time.process_time() - c0
        if c is None:
            return
        yield c
# the first run in a process loads the compiled kernels from the disk cache (about half a second) and
# first touches its buffers' memory: a fixed cost, timed apart (a 10M-tick run would otherwise be mostly
# that; at 100M ticks it is amortised). The warm-up streams one full chunk of other ticks.
t0 = time.perf_counter()
Backtest.stream(iter_synthetic_ticks(chunk, symbol="EURUSD", seed=8, chunk_size=chunk), EmaCross, terms=terms,
                deposit=10_000, timeframe="M1").run(lots=0.1)
first = time.perf_counter() - t0
t0, c0 = time.perf_counter(), time.process_time()
r = Backtest.stream(chunks(), EmaCross, terms=terms, deposit=10_000, timeframe="M1").run(lots=0.1)
total, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"seconds": total, "sim_cpu_seconds": cpu - gen_cpu, "gen_seconds": gen_time,
                  "quotes": r.stats["quotes"], "warmup_seconds": first,
                  "trades": r.stats["trades"], "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_stream(n: int, chunk: int) -> list[dict[str, Any]]:
    out = subprocess.run([sys.executable, "-c", STREAM_CHILD, str(n), str(chunk)], capture_output=True, text=True,
                         cwd=ROOT)
    if out.returncode != 0:
        return [dict(case=f"synthetic ticks {n:,}", tool="leverlab (streamed)", items=n, seconds=None,
                     note=out.stderr.strip().splitlines()[-1][:120])]
    d = json.loads(out.stdout.strip().splitlines()[-1])
    sim = d["seconds"] - d["gen_seconds"]
    return [dict(case=f"synthetic ticks {n:,}", tool="leverlab (streamed, simulation only)", items=n, seconds=sim,
                 note=f"{n / d['sim_cpu_seconds'] / 1e6:.1f}M ticks per CPU second; "
                      f"peak RSS {d['rss_mb']:.0f} MB incl. generator; generating took {d['gen_seconds']:.1f} s; "
                      f"{d['trades']} trades; first run in the process (one 2M-tick chunk, kernels loaded from "
                      f"the disk cache) {d['warmup_seconds']:.2f} s, not counted")]


# ---------------------------------------------------------------------------------------- report
def ratios(rows: list[dict[str, Any]]) -> None:
    by_case: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_case.setdefault(r["case"], []).append(r)
    for rs in by_case.values():
        mine = next((r for r in rs if r["tool"].startswith("leverlab") and r["seconds"]), None)
        for r in rs:
            r["rate"] = r["items"] / r["seconds"] if r["seconds"] else None
            if mine and r["seconds"] and r is not mine and not r["tool"].startswith("leverlab"):
                r["leverlab_x"] = mine["rate"] / r["rate"]


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'case':<24} {'tool':<44} {'seconds':>9} {'items/s':>14} {'leverlab is':>12}  note"]
    for r in rows:
        sec = f"{r['seconds']:.3f}" if r["seconds"] else "-"
        rate = f"{r['rate']:,.0f}" if r.get("rate") else "-"
        x = f"{r['leverlab_x']:.1f}x" if r.get("leverlab_x") else ""
        lines.append(f"{r['case']:<24} {r['tool']:<44} {sec:>9} {rate:>14} {x:>12}  {r.get('note', '')}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100k bars, XAUUSD ticks, 10M streamed ticks")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--stream", type=int, default=None, help="synthetic ticks to stream (default 100M, quick 10M)")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    peers = not a.no_peers
    rows: list[dict[str, Any]] = []
    rows += bench_bars(100_000, a.repeat, peers, python_mode=True)
    if not a.quick:
        rows += bench_bars(1_000_000, a.repeat, peers, python_mode=False)
    rows += bench_xau(a.repeat, peers)
    n_stream = a.stream or (10_000_000 if a.quick else 100_000_000)
    rows += bench_stream(n_stream, 2_000_000)
    ratios(rows)
    print(f"cpu: {os.cpu_count()} cores (shared), load average at the end {os.getloadavg()[0]:.2f}; "
          f"python {sys.version.split()[0]}")
    print(table(rows))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1, default=str))
    broken = [f"{r['case']} / {r['tool']}: {r.get('note')}" for r in rows if not r["seconds"]]
    if broken:
        print("failed:\n  " + "\n  ".join(broken))
        raise SystemExit(1)


if __name__ == "__main__":
    main()
