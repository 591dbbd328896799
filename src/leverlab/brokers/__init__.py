"""Broker profiles as data: schema, loader, regulation, leverage policy and resolved account terms.

A broker is one YAML file in ``profiles/`` (see ``schema.py`` for the conventions); adding a broker
needs no code. The policy answers "what leverage applies here, and why":

>>> from leverlab.brokers import leverage, resolve_terms
>>> a = leverage("exness", "standard", "DE", "retail", "EURUSD", 2_000)
>>> a.leverage, a.bound_by, a.regulator
(30.0, 'regulator', 'cysec')
>>> resolve_terms("exness", "standard", "SC").margin_for("EURUSD").leverage_at(2_000)
2000.0
"""

from ..times import to_ns
from ._yaml import ProfileError
from .hmr import hmr_intervals
from .loader import (
                     UnknownBrokerError,
                     broker_ids,
                     load_all,
                     load_broker,
                     parse_profile,
                     profile_instrument,
                     profile_symbols,
)
from .policy import LeverageAnswer, PolicyError, leverage
from .regulation import NoEntityError, UnknownCountryError, entity_for, regimes, regulatory_class
from .resolve import resolve_terms
from .schema import AccountType, BrokerProfile, Entity
from .summary import eligible_account_types, headline_markdown, headline_table
from .terms import AccountTerms, HmrWindow, SwapRate, SymbolMargin

__all__ = [
    "AccountTerms", "AccountType", "BrokerProfile", "Entity", "HmrWindow", "LeverageAnswer", "NoEntityError",
    "PolicyError", "ProfileError", "SwapRate", "SymbolMargin", "UnknownBrokerError", "UnknownCountryError",
    "broker_ids", "eligible_account_types", "entity_for", "headline_markdown", "headline_table", "hmr_intervals",
    "leverage", "load_all", "load_broker", "parse_profile", "profile_instrument", "profile_symbols", "regimes",
    "regulatory_class", "resolve_terms", "to_ns",
]
