"""One pinned Python environment per peer under ``.bench/`` (git-ignored), so the peers never share a venv.

    python benchmarks/peer_envs.py                 # create or refresh every peer's environment
    python benchmarks/peer_envs.py vectorbt        # just one

The peers cannot live in one environment: vectorbt 1.2 needs pandas 3, NautilusTrader 1.221 needs
pandas < 3, and pip's fallback (vectorbt 1.0) crashes on import with plotly 7. Each peer gets its own
venv built from ``benchmarks/peers/<peer>.txt`` (every package pinned), re-installed when that file
changes. The peer's side of a benchmark is a script in ``benchmarks/peers/`` that the leverlab side
runs with the peer's Python on data it wrote to a file, so both sides see the same numbers.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent / "peers"
ENVS = ROOT / ".bench"
#: peer -> what its environment must import (checked after installing)
PEERS = {"backtesting": "backtesting", "vectorbt": "vectorbt", "nautilus": "nautilus_trader.backtest.engine"}


def python(peer: str) -> Path:
    """The peer environment's Python (not created here: see ``ensure``)."""
    return ENVS / peer / "bin" / "python"


def _digest(peer: str) -> str:
    return hashlib.sha256((HERE / f"{peer}.txt").read_bytes()).hexdigest()


def ready(peer: str) -> bool:
    """The environment exists and was built from the current requirements file."""
    stamp = ENVS / peer / ".leverlab-requirements"
    return python(peer).exists() and stamp.exists() and stamp.read_text().strip() == _digest(peer)


def ensure(peer: str) -> Path:
    """Create or refresh ``.bench/<peer>`` from its pinned requirements; returns its Python.
    Raises ``RuntimeError`` with pip's last lines when the install or the import check fails."""
    if peer not in PEERS:
        raise KeyError(f"unknown peer {peer!r}; expected one of {', '.join(PEERS)}")
    if ready(peer):
        return python(peer)
    env = ENVS / peer
    t0 = time.perf_counter()
    print(f"creating {env.relative_to(ROOT)} from benchmarks/peers/{peer}.txt ...", flush=True)
    venv.EnvBuilder(clear=True, with_pip=True).create(env)
    steps = [[str(python(peer)), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
              str(HERE / f"{peer}.txt")],
             [str(python(peer)), "-c", f"import {PEERS[peer]}"]]
    for cmd in steps:
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            tail = "\n".join((out.stderr or out.stdout).strip().splitlines()[-15:])
            raise RuntimeError(f"{peer}: {' '.join(cmd[2:5])} failed:\n{tail}")
    (env / ".leverlab-requirements").write_text(_digest(peer) + "\n")
    print(f"{peer}: ready in {time.perf_counter() - t0:.0f} s", flush=True)
    return python(peer)


def main(argv: list[str]) -> int:
    failed = []
    for peer in argv or list(PEERS):
        try:
            ensure(peer)
        except (RuntimeError, KeyError) as exc:
            print(exc, file=sys.stderr)
            failed.append(peer)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
