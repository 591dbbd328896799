"""``leverlab data``: import files into the local store, list, verify or delete what is there, show a report.

Each command takes ``--json`` and then prints exactly one JSON document (nothing else on stdout).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..data.errors import DataError
from ..data.store import ImportResult, Store, parse_range
from ._common import StoreOpt, console, emit_json, err_console, error_document, fail, print_wide

app = typer.Typer(help="Market data: import files into the local store, list, verify or delete it, show "
                       "validation reports.",
                  no_args_is_help=True)


def _fail(e: Exception, as_json: bool) -> NoReturn:
    """A user error: with --json one document saying so, otherwise a message on stderr; exit code 2."""
    if as_json:
        emit_json(error_document(str(e), 2))
        raise typer.Exit(2)
    fail(str(e))


def _open(store: Path | None, as_json: bool) -> Store:
    """The store at ``store`` (or the default one); a folder that cannot be a store is a user error."""
    try:
        return Store(store)
    except (DataError, OSError) as e:
        _fail(e, as_json)


def _policy(items: list[str]) -> dict[str, str]:
    out = {}
    for it in items:
        if "=" not in it:
            raise typer.BadParameter(f"--policy {it!r}: expected CHECK=ACTION, e.g. crossed=fix")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


@app.command("import")
def import_(
    paths: list[Path] = typer.Argument(..., help="Files or folders (LEAN day-zip folders, Dukascopy trees)."),
    symbol: Optional[str] = typer.Option(None, "--symbol", "-s", help="Symbol, if the file name does not say it."),
    store: StoreOpt = None,
    format: Optional[str] = typer.Option(None, "--format", "-f", help="Reader name; detected if omitted."),
    tz: Optional[str] = typer.Option(None, "--tz", help="Timezone of the file's times (MT5 exports: required)."),
    date_format: Optional[str] = typer.Option(None, "--date-format", help="Order of day and month in dates like "
                                              "01/02/2020: DMY or MDY (or a full format, e.g. '%d/%m/%Y %H:%M')."),
    policy: list[str] = typer.Option([], "--policy", "-p", help="CHECK=ACTION, e.g. crossed=fix (repeatable)."),
    replace: bool = typer.Option(False, "--replace", help="Remove the stored rows in each file's time span first."),
    replace_range: Optional[str] = typer.Option(None, "--replace-range", help="START..END (UTC, end exclusive): "
                                                "remove the stored rows in that range first."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Read, validate and store files. New rows win where times coincide (conflicts are counted);
    stored rows at other times are kept. Each file is its own import: one bad file fails alone."""
    st = _open(store, as_json)
    opts: dict[str, Any] = {}
    if tz:
        opts["tz"] = tz
    if date_format:
        opts["date_format"] = date_format
    try:
        pol = _policy(policy)
        if replace and replace_range:
            raise DataError("give --replace or --replace-range, not both")
        rng: Any = parse_range(replace_range) if replace_range else replace
    except (DataError, ValueError) as e:
        _fail(e, as_json)
    results: list[ImportResult] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err_console, disable=as_json, transient=True) as prog:
        files = prog.add_task("files", total=len(paths))
        step = prog.add_task("", total=3)
        for p in paths:
            def tick(stage: str, done: int, total: int, _p: Path = p) -> None:
                prog.update(step, description=f"{_p.name}: {stage}", completed=done, total=max(total, 1))
            try:
                results.append(st.import_file(p, symbol, format=format, policy=pol or None, progress=tick,
                                              replace=rng, **opts))
            except (DataError, ValueError, OSError) as e:
                msg = str(e) if str(p) in str(e) else f"{p}: {e}"
                results.append(ImportResult(symbol or "", "", str(p), 0, status="failed", error=msg))
            prog.advance(files)
    failed = [r for r in results if r.status == "failed"]
    if as_json:
        doc: dict[str, Any] = {"ok": not failed, "store": str(st.root), "imports": [r.to_dict() for r in results]}
        if failed:
            doc["error"] = "; ".join(r.error for r in failed)
        emit_json(doc)
        if failed:
            raise typer.Exit(2)
        return
    for r in results:
        if r.status == "failed":
            err_console.print(f"[bold red]failed:[/] {escape(r.error)}", highlight=False)
            continue
        for n in r.notes:
            console.print(f"{r.source}: note: {n}")
        if r.status == "skipped":
            console.print(f"{r.source}: skipped, {r.reason} ({r.symbol} {r.kind}); nothing changed")
            continue
        console.print(f"{r.source}: imported {r.rows:,} rows -> {r.symbol} {r.kind}: {r.added:,} added, "
                      f"{r.unchanged:,} unchanged, {r.conflicts:,} conflicting time(s) overwritten "
                      f"({r.overwritten_rows:,} stored rows had other values), {r.replaced_rows:,} stored rows "
                      f"removed by replace ({len(r.partitions)} month(s), {r.seconds:.2f} s)")
        for f in r.repaired:
            console.print(f"  repaired damaged partition {f}")
        rep = r.report or {}
        if rep.get("timezone_assumed"):
            console.print(f"  timezone: {rep.get('timezone')} ASSUMED - {rep.get('timezone_reason')}")
        if rep.get("date_order"):
            console.print(f"  dates: {rep['date_order']}")
        for i in rep.get("issues", []):
            if i["count"]:
                console.print(f"  {i['check']}: {i['count']:,} ({i['action']}, {i['changed']:,} changed) {i['detail']}")
    if failed:
        err_console.print(f"{len(failed)} of {len(results)} file(s) failed; the others were imported as shown")
        raise typer.Exit(2)


