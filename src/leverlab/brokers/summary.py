"""Summaries across profiles: which account types a trader can open, and the headline table.

>>> rows = headline_table([load_broker("exness")])
>>> rows[0]["max_leverage"], rows[0]["stop_out"]
('unlimited', '0%')
>>> convert_reference(1000, "AUD", "USD")[0]
704.66
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ..conversion import MissingRateError, convert
from ..money import currency as money_currency
from ._yaml import read_text, read_yaml
from .loader import load_broker
from .policy import offer_refusal, resolve_entity
from .regulation import regimes
from .resolve import margin_call_stop_out, negative_balance_protection
from .schema import AccountType, BrokerProfile, Fact, leverage_text

REFERENCE_RATES_FILE = Path(__file__).with_name("reference_rates.yaml")


@lru_cache(maxsize=1)
def reference_rates() -> dict[str, Any]:
    """The bundled reference exchange rates (``rates`` by pair, ``as_of``, ``source``) that compare a
    published amount with a trader's money in another currency; never used for a simulated balance."""
    data: Any = read_yaml(read_text(REFERENCE_RATES_FILE), REFERENCE_RATES_FILE.name)[0]
    rates = data.get("rates") if isinstance(data, dict) else None
    if not isinstance(rates, dict) or not all(isinstance(v, (int, float)) and v > 0 for v in rates.values()):
        raise ValueError(f"{REFERENCE_RATES_FILE.name}: rates: expected a table of pair: positive number")
    return dict(data)


def convert_reference(amount: float, from_ccy: str, to_ccy: str) -> tuple[float, str]:
    """``amount`` of ``from_ccy`` in ``to_ccy`` at the reference rates, rounded to cents, and a note naming
    the rate and its date; raises ``MissingRateError`` for a currency the table cannot reach."""
    a, b = money_currency(from_ccy).quote_code, money_currency(to_ccy).quote_code
    if a == b:
        return round(float(amount), 2), ""
    ref = reference_rates()
    value = convert(float(amount), a, b, ref["rates"])
    return round(value, 2), f"{amount:,.2f} {a} = {value:,.2f} {b} at the reference rates of {ref['as_of']}"


def eligible_account_types(profile: BrokerProfile | str, country: str, client_class: str, deposit: float,
                           currency: str) -> list[tuple[str, bool, str]]:
    """Each account type with whether a ``deposit`` in ``currency`` from a resident of ``country``
    can open it, and why (the entity and client classes it is offered to, account currency, cent,
    minimum deposit compared after converting it into ``currency`` at the reference rates).

    A minimum deposit that is not published does not block (the reason says so).
    """
    prof = profile if isinstance(profile, BrokerProfile) else load_broker(profile)
    entity = resolve_entity(prof, country, client_class)
    dep_ccy = money_currency(currency)
    out: list[tuple[str, bool, str]] = []
    for a in prof.account_types:
        ok, reasons = True, []
        refusal = offer_refusal(prof, a, entity, client_class)
        if refusal:
            out.append((a.id, False, f"{refusal} ({client_class} resident of {country.upper()})"))
            continue
        reasons.append(f"offered by {entity.id}")
        if not a.currencies.is_unknown:
            accepted = {money_currency(c).quote_code for c in a.currencies.value}
            if dep_ccy.quote_code not in accepted:
                ok = False
                reasons.append(f"account currencies {a.currencies.value} do not include {dep_ccy.quote_code}")
        if a.cent:
            reasons.append(f"cent account: balance {deposit * 100:,.0f} {dep_ccy.quote_code} cents")
        m = a.min_deposit
        if m.is_unknown:
            reasons.append("minimum deposit not published")
        else:
            try:
                need, note = convert_reference(float(m.value), m.currency, dep_ccy.quote_code)
            except MissingRateError as exc:
                reasons.append(f"minimum deposit {m.value:g} {m.currency} not compared with {currency}: {exc}")
            else:
                conv = f" ({note})" if note else ""
                if deposit < need:
                    ok = False
                    reasons.append(f"deposit {deposit:,.2f} below the minimum {m.value:,.2f} {m.currency}{conv}")
                else:
                    reasons.append(f"minimum deposit {m.value:,.2f} {m.currency} met{conv}")
        out.append((a.id, ok, "; ".join(reasons)))
    return out


def _min_deposit(accounts: list[AccountType]) -> str:
    known = [(float(a.min_deposit.value), a.min_deposit.currency) for a in accounts
             if not a.min_deposit.is_unknown]
    if not known:
        return "unknown"
    v, c = min(known)
    return f"{v:g} {c}"


