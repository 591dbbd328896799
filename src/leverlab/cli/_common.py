"""The pieces every command shares, one copy each: the console pair, the JSON writer, errors with
exit code 2 (one JSON document under --json), and the readers of --rate, --param, --leverage and the order size."""

from __future__ import annotations

import ast
import json
import math
from contextvars import ContextVar
from dataclasses import asdict, is_dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional, overload

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from ..brokers.schema import parse_leverage

console = Console()  # results on stdout
err_console = Console(stderr=True)  # errors and progress, so stdout stays one JSON document under --json


#: ``--store`` on every command that reads or writes the local store (the environment variable is the fallback).
StoreOpt = Annotated[Optional[Path], typer.Option(
    "--store", envvar="LEVERLAB_STORE", help="Store folder (default: $LEVERLAB_STORE, else the user data folder).")]


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return float(o)  # money is exact up to here; JSON readers get a plain number
    if is_dataclass(o) and not isinstance(o, type):
        return asdict(o)
    if isinstance(o, datetime):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def _finite(o: Any) -> Any:
    """Replace inf/nan (not valid JSON) by 'unlimited'/None so scripts can parse every document."""
    if isinstance(o, float):
        if math.isinf(o):
            return "unlimited" if o > 0 else "-unlimited"
        if math.isnan(o):
            return None
        return o
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    return o


def to_jsonable(obj: Any) -> Any:
    """Plain JSON types for any result (Decimals as numbers, inf as 'unlimited')."""
    return _finite(json.loads(json.dumps(obj, default=_default)))


def emit_json(obj: Any) -> None:
    """Print exactly one JSON document on stdout."""
    typer.echo(json.dumps(to_jsonable(obj), indent=2, sort_keys=False, allow_nan=False))


def print_wide(table: Table, width: int = 200) -> None:
    """Print a table; into a pipe (no terminal to fit) it may take up to ``width`` columns, so each
    row stays on one line for scripts and files."""
    if not console.is_terminal:
        natural = Measurement.get(console, console.options.update(width=width), table).maximum
        if natural > console.width:
            table.width = min(natural, width)
    console.print(table, crop=False)


#: True while a command runs with --json: errors then go to stdout as the one JSON document.
json_errors: ContextVar[bool] = ContextVar("json_errors", default=False)


def error_document(message: str, code: int) -> dict[str, Any]:
    """The one shape of every error under --json: ``{"ok": false, "error": message, "code": exit code}``."""
    return {"ok": False, "error": message, "code": code}


def fail(message: str, code: int = 2) -> NoReturn:
    """A clear error and exit (2 = bad input): on stderr, or under --json as the command's one JSON document."""
    if json_errors.get():
        emit_json(error_document(message, code))
    else:
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def positive_option(name: str, value: float) -> float:
    """An amount option (--equity, --balance) that must be a finite number above 0; exits 2 otherwise."""
    if not (math.isfinite(value) and value > 0):
        fail(f"{name} {value:g}: expected a finite amount above 0")
    return value


def client_option(client: str) -> str:
    """--client, which is retail or pro; exits 2 otherwise."""
    if client not in ("retail", "pro"):
        fail(f"--client {client!r}: expected retail or pro")
    return client


def parse_rates(items: list[str] | None) -> dict[str, float]:
    """--rate PAIR=PRICE options into a dict, with an error naming a malformed one."""
    out: dict[str, float] = {}
    for item in items or []:
        pair, sep, value = item.partition("=")
        try:
            if not sep or len(pair.strip()) < 6:
                raise ValueError
            out[pair.strip().upper()] = float(value)
        except ValueError:
            fail(f"--rate {item!r}: expected PAIR=PRICE, e.g. GBPUSD=1.27")
    return out


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``--param NAME=VALUE`` options into a dict: numbers and booleans are read as such, anything
    else stays text; the strategy's own ``checked_params`` then converts each to its parameter's type."""
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        text = raw.strip()
        if not sep or not name.strip() or not text:
            raise ValueError(f"--param {item!r}: expected NAME=VALUE, e.g. --param fast=10 "
                             "(expected key=value, both sides given)")
        value: Any = text
        if text.lower() in ("true", "false"):
            value = text.lower() == "true"
        else:
            try:
                literal = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                literal = None
            if isinstance(literal, (int, float)) and not isinstance(literal, bool):
                value = literal
        out[name.strip()] = value
    return out


@overload
def leverage_option(text: str) -> float: ...


@overload
def leverage_option(text: str | None) -> float | None: ...


def leverage_option(text: str | None) -> float | None:
    """A --leverage option read by ``parse_leverage`` (None keeps the brokers' maximum); bad text exits 2."""
    if text is None:
        return None
    try:
        return parse_leverage(text)
    except ValueError as exc:
        fail(f"--{exc}")


def order_size(lots: float | None, units: float | None, risk: float | None) -> dict[str, float]:
    """The one of --lots / --units / --risk given, as {kind: value} (empty when none is)."""
    given = {k: v for k, v in (("lots", lots), ("units", units), ("risk", risk)) if v is not None}
    if len(given) > 1:
        raise ValueError(f"give one of --lots, --units or --risk, not {' and '.join('--' + k for k in given)}")
    return given
