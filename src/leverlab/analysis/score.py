from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

#: How each component and the total are computed, one line each: the module docstring,
#: ``Comparison.to_dict()["score_formula"]`` (so ``leverlab compare --json``) and the report show this text.
FORMULA = "\n".join((
    "survival = 1 when the account was never ruined; otherwise half the fraction of the test period that "
    "passed before ruin (a blow-up in the last week scores ~0.5, one on the first day ~0). Ruin is the first "
    "stop-out, or equity falling to 1 % of the deposit (an account with unlimited leverage or a 0 % stop-out "
    "can lose everything without being stopped out).",
    "return = (1 + net return) / 2, clipped to [0, 1]: a wiped-out account scores 0, breaking even 0.5, "
    "doubling the deposit 1.",
    "cost = 1 / (1 + net costs / deposit), where net costs = spread + commission + swap - cashback paid over "
    "the run: no costs score 1, costs equal to the deposit 0.5.",
    "protection = mean of three parts: negative balance protection (1 or 0); the close-out level, "
    "stop-out % / 50 capped at 1 (50 % is the close-out rule of ESMA, FCA and ASIC); and the regulator's "
    "retail rules as the regulation data states them - the share of {a retail leverage cap, a close-out "
    "rule, NBP required} the regime has (ESMA/CySEC/FCA/ASIC: 1, an offshore regulator with none of them: 0, "
    "no known regulator: 0).",
    "leverage = log(L) / log(3000), capped at 1, for the leverage L applied at the deposit (unlimited: 1; "
    "1:30 -> 0.42; 1:1000 -> 0.86). More room is what a high-leverage trader asks for; the survival "
    "component already pays for what it costs.",
    "total = sum(weight x component) / sum(weights), in [0, 1]; tables show it x 100. The default weights "
    "let what was measured lead (survival 4, return 3, cost 3: 87 % of the total) and the static facts "
    "weigh less (protection 1, leverage 0.5). Accounts whose measured outcome is identical (same ruin, "
    "return, final equity and net costs to the cent) are shown as a tie with the terms that would separate "
    "them (NBP, stop-out, regulator, leverage...); only the static facts order them inside the tie.",
))

__doc__ = f"""The ranking score of a broker comparison: five components in [0, 1], a weighted mean, shown in full.

Three components are measured outcomes of the run (survival, return, cost) and lead the default
weights; two are static facts of the account (protection, leverage), shown beside them and
weighing less. Identical outcomes are marked as ties with the terms that tell them apart.

Every component is an absolute function of one row's own numbers (not of the other rows), so a
broker's score does not change when another broker is added, and each number can be recomputed
by hand from the table (``FORMULA`` holds this text):

{chr(10).join(textwrap.fill(line, 100, initial_indent="- ", subsequent_indent="  ",
                                   break_on_hyphens=False) for line in FORMULA.splitlines())}

>>> w = parse_weights("survival=3, return=1")
>>> w["survival"], w["return"], w["cost"], w["leverage"]
(3.0, 1.0, 3.0, 0.5)
"""

#: Default weights: the measured outcomes lead (surviving most, then return and cost); the static
#: facts weigh less (protection, then available leverage).
DEFAULT_WEIGHTS: dict[str, float] = {"survival": 4.0, "return": 3.0, "cost": 3.0, "protection": 1.0, "leverage": 0.5}
COMPONENTS: tuple[str, ...] = tuple(DEFAULT_WEIGHTS)
#: The components measured from the run, and the static facts of the account shown beside them.
OUTCOMES: tuple[str, ...] = ("survival", "return", "cost")
STATIC: tuple[str, ...] = ("protection", "leverage")
#: What tells tied accounts apart: (key of the score inputs, how it is named).
TIE_TERMS: tuple[tuple[str, str], ...] = (("nbp", "NBP"), ("stop_out_level", "stop-out"),
                                          ("margin_call_level", "margin call"), ("regulator", "regulator"),
                                          ("leverage", "leverage"), ("commission_per_lot_side", "commission/lot/side"),
                                          ("spread", "spread"))

#: Leverage that earns the full leverage component (the most the profiles offer with a number).
FULL_LEVERAGE = 3000.0
#: Close-out level that earns the full close-out part (the ESMA/FCA/ASIC retail rule).
FULL_CLOSE_OUT = 50.0


