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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..instruments import ASSET_CLASSES, CENT_LOT, STANDARD_LOT
from ..instruments import symbols as catalog_symbols
from ..money import currency as money_currency
from .loader import load_broker, profile_instrument, profile_symbols
from .policy import (
    PolicyError,
    SymbolPolicy,
    account_caps,
    account_currency_of,
    band_leverage,
    band_units,
    find_account,
    hmr_window,
    parse_selected,
    resolve_entity,
    symbol_policy,
)
from .regulation import Regime, regimes
from .schema import UNKNOWN, AccountType, BrokerProfile, Entity, Fact, SwapTerms, leverage_number
from .terms import WEEKDAYS, AccountTerms, SpreadWindow, SwapRate, SymbolMargin


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


def resolve_terms(broker: str | BrokerProfile, account_type: str, country: str, client_class: str = "retail",
                  currency: str = "USD", selected_leverage: float | str | None = None, *,
                  symbols: list[str] | None = None, swap_free: bool = False, bonus: str | None = None,
                  rate_to_band_currency: float | None = None) -> AccountTerms:
    """The terms of one account: ``broker`` + ``account_type`` + residence ``country`` (ISO code or
    entity id) + ``client_class`` + account ``currency`` + the trader's ``selected_leverage``.

    For a cent account ``currency`` may be given as the underlying ("USD") or the cent code ("USC");
    band edges are then expressed in cents. ``bonus`` applies one of the profile's bonus offers by id.
    Raises PolicyError for an unknown account type, bonus or currency, and for an account whose
    stop-out level is neither published nor set by a regulator.
    """
    profile = broker if isinstance(broker, BrokerProfile) else load_broker(broker)
    account = find_account(profile, account_type)
    entity = resolve_entity(profile, country, client_class)
    sel = parse_selected(selected_leverage)
    regime = regimes().get(entity.regulator) if entity.regulator else None
    ccy, why = _account_currency(account, currency)
    why.append(f"resident of {country.upper()} -> {entity.name} "
               f"({regime.name if regime else entity.regulator_detail or 'regulator unknown'}), {client_class}")
    (bonus_pct, bonus_cap, counts_credit, sel), notes = _bonus(profile, bonus, sel)
    why += notes
    selected_eff = _leverage_setting(profile, account, entity, client_class, regime, sel)
    margins, notes = _symbol_margins(profile, account, entity, client_class, sel, ccy, symbols, rate_to_band_currency)
    why += notes
    (mc_level, so_level), notes = margin_call_stop_out(profile, account, entity, client_class, regime)
    why += notes
    nbp, nbp_why = negative_balance_protection(profile, entity, client_class, regime)
    why.append(nbp_why)
    costs, notes = _costs(profile, account, swap_free)
    why += notes
    (tz, triple, rollover), notes = _server_time(profile)
    why += notes
    (cash, sched), notes = _cashback(profile)
    why += notes
    lot, notes = _lot_size(account)
    why += notes
    swap_fields, notes = swap_terms_fields(profile, account, swap_free, triple)
    why += notes
    swap_free = swap_fields.pop("swap_free", swap_free)
    spread_fields, notes = spread_terms_fields(profile, account)
    why += notes
    return AccountTerms(
        broker=profile.id, broker_name=profile.name, account_type=account.id, entity=entity.id,
        regulator=regime.id if regime else (entity.regulator_detail or "unknown"), country=country.upper(),
        client_class=client_class, currency=ccy, is_cent=account.cent, selected_leverage=selected_eff,
        margin_call_level=mc_level, stop_out_level=so_level, stop_out_counts_credit=counts_credit, nbp=nbp,
        delete_pending_on_stop_out=False, commission_per_lot_side=costs.commission,
        commission_currency=costs.commission_currency, swap_free=swap_free,
        triple_swap_day=triple, rollover_time=rollover, server_timezone=tz,
        min_deposit=_float_or_none(account.min_deposit), max_lots=_float_or_none(account.max_lots),
        symbols=margins, hedge_factor=costs.hedge_factor, spread_points=costs.spread_points,
        spread_sources=costs.spread_sources, swaps=costs.swaps,
        hmr_windows=tuple(hmr_window(w, profile) for w in profile.leverage.hmr),
        cashback_per_lot=cash, cashback_schedule=sched if sched != "weekly" else "none",
        bonus_pct=bonus_pct, bonus_cap=bonus_cap, explanation=tuple(why), lot_size=lot,
        instruments={s: profile_instrument(profile, s).with_lot(lot) for s in margins},
        commission_notional=costs.commission_booking.notional, commission_sides=costs.commission_booking.sides,
        commission_known=costs.commission_booking.known, commission_source=costs.commission_booking.source,
        **swap_fields, **spread_fields,
    )


