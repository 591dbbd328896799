"""Copy trading: followers that mirror a master account's fills under a copy rule.

``rules`` sizes each copy (Octa's published rule, a fixed ratio, fixed lots; bounds; a stop-copy
level) and checks who may copy whom (no account copying itself, no cycle of followers); ``backtest``
runs a master strategy and its followers on the same prices, each follower its own ``engine.Account``.
"""

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

__all__ = ["RULE_KINDS", "CopyError", "CopyRule", "CopySize", "check_subscriptions", "close_lots", "copy_lots",
           "parse_rule", "subscribe"]
