"""``leverlab history``: import a MetaTrader statement, reconcile it, and replay it under every broker account
the trader can open (registered by ``leverlab.cli``).

Each command takes ``--json`` and then prints exactly one JSON document; a bad file is a clear error
(exit code 2) naming the file and what was expected."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from ..history import Statement, StatementError, read_statement
from ._common import StoreOpt, console, emit_json, fail, parse_rates, print_wide

app = typer.Typer(help="Your own trades: import a MetaTrader statement, reconcile it, replay it under every broker.",
                  no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="MT4 DetailedStatement.htm, MT5 ReportHistory (.html/.xlsx) or MT5 "
                                              "ReportTester.html.")]
SymbolMapOpt = Annotated[Optional[list[str]], typer.Option(
    "--symbol", help="Map a broker symbol to a catalog one, RAW=SYMBOL (repeatable), e.g. --symbol GER.40=DE40.")]
ZoneOpt = Annotated[Optional[str], typer.Option(
    "--zone", help="The statement server's time zone (IANA name, offset such as +02:00, or ny+7); without it "
                   "times stay in server time.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _pairs(items: list[str] | None, what: str, example: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            fail(f"{what} {item!r}: expected {example}")
        out[key.strip()] = value.strip()
    return out


def load_statement(path: Path, symbol: list[str] | None, zone: str | None) -> Statement:
    """The statement, its symbols mapped and its times moved to UTC when a zone is given; errors exit 2."""
    try:
        s = read_statement(path, _pairs(symbol, "--symbol", "RAW=SYMBOL, e.g. GER.40=DE40"))
        return s.in_zone(zone) if zone else s
    except (StatementError, KeyError) as exc:
        fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))


def _load_prices(data: list[str] | None, store: Path | None) -> dict[str, Any]:
    from ..data import load
    from ..data.errors import DataError

    out: dict[str, Any] = {}
    for src in data or []:
        try:
            frame = load(src, store=store)
        except (DataError, OSError, ValueError) as exc:
            fail(f"--data {src!r}: {exc}")
        out[str(frame.symbol).upper()] = frame
    return out


@app.command("import")
def import_cmd(file: FileArg, symbol: SymbolMapOpt = None, zone: ZoneOpt = None, json_out: JsonOpt = False) -> None:
    """Read a statement: the account, deposits and withdrawals, trades and deals, as leverlab understands them."""
    s = load_statement(file, symbol, zone)
    if json_out:
        ops = [{"time": _iso(b.time), "amount": str(b.amount), "kind": b.kind, "comment": b.comment}
               for b in s.balance_ops]
        emit_json({**s.summary(), "balance_operations": ops, "trades_list": [t.to_dict() for t in s.trades]})
        return
    d = s.summary()
    a = d["account"]
    console.print(f"[bold]{file.name}[/]: {s.format}, account {a['number'] or '-'} in {a['currency']}, leverage "
                  f"{'1:%g' % a['leverage'] if a['leverage'] else 'not stated'}, {a['company'] or 'company not stated'}"
                  f"{', server ' + a['server'] if a['server'] else ''}", highlight=False)
    t = Table(title="What the statement holds", title_justify="left")
    t.add_column("item")
    t.add_column("value", justify="right")
    for k in ("trades", "closed_trades", "partly_closed", "open_trades", "closing_deals", "balance_operations",
              "deposits", "withdrawals", "stated_balance", "start", "end"):
        t.add_row(k.replace("_", " "), str(d[k]))
    print_wide(t)
    console.print("symbols: " + ", ".join(s.symbols), highlight=False)
    for raw, why in s.unmapped.items():
        console.print(f"[yellow]unmapped[/] {raw}: {why}", highlight=False)
    for n in (s.time_note(), *s.notes):
        console.print(f"note: {n}", highlight=False)


def _iso(ns: int) -> str:
    from ..times import iso

    return iso(ns)


@app.command("reconcile")
def reconcile_cmd(
    file: FileArg,
    data: Annotated[Optional[list[str]], typer.Option(
        "--data", help="Prices of a conversion pair (a file, a stored symbol or sample:eurusd-h1); repeatable.")
    ] = None,
    rate: Annotated[Optional[list[str]], typer.Option(
        "--rate", help="A conversion price used at every close, PAIR=PRICE (repeatable).")] = None,
    contract_size: Annotated[Optional[list[str]], typer.Option(
        "--contract-size", help="Units a lot where the statement's broker differs from the catalog, SYMBOL=N.")] = None,
    symbol: SymbolMapOpt = None,
    zone: ZoneOpt = None,
    store: StoreOpt = None,
    show: Annotated[int, typer.Option("--show", help="Unmatched deals to list (0: none).")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Recompute every closed trade (each deal of an MT5 partial close) with leverlab's formulas and check the
    balance: matched to the cent, within one minor unit, or unmatched with the reason."""
    from ..history import reconcile

    s = load_statement(file, symbol, zone)
    sizes = {}
    for k, v in _pairs(contract_size, "--contract-size", "SYMBOL=UNITS, e.g. ETHUSD=10").items():
        try:
            sizes[k] = float(v)
        except ValueError:
            fail(f"--contract-size {k}={v}: expected a number of units a lot")
    r = reconcile(s, rates=parse_rates(rate), prices=_load_prices(data, store), contract_sizes=sizes)
    if json_out:
        emit_json(r.to_dict())
        return
    c = r.counts
    own = [x for x in r.checks if x.basis in ("account", "own")]
    console.print(f"[bold]{file.name}[/]: {len(r.checks)} closing deals: [green]{c['cent']} to the cent[/], "
                  f"{c['minor_unit']} within one minor unit, [red]{c['unmatched']} unmatched[/]", highlight=False)
    console.print(f"in the account currency or at their own close: {sum(x.status == 'cent' for x in own)} of "
                  f"{len(own)} to the cent", highlight=False)
    b = r.balance
    mark = "[green]ok[/]" if b.ok else "[red]does not add up[/]"
    console.print(f"balance: deposits {b.deposits} + withdrawals {b.withdrawals} + other {b.other_ops} + profit "
                  f"{b.profit} + commission {b.commission} + swap {b.swap} + fees/taxes {b.fees_taxes} = "
                  f"{b.computed}; stated {b.stated}: {mark}", highlight=False)
    cm = r.commission
    console.print(f"commission: {cm['consistent']} of {cm['checked']} deals follow the statement's own rate per lot "
                  f"(per {cm['per']})", highlight=False)
    for sym, size in r.inferred_contract_sizes.items():
        console.print(f"[yellow]contract size[/] {sym}: every deal matches with {size.normalize():f} units a lot; "
                      f"rerun with --contract-size {sym}={size.normalize():f}", highlight=False)
    for reason, n in r.unmatched_reasons().items():
        console.print(f"unmatched: {n} x {reason}", highlight=False)
    bad = [x for x in r.checks if x.status == "unmatched"][:max(0, show)]
    if bad:
        t = Table(title="Unmatched deals", title_justify="left")
        for col in ("ticket", "symbol", "lots", "close time", "stated", "computed", "reason"):
            t.add_column(col, justify="right" if col in ("lots", "stated", "computed") else "left")
        for x in bad:
            t.add_row(x.ticket, x.symbol, str(x.lots), _iso(x.close_time), str(x.stated),
                      "-" if x.computed is None else str(x.computed), x.reason)
        print_wide(t)
    for note in r.notes + list(s.notes):
        console.print(f"note: {note}", highlight=False)


