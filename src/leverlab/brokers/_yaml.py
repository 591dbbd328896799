"""Reading YAML data files safely: PyYAML's safe loader behind limits on size, nesting and aliases.

Profiles and ``regulation.yaml`` are small (tens of kB, nesting 8, a handful of aliases); a file
past the limits below (an alias bomb, a huge file, deep nesting) fails at once with a ``ProfileError``
naming the file, before PyYAML builds anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class ProfileError(ValueError):
    """A broker profile that cannot be used: names file, line, field path, found and expected."""


# Limits on a YAML file; bundled profiles are 5-20 kB, nest 8 deep, hold < 1,500 values (aliases expanded)
# and < 20 aliases.
MAX_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NODES = 20_000  # each alias counted as a copy of what it names (a 342-byte "billion laughs" to 9**9)
MAX_ALIASES = 200


def read_text(path: Path) -> str:
    """The UTF-8 text of a YAML file, refusing (unread) a file over ``MAX_BYTES``."""
    with open(path, "rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ProfileError(f"{path}: file is larger than the limit of {MAX_BYTES:,} bytes for a YAML data file "
                           f"(a profile is 5-20 kB); not read")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path}: not UTF-8 text (byte {exc.start}); expected a UTF-8 YAML file") from None


class _Loader(yaml.SafeLoader):
    """The safe loader, with a scalar it cannot convert (``2025-13-45``, a 5000-digit int) as a YAML error."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {str(node.value)[:80]!r}: {exc}",
                                                    node.start_mark) from None


def read_yaml(text: str, filename: str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree (for line numbers) of YAML text, within the limits above.

    Raises ``ProfileError`` naming the file (and the line, when known) for text over ``MAX_BYTES``,
    nesting deeper than ``MAX_DEPTH``, more than ``MAX_ALIASES`` aliases, aliases expanding beyond
    ``MAX_NODES`` nodes, a recursive alias, a key twice in a mapping, or anything the safe loader refuses.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ProfileError(f"{filename}: text is larger than the limit of {MAX_BYTES:,} bytes for a YAML data "
                           f"file (a profile is 5-20 kB)")
    try:
        _check_shape(text, filename)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}" if mark else filename
        raise ProfileError(f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    return data, node


def _check_shape(text: str, filename: str) -> None:
    """Walk the YAML events (no recursion, nothing built) and refuse a document beyond the limits,
    or one with a key twice in a mapping (YAML would keep the last silently)."""
    nodes = aliases = 0
    open_: list[tuple[str | None, int]] = []  # (anchor, node count at its start) of each open collection
    keys: list[set[str] | None] = []  # the keys seen so far of each open mapping (None: a sequence)
    items: list[int] = []  # child nodes seen so far of each open collection (in a mapping, even = a key)
    sizes: dict[str, int] = {}  # anchor -> nodes an alias to it stands for

    def refuse(event: yaml.Event, problem: str) -> ProfileError:
        line = "?" if event.start_mark is None else event.start_mark.line + 1
        return ProfileError(f"{filename}:{line}: YAML refused: {problem}")

    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if items and isinstance(ev, (yaml.AliasEvent, yaml.ScalarEvent, yaml.CollectionStartEvent)):
            seen = keys[-1]
            if seen is not None and items[-1] % 2 == 0 and isinstance(ev, yaml.ScalarEvent):
                if ev.value in seen:
                    raise refuse(ev, f"key {ev.value!r} appears twice in one mapping; expected each key once")
                seen.add(ev.value)
            items[-1] += 1
        if isinstance(ev, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise refuse(ev, f"more than {MAX_ALIASES} aliases (*name); a profile has fewer than 20")
            if any(a == ev.anchor for a, _ in open_):
                raise refuse(ev, f"alias *{ev.anchor} refers to a collection that contains it (a cycle)")
            nodes += sizes.get(ev.anchor or "", 1)
        elif isinstance(ev, yaml.ScalarEvent):
            nodes += 1
            if ev.anchor:
                sizes[ev.anchor] = 1
        elif isinstance(ev, yaml.CollectionStartEvent):
            open_.append((ev.anchor, nodes))
            keys.append(set() if isinstance(ev, yaml.MappingStartEvent) else None)
            items.append(0)
            nodes += 1
            if len(open_) > MAX_DEPTH:
                raise refuse(ev, f"nested deeper than {MAX_DEPTH} levels; a profile nests about 8")
        elif isinstance(ev, yaml.CollectionEndEvent):
            anchor, start = open_.pop()
            keys.pop()
            items.pop()
            if anchor:
                sizes[anchor] = nodes - start
        if nodes > MAX_NODES:
            raise refuse(ev, f"more than {MAX_NODES:,} values once aliases are expanded (an alias bomb?); "
                             f"a profile has fewer than 1,500")
