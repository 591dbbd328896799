"""Command-line faces of the comparison: ``leverlab compare``, ``sweep`` and ``demo`` (registered by ``leverlab.cli``).

Bad input (unknown strategy or parameter, a deposit below every minimum, data too short, weights
that do not parse) ends with a clear message and exit code 2 before any file is written; the
report is written to a temporary file and renamed, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import math
import time
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..analysis.compare import CompareError, Comparison, Sizing
from ..brokers.schema import leverage_text
from ._common import StoreOpt, console, emit_json, err_console, fail, leverage_option, order_size, parse_params

DataOpt = Annotated[str, typer.Option("--data", help="Market data: a file, a stored symbol or sample:eurusd-h1.")]
DataListOpt = Annotated[Optional[list[str]], typer.Option(
    "--data", help="Market data: a file, a stored symbol or sample:eurusd-h1 (default). Repeat it to add the "
                   "prices that convert a currency, e.g. --data EURUSD --data AUDUSD.")]
SymbolOpt = Annotated[Optional[str], typer.Option("--symbol", help="Symbol of the data when the file does not say.")]
StrategyOpt = Annotated[str, typer.Option("--strategy", help="Strategy name (see `leverlab strategies`), or "
                                                            "path/to/file.py:ClassName for your own.")]
ParamOpt = Annotated[Optional[list[str]], typer.Option("--param", help="Strategy parameter NAME=VALUE (repeatable).")]
LotsOpt = Annotated[Optional[float], typer.Option("--lots", help="Fixed lots per order.")]
UnitsOpt = Annotated[Optional[float], typer.Option("--units", help="Fixed units of base currency per order.")]
RiskOpt = Annotated[Optional[float], typer.Option("--risk", help="Percent of equity lost at the stop (default 1).")]
DepositOpt = Annotated[float, typer.Option("--deposit", help="Deposit in the account currency.")]
CurrencyOpt = Annotated[str, typer.Option("--currency", help="Account currency (USD, EUR, ...).")]
CountryOpt = Annotated[str, typer.Option("--country", help="Your country of residence, ISO-2 (DE, GB, AU, SC...).")]
ClientOpt = Annotated[str, typer.Option("--client", help="retail or pro.")]
LeverageOpt = Annotated[Optional[str], typer.Option("--leverage",
                                                    help="Leverage you would pick (1000, 1:1000, unlimited); "
                                                         "default: the most each broker allows you.")]
WorkersOpt = Annotated[Optional[int], typer.Option("--workers", help="Parallel backtests (default: all cores).")]
StartOpt = Annotated[Optional[str], typer.Option("--start", help="First date of the data to use (ISO).")]
EndOpt = Annotated[Optional[str], typer.Option("--end", help="Last date of the data to use (ISO).")]
ExecutorOpt = Annotated[str, typer.Option("--executor", help="Where the backtests run: local (a process pool on "
                                          "this machine) or ray (pip install 'leverlab[ray]').")]
AddressOpt = Annotated[Optional[str], typer.Option("--address", help="With --executor ray: an existing Ray cluster "
                                                   "(ray://host:10001, or auto); default: a local Ray.")]


def executor_option(executor: str, address: str | None) -> None:
    """--executor / --address checked before anything runs (exit code 2 when Ray is missing or unknown)."""
    from ..analysis.executor import ExecutorError, check_executor

    try:
        check_executor(executor, address)
    except ExecutorError as exc:
        fail(f"--executor: {exc}")


def params_option(items: list[str] | None) -> dict[str, str]:
    """``parse_params`` for compare and sweep, a malformed option exiting with code 2."""
    try:
        return parse_params(items)
    except ValueError as exc:
        fail(str(exc))


def parse_sizing(lots: float | None, units: float | None, risk: float | None) -> Sizing:
    """One of --lots / --units / --risk (risk 1 % when none is given)."""
    try:
        given = order_size(lots, units, risk)
    except ValueError as exc:
        fail(str(exc))
    kind, value = next(iter(given.items()), ("risk", 1.0))
    try:
        return Sizing(kind, float(value))
    except CompareError as exc:
        fail(f"--{kind}: {exc}")


@contextmanager
def progress_bar(show: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A bar of finished backtests on stderr, as the ``progress(done, total)`` that compare and sweep
    take (None when ``show`` is false, so --json prints nothing else)."""
    if not show:
        yield None
        return
    with Progress(TextColumn("backtests"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task("runs", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:+.1f}%"


def _money(x: float) -> str:
    return f"{x:,.2f}"


_BOUND = {"equity_band": "band", "regulator": "regulator", "entity": "entity", "broker_max": "broker max",
          "account_type": "account", "instrument_cap": "symbol cap", "selected": "as asked", "hmr": "news/weekend",
          "fixed_margin": "fixed margin"}


_SHORT = {"regulator": "reg", "broker max": "max", "account": "acct", "symbol cap": "sym", "as asked": "asked",
          "news/weekend": "hmr", "fixed margin": "fixed"}


def _short_regulator(text: str | None) -> str:
    """The regulator id, or 'unknown' for the profiles' longer notes about an unverified one."""
    if not text:
        return "-"
    head = text.split()[0]
    return head if text == head and len(head) <= 18 else "unknown"


SPREAD_FROM_WIDTH = 32  # the wide table's "spread from" column; longer sources are printed in full below it


def ranking_table(c: Comparison, compact: bool = False) -> Table:
    """The ranking as a rich table: results, costs, protection, leverage and each score component.

    ``compact`` keeps what fits an 80-column terminal (the wide table, the report and --json have all).
    """
    ccy = c.inputs.currency
    t = Table(title=f"Ranking - {c.inputs.strategy} on {c.inputs.symbol} {c.inputs.timeframe or ''} "
                    f"{c.inputs.start[:10]} .. {c.inputs.end[:10]}, {c.inputs.deposit:,.0f} {ccy}, "
                    f"{c.inputs.country} {c.inputs.client}", title_justify="left")
    if compact:
        t.box = box.SIMPLE_HEAD
        t.pad_edge = False
        cols: tuple[str, ...] = ("#", "account", "leverage", f"final {ccy}", "return", "SO", "costs", "score")
    else:
        cols = ("#", "account", "regulator", "leverage", f"final {ccy}", "return", "max DD", "SO/MC/rej",
                "1st SO day", "spread", "spread from", "comm", "swap", "cashback", "NBP", "surv ret cost prot lev",
                "score")
    rows: list[tuple[str, ...]] = []
    for r in c.ranked:
        s, sc = r.stats, r.score or {}
        assert s is not None  # ranked rows were simulated
        co = s.costs
        bound = _BOUND.get(r.leverage_bound_by, r.leverage_bound_by) if r.leverage_bound_by else ""
        score = f"[bold]{sc['total'] * 100:.1f}[/]"
        if compact:
            why = f" {_SHORT.get(bound, bound)}" if bound and console.width >= 100 else ""
            lev = leverage_text(r.leverage) + why
            rows.append((_rank_text(r), r.label + ("*" if r.shared_with else ""), lev, _money(s.final_equity),
                         _pct(s.net_return), str(s.stop_outs),
                         _money(co.spread + co.commission + co.swap - co.cashback), score))
            continue
        rows.append((_rank_text(r), r.label + (f" (= {r.shared_with})" if r.shared_with else ""),
                  _short_regulator(r.regulator), leverage_text(r.leverage) + (f" {bound}" if bound else ""),
                  _money(s.final_equity), _pct(s.net_return), f"{s.max_drawdown * 100:.1f}%",
                  f"{s.stop_outs}/{s.margin_calls}/{s.rejects}",
                  "-" if s.days_to_first_stop_out is None else f"{s.days_to_first_stop_out:.0f}",
                  _money(co.spread), r.spread, _money(co.commission), _money(co.swap), _money(co.cashback),
                  _money(s.nbp_absorbed),
                     " ".join(f"{sc[k]:.2f}" for k in ("survival", "return", "cost", "protection", "leverage")),
                     score))
    # every column as wide as its widest cell; only the account names give way on a narrow terminal
    widths = [max([len(h)] + [len(Text.from_markup(row[i]).plain) for row in rows]) for i, h in enumerate(cols)]
    per_col = 3  # padding and a separator
    widths = [min(w, SPREAD_FROM_WIDTH) if h == "spread from" else w for h, w in zip(cols, widths)]
    room = console.width - sum(w for h, w in zip(cols, widths) if h != "account") - per_col * len(cols)
    for h, w in zip(cols, widths):
        t.add_column(h, justify="left" if h in ("account", "regulator", "leverage", "spread from") else "right",
                     no_wrap=True, min_width=None if h == "account" else min(w, SPREAD_FROM_WIDTH),
                     max_width=max(12, room) if h == "account" else SPREAD_FROM_WIDTH if h == "spread from" else None,
                     overflow="ellipsis")
    for row in rows:
        t.add_row(*row)
    return t


def _rank_text(r: Any) -> str:
    """The rank; a tie shows the tie's first rank with '=' (the differences name what separates them)."""
    if not r.tie:
        return str(r.rank)
    return f"{r.rank}=" if r.tie["rank"] == r.rank else f"{r.rank}(={r.tie['rank']})"


def print_differences(c: Comparison) -> None:
    """What differed between the brokers and why (``Comparison.differences``), first in the printout."""
    console.print("[bold]What differed between the brokers, and why[/]", highlight=False, emoji=False)
    for line in c.differences():
        console.print(line, highlight=False, emoji=False, soft_wrap=True)


def print_comparison(c: Comparison) -> None:
    """What differed and why, the ranking, then the accounts that were not run and why."""
    print_differences(c)
    compact = console.width < 170
    console.print(ranking_table(c, compact=compact))
    if compact:
        console.print("[dim]* same terms as another account type, simulated once. A wider terminal shows the "
                      "costs split, regulator, NBP and each score component; so do --json and the report.[/]")
    w = c.weights
    console.print("score = weighted mean of the components x 100; weights: "
                  + ", ".join(f"{k}={v:g}" for k, v in w.items()), highlight=False, emoji=False)
    capped = [r for r in c.ranked if r.leverage_capped]
    for r in capped:
        console.print(f"[yellow]capped[/] {r.label}: {r.reason.split('; ')[-1]}", highlight=False, emoji=False)
    # where each spread came from, in full where the table has no room for it
    from_broker = [r for r in c.ranked if r.spread != "data" and (compact or len(r.spread) > SPREAD_FROM_WIDTH)]
    for r in from_broker:
        console.print(f"spread {r.label}: {r.spread}", highlight=False, emoji=False)
    if compact and from_broker and len(from_broker) < len(c.ranked):
        console.print("spread of the others: data (the price data's own bid/ask)", highlight=False, emoji=False)
    for r in c.ineligible:
        console.print(f"[red]cannot open[/] {r.label}: {r.reason}" + (f" -> {r.instead}" if r.instead else ""),
                      highlight=False, emoji=False)
    for r in c.unranked:
        console.print(f"[yellow]not ranked[/] {r.label}: {r.unranked}", highlight=False, emoji=False)
    for r in c.failed:
        console.print(f"[red]not run[/] {r.label}: {r.error}", highlight=False, emoji=False)
    for r in c.no_trade:
        s = r.stats
        console.print(f"[yellow]no trade[/] {r.label}: the run filled no order"
                      + (f" ({s.rejects} rejected)" if s and s.rejects else "") + ", so it is not ranked",
                      highlight=False, emoji=False)
    for n in c.notes:
        console.print(f"note: {n}", highlight=False, emoji=False)


def write_report_files(c: Comparison, folder: Path) -> tuple[Path, Path] | None:
    """Write ``c``'s report.html and report.png into ``folder`` and return their paths; None (nothing
    written) when no account was ranked. Ends the command naming ``folder`` when it cannot be written."""
    if not c.ranked:  # without a ranked account there is nothing to report
        return None
    from ..analysis.report import write_report

    html, png = folder / "report.html", folder / "report.png"
    try:
        write_report(c, html, png)
    except OSError as exc:
        fail(f"cannot write the report into {folder}: {exc}")
    return html, png


def print_report_paths(html: Path, png: Path) -> None:
    """The written report's two files, each path printed whole so it stays copyable."""
    console.print(f"report: [bold]{html.resolve()}[/]  picture: {png.resolve()}", highlight=False, emoji=False,
                  soft_wrap=True)


def _run_compare(**kw: Any) -> Comparison:
    from ..analysis.compare import compare

    try:
        return compare(**kw)
    except CompareError as exc:
        fail(str(exc))


def compare_cmd(
    data: DataListOpt = None,
    symbol: SymbolOpt = None,
    strategy: StrategyOpt = "sma_cross",
    param: ParamOpt = None,
    lots: LotsOpt = None,
    units: UnitsOpt = None,
    risk: RiskOpt = None,
    deposit: DepositOpt = 1000.0,
    currency: CurrencyOpt = "USD",
    country: CountryOpt = "SC",
    client: ClientOpt = "retail",
    leverage: LeverageOpt = None,
    weights: Annotated[Optional[str], typer.Option("--weights", help="Score weights, e.g. "
                                                  "survival=4,return=3,cost=3,protection=1,leverage=0.5")] = None,
    brokers: Annotated[Optional[str], typer.Option("--brokers", help="Comma-separated broker ids "
                                                   "(default: all).")] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Directory for report.html and report.png.")] =
    Path("leverlab-report"),
    open_report: Annotated[bool, typer.Option("--open", help="Open the report in a browser.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the whole table as one JSON document.")] = False,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    spread: Annotated[str, typer.Option("--spread", help="auto: each account's published typical spread "
                                        "around the data's mid where its profile gives one, the data's bid/ask "
                                        "elsewhere; broker: published spreads only (accounts without one are not "
                                        "run); data: the data's bid/ask for every account; data+markup: the "
                                        "data's spread plus each account's markup over a stated reference.")] = "auto",
    widening: Annotated[bool, typer.Option("--widening/--no-widening", help="widen every account's spread around "
                                           "its broker's rollover (the profile's figures, else documented "
                                           "defaults marked assumed).")] = False,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    swaps: Annotated[str, typer.Option("--swaps", help="policy: published swap tables, else the central banks' "
                                       "policy-rate differential minus the broker's markup; published: the "
                                       "profiles' tables only; none: no swaps.")] = "policy",
) -> None:
    """Run one strategy under every broker and account type you can open, rank them, and write a report."""
    from ..analysis.score import WeightsError, parse_weights

    t0 = time.perf_counter()
    sizing = parse_sizing(lots, units, risk)
    try:
        w = parse_weights(weights)
    except WeightsError as exc:
        fail(str(exc))
    lev, params = leverage_option(leverage), params_option(param)
    executor_option(executor, address)
    with progress_bar(not json_out) as progress:
        sources: Any = data[0] if data and len(data) == 1 else (data or "sample:eurusd-h1")
        c = _run_compare(data=sources, strategy=strategy, store=store, deposit=deposit, currency=currency,
                         country=country, client=client, leverage=lev, params=params, sizing=sizing,
                         brokers=[b.strip() for b in brokers.split(",") if b.strip()] if brokers else None,
                         weights=w, workers=workers, progress=progress, symbol=symbol, start=start, end=end,
                         spread=spread, executor=executor, address=address, swaps=swaps, widening=widening)
    written = write_report_files(c, out)
    if json_out:
        doc = c.to_dict()
        doc["report"] = {"html": str(written[0]), "png": str(written[1])} if written else None
        emit_json(doc)
    else:
        print_comparison(c)
        n = int(c.timing.get("backtests", 0))
        best = c.ranked[0] if c.ranked else None
        per = c.timing["run"] / n if n else 0.0
        err_console.print(f"{n} backtests in {c.timing['run']:.1f} s ({per:.2f} s each, "
                          f"{time.perf_counter() - t0:.1f} s in all with the report)",
                          highlight=False, emoji=False)
        if best is not None:
            console.print(f"[bold green]best for you:[/] {best.broker_name} {best.account_type} "
                          f"(score {best.score['total'] * 100:.1f})", highlight=False, emoji=False)  # type: ignore[index]
            most = max(c.ranked, key=lambda r: r.stats.final_equity if r.stats else -math.inf)
            if most is not best and most.stats is not None:
                console.print(f"most money left: {most.broker_name} {most.account_type} "
                              f"({most.stats.final_equity:,.2f} {c.inputs.currency}, spread {most.spread}); the "
                              f"score also weighs protection and leverage", highlight=False, emoji=False)
        else:
            console.print("[bold red]nothing ranked:[/] no account placed a trade, so none is recommended and no "
                          "report was written", highlight=False, emoji=False)
        if written:
            print_report_paths(*written)
    if open_report and written:
        webbrowser.open(written[0].resolve().as_uri())


def parse_grid(items: list[str] | None) -> dict[str, list[str]]:
    """``--grid NAME=V1,V2,...`` options into a parameter grid (values stay text)."""
    out: dict[str, list[str]] = {}
    for item in items or []:
        name, sep, values = item.partition("=")
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not name.strip() or not vals:
            fail(f"--grid {item!r}: expected NAME=V1,V2,..., e.g. --grid fast=5,10,20")
        out[name.strip()] = vals
    return out


def sweep_cmd(
    broker: Annotated[str, typer.Option("--broker", help="Broker id, or several separated by commas, each "
                                        "optionally with its account type: exness,xm/micro,fbs.")],
    account_type: Annotated[Optional[str], typer.Option("--account-type", help="Account type id (see `leverlab broker "
                                                        "B`) of the brokers given without one.")] = None,
    leverages: Annotated[str, typer.Option("--leverages", help="Leverage settings to try, comma-separated.")] =
    "30,100,500,1000,2000,3000,unlimited",
    grid: Annotated[Optional[list[str]], typer.Option("--grid", help="Parameter values to try, NAME=V1,V2 "
                                                      "(repeatable).")] = None,
    data: DataOpt = "sample:eurusd-h1",
    symbol: SymbolOpt = None,
    strategy: StrategyOpt = "sma_cross",
    param: ParamOpt = None,
    lots: LotsOpt = None,
    units: UnitsOpt = None,
    risk: RiskOpt = None,
    deposit: DepositOpt = 1000.0,
    currency: CurrencyOpt = "USD",
    country: CountryOpt = "SC",
    client: ClientOpt = "retail",
    start: StartOpt = None,
    end: EndOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Directory for sweep.png.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print every point as one JSON document.")] = False,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    spread: Annotated[str, typer.Option("--spread", help="data: the data's bid/ask; broker: each account's published "
                                        "typical spread around the data's mid; data+markup: the data's spread plus "
                                        "the account's markup; auto: broker where published, else data.")] = "data",
    swaps: Annotated[str, typer.Option("--swaps", help="published: the profiles' swap tables only; policy: those, "
                                       "else the central banks' policy-rate differential minus the broker's markup; "
                                       "none: no swaps.")] = "published",
) -> None:
    """Broker accounts x leverages x strategy parameters: survival and return against leverage, and the
    sweep's throughput in backtests per second."""
    from ..analysis.sweep import render_sweep_png, sweep

    sizing = parse_sizing(lots, units, risk)
    params, param_grid = params_option(param), parse_grid(grid) or None
    executor_option(executor, address)
    try:
        with progress_bar(not json_out) as progress:
            s = sweep(data, strategy, broker, account_type, [x for x in leverages.split(",") if x.strip()],
                      param_grid, deposit=deposit, currency=currency, country=country, client=client,
                      params=params, sizing=sizing, workers=workers, progress=progress,
                      symbol=symbol, start=start, end=end, store=store, executor=executor, address=address,
                      keep_results=False, spread=spread, swaps=swaps)
    except CompareError as exc:
        fail(str(exc))
    png = None
    if out is not None:
        from ..analysis.report import write_atomic

        png = out / "sweep.png"
        try:
            write_atomic(png, lambda p: render_sweep_png(s, p))
        except OSError as exc:
            fail(f"cannot write {png}: {exc}")
    if json_out:
        doc = s.to_dict()
        doc["png"] = None if png is None else str(png)
        emit_json(doc)
        return
    ccy = s.inputs.currency
    several = len({(p.broker, p.account_type) for p in s.points}) > 1
    where = "several accounts" if several else f"{s.points[0].broker}/{s.points[0].account_type}"
    t = Table(title=f"Sweep - {s.inputs.strategy} at {where}, {deposit:,.0f} {ccy}, "
                    f"{s.inputs.start[:10]} .. {s.inputs.end[:10]}", title_justify="left")
    if several:
        t.add_column("account")
    for name in ("asked", "applied", "parameters", f"final {ccy}", "return", "max DD", "SO/MC/rej", "ruined"):
        t.add_column(name, justify="left" if name in ("asked", "applied", "parameters") else "right")
    for p in s.points:
        first = [f"{p.broker}/{p.account_type}"] if several else []
        if p.error or p.stats is None:
            t.add_row(*first, leverage_text(p.leverage_requested), leverage_text(p.leverage_applied),
                      ", ".join(f"{k}={v}" for k, v in p.params.items()), "-", "-", "-", "-", f"not run: {p.error}")
            continue
        st = p.stats
        if p.no_trade:
            t.add_row(*first, leverage_text(p.leverage_requested), leverage_text(p.leverage_applied),
                      ", ".join(f"{k}={v}" for k, v in p.params.items()) or "defaults", _money(st.final_equity),
                      "-", "-", f"{st.stop_outs}/{st.margin_calls}/{st.rejects}", "[yellow]no trade[/]")
            continue
        t.add_row(*first, leverage_text(p.leverage_requested), leverage_text(p.leverage_applied),
                  ", ".join(f"{k}={v}" for k, v in p.params.items()) or "defaults", _money(st.final_equity),
                  _pct(st.net_return), f"{st.max_drawdown * 100:.1f}%",
                  f"{st.stop_outs}/{st.margin_calls}/{st.rejects}",
                  "[red]yes[/]" if st.ruined else "no")
    if several:  # an account column more: into a pipe, keep each row on one line
        from ._common import print_wide

        print_wide(t)
    else:
        console.print(t)
    for lev in sorted({p.leverage_requested for p in s.points}):
        rate = s.survival_rate(lev, traded_only=True)
        console.print(f"{leverage_text(lev):>10}: " + (f"survived {rate * 100:.0f}% of the runs that traded"
                                                       if rate == rate else "no trade (no order was filled)"),
                      highlight=False, emoji=False)
    for n in s.notes:
        console.print(f"note: {n}", highlight=False, emoji=False)
    origins = {(f"{p.broker}/{p.account_type}", p.spread, p.swap_source) for p in s.points if p.spread}
    for acct, sp, sw in sorted(origins):  # where each account's costs came from
        console.print(f"spread {acct}: {sp}" + (f"; swaps: {sw}" if sw else ""), highlight=False, emoji=False)
    tm = s.timing
    err_console.print(f"{tm['backtests']:,.0f} backtests in {tm['run_seconds']:.2f} s: "
                      f"{tm['backtests_per_second']:,.1f} backtests/s ({s.executor})", highlight=False, emoji=False)
    if png is not None:
        console.print(f"picture: [bold]{png.resolve()}[/]", highlight=False, emoji=False)


