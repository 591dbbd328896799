"""``leverlab copy``: a master runs a strategy, followers at other brokers copy it; how far each follower drifts.

Register on an app: ``app.command("copy")(copy_cmd)``. With ``--json`` it prints one JSON document
(``CopyRun.to_dict()``: the rule, the tracking-error definition, the master, each follower with its
skipped copies), or the error document. Bad input (a copy rule or ratio that is zero, negative or not
a number, an account that is not BROKER/ACCOUNT, a follower copying the master's own account, an
unknown broker or strategy, unreadable data) exits with code 2 and a message naming the cause.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ._common import StoreOpt, client_option, console, emit_json, fail, order_size, parse_params, print_wide

AccountOpt = "BROKER/ACCOUNT[,deposit=N][,leverage=L][,name=X]"


def copy_cmd(
    master: Annotated[str, typer.Option("--master", help=f"The master account: {AccountOpt}.")],
    follower: Annotated[list[str], typer.Option("--follower", help=f"A follower account: {AccountOpt} "
                                                "(repeatable).")],
    country: Annotated[str, typer.Option("--country", help="Country of residence, ISO-2 (every account's).")],
    data: Annotated[str, typer.Option("--data", help="Market data: a file, a stored symbol or sample:eurusd-h1.")] =
    "sample:eurusd-h1",
    symbol: Annotated[Optional[str], typer.Option("--symbol", help="The symbol, when the source needs it.")] = None,
    strategy: Annotated[str, typer.Option("--strategy", help="The master's strategy: a name (see `leverlab "
                                          "strategies`) or path/to/file.py:ClassName.")] = "sma_cross",
    param: Annotated[Optional[list[str]], typer.Option("--param", help="Strategy parameter NAME=VALUE "
                                                       "(repeatable).")] = None,
    lots: Annotated[Optional[float], typer.Option("--lots", help="The master's order size in lots.")] = None,
    units: Annotated[Optional[float], typer.Option("--units", help="The master's order size in units.")] = None,
    risk: Annotated[Optional[float], typer.Option("--risk", help="The master's order size: percent of equity "
                                                  "risked to the SL.")] = None,
    client: Annotated[str, typer.Option("--client", help="retail or pro.")] = "retail",
    deposit: Annotated[float, typer.Option("--deposit", help="Deposit of every account that does not give "
                                           "its own (deposit=N).")] = 1_000.0,
    currency: Annotated[str, typer.Option("--currency", help="Every account's currency.")] = "USD",
    rule: Annotated[str, typer.Option("--rule", help="Copy size: octa (master lots x follower/master equity x "
                                      "follower/master leverage), ratio:X (master lots x X) or lots:X.")] = "octa",
    min_lots: Annotated[Optional[float], typer.Option("--min-lots", help="Copy at least this many lots.")] = None,
    max_lots: Annotated[Optional[float], typer.Option("--max-lots", help="Copy at most this many lots.")] = None,
    stop_copy_equity: Annotated[Optional[float], typer.Option(
        "--stop-copy-equity", help="At or below this equity (checked at every bar close) a follower closes its "
                                   "copies and copies no more.")] = None,
    timeframe: Annotated[str, typer.Option("--timeframe", help="Decision timeframe when the data are ticks.")] =
    "M1",
    spread: Annotated[str, typer.Option("--spread", help="data: the data's bid/ask; broker: each account's "
                                        "published typical spread around the data's mid.")] = "data",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    store: StoreOpt = None,
) -> None:
    """Copy a master's trades onto followers at other brokers and report how each follower diverged."""
    from ..copytrade.backtest import copy_backtest, parse_account
    from ..copytrade.rules import parse_rule
    from ..data import load
    from ..strategies import get as get_strategy

    client_option(client)
    try:
        copy_rule = parse_rule(rule, min_lots=min_lots, max_lots=max_lots, stop_copy_equity=stop_copy_equity)
        m_spec = parse_account(master)
        f_specs = [parse_account(f) for f in follower]
        cls = get_strategy(strategy)
        params = cls.checked_params({**parse_params(param), **order_size(lots, units, risk)})
        frame = load(data, symbol, store=store)
        if symbol and frame.symbol.upper() != symbol.upper():
            raise ValueError(f"--symbol {symbol} but {data!r} holds {frame.symbol}")
        run = copy_backtest(frame, cls, master=m_spec, followers=f_specs, rule=copy_rule, country=country,
                            client=client, deposit=deposit, currency=currency, params=params,
                            timeframe=timeframe, spread=spread)
    except typer.Exit:
        raise
    except Exception as exc:  # every failure here is the user's input: name it and exit 2
        fail(f"{type(exc).__name__}: {exc}" if not isinstance(exc, (ValueError, KeyError)) else str(exc).strip('"'))
    doc = run.to_dict()
    doc["strategy"], doc["params"] = strategy, params
    if as_json:
        emit_json(doc)
        return
    _print(doc)


def _lev(x: Any) -> str:
    return "unlimited" if x is None else f"1:{x:g}"


def _print(doc: dict[str, Any]) -> None:
    """The master and followers side by side, then each follower's skipped copies by reason."""
    m = doc["master"]
    t = Table(title=f"Copy trading - {escape(doc['strategy'])} on {escape(m['account'])}, rule: "
                    f"{escape(doc['rule']['text'])}", title_justify="left")
    for name in ("account", "role", "leverage", "SO level", "deposit", "copies", "skipped", "rejected",
                 "stop-outs", "final equity", "return", "tracking error"):
        t.add_column(name, justify="left" if name in ("account", "role") else "right")
    cur = m["currency"]
    t.add_row(escape(m["account"]), "master", _lev(m["leverage"]), f"{m['stop_out_level']:g}%",
              f"{m['deposit']:,.2f}", f"{m['fills']} fills", "-", "-", str(m["stop_outs"]),
              f"{m['final_equity']:,.2f} {cur}", f"{m['net_return']:+.1%}", "-")
    for f in doc["followers"]:
        te = f["tracking_error"]
        t.add_row(escape(f["account"]), "follower", _lev(f["leverage"]), f"{f['stop_out_level']:g}%",
                  f"{f['deposit']:,.2f}", str(f["copies"]), str(f["skipped"]), str(f["rejected"]),
                  str(f["stop_outs"]), f"{f['final_equity']:,.2f} {f['currency']}", f"{f['net_return']:+.1%}",
                  "-" if te is None else f"{te:.2%}/day")
    print_wide(t)
    for f in doc["followers"]:
        if f["stopped_copying"]:
            console.print(f"{escape(f['account'])}: stopped copying at {f['stopped_copying']} (equity at or below "
                          f"{doc['rule']['stop_copy_equity']:g})", highlight=False, emoji=False)
        for why, n in f["skipped_by_reason"].items():
            console.print(f"{escape(f['account'])}: {n} not copied - {escape(why)}", highlight=False, emoji=False)
    console.print(f"tracking error: {doc['tracking_error_definition']}", highlight=False, emoji=False)
