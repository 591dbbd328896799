"""Your own trades under every broker: read a MetaTrader statement, reconcile it, replay it.

``read_statement`` reads an MT4 DetailedStatement, an MT5 trade history report (HTML or XLSX, any
language) or an MT5 Strategy Tester report into a typed ``Statement``.
"""

from .model import FORMATS, AccountInfo, BalanceOp, Exit, Statement, StatementError, Trade
from .readers import read_statement
from .reconciliation import BalanceCheck, DealCheck, Reconciliation, reconcile
from .replay import AccountReplay, HistoryComparison, Skipped, compare_statement
from .symbols import map_symbol

__all__ = ["read_statement", "Statement", "Trade", "Exit", "BalanceOp", "AccountInfo", "StatementError",
           "FORMATS", "map_symbol", "reconcile", "Reconciliation", "DealCheck", "BalanceCheck",
           "compare_statement", "HistoryComparison", "AccountReplay", "Skipped"]
