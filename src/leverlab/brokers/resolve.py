"""Narrow a broker profile to one account: ``resolve_terms`` builds the engine's ``AccountTerms``.

It uses the same rule assembly as ``leverage()`` (``policy.symbol_policy``), so for every symbol
``terms.margin_for(s).leverage_at(equity, in_window)`` equals ``leverage(...).leverage``.
Figures the profile leaves unknown are never invented: they are left out (a symbol whose fixed
margin is unknown is not in ``terms.symbols``) or set to a neutral value and named in
``terms.explanation``.

>>> t = resolve_terms("exness", "standard_cent", "SC")
>>> t.currency, t.margin_for("EURUSD").band_floor
('USC', (0.0, 100000.0, 500000.0, 3000000.0))
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from ..instruments import ASSET_CLASSES
from ..instruments import symbols as catalog_symbols
from ..money import currency as money_currency
from .loader import load_broker, profile_instrument, profile_symbols
from .policy import (PolicyError, SymbolPolicy, account_currency_of, band_leverage, band_units, find_account,
                     hmr_window, parse_selected, resolve_entity, symbol_policy)
from .regulation import regimes
from .schema import UNKNOWN, AccountType, BrokerProfile, Entity, Fact, leverage_number
from .terms import WEEKDAYS, AccountTerms, SwapRate, SymbolMargin


def _cent_code(ccy: str) -> str:
    c = money_currency(ccy)
    if c.is_cent:
        return c.code
    for code in ("USC", "EUC"):
        if money_currency(code).underlying == c.code:
            return code
    raise PolicyError(f"no cent currency for {ccy}; cent accounts exist in USC or EUC")


def symbol_margin(pol: SymbolPolicy, unit: Decimal | None) -> SymbolMargin | None:
    """The engine's margin rule for one symbol, or None when the margin is not published."""
    caps = pol.hmr_caps()
    known = [c for c in caps if c is not None]
    hmr_cap = min(known) if known else None
    notes = [f"{r.label}: {r.value}" for r in pol.static if r.applied]
    if pol.is_fixed:
        rate = pol.fixed_rate()
        if math.isnan(rate):
            return None
        cap = pol.static_cap(with_selected=False)
        eff = max(rate, 1.0 / cap) if cap < math.inf else rate
        if eff != rate:
            notes.append(f"fixed margin {rate:.4%} raised to {eff:.4%} by a leverage cap 1:{cap:g}")
        return SymbolMargin(pol.spec.symbol, static_cap=cap, fixed_margin_rate=eff, hmr_cap=hmr_cap,
                            explanation=tuple(notes), hmr_caps=tuple(caps))
    floors: tuple[float, ...] = ()
    levs: tuple[float, ...] = ()
    reprice = True
    if pol.bands is not None and unit is not None:
        floors = tuple(float(Decimal(str(b.min)) / unit) for b in pol.bands.bands)
        levs = tuple(pol.band_leverages())
        reprice = pol.bands.reprices_open
    return SymbolMargin(pol.spec.symbol, static_cap=pol.static_cap(), band_floor=floors, band_leverage=levs,
                        bands_reprice_open=reprice, hmr_cap=hmr_cap, explanation=tuple(notes),
                        hmr_caps=tuple(caps))


def _level(entity: Entity, account: AccountType, client_class: str, what: str) -> tuple[Fact[Any] | None, str]:
    """Margin-call / stop-out fact: entity (pro, then any) before account type (pro, then any)."""
    pro = client_class == "pro"
    for owner, name in ((entity, f"entity {entity.id}"), (account, f"account type {account.id}")):
        for field_name in ((f"pro_{what}", what) if pro else (what,)):
            f = getattr(owner, field_name, None)
            if f is not None and not f.is_unknown:
                return f, f"{name} {field_name.replace('_', ' ')}"
    return None, "not published"