def _lot_size(account: AccountType) -> tuple[float, list[str]]:
    """Units of base currency in one FX lot of this account type: the published figure, else a cent
    lot on a cent account (the convention Exness and FBS publish) and a standard lot otherwise."""
    published = account.lot_size.known() if account.lot_size is not None else None
    if published is not None:
        return float(published), ([] if published == STANDARD_LOT else
                                  [f"1 lot = {published:,.0f} units of base currency (account type {account.id})"])
    if account.cent:
        return CENT_LOT, [f"cent lot not published for {account.id}: 1 lot = {CENT_LOT:,.0f} units assumed "
                          f"(0.01 standard lot, the cent-account convention)"]
    return STANDARD_LOT, []


def _float_or_none(fact: Fact[float]) -> float | None:
    value = fact.known()
    return None if value is None else float(value)


def _account_currency(account: AccountType, currency: str) -> tuple[str, list[str]]:
    """The account currency code (a cent code for a cent account); a note when it is not published."""
    ccy = _cent_code(currency) if account.cent else account_currency_of(account, currency)
    c = money_currency(ccy)
    if not account.cent and c.is_cent:
        raise PolicyError(f"{account.id} is not a cent account; currency {ccy} is")
    published = account.currencies.known()
    if published is not None and c.code not in published and c.quote_code not in published:
        return ccy, [f"currency {ccy} is not among the published currencies {published}"]
    return ccy, []


def _bonus(profile: BrokerProfile, bonus: str | None,
           sel: float | None) -> tuple[tuple[float, float | None, bool, float | None], list[str]]:
    """(bonus %, cap, whether credit counts for stop out, selected leverage after the bonus's cap)."""
    if bonus is None:
        return (0.0, None, False, sel), []
    b = next((x for x in profile.bonuses if x.id == bonus), None)
    if b is None:
        raise PolicyError(f"unknown bonus {bonus!r} at {profile.id}; expected one of: "
                          f"{', '.join(x.id for x in profile.bonuses) or '(none)'}")
    if b.deposit_pct is None:
        raise PolicyError(f"bonus {bonus!r} at {profile.id} has no published percentage")
    if b.leverage_cap is None:
        return (b.deposit_pct, b.cap, bool(b.counts_for_stop_out), sel), []
    cap_b = leverage_number(b.leverage_cap)
    sel = cap_b if sel is None else min(sel, cap_b)
    return ((b.deposit_pct, b.cap, bool(b.counts_for_stop_out), sel),
            [f"bonus {b.id}: leverage capped at 1:{cap_b:g} (applied as the selected leverage)"])


def _leverage_setting(profile: BrokerProfile, account: AccountType, entity: Entity, client_class: str,
                      regime: Regime | None, sel: float | None) -> float:
    """The account's leverage setting: the trader's choice (None: the maximum) under the caps every
    symbol shares (``policy.account_caps``), the regulator's highest class cap for retail clients and,
    without a choice, each equity-band table's highest default (Exness 1:2000, not unlimited)."""
    caps = [r.value for r in account_caps(profile, account, entity, client_class)
            if r.applied and isinstance(r.value, float)]
    if regime is not None and client_class == "retail":
        numeric = [float(v) for v in regime.retail_caps.values() if not isinstance(v, str)]
        if numeric:  # no instrument can be traded above the regulator's highest class cap
            caps.append(max(numeric))
    if sel is None:
        for t in profile.leverage.equity_bands:
            if t.account_types == "all" or account.id in t.account_types:
                caps.append(max(band_leverage(b, None) for b in t.bands))
    return min([sel if sel is not None else math.inf] + caps)


