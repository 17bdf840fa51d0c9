"""The built-in engines."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bansos_rules.engines import Engine, EngineFactory
from bansos_rules.engines.durable import DurableEngine
from bansos_rules.engines.native import NativeEngine
from bansos_rules.hookspecs import hookimpl

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook


@hookimpl
def register_engines(register: Callable[[str, EngineFactory], None]) -> None:
    """Register the native engine, the durable_rules one and the columnar (Polars) one."""
    register("native", NativeEngine)
    register("durable", DurableEngine)
    register("columnar", _columnar)


def _columnar(book: RuleBook) -> Engine:
    # Imported on first use: Polars is not needed to decide one application at a time.
    from bansos_rules.engines.columnar import ColumnarEngine

    return ColumnarEngine(book)
