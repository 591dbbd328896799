"""The comparison report: one self-contained interactive HTML file, and a PNG of the key chart.

The HTML holds the ranking table (every score component shown), the equity curves of all
accounts overlaid, each account's margin level with its margin-call and stop-out lines and the
stop-outs marked, the cost breakdown, each broker's leverage-by-equity steps and the trade lists.
plotly.js is inlined once, so the file opens offline and can be mailed; the same comparison gives
the same bytes (fixed element ids, no timestamps). Files are written to a temporary name and
renamed, so a failed run never leaves half a report.

>>> import tempfile
>>> from pathlib import Path
>>> from leverlab import load
>>> from leverlab.analysis.compare import compare
>>> c = compare(load("sample:eurusd-h1").take(slice(0, 2_000)), "sma_cross", deposit=1_000,
...             brokers=["exness"], workers=1)
>>> with tempfile.TemporaryDirectory() as tmp:
...     html, png = write_report(c, Path(tmp, "report.html"), Path(tmp, "report.png"))
...     html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>"), png.stat().st_size > 10_000
(True, True)
"""

from __future__ import annotations

import html as _html
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..brokers.schema import leverage_text
from .compare import Comparison, Row, RowCosts, RowStats
from .score import FORMULA

#: Points per curve after thinning (each bucket keeps its lowest and highest value, so no
#: drawdown or stop-out disappears from the picture).
MAX_POINTS = 1500
#: Trades listed per account (stop-out closes first, then the latest); the ledger has them all.
MAX_TRADES = 150
#: Where "unlimited" leverage is drawn on the step chart.
_UNLIMITED_Y = 10_000.0

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
            "#bcbd22", "#7f7f7f", "#393b79", "#ad494a", "#637939", "#8c6d31", "#843c39", "#7b4173",
            "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#6baed6", "#fd8d3c", "#74c476",
            "#9e9ac8", "#969696", "#9ecae1", "#fdae6b")

_CSS = """
:root{--ink:#1d2733;--muted:#5b6b7c;--line:#dfe5ec;--bg:#f5f7fa;--card:#fff;--good:#1a7f37;--bad:#c62828;--warn:#b26a00}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#10253f;color:#fff;padding:22px 32px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#b9c8da}main{padding:18px 32px 40px;max-width:1500px;margin:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px;margin:0 0 18px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card b{display:block;font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.card span{font-size:18px;font-weight:600}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:0 0 18px}
section h2{font-size:16px;margin:0 0 6px}section p.note{color:var(--muted);margin:0 0 8px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:5px 7px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{background:#eef2f6;font-size:12px;position:sticky;top:0}td.l,th.l{text-align:left}tr:hover td{background:#f8fafc}
.scroll{overflow:auto;max-height:640px}.neg{color:var(--bad)}.pos{color:var(--good)}.warn{color:var(--warn)}
.bar{display:inline-block;height:8px;background:#2f6fb0;border-radius:2px;vertical-align:middle}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
small{color:var(--muted)}
table.wrap td,table.wrap th{white-space:normal}td.ent{max-width:260px;overflow:hidden;text-overflow:ellipsis}
"""


# ------------------------------------------------------------------ helpers
def _stats(row: Row) -> RowStats:
    """The numbers of a row in the ranking (every ranked row was simulated)."""
    if row.stats is None:
        raise ValueError(f"{row.label} was not simulated: it has no numbers to report")
    return row.stats


def _esc(x: Any) -> str:
    return _html.escape(str(x), quote=True)