def _symbol_margins(profile: BrokerProfile, account: AccountType, entity: Entity, client_class: str,
                    sel: float | None, ccy: str, symbols: list[str] | None,
                    rate_to_band_currency: float | None) -> tuple[dict[str, SymbolMargin], list[str]]:
    """The margin rule of each symbol (all the profile's when ``symbols`` is None); a symbol whose fixed
    margin is unknown is left out and named in the notes, as is each band table's currency."""
    unit_cache: dict[str, Decimal] = {}
    out: dict[str, SymbolMargin] = {}
    why: list[str] = []
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
    return out, why


def _level(entity: Entity, account: AccountType, client_class: str, what: str) -> tuple[float | None, str]:
    """Margin-call / stop-out level (%): entity (pro, then any) before account type (pro, then any)."""
    pro = client_class == "pro"
    for owner, name in ((entity, f"entity {entity.id}"), (account, f"account type {account.id}")):
        for field_name in ((f"pro_{what}", what) if pro else (what,)):
            f = getattr(owner, field_name, None)
            value = f.known() if f is not None else None
            if value is not None:
                return float(value), f"{name} {field_name.replace('_', ' ')}"
    return None, "not published"


def margin_call_stop_out(profile: BrokerProfile, account: AccountType, entity: Entity, client_class: str,
                         regime: Regime | None) -> tuple[tuple[float | None, float], list[str]]:
    """(margin-call level or None, stop-out level), in % of margin level, and why; a retail regulator's
    close-out rule raises a lower published stop out. ``PolicyError`` when no stop out is known.

    >>> from leverlab.brokers import load_broker, regimes
    >>> from leverlab.brokers.policy import resolve_entity
    >>> p = load_broker("exness"); eu = resolve_entity(p, "DE", "retail")
    >>> margin_call_stop_out(p, p.account_types[0], eu, "retail", regimes()[eu.regulator])[0]
    (60.0, 50.0)
    """
    mc, mc_from = _level(entity, account, client_class, "margin_call")
    so, so_from = _level(entity, account, client_class, "stop_out")
    why: list[str] = []
    if regime is not None and client_class == "retail" and isinstance(regime.close_out_pct, float):
        if so is None or so < regime.close_out_pct:
            why.append(f"stop out raised to the {regime.id} retail close-out {regime.close_out_pct:g}% "
                       f"(published: {so if so is not None else 'unknown'})")
            so, so_from = regime.close_out_pct, f"{regime.id} close-out rule"
    if so is None:
        raise PolicyError(f"{profile.id}/{account.id} at {entity.id}: stop-out level is not published and no "
                          f"regulatory close-out applies; the simulator cannot run this account")
    why.append(f"stop out {so:g}% from {so_from}; margin call "
               + (f"{mc:g}% from {mc_from}" if mc is not None else "not published"))
    return (mc, so), why


@dataclass(frozen=True)
class _Costs:
    commission: float  # per lot per side, in commission_currency
    commission_currency: str
    spread_points: dict[str, float]
    spread_sources: dict[str, str]
    swaps: dict[str, SwapRate]
    hedge_factor: dict[str, float]
    commission_booking: "_CommissionBooking"


