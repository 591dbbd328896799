"""The engine reports unusable market data with the data layer's one ``DataError``."""

from __future__ import annotations

import numpy as np
import pytest

from leverlab.data import DataError, Ticks
from leverlab.engine._prepare import ticks_to_bars


def test_unsorted_ticks_raise_the_data_layers_error():
    t = np.arange(10, dtype=np.int64) * 1_000_000_000
    t[5] = t[4] - 1
    px = np.full(10, 1.1)
    with pytest.raises(DataError, match="row 5 .* comes before row 4") as info:
        ticks_to_bars(Ticks("EURUSD", t, px, px + 0.0001), "M1")
    assert type(info.value) is DataError
