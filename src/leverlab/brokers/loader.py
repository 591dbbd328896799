"""Finding, reading and validating broker profile files.

A profile is found by id (a file ``<id>.yaml`` in the bundled ``profiles`` folder) or by path.
Any problem is raised as ``ProfileError`` naming the file, the line, the field path, what was
found and what was expected. YAML is read with the safe loader and within limits (size, nesting,
alias expansion; ``_yaml.read_yaml``) so a hostile or broken file fails at once instead of hanging.

>>> load_broker("exness").name
'Exness'
>>> "xm" in broker_ids()
True
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..instruments import Instrument, UnknownSymbolError, instrument
from ._countries import COUNTRIES
from ._yaml import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_NODES, ProfileError, read_text, read_yaml  # noqa: F401
from .schema import _AT, BrokerProfile, SwapTerms

PROFILES_DIR = Path(__file__).with_name("profiles")
COUNTRY_GROUPS = ("EU", "EEA", "REST")


class UnknownBrokerError(LookupError):
    """A broker id that has no bundled profile (and is not a path to one)."""

    def __str__(self) -> str:
        return str(self.args[0])


def broker_ids() -> list[str]:
    """Ids of the bundled broker profiles, sorted."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def load_broker(name_or_path: str | os.PathLike[str]) -> BrokerProfile:
    """A broker profile by id (``"exness"``) or by the path of a YAML file.

    Raises ``UnknownBrokerError`` (a ``LookupError``) for an unknown id and ``ProfileError`` for a
    file that does not validate.
    """
    text = os.fspath(name_or_path)
    path = PROFILES_DIR / f"{text.lower()}.yaml"
    if not path.is_file():
        candidate = Path(text).expanduser()
        looks_like_path = candidate.suffix in (".yaml", ".yml") or os.sep in text or "/" in text
        if looks_like_path and candidate.is_file():
            path = candidate
        elif looks_like_path:
            raise UnknownBrokerError(f"no broker profile file at {text!r}; "
                                     f"bundled broker ids: {', '.join(broker_ids())}")
        else:
            raise UnknownBrokerError(f"unknown broker {text!r}; expected one of: {', '.join(broker_ids())} "
                                     f"(or the path of a profile .yaml file)")
    path = path.resolve()
    return _load_cached(str(path), path.stat().st_mtime_ns)


def load_all() -> list[BrokerProfile]:
    """Every bundled profile, in id order."""
    return [load_broker(i) for i in broker_ids()]


@lru_cache(maxsize=64)
def _load_cached(path: str, _mtime: int) -> BrokerProfile:
    return parse_profile(read_text(Path(path)), path)


def parse_profile(text: str, filename: str = "<profile>") -> BrokerProfile:
    """Validate profile YAML text; ``filename`` is used in error messages."""
    data, node = read_yaml(text, filename)
    if not isinstance(data, dict) or node is None:
        raise ProfileError(f"{filename}: expected a mapping of profile fields at the top level, "
                           f"found {type(data).__name__}")
    try:
        profile = BrokerProfile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(_format_validation(exc, node, filename)) from None
    _check_semantics(profile, node, filename)
    return profile


