"""The `leverlab` command line: a thin layer over the public API (each command lives beside its package)."""

from __future__ import annotations

from pathlib import Path

import typer

from .analysis import commands as calc
from .analysis.compare_commands import compare_cmd, sweep_cmd
from .brokers import commands as broker_cmds
from .data.commands import app as data_app
from .engine.commands import backtest_cmd

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
app.add_typer(data_app, name="data")


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("leverlab-report"), "--out", help="Directory for report.html and report.png."),
    open_report: bool = typer.Option(False, "--open", help="Open the report in a browser."),
) -> None:
    """The main job on the bundled sample: SMA cross at 1% risk, 1,000 USD, offshore retail, every broker."""
    compare_cmd(data="sample:eurusd-h1", symbol=None, strategy="sma_cross", param=None, lots=None, units=None,
                risk=1.0, deposit=1000.0, currency="USD", country="SC", client="retail", leverage=None,
                weights=None, brokers=None, start=None, end=None, out=out, open_report=open_report,
                json_out=False, workers=None)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
