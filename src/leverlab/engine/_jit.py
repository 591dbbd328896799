"""The one set of numba options for the kernel and the formulas, and a compile cache keyed on their source.

Importing this module points numba's on-disk cache for the whole process (``numba.config.CACHE_DIR``)
at ``<cache root>/numba/<key>``, where the key is a hash of the content of every file the kernel is
compiled from (``_kernel/**/*.py``, ``_layout.py``, ``formulas.py``, this file). numba checks only the
timestamp of the decorated function's own file (numba issue #1833), so an edit to a constant in
``_layout.py`` or to a formula would otherwise run the stale compiled kernel; with the key, any edit
selects a fresh directory. The cache root is ``$LEVERLAB_CACHE_DIR`` if set, else the user cache
directory (``platformdirs.user_cache_dir("leverlab")``). A ``NUMBA_CACHE_DIR`` set by the user wins
and is left alone. Other cached numba code in the same process shares the directory, harmlessly.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Callable, TypeVar

import numba

F = TypeVar("F", bound=Callable)

_ENGINE = Path(__file__).resolve().parent


def source_files() -> list[Path]:
    """Every file the compiled kernel depends on, in a fixed order."""
    kernel = sorted((_ENGINE / "_kernel").glob("**/*.py"))
    return kernel + [_ENGINE / name for name in ("_layout.py", "formulas.py", "_jit.py")]


def source_key() -> str:
    """16 hex digits of the sha256 over the kernel's source files (names and contents)."""
    h = hashlib.sha256()
    for path in source_files():
        h.update(path.relative_to(_ENGINE).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """Where this source's compiled code lives: ``<cache root>/numba/<source_key()>``."""
    root = os.environ.get("LEVERLAB_CACHE_DIR")
    if not root:
        from platformdirs import user_cache_dir

        root = user_cache_dir("leverlab")
    return Path(root) / "numba" / source_key()


if not os.environ.get("NUMBA_CACHE_DIR"):
    numba.config.CACHE_DIR = str(cache_dir())  # type: ignore[attr-defined]

_OPTIONS: dict[str, Any] = dict(cache=True, nogil=True, _nrt=False, error_model="numpy")


def jit(fn: F) -> F:
    """Compile ``fn`` in nopython mode, cached on disk, without the GIL or numba's runtime (no allocation)."""
    return numba.njit(**_OPTIONS)(fn)


def jit_inline(fn: F) -> F:
    """``jit``, and inlined into every caller at the numba IR level (small helpers on the per-quote path)."""
    return numba.njit(inline="always", **_OPTIONS)(fn)