# ------------------------------------------------------------------ error formatting
def _descend(node: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[list[str], yaml.Node | None, list[str]]:
    """Walk ``loc`` through the YAML node tree; return (path found, deepest node, rest of loc)."""
    path: list[str] = []
    cur = node
    rest = list(loc)
    while rest:
        step = rest[0]
        nxt = None
        if isinstance(cur, yaml.MappingNode):
            for k, v in cur.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(step):
                    nxt = v
                    break
        elif isinstance(cur, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(cur.value):
            nxt = cur.value[step]
        rest.pop(0)
        if nxt is not None:
            path.append(str(step))
            cur = nxt
        elif isinstance(step, str) and (cur is None or isinstance(cur, yaml.MappingNode)) and not _is_tag(step):
            path.append(step)  # a missing key: report it, keep the parent's line
    return path, cur, rest


def _is_tag(step: str) -> bool:
    """Pydantic's union / validator tags in ``loc`` (``float``, ``literal['unknown']``, ...)."""
    return any(c in step for c in "[]()-") or step in ("float", "int", "str", "bool", "list", "dict",
                                                       "constrained-float", "function-after")


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _format_validation(exc: ValidationError, root: yaml.Node, filename: str) -> str:
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    order: list[tuple[str, ...]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        msg = str(err["msg"])
        m = _AT.search(msg.removeprefix("Value error, "))
        if m:
            loc = loc + tuple(int(p) if p.isdigit() else p for p in m.group(1).split("."))
        path, node, _ = _descend(root, loc)
        key = tuple(path)
        if key not in grouped:
            grouped[key] = []
            order.append(key)
        grouped[key].append({**err, "_node": node, "_sub": bool(m)})
    lines = []
    for key in order:
        errs = grouped[key]
        node = errs[0]["_node"]
        dotted = _dotted(key) or "<top level>"
        where = f"{filename}:{_line(node)}" if _line(node) else filename
        if any(e["type"] == "missing" for e in errs):
            lines.append(f"{where}: {dotted}: required field is missing (found nothing; expected a value for "
                         f"{key[-1]!r})" if key else f"{where}: a required field is missing")
            continue
        found = errs[0].get("input")
        msgs = []
        for e in errs:
            msg = _AT.sub("", str(e["msg"]).removeprefix("Value error, "))
            if msg not in msgs:
                msgs.append(msg)
        if errs[0]["_sub"]:  # the message names what was found and what was expected
            lines.append(f"{where}: {dotted}: {' | '.join(msgs)}")
            continue
        lines.append(f"{where}: {dotted}: found {_short(found)}; expected: {' | or: '.join(msgs)}")
    n = len(lines)
    head = f"{filename}: {n} problem{'s' if n != 1 else ''} in broker profile"
    return head + "\n  " + "\n  ".join(lines)


def _dotted(path: list[str] | tuple[str, ...]) -> str:
    """A field path for a message, a key with a line break or control character quoted."""
    return ".".join(p if p.isprintable() and p else repr(p) for p in map(str, path))


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping with keys " + ", ".join(_dotted([k]) for k in list(value)[:8])
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fail(root: yaml.Node, filename: str, loc: tuple[Any, ...], message: str) -> ProfileError:
    path, node, _ = _descend(root, loc)
    where = f"{filename}:{_line(node)}" if _line(node) else filename
    return ProfileError(f"{filename}: 1 problem in broker profile\n  {where}: {_dotted(path)}: {message}")


def _check_semantics(profile: BrokerProfile, root: yaml.Node, filename: str) -> None:
    """Checks that need other data: regulator ids, ISO country codes, instrument overrides."""
    from .regulation import regimes  # late: regulation loads its own file

    known = regimes()
    for i, e in enumerate(profile.entities):
        if e.regulator is not None and e.regulator not in known:
            raise _fail(root, filename, ("entities", i, "regulator"),
                        f"found unknown regulator {e.regulator!r}; expected null or one of {sorted(known)}")
        for j, c in enumerate(e.serves.countries):
            if c not in COUNTRIES and c not in COUNTRY_GROUPS:
                raise _fail(root, filename, ("entities", i, "serves", "countries", j),
                            f"found {c!r}, which is not a valid ISO-3166 alpha-2 code; expected a code such as "
                            f"'DE' or one of the groups {COUNTRY_GROUPS}")
    for sym, fields in profile.instruments.items():
        try:
            profile_instrument(profile, sym)
        except (ValueError, TypeError) as exc:
            raise _fail(root, filename, ("instruments", sym),
                        f"bad instrument override {fields.fields()}: {exc}") from None
    _check_cost_symbols(profile, root, filename)


def _check_cost_symbols(profile: BrokerProfile, root: yaml.Node, filename: str) -> None:
    """Spread figures, widening rules and swap tables name symbols the broker has (or asset classes)."""
    from ..instruments import ASSET_CLASSES

    def check(key: str, loc: tuple[Any, ...], classes: bool) -> None:
        if classes and (key in ASSET_CLASSES or key == "all"):
            return
        try:
            profile_instrument(profile, key)
        except KeyError:
            expected = "a symbol of the instrument catalog or of the profile's `instruments`"
            if classes:
                expected += f", or an asset class ({', '.join(ASSET_CLASSES)})"
            raise _fail(root, filename, loc, f"found unknown symbol {key!r}; expected {expected}: "
                                             f"{', '.join(profile_symbols(profile))}") from None

    swap_sections: list[tuple[tuple[Any, ...], SwapTerms]] = [(("swaps",), profile.swaps)]
    for i, a in enumerate(profile.account_types):
        base = ("account_types", i, "spread")
        for name in ("typical", "minimum"):
            for key in getattr(a.spread, name):
                check(key, base + (name, key), classes=True)
        for when, w in a.spread.widening.items():
            if w.applies_to is not None:
                for j, sym in enumerate(w.applies_to.symbols):
                    check(sym, base + ("widening", when, "applies_to", "symbols", j), classes=False)
        if a.swaps is not None:
            swap_sections.append((("account_types", i, "swaps"), a.swaps))
    for loc, sw in swap_sections:
        if not sw.table.is_unknown:
            for key in sw.table.value:
                check(key, loc + ("table", "value", key), classes=False)


def profile_instrument(profile: BrokerProfile, symbol: str) -> Instrument:
    """The instrument spec of ``symbol`` at this broker: the catalog's, with the profile's overrides.

    A symbol the catalog lacks can be defined in full in the profile's ``instruments`` section.
    """
    key = symbol.upper()
    over = {k.upper(): v.fields() for k, v in profile.instruments.items()}.get(key)
    try:
        base = instrument(key)
    except UnknownSymbolError:
        if over is None:
            valid = sorted(set(_catalog_symbols()) | {k.upper() for k in profile.instruments})
            raise UnknownSymbolError(f"unknown symbol {symbol!r} at {profile.id}; expected one of: "
                                     f"{', '.join(valid)}") from None
        return Instrument(symbol=key, **over)
    return base.with_overrides(**over) if over else base


def profile_symbols(profile: BrokerProfile) -> list[str]:
    """Every symbol the broker can be asked about: the catalog plus the profile's own definitions."""
    return sorted(set(_catalog_symbols()) | {k.upper() for k in profile.instruments})


def _catalog_symbols() -> list[str]:
    from ..instruments import symbols

    return symbols()