@app.command("delete")
def delete(
    symbol: str = typer.Argument(..., help="A stored symbol."),
    store: StoreOpt = None,
    kind: Optional[str] = typer.Option(None, "--kind", "-k", help="One dataset only, e.g. ticks or bars-H1."),
    range_: Optional[str] = typer.Option(None, "--range", help="START..END (UTC, end exclusive): only these rows."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Remove a symbol's stored rows: all of them, one kind, or a time range."""
    st = _open(store, as_json)
    try:
        lo, hi = parse_range(range_) if range_ else (None, None)
        rows = st.delete(symbol, kind, lo, hi)
    except DataError as e:
        _fail(e, as_json)
    if as_json:
        emit_json({"ok": True, "store": str(st.root), "symbol": symbol.upper(), "kind": kind, "range": range_,
                   "rows_removed": rows})
        return
    console.print(f"{symbol.upper()}{' ' + kind if kind else ''}{' ' + range_ if range_ else ''}: "
                  f"{rows:,} rows removed from {st.root}")


@app.command("verify")
def verify(
    store: StoreOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Read every stored partition in full and name any damaged file (exit code 1 if one is)."""
    st = _open(store, as_json)
    try:
        rows = st.verify()
    except DataError as e:
        _fail(e, as_json)
    damaged = [p for r in rows for p in r["damaged"]]
    if as_json:
        emit_json({"ok": not damaged, "store": str(st.root), "datasets": rows})
    else:
        for r in rows:
            if r["damaged"]:
                for p in r["damaged"]:
                    console.print(f"DAMAGED {r['dataset']}: {p['problem']}")
                console.print(f"  repair: import its source again: {'; '.join(r['sources'])}")
        total = sum(r["partitions"] for r in rows)
        console.print(f"{total} partition(s) of {len(rows)} dataset(s) read in {st.root}: "
                      + (f"{len(damaged)} damaged" if damaged else "all intact"))
    if damaged:
        raise typer.Exit(1)


@app.command("list")
def list_(
    store: StoreOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """What the store holds: symbol, kind, range, rows, source."""
    st = _open(store, as_json)
    try:
        rows = st.list()
    except DataError as e:
        _fail(e, as_json)
    if as_json:
        emit_json({"ok": True, "store": str(st.root), "datasets": rows})
        return
    t = Table(title=f"store {st.root}")
    for c in ("symbol", "kind", "start", "end", "rows", "timezone", "source"):
        t.add_column(c, justify="right" if c == "rows" else "left")
    for r in rows:
        zone = "UTC (assumed)" if r["tz_assumed"] else "; ".join(r["timezones"]) or "UTC"
        t.add_row(r["symbol"], r["kind"], r["start"], r["end"], f"{r['rows']:,}", zone, "; ".join(r["sources"]))
    if rows:
        print_wide(t)
    else:
        console.print(f"store {st.root} is empty; add data with `leverlab data import PATH`")


@app.command("show")
def show(
    symbol: str = typer.Argument(..., help="A stored symbol, or sample:eurusd-h1 / sample:xauusd-h1."),
    store: StoreOpt = None,
    timeframe: Optional[str] = typer.Option(None, "--timeframe", "-t", help="Which bars (else ticks, if stored)."),
    recheck: bool = typer.Option(False, "--recheck", help="Validate the stored data again as a whole."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """The validation report(s) of a stored symbol (or of a bundled sample)."""
    from ..data.validate import validate

    try:
        if symbol.lower().startswith("sample:") or recheck:
            from ..data import load

            frame = load(symbol, store=store) if symbol.lower().startswith("sample:") else \
                Store(store).load(symbol, timeframe=timeframe, kind="bars" if timeframe else None)
            reports = [validate(frame).to_dict()]
        else:
            reports = Store(store).report(symbol, timeframe=timeframe, kind="bars" if timeframe else None)
    except (DataError, ValueError, OSError) as e:
        _fail(e, as_json)
    if as_json:
        emit_json({"ok": True, "symbol": symbol.upper() if not symbol.startswith("sample:") else symbol,
                   "reports": reports})
        return
    for r in reports:
        console.print(_render(r))


def _render(rep: dict[str, Any]) -> Table:
    """A validation report (``ValidationReport.to_dict()``) as a table, problem rows coloured."""
    kind = rep["kind"] if rep["kind"] == "ticks" else f"bars {rep['timeframe']}"
    t = Table(title=f"{rep['symbol']} {kind} — {rep['rows_out']:,} of {rep['rows_in']:,} rows kept",
              caption=f"{rep['start']} .. {rep['end']}; timezone: {rep['timezone']}"
              + (f" (ASSUMED: {rep.get('timezone_reason', 'not stated in the file')})" if rep.get("timezone_assumed")
                 else "")
              + "".join(f"; {k.replace('_', ' ')}: {rep[k]}" for k in ("date_order", "time_unit") if rep.get(k))
              + f"; source: {rep['source']}")
    for c in ("check", "rows", "action", "changed", "detail / first example"):
        t.add_column(c)
    for i in rep["issues"]:
        ex = i["detail"] or (", ".join(f"{k}={v}" for k, v in i["examples"][0].items()) if i["examples"] else "")
        style = None if i["count"] == 0 else ("red" if i["action"] == "error" else "yellow")
        t.add_row(i["check"], f"{i['count']:,}", i["action"], f"{i['changed']:,}", ex, style=style)
    return t
