"""Copy rules: how many lots a follower opens when its master fills, and who may copy whom.

Pure functions, no account in sight: a backtest (``copytrade.backtest``) and a live server both
call them with the numbers they read from their accounts.

The sizes (``CopyRule.kind``):

- ``octa``: Octa's published rule, follower lots = master lots x follower equity / master equity x
  follower leverage / master leverage. Octa's copy-trading page (octa.yaml ``copy_trading``, source
  ``copy_formula``: https://fofan.org/?p=6088, confidence low) writes it as "copied volume = (copier
  equity / master equity) x (copier leverage / master leverage) x master volume" with the example
  200 / 500 x 100 / 200 x 1 lot = 0.2 lot. The leverage is the one set on each account (not an
  equity band's cap); equities are compared in the underlying currency (a cent account's in units),
  volumes in units of the base currency (a 1,000-unit micro or cent lot is 1/100 of a standard lot).
- ``ratio``: follower lots = master lots x the ratio (in units, as for Octa's rule).
- ``lots``: every copy is the same number of lots, whatever the master traded.

Rounding (Octa publishes none that we found): the size is floored to the follower's lot step
(``engine.formulas.floor_lots``), never rounded up, so a copy never trades more than the rule says.
Then ``min_lots`` raises a smaller copy to it (the follower's chosen floor: "copy at least this"),
``max_lots`` caps a larger one, and the account type's own limits apply: above its maximum the copy
is cut to the maximum (reason ``account_max``); below its minimum it is not copied (``below_min_lot``).

>>> r = CopyRule("octa")
>>> copy_lots(r, 1.0, master_equity=500, follower_equity=200, master_leverage=200, follower_leverage=100,
...           min_lot=0.01, lot_step=0.01, max_lot=100)
CopySize(lots=0.2, computed=0.2, reason='')
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..engine.formulas import floor_lots

RULE_KINDS = ("octa", "ratio", "lots")


class CopyError(ValueError):
    """A copy rule or subscription that cannot be: the message names the field, what was found and
    what was expected. Raised before anything changes."""


def _number(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float above 0 (or at least 0); CopyError naming ``name`` otherwise."""
    x = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    if isinstance(value, str):
        try:
            x = float(value)
        except ValueError:
            x = math.nan
    if not (math.isfinite(x) and (x >= 0 if allow_zero else x > 0)):
        what = "a finite number of at least 0" if allow_zero else "a finite number above 0"
        raise CopyError(f"{name}: expected {what}, got {value!r}")
    return x


@dataclass(frozen=True)
class CopyRule:
    """How a follower sizes its copies (see the module): ``kind`` octa, ratio or lots; ``value`` the
    ratio or the fixed lots (unused by octa); ``min_lots`` / ``max_lots`` the follower's bounds on a
    copy (lots, None: none); ``stop_copy_equity``: at or below this equity (follower account units)
    the follower stops copying and closes what it copied (None: never).

    Raises CopyError for an unknown kind, a ratio or lots that is zero, negative or not a number,
    bounds that are not positive numbers or a minimum above the maximum, a negative stop-copy level.

    >>> CopyRule("ratio", 0)
    Traceback (most recent call last):
    ...
    leverlab.copytrade.rules.CopyError: ratio: expected a finite number above 0, got 0
    """

    kind: str
    value: float = 1.0
    min_lots: float | None = None
    max_lots: float | None = None
    stop_copy_equity: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise CopyError(f"copy rule: expected one of {', '.join(RULE_KINDS)}, got {self.kind!r}")
        set_ = object.__setattr__
        if self.kind != "octa":
            set_(self, "value", _number(self.kind, self.value))
        for name in ("min_lots", "max_lots"):
            v = getattr(self, name)
            if v is not None:
                set_(self, name, _number(name, v))
        if self.min_lots is not None and self.max_lots is not None and self.min_lots > self.max_lots:
            raise CopyError(f"min_lots {self.min_lots:g} is above max_lots {self.max_lots:g}")
        if self.stop_copy_equity is not None:
            set_(self, "stop_copy_equity", _number("stop_copy_equity", self.stop_copy_equity, allow_zero=True))

    def describe(self) -> str:
        """The rule in words, for tables and reports.

        >>> CopyRule("ratio", 0.5, max_lots=2).describe()
        'ratio 0.5 x master lots, at most 2 lots'
        """
        text = {"octa": "Octa: master lots x follower/master equity x follower/master leverage",
                "ratio": f"ratio {self.value:g} x master lots", "lots": f"fixed {self.value:g} lots"}[self.kind]
        if self.min_lots is not None:
            text += f", at least {self.min_lots:g} lots"
        if self.max_lots is not None:
            text += f", at most {self.max_lots:g} lots"
        if self.stop_copy_equity is not None:
            text += f", stop copying at equity {self.stop_copy_equity:g}"
        return text


