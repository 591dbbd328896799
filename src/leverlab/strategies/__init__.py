"""Strategies: the built-ins by name, their indicator helpers, and the ``Strategy`` base class
(defined beside the engine that drives it, in :mod:`leverlab.engine.strategy`).

>>> from leverlab import strategies
>>> "sma_cross" in strategies.names()
True
>>> strategies.get("sma_cross").__name__
'SmaCross'

Add a strategy: one module here with one ``Strategy`` subclass, and one line in ``_REGISTRY``; or
keep it in your own file and name it ``path/to/file.py:ClassName`` wherever a strategy name is taken.
Each parameter is a class attribute with a type, a default and a docstring (``describe`` lists them).
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
import textwrap
from pathlib import Path
from typing import Any

from .base import OrderError, Strategy, crossover, ema, sma
from .bollinger_rsi import BollingerRsi
from .donchian import DonchianBreakout
from .ema_cross import EmaCross
from .grid import Grid
from .martingale import Martingale
from .sma_cross import SmaCross

_REGISTRY: dict[str, type[Strategy]] = {
    "sma_cross": SmaCross,
    "ema_cross": EmaCross,
    "donchian": DonchianBreakout,
    "bollinger_rsi": BollingerRsi,
    "grid": Grid,
    "martingale": Martingale,
}


class StrategyFileError(ValueError):
    """A ``file.py:ClassName`` strategy that cannot be used: no such file, no such class, not a Strategy."""


def get(name: str) -> type[Strategy]:
    """The strategy registered under ``name`` (case-insensitive, '-' or '_'), or the class ``ClassName``
    of the file in ``path/to/file.py:ClassName`` (StrategyFileError when that file or class is wrong)."""
    path, sep, cls_name = str(name).rpartition(":")
    if sep and path.lower().endswith(".py"):
        return load_file(path, cls_name)
    key = name.lower().replace("-", "_")
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown strategy {name!r}; expected one of: {', '.join(names())}, "
                       f"or path/to/file.py:ClassName for your own") from None


def load_file(path: str | Path, class_name: str) -> type[Strategy]:
    """The ``Strategy`` subclass ``class_name`` defined in the Python file ``path``."""
    file = Path(path)
    where = f"--strategy {file}:{class_name}"
    if not file.is_file():
        raise StrategyFileError(f"{where}: no file {str(file)!r}; expected the path of a .py file")
    if not class_name.isidentifier():
        raise StrategyFileError(f"{where}: {class_name!r} is not a class name; expected file.py:ClassName")
    module_name = f"leverlab_user_strategy_{abs(hash(str(file.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise StrategyFileError(f"{where}: cannot load {file} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # so the class can be found again (pickling, inspect)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        raise StrategyFileError(f"{file}, line {exc.lineno}: {exc.msg}") from None
    except Exception as exc:
        del sys.modules[module_name]
        raise StrategyFileError(f"{where}: importing the file failed: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, class_name, None)
    if cls is None:
        found = [k for k, v in vars(module).items() if isinstance(v, type) and issubclass(v, Strategy)
                 and v.__module__ == module_name]
        raise StrategyFileError(f"{where}: {file} has no class {class_name!r}; Strategy subclasses there: "
                                f"{', '.join(found) or 'none'}")
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        base = ", ".join(b.__name__ for b in getattr(cls, "__bases__", ())) or type(cls).__name__
        raise StrategyFileError(f"{where}: {class_name} is not a Strategy subclass (its bases: {base}); expected "
                                f"class {class_name}(Strategy) with `from leverlab.strategies import Strategy`")
    return cls


def names() -> list[str]:
    """Registered strategy names, sorted."""
    return sorted(_REGISTRY)


#: The order-size parameters every strategy has (set by --lots, --units or --risk).
_SIZING = {"lots": "Order size in lots.", "units": "Order size in units of the base currency.",
           "risk": "Order size: percent of equity lost if the stop-loss is hit (needs a stop)."}


def describe(cls: type[Strategy]) -> dict[str, Any]:
    """A strategy's name, summary and parameters (name, type, default, meaning), from its docstrings and
    annotations: each parameter's meaning is the docstring written under it in the class."""
    meanings: dict[str, str] = dict(_SIZING)
    types: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        meanings.update(_attribute_docs(klass))
        types.update({k: _type_text(v) for k, v in vars(klass).get("__annotations__", {}).items()})
    doc = inspect.getdoc(cls) or ""
    names_ = cls.param_names()
    order = [k for klass in cls.__mro__ for k in vars(klass) if k in names_]
    order = sorted(dict.fromkeys(order), key=lambda k: k in _SIZING)  # as declared, the order size last
    params = [{"name": k, "type": types.get(k, type(getattr(cls, k)).__name__), "default": getattr(cls, k),
               "meaning": meanings.get(k, "")} for k in order]
    summary = " ".join(doc.split("\n\n")[0].split()).replace("``", "")
    return {"class": cls.__name__, "summary": summary, "parameters": params}


def _type_text(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def _attribute_docs(klass: type) -> dict[str, str]:
    """``name: type = default`` followed by a string literal in a class body: name -> that string."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    out = {}
    for stmt, after in zip(body, body[1:]):
        target = stmt.target if isinstance(stmt, ast.AnnAssign) else (
            stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None)
        if (isinstance(target, ast.Name) and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            out[target.id] = " ".join(after.value.value.split())
    return out


def register(name: str, cls: type[Strategy]) -> None:
    """Register a strategy class under a name (used by ``leverlab backtest --strategy``)."""
    _REGISTRY[name.lower().replace("-", "_")] = cls


__all__ = ["Strategy", "OrderError", "crossover", "sma", "ema", "SmaCross", "EmaCross", "DonchianBreakout",
           "BollingerRsi", "Grid", "Martingale", "get", "names", "register", "describe", "load_file",
           "StrategyFileError"]
