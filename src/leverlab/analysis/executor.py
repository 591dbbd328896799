"""Where many independent runs execute: this machine (the default), or a Ray cluster (``leverlab[ray]``).

``compare``, ``sweep`` and ``risk_of_ruin`` take ``executor="local"`` or ``"ray"`` (and ``address`` for an
existing cluster, e.g. ``"ray://head:10001"`` or ``"auto"``). On Ray every task ships what it needs:
the shared context (market data, strategy class, parameters) goes into the object store once and each
task gets a reference to it plus its own small items (account terms, parameter overrides, a range of
Monte Carlo paths). Results come back in the order of the items, identical to a local run.

>>> check_executor("local")
>>> check_executor("spark")
Traceback (most recent call last):
...
leverlab.analysis.executor.ExecutorError: executor 'spark': expected one of local, ray
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

EXECUTORS = ("local", "ray")

_T = TypeVar("_T")
_R = TypeVar("_R")


class ExecutorError(ValueError):
    """An executor that does not exist, is not installed, or cannot be reached (the message says which)."""


def check_executor(executor: str, address: str | None = None) -> None:
    """Raise ``ExecutorError`` unless ``executor`` can run here: a known name, Ray installed when asked for,
    and ``address`` only with Ray."""
    if executor not in EXECUTORS:
        raise ExecutorError(f"executor {executor!r}: expected one of {', '.join(EXECUTORS)}")
    if executor == "local":
        if address:
            raise ExecutorError(f"address {address!r} is for --executor ray; the local executor runs on this machine")
        return
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ExecutorError("executor 'ray' needs Ray: pip install 'leverlab[ray]'") from None


def ray_session(address: str | None = None, num_cpus: int | None = None) -> Any:
    """The ``ray`` module, connected: an already started Ray is used as it is; otherwise ``address`` is
    joined (or the ``RAY_ADDRESS`` of the environment, as Ray does on a cluster node), or a local Ray is
    started with ``num_cpus`` CPUs (all when None)."""
    check_executor("ray")
    import ray

    if not ray.is_initialized():
        kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        try:
            if address or os.environ.get("RAY_ADDRESS"):
                ray.init(address=address, **kw)
            else:
                ray.init(num_cpus=num_cpus, **kw)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            cause = f" ({type(exc.__cause__).__name__}: {str(exc.__cause__).splitlines()[0]})" if exc.__cause__ else ""
            where = f" at {address}" if address else ""
            raise ExecutorError(f"cannot start or reach Ray{where}: {exc}{cause}") from None
    return ray


def _ship_by_value(obj: Any) -> None:
    """Make a class from a module that the cluster cannot import (a user's strategy file) travel by value."""
    mod = getattr(obj, "__module__", "") or ""
    if mod and not mod.startswith("leverlab.") and mod in sys.modules and mod != "__main__":
        from ray import cloudpickle

        cloudpickle.register_pickle_by_value(sys.modules[mod])


def _call_batch(fn: Callable[[Any, Any], Any], shared: Any, items: list[Any]) -> list[Any]:
    return [fn(shared, item) for item in items]


def ray_map(fn: Callable[[Any, _T], _R], shared: Any, items: Sequence[_T], *, address: str | None = None,
            num_cpus: int | None = None, batch: int | None = None,
            on_done: Callable[[int], None] | None = None) -> list[_R]:
    """``[fn(shared, item) for item in items]`` on Ray, in the order of ``items``.

    ``shared`` is put into the object store once (each task gets a reference); items go in batches of
    ``batch`` per task (default: about four tasks per CPU of the cluster, so a slow task does not hold
    the end back and the per-task overhead of a few milliseconds stays small). ``on_done(k)`` is told
    after each finished batch of ``k`` items. ``fn`` must be a module-level function (it is pickled by
    reference and imported on the workers).
    """
    ray = ray_session(address, num_cpus)
    n = len(items)
    if n == 0:
        return []
    _ship_by_value(getattr(shared, "strategy", None))
    if batch is None:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        batch = max(1, math.ceil(n / (4 * cpus)))
    remote = ray.remote(num_cpus=1)(_call_batch)
    ref = ray.put(shared)
    chunks = [list(range(i, min(i + batch, n))) for i in range(0, n, batch)]
    pending = {remote.remote(fn, ref, [items[i] for i in c]): c for c in chunks}
    out: list[Any] = [None] * n
    waiting = list(pending)
    while waiting:
        done, waiting = ray.wait(waiting, num_returns=1)
        for r in done:
            idx = pending[r]
            for i, value in zip(idx, ray.get(r)):
                out[i] = value
            if on_done:
                on_done(len(idx))
    return out


__all__ = ["EXECUTORS", "ExecutorError", "check_executor", "ray_session", "ray_map"]