def _headline_levels(profile: BrokerProfile) -> tuple[str, str]:
    """Margin call / stop out of the rest-of-world entity's first account type (entity overrides first)."""
    try:
        ent = resolve_entity(profile, "SC", "retail")
    except LookupError:
        ent = profile.entities[0]
    acc = profile.account_types[0]

    def pick(name: str) -> str:
        f: Fact[Any] | None = getattr(ent, name) or getattr(acc, name)
        return "unknown" if f is None or f.is_unknown else f"{float(f.value):g}%"

    return pick("margin_call"), pick("stop_out")


def headline_table(profiles: list[BrokerProfile] | None = None) -> list[dict[str, Any]]:
    """One row per broker: max leverage, minimum deposit, MC/SO, NBP, regulators, features."""
    from .loader import load_all

    rows = []
    for p in profiles if profiles is not None else load_all():
        mc, so = _headline_levels(p)
        nbp = p.negative_balance_protection.retail
        regs, names = [], []
        for e in p.entities:
            r = regimes().get(e.regulator) if e.regulator else None
            name = r.id.upper() if r else "unknown"
            if name not in regs:
                regs.append(name)
            short = r.short_name if r else "unknown"
            if short not in names:
                names.append(short)
        rows.append({
            "id": p.id, "name": p.name,
            "max_leverage": leverage_text(p.leverage.max.value),
            "max_leverage_source": p.source_url(p.leverage.max.source),
            "equity_bands": bool(p.leverage.equity_bands),
            "hmr_windows": [w.id for w in p.leverage.hmr],
            "min_deposit": _min_deposit(p.account_types),
            "margin_call": mc, "stop_out": so,
            "nbp": "unknown" if nbp.is_unknown else ("yes" if nbp.value else "no"),
            "regulators": regs,
            "regulator_names": names,
            "account_types": [a.id for a in p.account_types],
            "features": [f.name for f in (*p.copy_trading, *p.features)]
                        + [b.name for b in p.bonuses] + [c.name for c in p.cashback],
        })
    return rows


def headline_markdown(profiles: list[BrokerProfile] | None = None) -> str:
    """The headline table as Markdown (for the README)."""
    rows = headline_table(profiles)
    head = "| broker | max leverage | equity bands | min deposit | MC / SO | NBP (retail) | regulators |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['max_leverage']} | {'yes' if r['equity_bands'] else 'no'} | "
                     f"{r['min_deposit']} | {r['margin_call']} / {r['stop_out']} | {r['nbp']} | "
                     f"{', '.join(r['regulator_names'])} |")
    return "\n".join(lines) + "\n"




# ------------------------------------------------------------------ the table for one trader
def _pct(value: float | None) -> str:
    return "unknown" if value is None else f"{value:g}%"