class WeightsError(ValueError):
    """A ``--weights`` text that does not parse (unknown component, not a number, all zero)."""


def parse_weights(text: str | Mapping[str, float] | None) -> dict[str, float]:
    """Weights from ``"survival=3,return=2,cost=2,protection=2,leverage=1"`` (or a mapping).

    Components not named keep their default weight; weights must be finite and >= 0 and not all 0.
    """
    out = dict(DEFAULT_WEIGHTS)
    if text is None:
        return out
    items: Iterable[tuple[str, Any]]
    if isinstance(text, Mapping):
        items = text.items()
    else:
        pairs = []
        for part in str(text).replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, number = part.partition("=")
            if not sep:
                raise WeightsError(f"weights: {part!r} is not NAME=NUMBER; expected e.g. "
                                   f"'survival=3,return=2' with names {', '.join(COMPONENTS)}")
            pairs.append((key.strip(), number.strip()))
        items = pairs
    for key, value in items:
        name = str(key).lower()
        if name not in DEFAULT_WEIGHTS:
            raise WeightsError(f"weights: unknown component {key!r}; expected one of {', '.join(COMPONENTS)}")
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise WeightsError(f"weights: {key}={value!r} is not a number") from None
        if not math.isfinite(w) or w < 0:
            raise WeightsError(f"weights: {key}={value!r} must be a finite number >= 0")
        out[name] = w
    if sum(out.values()) <= 0:
        raise WeightsError("weights: at least one weight must be above 0")
    return out


def _regulator_rules(regulator: str | None) -> float:
    """Share of {retail leverage cap, close-out rule, NBP required} the regime has, from the regulation data."""
    if not regulator:
        return 0.0
    from ..brokers import regimes

    r = regimes().get(regulator)
    if r is None:
        return 0.0
    has_cap = any(isinstance(v, (int, float)) for v in r.retail_caps.values())
    has_close_out = isinstance(r.close_out_pct, (int, float))
    has_nbp = r.nbp is True
    return (has_cap + has_close_out + has_nbp) / 3.0


def components(row: Mapping[str, Any]) -> dict[str, float]:
    """The five components of one simulated row (see the module docstring for each formula).

    ``row`` needs: ``ruined`` (bool), ``ruin_fraction`` (0..1 of the period, or None),
    ``net_return``, ``net_cost``, ``deposit``, ``nbp``, ``stop_out_level``, ``regulator``,
    ``leverage`` (float, inf = unlimited).
    """
    if row["ruined"]:
        frac = row.get("ruin_fraction")
        survival = 0.5 * min(1.0, max(0.0, float(frac if frac is not None else 0.0)))
    else:
        survival = 1.0
    ret = min(1.0, max(0.0, (1.0 + float(row["net_return"])) / 2.0))
    deposit = float(row["deposit"])
    cost_ratio = max(0.0, float(row["net_cost"])) / deposit if deposit > 0 else 0.0
    cost = 1.0 / (1.0 + cost_ratio)
    nbp = 1.0 if row["nbp"] else 0.0
    close_out = min(1.0, max(0.0, float(row["stop_out_level"]) / FULL_CLOSE_OUT))
    protection = (nbp + close_out + _regulator_rules(row.get("regulator"))) / 3.0
    lev = float(row["leverage"])
    if math.isinf(lev):
        leverage = 1.0
    elif lev <= 1:
        leverage = 0.0
    else:
        leverage = min(1.0, math.log(lev) / math.log(FULL_LEVERAGE))
    return {"survival": survival, "return": ret, "cost": cost, "protection": protection, "leverage": leverage}


def total(parts: Mapping[str, float], weights: Mapping[str, float], keys: tuple[str, ...] = COMPONENTS) -> float:
    """Weighted mean of the components (``keys``: all five, or e.g. ``OUTCOMES``), in [0, 1]; nan when
    their weights are all 0."""
    wsum = sum(weights[k] for k in keys)
    return sum(weights[k] * parts[k] for k in keys) / wsum if wsum > 0 else math.nan


