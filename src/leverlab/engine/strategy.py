"""The strategy's side of the engine: ``Strategy`` and the ``_Broker`` it talks to.

A strategy reads prices (``self.data.Close[-1]``), indicators made with ``self.I``, and the
account (``self.account.equity``, ``.free_margin``, ``.margin_level``, ``self.position``), and
places orders in lots or units with optional SL/TP. Orders decided at a bar's close fill at the
next price the engine sees (no look-ahead). ``_Broker`` turns those calls into calls on the
run's :class:`~leverlab.engine.account.Account`; ``Backtest`` moves the cursor ``_i``.

>>> from leverlab import load
>>> from leverlab.engine import Backtest
>>> from leverlab.strategies import crossover, sma
>>> class Pullback(Strategy):
...     n = 20
...     def init(self):
...         self.ma = self.I(sma, self.data.Close, self.n)
...     def next(self):
...         if not self.position and crossover(self.data.Close, self.ma):
...             c = self.data.Close[-1]
...             self.buy(lots=0.1, sl=c - 0.0050, tp=c + 0.0050)
>>> r = Backtest(load("sample:eurusd-h1").take(slice(0, 2_000)), Pullback, broker="exness",
...              account_type="standard", country="SC", deposit=1_000).run(n=30)
>>> r.stats.trades > 10, r.final_balance == r.ledger_balance(), Pullback.param_names()
(True, True, ['lots', 'n', 'risk', 'units'])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..data.frames import Bars
from .account import Account, AccountView, PositionView
from .errors import OrderError
from .result import Event


class _View:
    """An array seen up to the current bar: ``v[-1]`` is the current value, ``v[-2]`` the previous."""

    __slots__ = ("_a", "_owner", "name")

    def __init__(self, a: np.ndarray, owner: Strategy, name: str = "") -> None:
        self._a = a
        self._owner = owner
        self.name = name

    def __getitem__(self, key: Any) -> Any:
        n = self._owner._i + 1
        if isinstance(key, int):
            k = key + n if key < 0 else key
            if not 0 <= k < n:
                raise IndexError(f"{self.name or 'series'}[{key}]: only {n} bar(s) are visible at this bar")
            return self._a[k]
        return self._a[:n][key]

    def __len__(self) -> int:
        return self._owner._i + 1

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self._a[: self._owner._i + 1]
        return a if dtype is None else a.astype(dtype)

    @property
    def values(self) -> np.ndarray:
        """The whole array (all bars; for use in ``init`` only)."""
        return self._a

    def __float__(self) -> float:
        return float(self[-1])


class _Data:
    """The primary symbol's decision bars: ``Open, High, Low, Close`` (bid), ``Ask``, ``time``."""

    def __init__(self, bars: Bars, owner: Strategy) -> None:
        self.bars = bars
        self.symbol: str = bars.symbol
        self.Open = _View(np.asarray(bars.bid_open, dtype=np.float64), owner, "Open")
        self.High = _View(np.asarray(bars.bid_high, dtype=np.float64), owner, "High")
        self.Low = _View(np.asarray(bars.bid_low, dtype=np.float64), owner, "Low")
        self.Close = _View(np.asarray(bars.bid_close, dtype=np.float64), owner, "Close")
        ask = bars.ask_close if bars.ask_close is not None else bars.bid_close
        self.Ask = _View(np.asarray(ask, dtype=np.float64), owner, "Ask")
        vol = bars.volume if bars.volume is not None else np.zeros(len(bars))
        self.Volume = _View(np.asarray(vol, dtype=np.float64), owner, "Volume")
        self.Time = _View(np.asarray(bars.time, dtype=np.int64), owner, "Time")
        self._owner = owner

    def __len__(self) -> int:
        return self._owner._i + 1

    @property
    def time(self) -> int:
        """UTC ns open time of the current bar."""
        return int(self.Time[-1])


