"""The `leverlab` command line: a thin layer over the public API, one module per group of commands.

With ``--json`` every command prints exactly one JSON document on stdout, errors included:
``{"ok": false, "error": "<what was wrong and what was expected>", "code": 2}``, the exit code
being ``code`` (2 for bad input, 1 for anything else).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from . import brokers as broker_cmds
from . import calc
from ._common import emit_json, error_document, json_errors
from .backtest import backtest_cmd
from .compare import compare_cmd, demo_cmd, sweep_cmd
from .data import app as data_app
from .serve import accounts_app, serve_cmd
from .strategies import strategies_cmd


class _JsonAwareGroup(TyperGroup):
    """The command group; with --json anywhere in the arguments, usage errors (a missing option, a value
    of the wrong type) and unexpected failures are the one JSON error document too."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, windows_expand_args: bool = True,
             **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        options = argv[:argv.index("--")] if "--" in argv else argv
        if "--json" not in options:
            return super().main(argv, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)
        token = json_errors.set(True)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False,
                                windows_expand_args=windows_expand_args, **extra)
            code = code if isinstance(code, int) else 0
        except typer.Abort:
            code = _json_error("aborted", 1)
        except Exception as exc:  # noqa: BLE001 - under --json every failure must still be one document
            usage = getattr(exc, "exit_code", None) if hasattr(exc, "format_message") else None
            if isinstance(usage, int):
                code = _json_error(exc.format_message(), usage)  # type: ignore[attr-defined]
            else:
                code = _json_error(f"internal error: {type(exc).__name__}: {exc}", 1)
        finally:
            json_errors.reset(token)
        if standalone_mode:
            sys.exit(code)
        return code


def _json_error(message: str, code: int) -> int:
    emit_json(error_document(message, code))
    return code


app = typer.Typer(
    cls=_JsonAwareGroup,
    name="leverlab",
    help="See what a high-leverage forex broker's real rules do to your account.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("brokers")(broker_cmds.brokers_cmd)
app.command("broker")(broker_cmds.broker_cmd)
app.command("leverage")(broker_cmds.leverage_cmd)
app.command("margin")(calc.margin_cmd)
app.command("size")(calc.size_cmd)
app.command("stopout")(calc.stopout_cmd)
app.command("pip")(calc.pip_cmd)
app.command("swap")(calc.swap_cmd)
app.command("ruin")(calc.ruin_cmd)
app.command("strategies")(strategies_cmd)
app.command("backtest")(backtest_cmd)
app.command("compare")(compare_cmd)
app.command("sweep")(sweep_cmd)
app.command("demo")(demo_cmd)
app.add_typer(data_app, name="data")
app.command("serve")(serve_cmd)
app.add_typer(accounts_app, name="accounts")


def main() -> None:
    """Console-script entry point."""
    app()
