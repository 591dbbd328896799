"""The one leverage parser and formatter every module and command uses."""

from __future__ import annotations

import math

import pytest

from leverlab.brokers.schema import leverage_json, leverage_text, parse_leverage


@pytest.mark.parametrize("text, value", [("1:500", 500.0), ("500", 500.0), (" 1:30 ", 30.0), (2000, 2000.0),
                                         ("unlimited", math.inf), ("Infinite", math.inf), ("inf", math.inf),
                                         (1, 1.0)])
def test_parse_leverage_reads_every_written_form(text, value):
    assert parse_leverage(text) == value


@pytest.mark.parametrize("text, needle", [("lots", "expected a number"), ("1:", "expected a number"),
                                          ("0", "1 or more"), ("-5", "1 or more"), (0.5, "1 or more"),
                                          ("nan", "1 or more")])
def test_parse_leverage_refuses_with_the_value_found(text, needle):
    with pytest.raises(ValueError, match=needle) as info:
        parse_leverage(text)
    assert repr(text) in str(info.value)


def test_leverage_text_and_json_forms():
    assert [leverage_text(v) for v in (30.0, 500, 33.3, math.inf, "unlimited", None, "unknown", math.nan)] == [
        "1:30", "1:500", "1:33.3", "unlimited", "unlimited", "unknown", "unknown", "unknown"]
    assert [leverage_json(v) for v in (30.0, math.inf, None, math.nan)] == [30.0, "unlimited", None, None]