def resolve_terms(broker: str | BrokerProfile, account_type: str, country: str, client_class: str = "retail",
                  currency: str = "USD", selected_leverage: float | str | None = None, *,
                  symbols: list[str] | None = None, swap_free: bool = False, bonus: str | None = None,
                  rate_to_band_currency: float | None = None) -> AccountTerms:
    """The terms of one account: ``broker`` + ``account_type`` + residence ``country`` (ISO code or
    entity id) + ``client_class`` + account ``currency`` + the trader's ``selected_leverage``.

    For a cent account ``currency`` may be given as the underlying ("USD") or the cent code ("USC");
    band edges are then expressed in cents. ``bonus`` applies one of the profile's bonus offers by id.
    """
    profile = broker if isinstance(broker, BrokerProfile) else load_broker(broker)
    account = find_account(profile, account_type)
    entity = resolve_entity(profile, country, client_class)
    sel = parse_selected(selected_leverage)
    why: list[str] = []
    regime = regimes().get(entity.regulator) if entity.regulator else None
    ccy = _cent_code(currency) if account.cent else account_currency_of(account, currency)
    if not account.cent and money_currency(ccy).is_cent:
        raise PolicyError(f"{account.id} is not a cent account; currency {ccy} is")
    if (not account.currencies.is_unknown and money_currency(ccy).code not in account.currencies.value  # type: ignore[operator]
            and money_currency(ccy).quote_code not in account.currencies.value):  # type: ignore[operator]
        why.append(f"currency {ccy} is not among the published currencies {account.currencies.value}")
    why.append(f"resident of {country.upper()} -> {entity.name} "
               f"({regime.name if regime else entity.regulator_detail or 'regulator unknown'}), {client_class}")

    bonus_pct, bonus_cap, counts_credit = 0.0, None, False
    if bonus is not None:
        b = next((x for x in profile.bonuses if x.id == bonus), None)
        if b is None:
            raise PolicyError(f"unknown bonus {bonus!r} at {profile.id}; expected one of: "
                              f"{', '.join(x.id for x in profile.bonuses) or '(none)'}")
        if b.deposit_pct is None:
            raise PolicyError(f"bonus {bonus!r} at {profile.id} has no published percentage")
        bonus_pct, bonus_cap = b.deposit_pct, b.cap
        counts_credit = bool(b.counts_for_stop_out)
        if b.leverage_cap is not None:
            cap_b = leverage_number(b.leverage_cap)
            sel = cap_b if sel is None else min(sel, cap_b)
            why.append(f"bonus {b.id}: leverage capped at 1:{cap_b:g} (applied as the selected leverage)")

    # leverage setting after broker/entity/account caps
    caps = [leverage_number(profile.leverage.max.value)] if not profile.leverage.max.is_unknown else []
    ent = entity.pro_max_leverage if client_class == "pro" else entity.max_leverage
    if not ent.is_unknown:
        caps.append(leverage_number(ent.value))
    if account.max_leverage is not None and not account.max_leverage.is_unknown:
        caps.append(leverage_number(account.max_leverage.value))
    if regime is not None and client_class == "retail":
        numeric = [float(v) for v in regime.retail_caps.values() if not isinstance(v, str)]
        if numeric:  # no instrument can be traded above the regulator's highest class cap
            caps.append(max(numeric))
    if sel is None:  # "the maximum": without an opt-in a band's default (Exness 1:2000, not unlimited)
        for t in profile.leverage.equity_bands:
            if t.account_types == "all" or account.id in t.account_types:
                caps.append(max(band_leverage(b, None) for b in t.bands))
    selected_eff = min([sel if sel is not None else math.inf] + caps)

    # per-symbol margin rules
    unit_cache: dict[str, Decimal] = {}
    out: dict[str, SymbolMargin] = {}
    wanted = [s.upper() for s in symbols] if symbols else profile_symbols(profile)
    for sym in wanted:
        pol = symbol_policy(profile, account, entity, client_class, sym, sel)
        unit = None
        if pol.bands is not None:
            if pol.bands.id not in unit_cache:
                unit_cache[pol.bands.id], note = band_units(pol.bands, ccy, rate_to_band_currency)
                why.append(f"equity bands {pol.bands.id}: edges in {pol.bands.currency}, "
                           f"{pol.bands.basis}" + (f"; {note}" if note else ""))
            unit = unit_cache[pol.bands.id]
        sm = symbol_margin(pol, unit)
        if sm is None:
            why.append(f"{sym}: fixed margin not published -> left out of the terms")
            continue
        out[sm.symbol] = sm

    # margin call / stop out
    mc, mc_from = _level(entity, account, client_class, "margin_call")
    so, so_from = _level(entity, account, client_class, "stop_out")
    so_level = float(so.value) if so is not None else None  # type: ignore[arg-type]
    if regime is not None and client_class == "retail" and isinstance(regime.close_out_pct, float):
        if so_level is None or so_level < regime.close_out_pct:
            why.append(f"stop out raised to the {regime.id} retail close-out {regime.close_out_pct:g}% "
                       f"(published: {so_level if so_level is not None else 'unknown'})")
            so_level, so_from = regime.close_out_pct, f"{regime.id} close-out rule"
    if so_level is None:
        raise PolicyError(f"{profile.id}/{account.id} at {entity.id}: stop-out level is not published and no "
                          f"regulatory close-out applies; the simulator cannot run this account")
    why.append(f"stop out {so_level:g}% from {so_from}; margin call "
               + (f"{float(mc.value):g}% from {mc_from}" if mc is not None else "not published"))  # type: ignore[arg-type]

    # negative balance protection
    nbp, nbp_why = _nbp(profile, entity, client_class, regime)
    why.append(nbp_why)

    # costs
    com = account.commission_per_lot_side
    if com.is_unknown:
        commission, com_ccy = 0.0, com.currency
        why.append(f"commission per lot per side unknown ({com.note or 'not published'}): 0 used")
    else:
        commission, com_ccy = float(com.value), com.currency  # type: ignore[arg-type]
    spreads: dict[str, float] = {}
    for key, pips in account.spread.typical_pips.items():
        try:
            spec = profile_instrument(profile, key)
            spreads[spec.symbol] = pips * spec.pip_size / spec.point
        except KeyError:
            ref = next((s for s in catalog_symbols(key)), None)
            if ref is not None:
                spec = profile_instrument(profile, ref)
                spreads[key] = pips * spec.pip_size / spec.point
    if not spreads:
        why.append(f"typical spreads not published ({account.spread.model}); take spreads from market data")
    swaps: dict[str, SwapRate] = {}
    if profile.swaps.is_unknown:
        why.append("swap rates not published: none set (take them from the broker's symbol specs)")
    else:
        swaps = {k.upper(): SwapRate(v.long, v.short, v.mode) for k, v in profile.swaps.value.items()}  # type: ignore[union-attr]
    if swap_free:
        if account.swap_free.is_unknown:
            raise PolicyError(f"swap-free availability of {profile.id}/{account.id} is not published")
        why.append(f"swap-free: {account.swap_free.value}")

    hedge: dict[str, float] = {}
    if account.hedged_margin.is_unknown:
        why.append("hedged margin not published: no hedge relief assumed (factor 1.0)")
    else:
        for k, pct in account.hedged_margin.value.items():  # type: ignore[union-attr]
            for cls in (ASSET_CLASSES if k == "all" else (k,)):
                hedge[cls] = pct / 100.0

    st = profile.server_time
    tz = st.timezone if st.timezone != UNKNOWN else "UTC"
    if st.timezone == UNKNOWN:
        why.append("server timezone not published: UTC used")
    triple = st.triple_swap_day if st.triple_swap_day in WEEKDAYS else "wednesday"
    if st.triple_swap_day == UNKNOWN:
        why.append("triple-swap day not published: wednesday (the usual FX convention) used")
    rollover = st.rollover or "00:00"
    if st.rollover is None:
        why.append("rollover time not published: 00:00 server time used")
    why.append("pending orders at stop out: not published (kept)")

    cash, sched = 0.0, "none"
    for cb in profile.cashback:
        if cb.per_lot is not None:
            cash, sched = cb.per_lot, cb.schedule
            break
    if profile.cashback and not cash:
        why.append("cashback offered but the rate is not published: 0 used")

    mind = account.min_deposit
    return AccountTerms(
        broker=profile.id, broker_name=profile.name, account_type=account.id, entity=entity.id,
        regulator=regime.id if regime else (entity.regulator_detail or "unknown"), country=country.upper(),
        client_class=client_class, currency=ccy, is_cent=account.cent, selected_leverage=selected_eff,
        margin_call_level=float(mc.value) if mc is not None else None,  # type: ignore[arg-type]
        stop_out_level=so_level, stop_out_counts_credit=counts_credit, nbp=nbp, delete_pending_on_stop_out=False,
        commission_per_lot_side=commission, commission_currency=com_ccy, swap_free=swap_free,
        triple_swap_day=triple, rollover_time=rollover, server_timezone=tz,
        min_deposit=None if mind.is_unknown else float(mind.value),  # type: ignore[arg-type]
        max_lots=None if account.max_lots.is_unknown else float(account.max_lots.value),  # type: ignore[arg-type]
        symbols=out, hedge_factor=hedge, spread_points=spreads, swaps=swaps,
        hmr_windows=tuple(hmr_window(w, profile) for w in profile.leverage.hmr),
        cashback_per_lot=cash, cashback_schedule=sched if sched != "weekly" else "none",
        bonus_pct=bonus_pct, bonus_cap=bonus_cap, explanation=tuple(why),
    )


def _nbp(profile: BrokerProfile, entity: Entity, client_class: str, regime: Any) -> tuple[bool, str]:
    """Negative balance protection: entity rule, then regulation (retail), then the broker's statement."""
    if entity.nbp is not None and not entity.nbp.is_unknown:
        return bool(entity.nbp.value), f"NBP {entity.nbp.value} (entity {entity.id})"
    if client_class == "retail" and regime is not None and regime.nbp is True:
        return True, f"NBP required for retail clients by {regime.id}"
    fact = getattr(profile.negative_balance_protection, client_class)
    if not fact.is_unknown:
        return bool(fact.value), f"NBP {fact.value} ({profile.name}, {client_class})"
    return False, "NBP not published: treated as absent (worst case)"
