"""The leverage policy: what leverage (or fixed margin rate) applies to one position, and why.

Effective leverage = min(trader's selected leverage, broker maximum, entity cap, regulator cap for
the instrument's class, account-type cap, instrument cap, equity band, HMR cap). Fixed-margin
instruments get a margin rate instead: they ignore the selected leverage and the equity bands,
but a tighter regulator/entity/instrument/HMR cap still raises their rate.

Precedence inside one kind of rule: a rule naming the symbol beats one naming its asset class;
among equals the first in the file wins. Unknown figures are listed in the explanation and never
applied, and never permissive: when the broker's, the entity's (for the client's class) or the account
type's cap is unknown and no regulator's cap bounds the position, the leverage itself is unknown (nan,
``bound_by`` "unknown", the reason in ``unknowns``) - it does not fall through to another entity's or
class's figure, such as the offshore equity bands for an Australian professional client. Account
types are offered only by the entities and to the client classes the profile names.

>>> a = leverage("exness", "standard", "DE", "retail", "EURUSD", 500)
>>> a.leverage, a.bound_by
(30.0, 'regulator')
>>> leverage("exness", "standard", "SC", "retail", "EURUSD", 999.99).leverage
2000.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ..instruments import Instrument
from ..money import currency as money_currency
from ..times import to_ns
from .hmr import in_window
from .loader import load_broker, profile_instrument
from .regulation import Regime, entity_for, regimes, regulatory_class, retail_cap
from .schema import (
    UNKNOWN,
    AccountType,
    Band,
    BrokerProfile,
    Entity,
    EquityBands,
    Fact,
    FixedMargin,
    HmrCap,
    HmrWindowSpec,
    LeverageValue,
    Match,
    leverage_json,
    leverage_number,
    leverage_text,
    parse_leverage,
)
from .terms import HmrWindow, band_index

#: the kinds of rule an answer lists (``Rule.rule``)
RuleKind = Literal["selected", "broker_max", "entity", "regulator", "account_type", "instrument_cap", "equity_band",
                   "hmr", "fixed_margin", "volume_tier"]
#: which rule is named when several bind at the same value (a volume tier is never applied)
_PRIORITY: tuple[RuleKind, ...] = ("regulator", "entity", "hmr", "fixed_margin", "instrument_cap", "account_type",
                                   "equity_band", "broker_max", "selected")


class PolicyError(ValueError):
    """A question the policy cannot answer (unknown account type, type not offered at the entity...)."""


@dataclass
class Rule:
    """One rule considered for an answer."""

    rule: RuleKind
    label: str  # human name of the rule
    value: float | str | None  # leverage N (inf = unlimited) or margin % for fixed_margin; "unknown"
    source: str | None = None
    confidence: str | None = None
    note: str = ""
    applied: bool = True  # False: unknown / not applicable / ignored
    bound: bool = False
    date: str | None = None  # the source page's date, when it shows one

    def to_dict(self) -> dict[str, Any]:
        d = {"rule": self.rule, "label": self.label, "value": _json_value(self.value), "source": self.source,
             "date": self.date, "confidence": self.confidence, "note": self.note, "applied": self.applied,
             "bound": self.bound}
        d["status"] = "bound" if self.bound else ("applied" if self.applied else "not applied")
        return d


def _json_value(v: Any) -> Any:
    if isinstance(v, float):
        return UNKNOWN if math.isnan(v) else leverage_json(v)
    return v


@dataclass
class LeverageAnswer:
    """The leverage (or fixed margin rate) for one position, with every rule considered."""

    leverage: float  # math.inf for unlimited; nan when a fixed margin rate is unknown
    margin_rate: float  # 1/leverage, or the fixed margin fraction
    fixed_margin: bool
    bound_by: str
    rules: list[dict[str, Any]]
    entity: str
    regulator: str | None
    explanation: str
    broker: str = ""
    account_type: str = ""
    symbol: str = ""
    client_class: str = "retail"
    unknowns: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: unlimited leverage as the string ``"unlimited"``."""
        d = asdict(self)
        d["leverage"] = _json_value(self.leverage)
        d["margin_rate"] = _json_value(self.margin_rate) if not math.isnan(self.margin_rate) else "unknown"
        return d