def _costs(profile: BrokerProfile, account: AccountType, swap_free: bool) -> tuple[_Costs, list[str]]:
    """Commission, typical spreads (points), swaps and hedged-margin factors; unknown ones are neutral
    (0, none, none, 1.0) and named in the notes. Swap-free needs a published availability."""
    why: list[str] = []
    com = account.commission_per_lot_side
    commission = com.known()
    if commission is None:
        why.append(f"commission per lot per side unknown ({com.note or 'not published'}): 0 used")
    booking, notes = _commission_booking(profile, account)
    why += notes
    spreads, spread_sources = _spread_points(profile, account)
    if not spreads:
        why.append(f"typical spreads not published ({account.spread.model}); take spreads from market data")
    sw = _merged_swaps(profile, account)
    published_swaps = sw.table.known()
    if published_swaps is None:
        why.append("swap rates not published: none set (take them from the broker's symbol specs)")
    swaps = {k.upper(): SwapRate(v.long, v.short, v.mode) for k, v in (published_swaps or {}).items()}
    if swap_free:
        if account.swap_free.is_unknown:
            raise PolicyError(f"swap-free availability of {profile.id}/{account.id} is not published")
        why.append(f"swap-free: {account.swap_free.value}")
    hedged = account.hedged_margin.known()
    if hedged is None:
        why.append("hedged margin not published: no hedge relief assumed (factor 1.0)")
    hedge = {cls: pct / 100.0 for k, pct in (hedged or {}).items() for cls in (ASSET_CLASSES if k == "all" else (k,))}
    return _Costs(float(commission or 0.0), com.currency, spreads, spread_sources, swaps, hedge, booking), why


def spread_terms_fields(profile: BrokerProfile, account: AccountType) -> tuple[dict[str, Any], list[str]]:
    """The account type's published spread markup (over its stated reference) and the widening windows
    around rollover and news, with their sources; the engine states its defaults for the rest."""
    out: dict[str, Any] = {}
    why: list[str] = []
    mk = account.spread.markup
    if mk is not None and not mk.is_unknown:
        out["spread_markup_pips"] = float(mk.value)
        out["spread_markup_source"] = f"{float(mk.value):g} pips over {mk.over} ({_fact_source(profile, mk)})"
    windows = []
    for kind in ("rollover", "news"):
        w = account.spread.widening.get(kind)
        if w is None or w.is_unknown:
            continue
        if w.minutes_before is None or w.minutes_after is None:
            why.append(f"spread widening at {kind} published without its window: the engine's default window used")
        match = w.applies_to
        windows.append(SpreadWindow(
            kind, w.unit, float(w.value), -1.0 if w.minutes_before is None else float(w.minutes_before),
            -1.0 if w.minutes_after is None else float(w.minutes_after),
            tuple(match.symbols) if match else (), tuple(match.asset_classes) if match else (),
            f"{'up to ' if w.up_to else ''}{float(w.value):g} {w.unit} ({_fact_source(profile, w)})"))
    if "volatile" in account.spread.widening:
        why.append("spread widening 'in volatile markets' has no time window: not simulated")
    out["spread_widening"] = tuple(windows)
    rule = account.hedged_margin.close_leg_needs_margin
    out["hedge_close_needs_margin"] = bool(rule is not None and rule.known())
    return out, why


def _merged_swaps(profile: BrokerProfile, account: AccountType) -> SwapTerms:
    """The broker's swap terms with the account type's own fields over them (a field the account
    type leaves unknown or out keeps the broker's; triple days merge by key)."""
    base, over = profile.swaps, account.swaps
    if over is None:
        return base
    fields: dict[str, Any] = {}
    for name in ("table", "mode", "benchmark", "markup", "day_count", "free"):
        f = getattr(over, name)
        fields[name] = getattr(base, name) if f.is_unknown else f
    fields["rollover"] = over.rollover or base.rollover
    fields["swap_free_fee"] = over.swap_free_fee or base.swap_free_fee
    fields["triple_days"] = {**base.triple_days, **over.triple_days}
    return base.model_copy(update=fields)


def _fact_source(profile: BrokerProfile, fact: Any) -> str:
    """"<source title>, <confidence>" of a published fact."""
    return f"{_source_title(profile, fact.source)}, {fact.confidence or 'confidence not stated'}"


