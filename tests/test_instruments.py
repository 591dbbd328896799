import pytest

from leverlab.instruments import UnknownSymbolError, instrument, symbols


def test_catalog_covers_the_issue_list():
    need = ["EURUSD", "GBPUSD", "USDJPY", "USDCHF", "AUDUSD", "USDCAD", "NZDUSD", "EURGBP", "EURJPY", "GBPJPY",
            "EURCHF", "AUDJPY", "EURAUD", "GBPCHF", "CADJPY", "NZDJPY", "EURCAD", "USDTRY", "USDZAR", "USDMXN",
            "EURSEK", "USDSGD", "XAUUSD", "XAGUSD", "USOIL", "UKOIL", "US30", "US500", "DE40", "BTCUSD", "ETHUSD"]
    for s in need:
        assert instrument(s).symbol == s
    assert len(symbols("major")) == 7 and len(symbols("minor")) >= 10 and len(symbols("exotic")) >= 5


def test_specs():
    j = instrument("usdjpy")
    assert (j.pip_size, j.digits, j.point, j.margin_currency, j.profit_currency) == (0.01, 3, 0.001, "USD", "JPY")
    g = instrument("XAUUSD")
    assert (g.contract_size, g.margin_currency, g.asset_class) == (100.0, "USD", "metal")
    o = g.with_overrides(contract_size=10.0)
    assert o.contract_size == 10.0 and g.contract_size == 100.0


def test_bad_symbol_and_override():
    with pytest.raises(UnknownSymbolError, match="unknown symbol 'EURXYZ'.*EURUSD"):
        instrument("EURXYZ")
    with pytest.raises(ValueError, match="unknown instrument field"):
        instrument("EURUSD").with_overrides(leverage=5)
    with pytest.raises(ValueError, match="asset_class"):
        instrument("EURUSD").with_overrides(asset_class="bond")
