"""The plugin system: entry-point discovery, blocking, listing, errors that name the plugin."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bansos_rules import BusinessType, Outcome, PluginError, hookimpl, load_rules
from bansos_rules._manager import BUILTIN_PLUGINS, load_plugins
from tests._support import base_application, base_application_data, builtin_book

ON = date(2025, 6, 1)

PLUGIN_MODULE = """
from pathlib import Path

from bansos_rules import BusinessType, hookimpl


@hookimpl
def register_business_types(register):
    register(BusinessType("tailoring", "Usaha jahit", "Tailoring"))


@hookimpl
def register_rulesets(register):
    register(Path(__file__).with_name("local_rules.yaml"))
"""

PLUGIN_RULESET = """\
ruleset: local_rules
title: {id: Aturan daerah, en: Local rules}
parameters:
  max_income_per_person:
    type: int
    unit: rupiah
    description: {id: Batas pendapatan per orang, en: Income cap per person}
    reference: Garis kemiskinan Kaltim September 2024 (BPS), dibulatkan
    values:
      - {from: 2025-01-01, value: 1000000}
rules:
  - id: local.income_cap
    title: {id: Pendapatan per orang di bawah batas, en: Income per person under the cap}
    reference: Garis kemiskinan Kaltim September 2024 (BPS), dibulatkan
    check: household.income_per_person <= params.max_income_per_person
    reason: {id: Pendapatan per orang terlalu tinggi, en: Income per person too high}
  - id: local.sewing_skill
    title: {id: Bisa menjahit, en: Can sew}
    reference: Paket usaha jahit daerah
    applies_to: [tailoring]
    check: "'sewing' in applicant.skills"
    on_fail: review
    refer: disnakertrans
    reason: {id: Belum bisa menjahit, en: Cannot sew yet}
