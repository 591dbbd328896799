"""Market data in: one columnar representation (:class:`Ticks`, :class:`Bars`, UTC nanoseconds),
readers for the formats FX traders hold, validation with explicit policies, resampling, a local
Parquet store, a bundled real sample and a synthetic generator.

>>> from leverlab.data import load
>>> bars = load("sample:eurusd-h1")
>>> bars.symbol, len(bars), bars.two_sided
('EURUSD', 74439, True)
"""

from ._sample import load_sample, sample_names
from ._tz import describe as describe_zone
from ._tz import to_utc as local_to_utc
from .api import load
from .errors import CorruptFileError, DataError, FormatError, ParseError, StoreError, ValidationError
from .frames import TIMEFRAMES, Bars, Ticks, combine_sides, concat, timeframe_ns
from .resample import intrabar_path, iter_resample_ticks, resample_bars, resample_ticks
from .store import Store
from .synthetic import GapEvent, iter_synthetic_bars, iter_synthetic_ticks, synthetic_bars, synthetic_ticks
from .validate import DEFAULT_POLICY, Issue, ValidationReport, validate

__all__ = ["local_to_utc", "describe_zone",
    "Ticks", "Bars", "TIMEFRAMES", "timeframe_ns", "concat",
    "load", "read", "detect", "load_sample", "sample_names", "combine_sides",
    "resample_ticks", "resample_bars", "iter_resample_ticks", "intrabar_path", "Store",
    "synthetic_ticks", "synthetic_bars", "iter_synthetic_ticks", "iter_synthetic_bars", "GapEvent",
    "validate", "ValidationReport", "Issue", "DEFAULT_POLICY",
    "DataError", "FormatError", "ParseError", "CorruptFileError", "ValidationError", "StoreError",
]


def __getattr__(name: str):  # readers load on first use, keeping ``import leverlab`` quick
    if name in ("detect", "read"):
        from . import readers

        return getattr(readers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