def _thin(t: np.ndarray, y: np.ndarray, n: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ~n points: per bucket the lowest and highest value in time order (NaN gaps kept)."""
    m = t.shape[0]
    if m <= n:
        return t, y
    buckets = max(1, n // 2)
    k = -(-m // buckets)  # bucket length
    pad = buckets * k - m
    yy = np.concatenate([y.astype(np.float64), np.full(pad, np.nan)]).reshape(buckets, k)
    empty = np.isnan(yy).all(axis=1)
    lo = np.argmin(np.where(np.isnan(yy), np.inf, yy), axis=1)
    hi = np.argmax(np.where(np.isnan(yy), -np.inf, yy), axis=1)
    lo[empty] = 0
    hi[empty] = 0
    base = np.arange(buckets, dtype=np.int64) * k
    idx = np.unique(np.concatenate([base + lo, base + hi, [m - 1]]))
    idx = idx[idx < m]
    return t[idx], y[idx]


def _times(t: np.ndarray) -> list[str]:
    return [str(s) for s in np.datetime_as_string(t.astype("datetime64[ns]"), unit="m")]


def _dt(t: np.ndarray) -> np.ndarray:
    """Times for a chart axis (minute precision; plotly and matplotlib both take datetime64)."""
    return np.asarray(t, dtype=np.int64).astype("datetime64[ns]").astype("datetime64[m]")


def _arr(y: np.ndarray, digits: int = 2) -> np.ndarray:
    """Rounded floats for a chart (NaN/inf shown as gaps)."""
    a = np.round(np.asarray(y, dtype=np.float64), digits)
    a[~np.isfinite(a)] = np.nan
    return a


def _vals(y: np.ndarray, digits: int = 2) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v), digits) for v in y]


def _unique_runs(c: Comparison) -> list[tuple[Row, list[Row]]]:
    """Ranked rows grouped by shared simulation: (the row that was run, every row it stands for)."""
    out: dict[str, tuple[Row, list[Row]]] = {}
    for r in c.ranked:
        key = r.shared_with or r.label
        if key not in out:
            out[key] = (r, [r])
        else:
            out[key][1].append(r)
    return list(out.values())


def _curve_groups(c: Comparison) -> list[tuple[Row, list[Row]]]:
    """Ranked rows grouped by identical equity curves (same numbers under different rules draw one line)."""
    import hashlib

    out: dict[str, tuple[Row, list[Row]]] = {}
    for r in c.ranked:
        res = r.result
        assert res is not None
        key = hashlib.sha1(res.series.equity.tobytes() + res.series.time.tobytes()
                           + repr(r.unit_value).encode()).hexdigest()
        if key not in out:
            out[key] = (r, [r])
        else:
            out[key][1].append(r)
    return list(out.values())


def _colors(c: Comparison) -> dict[str, str]:
    """One colour per simulation, keyed by the label of the row that ran it (``shared_with or label``)."""
    return {(r.shared_with or r.label): _PALETTE[i % len(_PALETTE)] for i, (r, _) in enumerate(_unique_runs(c))}


def _name(group: list[Row]) -> str:
    first = group[0]
    more = f" (+{len(group) - 1} same)" if len(group) > 1 else ""
    return f"#{first.rank} {first.label}{more}"


def _curve_name(group: list[Row], width: int = 60) -> str:
    """'#1 a/b, #3 c/d, ...' shortened to ``width`` characters with a count of the rest."""
    names = [f"#{r.rank} {r.label}" for r in group]
    text = names[0]
    k = 1
    while k < len(names) and len(text) + len(names[k]) + 2 <= width:
        text += ", " + names[k]
        k += 1
    return text + (f" +{len(names) - k} more" if k < len(names) else "")


# ------------------------------------------------------------------ figures
def _layout(title: str, **kw: Any) -> dict[str, Any]:
    base = {"title": {"text": title, "x": 0.01, "font": {"size": 15}}, "template": "plotly_white",
            "margin": {"l": 60, "r": 20, "t": 46, "b": 40}, "hovermode": "closest",
            "legend": {"font": {"size": 11}}, "height": 460}
    base.update(kw)
    return base


def equity_figure(c: Comparison) -> Any:
    """Equity of every account over time (trader's currency), stop-outs marked with an x."""
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = _colors(c)
    for row, group in _curve_groups(c):
        res = row.result
        assert res is not None
        t, y = _thin(res.series.time, res.series.equity * row.unit_value)
        fig.add_trace(go.Scatter(x=_dt(t), y=_arr(y), mode="lines", name=_curve_name(group),
                                 line={"width": 2.4 if row.rank == 1 else 1.4,
                                       "color": colors[row.shared_with or row.label]}, legendgroup=row.label,
                                 hovertemplate="%{y:,.2f}<extra>" + _esc(", ".join(r.label for r in group))
                                 + "</extra>"))
        so = [e for e in res.events if e.type == "stop_out"] if _stats(row).stop_outs else []
        if so:
            st = np.asarray([e.time for e in so], dtype=np.int64)
            eq = np.interp(st.astype(float), res.series.time.astype(float), res.series.equity) * row.unit_value
            fig.add_trace(go.Scatter(x=_times(st), y=_vals(eq), mode="markers", name=f"{row.label} stop-out",
                                     marker={"symbol": "x", "size": 9, "color": colors[row.shared_with or row.label]},
                                     legendgroup=row.label, showlegend=False,
                                     hovertext=[f"stop-out {row.label}" for _ in so], hoverinfo="text+x"))
    fig.add_hline(y=c.inputs.deposit, line={"dash": "dot", "color": "#888", "width": 1},
                  annotation_text="deposit", annotation_position="top left")
    fig.update_layout(**_layout(f"Equity ({c.inputs.currency}) - same strategy, same prices, each broker's rules",
                                height=560, legend={"orientation": "h", "y": -0.12, "font": {"size": 11}}),
                      yaxis_title=c.inputs.currency)
    return fig


def margin_figure(c: Comparison) -> Any:
    """Margin level of one account at a time (a menu picks it), with its MC/SO lines and stop-outs."""
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = _colors(c)
    runs = _unique_runs(c)
    spans: list[tuple[int, int]] = []
    shapes_by: list[list[dict[str, Any]]] = []
    for k, (row, group) in enumerate(runs):
        res = row.result
        assert res is not None
        first = len(fig.data)
        lvl = res.series.margin_level.copy()
        t, y = _thin(res.series.time, np.where(np.isfinite(lvl), lvl, np.nan))
        fig.add_trace(go.Scatter(x=_dt(t), y=_arr(y, 1), mode="lines", name=f"{_name(group)} margin level %",
                                 line={"width": 1.2, "color": colors[row.shared_with or row.label]},
                                 visible=k == 0, connectgaps=False))
        events = res.events if _stats(row).stop_outs or _stats(row).margin_calls else []
        so = [e for e in events if e.type == "stop_out"]
        mc = [e for e in events if e.type == "margin_call"]
        for evs, label, sym, color in ((mc, "margin call", "triangle-down", "#b26a00"),
                                       (so, "stop-out", "x", "#c62828")):
            if evs:
                fig.add_trace(go.Scatter(x=_times(np.asarray([e.time for e in evs], dtype=np.int64)),
                                         y=[round(e.margin_level, 2) if e.margin_level else None for e in evs],
                                         mode="markers", name=label, visible=k == 0,
                                         marker={"symbol": sym, "size": 9, "color": color}))
        spans.append((first, len(fig.data)))
        shapes = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": row.stop_out_level,
                   "y1": row.stop_out_level, "line": {"color": "#c62828", "dash": "dash", "width": 1.2}}]
        if row.margin_call_level is not None:
            shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                           "y0": row.margin_call_level, "y1": row.margin_call_level,
                           "line": {"color": "#b26a00", "dash": "dot", "width": 1.2}})
        shapes_by.append(shapes)
    n = len(fig.data)
    buttons = []
    for k, (row, group) in enumerate(runs):
        vis = [spans[k][0] <= i < spans[k][1] for i in range(n)]
        so_txt = f"SO {row.stop_out_level:g}%" + (f", MC {row.margin_call_level:g}%" if row.margin_call_level else "")
        buttons.append({"label": f"#{row.rank} {row.label}", "method": "update",
                        "args": [{"visible": vis}, {"shapes": shapes_by[k],
                                                    "title.text": f"Margin level - {_name(group)} ({so_txt})"}]})
    first_row = runs[0][0]
    so_txt = f"SO {first_row.stop_out_level:g}%" + (
        f", MC {first_row.margin_call_level:g}%" if first_row.margin_call_level else "")
    fig.update_layout(**_layout(f"Margin level - {_name(runs[0][1])} ({so_txt})"), shapes=shapes_by[0],
                      yaxis={"type": "log", "title": "margin level % (log)", "dtick": 1},
                      updatemenus=[{"buttons": buttons, "direction": "down", "x": 1.0, "xanchor": "right",
                                    "y": 1.16, "yanchor": "top", "showactive": True}])
    return fig