def for_trader(profile: BrokerProfile, country: str, client_class: str, equity: float, currency: str = "USD",
               symbol: str = "EURUSD") -> dict[str, Any]:
    """What ``profile`` gives one trader - a ``client_class`` resident of ``country`` with ``equity`` in
    ``currency``: the entity that serves them and its regulator by name, and for each account type they
    can open its minimum deposit (converted into ``currency``), margin call / stop-out, NBP and the
    leverage on ``symbol`` at that equity (converted into the account's currency: cents on a cent
    account). An unknown figure says ``unknown`` with its reason. ``NoEntityError`` when no entity
    serves them.
    """
    from .policy import account_currency_of, leverage

    entity = resolve_entity(profile, country, client_class)
    regime = regimes().get(entity.regulator) if entity.regulator else None
    regulator = regime.regulator_name if regime else (entity.regulator_detail or "unknown (not published)")
    dep = money_currency(currency).quote_code
    accounts: list[dict[str, Any]] = []
    closed: list[dict[str, str]] = []
    for a in profile.account_types:
        refusal = offer_refusal(profile, a, entity, client_class)
        if refusal:
            closed.append({"account_type": a.id, "reason": refusal})
            continue
        row: dict[str, Any] = {"account_type": a.id, "name": a.name}
        m = a.min_deposit
        if m.is_unknown:
            row["min_deposit"] = None
            row["min_deposit_text"] = f"unknown ({m.note or 'not published'})"
        else:
            try:
                conv, note = convert_reference(float(m.value), m.currency, dep)
                row["min_deposit"] = conv
                row["min_deposit_text"] = f"{conv:,.2f} {dep}" + (f" ({m.value:,.2f} {m.currency})" if note else "")
            except MissingRateError as exc:
                row["min_deposit"] = None
                row["min_deposit_text"] = f"{m.value:,.2f} {m.currency} (not converted: {exc})"
        try:
            (mc, so), _ = margin_call_stop_out(profile, a, entity, client_class, regime)
            row["margin_call"], row["stop_out"] = mc, so
        except ValueError as exc:
            row["margin_call"], row["stop_out"] = None, None
            row["levels_note"] = str(exc)
        nbp, nbp_why = negative_balance_protection(profile, entity, client_class, regime)
        row["nbp"] = nbp if "not published" not in nbp_why else None
        row["nbp_why"] = nbp_why
        ccy = account_currency_of(a, None)
        acc_ccy = money_currency(ccy)
        try:
            in_quote, _ = convert_reference(equity, dep, acc_ccy.quote_code)
        except MissingRateError as exc:
            row["leverage"] = "unknown"
            row["leverage_why"] = f"equity {equity:,.2f} {dep} not converted into {ccy}: {exc}"
            accounts.append(row)
            continue
        units = float(in_quote) / float(acc_ccy.unit_value)
        ans = leverage(profile, a.id, country, client_class, symbol, units, account_currency=ccy)
        row["equity_in_account"] = f"{units:,.2f} {acc_ccy.code}"
        row["leverage"] = leverage_text(ans.leverage)
        row["leverage_bound_by"] = ans.bound_by
        row["leverage_why"] = ans.unknowns[0] if ans.bound_by == "unknown" and ans.unknowns else ""
        accounts.append(row)
    known = [r for r in accounts if r["min_deposit"] is not None]
    cheapest = min(known, key=lambda r: r["min_deposit"]) if known else None
    unknown_md = [r["account_type"] for r in accounts if r["min_deposit"] is None]
    min_dep = ("no account" if not accounts else
               (f"{cheapest['min_deposit']:,.2f} {dep} ({cheapest['account_type']})" if cheapest else "unknown")
               + (f"; unknown for {', '.join(unknown_md)}" if cheapest and unknown_md else ""))
    return {"entity": entity.id, "entity_name": entity.name, "regulator": regulator,
            "regulator_id": entity.regulator, "accounts": accounts, "not_offered": closed,
            "min_deposit": min_dep, "levels": _grouped(accounts, lambda r: f"{_pct(r['margin_call'])} / "
                                                                          f"{_pct(r['stop_out'])}"),
            "nbp": _grouped(accounts, lambda r: "unknown" if r["nbp"] is None else ("yes" if r["nbp"] else "no")),
            "leverage": _grouped(accounts, lambda r: r["leverage"] + (
                f" ({r['leverage_bound_by']})" if r.get("leverage_bound_by") not in (None, "", "unknown") else ""))}


def _grouped(accounts: list[dict[str, Any]], text: Any) -> str:
    """One value when every account shares it, else 'value (accounts); value (accounts)'."""
    groups: dict[str, list[str]] = {}
    for r in accounts:
        groups.setdefault(text(r), []).append(r["account_type"])
    if not groups:
        return "-"
    if len(groups) == 1:
        return next(iter(groups))
    return "; ".join(f"{v} ({', '.join(ids)})" for v, ids in groups.items())


# ------------------------------------------------------------------ every rule of one broker
def _src(profile: BrokerProfile, obj: Any) -> str:
    """'confidence | url (date)' of a sourced object, '-' when it has none."""
    ref = getattr(obj, "source", None)
    conf = getattr(obj, "confidence", None)
    if ref is None and conf is None:
        return "-"
    url = profile.source_url(ref) or "-"
    date = getattr(obj, "date", None) or profile.source_date(ref)
    return f"{conf or '-'} | {url}" + (f" ({date})" if date else "")


def _fact(profile: BrokerProfile, f: Any, unit: str = "") -> tuple[str, str]:
    """(value text, provenance) of a Fact; unknown says why."""
    if f is None:
        return "not published (no figure in the profile)", "-"
    if f.is_unknown:
        return f"unknown ({f.note or 'no source gives it'})", "-"
    v = f.value
    if isinstance(v, float):
        text = f"{v:g}{unit}"
    elif isinstance(v, list):
        text = ", ".join(str(x) for x in v) or "(none)"
    elif isinstance(v, dict):
        text = ", ".join(f"{k}: {x:g}{unit}" if isinstance(x, float) else f"{k}: {x}" for k, x in v.items())
    else:
        text = str(v)
    if getattr(f, "currency", None) and unit == "":
        text += f" {f.currency}"
    if f.note:
        text += f" - {f.note}"
    return text, _src(profile, f)


