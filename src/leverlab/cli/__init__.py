"""The `leverlab` command line: a thin layer over the public API, one module per group of commands."""

from __future__ import annotations

import typer

from . import brokers as broker_cmds
from . import calc
from .backtest import backtest_cmd
from .compare import compare_cmd, demo_cmd, sweep_cmd
from .data import app as data_app

app = typer.Typer(
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
app.command("backtest")(backtest_cmd)
app.command("compare")(compare_cmd)
app.command("sweep")(sweep_cmd)
app.command("demo")(demo_cmd)
app.add_typer(data_app, name="data")


def main() -> None:
    """Console-script entry point."""
    app()