"""


def _install_distribution(root: Path, name: str, entry_points: str, files: dict[str, str]) -> None:
    """Lay out an installed distribution: its modules and a dist-info with entry points."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    info = root / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A third-party package, bansos-tailoring, installed on sys.path for this test only."""
    # The shared built-in book is cached for the session: build it before the package is
    # visible, or every later test would decide with the third-party rules too.
    builtin_book()
    _install_distribution(
        tmp_path,
        "bansos-tailoring",
        "[bansos_rules]\ntailoring = bansos_tailoring\n",
        {
            "bansos_tailoring/__init__.py": PLUGIN_MODULE,
            "bansos_tailoring/local_rules.yaml": PLUGIN_RULESET,
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    sys.modules.pop("bansos_tailoring", None)


def tailoring_application() -> dict[str, Any]:
    data = base_application_data()
    data["applicant"]["interests"] = ["tailoring"]
    data["plan"]["business_type"] = "tailoring"
    data["plan"]["items"] = [
        {"name": "Mesin jahit", "category": "equipment", "quantity": 1, "unit_price": 3_500_000},
        {
            "name": "Kain dan benang",
            "category": "raw_material",
            "quantity": 1,
            "unit_price": 1_200_000,
        },
    ]
    return data


def test_a_third_party_package_is_discovered_through_its_entry_point(third_party: Path) -> None:
    plugins = load_plugins()
    info = plugins.info["tailoring"]
    assert (info.distribution, info.version, info.builtin) == ("bansos-tailoring", "1.0", False)
    assert info.hooks == ("register_business_types", "register_rulesets")

    book = load_rules()
    assert "tailoring" in book.layout.business_types
    assert "local_rules" in [rs.id for rs in book.rulesets]
    # Its rule changes a decision that the built-in rules alone approve.
    assert (
        load_rules(block=["tailoring"]).evaluate(base_application(), on=ON).outcome
        is Outcome.APPROVED
    )
    decision = book.evaluate(base_application(), on=ON)
    assert decision.outcome is Outcome.REJECTED
    assert [f.rule_id for f in decision.failed] == ["local.income_cap"]
    # Its business type can be planned, and its type-specific rule applies to it.
    data = tailoring_application()
    data["household"]["monthly_income"] = 1_500_000
    tailored = book.evaluate(data, on=ON)
    assert tailored.business_type == "tailoring"
    sewing = next(f for f in tailored.findings if f.rule_id == "local.sewing_skill")
    assert sewing.passed is False
    assert "disnakertrans" in [r.agency for r in tailored.referrals]


def test_blocking_by_environment_variable(
    third_party: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANSOS_RULES_BLOCK", "tailoring, referrals")
    plugins = load_plugins()
    assert "tailoring" not in plugins.info
    assert "referrals" not in plugins.info
    assert "local_rules" not in [rs.id for rs in load_rules().rulesets]


def test_builtins_are_registered_like_any_plugin() -> None:
    plugins = load_plugins()
    assert {name for name, _ in BUILTIN_PLUGINS} <= set(plugins.info)
    for name, module in BUILTIN_PLUGINS:
        info = plugins.info[name]
        assert (info.module, info.builtin, info.distribution) == (module, True, "bansos-rules")


def test_contributions_are_collected_in_a_fixed_order() -> None:
    registry, engines = load_plugins().collect()
    assert registry.business_type_codes()[:6] == (
        "food",
        "drinks",
        "fried_snacks",
        "chicken_farming",
        "cake_making",
        "workshop",
    )
    assert [plugin for _, plugin in registry.rulesets] == [
        "eligibility",
        "fit",
        "aid_caps",
        "referrals",
    ]
    assert list(engines) == ["native", "durable", "columnar"]


def test_a_plugin_that_fails_to_import_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_distribution(
        tmp_path,
        "bansos-broken",
        "[bansos_rules]\nbroken = bansos_broken_missing:plugin\n",
        {},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    with pytest.raises(
        PluginError, match=r'plugin "broken".*failed to load bansos_broken_missing'
    ) as info:
        load_plugins()
    assert info.value.plugin == "broken"


class _Raising:
    @hookimpl
    def register_business_types(self, register: Callable[[BusinessType], None]) -> None:
        raise RuntimeError("database is down")


class _Duplicate:
    @hookimpl
    def register_business_types(self, register: Callable[[BusinessType], None]) -> None:
        register(BusinessType("food", "Makanan lagi", "Food again"))


class _WrongType:
    @hookimpl
    def register_agencies(self, register: Callable[[Any], None]) -> None:
        register("dinas")


class _Misspelt:
    @hookimpl
    def register_busines_types(self, register: Callable[[Any], None]) -> None:
        raise AssertionError("never called")


class _BadArgument:
    @hookimpl
    def register_rulesets(self, registrar: Callable[[Any], None]) -> None:
        raise AssertionError("never called")


@pytest.mark.parametrize(
    ("plugin", "hook", "text"),
    [
        (_Raising(), "register_business_types", "raised RuntimeError: database is down"),
        (_Duplicate(), "register_business_types", "'food' is already registered by business_types"),
        (_WrongType(), "register_agencies", "expected a Agency, got str"),
    ],
)
def test_a_hook_that_fails_is_named(plugin: object, hook: str, text: str) -> None:
    plugins = load_plugins(extra=[("local", plugin)])
    with pytest.raises(PluginError) as info:
        plugins.collect()
    assert (info.value.plugin, info.value.hook) == ("local", hook)
    assert text in str(info.value)
    assert str(info.value).startswith(f'plugin "local", hook {hook}')


@pytest.mark.parametrize(
    ("plugin", "text"),
    [(_Misspelt(), "register_busines_types"), (_BadArgument(), "registrar")],
)
def test_a_plugin_that_does_not_match_the_hooks_is_refused(plugin: object, text: str) -> None:
    with pytest.raises(PluginError, match=text) as info:
        load_plugins(extra=[("local", plugin)])
    assert info.value.plugin == "local"


def test_functions_from_plugins_are_typed_by_their_annotations() -> None:
    class Functions:
        @hookimpl
        def register_functions(self, register: Callable[..., None]) -> None:
            def share(part: int, whole: int) -> int:
                """Whole percent of ``part`` in ``whole``."""
                return part * 100 // whole if whole else 0

            register(share)

    plugins = load_plugins(extra=[("local", Functions())])
    registry, _ = plugins.collect()
    fn = registry.functions["share"]
    assert (fn.plugin, fn.doc) == ("local", "Whole percent of ``part`` in ``whole``.")

    class Untyped:
        @hookimpl
        def register_functions(self, register: Callable[..., None]) -> None:
            register(lambda x: x, name="ident")

    with pytest.raises(PluginError, match="function 'ident' cannot be used"):
        load_plugins(extra=[("untyped", Untyped())]).collect()
