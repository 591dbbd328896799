"""NautilusTrader side of the tick benchmark: its example EMACross (10/20 on 1-minute bid bars built
from the quotes) on the same XAUUSD ticks, 1:1000 margin account. Prints one JSON line with the time
of ``engine.run()`` alone (data wrangling excluded - generous to the peer).

    .bench/nautilus/bin/python benchmarks/peers/nautilus_ticks.py TICKS.npz
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

import numpy as np
import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, RiskEngineConfig
from nautilus_trader.examples.strategies.ema_cross import EMACross, EMACrossConfig
from nautilus_trader.model import BarType, Money, Venue
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.persistence.wranglers import QuoteTickDataWrangler
from nautilus_trader.test_kit.providers import TestInstrumentProvider


def main() -> None:
    d = np.load(sys.argv[1])
    t, bid, ask = d["time"], d["bid"], d["ask"]
    engine = BacktestEngine(config=BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR"),
                                                        risk_engine=RiskEngineConfig(bypass=True)))
    sim = Venue("SIM")
    engine.add_venue(venue=sim, oms_type=OmsType.HEDGING, account_type=AccountType.MARGIN, base_currency=USD,
                     starting_balances=[Money(10_000, USD)], default_leverage=Decimal(1000))
    inst = TestInstrumentProvider.default_fx_ccy("XAU/USD", sim)
    engine.add_instrument(inst)
    df = pd.DataFrame({"bid_price": bid, "ask_price": ask}, index=pd.to_datetime(t, utc=True))
    ticks = QuoteTickDataWrangler(instrument=inst).process(df)
    engine.add_data(ticks)
    cfg = EMACrossConfig(instrument_id=inst.id, bar_type=BarType.from_str("XAU/USD.SIM-1-MINUTE-BID-INTERNAL"),
                         fast_ema_period=10, slow_ema_period=20, trade_size=Decimal(10))
    engine.add_strategy(EMACross(config=cfg))
    t0 = time.perf_counter()
    engine.run()
    sec = time.perf_counter() - t0
    fills = len(engine.trader.generate_order_fills_report())
    import nautilus_trader
    print(json.dumps({"seconds": sec, "ticks": int(len(t)), "fills": fills, "version": nautilus_trader.__version__}))


if __name__ == "__main__":
    main()