def _match(m: Any) -> str:
    parts = []
    if m.symbols:
        parts.append(", ".join(m.symbols))
    if m.asset_classes:
        parts.append("class " + ", ".join(m.asset_classes))
    if m.exclude_symbols:
        parts.append("except " + ", ".join(m.exclude_symbols))
    return "; ".join(parts)


class _Lines:
    """(path, value, provenance) lines of one profile; a blank value reads '(none)'."""

    def __init__(self, profile: BrokerProfile) -> None:
        self.p = profile
        self.out: list[tuple[str, str, str]] = []

    def add(self, path: str, value: str, prov: str = "-") -> None:
        self.out.append((path, value if value.strip() else "(none)", prov))

    def fact(self, path: str, f: Any, unit: str = "") -> None:
        self.add(path, *_fact(self.p, f, unit))


def describe(profile: BrokerProfile) -> list[tuple[str, str, str]]:
    """Every rule of a profile as (path, value, provenance) lines, none blank: entities, account types with
    their spreads, commissions and levels, leverage (equity bands, instrument caps, fixed margins, HMR
    windows with their minutes and caps, unlimited-leverage conditions), swaps, NBP, bonuses, cashback,
    features. An unknown figure reads ``unknown (<reason>)``.
    """
    p = profile
    lines = _Lines(p)
    lines.add("server_time", f"{p.server_time.timezone}" + (f" ({p.server_time.detail})" if p.server_time.detail
                                                               else ""), _src(p, p.server_time))
    _describe_entities(lines)
    for a in p.account_types:
        _describe_account(lines, a)
    _describe_leverage(lines)
    _describe_rest(lines)
    return lines.out


def _describe_entities(lines: _Lines) -> None:
    p, add, fact = lines.p, lines.add, lines.fact
    for e in p.entities:
        base = f"entities[{e.id}]"
        reg = regimes().get(e.regulator) if e.regulator else None
        add(base, e.name, _src(p, e))
        add(f"{base}.regulator", (reg.regulator_name if reg else "unknown")
            + (f" - {e.regulator_detail}" if e.regulator_detail else ""), _src(p, e))
        add(f"{base}.serves", f"{', '.join(e.serves.countries)}; {' and '.join(e.serves.client_classes)} clients"
            + (f" - {e.serves.note}" if e.serves.note else ""), _src(p, e.serves))
        fact(f"{base}.max_leverage (retail)", e.max_leverage)
        fact(f"{base}.pro_max_leverage", e.pro_max_leverage)
        for name in ("margin_call", "stop_out", "pro_margin_call", "pro_stop_out"):
            f = getattr(e, name)
            add(f"{base}.{name}", *(_fact(p, f, "%") if f is not None else
                                    ("the account type's level (no entity override)", "-")))
        add(f"{base}.nbp", *(_fact(p, e.nbp) if e.nbp is not None else
                             ("the broker's statement below (no entity override)", "-")))
        add(f"{base}.account_types", "all" if e.account_types == "all" else ", ".join(e.account_types))


