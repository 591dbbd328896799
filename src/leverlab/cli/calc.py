"""Command-line faces of the calculators: margin, size, stopout, pip, swap (registered by ``leverlab.cli``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Optional, TypeVar

import typer
from rich.table import Table

from ..analysis import risk
from ..brokers.policy import LeverageAnswer
from ..brokers.schema import leverage_text
from ..brokers.terms import AccountTerms
from ..conversion import MissingRateError
from ..instruments import Instrument, UnknownSymbolError
from ..money import MoneyError
from ._common import client_option, console, emit_json, fail, leverage_option, parse_rates, positive_option

_T = TypeVar("_T")

BrokerOpt = Annotated[Optional[str], typer.Option("--broker", help="Broker id or path of a profile file.")]
TypeOpt = Annotated[Optional[str], typer.Option("--account-type", help="Account type id (see `leverlab broker B`).")]
CountryOpt = Annotated[str, typer.Option("--country", help="Client's country of residence, ISO-2 (e.g. DE, GB, SC).")]
ClientOpt = Annotated[str, typer.Option("--client", help="retail or pro.")]
RateOpt = Annotated[Optional[list[str]], typer.Option("--rate", help="Conversion price PAIR=PRICE (repeatable).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _broker_leverage(broker: str, account_type: str | None, country: str, client: str, symbol: str,
                     equity: float, time: str | None, account_currency: str) -> LeverageAnswer:
    """Ask the leverage policy, turning its lookup errors into exit code 2."""
    from ..brokers import leverage as policy_leverage

    when = None
    if time:
        try:
            when = datetime.fromisoformat(time)
        except ValueError:
            fail(f"--time {time!r}: expected ISO 8601, e.g. 2024-03-08T13:30:00+00:00")
    if account_type is None:
        fail("--account-type is required with --broker")
    try:
        return policy_leverage(broker, account_type, country, client, symbol, equity, time=when,
                               account_currency=account_currency)
    except (LookupError, ValueError) as e:
        fail(str(e))


def _broker_terms(broker: str, account_type: str | None, country: str, client: str, account_currency: str,
                  symbols: list[str], selected: float | None = None) -> AccountTerms:
    """The account's resolved terms (its lot, hedged margin and levels), turning lookup errors into exit code 2."""
    from ..brokers import resolve_terms

    if account_type is None:
        fail("--account-type is required with --broker")
    try:
        return resolve_terms(broker, account_type, country, client, currency=account_currency,
                             selected_leverage=selected, symbols=symbols)
    except (LookupError, ValueError) as e:
        fail(str(e))


def _account_spec(symbol: str, account_currency: str, terms: AccountTerms | None = None) -> Instrument:
    """The spec of one lot of ``symbol`` on the account (``risk.account_instrument``), exit code 2 if unknown."""
    return _guard(lambda: risk.account_instrument(symbol, account_currency, terms))


def _guard(fn: Callable[[], _T]) -> _T:
    """Run a calculator, mapping its input errors onto clear messages and exit code 2."""
    try:
        return fn()
    except (risk.CalculatorError, MissingRateError, UnknownSymbolError, MoneyError) as e:
        fail(str(e))


