"""Run every benchmark in this folder in one go and print their tables (`make bench`, `make bench-quick`).

    python benchmarks/run_all.py [--quick] [--json-dir DIR]

The peers run in their own pinned environments under ``.bench/`` (``peer_envs.py`` makes them first).
Each script gets ``--quick`` when given, and ``--json DIR/<script>.json`` with ``--json-dir`` (what
``scripts/update_readme.py --speed DIR`` turns into the README's speed table). Exits 1 when a script
fails, so a broken benchmark fails CI. A script runs here once it is in ``SCRIPTS`` (it must take
``--quick`` and ``--json PATH``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["bench_engine.py", "bench_startup.py", "bench_compare.py", "bench_sweep.py", "bench_ruin.py",
           "bench_data.py", "bench_orders.py", "bench_server.py", "bench_costs.py", "bench_copy_server.py"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a few minutes (CI)")
    ap.add_argument("--json-dir", type=Path, default=None)
    a = ap.parse_args()
    missing = sorted({p.name for p in HERE.glob("bench_*.py")} - set(SCRIPTS))
    if missing:  # each listed script takes --quick and --json PATH; list a new one once it does
        print(f"not run (not in run_all.SCRIPTS, which need --quick and --json): {', '.join(missing)}")
    if subprocess.call([sys.executable, str(HERE / "peer_envs.py")]) != 0:
        print("failed: the peers' environments")
        return 1
    if a.json_dir:
        a.json_dir.mkdir(parents=True, exist_ok=True)
    failed = []
    t_all = time.perf_counter()
    for name in SCRIPTS:
        print(f"\n=== {name} ===", flush=True)
        cmd = [sys.executable, str(HERE / name), *(["--quick"] if a.quick else [])]
        if a.json_dir:
            cmd += ["--json", str(a.json_dir / name.replace(".py", ".json"))]
        t0 = time.perf_counter()
        if subprocess.call(cmd) != 0:
            failed.append(name)
        print(f"({name}: {time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"\nall benchmarks: {time.perf_counter() - t_all:.0f} s")
    if a.json_dir:
        (a.json_dir / "machine.json").write_text(json.dumps({
            "when": time.strftime("%Y-%m-%d", time.gmtime()), "cpus": os.cpu_count(), "quick": a.quick,
            "load": round(os.getloadavg()[0], 1), "python": sys.version.split()[0], "failed": failed}))
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