def cost_figure(c: Comparison) -> Any:
    """What each account paid: spread, commission, swap, and cashback received (negative)."""
    import plotly.graph_objects as go

    rows = c.ranked
    names = [f"#{r.rank} {r.label}" for r in rows]
    fig = go.Figure()
    parts: tuple[tuple[str, str, Callable[[RowCosts], float]], ...] = (
        ("spread", "#4c78a8", lambda co: co.spread), ("commission", "#f58518", lambda co: co.commission),
        ("swap", "#54a24b", lambda co: co.swap), ("cashback (received)", "#b279a2", lambda co: -co.cashback))
    for label, color, paid in parts:
        fig.add_trace(go.Bar(y=names, x=[paid(_stats(r).costs) for r in rows], name=label, orientation="h",
                             marker={"color": color}))
    fig.update_layout(**_layout(f"Costs paid over the run ({c.inputs.currency})",
                                height=max(320, 26 * len(rows) + 120)), barmode="relative",
                      yaxis={"autorange": "reversed"}, xaxis_title=c.inputs.currency)
    return fig


def leverage_figure(c: Comparison) -> Any:
    """Leverage for a new position by account equity (outside news/weekend windows), one step line per account."""
    import plotly.graph_objects as go

    fig = go.Figure()
    seen: dict[str, list[str]] = {}
    rows_by_key: dict[str, Row] = {}
    for r in c.ranked:
        key = json.dumps([[f, None if math.isinf(v) else v] for f, v in r.leverage_steps])
        seen.setdefault(key, []).append(r.label)
        rows_by_key.setdefault(key, r)
    dep = float(c.inputs.deposit)
    top = max([dep * 100] + [f * 3 for r in c.ranked for f, _ in r.leverage_steps])
    for k, (key, labels) in enumerate(seen.items()):
        r = rows_by_key[key]
        xs, ys = [], []
        for f, v in r.leverage_steps:
            xs.append(max(f, 1.0))
            ys.append(_UNLIMITED_Y if math.isinf(v) else v)
        xs.append(top)
        ys.append(ys[-1])
        name = labels[0] + (f" (+{len(labels) - 1})" if len(labels) > 1 else "")
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line_shape="hv", name=name,
                                 line={"width": 2, "color": _PALETTE[k % len(_PALETTE)],
                                       "dash": ("solid", "dash", "dot")[(k // 10) % 3]},
                                 hovertext=[", ".join(labels)] * len(xs), hoverinfo="text+x+y"))
    fig.add_vline(x=dep, line={"dash": "dot", "color": "#888"}, annotation_text="your deposit")
    tick = [30, 100, 200, 500, 1000, 2000, 3000, _UNLIMITED_Y]
    fig.update_layout(**_layout("Leverage by equity - what each account gives a new position"),
                      xaxis={"type": "log", "title": f"equity ({c.inputs.currency})"},
                      yaxis={"type": "log", "title": "leverage 1:L", "tickvals": tick,
                             "ticktext": [leverage_text(v) for v in tick[:-1]] + [leverage_text(math.inf)]})
    return fig


# ------------------------------------------------------------------ HTML parts
def _num(x: float, cls: bool = False) -> str:
    css = (' class="neg"' if x < 0 else ' class="pos"' if x > 0 else "") if cls else ""
    return f"<td{css}>{x:,.2f}</td>"


def ranking_html(c: Comparison) -> str:
    """The ranking table: results, costs, protection, leverage and each score component."""
    colors = _colors(c)
    ccy = _esc(c.inputs.currency)
    head = ("<tr><th>#</th><th class='l'>broker / account</th><th class='l'>entity (regulator)</th>"
            "<th class='l'>leverage (why)</th>"
            f"<th>final {ccy}</th><th>return</th><th>max DD</th><th>stop-outs</th><th>margin calls</th>"
            "<th>rejected</th><th>1st stop-out (day)</th><th>spread (from)</th><th>commission</th>"
            "<th>swap</th><th>cashback</th>"
            "<th>NBP absorbed</th><th>MC / SO</th><th>survival</th><th>return</th><th>cost</th><th>protection</th>"
            "<th>leverage</th><th>score</th></tr>")
    body = []
    for r in c.ranked:
        s, sc = _stats(r), r.score or {}
        co = s.costs
        color = colors.get(r.shared_with or r.label, "#555")
        lev_title = _esc(r.leverage_why)
        cap = " <span class='warn'>capped</span>" if r.leverage_capped else ""
        so_day = "-" if s.days_to_first_stop_out is None else f"{s.days_to_first_stop_out:.0f}"
        mc = "-" if r.margin_call_level is None else f"{r.margin_call_level:g}%"
        comps = "".join(f"<td title='weight {c.weights[k]:g}'>{sc[k]:.2f}</td>"
                        for k in ("survival", "return", "cost", "protection", "leverage"))
        shared = f"<br><small>same terms as {_esc(r.shared_with)}</small>" if r.shared_with else ""
        tie = (f"<br><small>tie with {_esc(', '.join(r.tie['with']))}</small>" if r.tie else "")
        mark = "" if not r.tie else "=" if r.tie["rank"] == r.rank else f" (={r.tie['rank']})"
        body.append(
            f"<tr><td>{r.rank}{mark}</td><td class='l'>"
            f"<span class='swatch' style='background:{color}'></span>"
            f"<b>{_esc(r.broker_name)}</b> {_esc(r.account_type)}{shared}{tie}</td>"
            f"<td class='l ent' title='{_esc(r.regulator)}'>{_esc(r.entity)} ({_esc(r.regulator)})</td>"
            f"<td class='l' title='{lev_title}'>{leverage_text(r.leverage)} "
            f"<small>{_esc(r.leverage_bound_by)}</small>{cap}</td>"
            f"{_num(s.final_equity)}<td class='{'neg' if s.net_return < 0 else 'pos'}'>"
            f"{s.net_return * 100:+.1f}%</td><td>{s.max_drawdown * 100:.1f}%</td>"
            f"<td class='{'neg' if s.stop_outs else ''}'>{s.stop_outs}</td><td>{s.margin_calls}</td>"
            f"<td>{s.rejects}</td><td>{so_day}</td>{_num(co.spread)[:-5]}<br><small>{_esc(r.spread)}</small></td>"
            f"{_num(co.commission)}"
            f"{_num(co.swap)}{_num(co.cashback)}{_num(s.nbp_absorbed)}<td>{mc} / {r.stop_out_level:g}%</td>"
            f"{comps}<td><b>{sc['total'] * 100:.1f}</b> <span class='bar' style='width:{sc['total'] * 60:.0f}px'>"
            f"</span></td></tr>")
    return f"<div class='scroll'><table>{head}{''.join(body)}</table></div>"


def others_html(c: Comparison) -> str:
    """Accounts not run: cannot be opened (reason, what instead) or refused by the engine."""
    items = []
    for r in c.ineligible:
        items.append(f"<tr><td class='l'>{_esc(r.broker_name)} {_esc(r.account_type)}</td>"
                     f"<td class='l'>{_esc(r.reason)}</td><td class='l'>{_esc(r.instead)}</td></tr>")
    for r in c.unranked:
        items.append(f"<tr><td class='l'>{_esc(r.broker_name)} {_esc(r.account_type)}</td>"
                     f"<td class='l'>not ranked: {_esc(r.unranked)}</td><td class='l'>compare it once the "
                     f"profile publishes the figure</td></tr>")
    for r in c.failed:
        items.append(f"<tr><td class='l'>{_esc(r.broker_name)} {_esc(r.account_type)}</td>"
                     f"<td class='l'>eligible, but the engine could not run it: {_esc(r.error)}</td>"
                     f"<td class='l'></td></tr>")
    for r in c.no_trade:
        items.append(f"<tr><td class='l'>{_esc(r.broker_name)} {_esc(r.account_type)}</td>"
                     f"<td class='l'>no trade: the run filled no order ({_stats(r).rejects} rejected), so it is "
                     f"not ranked</td><td class='l'>check the strategy's parameters, the order size and the data"
                     f"</td></tr>")
    capped = [r for r in c.ranked if r.leverage_capped]
    for r in capped:
        items.append(f"<tr><td class='l'>{_esc(r.broker_name)} {_esc(r.account_type)}</td>"
                     f"<td class='l'>{_esc(r.reason.split('; ')[-1])}</td><td class='l'>{_esc(r.instead)}</td></tr>")
    if not items:
        return "<p class='note'>Every account type of every broker is open to this trader.</p>"
    return ("<table class='wrap'><tr><th class='l'>account</th><th class='l'>why</th><th class='l'>instead</th></tr>"
            + "".join(items) + "</table>")


def trades_html(c: Comparison) -> str:
    """Per account: the stop-out closes and the latest trades, with counts of what is not shown."""
    parts = []
    for row, group in _unique_runs(c):
        res = row.result
        assert res is not None
        trades = res.trades
        forced = [t for t in trades if t.reason == "stop_out"]
        rest = [t for t in trades if t.reason != "stop_out"][-max(0, MAX_TRADES - len(forced)):]
        shown = sorted(forced[:MAX_TRADES] + rest, key=lambda t: (t.close_time, t.position_id))
        u = row.unit_value
        lines = []
        for t in shown:
            net = float(t.net) * u
            lines.append(f"<tr><td>{t.position_id}</td><td class='l'>{t.side}</td><td>{t.lots:g}</td>"
                         f"<td class='l'>{_times(np.asarray([t.open_time]))[0]}</td><td>{t.open_price:.5f}</td>"
                         f"<td class='l'>{_times(np.asarray([t.close_time]))[0]}</td><td>{t.close_price:.5f}</td>"
                         f"{_num(float(t.profit) * u)}{_num(float(t.commission) * u)}{_num(float(t.swap) * u)}"
                         f"{_num(net, True)}<td class='l{' neg' if t.reason == 'stop_out' else ''}'>"
                         f"{t.reason}</td></tr>")
        note = (f"showing {len(shown)} of {len(trades)} trades (every stop-out close, then the latest)"
                if len(shown) < len(trades) else f"{len(trades)} trades")
        labels = ", ".join(r.label for r in group)
        parts.append(
            f"<details><summary>#{row.rank} {_esc(labels)} - {len(trades)} trades, "
            f"{_stats(row).stop_outs} stop-out(s)</summary><p class='note'>{note}; amounts in "
            f"{_esc(c.inputs.currency)}</p><div class='scroll' style='max-height:380px'><table>"
            "<tr><th>position</th><th class='l'>side</th><th>lots</th><th class='l'>opened</th><th>price</th>"
            "<th class='l'>closed</th><th>price</th><th>profit</th><th>commission</th><th>swap</th><th>net</th>"
            f"<th class='l'>closed by</th></tr>{''.join(lines)}</table></div></details>")
    return "".join(parts)


def _cards(c: Comparison) -> str:
    i = c.inputs
    ranked = c.ranked
    best = ranked[0]
    blown = [r for r in ranked if _stats(r).ruined]
    sizing = ", ".join(f"{k} {v:g}" + ("%" if k == "risk" else "") for k, v in i.sizing.items())
    cards = [("best for you", f"{best.broker_name} {best.account_type}",
              f"score {best.score['total'] * 100:.1f}, {_stats(best).net_return * 100:+.1f}%"),  # type: ignore[index]
             ("trader", f"{i.deposit:,.0f} {i.currency}", f"{i.country} {i.client}, "
              + (f"asks {leverage_text(i.leverage)}" if i.leverage is not None else "max leverage")),
             ("strategy", i.strategy, f"{sizing}; " + (", ".join(f"{k}={v}" for k, v in i.params.items())
                                                          or "default parameters")),
             ("data", f"{i.symbol} {i.timeframe or ''}", f"{i.start[:10]} .. {i.end[:10]}, {i.bars:,} bars"),
             ("ruined", f"{len(blown)} of {len(ranked)} accounts",
              "stopped out or down to 1% of the deposit" + ("" if not blown else "; first: " + min(
                  blown, key=lambda r: _stats(r).ruin_time or "").label))]
    return "<div class='cards'>" + "".join(
        f"<div class='card'><b>{_esc(a)}</b><span>{_esc(b)}</span><br><small>{_esc(d)}</small></div>"
        for a, b, d in cards) + "</div>"


def render_html(c: Comparison) -> str:
    """The whole page as text (deterministic for the same comparison)."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    if not c.ranked:
        raise ValueError("nothing to report: no account was simulated")
    cfg = {"displaylogo": False, "responsive": True}
    figs = [("equity", equity_figure(c)), ("margin", margin_figure(c)), ("costs", cost_figure(c)),
            ("leverage", leverage_figure(c))]
    plots = {k: pio.to_html(f, full_html=False, include_plotlyjs=False, div_id=f"plot-{k}", config=cfg,
                            validate=True) for k, f in figs}
    weights = ", ".join(f"{k} {v:g}" for k, v in c.weights.items())
    notes = "".join(f"<li>{_esc(n)}</li>" for n in c.notes)
    differences = "".join(f"<li>{_esc(d.strip())}</li>" if not d.startswith("  ") else
                          f"<li style='margin-left:1.5em;list-style:circle'>{_esc(d.strip())}</li>"
                          for d in c.differences())
    formula = "".join(f"<li>{_esc(line)}</li>" for line in FORMULA.splitlines())
    i = c.inputs
    title = f"leverlab - which broker for {i.strategy} with {i.deposit:,.0f} {i.currency}?"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{_esc(title)}</title><style>{_CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><header><h1>{_esc(title)}</h1>
<p>The same strategy, the same prices and the same deposit under each broker's real rules for a
{_esc(i.client)} client from {_esc(i.country)}: leverage policy, margin call and stop-out, negative
balance protection, commission, swaps and cashback. Every number below comes from the simulated ledger.</p></header>
<main><section><h2>What differed between the brokers, and why</h2><ul>{differences}</ul></section>
{_cards(c)}
<section><h2>Ranking</h2><p class="note">score = weighted mean of five components in [0, 1] x 100
(weights: {_esc(weights)}). Hover a leverage for the full reason.</p>
{ranking_html(c)}<details><summary>How the score is computed</summary><ul>{formula}</ul></details></section>
<section><h2>Equity</h2>{plots['equity']}</section>
<section><h2>Margin level</h2><p class="note">Pick an account in the menu. Dashed red: the stop-out level;
dotted amber: margin call; x: a stop-out.</p>{plots['margin']}</section>
<section><h2>Costs</h2>{plots['costs']}</section>
<section><h2>Leverage by equity</h2><p class="note">The leverage a new position gets as the account grows
(equity bands, regulator and entity caps); news and weekend windows can lower it further.</p>
{plots['leverage']}</section>
<section><h2>Accounts not in the ranking, or capped</h2>{others_html(c)}</section>
<section><h2>Trades</h2>{trades_html(c)}</section>
<section><h2>Notes</h2><ul>{notes}</ul></section>
</main></body></html>
"""


def render_png(c: Comparison, path: str | os.PathLike[str], top: int = 10) -> None:
    """The key chart for sharing: equity of the best ``top`` accounts plus every stopped-out one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = _curve_groups(c)
    colors = _colors(c)
    keep = [g for k, g in enumerate(runs) if k < top or _stats(g[0]).ruined]
    fig, ax = plt.subplots(figsize=(11, 6.2), dpi=110)
    for row, group in keep:
        res = row.result
        assert res is not None
        t, y = _thin(res.series.time, res.series.equity * row.unit_value, 3000)
        x = _dt(t)
        lw = 2.2 if row.rank == 1 else 1.2
        ax.plot(x, y, color=colors[row.shared_with or row.label], lw=lw, alpha=0.95,
                label=_curve_name(group, 70) + (" - stopped out" if _stats(row).stop_outs else
                                                " - wiped out" if _stats(row).ruined else ""))
        for e in (e for e in (res.events if _stats(row).stop_outs else []) if e.type == "stop_out"):
            yy = float(np.interp(float(e.time), res.series.time.astype(float), res.series.equity)) * row.unit_value
            ax.plot(_dt(np.asarray([e.time])), [yy], "x",
                    color=colors[row.shared_with or row.label], ms=10, mew=2.5)
    ax.axhline(float(c.inputs.deposit), color="#888", lw=0.8, ls=":")
    i = c.inputs
    ax.set_title(f"{i.strategy} on {i.symbol}, {i.deposit:,.0f} {i.currency}, {i.country} "
                 f"{i.client}: equity under each broker's rules (x = stop-out)", fontsize=11, loc="left")
    ax.set_ylabel(i.currency)
    ax.grid(alpha=0.25)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=8, ncol=1, loc="upper center", bbox_to_anchor=(0.5, -0.08), frameon=False)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)


def write_atomic(path: Path, write: Any) -> None:
    """Call ``write(tmp)`` on a temporary name beside ``path``, then rename it into place, so a failed
    write never leaves a half-written file (the folder is created if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_report(comparison: Comparison, path_html: str | os.PathLike[str],
                 path_png: str | os.PathLike[str] | None = None) -> tuple[Path, Path | None]:
    """Write the HTML report (and the PNG) as one pair; returns the paths written.

    Both are rendered to temporary names first, then renamed into place; if anything fails (a
    directory where a file should go, a full disk) the previous pair is left as it was, so a report
    never sits beside a picture of another run.
    """
    text = render_html(comparison)
    html_path = Path(path_html)
    png_path = Path(path_png) if path_png is not None else None
    writers: list[tuple[Path, Callable[[Path], Any]]] = [(html_path, lambda p: p.write_text(text, encoding="utf-8"))]
    if png_path is not None:
        writers.insert(0, (png_path, lambda p: render_png(comparison, p)))
    _write_together(writers)
    return html_path, png_path


def _write_together(writers: list[tuple[Path, Callable[[Path], Any]]]) -> None:
    """Write each file to a temporary name, then move each into place; on any failure undo the moves
    already made (the old file comes back from its backup) and remove every temporary file."""
    tag = f"{os.getpid()}"
    temps = [(path, path.with_name(f".{path.name}.{tag}.tmp"), path.with_name(f".{path.name}.{tag}.old"))
             for path, _ in writers]
    done: list[tuple[Path, Path, bool]] = []  # (path, backup, had an old file) for each move made
    try:
        for (path, write), (_, tmp, _) in zip(writers, temps):
            path.parent.mkdir(parents=True, exist_ok=True)
            write(tmp)
        for path, tmp, old in temps:
            if path.is_dir():
                raise IsADirectoryError(f"{path} is a directory, expected a file (or nothing) there")
            had = path.exists()
            if had:
                os.replace(path, old)
            done.append((path, old, had))
            os.replace(tmp, path)
    except BaseException:
        for path, old, had in reversed(done):
            if had:
                os.replace(old, path)
            elif path.exists():
                path.unlink()
        raise
    finally:
        for _, tmp, old in temps:
            for leftover in (tmp, old):
                if leftover.exists() and not leftover.is_dir():
                    leftover.unlink()


__all__ = ["write_report", "write_atomic", "render_html", "render_png", "equity_figure", "margin_figure", "cost_figure",
           "leverage_figure", "ranking_html"]
