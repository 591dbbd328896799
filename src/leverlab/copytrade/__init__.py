"""Copy trading: followers that mirror a master account's fills under a copy rule.

``rules`` sizes each copy (Octa's published rule, a fixed ratio, fixed lots; bounds; a stop-copy
level) and checks who may copy whom (no account copying itself, no cycle of followers); ``mirror``
turns a master's fills into orders on one follower's ``engine.Account`` (what a backtest and a live
server share); ``backtest`` runs a master strategy and its followers on the same prices.
"""

from .mirror import Copy, Mirror
from .rules import (
           RULE_KINDS,
           CopyError,
           CopyRule,
           CopySize,
           check_subscriptions,
           close_lots,
           copy_lots,
           parse_rule,
           subscribe,
)

__all__ = ["Mirror", "Copy", "RULE_KINDS", "CopyError", "CopyRule", "CopySize", "check_subscriptions", "close_lots",
           "copy_lots", "parse_rule", "subscribe"]
