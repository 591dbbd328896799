"""``leverlab backtest``: run a registered strategy on market data under one broker's account terms.

Register on an app: ``app.command("backtest")(backtest_cmd)``. With ``--json`` it prints exactly
one JSON document (``Result.summary()``, or the error document); otherwise a Rich summary. Bad
input (unknown broker, symbol or strategy, a strategy file that is wrong, unreadable data, a
missing conversion pair, lots below the minimum, a deposit that is not a positive amount, a
strategy error) exits with code 2 and a message naming the cause.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ._common import StoreOpt, console, emit_json, fail, leverage_option, order_size, parse_params


def backtest_cmd(
    data: str = typer.Option(..., "--data", help="market data: a file, a store symbol or sample:eurusd-h1"),
    symbol: Optional[str] = typer.Option(None, "--symbol", help="the symbol to trade (when the source needs it)"),
    strategy: str = typer.Option("sma_cross", "--strategy", help="a strategy name (see `leverlab strategies`), "
                                                                 "or path/to/file.py:ClassName for your own"),
    param: list[str] = typer.Option([], "--param", help="strategy parameter key=value (repeatable)"),
    lots: Optional[float] = typer.Option(None, "--lots", help="order size in lots"),
    units: Optional[float] = typer.Option(None, "--units", help="order size in units of the base currency"),
    risk: Optional[float] = typer.Option(None, "--risk", help="order size: percent of equity risked to the SL"),
    broker: str = typer.Option(..., "--broker", help="broker id, e.g. exness"),
    account_type: str = typer.Option(..., "--account-type", help="account type id, e.g. standard"),
    country: str = typer.Option(..., "--country", help="ISO-3166 country of residence"),
    client: str = typer.Option("retail", "--client", help="retail or pro"),
    deposit: float = typer.Option(1_000.0, "--deposit", help="deposit in account units (cents for a cent account)"),
    currency: str = typer.Option("USD", "--currency", help="account currency"),
    leverage: Optional[str] = typer.Option(None, "--leverage", help="selected leverage (capped by the policy)"),
    timeframe: str = typer.Option("M1", "--timeframe", help="decision timeframe when the data are ticks"),
    netting: bool = typer.Option(False, "--netting", help="a netting account (default: hedging)"),
    calendar: Optional[Path] = typer.Option(None, "--calendar", help="economic calendar file for news HMR windows"),
    vectorized: bool = typer.Option(False, "--vectorized", help="run the strategy's compiled target-position mode"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
    spread: str = typer.Option("data", "--spread", help="data: the data's bid/ask; broker: the data's mid +/- half "
                               "the account type's published typical spread (an error where none is published); "
                               "data+markup: the data's spread plus the account's markup over a stated reference"),
    widening: bool = typer.Option(False, "--widening/--no-widening", help="widen spreads around the broker's "
                                  "rollover and the --calendar's high-impact events (the profile's figures, else "
                                  "documented defaults marked assumed)"),
    swaps: str = typer.Option("published", "--swaps", help="published: the profile's swap table (none where there "
                              "is none); policy: that table, else each day's policy-rate differential minus the "
                              "broker's markup; none: no swaps"),
    store: StoreOpt = None,
) -> None:
    """Backtest a strategy with one broker's margin, stop-out, NBP and costs, and summarise the account."""
    from ..engine import Backtest
    from ..strategies import get as get_strategy

    try:
        sizes = order_size(lots, units, risk)
        cls = get_strategy(strategy)
        params = cls.checked_params({**parse_params(param), **sizes})
        from ..data import load

        frame = load(data, symbol, store=store)
        if symbol and frame.symbol.upper() != symbol.upper():
            raise ValueError(f"--symbol {symbol} but {data!r} holds {frame.symbol}")
        cal: list[Any] = []
        if calendar is not None:
            from ..data.calendar import read_calendar

            cal = read_calendar(calendar)
        bt = Backtest(frame, cls, broker=broker, account_type=account_type, country=country, client=client,
                      deposit=deposit, currency=currency, leverage=leverage_option(leverage), hedging=not netting,
                      calendar=cal, timeframe=timeframe, vectorized=vectorized, spread=spread, swaps=swaps,
                      widening=widening)
        result = bt.run(**params)
    except typer.Exit:
        raise
    except Exception as exc:  # every failure here is the user's input: name it and exit 2
        fail(f"{type(exc).__name__}: {exc}" if not isinstance(exc, (ValueError, KeyError)) else str(exc).strip('"'))
        return
    summary = result.summary()
    summary["strategy"] = strategy
    summary["params"] = {k: v for k, v in params.items()}
    # which cost modes ran: spread mode (``spread``, per symbol ``spreads``), swap option (``swap_source``) and
    # each symbol's swap source (``swaps``), spread widening ("off" or each window in words), commission source
    summary["swaps"] = {str(k): str(v) for k, v in (result.meta.get("swaps") or {}).items()}
    wide = result.meta.get("widening", "off")
    summary["widening"] = {str(k): str(v) for k, v in wide.items()} if isinstance(wide, dict) else str(wide)
    if isinstance(summary["widening"], dict) and "news" in summary["widening"] and not cal:
        summary["widening"]["news"] += "; no --calendar given, so no news window ran"
    if as_json:
        emit_json(summary)
        return
    _print(summary)


def _print(s: dict[str, Any]) -> None:
    """The run's summary and its first events as tables."""
    t = Table(title=f"{escape(s['strategy'])} on {escape(str(s.get('symbol')))} - {escape(str(s.get('broker')))} "
                    f"{escape(str(s.get('account_type')))}", show_header=False)
    cur = s["currency"]
    rows = [("deposit", f"{s['deposit']:,.2f} {cur}"), ("final balance", f"{s['final_balance']:,.2f} {cur}"),
            ("final equity", f"{s['final_equity']:,.2f} {cur}"), ("net return", f"{s['net_return']:.2%}"),
            ("max drawdown", f"{s['max_drawdown']:.2%}"), ("trades", str(s["trades"])), ("deals", str(s["deals"])),
            ("margin calls", str(s["margin_calls"])), ("stop-outs", str(s["stop_outs"])),
            ("rejected orders", str(s["rejects"])), ("absorbed by NBP", f"{s['nbp_absorbed']:,.2f} {cur}")]
    rows += [(f"cost: {k}", f"{v:,.2f} {cur}") for k, v in s["costs"].items()]
    rows += [("spread mode", str(s.get("spread")))]
    rows += [(f"spread {k} from", str(v)) for k, v in (s.get("spreads") or {}).items()]
    wide = s.get("widening", "off")
    rows += [(f"widening: {k}", str(v)) for k, v in wide.items()] if isinstance(wide, dict) else \
        [("widening", str(wide))]
    rows += [("swaps", str(s.get("swap_source")))]
    rows += [(f"swap {k} from", str(v)) for k, v in (s.get("swaps") or {}).items()]
    rows += [("commission from", str(s.get("commission")))]
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
    shown = [e for e in s["events"] if e["type"] != "reject"][:10]
    if shown:
        ev = Table(title="first events (rejects omitted)")
        for col in ("type", "time", "price", "margin_level", "amount"):
            ev.add_column(col)
        for e in shown:
            ev.add_row(e["type"], e["time"], *(("" if e.get(k) is None else f"{e[k]:.6g}")
                                               for k in ("price", "margin_level", "amount")))
        console.print(ev)
