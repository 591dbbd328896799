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
from ..brokers.schema import leverage_text
from ..data.calendar import read_calendar
from ..instruments import UnknownSymbolError
from ._common import client_option, console, emit_json, fail, positive_option, print_wide

_USER_ERRORS = (UnknownBrokerError, UnknownSymbolError, UnknownCountryError, NoEntityError, PolicyError,
                ProfileError, ValueError)


def brokers_cmd(
    equity: float = typer.Option(1_000.0, "--equity", help="account equity for the 'leverage at equity' column"),
    country: str = typer.Option("SC", "--country", help="ISO-3166 country of residence"),
    client: str = typer.Option("retail", "--client", help="retail or pro"),
    symbol: str = typer.Option("EURUSD", "--symbol", help="symbol for the 'leverage at equity' column"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """The bundled brokers side by side: max leverage, leverage at an equity, deposit, MC/SO, NBP."""
    positive_option("--equity", equity)
    client_option(client)
    try:
        profiles = load_all()
        rows = headline_table(profiles)
        for p, row in zip(profiles, rows):
            row["leverage_at_equity"] = _leverage_at(p, country, client, symbol, equity)
    except _USER_ERRORS as exc:
        fail(str(exc))
        return
    if as_json:
        emit_json({"equity": equity, "country": country.upper(), "client": client, "symbol": symbol.upper(),
                   "brokers": rows})
        return
    table = Table(title=f"Brokers - {symbol.upper()}, {client} resident of {country.upper()}, equity {equity:,.2f}")
    for col in ("broker", "max leverage", f"at {equity:,.0f}", "min deposit", "MC / SO", "NBP", "regulators",
                "features (n)"):
        table.add_column(col)
    for r in rows:
        at = r["leverage_at_equity"]
        table.add_row(r["name"], r["max_leverage"], f"{at['leverage']} ({at['entity']}, {at['bound_by']})",
                      r["min_deposit"], f"{r['margin_call']} / {r['stop_out']}", r["nbp"],
                      ", ".join(r["regulators"]), str(len(r["features"])))
    print_wide(table)


def _leverage_at(profile: Any, country: str, client: str, symbol: str, equity: float) -> dict[str, Any]:
    """Leverage at ``equity`` on the first account type the resident can use."""
    last: Exception | None = None
    for acc in profile.account_types:
        try:
            a = leverage(profile, acc.id, country, client, symbol, equity)
        except PolicyError as exc:
            last = exc
            continue
        return {"account_type": acc.id, "leverage": leverage_text(a.leverage), "entity": a.entity,
                "bound_by": a.bound_by}
    if isinstance(last, NoEntityError):
        raise last
    return {"account_type": None, "leverage": "n/a", "entity": None, "bound_by": str(last)}


def broker_cmd(
    name: str = typer.Argument(..., help="broker id or path of a profile file"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """One broker's whole profile, each figure with its source."""
    try:
        p = load_broker(name)
    except _USER_ERRORS as exc:
        fail(str(exc))
        return
    doc = p.model_dump(mode="json")
    _resolve_sources(doc, p)
    if as_json:
        emit_json(doc)
        return
    console.print(f"[bold]{p.name}[/bold] ({p.id}), as of {p.as_of}")
    for path, fact in _facts(doc, ""):
        val = fact.get("value")
        src = fact.get("source") or "-"
        conf = fact.get("confidence") or "-"
        console.print(f"  {escape(path)}: [bold]{escape(str(val))}[/bold]  [dim]{conf} | {escape(str(src))}[/dim]",
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


def _facts(doc: Any, path: str) -> Any:
    """Yield (path, {value, source, confidence}) for every figure of a dumped profile."""
    if isinstance(doc, dict):
        if "value" in doc:
            yield path, doc
            return
        if "min" in doc and "leverage" in doc:
            yield path, {"value": f"{doc['min']:,} .. {doc['max'] if doc['max'] is not None else 'open'}: "
                                  f"{doc['leverage']}" + (f" (default {doc['default_leverage']})"
                                                          if doc.get("default_leverage") else ""),
                         "source": doc.get("source") or "(the table's source)", "confidence": doc.get("confidence")}
            return
        if "source" in doc and path:
            keys = ("name", "model", "id", "timezone", "period", "countries")
            summary = next((doc[k] for k in keys if doc.get(k)), "")
            yield path, {"value": summary, "source": doc.get("source"), "confidence": doc.get("confidence")}
        for k, v in doc.items():
            if k not in ("sources", "source", "confidence", "date", "note"):
                yield from _facts(v, f"{path}.{k}" if path else k)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            label = v.get("id") if isinstance(v, dict) and v.get("id") else str(i)
            yield from _facts(v, f"{path}[{label}]")


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

