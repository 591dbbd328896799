"""Command-line commands over the broker API, as plain Typer-compatible functions.

Register them on an app: ``app.command("brokers")(brokers_cmd)``, ``app.command("broker")(broker_cmd)``,
``app.command("leverage")(leverage_cmd)``. With ``--json`` each prints exactly one JSON document.
A bad broker, account type, symbol or country exits with code 2 and a message naming the bad
value and the valid ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..brokers import (
    NoEntityError,
    PolicyError,
    ProfileError,
    UnknownBrokerError,
    UnknownCountryError,
    headline_table,
    leverage,
    load_all,
    load_broker,
)
from ..brokers.summary import describe, for_trader, reference_rates
from ..data.calendar import read_calendar
from ..instruments import UnknownSymbolError
from ._common import client_option, console, emit_json, fail, positive_option, print_wide

_USER_ERRORS = (UnknownBrokerError, UnknownSymbolError, UnknownCountryError, NoEntityError, PolicyError,
                ProfileError, ValueError)


def brokers_cmd(
    equity: float = typer.Option(1_000.0, "--equity", help="your equity (deposit), in --currency"),
    country: str = typer.Option("SC", "--country", help="ISO-3166 country of residence"),
    client: str = typer.Option("retail", "--client", help="retail or pro"),
    symbol: str = typer.Option("EURUSD", "--symbol", help="symbol for the 'leverage at equity' column"),
    currency: str = typer.Option("USD", "--currency", help="currency of --equity (USD, EUR, GBP, AUD, JPY, CHF)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """The brokers as they are for you: the entity that serves you and its regulator, the accounts you can
    open with their minimum deposit, margin call / stop-out, NBP and the leverage you get at --equity."""
    positive_option("--equity", equity)
    client_option(client)
    try:
        profiles = load_all()
        rows = headline_table(profiles)
        for p, row in zip(profiles, rows):
            try:
                mine = for_trader(p, country, client, equity, currency, symbol)
            except NoEntityError as exc:
                row["for_you"] = {"error": str(exc)}
                row["leverage_at_equity"] = {"account_type": None, "leverage": "n/a", "entity": None,
                                             "bound_by": str(exc)}
                continue
            row["for_you"] = mine
            first = mine["accounts"][0] if mine["accounts"] else None
            row["leverage_at_equity"] = (
                {"account_type": first["account_type"], "leverage": first["leverage"], "entity": mine["entity"],
                 "bound_by": first.get("leverage_bound_by") or first.get("leverage_why", "")} if first else
                {"account_type": None, "leverage": "n/a", "entity": mine["entity"],
                 "bound_by": "no account type is offered to this trader"})
    except _USER_ERRORS as exc:
        fail(str(exc))
        return
    ccy = currency.upper()
    if as_json:
        emit_json({"equity": equity, "currency": ccy, "country": country.upper(), "client": client,
                   "symbol": symbol.upper(), "brokers": rows})
        return
    table = Table(title=f"Brokers for a {client} client resident of {country.upper()} with {equity:,.2f} {ccy} "
                        f"({symbol.upper()})", show_lines=True)
    for col in ("broker", "entity (regulator)", "accounts you can open", "min deposit", "MC / SO", "NBP",
                f"leverage at {equity:,.0f} {ccy}"):
        table.add_column(col, overflow="fold")
    for r in rows:
        mine = r["for_you"]
        if "error" in mine:
            table.add_row(r["name"], escape(mine["error"]), "-", "-", "-", "-", "-")
            continue
        opened = ", ".join(a["account_type"] for a in mine["accounts"]) or "none"
        table.add_row(r["name"], escape(f"{mine['entity_name']} ({mine['regulator']})"), escape(opened),
                      escape(mine["min_deposit"]), escape(mine["levels"]), escape(mine["nbp"]),
                      escape(mine["leverage"]))
    print_wide(table)
    for r in rows:
        why: dict[str, list[str]] = {}
        for a in r["for_you"].get("accounts", []):
            if a.get("leverage_why"):
                why.setdefault(a["leverage_why"], []).append(a["account_type"])
        for text, ids in why.items():
            console.print(f"{r['id']} ({', '.join(ids)}): leverage unknown - {escape(text)}", highlight=False,
                          soft_wrap=True)
        for a in r["for_you"].get("not_offered", []):
            console.print(f"{r['id']}/{a['account_type']}: not for you - {escape(a['reason'])}", highlight=False,
                          soft_wrap=True)
    console.print("Minimum deposits are converted into your currency at the reference rates of "
                  f"{reference_rates()['as_of']}; leverage on a cent account is read at your equity in cents.",
                  highlight=False)


def broker_cmd(
    name: str = typer.Argument(..., help="broker id or path of a profile file"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """One broker's every rule and figure, each with its source; an unknown one says why."""
    try:
        p = load_broker(name)
    except _USER_ERRORS as exc:
        fail(str(exc))
        return
    doc = p.model_dump(mode="json")
    _resolve_sources(doc, p)
    lines = describe(p)
    if as_json:
        doc["rules"] = [{"path": a, "value": b, "source": c} for a, b, c in lines]
        emit_json(doc)
        return
    console.print(f"[bold]{p.name}[/bold] ({p.id}), as of {p.as_of}")
    for path, val, src in lines:
        console.print(f"  {escape(path)}: [bold]{escape(val)}[/bold]  [dim]{escape(src)}[/dim]",
                      soft_wrap=True, highlight=False)


def _resolve_sources(doc: Any, p: Any) -> None:
    """Replace source keys by their URLs throughout a dumped profile (in place)."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "source" and isinstance(v, str):
                doc[k] = p.source_url(v)
            else:
                _resolve_sources(v, p)
    elif isinstance(doc, list):
        for v in doc:
            _resolve_sources(v, p)


def leverage_cmd(
    broker: str = typer.Option(..., "--broker", help="broker id or path of a profile file"),
    account_type: str = typer.Option(..., "--account-type", help="account type id or name"),
    country: str = typer.Option(..., "--country", help="ISO-3166 alpha-2 country of residence"),
    client: str = typer.Option("retail", "--client", help="retail or pro"),
    symbol: str = typer.Option(..., "--symbol", help="instrument symbol, e.g. EURUSD"),
    equity: float = typer.Option(..., "--equity", help="account equity in account units (cents for cent accounts)"),
    time: Optional[str] = typer.Option(None, "--time", help="ISO 8601 time the position is opened"),
    calendar: Optional[Path] = typer.Option(None, "--calendar", help="file of high-impact event times"),
    selected: Optional[str] = typer.Option(None, "--selected", help="leverage selected by the trader (N or unlimited)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """The leverage (or fixed margin rate) for one position, with every rule considered."""
    positive_option("--equity", equity)
    try:
        if client not in ("retail", "pro"):
            raise PolicyError(f"--client {client!r}; expected 'retail' or 'pro'")
        events = read_calendar(calendar) if calendar is not None else []
        a = leverage(broker, account_type, country, client, symbol, equity, time=time, calendar=events,
                     selected=selected)
    except OSError as exc:
        fail(f"cannot read calendar: {exc}")
        return
    except _USER_ERRORS as exc:
        fail(str(exc))
        return
    doc = a.to_dict()
    if as_json:
        emit_json(doc)
        return
    typer.echo(a.explanation)