def parse_rule(text: str, *, min_lots: float | None = None, max_lots: float | None = None,
               stop_copy_equity: float | None = None) -> CopyRule:
    """A rule from its command-line form: ``octa``, ``ratio:X`` or ``lots:X``; CopyError otherwise.

    >>> parse_rule("ratio:0.5").value, parse_rule("octa").kind
    (0.5, 'octa')
    >>> parse_rule("ratio:abc")
    Traceback (most recent call last):
    ...
    leverlab.copytrade.rules.CopyError: ratio: expected a finite number above 0, got 'abc'
    """
    kind, sep, value = str(text).strip().partition(":")
    kind = kind.strip().lower()
    if kind == "octa":
        if sep:
            raise CopyError(f"copy rule {text!r}: octa takes no value (expected octa, ratio:X or lots:X)")
        return CopyRule("octa", min_lots=min_lots, max_lots=max_lots, stop_copy_equity=stop_copy_equity)
    if kind not in RULE_KINDS or not sep:
        raise CopyError(f"copy rule {text!r}: expected octa, ratio:X or lots:X (e.g. ratio:0.5, lots:0.1)")
    return CopyRule(kind, value.strip(), min_lots=min_lots, max_lots=max_lots,  # type: ignore[arg-type]
                    stop_copy_equity=stop_copy_equity)


@dataclass(frozen=True)
class CopySize:
    """The lots to copy (0.0: none), the size the rule gave before any rounding or bound, and why it
    was changed or refused: '' (as computed, floored to the step), ``min_lots`` (raised to the
    follower's minimum), ``max_lots`` (cut to the follower's maximum), ``account_max`` (cut to the
    account type's maximum), ``below_min_lot`` (under the account type's minimum: not copied), or
    ``master_equity`` / ``follower_equity`` (an equity of 0 or less: Octa's rule cannot size it)."""

    lots: float
    computed: float
    reason: str = ""


def copy_lots(rule: CopyRule, master_lots: float, *, master_equity: float = math.nan,
              follower_equity: float = math.nan, master_leverage: float = math.nan,
              follower_leverage: float = math.nan, min_lot: float, lot_step: float, max_lot: float,
              master_contract_size: float = 1.0, follower_contract_size: float = 1.0) -> CopySize:
    """The follower's lots for a master fill of ``master_lots`` under ``rule`` (module docstring).

    Equities are in the same currency; leverages are 1:L numbers (finite: Octa's rule is
    undefined for unlimited leverage, CopyError). ``min_lot``, ``lot_step``, ``max_lot``: the
    follower's account type for the symbol. Octa's rule and a ratio scale the master's volume in
    units (lots x contract size), so a micro or cent account (1,000-unit lots) copies a standard
    one (100,000-unit lots) at the same exposure: pass both contract sizes when they differ (fixed
    lots are the follower's own lots).

    Octa, hand-computed: 0.5 lot at master 1,000 USD 1:500, follower 300 USD 1:200:
    0.5 x 300/1000 x 200/500 = 0.5 x 0.3 x 0.4 = 0.06 lot.

    >>> copy_lots(CopyRule("octa"), 0.5, master_equity=1000, follower_equity=300, master_leverage=500,
    ...           follower_leverage=200, min_lot=0.01, lot_step=0.01, max_lot=100).lots
    0.06
    >>> copy_lots(CopyRule("ratio", 0.3), 0.05, min_lot=0.01, lot_step=0.01, max_lot=100)  # 0.015 floors to 0.01
    CopySize(lots=0.01, computed=0.015, reason='')
    >>> copy_lots(CopyRule("ratio", 0.1), 0.05, min_lot=0.01, lot_step=0.01, max_lot=100)  # 0.005: none
    CopySize(lots=0.0, computed=0.005..., reason='below_min_lot')
    >>> copy_lots(CopyRule("lots", 3, max_lots=2), 0.01, min_lot=0.01, lot_step=0.01, max_lot=100).lots
    2.0
    >>> copy_lots(CopyRule("ratio", 1), 0.05, min_lot=0.01, lot_step=0.01, max_lot=1000,   # 5,000 units
    ...           master_contract_size=100_000, follower_contract_size=1_000).lots          # in 1,000-unit lots
    5.0
    """
    master_lots = _number("master lots", master_lots)
    volume = master_lots * _number("master contract size", master_contract_size) / _number(
        "follower contract size", follower_contract_size)  # the master's units in follower lots
    if rule.kind == "octa":
        for name, lev in (("master leverage", master_leverage), ("follower leverage", follower_leverage)):
            if not (isinstance(lev, (int, float)) and math.isfinite(lev) and lev > 0):
                raise CopyError(f"Octa's copy rule needs a finite leverage on both accounts; {name} is {lev!r}")
        if not master_equity > 0:
            return CopySize(0.0, 0.0, "master_equity")
        if not follower_equity > 0:
            return CopySize(0.0, 0.0, "follower_equity")
        computed = volume * (follower_equity / master_equity) * (follower_leverage / master_leverage)
    elif rule.kind == "ratio":
        computed = volume * rule.value
    else:
        computed = rule.value
    lots, reason = floor_lots(computed, lot_step), ""
    if rule.min_lots is not None and lots < rule.min_lots:
        lots, reason = floor_lots(rule.min_lots, lot_step), "min_lots"
    if rule.max_lots is not None and lots > rule.max_lots:
        lots, reason = floor_lots(rule.max_lots, lot_step), "max_lots"
    if lots > max_lot:
        lots, reason = floor_lots(max_lot, lot_step), "account_max"
    if lots < min_lot - 1e-12:
        return CopySize(0.0, computed, "below_min_lot")
    return CopySize(lots, computed, reason)