def _describe_account(lines: _Lines, a: AccountType) -> None:
    p, add, fact = lines.p, lines.add, lines.fact
    base = f"account_types[{a.id}]"
    add(base, a.name + (" (cent account)" if a.cent else "") + (f" - {a.note}" if a.note else ""))
    fact(f"{base}.currencies", a.currencies)
    fact(f"{base}.min_deposit", a.min_deposit)
    add(f"{base}.clients", *(_fact(p, a.client_classes) if a.client_classes is not None else
                             ("retail and pro (no restriction published)", "-")))
    if a.lot_size is not None:
        fact(f"{base}.lot_size (units)", a.lot_size)
    if a.max_leverage is not None:
        fact(f"{base}.max_leverage", a.max_leverage)
    add(f"{base}.spread", a.spread.model, _src(p, a.spread))
    for kind in ("typical", "minimum"):
        figs = getattr(a.spread, kind)
        if not figs:
            add(f"{base}.spread.{kind}", "unknown (none published)")
        for key, fig in figs.items():
            add(f"{base}.spread.{kind}.{key}", *_fact(p, fig, " " + fig.unit))
    for key, w in a.spread.widening.items():
        txt, prov = _fact(p, w, " " + w.unit)
        if w.minutes_before is not None or w.minutes_after is not None:
            txt += f" ({w.minutes_before or 0:g} min before, {w.minutes_after or 0:g} min after)"
        add(f"{base}.spread.widening.{key}", txt, prov)
    fact(f"{base}.commission_per_lot_side", a.commission_per_lot_side)
    if a.commission is not None:
        c = a.commission
        txt, prov = _fact(p, c)
        if not c.is_unknown:
            txt += f", {c.basis.replace('_', ' ')}" + (f" {c.per:,.0f} {c.per_currency or ''}" if c.per else "")
            txt += f", charged {c.charged}" if c.charged else ""
            txt += "".join(f"; {k}: charged {v}" for k, v in c.charged_by_platform.items())
        add(f"{base}.commission", txt, prov)
    fact(f"{base}.margin_call", a.margin_call, "%")
    fact(f"{base}.stop_out", a.stop_out, "%")
    for name in ("pro_margin_call", "pro_stop_out"):
        f = getattr(a, name)
        if f is not None:
            fact(f"{base}.{name}", f, "%")
    fact(f"{base}.hedged_margin", a.hedged_margin, "%")
    fact(f"{base}.swap_free", a.swap_free)
    fact(f"{base}.max_lots", a.max_lots)
    fact(f"{base}.platforms", a.platforms)
    if a.swaps is not None:
        _swaps(lines, a.swaps, f"{base}.swaps")


def _describe_leverage(lines: _Lines) -> None:
    p, add, fact = lines.p, lines.add, lines.fact
    lv = p.leverage
    fact("leverage.max", lv.max)
    add("leverage.selectable", *(_fact(p, lv.selectable) if lv.selectable is not None else
                                 ("not published", "-")))
    if not lv.equity_bands:
        add("leverage.equity_bands", "none published")
    for t in lv.equity_bands:
        base = f"leverage.equity_bands[{t.id}]"
        add(base, f"{t.basis} in {t.currency}; applies to {_match(t.applies_to)}; account types "
                  f"{'all' if t.account_types == 'all' else ', '.join(t.account_types)}; "
                  f"{'re-margins open positions' if t.reprices_open else 'new positions only'}"
            + (f" - {t.note}" if t.note else ""), _src(p, t))
        for i, b in enumerate(t.bands):
            add(f"{base}.bands[{i}]", f"{b.min:,.2f} .. {f'{b.max:,.2f}' if b.max is not None else 'open'}: "
                f"{leverage_text(b.leverage)}" + (f" (default {leverage_text(b.default_leverage)} unless "
                                                  f"{b.opt_in or 'opted in'})" if b.default_leverage else "")
                + (f" - {b.note}" if b.note else ""), _src(p, b) if b.source else "(the table's source)")
        for h in t.history:
            add(f"{base}.history", f"{h.period}: " + ", ".join(
                f"{b.min:,.0f}+ {leverage_text(b.leverage)}" for b in h.bands), _src(p, h))
    if not lv.instrument_caps:
        add("leverage.instrument_caps", "none published")
    for i, cap in enumerate(lv.instrument_caps):
        who = "" if cap.client_classes == ["retail", "pro"] else f"; {'/'.join(cap.client_classes)} clients"
        ents = "" if cap.entities == "all" else f"; entities {', '.join(cap.entities)}"
        add(f"leverage.instrument_caps[{i}]", f"{_match(cap.match)}: {leverage_text(cap.leverage)}{who}{ents}"
            + (f" - {cap.note}" if cap.note else ""), _src(p, cap))
    if not lv.fixed_margin:
        add("leverage.fixed_margin", "none published")
    for i, fm in enumerate(lv.fixed_margin):
        rate = ("unknown (" + (fm.note or "not published") + ")" if fm.margin_pct == "unknown"
                else f"{float(fm.margin_pct):g}% of notional")
        add(f"leverage.fixed_margin[{i}]", f"{_match(fm.match)}: {rate}"
            + (f" - {fm.note}" if fm.note and fm.margin_pct != "unknown" else ""), _src(p, fm))
    _describe_hmr(lines)
    if lv.unlimited is None:
        add("leverage.unlimited", "not offered")
    else:
        u = lv.unlimited
        add("leverage.unlimited", "; ".join(u.conditions) + (f"; equity below {u.max_equity:,.2f}"
                                                             if u.max_equity else ""), _src(p, u))
    for n in lv.notes:
        add("leverage.note", n)


