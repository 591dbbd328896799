"""Your own trades under every broker: read a MetaTrader statement, reconcile it, replay it.

``read_statement`` reads an MT4 DetailedStatement, an MT5 trade history report (HTML or XLSX, any
language) or an MT5 Strategy Tester report into a typed ``Statement``; ``reconcile`` recomputes every
closing deal with leverlab's own formula and checks the balance; ``compare_statement`` places the same
trades and deposits on every account the trader can open and ranks them like ``compare``.
Errors name the file and what was expected (``StatementError``).

>>> import pathlib, tempfile
>>> rows = ["<tr><td>Account: 7</td><td>Name: A</td><td>Currency: USD</td><td>Leverage: 1:500</td></tr>",
...         "<tr><td>1</td><td>2024.07.08 07:35:18</td><td>balance</td><td>Deposit</td><td>1 000.00</td></tr>",
...         "<tr><td>2</td><td>2024.07.08 08:00:00</td><td>buy</td><td>0.10</td><td>usdjpy.</td><td>156.157</td>"
...         "<td>0</td><td>0</td><td>2024.07.08 09:00:00</td><td>156.349</td><td>-0.20</td><td>0.00</td>"
...         "<td>0.00</td><td>12.28</td></tr>",
...         "<tr><td>Deposit/Withdrawal:</td><td>1 000.00</td><td>Credit Facility:</td><td>0.00</td></tr>",
...         "<tr><td>Closed Trade P/L:</td><td>12.08</td><td>Floating P/L:</td><td>0.00</td></tr>",
...         "<tr><td>Balance:</td><td>1 012.08</td><td>Equity:</td><td>1 012.08</td></tr>"]
>>> tmp = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(tmp.name) / "DetailedStatement.htm"
>>> page = "<html><body><div><b>Demo Broker Ltd</b></div><table>" + "".join(rows) + "</table></body></html>"
>>> _ = path.write_text(page)
>>> s = read_statement(path)
>>> s.format, s.account.currency, s.account.leverage, s.account.company, s.symbols
('mt4-statement', 'USD', 500.0, 'Demo Broker Ltd', ['USDJPY'])
>>> r = reconcile(s)        # 0.192 x 100,000 x 0.10 = 1,920 JPY / 156.349 (its own close) = 12.28 USD
>>> r.counts, r.balance.ok  # 1,000.00 + 12.28 - 0.20 = 1,012.08, as stated
({'cent': 1, 'minor_unit': 0, 'unmatched': 0}, True)
>>> tmp.cleanup()
"""

from .model import FORMATS, AccountInfo, BalanceOp, Exit, Statement, StatementError, Trade
from .readers import read_statement
from .reconciliation import BalanceCheck, DealCheck, Reconciliation, reconcile
from .replay import AccountReplay, HistoryComparison, Skipped, compare_statement
from .symbols import map_symbol

__all__ = ["read_statement", "Statement", "Trade", "Exit", "BalanceOp", "AccountInfo", "StatementError",
           "FORMATS", "map_symbol", "reconcile", "Reconciliation", "DealCheck", "BalanceCheck",
           "compare_statement", "HistoryComparison", "AccountReplay", "Skipped"]