def swap_terms_fields(profile: BrokerProfile, account: AccountType, swap_free: bool, triple: str
                      ) -> tuple[dict[str, Any], list[str]]:
    """The swap fields of ``AccountTerms`` beyond the published table: markup, day count, triple days per
    asset class, the swap-free fee and reason, each with where it comes from; unknown ones stay None
    (the engine states its documented default wherever it uses one)."""
    sw = _merged_swaps(profile, account)
    out: dict[str, Any] = {}
    why: list[str] = []
    if not sw.markup.is_unknown:
        out["swap_markup"] = float(sw.markup.value)
        out["swap_markup_source"] = _fact_source(profile, sw.markup)
    if not sw.day_count.is_unknown:
        out["swap_day_count"] = float(sw.day_count.value)
        out["swap_day_count_source"] = _fact_source(profile, sw.day_count)
    days = {cls: sw.triple_day(cls) for cls in ASSET_CLASSES}
    out["triple_swap_days"] = {cls: d for cls, d in days.items() if d != UNKNOWN and d != triple}
    fee = sw.swap_free_fee
    if fee is not None and not fee.is_unknown:
        out["swap_free_fee"] = float(fee.value)
        out["swap_free_fee_currency"] = fee.currency.upper()
        out["swap_free_fee_per"] = fee.per or "night"
    if not sw.table.is_unknown:
        out["swap_table_source"] = _fact_source(profile, sw.table)
    if sw.free.known():
        out["swap_free"] = True
        out["swap_free_reason"] = f"no swaps on {account.id} ({_fact_source(profile, sw.free)})"
        why.append(f"swap-free: {account.id} charges no swaps")
    elif swap_free:
        out["swap_free_reason"] = f"swap-free on request: {account.swap_free.value}"
    return out, why


@dataclass(frozen=True)
class _CommissionBooking:
    notional: float  # 0: per lot; else the notional (commission currency) the amount is charged on
    sides: tuple[float, float]  # sides booked at the open, at the close
    known: bool
    source: str


#: sides booked at (open, close) for each published ``charged``; a round turn charged at one end books
#: both sides there
_CHARGED = {"both": (1.0, 1.0), "open": (1.0, 0.0), "close": (0.0, 1.0), "open_for_both": (2.0, 0.0)}
#: the platform whose booking rule is used when a profile's rule differs by platform (the first listed here)
PLATFORM_PREFERENCE = ("MT5", "MT4", "cTrader")


def _commission_booking(profile: BrokerProfile, account: AccountType) -> tuple[_CommissionBooking, list[str]]:
    """How the commission is booked: its basis (per lot / per notional traded), the sides charged at
    the open and at the close (``Commission.charged``; per platform, the first of ``PLATFORM_PREFERENCE``),
    and a line saying where it comes from. A commission in another currency than the notional it is
    charged on is refused (PolicyError naming the field)."""
    cps, com = account.commission_per_lot_side, account.commission
    where = f"{profile.id}/{account.id}"
    if cps.is_unknown:
        return _CommissionBooking(0.0, (1.0, 1.0), False,
                                  f"unknown ({cps.note or 'not published'}): 0 used"), []
    src = _fact_source(profile, cps)
    if com is None:
        return _CommissionBooking(0.0, (1.0, 1.0), True,
                                  f"{float(cps.value):g} {cps.currency} per lot per side ({src})"), []
    why: list[str] = []
    charged = com.charged
    if charged is None and com.charged_by_platform:
        plat = next((p for p in PLATFORM_PREFERENCE if p in com.charged_by_platform), None) \
            or next(iter(com.charged_by_platform))
        charged = com.charged_by_platform[plat]
        why.append(f"commission booked as on {plat} ({charged}); other platforms: "
                   + ", ".join(f"{k} {v}" for k, v in com.charged_by_platform.items() if k != plat))
    sides = _CHARGED[charged or "both"]
    if com.basis == "per_round_turn" and charged in ("open", "close"):
        sides = (2.0, 0.0) if charged == "open" else (0.0, 2.0)
    src = _fact_source(profile, com)
    if com.basis == "per_notional":
        per_ccy = (com.per_currency or com.currency).upper()
        if per_ccy != com.currency.upper():
            raise PolicyError(f"{where}: commission.per_currency: found {per_ccy} with the commission in "
                              f"{com.currency}; expected the notional in the commission's own currency")
        text = f"{float(com.value):g} {com.currency} per {float(com.per):,.0f} {per_ccy} traded per side ({src})"  # type: ignore[arg-type]
        return _CommissionBooking(float(com.per), sides, True, text), why  # type: ignore[arg-type]
    basis = "per round turn" if com.basis == "per_round_turn" else "per lot per side"
    return _CommissionBooking(0.0, sides, True, f"{float(com.value):g} {com.currency} {basis} ({src})"), why


