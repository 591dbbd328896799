"""The kernel's state tables and the resumable call into it (one simulated account)."""

from __future__ import annotations

import math

import numpy as np

from . import _layout as L
from ._kernel import close_all, recalc, run_segment
from ._prepare import Stream


class _Sim:
    """The kernel's state tables and the resumable call into it."""

    def __init__(self, stream: Stream, sym_f: np.ndarray, band_floor: np.ndarray, band_lev: np.ndarray,
                 params: np.ndarray, roll_t: np.ndarray, roll_f: np.ndarray, hmr: np.ndarray,
                 hmr_cap: np.ndarray, cash_t: np.ndarray, positions: int = 32, orders: int = 32, rows: int = 4096) -> None:
        self.q = stream
        self.sym_f, self.band_floor, self.band_lev, self.params = sym_f, band_floor, band_lev, params
        self.roll_t, self.roll_f, self.hmr, self.hmr_cap, self.cash_t = roll_t, roll_f, hmr, hmr_cap, cash_t
        n_sym = sym_f.shape[0]
        self.px = np.zeros((n_sym, L.N_PX))
        self.acc_f = np.zeros(L.N_ACC_F)
        self.acc_f[L.A_LEVEL] = math.inf
        self.acc_f[L.A_MIN_LEVEL] = math.inf
        self.acc_i = np.zeros(L.N_ACC_I, dtype=np.int64)
        self.acc_i[L.I_NEXT_POS_ID] = 1
        self.acc_i[L.I_NEXT_ORDER_ID] = 1
        self.pos_i = np.zeros((positions, L.N_POS_I), dtype=np.int64)
        self.pos_f = np.zeros((positions, L.N_POS_F))
        self.ord_i = np.zeros((orders, L.N_ORD_I), dtype=np.int64)
        self.ord_f = np.zeros((orders, L.N_ORD_F))
        self.deal_i = np.zeros((rows, L.N_DEAL_I), dtype=np.int64)
        self.deal_f = np.zeros((rows, L.N_DEAL_F))
        self.tr_i = np.zeros((rows, L.N_TR_I), dtype=np.int64)
        self.tr_f = np.zeros((rows, L.N_TR_F))
        self.ev_i = np.zeros((rows, L.N_EV_I), dtype=np.int64)
        self.ev_f = np.zeros((rows, L.N_EV_F))
        n_series = max(rows, int(stream.decisions.shape[0]) + rows)
        self.ser_t = np.zeros(n_series, dtype=np.int64)
        self.ser_f = np.zeros((L.N_SER, n_series))
        self.scratch = np.zeros((n_sym, 5))
        self.dec_idx = np.zeros(0, dtype=np.int64)
        self.dec_tgt = np.zeros(0)
        self._cand()
        self.i = 0

    def _cand(self) -> None:
        n = 2 * self.pos_i.shape[0] + self.ord_i.shape[0] + 4
        self.cand_t = np.zeros(n)
        self.cand_k = np.zeros(n, dtype=np.int64)

    def _grow_rows(self, names: tuple[str, ...], counter: int) -> None:
        need = 8 * self.pos_i.shape[0] + 32
        first = getattr(self, names[0])
        if first.shape[0] - self.acc_i[counter] < 2 * need:
            rows = first.shape[0] * 2 + 2 * need
            for name in names:
                a = getattr(self, name)
                if name == "ser_f":  # one row per quantity: grows along its columns
                    b = np.zeros((a.shape[0], rows), dtype=a.dtype)
                    b[:, : a.shape[1]] = a
                else:
                    b = np.zeros((rows,) + a.shape[1:], dtype=a.dtype)
                    b[: a.shape[0]] = a
                setattr(self, name, b)

    def grow(self) -> None:
        """Enlarge whichever tables are nearly full (the kernel stopped to ask for room)."""
        if self.acc_i[L.I_N_OPEN] + 3 > self.pos_i.shape[0] or self.acc_i[L.I_ORD_HIGH] + 4 > self.ord_i.shape[0]:
            for name in ("pos_i", "pos_f", "ord_i", "ord_f"):
                a = getattr(self, name)
                b = np.zeros((a.shape[0] * 2,) + a.shape[1:], dtype=a.dtype)
                b[: a.shape[0]] = a
                setattr(self, name, b)
            self._cand()
        self._grow_rows(("deal_i", "deal_f"), L.I_N_DEALS)
        self._grow_rows(("tr_i", "tr_f"), L.I_N_TRADES)
        self._grow_rows(("ev_i", "ev_f"), L.I_N_EVENTS)
        self._grow_rows(("ser_t", "ser_f"), L.I_N_SERIES)

    def advance(self, end: int) -> None:
        """Simulate quotes up to (not including) ``end``."""
        q = self.q
        while self.i < end:
            i = run_segment(q.time, q.sym, q.bid, q.ask, q.flags, self.i, end, self.params, self.sym_f,
                            self.band_floor, self.band_lev, self.px, self.acc_f, self.acc_i, self.pos_i, self.pos_f,
                            self.ord_i, self.ord_f, self.deal_i, self.deal_f, self.tr_i, self.tr_f, self.ev_i,
                            self.ev_f, self.ser_t, self.ser_f, self.roll_t, self.roll_f, self.hmr, self.hmr_cap, self.cash_t,
                            self.dec_idx, self.dec_tgt, self.scratch, self.cand_t, self.cand_k)
            self.i = i
            if self.acc_i[L.I_ERROR]:
                return
            if i < end:
                self.grow()

    def set_decisions(self, idx: np.ndarray, targets: np.ndarray) -> None:
        """Run compiled target positions for symbol 0: ``targets[d]`` signed lots at quote ``idx[d]``."""
        self.params[L.P_VEC_SYM] = 0.0
        self.dec_idx, self.dec_tgt = idx, targets
        self.acc_i[L.I_DEC_PTR] = 0

    def next_stream(self, stream: Stream, roll_t: np.ndarray, roll_f: np.ndarray, hmr: np.ndarray,
                    hmr_cap: np.ndarray, cash_t: np.ndarray) -> None:
        """Continue the same account on the next chunk of quotes, with that chunk's schedules."""
        self.q, self.i = stream, 0
        self.roll_t, self.roll_f, self.hmr, self.hmr_cap, self.cash_t = roll_t, roll_f, hmr, hmr_cap, cash_t
        self.acc_i[L.I_ROLL_PTR] = self.acc_i[L.I_HMR_PTR] = self.acc_i[L.I_CASH_PTR] = 0

    def recalc(self) -> None:
        recalc(self.params, self.sym_f, self.band_floor, self.band_lev, self.px, self.acc_f, self.acc_i, self.pos_i,
               self.pos_f, self.hmr, self.hmr_cap, self.scratch, False)

    def finish(self, reason: int) -> None:
        self.grow()
        close_all(self.params, self.sym_f, self.band_floor, self.band_lev, self.px, self.acc_f, self.acc_i,
                  self.pos_i, self.pos_f, self.deal_i, self.deal_f, self.tr_i, self.tr_f, self.ev_i, self.ev_f,
                  self.ser_t, self.ser_f, self.hmr, self.hmr_cap, self.scratch, reason)

    def book_external(self, kind: int, t: int, amount_minor: int) -> None:
        """A deal from outside the kernel (the deposit, a bonus)."""
        n = self.acc_i[L.I_N_DEALS]
        if kind != L.D_BONUS:
            self.acc_i[L.I_BALANCE] += amount_minor
        self.deal_i[n] = (t, kind, 0, amount_minor, self.acc_i[L.I_BALANCE], -1, 0)
        self.deal_f[n] = (0.0, 0.0)
        self.acc_i[L.I_N_DEALS] = n + 1

    def add_order(self, s: int, side: int, typ: int, lots: float, price: float = math.nan, sl: float = math.nan,
                  tp: float = math.nan, pos_id: int = 0) -> int:
        free = np.flatnonzero(self.ord_i[:, L.OI_ACTIVE] == 0)
        if free.size == 0 or free[0] + 4 >= self.ord_i.shape[0]:
            self.acc_i[L.I_ORD_HIGH] = self.ord_i.shape[0]
            self.grow()
            free = np.flatnonzero(self.ord_i[:, L.OI_ACTIVE] == 0)
        j = int(free[0])
        oid = int(self.acc_i[L.I_NEXT_ORDER_ID])
        self.acc_i[L.I_NEXT_ORDER_ID] += 1
        self.ord_i[j] = (1, oid, s, side, typ, pos_id, self.acc_i[L.I_NOW], L.R_SIGNAL)
        self.ord_f[j] = (lots, price, sl, tp)
        self.acc_i[L.I_ORD_HIGH] = max(int(self.acc_i[L.I_ORD_HIGH]), j + 1)
        return oid
