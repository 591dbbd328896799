"""Monte Carlo risk of ruin: many shuffled futures of a trade sequence through the account model.

Each path trades ``n_trades`` times. A trade is sized by risk % of equity (or fixed lots), capped by
what the leverage allows (margin <= free margin, else the broker would reject it: the size is cut to
the largest lot that fits, on the lot step). A loser runs to its stop unless the margin level reaches
the stop-out level first, in which case the broker closes it there (a larger loss can't happen, a
smaller one is the stop). Winners gain ``reward_risk`` times the stop distance. With NBP a balance
cannot go below zero. A path is *ruined* once equity cannot open the minimum lot.

Outcomes per trade are drawn from a win rate and reward/risk, or bootstrapped from R-multiples of
real trades (profit / money at risk), seeded, so the same inputs give the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numba import njit, prange

from ..conversion import convert
from ..engine.formulas import margin_in_margin_ccy
from ..instruments import CALC_MODE_CODE, instrument
from .executor import check_executor, ray_map


@njit(cache=True, nogil=True)
def _uniform(seed: np.uint64, path: int, trade: int) -> float:
    """A counter-based uniform in [0, 1) (splitmix64 of seed, path, trade): parallel and reproducible."""
    z = seed ^ (np.uint64(path) * np.uint64(0x9E3779B97F4A7C15)) ^ (np.uint64(trade) * np.uint64(0xD1B54A32D192ED03))
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, parallel=True, nogil=True)
def _simulate(seed, path0, pool, win_rate, reward_risk, n_trades, deposit, risk_frac, fixed_lots, stop_money_per_lot,
              margin_per_lot, so_frac, min_lot, lot_step, max_lot, nbp, loss_frac, checkpoints,
              out_equity, out_stopouts, out_ruined, out_loss_hit):
    n_paths = out_equity.shape[0]
    for p in prange(n_paths):
        eq = deposit
        stopouts = 0
        ruined = False
        hit = False
        c = 0
        for t in range(n_trades):
            if not ruined:
                if fixed_lots > 0.0:
                    lots = fixed_lots
                else:
                    lots = eq * risk_frac / stop_money_per_lot
                if margin_per_lot > 0.0 and lots > eq / margin_per_lot:
                    lots = eq / margin_per_lot  # more would leave free margin below zero: rejected
                if lots > max_lot:
                    lots = max_lot
                lots = math.floor(lots / lot_step + 1e-9) * lot_step
                if lots < min_lot:
                    ruined = True
                else:
                    u = _uniform(seed, path0 + p, t)  # the path's global number: any split gives the same draws
                    if pool.size > 0:
                        r = pool[int(u * pool.size)]
                    else:
                        r = reward_risk if u < win_rate else -1.0
                    pnl = r * lots * stop_money_per_lot
                    if r < 0.0:
                        floor_eq = so_frac * lots * margin_per_lot  # equity where the margin level hits stop-out
                        if eq + pnl <= floor_eq:
                            pnl = floor_eq - eq
                            stopouts += 1
                    eq = eq + pnl
                    if nbp and eq < 0.0:
                        eq = 0.0
                    if eq <= deposit * (1.0 - loss_frac):
                        hit = True
            while c < checkpoints.size and checkpoints[c] == t:
                out_equity[p, c] = eq
                c += 1
        out_stopouts[p] = stopouts
        out_ruined[p] = ruined
        out_loss_hit[p] = hit


@dataclass(frozen=True)
class _PathJob:
    """What every range of paths needs (the Monte Carlo's inputs, in the kernel's units)."""

    seed: int
    pool: np.ndarray
    win_rate: float
    reward_risk: float
    n_trades: int
    deposit: float
    risk_frac: float
    fixed_lots: float
    stop_money_per_lot: float
    margin_per_lot: float
    so_frac: float
    min_lot: float
    lot_step: float
    max_lot: float
    nbp: bool
    loss_frac: float
    checkpoints: np.ndarray
    threads: int = 0  # numba threads for the paths (0: all); a Ray task runs on the one CPU it was given


def _run_paths(job: _PathJob, span: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Paths ``span[0]`` .. ``span[1]`` - 1: equity at the checkpoints, stop-outs, ruined, loss reached."""
    n = span[1] - span[0]
    if job.threads:
        import numba

        numba.set_num_threads(min(job.threads, numba.get_num_threads()))
    out_eq = np.empty((n, job.checkpoints.size), dtype=np.float64)
    so = np.zeros(n, dtype=np.int64)
    ruined = np.zeros(n, dtype=np.bool_)
    hit = np.zeros(n, dtype=np.bool_)
    _simulate(np.uint64(job.seed), np.int64(span[0]), job.pool, job.win_rate, job.reward_risk, job.n_trades,
              job.deposit, job.risk_frac, job.fixed_lots, job.stop_money_per_lot, job.margin_per_lot, job.so_frac,
              job.min_lot, job.lot_step, job.max_lot, job.nbp, job.loss_frac, job.checkpoints, out_eq, so, ruined, hit)
    return out_eq, so, ruined, hit


