"""The `leverlab` command line: a thin layer over the public API (each command lives beside its package)."""

from __future__ import annotations

import typer

from .analysis import commands as calc

app = typer.Typer(
    name="leverlab",
    help="See what a high-leverage forex broker's real rules do to your account.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("margin")(calc.margin_cmd)
app.command("size")(calc.size_cmd)
app.command("stopout")(calc.stopout_cmd)
app.command("pip")(calc.pip_cmd)
app.command("swap")(calc.swap_cmd)
app.command("ruin")(calc.ruin_cmd)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
