"""The compile cache is keyed on the content of every file the kernel is compiled from, so an edit to
any of them is never served a stale compiled copy (numba alone checks only the decorated function's
own file, numba issue #1833)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import leverlab
from leverlab.engine import _jit

# a kernel module that calls a formula: numba alone would keep serving its compiled copy after an
# edit to formulas.py, since this file itself does not change
PROBE = '''
from .._jit import jit
from ..formulas import profit_in_profit_ccy


@jit
def probe() -> float:
    return profit_in_profit_ccy(1, 2.0, 100.0, 1.0, 1.5)
'''

RUN = '''
import numba
import leverlab
from leverlab.engine._kernel.probe import probe
print(probe(), numba.config.CACHE_DIR, leverlab.__file__, sep="\\n")
'''

FORMULA = "return side * (close_price - open_price) * contract_size * lots"


def _run(root: Path, cache_root: Path) -> tuple[float, Path, Path]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(root), LEVERLAB_CACHE_DIR=str(cache_root))
    out = subprocess.run([sys.executable, "-c", RUN], env=env, cwd=root, capture_output=True, text=True, check=True)
    value, cache_dir, package = out.stdout.split("\n")[:3]
    return float(value), Path(cache_dir), Path(package)


def test_an_edit_to_a_formula_recompiles_the_kernel_that_calls_it(tmp_path: Path) -> None:
    package = tmp_path / "src" / "leverlab"
    shutil.copytree(Path(leverlab.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "engine" / "_kernel" / "probe.py").write_text(PROBE)
    cache_root = tmp_path / "cache"

    value, first_dir, used = _run(package.parent, cache_root)
    assert used.resolve().is_relative_to(package.resolve())  # the copy ran, not the installed package
    assert value == 100.0
    assert first_dir.parent == cache_root / "numba"
    assert any(first_dir.rglob("*probe*.nbi"))  # compiled and cached: a stale copy was there to be served

    formulas = package / "engine" / "formulas.py"
    text = formulas.read_text()
    assert FORMULA in text
    formulas.write_text(text.replace(FORMULA, "return 3.0 * side * (close_price - open_price) * contract_size * lots"))

    value, second_dir, _ = _run(package.parent, cache_root)
    assert value == 300.0
    assert second_dir != first_dir


def test_the_key_covers_every_kernel_source() -> None:
    engine = Path(_jit.__file__).parent
    names = {p.relative_to(engine).as_posix() for p in _jit.source_files()}
    kernel = {p.relative_to(engine).as_posix() for p in (engine / "_kernel").rglob("*.py")}
    assert kernel and kernel <= names
    assert {"_layout.py", "formulas.py", "_jit.py"} <= names
