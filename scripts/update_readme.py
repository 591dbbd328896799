"""Regenerate the generated parts of README.md: the brokers table from the profiles (`make readme`), and
the speed table from one run of every benchmark (`python scripts/update_readme.py --speed DIR`, DIR
being what `python benchmarks/run_all.py --json-dir DIR` wrote)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from leverlab.brokers import headline_markdown

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- brokers-table:start -->", "<!-- brokers-table:end -->"


def render(text: str) -> str:
    """README text with the brokers table replaced by a fresh one."""
    block = f"{START}\n{headline_markdown().strip()}\n{END}"
    new, n = re.subn(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    if n != 1:
        raise SystemExit(f"{README}: expected one {START} ... {END} block, found {n}")
    return new


BENCH_START, BENCH_END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"


# why the bar goal falls short (issue 13 item 2): measured in bench_engine's phase notes
LEAN = ("quiet bars are skipped by the trigger-price scan and a price box; most of the kernel's time is now the "
        "trades, each running the full accounting path of a fill (order, deals, trade row, totals, margin check) "
        "in separately compiled calls; see the kernel split in bench_engine.py's notes")


def _rate(x: float, unit: str) -> str:
    return f"{x / 1e6:.1f}M {unit}/s" if x >= 1e6 else f"{x / 1e3:.0f}k {unit}/s" if x >= 1e3 else f"{x:.1f} {unit}/s"


def _goal(ok: bool, shortfall: str) -> str:
    return "met" if ok else f"**not met**: {shortfall}"


def _engine_rows(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    cases = dict.fromkeys(r["case"] for r in rows)
    for case in cases:
        rs = [r for r in rows if r["case"] == case]
        mine = next(r for r in rs if r["tool"].startswith("leverlab") and r.get("rate"))
        if case.startswith("bars"):
            n = case.split()[1]
            bt = next(r for r in rs if r["tool"].startswith("backtesting.py"))
            vf = next(r for r in rs if "from_signals only" in r["tool"])
            ve = next(r for r in rs if "signals + portfolio" in r["tool"])
            out.append(f"| SMA(10/20) stop-and-reverse at 1,000 units, EURUSD H1 mirror-tiled to {n} bars, full margin/"
                       f"stop-out model | {_rate(mine['rate'], 'bars')} | {bt['tool']} {_rate(bt['rate'], 'bars')} | "
                       f"{bt['leverlab_x']:.0f}x | >= 100x: {_goal(bt['leverlab_x'] >= 100, LEAN)} |")
            out.append(f"| the same vs {vf['tool'].split(' (')[0]} (no margin model at all), {n} bars | "
                       f"{_rate(mine['rate'], 'bars')} | `from_signals` alone {_rate(vf['rate'], 'bars')}; signals + "
                       f"portfolio {_rate(ve['rate'], 'bars')} | {vf['leverlab_x']:.2f}x; {ve['leverlab_x']:.2f}x end "
                       f"to end | >= 1x: {_goal(vf['leverlab_x'] >= 1, LEAN)} |")
        elif case.startswith("XAUUSD"):
            nt = next(r for r in rs if r["tool"].startswith("NautilusTrader"))
            out.append(f"| EMA cross on M1 bars, every tick simulated (margin and stop-out per tick), "
                       f"{case.split()[2]} real XAUUSD ticks, 1:1000 | {_rate(mine['rate'], 'ticks')} | {nt['tool']} "
                       f"{_rate(nt['rate'], 'ticks')} | {nt['leverlab_x']:.0f}x | >= 50M/s: "
                       f"{_goal(mine['rate'] >= 50e6, 'the trigger-price tick scan is issue 13 item 3')}; >= 100x "
                       f"NautilusTrader: {_goal(nt['leverlab_x'] >= 100, 'see the profile in the benchmark')} |")
        elif case.startswith("synthetic"):
            rss = mine["note"].split("peak RSS ")[1].split(" MB")[0]
            out.append(f"| the same on {case.split()[2]} synthetic EURUSD ticks, streamed in 2M-tick chunks | "
                       f"{_rate(mine['rate'], 'ticks')}, peak RSS {rss} MB (generator included) | | | >= 100M/s: "
                       f"{_goal(mine['rate'] >= 100e6, 'the trigger-price tick scan is issue 13 item 3')}; < 1 GB: "
                       f"{_goal(float(rss) < 1024, 'see the benchmark')} |")
    return out


def speed_table(folder: Path) -> str:
    """The README's speed table from one run's JSON files (benchmarks/run_all.py --json-dir)."""
    def load(name: str) -> Any:
        f = folder / f"{name}.json"
        return json.loads(f.read_text(encoding="utf-8")) if f.exists() else None

    lines = ["| job | leverlab | peer | ratio | goal |", "|---|---|---|---|---|"]
    eng = load("bench_engine")
    if eng:
        lines += _engine_rows(eng)
    st = load("bench_startup")
    if st:
        lines.append(f"| first backtest in a fresh process (compiled code cached on disk), SMA cross `next()` on the "
                     f"12-year sample | {st['to_result']:.2f} s to the result, {st['to_exit']:.2f} s to process exit; "
                     f"`leverlab backtest` {st['cli_to_exit']:.2f} s to exit | | | < 1.5 s: "
                     f"{_goal(st['to_result'] < 1.5, 'see where the time goes below')}; < 2 s: "
                     f"{_goal(st['to_exit'] < 2, 'interpreter teardown, see below')} |")
    dat = load("bench_data")
    if dat:
        if "import_xauusd_2m" in dat:
            d = dat["import_xauusd_2m"]
            lines.append(f"| import {d['rows'] / 1e6:.2f}M XAUUSD ticks (LEAN zip) into the store | "
                         f"{d['seconds']:.2f} s | | | < 5 s: {_goal(d['seconds'] < 5, 'see bench_data.py')} |")
        d = dat["load_10m"]
        lines.append(f"| load 10M ticks of one symbol from the store | {d['seconds_warm']:.2f} s | | | < 1 s: "
                     f"{_goal(d['seconds_warm'] < 1, 'see bench_data.py')} |")
        d = dat["stream"]
        lines.append(f"| stream {d['ticks'] / 1e6:.0f}M synthetic ticks through a reader into M1 bars | peak RSS "
                     f"{d['peak_rss_mb']:.0f} MB | | | < 1 GB: {_goal(d['peak_rss_mb'] < 1024, 'see bench_data.py')} |")
    cmp_ = load("bench_compare")
    if cmp_:
        for case in dict.fromkeys(r["case"] for r in cmp_["rows"]):
            best = min((r for r in cmp_["rows"] if r["case"] == case), key=lambda r: r["seconds"])
            lines.append(f"| `compare`: every broker and account type, 12 years of H1, {case}, "
                         f"{best['workers']} workers ({best['pool']}) | {best['seconds']:.2f} s "
                         f"({best['backtests']} backtests, "
                         f"{best['per_backtest']:.3f} s each) | | | < 5 s: {_goal(best['seconds'] < 5, 'see below')} |")
    sw = load("bench_sweep")
    if sw:
        rs = {r["executor"]: r for r in sw["rows"]}
        local = next(r for k, r in rs.items() if k.startswith("local ("))
        warm = next((r for k, r in rs.items() if k.endswith("warm")), None)
        ray_txt = f"; local Ray {warm['backtests_per_second']:.0f}/s (warm)" if warm else ""
        lines.append(f"| `sweep`: {local['backtests']:,.0f} backtests (accounts x leverages x parameters) on 12 years "
                     f"of H1, 0.1 lot | {local['backtests_per_second']:.0f} backtests/s local{ray_txt} | | | "
                     f"docs/SCALE.md |")
    ru = load("bench_ruin")
    if ru:
        sec = ru["rows"][0]["seconds"]
        lines.append(f"| `ruin`: {ru['paths'] / 1e3:.0f}k paths x 1,000 trades | {sec:.2f} s | | | < 5 s: "
                     f"{_goal(sec < 5, 'see bench_ruin.py')} |")
    od = load("bench_orders")
    if od:
        last = od[-1]
        lines.append(f"| orders placed through the steppable Account, {od[0]['orders']:,} to {last['orders']:,} | "
                     f"{_rate(last['orders_per_second'], 'orders')} at {last['orders']:,} ({last['ratio']:.2f} of the "
                     f"rate at {od[0]['orders']:,}) | | | cost per order flat: "
                     f"{_goal(last['ratio'] > 0.8, 'see bench_orders.py')} |")
    return "\n".join(lines)


def render_speed(text: str, folder: Path, intro: str) -> str:
    """README text with the speed table replaced by one made from ``folder``'s benchmark results."""
    import textwrap

    block = f"{BENCH_START}\n{textwrap.fill(intro.strip(), 104)}\n\n{speed_table(folder)}\n{BENCH_END}"
    new, n = re.subn(re.escape(BENCH_START) + r".*?" + re.escape(BENCH_END), lambda _: block, text, flags=re.S)
    if n != 1:
        raise SystemExit(f"{README}: expected one {BENCH_START} ... {BENCH_END} block, found {n}")
    return new


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    if "--speed" in sys.argv:
        folder = Path(sys.argv[sys.argv.index("--speed") + 1])
        machine = json.loads((folder / "machine.json").read_text()) if (folder / "machine.json").exists() else {}
        intro = (f"Generated by `scripts/update_readme.py --speed` from one run of `python benchmarks/run_all.py"
                 f"{' --quick' if machine.get('quick') else ''} --json-dir DIR` ({machine.get('when', '?')}, "
                 f"{machine.get('cpus', '?')} cores shared, load average {machine.get('load', '?')}); the peers ran in "
                 f"their own pinned environments on the same data. Medians; read them as indicative on a shared "
                 f"machine.")
        README.write_text(render_speed(text, folder, intro), encoding="utf-8")
        sys.exit(0)
    new = render(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else "README.md's brokers table is stale: run `make readme`")
    README.write_text(new, encoding="utf-8")
