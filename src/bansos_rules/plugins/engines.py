"""The built-in engines."""

from __future__ import annotations

from collections.abc import Callable

from bansos_rules.engines import EngineFactory
from bansos_rules.engines.durable import DurableEngine
from bansos_rules.engines.native import NativeEngine
from bansos_rules.hookspecs import hookimpl


@hookimpl
def register_engines(register: Callable[[str, EngineFactory], None]) -> None:
    """Register the native engine and the durable_rules one."""
    register("native", NativeEngine)
    register("durable", DurableEngine)
