"""Regulatory regimes (bundled ``regulation.yaml``) and which broker entity serves a resident.

A regime's retail cap for an instrument is looked up by the instrument's *regulatory class*
(ESMA taxonomy: a major pair is any two of USD, EUR, JPY, GBP, CAD, CHF, so AUDUSD is non-major).
Caps are a number, ``"none"`` (no cap exists) or ``"unknown"`` (no source found).

>>> regulatory_class(instrument("AUDUSD"))
'non_major_fx'
>>> retail_cap("cysec", "major_fx").value
30.0
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, ValidationError

from ..instruments import Instrument, instrument  # noqa: F401  (instrument used in doctest)
from ._countries import COUNTRIES, EEA, EU
from ._yaml import read_text, read_yaml
from .schema import BrokerProfile, Confidence, Entity, LeverageNumber, Percent

REGULATION_FILE = Path(__file__).with_name("regulation.yaml")
REG_CLASSES = ("major_fx", "non_major_fx", "gold", "major_indices", "other_commodities",
               "non_major_indices", "equities_other", "crypto")
_GROUP = {"major_fx": "fx", "non_major_fx": "fx", "gold": "commodities", "other_commodities": "commodities",
          "major_indices": "indices", "non_major_indices": "indices"}
CapValue = Union[LeverageNumber, Literal["none", "unknown"]]
ClosePct = Union[Percent, Literal["none", "unknown"]]


class UnknownCountryError(ValueError):
    """A country code that is not ISO-3166 alpha-2."""


class NoEntityError(LookupError):
    """The broker has no entity onboarding residents of a country (for this client class)."""

    def __str__(self) -> str:
        return str(self.args[0])


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProRules(_M):
    criteria: str | None
    caps: Literal["none", "unknown"]
    close_out: ClosePct
    nbp: Union[bool, Literal["none", "unknown"]]


class Regime(_M):
    id: str
    name: str
    jurisdiction: str
    retail_caps: dict[str, CapValue]
    close_out_pct: ClosePct
    nbp: Union[bool, Literal["none", "unknown"]]
    pro: ProRules
    source: str
    confidence: Confidence
    note: str | None = None
    authority: str | None = None  # the regulator's name, as a trader knows it
    supervises_firms: bool = True  # False for ESMA: it sets EU-wide measures but licenses no broker

    @property
    def regulator_name(self) -> str:
        """The authority's name (the regime's name when no authority is recorded)."""
        return self.authority or self.name

    @property
    def short_name(self) -> str:
        """The authority's abbreviation with its jurisdiction, e.g. ``CySEC (CY)``, ``FSA (SC)``."""
        text = self.authority or ""
        abbr = text.split("(", 1)[1].split(",")[0].split(")")[0].split(";")[0].strip() if "(" in text else self.id
        return f"{abbr} ({self.jurisdiction})"


class ListFact(_M):
    value: list[str]
    source: str
    confidence: Confidence
    note: str | None = None


class Criteria(_M):
    rule: str
    criteria: list[str]
    source: str
    confidence: Confidence


class Regulation(_M):
    schema_version: Literal[1]
    as_of: str
    sources: dict[str, dict[str, str]]
    major_fx_currencies: ListFact
    major_indices: ListFact
    regimes: list[Regime]
    professional_criteria: dict[str, Criteria]

    def url(self, ref: str) -> str:
        return self.sources.get(ref, {}).get("url", ref)


class Cap(BaseModel):
    """A regulator's cap for one class: ``value`` is a number, ``"none"`` or ``"unknown"``."""

    regime: str
    reg_class: str
    value: CapValue
    key: str | None  # the key of retail_caps it came from (class, group or 'all')
    source: str
    confidence: str


@lru_cache(maxsize=1)
def regulation() -> Regulation:
    """The bundled regulation data (validated; read within the same YAML limits as a profile)."""
    data: Any = read_yaml(read_text(REGULATION_FILE), REGULATION_FILE.name)[0]
    try:
        return Regulation.model_validate(data)
    except ValidationError as exc:  # pragma: no cover - a packaging error
        raise ValueError(f"{REGULATION_FILE.name}: {exc}") from None


def regimes() -> dict[str, Regime]:
    """Regimes by id."""
    return {r.id: r for r in regulation().regimes}


def regulatory_class(spec: Instrument) -> str:
    """The ESMA/ASIC class of an instrument (``major_fx``, ``gold``, ``crypto``, ...)."""
    reg = regulation()
    if spec.is_fx:
        majors = set(reg.major_fx_currencies.value)
        return "major_fx" if spec.base in majors and spec.quote in majors else "non_major_fx"
    if spec.asset_class == "metal":
        return "gold" if spec.base == "XAU" else "other_commodities"
    if spec.asset_class == "energy":
        return "other_commodities"
    if spec.asset_class == "index":
        return "major_indices" if spec.symbol in reg.major_indices.value else "non_major_indices"
    if spec.asset_class == "crypto":
        return "crypto"
    return "equities_other"


def retail_cap(regime_id: str, reg_class: str) -> Cap:
    """The retail cap of a regime for a regulatory class: most specific key, then group, then ``all``."""
    r = regimes()[regime_id]
    reg = regulation()
    for key in (reg_class, _GROUP.get(reg_class), "all"):
        if key and key in r.retail_caps:
            v = r.retail_caps[key]
            return Cap(regime=r.id, reg_class=reg_class, value=float(v) if not isinstance(v, str) else v,
                       key=key, source=reg.url(r.source), confidence=r.confidence)
    return Cap(regime=r.id, reg_class=reg_class, value="unknown", key=None, source=reg.url(r.source),
               confidence=r.confidence)


def check_country(country: str) -> str:
    """Upper-cased ISO code, or ``UnknownCountryError``."""
    code = str(country).strip().upper()
    if code == "UK":
        code = "GB"
    if len(code) != 2 or code not in COUNTRIES:
        raise UnknownCountryError(f"{country!r} is not a valid ISO-3166 alpha-2 country code "
                                  f"(e.g. DE, GB, AU, SC; {len(COUNTRIES)} codes are known)")
    return code


def _serves(entity: Entity, code: str) -> str | None:
    """How ``entity`` lists ``code``: 'country', 'group' or 'rest' (None when it does not)."""
    listed = entity.serves.countries
    if code in listed:
        return "country"
    if ("EU" in listed and code in EU) or ("EEA" in listed and code in EEA):
        return "group"
    if "REST" in listed:
        return "rest"
    return None


def entity_for(profile: BrokerProfile, country: str, client_class: str = "retail") -> Entity:
    """The entity of ``profile`` that onboards a resident of ``country`` as ``client_class``.

    An entity naming the country beats one naming its group (EU/EEA), which beats ``REST``;
    ties go to the first in the file.
    """
    code = check_country(country)
    if client_class not in ("retail", "pro"):
        raise ValueError(f"client class {client_class!r} is not valid; expected 'retail' or 'pro'")
    best: tuple[int, Entity] | None = None
    rank = {"country": 0, "group": 1, "rest": 2}
    for e in profile.entities:
        how = _serves(e, code)
        if how is None or client_class not in e.serves.client_classes:
            continue
        if best is None or rank[how] < best[0]:
            best = (rank[how], e)
    if best is None:
        raise NoEntityError(f"{profile.name} has no entity serving {client_class} clients resident in "
                            f"{code} ({COUNTRIES[code]}); entities: "
                            + "; ".join(f"{e.id} serves {','.join(e.serves.countries)}" for e in profile.entities))
    return best[1]