@app.command("compare")
def compare_cmd(
    file: FileArg,
    data: Annotated[Optional[list[str]], typer.Option(
        "--data", help="Price data for the traded symbols and the pairs that convert them (a file, a stored symbol "
                       "or sample:eurusd-h1; repeatable). Without it the statement's own prices are used.")] = None,
    country: Annotated[str, typer.Option("--country", help="Your country of residence, ISO-2.")] = "SC",
    client: Annotated[str, typer.Option("--client", help="retail or pro.")] = "retail",
    currency: Annotated[Optional[str], typer.Option(
        "--currency", help="Account currency (default: the statement's).")] = None,
    leverage: Annotated[Optional[str], typer.Option(
        "--leverage", help="Leverage you would pick (default: the most each broker allows you).")] = None,
    brokers: Annotated[Optional[str], typer.Option("--brokers", help="Comma-separated broker ids.")] = None,
    weights: Annotated[Optional[str], typer.Option("--weights", help="Score weights, e.g. survival=3,return=2")] = None,
    spread: Annotated[str, typer.Option("--spread", help="auto, broker or data (as in compare).")] = "auto",
    contract_size: Annotated[Optional[list[str]], typer.Option(
        "--contract-size", help="Units a lot at the statement's broker where it differs from the catalog, "
                                "SYMBOL=N.")] = None,
    symbol: SymbolMapOpt = None,
    zone: ZoneOpt = None,
    store: StoreOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Directory for report.html and report.png.")] =
    Path("leverlab-report"),
    json_out: JsonOpt = False,
) -> None:
    """Place your statement's trades and deposits on every account you can open, rank the accounts, write the report."""
    from ..analysis.compare import CompareError
    from ..analysis.score import WeightsError
    from ..history import compare_statement
    from ._common import client_option, leverage_option
    from .compare import print_comparison, print_report_paths, write_report_files

    s = load_statement(file, symbol, zone)
    sizes = {k: _float(v, f"--contract-size {k}") for k, v in
             _pairs(contract_size, "--contract-size", "SYMBOL=UNITS, e.g. ETHUSD=10").items()}
    try:
        h = compare_statement(s, data=list(data) if data else None, country=country, client=client_option(client),
                              currency=currency, leverage=leverage_option(leverage),
                              brokers=[b.strip() for b in brokers.split(",") if b.strip()] if brokers else None,
                              weights=weights, spread=spread, store=store, contract_sizes=sizes)
    except (CompareError, WeightsError) as exc:
        fail(str(exc))
    c = h.comparison
    written = write_report_files(c, out)
    if json_out:
        doc = h.to_dict()
        doc["report"] = {"html": str(written[0]), "png": str(written[1])} if written else None
        emit_json(doc)
        return
    print_comparison(c)
    t = Table(title="Your trades on each account", title_justify="left")
    for col in ("account", "placed", "closed as stated", "not placed", "closed early", "filled late", "refused"):
        t.add_column(col, justify="left" if col == "account" else "right")
    for label, log in h.accounts.items():
        what = [x.what for x in log.skipped]
        t.add_row(label, str(log.placed), str(log.closed_as_stated), str(what.count("not placed")),
                  str(what.count("closed before the statement closed it")), str(what.count("filled late")),
                  str(what.count("transfer refused") + what.count("close refused")))
    print_wide(t)
    for label, log in h.accounts.items():
        for x in log.skipped[:5]:
            if x.what != "filled late":
                console.print(f"[yellow]{x.what}[/] {label} {x.ticket} {x.symbol} {_iso(x.time)}: {x.reason}",
                              highlight=False, emoji=False)
        if len([x for x in log.skipped if x.what != "filled late"]) > 5:
            console.print(f"  ... {label}: {len(log.skipped)} in all (--json lists every one)", highlight=False)
    best = c.ranked[0] if c.ranked else None
    if best is not None and best.score is not None:
        console.print(f"[bold green]best for your trades:[/] {best.broker_name} {best.account_type} "
                      f"(score {best.score['total'] * 100:.1f})", highlight=False, emoji=False)
    if written:
        print_report_paths(*written)


def _float(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        fail(f"{what}={text}: expected a number")