# ------------------------------------------------------------------ shared rule assembly
@dataclass
class SymbolPolicy:
    """The static rules for one symbol under one account; bands and HMR are evaluated later.

    ``leverage()`` and ``resolve_terms()`` are both built on this, so they cannot disagree.
    """

    profile: BrokerProfile
    account: AccountType
    entity: Entity
    regime: Regime | None
    client_class: str
    spec: Instrument
    reg_class: str
    selected: float | None
    static: list[Rule]  # caps that do not depend on equity or time
    bands: EquityBands | None
    fixed: FixedMargin | None
    hmr: list[tuple[HmrWindowSpec, HmrCap | None]]
    unknown: str | None = None  # why the leverage is unknown (an unknown cap no regulator bounds); None: known

    @property
    def is_fixed(self) -> bool:
        return self.fixed is not None

    def fixed_rate(self) -> float:
        """The published fixed margin fraction (nan when unknown)."""
        assert self.fixed is not None
        return math.nan if self.fixed.margin_pct == UNKNOWN else float(self.fixed.margin_pct) / 100.0

    def static_cap(self, with_selected: bool = True) -> float:
        caps = [r.value for r in self.static if r.applied and isinstance(r.value, float)
                and (with_selected or r.rule != "selected")]
        return min(caps, default=math.inf)

    def band_leverages(self) -> list[float]:
        assert self.bands is not None
        return [band_leverage(b, self.selected) for b in self.bands.bands]

    def hmr_caps(self) -> list[float | None]:
        return [None if c is None or c.leverage == UNKNOWN else leverage_number(c.leverage) for _, c in self.hmr]

    def url(self, ref: str | None) -> str | None:
        return self.profile.source_url(ref)


def band_leverage(band: Band, selected: float | None) -> float:
    """A band's leverage: the opt-in value (e.g. unlimited) only when the trader selected above the default."""
    full = leverage_number(band.leverage)
    if band.default_leverage is None:
        return full
    default = leverage_number(band.default_leverage)
    return full if selected is not None and selected > default else default


def _pick(rules: Iterable[Any], symbol: str, asset_class: str) -> Any | None:
    """The rule for a symbol: one naming the symbol beats one naming its class; first wins."""
    rules = list(rules)
    symbol = symbol.upper()
    for r in rules:
        m: Match = r.match
        if symbol in m.symbols and m.matches(symbol, asset_class):
            return r
    for r in rules:
        if r.match.matches(symbol, asset_class):
            return r
    return None


def find_account(profile: BrokerProfile, account_type: str) -> AccountType:
    """An account type by id or name (case-insensitive); error lists the valid ones."""
    key = str(account_type).strip().lower()
    for a in profile.account_types:
        if key in (a.id.lower(), a.name.lower()):
            return a
    raise PolicyError(f"unknown account type {account_type!r} at {profile.id}; expected one of: "
                      f"{', '.join(a.id for a in profile.account_types)}")


def resolve_entity(profile: BrokerProfile, country_or_entity: str, client_class: str) -> Entity:
    """An entity by its id, or the one serving residents of an ISO country code."""
    for e in profile.entities:
        if e.id == country_or_entity:
            return e
    return entity_for(profile, country_or_entity, client_class)


def parse_selected(selected: float | str | None) -> float | None:
    """The trader's leverage setting as a number (``parse_leverage``); None keeps the most allowed."""
    if selected is None:
        return None
    try:
        return parse_leverage(selected)
    except ValueError as exc:
        raise PolicyError(f"selected {exc}") from None


def offer_refusal(profile: BrokerProfile, account: AccountType, entity: Entity, client_class: str) -> str | None:
    """Why ``entity`` does not open ``account`` for a ``client_class`` client (None: it does)."""
    if entity.account_types != "all" and account.id not in entity.account_types:
        return (f"account type {account.id!r} is not offered by {entity.id}; "
                f"it offers: {', '.join(entity.account_types)}")
    if not account.offered_to(client_class):
        allowed = account.client_classes.known() if account.client_classes is not None else []
        src = profile.source_url(account.client_classes.source) if account.client_classes is not None else None
        return (f"account type {account.id!r} at {profile.id} is for {' and '.join(allowed or [])} clients only; "
                f"not opened for a {client_class} client" + (f" ({src})" if src else ""))
    return None


