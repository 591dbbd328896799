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


def _levels(profile: BrokerProfile) -> tuple[str, str]:
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
        mc, so = _levels(p)
        nbp = p.negative_balance_protection.retail
        regs = []
        for e in p.entities:
            r = regimes().get(e.regulator) if e.regulator else None
            name = r.id.upper() if r else "unknown"
            if name not in regs:
                regs.append(name)
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
                     f"{', '.join(r['regulators'])} |")
    return "\n".join(lines) + "\n"


__all__ = ["eligible_account_types", "headline_table", "headline_markdown", "convert_reference", "reference_rates"]
