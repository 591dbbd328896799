"""``leverlab data``: import files into the local store, list what is there, show a report.

Each command takes ``--json`` and then prints exactly one JSON document (nothing else on stdout).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..data.errors import DataError
from ..data.store import Store
from ._common import console, emit_json, err_console, fail

app = typer.Typer(help="Market data: import files into the local store, list it, show validation reports.",
                  no_args_is_help=True)


def _fail(e: Exception, as_json: bool) -> NoReturn:
    """A user error: with --json one document saying so, otherwise a message on stderr; exit code 2."""
    if as_json:
        emit_json({"ok": False, "error": str(e), "type": type(e).__name__})
        raise typer.Exit(2)
    fail(str(e))


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
    store: Optional[Path] = typer.Option(None, "--store", help="Store folder (default: user data directory)."),
    format: Optional[str] = typer.Option(None, "--format", "-f", help="Reader name; detected if omitted."),
    tz: Optional[str] = typer.Option(None, "--tz", help="Timezone of the file's times (MT5 exports: required)."),
    policy: list[str] = typer.Option([], "--policy", "-p", help="CHECK=ACTION, e.g. crossed=fix (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Read, validate and store files; re-importing the same file changes nothing."""
    st = Store(store)
    opts: dict[str, Any] = {}
    if tz:
        opts["tz"] = tz
    results = []
    try:
        pol = _policy(policy)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=err_console, disable=as_json, transient=True) as prog:
            files = prog.add_task("files", total=len(paths))
            step = prog.add_task("", total=3)
            for p in paths:
                def tick(stage: str, done: int, total: int, _p: Path = p) -> None:
                    prog.update(step, description=f"{_p.name}: {stage}", completed=done, total=max(total, 1))
                results.append(st.import_file(p, symbol, format=format, policy=pol or None, progress=tick, **opts))
                prog.advance(files)
    except (DataError, ValueError, OSError) as e:
        _fail(e, as_json)
    if as_json:
        emit_json({"ok": True, "store": str(st.root), "imports": [r.to_dict() for r in results]})
        return
    for r in results:
        if r.skipped:
            console.print(f"{r.source}: already imported ({r.symbol} {r.kind}), nothing changed")
        else:
            console.print(f"{r.source}: {r.rows:,} rows -> {r.symbol} {r.kind} "
                           f"({len(r.partitions)} month(s), {r.replaced_rows:,} stored rows replaced, {r.seconds:.2f} s)")
            rep = r.report or {}
            for i in rep.get("issues", []):
                if i["count"]:
                    console.print(f"  {i['check']}: {i['count']:,} ({i['action']}, {i['changed']:,} changed) {i['detail']}")


@app.command("list")
def list_(
    store: Optional[Path] = typer.Option(None, "--store", help="Store folder (default: user data directory)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """What the store holds: symbol, kind, range, rows, source."""
    st = Store(store)
    try:
        rows = st.list()
    except DataError as e:
        _fail(e, as_json)
    if as_json:
        emit_json({"ok": True, "store": str(st.root), "datasets": rows})
        return
    t = Table(title=f"store {st.root}")
    for c in ("symbol", "kind", "start", "end", "rows", "source"):
        t.add_column(c, justify="right" if c == "rows" else "left")
    for r in rows:
        t.add_row(r["symbol"], r["kind"], r["start"], r["end"], f"{r['rows']:,}", "; ".join(r["sources"]))
    console.print(t if rows else f"store {st.root} is empty; add data with `leverlab data import PATH`")


@app.command("show")
def show(
    symbol: str = typer.Argument(..., help="A stored symbol, or sample:eurusd-h1 / sample:xauusd-h1."),
    store: Optional[Path] = typer.Option(None, "--store", help="Store folder (default: user data directory)."),
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
    except (DataError, ValueError) as e:
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
              caption=f"{rep['start']} .. {rep['end']}; timezone: {rep['timezone']}; source: {rep['source']}")
    for c in ("check", "rows", "action", "changed", "detail / first example"):
        t.add_column(c)
    for i in rep["issues"]:
        ex = i["detail"] or (", ".join(f"{k}={v}" for k, v in i["examples"][0].items()) if i["examples"] else "")
        style = None if i["count"] == 0 else ("red" if i["action"] == "error" else "yellow")
        t.add_row(i["check"], f"{i['count']:,}", i["action"], f"{i['changed']:,}", ex, style=style)
    return t