@dataclass(frozen=True)
class RuinResult:
    """Probabilities and percentile bands of a Monte Carlo run (equity in the account currency)."""

    paths: int
    trades: int
    p_stop_out: float  # share of paths with at least one stop-out
    p_ruin: float  # share of paths that could no longer open the minimum lot
    p_loss: float  # share of paths that lost ``loss_pct`` % of the deposit at some point
    loss_pct: float
    median_final_equity: float
    mean_stop_outs: float
    trade_index: list[int]  # trades (0-based) at which the bands are taken
    percentiles: dict[str, list[float]]  # "5", "25", "50", "75", "95" -> equity after those trades
    params: dict

    def summary(self) -> dict:
        """The headline figures, without the bands (for tables and --json)."""
        return {k: getattr(self, k) for k in ("paths", "trades", "p_stop_out", "p_ruin", "p_loss", "loss_pct",
                                              "median_final_equity", "mean_stop_outs")} | {"params": self.params}


def risk_of_ruin(
    *,
    deposit: float,
    leverage: float,
    stop_out_level: float,
    win_rate: float | None = None,
    reward_risk: float | None = None,
    r_multiples: Sequence[float] | None = None,
    risk_pct: float = 1.0,
    lots: float | None = None,
    stop_pips: float = 20.0,
    symbol: str = "EURUSD",
    price: float = 1.1,
    n_trades: int = 1000,
    n_paths: int = 100_000,
    loss_pct: float = 50.0,
    nbp: bool = True,
    seed: int = 1,
    n_bands: int = 200,
    executor: str = "local",
    address: str | None = None,
) -> RuinResult:
    """Run the Monte Carlo; give ``win_rate`` + ``reward_risk``, or ``r_multiples`` to bootstrap from.

    Equity is recorded at ``n_bands`` evenly spaced trades for the percentile bands (memory stays
    paths x n_bands, not paths x trades). Sizing: ``risk_pct`` of current equity per trade at a
    ``stop_pips`` stop, or fixed ``lots``.
    ``leverage`` may be ``math.inf``. Prices are held at ``price`` (a USD account; pip value and
    margin of ``symbol`` at that price) - the point is the account mechanics, not the market.
    """
    if deposit <= 0 or stop_pips <= 0 or n_trades <= 0 or n_paths <= 0 or not leverage > 0:
        raise ValueError("deposit, stop_pips, n_trades, n_paths and leverage must be > 0")
    if not 0 <= stop_out_level <= 1000:
        raise ValueError(f"stop_out_level is a percent of margin level, got {stop_out_level}")
    if r_multiples is not None:
        pool = np.asarray(r_multiples, dtype=np.float64)
        if pool.size == 0 or not np.all(np.isfinite(pool)):
            raise ValueError("r_multiples must be a non-empty list of finite numbers")
        win_rate, reward_risk = 0.0, 0.0
        source = f"bootstrapped from {pool.size} trades"
    else:
        if win_rate is None or reward_risk is None:
            raise ValueError("give win_rate and reward_risk, or r_multiples to bootstrap from")
        if not 0 <= win_rate <= 1 or reward_risk <= 0:
            raise ValueError("win_rate must be within 0..1 and reward_risk > 0")
        pool = np.empty(0, dtype=np.float64)
        source = f"win rate {win_rate:.2%}, reward/risk {reward_risk:g}"
    spec = instrument(symbol)
    own = {spec.symbol: price}  # a USD account: the symbol's own price converts it (EURUSD, USDJPY, XAUUSD)
    stop_money_per_lot = convert(stop_pips * spec.pip_size * spec.contract_size, spec.profit_currency, "USD", own)
    m = margin_in_margin_ccy(CALC_MODE_CODE[spec.calc_mode], 1.0, spec.contract_size, price, float(leverage),
                             spec.margin_rate)
    margin_per_lot = convert(m, spec.margin_currency, "USD", own)
    checkpoints = np.unique(np.linspace(0, n_trades - 1, min(n_trades, n_bands)).round().astype(np.int64))
    job = _PathJob(seed & 0xFFFFFFFFFFFFFFFF, pool, float(win_rate), float(reward_risk), int(n_trades), float(deposit),
                   risk_pct / 100.0, float(lots or 0.0), stop_money_per_lot, margin_per_lot, stop_out_level / 100.0,
                   spec.min_lot, spec.lot_step, spec.max_lot, nbp, loss_pct / 100.0, checkpoints)
    check_executor(executor, address)
    if executor == "ray":
        step = max(1, -(-n_paths // 64))  # at most 64 ranges: tasks of ~n_paths/64 paths each
        parts = ray_map(_run_paths, replace(job, threads=1), [(a, min(a + step, n_paths))
                                                              for a in range(0, n_paths, step)],
                        address=address, batch=1)
        out_eq, so, ruined, hit = (np.concatenate([part[k] for part in parts]) for k in range(4))
    else:
        out_eq, so, ruined, hit = _run_paths(job, (0, n_paths))
    bands = np.percentile(out_eq, [5, 25, 50, 75, 95], axis=0)
    return RuinResult(
        paths=n_paths, trades=n_trades, p_stop_out=float((so > 0).mean()), p_ruin=float(ruined.mean()),
        p_loss=float(hit.mean()), loss_pct=loss_pct, median_final_equity=float(np.median(out_eq[:, -1])),
        mean_stop_outs=float(so.mean()), trade_index=[int(x) for x in checkpoints],
        percentiles={k: [round(float(x), 2) for x in row] for k, row in zip(("5", "25", "50", "75", "95"), bands)},
        params={"deposit": deposit, "leverage": leverage, "stop_out_level": stop_out_level, "risk_pct": risk_pct,
                "lots": lots, "stop_pips": stop_pips, "symbol": spec.symbol, "price": price, "nbp": nbp,
                "seed": seed, "outcomes": source},
    )
