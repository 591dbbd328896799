"""Running many backtests of one strategy on the same data: in order, in a pool of processes or threads, or on Ray.

A ``Context`` (data, strategy, parameters) is shared by every ``Job`` (account terms, deposit, parameter
overrides); results come back in the order of the jobs whatever the pool, and an engine refusal comes
back as its message instead of an exception, so one bad account does not stop a comparison.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..brokers import AccountTerms
from ..engine import Backtest, Result
from ..strategies import Strategy
from .executor import check_executor, ray_map


@dataclass(frozen=True)
class Job:
    """One backtest of a run: the account terms, the deposit and the parameters that differ from the context's."""

    terms: AccountTerms
    deposit: float  # account units
    params: dict[str, Any] | None = None  # overrides of the context's strategy parameters (sweeps)
    spread: str = "data"  # the spread mode (leverlab.engine.Backtest's ``spread``)
    swaps: str = "published"  # where swaps come from (leverlab.engine.Backtest's ``swaps``)
    widening: bool = False  # spread widening (leverlab.engine.Backtest's ``widening``)


@dataclass(frozen=True)
class Context:
    """What every job of a run shares: the market data, the strategy class and its parameters."""

    data: Any
    strategy: type[Strategy]
    params: dict[str, Any]
    vectorized: bool = False  # the strategy's compiled ``targets`` mode (same decisions, no Python loop)
    # what a run gives back instead of its whole Result (module-level, so Ray can ship it): a sweep of
    # many runs keeps its figures, not every run's series (a 12-year H1 Result pickles to ~4 MB)
    summarize: Callable[[Result, Job], Any] | None = None


_CTX: Context | None = None


def _init_worker(ctx: Context) -> None:
    global _CTX
    _CTX = ctx


def _run(job: Job, ctx: Context | None = None) -> Result | str:
    """One backtest; an engine refusal comes back as its message (the row shows it)."""
    from ..engine import BacktestError, StrategyError

    c = ctx or _CTX
    assert c is not None
    try:
        params = c.params if not job.params else {**c.params, **job.params}
        res = Backtest(c.data, c.strategy, terms=job.terms, deposit=job.deposit,
                       vectorized=c.vectorized, spread=job.spread, swaps=job.swaps,
                       widening=job.widening).run(**params)
        return c.summarize(res, job) if c.summarize else res
    except (BacktestError, StrategyError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"


def _run_shared(ctx: Context, job: Job) -> Result | str:
    """``_run`` with the context first (the shape ``executor.ray_map`` calls)."""
    return _run(job, ctx)


def run_jobs(jobs: Sequence[Job], ctx: Context, workers: int | None = None,
             on_done: Callable[[], None] | None = None, pool: str = "auto", executor: str = "local",
             address: str | None = None) -> list[Result | str]:
    """Run backtests, in parallel when ``workers`` > 1, results in the order of ``jobs``.

    ``executor="ray"`` runs them as Ray tasks instead (``address``: an existing cluster; without it a
    local Ray with ``workers`` CPUs), the context shipped once through the object store.

    Parallel runs use forked worker processes: the Python strategy loop holds the GIL, and a
    forked worker inherits the parent's loaded modules and compiled kernels (no warm-up).
    Where fork is not available (Windows, macOS default) threads are used. ``pool`` forces
    ``"process"`` or ``"thread"`` (the compiled kernel releases the GIL, so compiled-targets runs
    also scale on threads; benchmarks/bench_compare.py measures both).
    """
    n = len(jobs)
    check_executor(executor, address)
    if executor == "ray":
        def told(k: int) -> None:
            for _ in range(k if on_done else 0):
                on_done()  # type: ignore[misc]

        return ray_map(_run_shared, ctx, list(jobs), address=address, num_cpus=workers, on_done=told)
    if workers is None:
        workers = os.cpu_count() or 1
    workers = max(1, min(int(workers), n))
    out: list[Result | str | None] = [None] * n
    if workers == 1:
        for i, job in enumerate(jobs):
            out[i] = _run(job, ctx)
            if on_done:
                on_done()
        return out  # type: ignore[return-value]
    pool_ex: Executor
    if pool not in ("auto", "process", "thread"):
        raise ValueError(f"pool must be auto, process or thread, got {pool!r}")
    if pool == "process" or (pool == "auto" and sys.platform.startswith("linux")):
        import multiprocessing as mp

        pool_ex = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"),
                                      initializer=_init_worker, initargs=(ctx,))
    else:
        pool_ex = ThreadPoolExecutor(max_workers=workers)
    in_process = isinstance(pool_ex, ThreadPoolExecutor)
    with pool_ex as ex:
        # results go back to their job's slot, so the order never depends on timing
        futures = {ex.submit(_run, jobs[i], ctx if in_process else None): i for i in range(n)}
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            if on_done:
                on_done()
    return out  # type: ignore[return-value]


def run_with_progress(jobs: Sequence[Job], ctx: Context, workers: int | None,
                      progress: Callable[[int, int], None] | None = None, executor: str = "local",
                      address: str | None = None) -> list[Result | str]:
    """``run_jobs``, telling ``progress(done, total)`` at the start and after each backtest (the
    command line draws its bar from it); compiled-targets runs go to threads (the kernel releases
    the GIL), bar-by-bar Python runs to forked processes."""
    pool = "thread" if ctx.vectorized else "auto"
    if not progress:
        return run_jobs(jobs, ctx, workers, pool=pool, executor=executor, address=address)
    total, done = len(jobs), itertools.count(1)
    progress(0, total)
    return run_jobs(jobs, ctx, workers, on_done=lambda: progress(next(done), total), pool=pool, executor=executor,
                    address=address)


__all__ = ["Job", "Context", "run_jobs", "run_with_progress"]
