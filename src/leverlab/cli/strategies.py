"""``leverlab strategies``: the built-in strategies with their parameters, defaults and meaning.

The text comes from the strategies themselves (``leverlab.strategies.describe``: class docstrings,
annotations and the docstring under each parameter), so it cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from ._common import console, emit_json


def _default(value: Any) -> str:
    return "none" if value is None else str(value)


def strategies_cmd(
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """The built-in strategies: name, what each does, and every parameter with its default and meaning."""
    from .. import strategies

    docs = [{"name": n, **strategies.describe(strategies.get(n))} for n in strategies.names()]
    if as_json:
        emit_json({"strategies": docs,
                   "own_strategy": "--strategy path/to/file.py:ClassName (a subclass of "
                                   "leverlab.strategies.Strategy)"})
        return
    for d in docs:
        t = Table(title=f"{d['name']} ({d['class']}): {d['summary']}", title_justify="left")
        for col in ("parameter", "type", "default", "meaning"):
            t.add_column(col, overflow="fold")
        for p in d["parameters"]:
            t.add_row(p["name"], p["type"], _default(p["default"]), p["meaning"])
        console.print(t)
    console.print("Set a parameter with --param NAME=VALUE; the order size with --lots, --units or --risk. "
                  "Your own strategy: --strategy path/to/file.py:ClassName.", highlight=False)
