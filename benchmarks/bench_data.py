"""Data benchmarks (not timed tests): import, load and streaming figures for the closing note.

    python benchmarks/bench_data.py [--ticks-100m N] [--workdir DIR] [--quick] [--json out.json]

1. Import the 2.0M XAUUSD ticks of the LEAN sample folder into a fresh store (goal < 5 s).
2. Load 10M ticks of one symbol from the store into arrays, warm (goal < 1 s), and the peak
   memory above the baseline compared with the arrays' own size.
3. Stream 100M synthetic ticks through the chunked Parquet reader into M1 bars (goal: peak RSS
   < 1 GB).

Each step runs in its own process so peak RSS (VmHWM) belongs to that step alone. Needs the real
data folder ``../shared/data`` next to the repository for step 1 (skipped otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

_RSS = textwrap.dedent("""
    def rss_mb(field="VmRSS"):
        try:
            for line in open("/proc/self/status"):
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        except OSError:
            import resource
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return float("nan")
""")

IMPORT = _RSS + textwrap.dedent("""
    import json, sys, time
    from leverlab.data import Store
    src, root = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    r = Store(root).import_file(src)
    print(json.dumps({"rows": r.rows, "seconds": time.perf_counter() - t0, "peak_rss_mb": rss_mb("VmHWM")}))
""")

MAKE10M = textwrap.dedent("""
    import sys
    from leverlab.data import Store, synthetic_ticks
    Store(sys.argv[1]).write(synthetic_ticks(10_000_000, symbol="EURUSD", seed=42), source="synthetic 10M")
""")

LOAD = _RSS + textwrap.dedent("""
    import json, sys, time
    from leverlab.data import Store
    st = Store(sys.argv[1])
    fresh = rss_mb()                                      # after imports, before any data
    x = st.load("EURUSD"); del x                          # cold: page cache, compiled code
    base = rss_mb()
    times = []
    for _ in range(3):
        t0 = time.perf_counter(); x = st.load("EURUSD"); times.append(time.perf_counter() - t0)
        nbytes = sum(a.nbytes for a in (x.time, x.bid, x.ask))
        rows = len(x)
        del x
    print(json.dumps({"rows": rows, "seconds_warm": min(times), "arrays_mb": nbytes / 2**20,
                      "peak_rss_mb": rss_mb("VmHWM"), "rss_after_imports_mb": fresh,
                      "rss_after_cold_load_mb": base}))
""")

STREAM = _RSS + textwrap.dedent("""
    import json, sys, time
    from leverlab.data import iter_resample_ticks, iter_synthetic_ticks
    from leverlab.data.readers.parquet import iter_parquet, write_parquet_stream
    n, path = int(sys.argv[1]), sys.argv[2]
    t0 = time.perf_counter()
    rows = write_parquet_stream(iter_synthetic_ticks(n, seed=1, chunk_size=1_000_000), path)
    t1 = time.perf_counter()
    bars = 0
    seen = 0
    def counted(chunks):
        global seen
        for c in chunks:
            seen += len(c)
            yield c
    for b in iter_resample_ticks(counted(iter_parquet(path, chunk_size=1_000_000)), "M1"):
        bars += len(b)
    t2 = time.perf_counter()
    print(json.dumps({"ticks": rows, "read": seen, "m1_bars": bars, "generate_write_s": t1 - t0,
                      "read_resample_s": t2 - t1, "peak_rss_mb": rss_mb("VmHWM")}))
""")


def _run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO)
    if out.returncode:
        raise SystemExit(out.stderr)
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticks-100m", type=int, default=100_000_000, help="ticks for the streaming step")
    ap.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--quick", action="store_true", help="stream 10M ticks instead of 100M")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    if a.quick:
        a.ticks_100m = min(a.ticks_100m, 10_000_000)
    work = Path(a.workdir or tempfile.mkdtemp(prefix="leverlab-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    try:
        src = SHARED / "lean" / "Data" / "cfd" / "oanda" / "tick" / "xauusd"
        if src.is_dir():
            results["import_xauusd_2m"] = _run(IMPORT, str(src), str(work / "store1"))
            print("import 2.0M XAUUSD ticks:", json.dumps(results["import_xauusd_2m"]), flush=True)
        else:
            print(f"skip import: {src} not found", flush=True)
        _run(MAKE10M, str(work / "store2"))
        results["load_10m"] = _run(LOAD, str(work / "store2"))
        print("load 10M ticks:", json.dumps(results["load_10m"]), flush=True)
        results["stream"] = _run(STREAM, str(a.ticks_100m), str(work / "stream.parquet"))
        print(f"stream {a.ticks_100m:,} ticks:", json.dumps(results["stream"]), flush=True)
    finally:
        if a.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=1))
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