def unknown_leverage(static: list[Rule], client_class: str) -> str | None:
    """Why the leverage is unknown: a broker / entity / account-type cap that is not published, with no
    regulator cap applied to bound it (None when every cap that could bind is known).

    A retail client of a regulated entity is bounded by the regulator's class cap, so an unpublished
    entity cap there only means the position cannot get more than the law allows; a professional client
    (whom the retail caps do not bind) or an offshore client has no such bound, and then the unpublished
    cap is the leverage's only answer: unknown.
    """
    gaps = [r for r in static if r.rule in ("broker_max", "entity", "account_type") and r.value == UNKNOWN]
    if not gaps:
        return None
    bound = [r for r in static if r.rule == "regulator" and r.applied and isinstance(r.value, float)]
    if bound:
        for r in bound:
            r.note += f"; also bounds the unpublished {', '.join(g.label for g in gaps)}"
        return None
    return (f"{'; '.join(f'{r.label} is unknown ({r.note})' for r in gaps)}, and no regulator cap bounds a "
            f"{client_class} client: the leverage is unknown (never taken from another entity's or client "
            f"class's figure)")


def symbol_policy(profile: BrokerProfile, account: AccountType, entity: Entity, client_class: str,
                  symbol: str, selected: float | None, strict: bool = True) -> SymbolPolicy:
    """Assemble every rule that can apply to ``symbol`` for this account.

    Raises PolicyError when the entity does not open the account type for this client class and, when
    ``strict``, when the leverage is unknown (``unknown_leverage``); otherwise ``unknown`` says why.
    """
    refusal = offer_refusal(profile, account, entity, client_class)
    if refusal:
        raise PolicyError(refusal)
    spec = profile_instrument(profile, symbol)
    reg_class = regulatory_class(spec)
    regime = regimes().get(entity.regulator) if entity.regulator else None
    broker_cap, entity_cap, *account_cap = account_caps(profile, account, entity, client_class)
    regulator_cap = _regulator_rule(regime, entity, client_class, reg_class)
    static = [_selected_rule(selected), broker_cap, entity_cap, regulator_cap, *account_cap]
    icap = _pick([c for c in profile.leverage.instrument_caps if c.covers(entity.id, client_class)],
                 spec.symbol, spec.asset_class)
    if icap is not None:
        who = "" if icap.client_classes == ["retail", "pro"] else f" ({'/'.join(icap.client_classes)} clients)"
        static.append(Rule("instrument_cap", f"instrument cap for {spec.symbol}{who}", leverage_number(icap.leverage),
                           profile.source_url(icap.source), icap.confidence, icap.note or "", date=icap.date))
    unknown = unknown_leverage(static, client_class)
    if unknown and strict:
        raise PolicyError(f"{profile.id}/{account.id} at {entity.id}: {unknown}")

    bands = None
    for t in profile.leverage.equity_bands:
        if (t.account_types == "all" or account.id in t.account_types) and t.applies_to.matches(spec.symbol,
                                                                                                  spec.asset_class):
            bands = t
            break
    fixed = _pick(profile.leverage.fixed_margin, spec.symbol, spec.asset_class)
    hmr = [(w, _pick(w.caps, spec.symbol, spec.asset_class)) for w in profile.leverage.hmr]
    return SymbolPolicy(profile, account, entity, regime, client_class, spec, reg_class, selected, static,
                        bands, fixed, hmr, unknown)


def account_caps(profile: BrokerProfile, account: AccountType, entity: Entity, client_class: str) -> list[Rule]:
    """The caps every symbol of the account shares: the broker maximum, the entity's cap for the client
    class and, when published, the account type's cap (unknown ones come back not applied)."""
    url = profile.source_url
    ent_fact = entity.pro_max_leverage if client_class == "pro" else entity.max_leverage
    label = f"entity {entity.id} ({entity.name}) {'pro' if client_class == 'pro' else 'retail'} cap"
    caps = [_fact_rule("broker_max", f"{profile.name} maximum leverage", profile.leverage.max, url),
            _fact_rule("entity", label, ent_fact, url)]
    if account.max_leverage is not None:
        caps.append(_fact_rule("account_type", f"account type {account.id} cap", account.max_leverage, url))
    return caps


def _selected_rule(selected: float | None) -> Rule:
    if selected is not None:
        return Rule("selected", "leverage selected by the trader", selected, note="account setting")
    return Rule("selected", "leverage selected by the trader", None, applied=False,
                note="none given: the maximum allowed is assumed")