class Strategy:
    """Base class of every strategy. Class attributes are parameters (override with ``params``).

    Sizing: ``lots``, ``units`` or ``risk`` (percent of equity lost if the SL is hit) set the
    default order size used by ``buy()``/``sell()`` when no size is passed.
    """

    lots: float | None = None
    units: float | None = None
    risk: float | None = None

    def __init__(self, broker: _Broker, bars: Bars, params: dict[str, Any] | None = None) -> None:
        for k, v in self.checked_params(params).items():
            setattr(self, k, v)
        self._broker = broker
        self._i = len(bars) - 1
        self.data = _Data(bars, self)
        self._i = -1

    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the parameters (public, non-callable class attributes)."""
        out = []
        for klass in cls.__mro__:
            for k, v in vars(klass).items():
                if not k.startswith("_") and not callable(v) and not isinstance(v, (property, classmethod,
                                                                                     staticmethod)):
                    out.append(k)
        return sorted(set(out))

    @classmethod
    def checked_params(cls, params: dict[str, Any] | None) -> dict[str, Any]:
        """Parameters checked against the class: unknown names raise TypeError, text values (from a
        command line) are converted to the type of the parameter's default (ValueError if they can't be)."""
        names = cls.param_names()
        out: dict[str, Any] = {}
        for k, v in (params or {}).items():
            if k not in names:
                raise TypeError(f"{cls.__name__} has no parameter {k!r}; parameters: {', '.join(names)}")
            out[k] = _coerce(k, getattr(cls, k), v)
        return out

    # ---- to override
    def init(self) -> None:
        """Prepare indicators (``self.I``); called once before the first bar."""

    def next(self) -> None:
        """Decide at the close of the current bar."""

    # ---- indicators and data
    def I(self, func: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any) -> _View:  # noqa: E743
        """Compute an indicator over all bars once; read it bar by bar (``ind[-1]`` is the current value)."""
        args2 = [a.values if isinstance(a, _View) else a for a in args]
        arr = np.asarray(func(*args2, **kwargs), dtype=np.float64)
        if arr.shape[-1] != len(self.data.bars):
            raise ValueError(f"indicator {name or getattr(func, '__name__', 'I')} has length {arr.shape[-1]}, "
                             f"expected one value per bar ({len(self.data.bars)})")
        return _View(arr, self, name or str(getattr(func, "__name__", "indicator")))

    def decision_bars(self) -> np.ndarray | None:
        """Bars on which ``next()`` may act (a bool per bar), or None for every bar.

        Called once after ``init()``. A strategy whose decisions depend only on its indicators
        (e.g. a cross) can name those bars; the engine then simulates the quiet stretches between
        them in one compiled run instead of returning to Python at every bar. Same results, fewer
        round trips. A bar's flag must depend on data up to that bar only.
        """
        return None

    @property
    def time(self) -> int:
        """UTC ns open time of the current decision bar."""
        return self.data.time

    @property
    def account(self) -> AccountView:
        """The account now: ``balance, equity, margin, free_margin, margin_level, credit``."""
        return self._broker.account()

    @property
    def position(self) -> NetPosition:
        """The net position in the primary symbol (falsy when flat)."""
        return self._broker.net_position(self.data.symbol)

    @property
    def positions(self) -> list[PositionView]:
        """Every open position (all symbols)."""
        return self._broker.positions()

    @property
    def orders(self) -> list[dict[str, Any]]:
        """Pending orders not yet filled."""
        return self._broker.orders()

    # ---- orders
    def order_size(self, sl_distance: float | None = None, symbol: str | None = None) -> float:
        """The default order size in lots from ``lots`` / ``units`` / ``risk`` (risk needs an SL distance)."""
        sym = symbol or self.data.symbol
        if self.lots is not None:
            return float(self.lots)
        if self.units is not None:
            return float(self.units) / self._broker.contract_size(sym)
        if self.risk is not None:
            if not sl_distance or sl_distance <= 0:
                hint = " (built-ins: --param sl_pips=N)" if hasattr(self, "sl_pips") else ""
                raise ValueError(f"risk sizing needs a stop-loss: pass sl=... with the order{hint}")
            lots = self._broker.lots_for_risk(sym, float(self.risk), float(sl_distance))
            return lots
        return self._broker.min_lot(sym)

    def _order(self, side: int, lots: float | None, units: float | None, sl: float | None, tp: float | None,
               limit: float | None, stop: float | None, symbol: str | None) -> int:
        sym = symbol or self.data.symbol
        ref = limit if limit is not None else (stop if stop is not None else float(self.data.Close[-1]))
        if lots is None and units is not None:
            lots = units / self._broker.contract_size(sym)
        if lots is None:
            lots = self.order_size(abs(ref - sl) if sl is not None else None, sym)
            if lots == 0.0 and self.lots is None and self.units is None:
                return 0  # risk sizing refused the order (below the minimum lot): the reject event says why
        return self._broker.submit(sym, side, float(lots), sl, tp, limit, stop)

    def buy(self, lots: float | None = None, *, units: float | None = None, sl: float | None = None,
            tp: float | None = None, limit: float | None = None, stop: float | None = None,
            symbol: str | None = None) -> int:
        """Buy (at the ask of the next price); ``limit``/``stop`` make it a pending order. Returns the order id
        (0: no order, when ``risk`` sizing gives less than the minimum lot - see the reject event)."""
        return self._order(1, lots, units, sl, tp, limit, stop, symbol)

    def sell(self, lots: float | None = None, *, units: float | None = None, sl: float | None = None,
             tp: float | None = None, limit: float | None = None, stop: float | None = None,
             symbol: str | None = None) -> int:
        """Sell (at the bid of the next price); ``limit``/``stop`` make it a pending order."""
        return self._order(-1, lots, units, sl, tp, limit, stop, symbol)

    def close(self, position_id: int = 0, *, lots: float | None = None, symbol: str | None = None) -> None:
        """Close a position (by id) or every position of a symbol, fully or ``lots`` of it, at the next price."""
        self._broker.close(symbol or self.data.symbol, position_id, lots)

    def modify(self, position_id: int, *, sl: float | None = math.nan, tp: float | None = math.nan) -> None:
        """Change a position's SL/TP (None removes it; omitted keeps it)."""
        self._broker.modify(position_id, sl, tp)

    def cancel(self, order_id: int) -> None:
        """Delete a pending order."""
        self._broker.cancel(order_id)

    def events(self, since: int = 0) -> list[Event]:
        """The account's events number ``since`` onwards: rejects (with their reason), cancels, margin calls..."""
        return self._broker.events(since)


