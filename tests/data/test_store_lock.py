"""Two processes writing into one store at once: neither import is lost from the catalog."""

import multiprocessing as mp

import numpy as np

from leverlab.data import Store, Ticks


def _write(root: str, symbol: str, n: int) -> None:
    t = np.arange(n, dtype=np.int64) * 1_000_000_000 + 1_600_000_000_000_000_000
    bid = np.full(n, 1.1)
    for k in range(5):  # several commits each, interleaving with the other writer
        Store(root).write(Ticks(symbol, t + k * n * 1_000_000_000, bid, bid + 0.0001, source=f"{symbol}-{k}"))


def test_concurrent_writers_keep_both_symbols(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_write, args=(str(tmp_path), s, 2_000)) for s in ("EURUSD", "GBPUSD")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = Store(tmp_path)
    assert sorted(store.symbols()) == ["EURUSD", "GBPUSD"]
    for s in ("EURUSD", "GBPUSD"):
        assert len(store.load(s)) == 10_000
