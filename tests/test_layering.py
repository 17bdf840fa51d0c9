"""The import graph keeps its layers: read with :mod:`ast`, nothing imported.

- an engine (``bansos_rules.engines.*``) and ``bansos_rules.testing`` use the plugin interfaces,
  never a built-in plugin (``bansos_rules.plugins.*``): built-ins take no special path;
- ``bansos_rules.ruleset`` (a ruleset file to a typed tree) knows no engine, no check, no diff
  and no command line.

Imports inside functions and under ``TYPE_CHECKING`` count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "bansos_rules"

FORBIDDEN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bansos_rules.engines", ("bansos_rules.plugins",)),
    ("bansos_rules.testing", ("bansos_rules.plugins",)),
    (
        "bansos_rules.ruleset",
        (
            "bansos_rules.engines",
            "bansos_rules.check",
            "bansos_rules.diff",
            "bansos_rules.cli",
        ),
    ),
)
"""(importing package, packages it must not import)."""

KNOWN: frozenset[tuple[str, str]] = frozenset()
"""Violations not fixed yet; each must still exist (so the list only shrinks)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[tuple[str, ...]]:
    """For each import statement in ``path``, the modules it may import (relative ones resolved):
    ``from a.b import c`` may import ``a.b`` and ``a.b.c``."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name,) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield (base, *(f"{base}.{alias.name}" for alias in node.names))


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations() -> set[tuple[str, str]]:
    """``(importing module, imported module)`` for every forbidden import."""
    found: set[tuple[str, str]] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        for importer, banned in FORBIDDEN:
            if not within(module, importer):
                continue
            for names in imports(path):
                hit = next((n for n in names for b in banned if within(n, b)), None)
                if hit is not None:
                    found.add((module, hit))
    return found


def test_no_forbidden_import() -> None:
    unexpected = sorted(violations() - KNOWN)
    assert not unexpected, "forbidden imports (importer, imported): " + ", ".join(
        f"{a} -> {b}" for a, b in unexpected
    )


def test_known_violations_still_exist() -> None:
    fixed = sorted(KNOWN - violations())
    assert not fixed, f"fixed, so remove from KNOWN: {fixed}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from bansos_rules.plugins import business_types", "bansos_rules.plugins"),
        ("import bansos_rules.plugins.fit", "bansos_rules.plugins.fit"),
        ("from bansos_rules import plugins", "bansos_rules.plugins"),
        ("from ..plugins.functions import overlaps", "bansos_rules.plugins.functions"),
    ],
)
def test_the_walk_sees_every_form_of_import(
    tmp_path: Path, source: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "bansos_rules"
    engine = package / "engines" / "fake.py"
    engine.parent.mkdir(parents=True)
    engine.write_text(f"def f():\n    {source}\n", encoding="utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", package)
    assert ("bansos_rules.engines.fake", expected) in violations()
