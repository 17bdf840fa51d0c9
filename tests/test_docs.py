"""The documentation keeps up with the code.

- ``docs/ruleset-reference.md`` is exactly what :func:`tools.ruleset_reference.generate` prints;
- every plugin hook is documented in ``docs/developer-guide.md``;
- every CLI subcommand, option and exit code is documented in ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import difflib
import re
from pathlib import Path

import pytest
from tools.ruleset_reference import REGENERATE, generate

from bansos_rules import cli, hookspecs

DOCS = Path(__file__).resolve().parent.parent / "docs"


def read(name: str) -> str:
    path = DOCS / name
    assert path.is_file(), f"{path} is missing"
    return path.read_text(encoding="utf-8")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the CLI parser has no subcommands")


def test_ruleset_reference_is_up_to_date() -> None:
    expected = generate()
    actual = read("ruleset-reference.md")
    if actual != expected:
        diff = "".join(
            list(
                difflib.unified_diff(
                    actual.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    "docs/ruleset-reference.md",
                    "generate()",
                )
            )[:60]
        )
        pytest.fail(
            "docs/ruleset-reference.md is out of date with the code. Regenerate it from the "
            f"project root with:\n\n    {REGENERATE}\n\nFirst differences:\n{diff}",
            pytrace=False,
        )


@pytest.mark.parametrize("hook", hookspecs.HOOKS)
def test_every_hook_is_in_the_developer_guide(hook: str) -> None:
    assert hook in read("developer-guide.md"), (
        f"hook {hook!r} (bansos_rules.hookspecs.HOOKS) is not documented in "
        "docs/developer-guide.md; describe it in the plugin section"
    )


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_subcommand_is_in_the_cli_docs(command: str) -> None:
    text = read("cli.md")
    assert re.search(rf"bansos-rules {re.escape(command)}\b", text), (
        f"subcommand {command!r} is not documented in docs/cli.md "
        f"(expected a mention of 'bansos-rules {command}')"
    )


@pytest.mark.parametrize(
    ("command", "option"),
    sorted(
        (name, option)
        for name, sub in subcommands().items()
        for action in sub._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ),
)
def test_every_option_is_in_the_cli_docs(command: str, option: str) -> None:
    assert re.search(rf"{re.escape(option)}\b", read("cli.md")), (
        f"option {option!r} of 'bansos-rules {command}' is not documented in docs/cli.md"
    )


@pytest.mark.parametrize("member", list(cli.ExitCode), ids=lambda m: m.name)
def test_every_exit_code_is_in_the_cli_docs(member: cli.ExitCode) -> None:
    text = read("cli.md")
    assert re.search(rf"\|\s*`?{member.value}`?\s*\|\s*`{member.name}`", text), (
        f"exit code {member.name} ({member.value}) is not in the exit-code table of docs/cli.md "
        f"(expected a row like '| {member.value} | `{member.name}` | ... |')"
    )
