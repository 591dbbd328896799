"""Summaries across profiles: which account types a trader can open, and the headline table.

>>> rows = headline_table([load_broker("exness")])
>>> rows[0]["max_leverage"], rows[0]["stop_out"]
('unlimited', '0%')
"""

from __future__ import annotations

from typing import Any

from ..money import currency as money_currency
from .loader import load_broker
from .policy import resolve_entity
from .regulation import regimes
from .schema import AccountType, BrokerProfile, Fact, leverage_text


def eligible_account_types(profile: BrokerProfile | str, country: str, client_class: str, deposit: float,
                           currency: str) -> list[tuple[str, bool, str]]:
    """Each account type with whether a ``deposit`` in ``currency`` from a resident of ``country``
    can open it, and why (entity availability, account currency, cent, minimum deposit).

    A minimum deposit that is not published does not block (the reason says so).
    """
    prof = profile if isinstance(profile, BrokerProfile) else load_broker(profile)
    entity = resolve_entity(prof, country, client_class)
    dep_ccy = money_currency(currency)
    out: list[tuple[str, bool, str]] = []
    for a in prof.account_types:
        ok, reasons = True, []
        if entity.account_types != "all" and a.id not in entity.account_types:
            out.append((a.id, False, f"not offered by {entity.id} (serves {country.upper()})"))
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
        elif money_currency(m.currency).quote_code != dep_ccy.quote_code:
            reasons.append(f"minimum deposit {m.value:g} {m.currency} not compared with {currency} (no rate)")
        elif deposit < float(m.value):
            ok = False
            reasons.append(f"deposit {deposit:,.2f} below the minimum {m.value:,.2f} {m.currency}")
        else:
            reasons.append(f"minimum deposit {m.value:,.2f} {m.currency} met")
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


__all__ = ["eligible_account_types", "headline_table", "headline_markdown"]