def outcome_key(inputs: Mapping[str, Any]) -> tuple[Any, ...]:
    """What was measured, to the cent: rows with the same key had the same outcome (a tie)."""
    frac = inputs.get("ruin_fraction")
    return (bool(inputs["ruined"]), None if frac is None else round(float(frac), 9),
            round(float(inputs["net_return"]), 9), round(float(inputs["net_cost"]), 2),
            None if inputs.get("final_equity") is None else round(float(inputs["final_equity"]), 2))


def _term_text(key: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if key == "nbp":
        return "yes" if value else "no"
    if key in ("stop_out_level", "margin_call_level"):
        return f"{float(value):g}%"
    if key == "leverage":
        return "unlimited" if math.isinf(float(value)) else f"1:{float(value):g}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def tie_terms(group: list[tuple[str, Mapping[str, Any]]]) -> str:
    """The terms that differ between tied rows (``(label, score inputs)`` each), as one line: 'stop-out:
    a/x 0%, b/y 50%; NBP: ...', or a sentence saying they differ in no simulated term."""
    parts = []
    for key, name in TIE_TERMS:
        values = [_term_text(key, inp.get(key)) for _, inp in group]
        if len(set(values)) > 1:
            parts.append(f"{name}: " + ", ".join(f"{label} {v}" for (label, _), v in zip(group, values)))
    return "; ".join(parts) if parts else "no simulated term differs (only the name, minimum deposit or platforms)"


def _get(row: Any, key: str) -> Any:
    return row.get(key) if isinstance(row, Mapping) else getattr(row, key, None)


def _set(row: Any, key: str, value: Any) -> None:
    if isinstance(row, dict):
        row[key] = value
    else:
        setattr(row, key, value)


def score(rows: list[Any], weights: Mapping[str, float] | str | None = None) -> list[Any]:
    """Score and rank ``rows`` in place (and return them): sets ``score`` (components + total) and ``rank``.

    A row is a mapping with the keys ``components`` reads plus ``simulated``, ``broker`` and
    ``account_type``, or an object with those attributes and a ``score_inputs()`` method (a
    comparison ``Row``). Rows not simulated, and rows whose run filled no order (``traded`` false),
    get no score and no rank: a run without trades says nothing about the account. Ties on the total are broken
    by net return, then broker id and account type, so the order is stable. Each ranked row also gets ``tie``:
    None, or ``{"rank": the tie's first rank, "with": [other labels], "terms": what differs}`` when other rows
    measured the same outcome (``outcome_key``).
    """
    w = parse_weights(weights)
    ranked = []
    for row in rows:
        inputs = (row.score_inputs() if hasattr(row, "score_inputs") else row) if _get(row, "simulated") else None
        _set(row, "tie", None)
        if inputs is None or inputs.get("traded", True) is False:
            _set(row, "score", None)
            _set(row, "rank", None)
            continue
        parts = components(inputs)
        _set(row, "score", {**{k: round(v, 6) for k, v in parts.items()}, "total": round(total(parts, w), 6)})
        ranked.append((row, float(inputs["net_return"]), inputs))
    ranked.sort(key=lambda x: (-_get(x[0], "score")["total"], -x[1], _get(x[0], "broker"), _get(x[0], "account_type")))
    for i, (row, _, _) in enumerate(ranked, 1):
        _set(row, "rank", i)
    groups: dict[tuple[Any, ...], list[tuple[Any, Mapping[str, Any]]]] = {}
    for row, _, inputs in ranked:
        groups.setdefault(outcome_key(inputs), []).append((row, inputs))
    for members in groups.values():
        if len(members) < 2:
            continue
        labels = [f"{_get(r, 'broker')}/{_get(r, 'account_type')}" for r, _ in members]
        terms = tie_terms([(lab, inp) for lab, (_, inp) in zip(labels, members)])
        first = min(_get(r, "rank") for r, _ in members)
        for lab, (row, _) in zip(labels, members):
            _set(row, "tie", {"rank": first, "with": [x for x in labels if x != lab], "terms": terms})
    return rows


__all__ = ["FORMULA", "DEFAULT_WEIGHTS", "COMPONENTS", "OUTCOMES", "STATIC", "WeightsError", "parse_weights",
           "components", "total", "score", "outcome_key", "tie_terms"]
