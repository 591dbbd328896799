"""The compiled account simulator: every quote between two decisions, with the full margin model.

``run_segment`` walks quotes ``start..end`` of a merged quote stream and does all per-quote
accounting: queued market orders, pending orders, SL/TP, margin (re-priced at current rates, equity
bands, HMR windows, hedged margin), margin call, stop-out (worst floating loss first, re-checking
after each close), NBP, swaps at rollover instants, cashback, MAE/MFE, and the recorded series.
State lives in struct-of-arrays tables (see ``_layout``), grouped into the named tuples ``Quotes``,
``Rules``, ``Book``, ``Ledger`` and ``Decisions``, that persist between calls, so Python can stop at
each bar close, let a strategy decide, write orders into the tables and resume. Nothing is
allocated per quote.

On a bar path (quotes flagged ``F_CONT``) the price moves continuously between vertices: a level
crossed inside a segment fills at the level, and a stop-out fires at the exact crossing price
(found by bisection). On ticks every move is a gap: fills happen at the quote.

Modules by job, each importing only those before it: ``margin`` (valuation), ``ledger``
(bookings), ``totals`` (the book's per-symbol totals and lazy MAE/MFE), ``orders`` (orders and
fills), ``stopout`` (margin call and stop-out), ``fast`` (the lean paths), ``loop`` (the full path
and the entry points).
"""

from .loop import close_all, run_segment, seed_rng
from .margin import recalc, value_positions
from .totals import set_stops

__all__ = ["close_all", "recalc", "run_segment", "seed_rng", "set_stops", "value_positions"]