def margin_cmd(
    symbol: Annotated[str, typer.Option("--symbol", help="e.g. EURUSD, XAUUSD")],
    lots: Annotated[float, typer.Option("--lots")],
    price: Annotated[float, typer.Option("--price", help="Order price (ask for a buy).")],
    account_currency: Annotated[str, typer.Option("--account-currency")] = "USD",
    leverage: Annotated[Optional[str], typer.Option("--leverage", help="500, 1:500 or unlimited; omit to ask the "
                                                                     "broker's policy.")] = None,
    broker: BrokerOpt = None,
    account_type: TypeOpt = None,
    country: CountryOpt = "SC",
    client: ClientOpt = "retail",
    equity: Annotated[float, typer.Option("--equity", help="Account equity (decides equity bands).")] = 1000.0,
    time: Annotated[Optional[str], typer.Option("--time", help="ISO 8601; decides higher-margin windows.")] = None,
    rate: RateOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Margin for an order, converted into the account currency, with the leverage that applies."""
    client_option(client)
    rates = parse_rates(rate)
    fixed = None
    explanation = ""
    terms = None
    if broker:
        ans = _broker_leverage(broker, account_type, country, client, symbol, equity, time, account_currency)
        lev = ans.leverage
        fixed = ans.margin_rate if ans.fixed_margin else None
        explanation = ans.explanation
        terms = _broker_terms(broker, account_type, country, client, account_currency, [symbol])
    else:
        setting = leverage_option(leverage)
        if setting is None:
            fail("give --leverage L, or --broker/--account-type/--country to use a broker's policy")
        lev = setting
    spec = _account_spec(symbol, account_currency, terms)
    r = _guard(lambda: risk.margin(spec, lots, price, lev, account_currency, rates, fixed_margin_rate=fixed))
    doc = {"margin": r.margin, "currency": r.currency, "leverage": r.leverage, "margin_rate": r.margin_rate,
           "margin_in_margin_currency": r.margin_in_margin_currency, "margin_currency": r.margin_currency,
           "calc_mode": r.calc_mode, "contract_size": spec.contract_size, "explanation": explanation}
    if json_out:
        emit_json(doc)
        return
    console.print(f"Margin for {lots:g} lot {symbol.upper()} at {price:g}: [bold]{r.margin:,} {r.currency}[/] "
                  f"(leverage {leverage_text(r.leverage)}, {r.calc_mode} mode, "
                  f"{r.margin_in_margin_currency:,.2f} {r.margin_currency} before conversion; "
                  f"1 lot = {spec.contract_size:,.6g} units)")
    if explanation:
        console.print(explanation, highlight=False)


def pip_cmd(
    symbol: Annotated[str, typer.Option("--symbol")],
    lots: Annotated[float, typer.Option("--lots")] = 1.0,
    account_currency: Annotated[str, typer.Option("--account-currency")] = "USD",
    price: Annotated[Optional[float], typer.Option("--price", help="Symbol price, if it converts itself.")] = None,
    rate: RateOpt = None,
    broker: BrokerOpt = None,
    account_type: TypeOpt = None,
    country: CountryOpt = "SC",
    client: ClientOpt = "retail",
    json_out: JsonOpt = False,
) -> None:
    """Value of one pip on a position, in the account currency (a lot as the account type defines it:
    a cent account's cent lot, XM Micro's 1,000 units)."""
    client_option(client)
    rates = parse_rates(rate)
    terms = _broker_terms(broker, account_type, country, client, account_currency, [symbol]) if broker else None
    spec = _account_spec(symbol, account_currency, terms)
    v = _guard(lambda: risk.pip_value(spec, lots, account_currency, rates, price))
    if json_out:
        emit_json({"pip_value": v, "currency": account_currency.upper(), "pip_size": spec.pip_size,
                   "contract_size": spec.contract_size})
    else:
        console.print(f"1 pip on {lots:g} lot {symbol.upper()} ({lots * spec.contract_size:,.6g} units) = "
                      f"[bold]{v} {account_currency.upper()}[/]")


def size_cmd(
    symbol: Annotated[str, typer.Option("--symbol")],
    equity: Annotated[float, typer.Option("--equity")],
    risk_pct: Annotated[float, typer.Option("--risk", help="Percent of equity to risk, e.g. 1.")],
    stop_pips: Annotated[float, typer.Option("--stop-pips", help="Stop-loss distance in pips.")],
    account_currency: Annotated[str, typer.Option("--account-currency")] = "USD",
    price: Annotated[Optional[float], typer.Option("--price")] = None,
    rate: RateOpt = None,
    broker: BrokerOpt = None,
    account_type: TypeOpt = None,
    country: CountryOpt = "SC",
    client: ClientOpt = "retail",
    json_out: JsonOpt = False,
) -> None:
    """Position size (lots) that risks at most a percentage of equity at a stop distance (the engine's
    rule: floored to the lot step; below the minimum lot, no trade)."""
    client_option(client)
    rates = parse_rates(rate)
    terms = _broker_terms(broker, account_type, country, client, account_currency, [symbol]) if broker else None
    spec = _account_spec(symbol, account_currency, terms)
    max_lots = terms.max_lots if terms is not None else None
    r = _guard(lambda: risk.position_size(spec, equity, risk_pct, stop_pips, account_currency, rates, price,
                                          max_lots=max_lots))
    if json_out:
        emit_json(r)
        return
    console.print(f"Risking {r.risk_amount} {r.currency} over {stop_pips:g} pips: [bold]{r.lots:g} lots[/] "
                  f"(risks {r.risk_at_lots} {r.currency}) {r.note}")


def _parse_position(text: str) -> risk.Position:
    """SYMBOL:SIDE:LOTS@PRICE, e.g. EURUSD:buy:1@1.1000."""
    try:
        head, price = text.split("@")
        sym, side, lots = head.split(":")
        return risk.Position(sym.upper(), side.lower(), float(lots), float(price))
    except ValueError:
        fail(f"--position {text!r}: expected SYMBOL:SIDE:LOTS@PRICE, e.g. EURUSD:buy:1@1.1000")


def stopout_cmd(
    position: Annotated[list[str], typer.Option("--position", help="SYMBOL:SIDE:LOTS@OPEN_PRICE (repeatable).")],
    balance: Annotated[float, typer.Option("--balance")],
    rate: Annotated[list[str], typer.Option("--rate", help="Current price PAIR=PRICE for every symbol held "
                                                           "(and for conversions).")],
    leverage: Annotated[Optional[str], typer.Option("--leverage", help="500, 1:500 or unlimited.")] = None,
    stop_out: Annotated[Optional[float], typer.Option("--stop-out", help="Stop-out level, %.")] = None,
    margin_call: Annotated[Optional[float], typer.Option("--margin-call", help="Margin-call level, %.")] = None,
    broker: BrokerOpt = None,
    account_type: TypeOpt = None,
    country: CountryOpt = "SC",
    client: ClientOpt = "retail",
    account_currency: Annotated[str, typer.Option("--account-currency")] = "USD",
    moving: Annotated[Optional[str], typer.Option("--moving", help="The symbol whose price moves.")] = None,
    margin_at_open: Annotated[bool, typer.Option("--margin-at-open", help="Margin frozen at open prices.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """The price and pip distance at which open positions reach margin call and stop-out."""
    positive_option("--balance", balance)
    client_option(client)
    positions = [_parse_position(p) for p in position]
    lev_setting = leverage_option(leverage)
    prices = parse_rates(rate)
    notes: list[str] = []
    specs: dict[str, Instrument] = {}
    hedge: float | dict[str, float] = 1.0
    if broker:
        terms = _broker_terms(broker, account_type, country, client, account_currency,
                              sorted({p.symbol for p in positions}), lev_setting)
        so = terms.stop_out_level if stop_out is None else stop_out
        mc = terms.margin_call_level if margin_call is None else margin_call
        equity_guess = balance
        levs = {}
        for p in positions:
            try:
                levs[p.symbol] = terms.margin_for(p.symbol).leverage_at(equity_guess)
            except KeyError as e:
                fail(str(e.args[0]))
        lev_arg: float | dict[str, float] = levs
        specs = {p.symbol: _account_spec(p.symbol, account_currency, terms) for p in positions}
        hedge = {sym: terms.hedge_factor_for(spec.asset_class) for sym, spec in specs.items()}
        notes.append(f"{terms.broker_name} {terms.account_type} ({terms.entity}): MC {mc}%, SO {so}%; hedged "
                     "margin " + ", ".join(f"{sym} {h:.0%}" for sym, h in sorted(hedge.items()))
                     + " of the locked legs' margin")
    else:
        if lev_setting is None or stop_out is None:
            fail("give --leverage and --stop-out, or --broker/--account-type/--country to use a broker's rules")
        so, mc, lev_arg = stop_out, margin_call, lev_setting
    r = _guard(lambda: risk.stopout_levels(positions, balance, lev_arg, so, mc, prices=prices,
                                           account_currency=account_currency, moving_symbol=moving,
                                           margin_at_open=margin_at_open, hedge_factor=hedge, instruments=specs))
    if json_out:
        doc = {"symbol": r.symbol, "current_price": r.current_price, "equity": r.equity, "used_margin": r.used_margin,
               "margin_level": r.margin_level, "currency": r.currency,
               "margin_call": r.margin_call, "stop_out": r.stop_out, "notes": list(r.notes) + notes}
        emit_json(doc)
        return
    t = Table(title=f"{r.symbol} from {r.current_price:g}: equity {r.equity:,.2f} {r.currency}, "
                    f"used margin {r.used_margin:,.2f}, margin level "
                    + (f"{r.margin_level:,.2f}%" if r.margin_level is not None else "n/a"))
    for col in ("level", "price", "distance (pips)", "equity there"):
        t.add_column(col, justify="right")
    for name, lp in (("margin call", r.margin_call), ("stop-out", r.stop_out)):
        if lp is None:
            continue
        t.add_row(f"{name} {lp.level:g}%", "never" if lp.price is None else f"{lp.price:.6f}",
                  "" if lp.distance_pips is None else f"{lp.distance_pips:,.1f}",
                  "" if lp.equity_at_price is None else f"{lp.equity_at_price:,.2f}")
    console.print(t)
    for n in list(r.notes) + notes:
        console.print(f"[dim]{n}[/]")


def swap_cmd(
    symbol: Annotated[str, typer.Option("--symbol")],
    side: Annotated[str, typer.Option("--side", help="buy or sell")],
    lots: Annotated[float, typer.Option("--lots")],
    nights: Annotated[int, typer.Option("--nights")],
    swap_long: Annotated[float, typer.Option("--long", help="Long swap rate (in --mode units).")],
    swap_short: Annotated[float, typer.Option("--short", help="Short swap rate (in --mode units).")],
    mode: Annotated[str, typer.Option("--mode", help="points, money or interest")] = "points",
    start: Annotated[str, typer.Option("--start", help="Weekday of the first rollover.")] = "monday",
    triple_day: Annotated[str, typer.Option("--triple-day")] = "wednesday",
    price: Annotated[Optional[float], typer.Option("--price")] = None,
    account_currency: Annotated[str, typer.Option("--account-currency")] = "USD",
    rate: RateOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The swap cost of holding a position N nights, with the triple-swap day."""
    r = _guard(lambda: risk.swap_cost(symbol, side, lots, nights, swap_long, swap_short, mode=mode,
                                      start_weekday=start, triple_day=triple_day, price=price,
                                      account_currency=account_currency, rates=parse_rates(rate)))
    if json_out:
        emit_json(r)
        return
    console.print(f"{nights} nights from {start}: [bold]{r.total} {r.currency}[/] "
                  f"({r.charged_nights} swaps charged, {r.triple_nights} triple; {r.per_night} per night)")


__all__ = ["margin_cmd", "pip_cmd", "size_cmd", "stopout_cmd", "swap_cmd", "ruin_cmd"]


def ruin_cmd(
    deposit: Annotated[float, typer.Option("--deposit")] = 1000.0,
    leverage: Annotated[str, typer.Option("--leverage", help="1:L, or 'unlimited'.")] = "1000",
    stop_out: Annotated[float, typer.Option("--stop-out", help="Stop-out level, %.")] = 50.0,
    win_rate: Annotated[Optional[float], typer.Option("--win-rate", help="0..1")] = None,
    reward_risk: Annotated[Optional[float], typer.Option("--reward-risk")] = None,
    r_multiples: Annotated[Optional[str], typer.Option("--r-multiples",
                                                      help="Comma-separated trade results in R to bootstrap "
                                                           "from.")] = None,
    risk_pct: Annotated[float, typer.Option("--risk", help="Percent of equity risked per trade.")] = 1.0,
    lots: Annotated[Optional[float], typer.Option("--lots", help="Fixed lots instead of --risk sizing.")] = None,
    stop_pips: Annotated[float, typer.Option("--stop-pips")] = 20.0,
    symbol: Annotated[str, typer.Option("--symbol")] = "EURUSD",
    price: Annotated[float, typer.Option("--price")] = 1.1,
    trades: Annotated[int, typer.Option("--trades")] = 1000,
    paths: Annotated[int, typer.Option("--paths")] = 100_000,
    loss_pct: Annotated[float, typer.Option("--loss-pct",
                                            help="Report the chance of losing this % of the deposit.")] = 50.0,
    no_nbp: Annotated[bool, typer.Option("--no-nbp", help="Without negative balance protection.")] = False,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    json_out: JsonOpt = False,
    executor: Annotated[str, typer.Option("--executor", help="Where the paths run: local (this machine's cores) "
                                          "or ray (pip install 'leverlab[ray]').")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="With --executor ray: an existing Ray "
                                                   "cluster (ray://host:10001, or auto).")] = None,
) -> None:
    """Monte Carlo risk of ruin of a trade sequence at a given leverage and stop-out level."""
    from ..analysis.ruin import risk_of_ruin

    lev = leverage_option(leverage)
    if lev is None:
        fail(f"--leverage {leverage!r}: expected 1:L, L or 'unlimited'")
    pool = None
    if r_multiples:
        try:
            pool = [float(x) for x in r_multiples.split(",") if x.strip()]
        except ValueError:
            fail(f"--r-multiples {r_multiples!r}: expected comma-separated numbers like 1.5,-1,-1,2")
    try:
        res = risk_of_ruin(deposit=deposit, leverage=lev, stop_out_level=stop_out, win_rate=win_rate,
                           reward_risk=reward_risk, r_multiples=pool, risk_pct=risk_pct, lots=lots,
                           stop_pips=stop_pips, symbol=symbol, price=price, n_trades=trades, n_paths=paths,
                           loss_pct=loss_pct, nbp=not no_nbp, seed=seed, executor=executor, address=address)
    except (ValueError, UnknownSymbolError, MissingRateError) as e:
        fail(str(e))
    if json_out:
        emit_json(res.summary() | {"trade_index": res.trade_index, "percentiles": res.percentiles})
        return
    t = Table(title=f"Risk of ruin: {paths:,} paths x {trades:,} trades, leverage {leverage_text(lev)}, "
                    f"stop-out {stop_out:g}%")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("P(at least one stop-out)", f"{res.p_stop_out:.2%}")
    t.add_row(f"P(losing {loss_pct:g}% of the deposit)", f"{res.p_loss:.2%}")
    t.add_row("P(ruin: cannot open the minimum lot)", f"{res.p_ruin:.2%}")
    t.add_row("median final equity", f"{res.median_final_equity:,.2f}")
    t.add_row("stop-outs per path (mean)", f"{res.mean_stop_outs:.2f}")
    for k in ("5", "50", "95"):
        t.add_row(f"final equity, {k}th percentile", f"{res.percentiles[k][-1]:,.2f}")
    console.print(t)
