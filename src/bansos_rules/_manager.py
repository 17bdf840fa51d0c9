"""The plugin manager: finds plugins, calls their hooks, and gathers what they contribute.

Plugins — the built-in ones included — are found through the ``bansos_rules`` entry-point group.
When the package runs from a source tree that was never installed, the built-in plugins have no
entry points; they are then registered from :data:`BUILTIN_PLUGINS` with the same call.

``BANSOS_RULES_BLOCK=name,name`` (or ``block=`` in the API) keeps plugins from loading.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from bansos_rules import hookspecs
from bansos_rules._errors import PluginError
from bansos_rules._registry import Agency, BusinessType, Registry
from bansos_rules.engines import EngineFactory

__all__ = ["BUILTIN_PLUGINS", "PluginInfo", "Plugins", "load_plugins"]

ENTRY_POINT_GROUP = "bansos_rules"
BLOCK_ENV = "BANSOS_RULES_BLOCK"

BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("business_types", "bansos_rules.plugins.business_types"),
    ("agencies", "bansos_rules.plugins.agencies"),
    ("functions", "bansos_rules.plugins.functions"),
    ("engines", "bansos_rules.plugins.engines"),
    ("eligibility", "bansos_rules.plugins.eligibility"),
    ("fit", "bansos_rules.plugins.fit"),
    ("aid_caps", "bansos_rules.plugins.aid_caps"),
    ("referrals", "bansos_rules.plugins.referrals"),
)
_BUILTIN_NAMES = {name for name, _ in BUILTIN_PLUGINS}


@dataclass(frozen=True)
class PluginInfo:
    """A registered plugin: its name, module, the distribution it came from, and its hooks."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool
    hooks: tuple[str, ...]


class Plugins:
    """A pluggy manager with the bansos-rules hooks, and the plugins registered on it."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.info: dict[str, PluginInfo] = {}

    def register(
        self,
        plugin: Any,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> None:
        """Register ``plugin`` under ``name``.

        :raises PluginError: when pluggy rejects it (a misspelt hook, a wrong argument name).
        """
        try:
            self.pm.register(plugin, name=name)
            # A hook implementation that matches no hook is a misspelling: refuse it now.
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            raise PluginError(name, _hook_in(str(exc)), str(exc)) from exc
        except ValueError as exc:
            raise PluginError(name, None, str(exc)) from exc
        hooks = tuple(
            caller.name for caller in self.pm.get_hookcallers(plugin) or () if caller.name
        )
        module = getattr(plugin, "__name__", type(plugin).__name__)
        self.info[name] = PluginInfo(
            name, module, distribution, version, name in _BUILTIN_NAMES, tuple(sorted(hooks))
        )

    def collect(self) -> tuple[Registry, dict[str, EngineFactory]]:
        """Call every hook of every plugin and gather the contributions.

        Built-in plugins are called first, then the others by name, so the result does not depend
        on the order distributions happen to be installed in.
        """
        registry = Registry()
        engines: dict[str, tuple[EngineFactory, str]] = {}

        def add_engine(plugin: str) -> Callable[[str, EngineFactory], None]:
            def register(name: str, factory: EngineFactory) -> None:
                if name in engines:
                    raise PluginError(
                        plugin,
                        "register_engines",
                        f"engine {name!r} is already registered by {engines[name][1]}",
                    )
                engines[name] = (factory, plugin)

            return register

        callbacks: dict[str, Callable[[str], Callable[..., None]]] = {
            "register_business_types": lambda p: _typed(
                p, BusinessType, registry.add_business_type
            ),
            "register_agencies": lambda p: _typed(p, Agency, registry.add_agency),
            "register_functions": lambda p: (
                lambda fn, name=None: registry.add_function(p, fn, name)
            ),
            "register_rulesets": lambda p: lambda path: registry.add_ruleset(p, path),
            "register_engines": add_engine,
        }
        order = {name: i for i, (name, _) in enumerate(BUILTIN_PLUGINS)}
        for hook in hookspecs.HOOKS:
            caller = getattr(self.pm.hook, hook)
            impls = sorted(
                caller.get_hookimpls(),
                key=lambda impl: (order.get(impl.plugin_name, len(order)), impl.plugin_name),
            )
            for impl in impls:
                kwargs = {"register": callbacks[hook](impl.plugin_name)}
                try:
                    impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
                except PluginError:
                    raise
                except Exception as exc:
                    raise PluginError(
                        impl.plugin_name, hook, f"raised {type(exc).__name__}: {exc}"
                    ) from exc
        return registry, {name: factory for name, (factory, _) in engines.items()}


def _typed(plugin: str, kind: type, add: Callable[[str, Any], None]) -> Callable[[Any], None]:
    def register(item: Any) -> None:
        if not isinstance(item, kind):
            raise TypeError(f"expected a {kind.__name__}, got {type(item).__name__}")
        add(plugin, item)

    return register


def _hook_in(message: str) -> str | None:
    for hook in hookspecs.HOOKS:
        if hook in message:
            return hook
    return None


def blocked_from_env() -> tuple[str, ...]:
    """Plugin names listed in ``BANSOS_RULES_BLOCK``."""
    raw = os.environ.get(BLOCK_ENV, "")
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def load_plugins(
    *, block: Iterable[str] = (), extra: Iterable[tuple[str, Any]] = (), entry_points: bool = True
) -> Plugins:
    """A plugin manager with every plugin found through entry points, less the blocked ones.

    :param block: plugin names not to load (added to those in ``BANSOS_RULES_BLOCK``).
    :param extra: ``(name, plugin)`` pairs to register as well (for tests and embedding).
    :param entry_points: look for plugins through the ``bansos_rules`` entry-point group.
    :raises PluginError: naming the plugin that could not be loaded or registered.
    """
    blocked = {*block, *blocked_from_env()}
    plugins = Plugins()
    found: set[str] = set()
    if entry_points:
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in blocked or ep.name in found:
                continue
            try:
                module = ep.load()
            except Exception as exc:
                raise PluginError(
                    ep.name, None, f"failed to load {ep.value}: {type(exc).__name__}: {exc}"
                ) from exc
            dist = ep.dist
            plugins.register(
                module,
                ep.name,
                distribution=dist.name if dist else None,
                version=dist.version if dist else None,
            )
            found.add(ep.name)
    for name, module_name in BUILTIN_PLUGINS:
        if name in blocked or name in found:
            continue
        plugins.register(importlib.import_module(module_name), name, distribution="bansos-rules")
    for name, plugin in extra:
        if name not in blocked:
            plugins.register(plugin, name)
    return plugins