def _regulator_rule(regime: Regime | None, entity: Entity, client_class: str, reg_class: str) -> Rule:
    """The regulator's cap for the instrument's regulatory class (retail), or why none applies."""
    if regime is None:
        return Rule("regulator", "regulator cap", UNKNOWN, applied=False,
                    note=f"regulator of {entity.id} unknown ({entity.regulator_detail or 'not published'})")
    if client_class == "pro":
        return Rule("regulator", f"{regime.id} professional-client cap", regime.pro.caps, applied=False,
                    source=None, note=f"{regime.name}: no regulatory cap for professional clients"
                    if regime.pro.caps == "none" else f"{regime.name}: professional cap unknown")
    cap = retail_cap(regime.id, reg_class)
    applied = isinstance(cap.value, float)
    note = (f"{regime.name}: retail cap for {reg_class}" + (f" (from '{cap.key}')" if cap.key not in
                                                              (reg_class, None) else ""))
    if cap.value == "none":
        note = f"{regime.name}: no retail leverage cap exists"
    elif cap.value == UNKNOWN:
        note = f"{regime.name}: retail cap for {reg_class} unknown (none found)"
    return Rule("regulator", f"{regime.id} retail cap ({reg_class})", cap.value, cap.source, cap.confidence, note,
                applied=applied)


def _fact_rule(kind: RuleKind, label: str, fact: Fact[LeverageValue], url: Callable[[str | None], str | None]) -> Rule:
    value = fact.known()
    if value is None:
        return Rule(kind, label, UNKNOWN, applied=False, note=(fact.note or "not published"))
    return Rule(kind, label, leverage_number(value), url(fact.source), fact.confidence, fact.note or "")


def hmr_window(spec: HmrWindowSpec, profile: BrokerProfile) -> HmrWindow:
    """The engine-facing window of a profile's window rule."""
    return HmrWindow(trigger=spec.trigger, minutes_before=spec.minutes_before, minutes_after=spec.minutes_after,
                     applies_to=spec.applies_to, source=profile.source_url(spec.source) or "", id=spec.id,
                     timezone=spec.timezone, weekly_start=str(spec.start) if spec.start else "",
                     weekly_end=str(spec.end) if spec.end else "")


def account_currency_of(account: AccountType, account_currency: str | None) -> str:
    """The account currency asked for, else the type's first published one (USC for cent, else USD)."""
    if account_currency:
        return account_currency.upper()
    published = account.currencies.known()
    if published:
        return str(published[0]).upper()
    return "USC" if account.cent else "USD"


def band_units(bands: EquityBands, ccy: str, rate_to_band_currency: float | None) -> tuple[Decimal, str]:
    """How many band-currency units one account unit is worth, and a note on how it was derived."""
    c = money_currency(ccy)
    unit = Decimal(c.unit_value)
    if c.quote_code == bands.currency.upper():
        note = "" if unit == 1 else f"cent account: 1 {c.code} = {unit} {bands.currency}"
        return unit, note
    if rate_to_band_currency is not None:
        return unit * Decimal(str(rate_to_band_currency)), (f"1 {c.quote_code} = {rate_to_band_currency} "
                                                            f"{bands.currency} (rate given)")
    return unit, (f"band edges are in {bands.currency}; {c.code} equity compared to them at face value "
                  f"(no conversion rate given)")


# ------------------------------------------------------------------ the question
def leverage(broker: str | BrokerProfile, account_type: str, country: str, client_class: str, symbol: str,
             equity: float, time: Any = None, calendar: Iterable[Any] = (), selected: float | str | None = None,
             volume_lots: float | None = None, account_currency: str | None = None,
             rate_to_band_currency: float | None = None) -> LeverageAnswer:
    """What leverage (margin rate) applies to a new position, with an explanation.

    ``country`` is an ISO-3166 alpha-2 code of the client's residence (or an entity id);
    ``equity`` is in account currency units (cents for a cent account); ``time`` (ISO string,
    datetime or int ns) and ``calendar`` (high-impact event times) decide HMR windows;
    ``selected`` is the trader's leverage setting (N or ``"unlimited"``; None = the maximum).

    >>> leverage("exness", "standard_cent", "SC", "retail", "EURUSD", 150_000).leverage  # USD 1,500
    2000.0
    """
    profile = broker if isinstance(broker, BrokerProfile) else load_broker(broker)
    if client_class not in ("retail", "pro"):
        raise PolicyError(f"client class {client_class!r}; expected 'retail' or 'pro'")
    account = find_account(profile, account_type)
    entity = resolve_entity(profile, country, client_class)
    pol = symbol_policy(profile, account, entity, client_class, symbol, parse_selected(selected), strict=False)
    ccy = account_currency_of(account, account_currency)
    rules = [*pol.static, _band_rule(pol, equity, ccy, rate_to_band_currency), *_hmr_rules(pol, time, calendar)]
    if volume_lots is not None:
        rules.append(Rule("volume_tier", "volume tiers", None, applied=False,
                          note=f"{volume_lots:g} lots: {profile.name} publishes no volume-tiered leverage"))
    if pol.unknown:
        lev, margin_rate, bound, unknowns = math.nan, math.nan, "unknown", [pol.unknown]
        for r in rules:
            if r.applied:
                r.applied, r.note = False, (r.note + "; " if r.note else "") + "not applied: the leverage is unknown"
    else:
        lev, margin_rate, bound, unknowns = _combine(pol, rules)

    dates = {src.url: src.date for src in profile.sources.values() if src.date}
    for r in rules:
        if r.date is None and r.source in dates:
            r.date = dates[r.source]
    unknowns += [f"{r.label}" for r in rules if r.value == UNKNOWN]
    answer_rules = [r.to_dict() for r in rules]
    regname = pol.regime.id if pol.regime else None
    expl = _explain(pol, country, lev, margin_rate, bound, rules, unknowns)
    return LeverageAnswer(lev, margin_rate, pol.is_fixed, bound, answer_rules, entity.id, regname, expl,
                          broker=profile.id, account_type=account.id, symbol=pol.spec.symbol,
                          client_class=client_class, unknowns=unknowns)