class NetPosition:
    """The net position of one symbol: ``size`` in signed lots; falsy when flat."""

    def __init__(self, broker: _Broker, symbol: str, legs: list[PositionView]) -> None:
        self._broker = broker
        self.symbol = symbol
        self.legs = legs
        self.size = sum(p.size for p in legs)
        self.pl = sum(p.profit for p in legs)

    @property
    def lots(self) -> float:
        return abs(self.size)

    @property
    def is_long(self) -> bool:
        return self.size > 0

    @property
    def is_short(self) -> bool:
        return self.size < 0

    def __bool__(self) -> bool:
        return bool(self.legs)

    def close(self, portion: float = 1.0) -> None:
        """Close all (or ``portion`` of) this symbol's positions at the next price."""
        if portion >= 1.0:
            self._broker.close(self.symbol, 0, None)
        else:
            self._broker.close(self.symbol, 0, self._broker.round_lots(self.symbol, self.lots * portion))

    def __repr__(self) -> str:
        return f"NetPosition({self.symbol}, size={self.size:g}, pl={self.pl:.2f})"


class _Broker:
    """What a strategy talks to: its account, with the sizing helpers a strategy needs."""

    def __init__(self, account: Account) -> None:
        self._account = account

    def contract_size(self, symbol: str) -> float:
        return self._account.volume(symbol).contract_size

    def min_lot(self, symbol: str) -> float:
        return self._account.volume(symbol).min_lot

    def round_lots(self, symbol: str, lots: float) -> float:
        return self._account.volume(symbol).floor(lots)

    def lots_for_risk(self, symbol: str, risk_pct: float, sl_distance: float) -> float:
        """Lots risking at most ``risk_pct`` % (0.0, with a ``below_min_lot`` reject event, when even the
        minimum lot would risk more)."""
        return self._account.size_for_risk(symbol, risk_pct, sl_distance)

    def submit(self, symbol: str, side: int, lots: float, sl: float | None, tp: float | None, limit: float | None,
               stop: float | None) -> int:
        return self._account.submit(symbol, side, lots, sl=sl, tp=tp, limit=limit, stop=stop)

    def close(self, symbol: str, position_id: int, lots: float | None) -> None:
        self._account.close(symbol, position_id, lots)

    def modify(self, position_id: int, sl: float | None, tp: float | None) -> None:
        self._account.modify(position_id, sl=sl, tp=tp)

    def cancel(self, order_id: int) -> None:
        self._account.cancel(order_id)

    def account(self) -> AccountView:
        return self._account.view()

    def positions(self, symbol: str | None = None) -> list[PositionView]:
        return self._account.positions(symbol)

    def net_position(self, symbol: str) -> NetPosition:
        return NetPosition(self, symbol, self.positions(symbol))

    def orders(self) -> list[dict[str, Any]]:
        return self._account.orders()

    def events(self, since: int) -> list[Event]:
        return self._account.events(since)


def _coerce(name: str, default: Any, value: Any) -> Any:
    """A value (text from a command line, or a number) as the type of the parameter's default;
    ValueError naming the parameter when it is not one (``fast=5.5`` for an integer parameter)."""
    try:
        if not isinstance(value, str):
            if isinstance(default, bool) and value in (0, 1):
                return bool(value)
            if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float):
                if not value.is_integer():
                    raise ValueError
                return int(value)
            if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
                return float(value)
            return value
        text = value.strip()
        if isinstance(default, bool):
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float) or default is None:
            if text.lower() in ("none", "null", ""):
                return None
            f = float(text)
            return int(f) if default is None and f.is_integer() and "." not in text else f
    except ValueError:
        raise ValueError(f"parameter {name}={value!r}: expected {type(default).__name__}") from None
    return text


__all__ = ["Strategy", "OrderError", "AccountView", "PositionView", "NetPosition"]
