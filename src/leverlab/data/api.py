"""The entry point users call to get market data: :func:`load` (a file, a store symbol or a bundled
sample). Reading one file is :func:`leverlab.data.read`, in the readers package below the store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ._sample import load_sample
from .errors import DataError
from .frames import Bars, Frame, Ticks
from .validate import validate


def load(source: str | os.PathLike[str], symbol: str | None = None, *, store: str | os.PathLike[str] | None = None,
         timeframe: str | None = None, **reader_options: Any) -> Ticks | Bars:
    """Load market data from a file path, the local store, or a bundled sample.

    - ``"sample:eurusd-h1"`` / ``"sample:xauusd-h1"``: the bundled Oanda H1 bid/ask bars.
    - an existing path: read with its format detected (``format=`` to choose), validated.
    - otherwise a symbol in the store (``store=`` or the user data directory); ``timeframe``
      picks bars of that timeframe, else ticks if present.

    ``timeframe`` on ticks or finer bars resamples them (e.g. ticks -> ``"H1"``).
    ``meta["tz_assumed"]`` is True when (some of) the times had no stated zone and were taken as UTC.

    >>> bars = load("sample:eurusd-h1")
    >>> len(bars), bars.timeframe
    (74439, 'H1')
    """
    src = str(source)
    if src.lower().startswith("sample:"):
        frame: Frame = load_sample(src)
        frame.meta["report"] = validate(frame).to_dict()
    elif Path(src).exists():
        if symbol is not None:
            reader_options.setdefault("symbol", symbol)
        from .readers import read  # the readers pull in pyarrow's CSV and compute modules: only for a file

        frame = read(src, **reader_options)
    else:
        from .store import Store

        st = Store(store)
        if not st.has(src):
            raise DataError(f"{src!r} is neither a file, a symbol in the store at {st.root}, nor a sample",
                            expected="a path, a stored symbol (see `leverlab data list`) or sample:eurusd-h1")
        frame = st.load(src, timeframe=timeframe, **reader_options)
    if timeframe and getattr(frame, "timeframe", None) != timeframe:
        from .resample import resample_bars, resample_ticks

        frame = resample_ticks(frame, timeframe) if isinstance(frame, Ticks) else resample_bars(frame, timeframe)
    frame.meta.setdefault("tz_assumed", False)
    return frame
