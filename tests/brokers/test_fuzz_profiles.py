"""Fuzzing the loader with random mutations of the real profiles (a scalar replaced by a value of
another kind, a key deleted or added, a list item duplicated): it either loads the profile or raises
its own ProfileError naming the file and a field; never another exception, never a hang."""

from __future__ import annotations

import copy
import math
import re
from datetime import timedelta
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leverlab.brokers import ProfileError, parse_profile
from leverlab.brokers.loader import PROFILES_DIR, read_text, read_yaml

PROFILES = {p.stem: read_yaml(read_text(p), p.name)[0] for p in sorted(PROFILES_DIR.glob("*.yaml"))}

ODD_VALUES = st.one_of(
    st.sampled_from([-1, -0.01, 0, 1e308, -1e308, 10**30, 10**400, math.nan, math.inf, -math.inf, True, False,
                     None, "", "unknown", "unlimited", "NaN", "-inf", "1:500", "2025-13-45", [], {}]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**20, max_value=10**20),
    st.text(max_size=12),
    st.lists(st.one_of(st.integers(), st.text(max_size=4)), max_size=3),
    st.dictionaries(st.text(max_size=6), st.one_of(st.integers(), st.floats(), st.text(max_size=4)), max_size=3),
)
# every problem line of a ProfileError: "<file>[:<line>]: <field path>: <what was found and expected>"
PROBLEM = re.compile(r"^  fuzz\.yaml(:\d+)?: \S.*: .+", re.M)


def _containers(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping and list inside ``obj`` (``obj`` itself included)."""
    out = [path] if isinstance(obj, (dict, list)) else []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        out += _containers(v, path + (k,))
    return out


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        obj = obj[step]
    return obj


@st.composite
def mutated_profile(draw: st.DrawFn) -> str:
    """One real profile with one random mutation, as YAML text."""
    data = copy.deepcopy(PROFILES[draw(st.sampled_from(sorted(PROFILES)))])
    target = _get(data, draw(st.sampled_from(_containers(data))))
    keys = list(target) if isinstance(target, dict) else list(range(len(target)))
    action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "duplicate"]))
    if action == "add" or not keys:
        if isinstance(target, dict):
            target[draw(st.text(min_size=1, max_size=12))] = draw(ODD_VALUES)
        else:
            target.append(draw(ODD_VALUES))
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    key = draw(st.sampled_from(keys))
    if action == "replace":
        target[key] = draw(ODD_VALUES)
    elif action == "delete":
        del target[key]
    elif isinstance(target, list):
        target.insert(key, copy.deepcopy(target[key]))
    else:
        target[key] = [target[key], copy.deepcopy(target[key])]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@settings(max_examples=120, deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(mutated_profile())
def test_mutated_profile_loads_or_fails_naming_file_and_field(text: str) -> None:
    _loads_in_range_or_fails_well(text)


def test_bundled_profiles_hold_only_finite_numbers_in_range() -> None:
    for data in PROFILES.values():
        _loads_in_range_or_fails_well(yaml.safe_dump(data, sort_keys=False))


def _loads_in_range_or_fails_well(text: str) -> None:
    """Loads with every number finite (and >= 0 but for swap points), or fails naming file and field."""
    try:
        profile = parse_profile(text, "fuzz.yaml")
    except ProfileError as exc:
        msg = str(exc)
        assert msg.startswith("fuzz.yaml"), msg
        assert PROBLEM.search(msg), f"no line naming a field in:\n{msg}"
        return
    for path, number in _numbers(profile.model_dump()):
        assert math.isfinite(number), f"{path} = {number} was accepted"
        assert number >= 0 or re.search(r"\.table\.value\.[^.]+\.(long|short)$", path), \
            f"{path} = {number} was accepted"


def _numbers(obj: Any, path: str = "") -> list[tuple[str, float]]:
    """(path, number) of every number in a dumped profile (true/false are not numbers)."""
    if isinstance(obj, dict):
        return [n for k, v in obj.items() for n in _numbers(v, f"{path}.{k}")]
    if isinstance(obj, list):
        return [n for i, v in enumerate(obj) for n in _numbers(v, f"{path}.{i}")]
    return [(path, obj)] if isinstance(obj, (int, float)) and not isinstance(obj, bool) else []