def _spread_points(profile: BrokerProfile, account: AccountType) -> tuple[dict[str, float], dict[str, str]]:
    """Typical spreads in points, by symbol (or by asset class when the profile names a class), and
    where each comes from: "0.95 pips (Exness tick archive, medium)" - the figure as published, the
    title of its source (its key when untitled, the figure's own source when it has none) and its
    confidence."""
    spreads: dict[str, float] = {}
    sources: dict[str, str] = {}
    for key, pips in account.spread.typical_pips.items():
        try:
            spec = profile_instrument(profile, key)
            out_key = spec.symbol
        except KeyError:
            ref = next((s for s in catalog_symbols(key)), None)
            if ref is None:
                continue
            spec = profile_instrument(profile, ref)
            out_key = key
        spreads[out_key] = pips * spec.pip_size / spec.point
        fig = account.spread.typical[key]
        sources[out_key] = f"{pips:g} pips ({_source_title(profile, fig.source or account.spread.source)}, " \
                           f"{fig.confidence or account.spread.confidence or 'confidence not stated'})"
    return spreads, sources


def _source_title(profile: BrokerProfile, ref: str | None) -> str:
    """A short name for a source reference: its title up to any parenthesis, else its key or URL."""
    if not ref:
        return "no source"
    src = profile.sources.get(ref)
    if src is None or not src.title:
        return ref
    return src.title.split(" (")[0]


def _server_time(profile: BrokerProfile) -> tuple[tuple[str, str, str], list[str]]:
    """(server timezone, triple-swap day, rollover HH:MM); UTC, wednesday and 00:00 when unpublished."""
    st = profile.server_time
    why: list[str] = []
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
    return (tz, triple, rollover), why


def _cashback(profile: BrokerProfile) -> tuple[tuple[float, str], list[str]]:
    """(cashback per lot, its schedule) from the first offer with a published rate; 0 otherwise."""
    cb = next((c for c in profile.cashback if c.per_lot is not None), None)
    cash, sched = (cb.per_lot or 0.0, cb.schedule) if cb is not None else (0.0, "none")
    if profile.cashback and not cash:
        return (cash, sched), ["cashback offered but the rate is not published: 0 used"]
    return (cash, sched), []


def negative_balance_protection(profile: BrokerProfile, entity: Entity, client_class: str,
                                regime: Regime | None) -> tuple[bool, str]:
    """Negative balance protection and why: entity rule, then regulation (retail), then the broker's
    statement; not published counts as absent (the worst case).

    >>> from leverlab.brokers import load_broker, regimes
    >>> from leverlab.brokers.policy import resolve_entity
    >>> p = load_broker("exness"); eu = resolve_entity(p, "DE", "retail")
    >>> negative_balance_protection(p, eu, "retail", regimes()[eu.regulator])
    (True, 'NBP required for retail clients by cysec')
    """
    if entity.nbp is not None and not entity.nbp.is_unknown:
        return bool(entity.nbp.value), f"NBP {entity.nbp.value} (entity {entity.id})"
    if client_class == "retail" and regime is not None and regime.nbp is True:
        return True, f"NBP required for retail clients by {regime.id}"
    fact = getattr(profile.negative_balance_protection, client_class)
    if not fact.is_unknown:
        return bool(fact.value), f"NBP {fact.value} ({profile.name}, {client_class})"
    return False, "NBP not published: treated as absent (worst case)"
