"""Broker profiles as data: schema, loader, regulation, leverage policy and resolved account terms.

>>> from leverlab.brokers import load_broker, leverage
>>> leverage("exness", "standard", "DE", "retail", "EURUSD", 2_000).leverage
30.0
"""

from .loader import ProfileError, UnknownBrokerError, broker_ids, load_all, load_broker
from .policy import LeverageAnswer, PolicyError, leverage
from .regulation import NoEntityError, UnknownCountryError, entity_for
from .schema import BrokerProfile, Entity

__all__ = [
    "BrokerProfile", "Entity", "LeverageAnswer", "NoEntityError", "PolicyError", "ProfileError",
    "UnknownBrokerError", "UnknownCountryError", "broker_ids", "entity_for", "leverage", "load_all",
    "load_broker",
]