def _describe_hmr(lines: _Lines) -> None:
    p, add = lines.p, lines.add
    if not p.leverage.hmr:
        add("leverage.hmr", "no news or weekend window published")
    for w in p.leverage.hmr:
        base = f"leverage.hmr[{w.id}]"
        when = (f"{w.minutes_before:g} min before to {w.minutes_after:g} min after each high-impact release"
                if w.trigger == "news" else
                f"{w.minutes_before:g} min before the close ({w.start}) to {w.minutes_after:g} min after the "
                f"reopen ({w.end}), {w.timezone}")
        add(base, f"{w.trigger}: {when}; applies to {w.applies_to.replace('_', ' ')}"
            + (f" - {w.note}" if w.note else ""), _src(p, w))
        if not w.caps:
            add(f"{base}.caps", "none published")
        for cap in w.caps:
            lev = (f"unknown ({cap.note or 'not published'})" if cap.leverage == "unknown"
                   else leverage_text(cap.leverage) + (f" - {cap.note}" if cap.note else ""))
            add(f"{base}.cap", f"{_match(cap.match)}: {lev}", _src(p, cap) if cap.source else _src(p, w))


def _describe_rest(lines: _Lines) -> None:
    p, add, fact = lines.p, lines.add, lines.fact
    _swaps(lines, p.swaps, "swaps")
    fact("negative_balance_protection.retail", p.negative_balance_protection.retail)
    fact("negative_balance_protection.pro", p.negative_balance_protection.pro)
    if not p.bonuses:
        add("bonuses", "none")
    for b in p.bonuses:
        add(f"bonuses[{b.id}]", f"{b.name}: " + ", ".join(x for x in (
            f"{b.deposit_pct:g}% of the deposit" if b.deposit_pct is not None else "percentage unknown",
            f"cap {b.cap:,.2f} {b.cap_currency}" if b.cap is not None else "cap unknown",
            {True: "counts for stop-out", False: "not counted for stop-out", None: "stop-out counting unknown"}[
                b.counts_for_stop_out],
            f"leverage capped at {leverage_text(b.leverage_cap)}" if b.leverage_cap is not None else "",
            f"account types {'all' if b.account_types == 'all' else ', '.join(b.account_types)}") if x)
            + (f" - {b.detail}" if b.detail else ""), _src(p, b))
    if not p.cashback:
        add("cashback", "none")
    for c in p.cashback:
        add("cashback", f"{c.name}: " + (f"{c.per_lot:g} per lot" if c.per_lot is not None
                                        else "rate unknown (not published)")
            + f", paid {c.schedule.replace('_', ' ')}" + (f" - {c.detail}" if c.detail else ""), _src(p, c))
    for f in (*p.copy_trading, *p.features):
        add("features", f.name + (f" - {f.detail}" if f.detail else ""), _src(p, f))
    for sym, ov in p.instruments.items():
        add(f"instruments[{sym}]", ", ".join(f"{k}={v}" for k, v in ov.fields().items()))


def _swaps(lines: _Lines, sw: Any, base: str) -> None:
    add, fact = lines.add, lines.fact
    table = sw.table
    if table.is_unknown:
        add(f"{base}.table", f"unknown ({table.note or 'no dated table published'})")
    else:
        for sym, spec in table.value.items():
            add(f"{base}.table.{sym}", f"long {spec.long:g}, short {spec.short:g} ({spec.mode})",
                _src(lines.p, table))
    fact(f"{base}.mode", sw.mode)
    fact(f"{base}.benchmark", sw.benchmark)
    fact(f"{base}.markup", sw.markup, "% a year")
    if sw.rollover is not None:
        txt, prov = _fact(lines.p, sw.rollover)
        add(f"{base}.rollover", f"{txt} ({sw.rollover.timezone})", prov)
    else:
        add(f"{base}.rollover", "unknown (not published)")
    if not sw.triple_days:
        add(f"{base}.triple_days", "unknown (not published)")
    for k, f in sw.triple_days.items():
        fact(f"{base}.triple_days.{k}", f)
    if sw.swap_free_fee is not None:
        txt, prov = _fact(lines.p, sw.swap_free_fee)
        add(f"{base}.swap_free_fee", txt + (f" per lot per {sw.swap_free_fee.per}" if sw.swap_free_fee.per and
                                            not sw.swap_free_fee.is_unknown else ""), prov)


__all__ = ["eligible_account_types", "headline_table", "headline_markdown", "convert_reference", "reference_rates",
           "for_trader", "describe"]
