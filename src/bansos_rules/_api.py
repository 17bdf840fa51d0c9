"""The library's entry points: :func:`load_rules`, :func:`evaluate`."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from bansos_rules._book import RuleBook
from bansos_rules._decision import Decision
from bansos_rules._errors import Diagnostic, RulesetError, UsageError, path_of
from bansos_rules._manager import Plugins, load_plugins
from bansos_rules._models import Application
from bansos_rules._registry import Registry
from bansos_rules.ruleset._yaml import read_ruleset_file
from bansos_rules.ruleset.ir import Ruleset
from bansos_rules.ruleset.loader import load_ruleset

__all__ = ["default_rules", "evaluate", "load_rules", "ruleset_files"]


def ruleset_files(paths: Iterable[str | Path]) -> list[Path]:
    """The ruleset files named by ``paths``: files as given, directories' ``*.yaml``/``*.yml``.

    Monitoring rulesets (a top-level ``monitoring:`` key) are left out: they describe cases over
    time, not applications, and :mod:`bansos_rules.monitoring` loads them.
    """
    from bansos_rules.monitoring._ruleset import is_monitoring_file

    found: list[Path] = []
    if isinstance(paths, str | Path):
        paths = [paths]
    for raw in paths:
        if not isinstance(raw, str | Path):
            raise UsageError(f"{raw!r} is not a path to a ruleset file or directory")
        p = Path(raw)
        if p.is_dir():
            found.extend(sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml")))
        else:
            found.append(p)
    return [p for p in found if not is_monitoring_file(p)]


def load_rules(
    paths: Iterable[str | Path] = (),
    *,
    block: Iterable[str] = (),
    plugins: Plugins | None = None,
    plugin_rulesets: bool = True,
) -> RuleBook:
    """Load every plugin's rulesets (and the files in ``paths``) into a checked :class:`RuleBook`.

    :param paths: ruleset files or directories. A file whose ruleset id is also contributed by a
        plugin replaces the plugin's, so an analyst can try an edited copy.
    :param block: plugin names not to load.
    :param plugins: a plugin manager to use instead of discovering plugins.
    :param plugin_rulesets: when false, only the rulesets in ``paths`` are loaded.
    :raises RulesetError: listing every problem in every file, each with file:line:column.
    :raises PluginError: naming a plugin that failed.
    """
    plugins = plugins or load_plugins(block=block)
    registry, engines = plugins.collect()
    problems: list[Diagnostic] = []
    loaded: dict[str, Ruleset] = {}
    if plugin_rulesets:
        for source, plugin in registry.rulesets:
            _load_into(loaded, source.path, plugin, registry, problems, replace=False)
    overridden: set[str] = set()
    for path in ruleset_files(paths):
        _load_into(loaded, path, "--rulesets", registry, problems, replace=True, seen=overridden)
    if problems:
        raise RulesetError(problems)
    return RuleBook(tuple(loaded.values()), registry, engines)


def _load_into(
    loaded: dict[str, Ruleset],
    path: Path | Traversable,
    plugin: str,
    registry: Registry,
    problems: list[Diagnostic],
    *,
    replace: bool,
    seen: set[str] | None = None,
) -> None:
    shown = path_of(path) if isinstance(path, Path) else path_of(str(path))
    try:
        text = read_ruleset_file(path, shown)
    except RulesetError as exc:
        problems.extend(exc.diagnostics)
        return
    try:
        ruleset = load_ruleset(text, shown, registry, plugin=plugin)
    except RulesetError as exc:
        problems.extend(exc.diagnostics)
        return
    other = loaded.get(ruleset.id)
    if other is not None and (not replace or (seen is not None and ruleset.id in seen)):
        problems.append(
            Diagnostic(
                "ruleset-duplicate",
                {"ruleset": ruleset.id, "other": other.file},
                file=shown,
                line=ruleset.line,
                column=ruleset.column,
            )
        )
        return
    if seen is not None:
        seen.add(ruleset.id)
    loaded[ruleset.id] = ruleset


@functools.cache
def default_rules() -> RuleBook:
    """The rule book of every installed plugin, loaded once and shared (it is immutable)."""
    return load_rules()


def evaluate(
    application: Application | Mapping[str, Any], *, on: date, engine: str = "native"
) -> Decision:
    """Decide ``application`` with every installed plugin's rules in force on ``on``.

    :param application: an :class:`~bansos_rules._models.Application` or a mapping to validate.
    :param on: the date whose parameter values apply.
    :param engine: the engine to use.
    :raises InputError: when the application is invalid.
    """
    return default_rules().evaluate(application, on=on, engine=engine)