def _band_rule(pol: SymbolPolicy, equity: float, ccy: str, rate_to_band_currency: float | None) -> Rule:
    """The equity band holding ``equity`` (account units of ``ccy``), noted with its edges; not applied
    to a fixed-margin instrument."""
    if pol.bands is None:
        return Rule("equity_band", "equity band table", None, applied=False,
                    note=f"no equity-band table covers {pol.spec.symbol} on {pol.account.id}")
    unit, conv_note = band_units(pol.bands, ccy, rate_to_band_currency)
    amount = Decimal(str(equity)) * unit
    floors = [Decimal(str(b.min)) for b in pol.bands.bands]
    i = band_index(floors, amount)
    b = pol.bands.bands[i]
    lev_b = band_leverage(b, pol.selected)
    edge = f"{b.min:,.2f}-{b.max:,.2f}" if b.max is not None else f">= {b.min:,.2f}"
    note = f"{pol.bands.basis} {amount:,.2f} {pol.bands.currency} is in band {i + 1} ({edge}: "
    note += leverage_text(b.leverage)
    if b.default_leverage is not None:
        note += f", {leverage_text(b.default_leverage)} unless {b.opt_in or 'opted in'}"
    note += ")"
    if amount < floors[0]:
        note += "; below the first published band, first band used"
    if conv_note:
        note += f"; {conv_note}"
    if pol.is_fixed:
        return Rule("equity_band", f"equity band table {pol.bands.id}", lev_b,
                    pol.url(b.source or pol.bands.source), b.confidence or pol.bands.confidence,
                    note + "; ignored: fixed-margin instrument", applied=False)
    return Rule("equity_band", f"equity band table {pol.bands.id}", lev_b,
                pol.url(b.source or pol.bands.source), b.confidence or pol.bands.confidence, note)


def _hmr_rules(pol: SymbolPolicy, time: Any, calendar: Iterable[Any]) -> list[Rule]:
    """One rule per HMR window: its cap when ``time`` falls inside it, else why it does not apply."""
    t_ns = to_ns(time) if time is not None else None
    events = [to_ns(e) for e in calendar]
    rules: list[Rule] = []
    for w, cap in pol.hmr:
        label = f"HMR window {w.id} ({w.trigger})"
        src, conf = pol.url(w.source), w.confidence
        if t_ns is None:
            rules.append(Rule("hmr", label, None, src, conf, "no time given: window not checked", applied=False))
            continue
        if w.trigger == "news" and not events:
            rules.append(Rule("hmr", label, None, src, conf, "no economic calendar given: news window not checked",
                              applied=False))
            continue
        inside = in_window(hmr_window(w, pol.profile), t_ns, events)
        span = (f"{w.minutes_before:g} min before to {w.minutes_after:g} min after "
                + ("the release" if w.trigger == "news" else f"{w.start} .. {w.end} ({w.timezone})"))
        if not inside:
            rules.append(Rule("hmr", label, None, src, conf, f"time is outside the window ({span})", applied=False))
        elif cap is None:
            rules.append(Rule("hmr", label, None, src, conf, f"inside the window ({span}) but no cap covers "
                              f"{pol.spec.symbol}", applied=False))
        elif cap.leverage == UNKNOWN:
            rules.append(Rule("hmr", label, UNKNOWN, pol.url(cap.source or w.source), cap.confidence or conf,
                              f"inside the window ({span}); cap for {pol.spec.symbol} unknown"
                              + (f": {cap.note}" if cap.note else ""), applied=False))
        else:
            rules.append(Rule("hmr", label, leverage_number(cap.leverage), pol.url(cap.source or w.source),
                              cap.confidence or conf, f"inside the window ({span}); applies to "
                              f"{w.applies_to.replace('_', ' ')}"))
    return rules