#: The two traders of ``leverlab demo``: (folder, headline, compare keyword arguments).
DEMO_TRADERS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("careful", "careful trader: SMA(10/20) cross, 1 % of equity at risk per trade (50-pip stop), 1,000 USD",
     {"deposit": 1000.0, "sizing": Sizing("risk", 1.0)}),
    ("high-leverage", "high-leverage trader: the same signals at a fixed 0.1 lot (10,000 EUR, about 43 times "
                      "the deposit) on 300 USD, first quarter of 2007 - a size no 1:30 account could even open",
     {"deposit": 300.0, "sizing": Sizing("lots", 0.1), "start": "2007-01-01", "end": "2007-03-31"}),
)


def demo_cmd(
    out: Path = typer.Option(Path("leverlab-report"), "--out", help="Directory for the two reports "
                                                                    "(careful/ and high-leverage/)."),
    open_report: bool = typer.Option(False, "--open", help="Open the high-leverage report in a browser."),
) -> None:
    """The main job on the bundled sample: a careful trader and a high-leverage trader under every account a
    Seychelles retail client can open at the ten brokers; what differed between the brokers, and why."""
    ruined: list[str] = []
    html = out
    for folder, headline, kw in DEMO_TRADERS:
        with progress_bar(True) as progress:
            c = _run_compare(data="sample:eurusd-h1", strategy="sma_cross", country="SC", client="retail",
                             currency="USD", progress=progress, **kw)
        console.rule(headline, style="bold")
        print_comparison(c)
        html = out / folder / "report.html"
        written = write_report_files(c, out / folder)
        if written:
            print_report_paths(*written)
        n_ruined = sum(1 for r in c.ranked if r.stats is not None and r.stats.ruined)
        ruined.append(f"{folder}: {n_ruined} of {len(c.ranked)} accounts ruined")
    console.rule("the two traders", style="bold")
    console.print("; ".join(ruined) + ". The careful trader's accounts differ by what they cost; the "
                  "high-leverage trader's by leverage, stop-out and NBP: who is stopped out, when, and what is "
                  "left.", highlight=False, emoji=False, soft_wrap=True)
    if open_report and html.exists():
        webbrowser.open(html.resolve().as_uri())
