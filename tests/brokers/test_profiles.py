"""All bundled profiles load, every figure is sourced, and a new broker needs only a file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leverlab.brokers import (
    BrokerProfile,
    ProfileError,
    UnknownBrokerError,
    broker_ids,
    load_all,
    load_broker,
    parse_profile,
    regimes,
)
from leverlab.brokers.schema import Fact, _walk_sources

HERE = Path(__file__).resolve().parent
TEN = ["amarkets", "avatrade", "exness", "fbs", "fpmarkets", "justmarkets", "octa", "pepperstone", "xm", "xtb"]


def test_the_ten_brokers_are_bundled_and_load() -> None:
    assert broker_ids() == TEN
    profiles = load_all()
    assert [p.id for p in profiles] == TEN
    for p in profiles:
        assert isinstance(p, BrokerProfile)
        assert p.entities and p.account_types


@pytest.mark.parametrize("broker", TEN)
def test_every_source_resolves_to_a_url(broker: str) -> None:
    p = load_broker(broker)
    for path, ref in _walk_sources(p, ""):
        if ref is not None:
            url = p.source_url(ref)
            assert url is not None and url.startswith(("http://", "https://")), (path, ref)


def _facts(obj: object, path: str = ""):
    from pydantic import BaseModel

    if isinstance(obj, Fact):
        yield path, obj
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _facts(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _facts(v, f"{path}.{i}")


@pytest.mark.parametrize("broker", TEN)
def test_every_known_figure_has_source_and_confidence(broker: str) -> None:
    p = load_broker(broker)
    facts = list(_facts(p))
    assert facts
    for path, f in facts:
        if not f.is_unknown:
            assert f.source and f.confidence in ("high", "medium", "low"), path


def test_regulators_are_known_regimes() -> None:
    known = set(regimes())
    for p in load_all():
        for e in p.entities:
            assert e.regulator is None or e.regulator in known


def test_every_broker_serves_the_rest_of_the_world_or_says_whom() -> None:
    for p in load_all():
        listed = [c for e in p.entities for c in e.serves.countries]
        assert "REST" in listed, p.id


def test_load_by_path_and_eleventh_broker_needs_no_code() -> None:
    p = load_broker(str(HERE / "eleventh.yaml"))
    assert p.id == "examplefx" and p.leverage.equity_bands[0].bands[1].min == 10000
    from leverlab.brokers import leverage

    assert leverage(p, "classic", "BR", "retail", "EURUSD", 9999.99).leverage == 1000
    assert leverage(str(HERE / "eleventh.yaml"), "classic", "BR", "retail", "EURUSD", 10000).leverage == 100


def test_unknown_broker_names_the_value_and_lists_ids() -> None:
    with pytest.raises(UnknownBrokerError) as exc:
        load_broker("exnes")
    msg = str(exc.value)
    assert "'exnes'" in msg and "exness" in msg and "pepperstone" in msg
    assert isinstance(exc.value, LookupError)
    with pytest.raises(UnknownBrokerError, match="no broker profile file"):
        load_broker(str(HERE / "nope.yaml"))


def test_profiles_are_package_data_and_machine_independent() -> None:
    import leverlab.brokers as pkg

    folder = Path(pkg.__file__).parent
    for f in [*folder.glob("profiles/*.yaml"), folder / "regulation.yaml"]:
        text = f.read_text()
        # no absolute file-system path (URLs are fine: their paths follow a host name)
        assert not re.search(r"(?<![\w:/.])/[A-Za-z_.-]+/", text), f
        assert "shared/reference" not in text, f


def test_invalid_yaml_is_a_profile_error_with_line() -> None:
    with pytest.raises(ProfileError, match=r"x\.yaml:\d+: not valid YAML"):
        parse_profile("id: a\nname: [unclosed\nother: 1\n", "x.yaml")


def test_exness_published_facts() -> None:
    p = load_broker("exness")
    assert p.leverage.max.value == "unlimited"
    std = next(a for a in p.account_types if a.id == "standard")
    assert (std.margin_call.value, std.stop_out.value) == (60, 0)
    ke = next(e for e in p.entities if e.id == "exness_ke")
    assert ke.stop_out is not None and ke.stop_out.value == 20