def close_lots(master_closed: float, master_open: float, master_left: float, follower_open: float,
               follower_left: float, lot_step: float) -> float:
    """The follower's lots to close when the master closes ``master_closed`` of a position it opened
    with ``master_open`` lots and has ``master_left`` lots after the close; the follower opened its
    copy with ``follower_open`` lots and still holds ``follower_left``.

    A master position closed in full closes the copy in full (``follower_left``); a partial close
    closes the same fraction of the copy's opening size, floored to ``lot_step`` and at most what is
    left (0.0: the part is under one step, nothing to close).

    >>> close_lots(0.3, 0.9, 0.6, 0.09, 0.09, 0.01)   # a third of 0.09 lot
    0.03
    >>> close_lots(0.6, 0.9, 0.0, 0.09, 0.06, 0.01)   # the rest
    0.06
    >>> close_lots(0.1, 1.0, 0.9, 0.05, 0.05, 0.01)   # 0.005 lot: under one step
    0.0
    """
    if master_left <= 1e-9:
        return follower_left
    part = floor_lots(follower_open * master_closed / master_open, lot_step) if master_open > 0 else 0.0
    return min(part, follower_left)


def subscribe(links: Iterable[tuple[str, str]], follower: str, master: str) -> frozenset[tuple[str, str]]:
    """The subscriptions ``links`` (pairs follower, master) with ``follower`` now copying ``master``.

    CopyError, and ``links`` unchanged (a new set is returned, the old one is never touched), when
    an account would copy itself, already copies that master, or the new link closes a cycle of
    followers (A copies B copies ... copies A: each fill would be copied back forever); the message
    names the cycle.

    >>> s = subscribe(set(), "bob", "alice")
    >>> s = subscribe(s, "carol", "bob")          # a chain is fine
    >>> subscribe(s, "alice", "carol")
    Traceback (most recent call last):
    ...
    leverlab.copytrade.rules.CopyError: alice cannot copy carol: that makes a cycle of followers \
(alice -> carol -> bob -> alice)
    >>> subscribe(s, "bob", "bob")
    Traceback (most recent call last):
    ...
    leverlab.copytrade.rules.CopyError: bob cannot copy itself
    """
    current = frozenset(links)
    if not follower or not master:
        raise CopyError(f"a subscription needs a follower and a master account, got {follower!r} and {master!r}")
    if follower == master:
        raise CopyError(f"{follower} cannot copy itself")
    if (follower, master) in current:
        raise CopyError(f"{follower} already copies {master}")
    path = _path(current, master, follower)
    if path is not None:
        raise CopyError(f"{follower} cannot copy {master}: that makes a cycle of followers "
                        f"({' -> '.join([follower, *path])})")
    return current | {(follower, master)}


def _path(links: frozenset[tuple[str, str]], start: str, goal: str) -> list[str] | None:
    """The accounts from ``start`` along "copies" links to ``goal`` (both included), or None."""
    copies: dict[str, list[str]] = {}
    for f, m in sorted(links):
        copies.setdefault(f, []).append(m)
    stack: list[list[str]] = [[start]]
    seen = {start}
    while stack:
        route = stack.pop()
        if route[-1] == goal:
            return route
        for nxt in copies.get(route[-1], []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(route + [nxt])
    return None


def check_subscriptions(links: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """``links`` as a set, checked link by link with :func:`subscribe` (CopyError on the first that
    copies itself, repeats or closes a cycle).

    >>> sorted(check_subscriptions([("b", "a"), ("c", "a")]))
    [('b', 'a'), ('c', 'a')]
    """
    out: frozenset[tuple[str, str]] = frozenset()
    for f, m in links:
        out = subscribe(out, f, m)
    return out