def _combine(pol: SymbolPolicy, rules: list[Rule]) -> tuple[float, float, str, list[str]]:
    """Leverage, margin rate, the binding rule's kind and the unknowns, marking the bound rules.

    Leverage is the lowest applied cap. A fixed-margin instrument takes its published rate unless a
    cap demands more margin; its selected leverage is set aside and a ``fixed_margin`` rule is added.
    """
    if not pol.is_fixed:
        nums = [r.value for r in rules if r.applied and isinstance(r.value, float)]
        lev = min(nums, default=math.inf)
        return lev, 0.0 if math.isinf(lev) else 1.0 / lev, _mark_bound(rules, lev), []
    assert pol.fixed is not None
    rate = pol.fixed_rate()
    for r in rules:
        if r.rule == "selected" and r.applied:
            r.applied, r.note = False, "ignored: fixed-margin instrument"
    fixed_rule = Rule("fixed_margin", f"fixed margin for {pol.spec.symbol}",
                      UNKNOWN if math.isnan(rate) else rate * 100, pol.url(pol.fixed.source),
                      pol.fixed.confidence, (pol.fixed.note or "") + " (margin % of notional)",
                      applied=not math.isnan(rate))
    rules.append(fixed_rule)
    caps = [r.value for r in rules if r.applied and r.rule != "fixed_margin" and isinstance(r.value, float)]
    cap_min = min(caps, default=math.inf)
    if math.isnan(rate):
        return math.nan, math.nan, "fixed_margin", [f"fixed margin rate of {pol.spec.symbol}"]
    if cap_min < math.inf and 1.0 / cap_min > rate:
        return cap_min, 1.0 / cap_min, _mark_bound(rules, cap_min), []
    fixed_rule.bound = True
    return 1.0 / rate, rate, "fixed_margin", []


def _mark_bound(rules: list[Rule], value: float) -> str:
    binding = [r for r in rules if r.applied and isinstance(r.value, float) and r.value == value
               and r.rule != "fixed_margin"]
    for r in binding:
        r.bound = True
    if not binding:
        return "none"
    return min(binding, key=lambda r: _PRIORITY.index(r.rule) if r.rule in _PRIORITY else 99).rule


def _explain(pol: SymbolPolicy, country: str, lev: float, rate: float, bound: str, rules: list[Rule],
             unknowns: list[str]) -> str:
    reg = pol.regime.name if pol.regime else (pol.entity.regulator_detail or "regulator unknown")
    head = (f"resident of {country.upper()} -> {pol.entity.name} ({reg}) -> {pol.client_class} client, "
            f"{pol.account.name} account; {pol.spec.symbol} is {pol.spec.asset_class} "
            f"(regulatory class {pol.reg_class}).")
    if pol.unknown:
        result = f"Leverage unknown: {pol.unknown}."
    elif pol.is_fixed and not math.isnan(rate):
        result = f"Margin {rate * 100:.4g}% of notional (fixed-margin instrument), bound by {bound}."
    elif pol.is_fixed:
        result = "Fixed-margin instrument whose margin rate is not published: unknown."
    else:
        result = f"Leverage {leverage_text(lev)} (margin {rate * 100:.4g}% of notional), bound by {bound}."
    lines = [head, result]
    for r in rules:
        status = "BOUND" if r.bound else ("applied" if r.applied else "not applied")
        val = r.value
        if isinstance(val, float):
            val = f"{val:g}%" if r.rule == "fixed_margin" else leverage_text(val)
        note = f" - {r.note}" if r.note else ""
        lines.append(f"  - {r.label}: {val if val is not None else '-'} [{status}]{note}")
    if unknowns:
        lines.append("Unknown (not applied): " + "; ".join(unknowns))
    return "\n".join(lines)
