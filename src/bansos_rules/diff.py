"""Compare two versions of the rulesets: what changed in them, and what it does to decisions.

::

    open_side(spec)                  a directory, a file, or a git revision (REV or REV:path)
    load_books(old, new)             a rule book for each side
    structural_diff(old, new)        rulesets, rules and parameters added, removed, changed
    impact(old, new, population)     decisions that flip, aid that moves, by regency and type
    diff_report(old_spec, new_spec)  all of the above in one :class:`DiffReport`
    to_markdown(report), to_json(report)

A side's ruleset files replace the installed plugins' rulesets of the same id, exactly as
``--rulesets`` does for the other commands; rulesets that neither side's files define come from
the plugins and are the same on both sides. A ruleset id that one side's files define and the
other side's files do not is absent from that other side even when a plugin contributes it, so a
deleted file shows as a removed ruleset. With ``only=True`` the plugins' rulesets are not loaded
at all and each side is exactly its files.
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import yaml

from bansos_rules._api import load_rules, ruleset_files
from bansos_rules._io import Record, UnreadableInput
from bansos_rules._manager import Plugins, load_plugins
from bansos_rules.book import RuleBook, format_value
from bansos_rules.decision import Decision, Outcome, RuleError, Text
from bansos_rules.errors import InputError, RulesetError, path_of
from bansos_rules.messages import Lang, label
from bansos_rules.models import Application
from bansos_rules.ruleset.ir import Parameter, Rule, Ruleset

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "DEFAULT_GENERATED",
    "Applicant",
    "DiffReport",
    "DiffSourceError",
    "FieldChange",
    "Generated",
    "Impact",
    "InvalidRecord",
    "ParameterDiff",
    "RuleDiff",
    "RuleStatusChange",
    "RulesetDiff",
    "Side",
    "StructuralDiff",
    "Tally",
    "ValueChange",
    "default_new",
    "diff_report",
    "generate_applications",
    "impact",
    "load_books",
    "open_side",
    "repo_root",
    "rule_changes",
    "shrink_application",
    "structural_diff",
    "to_dict",
    "to_json",
    "to_markdown",
]

JSON_FORMAT = "bansos-rules-diff/1"
"""The ``format`` field of :func:`to_json` documents; bumped when the shape changes."""

DEFAULT_GENERATED = 1000
"""How many applications are generated when no population is given."""

DEFAULT_PATH = "rulesets"
"""The path inside a git revision compared when ``REV`` is given without ``:path``."""

_FROM_FILES = "--rulesets"  # the plugin name load_rules gives rulesets loaded from paths
_OUTCOMES = (Outcome.APPROVED, Outcome.NEEDS_REVIEW, Outcome.REJECTED)

ChangeKind = Literal["added", "removed", "changed"]


# --------------------------------------------------------------------------------------------
# The two sides
# --------------------------------------------------------------------------------------------


class DiffSourceError(UnreadableInput):
    """OLD or NEW names neither a ruleset file or directory nor a git revision that has one."""


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the ruleset files to load and how to name them."""

    spec: str
    """As given on the command line."""
    label: str
    """How reports name the side: the path, or ``REV:path (commit)``."""
    paths: tuple[Path, ...]
    """The ruleset files to load."""
    commit: str | None = None
    """The full commit id, for a git revision."""
    shown: Mapping[str, str] = field(default_factory=dict)
    """Extracted file (as diagnostics show it) -> ``REV:path`` (for a git revision)."""


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:  # git is not installed
        raise DiffSourceError(f"cannot run git: {exc}") from exc


def repo_root(cwd: Path | None = None) -> Path | None:
    """The top of the git working tree containing ``cwd`` (default: the current directory)."""
    where = cwd or Path.cwd()
    found = _git(["rev-parse", "--show-toplevel"], where)
    if found.returncode != 0:
        return None
    return Path(found.stdout.decode().strip())


def default_new(cwd: Path | None = None) -> str:
    """The working tree's ``rulesets/``: at the top of the git repository, else in ``cwd``."""
    root = repo_root(cwd)
    base = root if root is not None else (cwd or Path.cwd())
    return str(base / DEFAULT_PATH)


@contextmanager
def open_side(spec: str, *, cwd: Path | None = None) -> Iterator[Side]:
    """The side named by ``spec``; a git revision is extracted to a temporary directory.

    ``spec`` is an existing file or directory (its ``*.yaml`` files), else a git revision of the
    repository containing ``cwd``: ``REV`` (its ``rulesets/``) or ``REV:path`` (a directory or
    file, relative to the top of the repository). The temporary directory is removed on exit.

    :raises DiffSourceError: when ``spec`` is neither, saying why.
    """
    where = cwd or Path.cwd()
    path = Path(spec) if Path(spec).is_absolute() else where / spec
    if path.exists():
        files = tuple(ruleset_files([path]))
        if not files:
            raise DiffSourceError(f"{spec}: no ruleset files (*.yaml, *.yml) in this directory")
        yield Side(spec, path_of(path), files)
        return
    with tempfile.TemporaryDirectory(prefix="bansos-rules-diff-") as tmp:
        yield _extract(spec, where, Path(tmp))


def _extract(spec: str, cwd: Path, tmp: Path) -> Side:
    root = repo_root(cwd)
    if root is None:
        raise DiffSourceError(
            f"{spec!r} is not a file or directory, and {path_of(cwd)} is not inside a git "
            "repository, so it cannot be a revision either"
        )
    rev, colon, inner = spec.partition(":")
    inner = inner.strip("/").removeprefix("./") if colon else DEFAULT_PATH
    if not rev:
        raise DiffSourceError(f"{spec!r}: no revision before ':' (write e.g. HEAD:{inner})")
    found = _git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], root
    )
    if found.returncode != 0:
        raise DiffSourceError(
            f"{spec!r} is neither a ruleset file or directory nor a git revision of {root} "
            f"(no commit named {rev!r}; a branch from a remote may need 'git fetch')"
        )
    commit = found.stdout.decode().strip()
    kind = _git(["cat-file", "-t", f"{commit}:{inner}"], root)
    if kind.returncode != 0:
        raise DiffSourceError(f"{spec!r}: revision {rev} ({commit[:12]}) has no {inner!r}")
    names: list[str]
    if kind.stdout.decode().strip() == "tree":
        listing = _git(["ls-tree", "-z", "--name-only", f"{commit}:{inner}"], root)
        names = sorted(
            f"{inner}/{n}"
            for n in listing.stdout.decode().split("\0")
            if n.endswith((".yaml", ".yml"))
        )
        if not names:
            raise DiffSourceError(f"{spec!r}: {inner}/ at {rev} has no ruleset files")
    else:
        names = [inner]
    paths: list[Path] = []
    shown: dict[str, str] = {}
    for name in names:
        blob = _git(["cat-file", "blob", f"{commit}:{name}"], root)
        if blob.returncode != 0:
            raise DiffSourceError(f"{spec!r}: cannot read {name} at {rev}: {blob.stderr.decode()}")
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob.stdout)
        paths.append(target)
        shown[path_of(target)] = f"{rev}:{name}"
    return Side(spec, f"{rev}:{inner} ({commit[:12]})", tuple(paths), commit, shown)


def load_books(
    old: Side,
    new: Side,
    *,
    only: bool = False,
    block: Iterable[str] = (),
    plugins: Plugins | None = None,
) -> tuple[RuleBook, RuleBook]:
    """A rule book for each side (see the module's docstring for what each contains).

    :param only: load only each side's files, not the plugins' rulesets.
    :param block: plugin names not to load.
    :param plugins: a plugin manager to use instead of discovering plugins.
    :raises RulesetError: for every problem in either side; files extracted from a git
        revision are named ``REV:path``.
    """
    plugins = plugins or load_plugins(block=block)
    books = [_load_side(side, plugins, only) for side in (old, new)]
    if not only:
        own = [{rs.id for rs in book.rulesets if rs.plugin == _FROM_FILES} for book in books]
        for i, other in ((0, 1), (1, 0)):
            drop = own[other] - own[i]
            if any(rs.id in drop for rs in books[i].rulesets):
                kept = [rs for rs in books[i].rulesets if rs.id not in drop]
                _, engines = plugins.collect()
                books[i] = RuleBook(kept, books[i].registry, engines)
    return books[0], books[1]


def _load_side(side: Side, plugins: Plugins, only: bool) -> RuleBook:
    try:
        return load_rules(side.paths, plugins=plugins, plugin_rulesets=not only)
    except RulesetError as exc:
        if not side.shown:
            raise
        renamed = [replace(d, file=side.shown.get(d.file, d.file)) for d in exc.diagnostics]
        raise RulesetError(renamed) from None


# --------------------------------------------------------------------------------------------
# Structural changes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field of a rule, parameter or ruleset that differs, with both values (JSON-ready)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ValueChange:
    """A parameter's value in force from ``start`` to ``until`` on each side.

    ``None`` as ``old`` or ``new`` means no value is in force on that side. For a parameter given
    by business type, ``key`` is the business type (or ``*``) whose value differs.
    """

    start: date
    until: date | None
    old: Any
    new: Any
    key: str | None = None


@dataclass(frozen=True)
class ParameterDiff:
    """A parameter added, removed or changed."""

    ruleset: str
    name: str
    change: ChangeKind
    unit: str | None
    used_by: tuple[str, ...]
    """Rules that compare against the parameter (on the new side, else the old)."""
    fields: tuple[FieldChange, ...]
    values: tuple[ValueChange, ...]


@dataclass(frozen=True)
class RuleDiff:
    """A rule added, removed or changed; ``fields`` has every difference (all fields when added
    or removed, the side without the rule having ``None``)."""

    id: str
    ruleset: str
    change: ChangeKind
    title: Text
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class RulesetDiff:
    """A ruleset added, removed or changed, with its rules and parameters that changed."""

    id: str
    change: ChangeKind
    title: Text
    fields: tuple[FieldChange, ...]
    examples: tuple[int, int]
    """Number of worked examples on each side (0 on a side without the ruleset)."""
    invariants: tuple[int, int]
    """Number of invariants on each side."""
    rules: tuple[RuleDiff, ...]
    parameters: tuple[ParameterDiff, ...]


@dataclass(frozen=True)
class StructuralDiff:
    """Everything that differs between two rule books, ruleset by ruleset."""

    old_digest: str
    new_digest: str
    rulesets: tuple[RulesetDiff, ...]

    @property
    def changed(self) -> bool:
        """Whether anything that can affect a decision or its explanation differs."""
        return bool(self.rulesets)

    def counts(self) -> dict[str, Counter[str]]:
        """How many rulesets, rules and parameters were added, removed and changed."""
        found: dict[str, Counter[str]] = {k: Counter() for k in ("rulesets", "rules", "parameters")}
        for rs in self.rulesets:
            found["rulesets"][rs.change] += 1
            found["rules"].update(r.change for r in rs.rules)
            found["parameters"].update(p.change for p in rs.parameters)
        return found

    def value_dates(self) -> tuple[date, ...]:
        """The dates on which a parameter's value starts to differ, in order."""
        return tuple(
            sorted({v.start for rs in self.rulesets for p in rs.parameters for v in p.values})
        )


def _text(value: Any) -> dict[str, str] | None:
    return None if value is None else {"id": value.id, "en": value.en}


def _source(text: str | None) -> str | None:
    """An expression with its layout (line breaks of folded YAML, indentation) normalized."""
    return None if text is None else " ".join(text.split())


def _rule_fields(rule: Rule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "when": _source(rule.when_source),
        "check": _source(rule.check_source),
        "applies_to": sorted(rule.applies_to) if rule.applies_to is not None else None,
        "on_fail": rule.on_fail,
        "refer": rule.refer,
        "points": rule.points if rule.kind == "score" else None,
        "title": _text(rule.title),
        "reason": _text(rule.reason),
        "passed": _text(rule.passed),
        "reference": rule.reference,
    }


def _field_changes(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> tuple[FieldChange, ...]:
    """Fields that differ; a text in two languages counts as two fields (``title.id``)."""
    keys = list(dict.fromkeys([*(old or {}), *(new or {})]))
    found: list[FieldChange] = []
    for key in keys:
        a = (old or {}).get(key)
        b = (new or {}).get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) == {"id", "en"}:
            found.extend(
                FieldChange(f"{key}.{lang}", a[lang], b[lang]) for lang in a if a[lang] != b[lang]
            )
        else:
            found.append(FieldChange(key, a, b))
    return tuple(found)


def _param_fields(param: Parameter) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "type": param.type,
        "unit": param.unit,
        "by": param.by,
        "description": _text(param.description),
    }
    for period in param.periods:
        fields[f"reference from {period.start.isoformat()}"] = period.reference
    return fields


def _timeline(old: Parameter | None, new: Parameter | None) -> tuple[ValueChange, ...]:
    """Where the values in force differ, as dated segments (per business type when by type)."""
    bounds: set[date] = set()
    for param in (old, new):
        for period in param.periods if param else ():
            bounds.add(period.start)
            if period.until is not None:
                bounds.add(period.until + timedelta(days=1))
    ordered = sorted(bounds)
    # key -> open segment [start, old, new]; closed segments collected in order of start.
    found: list[ValueChange] = []
    open_: dict[str | None, list[Any]] = {}
    for i, day in enumerate(ordered):
        a = _value_on(old, day)
        b = _value_on(new, day)
        pairs: dict[str | None, tuple[Any, Any]] = {}
        if isinstance(a, dict) or isinstance(b, dict):
            da = a if isinstance(a, dict) else {}
            db = b if isinstance(b, dict) else {}
            for key in dict.fromkeys([*da, *db]):
                if da.get(key) != db.get(key):
                    pairs[key] = (da.get(key), db.get(key))
        elif a != b:
            pairs[None] = (a, b)
        for key in list(open_):
            start, va, vb = open_[key]
            if pairs.get(key) != (va, vb):
                found.append(ValueChange(start, day - timedelta(days=1), va, vb, key))
                del open_[key]
        for key, (va, vb) in pairs.items():
            if key not in open_:
                open_[key] = [day, va, vb]
        if i == len(ordered) - 1:
            found.extend(ValueChange(s, None, va, vb, key) for key, (s, va, vb) in open_.items())
    return tuple(sorted(found, key=lambda v: (v.start, v.key or "")))


def _value_on(param: Parameter | None, day: date) -> Any:
    if param is None:
        return None
    period = param.period_on(day)
    return None if period is None else period.value


def _used_by(book: RuleBook, ruleset: str, name: str) -> tuple[str, ...]:
    return tuple(
        rule.id
        for rs in book.rulesets
        if rs.id == ruleset
        for rule in rs.rules
        if name in rule.params
    )


def _ruleset_diff(
    old: Ruleset | None, new: Ruleset | None, books: tuple[RuleBook, RuleBook]
) -> RulesetDiff | None:
    either = new or old
    assert either is not None
    change: ChangeKind = "added" if old is None else "removed" if new is None else "changed"
    if old is not None and new is not None and old.digest == new.digest:
        return None
    fields = _field_changes(
        _ruleset_fields(old) if old else None, _ruleset_fields(new) if new else None
    )
    if change != "changed":
        fields = ()
    rules_old = {r.id: r for r in (old.rules if old else ())}
    rules_new = {r.id: r for r in (new.rules if new else ())}
    rules: list[RuleDiff] = []
    for rid in dict.fromkeys([*rules_old, *rules_new]):
        a, b = rules_old.get(rid), rules_new.get(rid)
        diff = _field_changes(_rule_fields(a) if a else None, _rule_fields(b) if b else None)
        if not diff:
            continue
        kind: ChangeKind = "added" if a is None else "removed" if b is None else "changed"
        shown = b or a
        assert shown is not None
        rules.append(RuleDiff(rid, either.id, kind, Text(shown.title.id, shown.title.en), diff))
    params_old = old.parameters if old else {}
    params_new = new.parameters if new else {}
    params: list[ParameterDiff] = []
    for name in dict.fromkeys([*params_old, *params_new]):
        pa, pb = params_old.get(name), params_new.get(name)
        pfields = _field_changes(
            _param_fields(pa) if pa else None, _param_fields(pb) if pb else None
        )
        values = _timeline(pa, pb)
        if pa is not None and pb is not None:
            # Value changes are shown as values; the reference of a period whose start moved
            # is part of that change, not a separate one.
            starts = {p.start for p in pa.periods} & {p.start for p in pb.periods}
            pfields = tuple(
                f
                for f in pfields
                if not f.field.startswith("reference from ")
                or date.fromisoformat(f.field.removeprefix("reference from ")) in starts
            )
        else:
            pfields = tuple(f for f in pfields if f.field in ("type", "unit", "by"))
        if not pfields and not values:
            continue
        pkind: ChangeKind = "added" if pa is None else "removed" if pb is None else "changed"
        shown_param = pb or pa
        assert shown_param is not None
        used = _used_by(books[1], either.id, name) or _used_by(books[0], either.id, name)
        params.append(
            ParameterDiff(either.id, name, pkind, shown_param.unit, used, pfields, values)
        )
    examples = (len(old.examples) if old else 0, len(new.examples) if new else 0)
    invariants = (
        len(getattr(old, "invariants", ())) if old else 0,
        len(getattr(new, "invariants", ())) if new else 0,
    )
    if change == "changed" and not (
        fields or rules or params or examples[0] != examples[1] or invariants[0] != invariants[1]
    ):
        return None  # comments or layout only
    return RulesetDiff(
        either.id,
        change,
        Text(either.title.id, either.title.en),
        fields,
        examples,
        invariants,
        tuple(rules),
        tuple(params),
    )


def _ruleset_fields(rs: Ruleset) -> dict[str, Any]:
    return {
        "version": rs.version,
        "title": _text(rs.title),
        "description": _text(rs.description),
    }


def structural_diff(old: RuleBook, new: RuleBook) -> StructuralDiff:
    """Rulesets, rules and parameters added, removed and changed from ``old`` to ``new``.

    Rulesets are compared by id, rules by id within their ruleset (a rule that moves to another
    ruleset is removed from one and added to the other), parameters by name; parameter values
    are compared as the values in force over time, so a new dated value shows as
    ``old → new from DATE``.
    """
    by_id_old = {rs.id: rs for rs in old.rulesets}
    by_id_new = {rs.id: rs for rs in new.rulesets}
    found = []
    for rid in dict.fromkeys([*by_id_old, *by_id_new]):
        diff = _ruleset_diff(by_id_old.get(rid), by_id_new.get(rid), (old, new))
        if diff is not None:
            found.append(diff)
    return StructuralDiff(old.digest, new.digest, tuple(found))


# --------------------------------------------------------------------------------------------
# Impact on a population
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    """A population of generated applications (drawn with hypothesis).

    Applications come from :func:`bansos_rules.testing.applications` with a mix of options
    (eligible, near the aid caps, anything, ineligible) so that approvals, rejections and reviews
    all occur. The same ``count`` and ``seed`` give the same applications.
    """

    count: int = DEFAULT_GENERATED
    seed: int = 0
    shrink: bool = True
    """Whether examples of each kind of flip are shrunk to a minimal application."""
    shrink_seconds: float = 10.0
    """Time allowed for shrinking one example; the smallest found so far is kept after it."""
    shrink_budget: float = 45.0
    """Time allowed for shrinking all examples; examples left when it runs out are shown as
    they were generated."""


Population: TypeAlias = Generated | Iterable[Record | Application | Mapping[str, Any]]
"""What :func:`impact` compares decisions on: records read from files, applications, or
:class:`Generated` ones."""

Transition: TypeAlias = tuple[Outcome, Outcome]
"""An outcome on the old side and on the new side."""


@dataclass(frozen=True)
class RuleStatusChange:
    """A rule that came out differently for one applicant.

    ``old`` and ``new`` are ``passed``, ``failed``, ``not_applicable``, ``error``, or ``absent``
    on a side without the rule; a rule that failed on both sides is listed when what its failure
    does (``on_fail``: ``reject``, ``review``, ``none``) differs.
    """

    rule: str
    old: str
    new: str
    old_on_fail: str | None = None
    """What the failure does on the old side, when the rule failed there."""
    new_on_fail: str | None = None
    """What the failure does on the new side, when the rule failed there."""


@dataclass(frozen=True)
class InvalidRecord:
    """A record that could not be compared: where it is and why (in both languages)."""

    where: str
    problem: Text


@dataclass(frozen=True)
class Applicant:
    """A concrete application whose decision changed, and the rules behind the change."""

    application_id: str
    where: str | None
    """``file:line`` of the record; ``None`` for a generated application."""
    name: str
    regency: str
    business_type: str
    plan_total: int
    on: date
    old_outcome: Outcome
    new_outcome: Outcome
    old_aid: int
    new_aid: int
    rules: tuple[RuleStatusChange, ...]
    shrunk: bool
    """Whether it was shrunk to a minimal application with the same change."""
    application: Mapping[str, Any]
    """The application, JSON-ready, fields left at their defaults omitted."""

    def example_yaml(self, lang: Lang = "id") -> str:
        """A worked example to paste under ``examples:`` of a ruleset file (indented as the
        rulesets write them): the application as ``given``, the new side's decision as
        ``expect``."""
        failed = [c.rule for c in self.rules if c.new == "failed"]
        passed = [c.rule for c in self.rules if c.new == "passed"]
        because = ", ".join(c.rule for c in self.rules)
        name = (
            f"{self.application_id}: {label(self.old_outcome.value, lang).lower()} → "
            f"{label(self.new_outcome.value, lang).lower()}" + (f" ({because})" if because else "")
        )
        expect: dict[str, Any] = {"outcome": self.new_outcome.value, "aid_value": self.new_aid}
        if failed:
            expect["failed"] = failed
        if passed:
            expect["passed"] = passed
        doc = [
            {"name": name[:200], "on": self.on, "given": dict(self.application), "expect": expect}
        ]
        text = yaml.safe_dump(
            doc, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
        )
        return textwrap.indent(text, "  ")  # as the items under ``examples:`` are written


@dataclass
class Tally:
    """Decisions on both sides for a group of applications, and the aid they add up to."""

    applications: int = 0
    matrix: Counter[Transition] = field(default_factory=Counter)
    """``(old outcome, new outcome)`` -> applications, unchanged ones included."""
    aid_old: int = 0
    aid_new: int = 0
    aid_changed: int = 0
    """Applications with the same outcome on both sides but a different aid value."""

    def add(self, old: Decision, new: Decision) -> None:
        """Count one application."""
        self.applications += 1
        self.matrix[(old.outcome, new.outcome)] += 1
        self.aid_old += old.aid_value
        self.aid_new += new.aid_value
        if old.outcome is new.outcome and old.aid_value != new.aid_value:
            self.aid_changed += 1

    @property
    def aid_delta(self) -> int:
        """Total aid on the new side minus the old."""
        return self.aid_new - self.aid_old

    @property
    def changed(self) -> int:
        """Applications whose outcome differs."""
        return sum(n for (a, b), n in self.matrix.items() if a is not b)

    @property
    def gained(self) -> int:
        """Applications approved on the new side only."""
        return sum(n for (a, b), n in self.matrix.items() if b is Outcome.APPROVED and a is not b)

    @property
    def lost(self) -> int:
        """Applications approved on the old side only."""
        return sum(n for (a, b), n in self.matrix.items() if a is Outcome.APPROVED and a is not b)

    def outcomes(self, side: Literal["old", "new"]) -> dict[Outcome, int]:
        """How many applications got each outcome on ``side``."""
        found = dict.fromkeys(_OUTCOMES, 0)
        for (a, b), n in self.matrix.items():
            found[a if side == "old" else b] += n
        return found

    def transitions(self) -> list[tuple[Transition, int]]:
        """Every outcome change that occurred, in a fixed order, with its count."""
        return [
            ((a, b), self.matrix[(a, b)])
            for a in _OUTCOMES
            for b in _OUTCOMES
            if a is not b and self.matrix[(a, b)]
        ]


@dataclass(frozen=True)
class Impact:
    """What changing the rules does to the decisions on a population."""

    population: Literal["records", "generated"]
    sources: tuple[str, ...]
    """The files read, or ``generated:COUNT:SEED``."""
    on: date | None
    """The date the rules were applied for; ``None`` when each record's own date was used."""
    on_reason: Literal["given", "submitted_on", "today", "change"]
    """Why that date: given, each record's ``submitted_on``, today, or the latest date a
    parameter change takes effect."""
    records: int
    """Every record read or generated: compared ones plus invalid ones."""
    invalid: tuple[InvalidRecord, ...]
    total: Tally
    by_regency: dict[str, Tally]
    by_business_type: dict[str, Tally]
    rules_behind: dict[Transition, Counter[str]]
    """For each outcome change: how often each rule's status changed with it."""
    examples: dict[Transition, tuple[Applicant, ...]]
    regency_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def compared(self) -> int:
        """Applications decided on both sides."""
        return self.total.applications


_STATUS_NAMES = {True: "passed", False: "failed", None: "not_applicable"}


_ABSENT = ("absent", None)


def _statuses(decision: Decision) -> dict[str, tuple[str, str | None]]:
    """Each requirement rule's status (and ``on_fail`` when it failed), from the raw results."""
    found: dict[str, tuple[str, str | None]] = {}
    for rule, res in zip(decision.layout.rules, decision.results, strict=True):
        status = "error" if isinstance(res, RuleError) else _STATUS_NAMES[res]
        found[rule.id] = (status, rule.on_fail if status == "failed" else None)
    return found


def rule_changes(old: Decision, new: Decision) -> tuple[RuleStatusChange, ...]:
    """Rules that came out differently in two decisions on the same application."""
    a, b = _statuses(old), _statuses(new)
    changes = []
    for rid in dict.fromkeys([*b, *a]):
        sa, sb = a.get(rid, _ABSENT), b.get(rid, _ABSENT)
        if sa != sb:
            changes.append(RuleStatusChange(rid, sa[0], sb[0], sa[1], sb[1]))
    return tuple(changes)


def _applicant(
    app: Application,
    old: Decision,
    new: Decision,
    where: str | None,
    changes: tuple[RuleStatusChange, ...],
    *,
    shrunk: bool,
) -> Applicant:
    return Applicant(
        app.id,
        where,
        app.applicant.name,
        app.applicant.regency,
        app.plan.business_type,
        new.plan_total,
        new.on,
        old.outcome,
        new.outcome,
        old.aid_value,
        new.aid_value,
        changes,
        shrunk,
        app.model_dump(mode="json", exclude_defaults=True),
    )


class _Accumulator:
    """Counts decisions as they come and keeps the first applicant of each kind of change."""

    def __init__(self) -> None:
        self.total = Tally()
        self.by_regency: dict[str, Tally] = {}
        self.by_type: dict[str, Tally] = {}
        self.rules_behind: dict[Transition, Counter[str]] = {}
        self.signatures: dict[Transition, Counter[tuple[RuleStatusChange, ...]]] = {}
        self.first: dict[tuple[Transition, tuple[RuleStatusChange, ...]], Applicant] = {}
        self.invalid: list[InvalidRecord] = []
        self.sources: dict[str, None] = {}
        self.records = 0

    def add(self, app: Application, old: Decision, new: Decision, where: str | None) -> None:
        self.total.add(old, new)
        self.by_regency.setdefault(app.applicant.regency, Tally()).add(old, new)
        self.by_type.setdefault(app.plan.business_type, Tally()).add(old, new)
        if old.outcome is new.outcome:
            return
        key = (old.outcome, new.outcome)
        changes = rule_changes(old, new)
        self.rules_behind.setdefault(key, Counter()).update(c.rule for c in changes)
        self.signatures.setdefault(key, Counter())[changes] += 1
        if (key, changes) not in self.first:
            self.first[(key, changes)] = _applicant(app, old, new, where, changes, shrunk=False)

    def chosen(self, limit: int) -> dict[Transition, list[Applicant]]:
        """Up to ``limit`` applicants per change, each with a different set of rule changes,
        the most frequent sets first (then the first seen)."""
        found: dict[Transition, list[Applicant]] = {}
        for key, signatures in self.signatures.items():
            ranked = sorted(signatures.items(), key=lambda kv: -kv[1])  # stable: first seen
            found[key] = [self.first[(key, sig)] for sig, _ in ranked[:limit]]
        return found

    def finish(
        self,
        population: Literal["records", "generated"],
        sources: tuple[str, ...],
        on: date | None,
        reason: Literal["given", "submitted_on", "today", "change"],
        examples: dict[Transition, list[Applicant]],
    ) -> Impact:
        order = {(a, b): i for i, (a, b) in enumerate((a, b) for a in _OUTCOMES for b in _OUTCOMES)}
        return Impact(
            population,
            sources,
            on,
            reason,
            self.records,
            tuple(self.invalid),
            self.total,
            dict(sorted(self.by_regency.items())),
            dict(sorted(self.by_type.items())),
            {k: self.rules_behind[k] for k in sorted(self.rules_behind, key=order.__getitem__)},
            {k: tuple(examples[k]) for k in sorted(examples, key=order.__getitem__)},
            _regency_names(),
        )


def _regency_names() -> dict[str, str]:
    """East Kalimantan's regency names by Kemendagri code, when the ``test`` extra is there."""
    try:
        from bansos_rules.testing.strategies import KALTIM_REGENCIES
    except ImportError:  # pragma: no cover - hypothesis is not installed
        return {}
    return dict(KALTIM_REGENCIES)


def _decide_both(
    engines: tuple[Any, Any], app: Application, on: date
) -> tuple[Decision, Decision] | Text:
    """Both decisions, or why there are none (no parameter value in force on ``on``)."""
    decisions = []
    for side, engine in zip(("old", "new"), engines, strict=True):
        try:
            decisions.append(engine.decide(app, on))
        except RulesetError as exc:
            d = exc.diagnostics[0]
            return Text(
                *(
                    f"{label('no_rules_on', lang)} {on.isoformat()} "
                    f"({label('diff_' + side, lang)}): {d.format(lang)}"
                    for lang in ("id", "en")
                )
            )
    return decisions[0], decisions[1]


def impact(
    old: RuleBook,
    new: RuleBook,
    population: Population,
    *,
    on: date | None = None,
    examples: int = 3,
    engine: str = "native",
    today: date | None = None,
) -> Impact:
    """Decide every application of ``population`` with both books and count what changes.

    :param population: records from :func:`bansos_rules._io.read_records` (a record that cannot
        be parsed, validated or decided is reported as an :class:`InvalidRecord`), applications
        or mappings, or :class:`Generated`.
    :param on: the date whose rules apply. Default: each record's ``submitted_on`` (else
        ``today``); for generated applications, the latest date on which a parameter's value
        starts to differ if that is after ``today``, else ``today``.
    :param examples: how many example applicants to keep for each kind of outcome change, each
        with a different set of rule changes (the most frequent first); generated ones are
        shrunk to minimal applications with the same changes.
    :param engine: the engine that decides on both sides.
    :param today: the date taken as today (default: the system date).
    :raises RulesetError: when a generated population's date has no rules in force on a side.
    """
    today = today or date.today()
    engines = (old.engine(engine), new.engine(engine))
    acc = _Accumulator()
    if isinstance(population, Generated):
        return _impact_generated(old, new, population, on, today, engines, acc, examples)
    for number, item in enumerate(population, 1):
        acc.records += 1
        where = f"record {number}"
        data: Any = item
        if isinstance(item, Record):
            acc.sources[item.source] = None
            where = item.where
            if item.problem is not None or item.data is None:
                problem = item.problem or "no data"
                acc.invalid.append(InvalidRecord(where, Text(problem, problem)))
                continue
            data = item.data
        try:
            app = new.validate(data)
        except InputError as exc:
            acc.invalid.append(
                InvalidRecord(
                    where,
                    Text(
                        *(
                            "; ".join(f"{p.path}: {p.text(lang)}" for p in exc.problems)
                            for lang in ("id", "en")
                        )
                    ),
                )
            )
            continue
        day = on or app.submitted_on or today
        decided = _decide_both(engines, app, day)
        if isinstance(decided, Text):
            acc.invalid.append(InvalidRecord(where, decided))
            continue
        acc.add(app, decided[0], decided[1], where)
    reason: Literal["given", "submitted_on"] = "given" if on else "submitted_on"
    return acc.finish("records", tuple(acc.sources), on, reason, acc.chosen(examples))


def _population_strategy(on: date, books: Sequence[RuleBook]) -> SearchStrategy[Application]:
    """Eligible applications, ones near each side's aid caps, any, and ineligible ones, drawn
    with the figures of the last book (and near the caps of every book)."""
    from hypothesis import strategies as st

    from bansos_rules.testing import applications

    book = books[-1] if books else None
    near = [applications(eligible=True, near_cap=True, on=on, book=b) for b in books] or [
        applications(eligible=True, near_cap=True, on=on)
    ]
    return st.one_of(
        applications(eligible=True, on=on, book=book),
        *near,
        applications(on=on, book=book),
        applications(eligible=False, on=on, book=book),
    )


def _hypothesis_settings(**overrides: Any) -> Any:
    try:
        from hypothesis import HealthCheck, settings
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise DiffSourceError(
            "generating applications needs hypothesis: pip install hypothesis, "
            "or compare on a file with --applications"
        ) from exc
    return settings(
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        **overrides,
    )


def generate_applications(
    count: int, *, on: date, seed: int = 0, books: Sequence[RuleBook] = ()
) -> list[Application]:
    """``count`` applications for the rules on ``on``, the same ones for the same ``seed``.

    :param books: rule books whose figures (caps, ages, business types) steer the drawing; the
        plan totals cluster near every book's caps.

    They are numbered ``GEN-00001`` onwards (drawn ids repeat).
    """
    if count <= 0:
        return []
    from hypothesis import Phase, given
    from hypothesis import seed as fixed_seed

    drawn: list[Application] = []
    settings = _hypothesis_settings(max_examples=count, phases=(Phase.generate,))

    def keep(app: Application) -> None:
        drawn.append(app)

    draw: Callable[[], None] = fixed_seed(seed)(
        settings(given(_population_strategy(on, books))(keep))
    )
    draw()
    return [app.model_copy(update={"id": f"GEN-{i:05d}"}) for i, app in enumerate(drawn[:count], 1)]


def shrink_application(
    holds: Callable[[Application], bool],
    *,
    on: date,
    seed: int = 0,
    seconds: float = 20.0,
    books: Sequence[RuleBook] = (),
) -> Application | None:
    """A minimal generated application for which ``holds`` is true, or ``None`` if none is found.

    Searches the same applications as :func:`generate_applications` (hypothesis ``find``) and
    shrinks the first that holds. After ``seconds`` the smallest found so far is returned.
    """
    from hypothesis import Phase, find
    from hypothesis.errors import NoSuchExample

    deadline = time.monotonic() + seconds
    last: list[Application] = []

    def condition(app: Application) -> bool:
        if last and time.monotonic() > deadline:
            raise _OutOfTime  # not an Exception: hypothesis lets it through instead of shrinking it
        if not holds(app):
            return False
        last[:] = [app]  # the shrinker only tries candidates smaller than the last accepted
        return True

    settings = _hypothesis_settings(max_examples=2000, phases=(Phase.generate, Phase.shrink))
    try:
        return find(
            _population_strategy(on, books),
            condition,
            settings=settings,
            random=random.Random(seed),
        )
    except NoSuchExample:
        return None
    except _OutOfTime:
        return last[0]


class _OutOfTime(BaseException):
    """Shrinking ran out of time (raised through hypothesis, which stops at once)."""


def _default_generated_on(
    old: RuleBook, new: RuleBook, today: date
) -> tuple[date, Literal["today", "change"]]:
    later = [d for d in structural_diff(old, new).value_dates() if d > today]
    return (max(later), "change") if later else (today, "today")


def _impact_generated(
    old: RuleBook,
    new: RuleBook,
    population: Generated,
    on: date | None,
    today: date,
    engines: tuple[Any, Any],
    acc: _Accumulator,
    examples: int,
) -> Impact:
    reason: Literal["given", "today", "change"] = "given"
    if on is None:
        on, reason = _default_generated_on(old, new, today)
    for book in (old, new):
        book.layout.params_on(on)  # raises RulesetError naming what is not in force
    books = (old, new)
    for app in generate_applications(population.count, on=on, seed=population.seed, books=books):
        acc.records += 1
        decided = _decide_both(engines, app, on)
        if isinstance(decided, Text):  # pragma: no cover - params_on checked the date above
            acc.invalid.append(InvalidRecord(app.id, decided))
            continue
        acc.add(app, decided[0], decided[1], None)
    chosen = acc.chosen(examples)
    if population.shrink:
        day = on
        budget_ends = time.monotonic() + population.shrink_budget
        for key, found in chosen.items():
            for i, first in enumerate(found):
                left = budget_ends - time.monotonic()
                if left <= 0:
                    break
                wanted = first.rules

                def holds(
                    app: Application,
                    key: Transition = key,
                    wanted: tuple[RuleStatusChange, ...] = wanted,
                ) -> bool:
                    decided = _decide_both(engines, app, day)
                    if isinstance(decided, Text):
                        return False
                    a, b = decided
                    return (a.outcome, b.outcome) == key and rule_changes(a, b) == wanted

                small = shrink_application(
                    holds,
                    on=on,
                    seed=population.seed + i,
                    seconds=min(population.shrink_seconds, left),
                    books=books,
                )
                if small is not None:
                    a, b = engines[0].decide(small, on), engines[1].decide(small, on)
                    found[i] = _applicant(small, a, b, None, rule_changes(a, b), shrunk=True)
    source = f"generated:{population.count}:{population.seed}"
    return acc.finish("generated", (source,), on, reason, chosen)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffReport:
    """Structural changes between two sides and, when a population was given, their impact."""

    old: str
    """How the old side is named (a path, or ``REV:path (commit)``)."""
    new: str
    structure: StructuralDiff
    impact: Impact | None
    business_types: Mapping[str, Text] = field(default_factory=dict)
    """Names of the registered business types."""

    @property
    def flips(self) -> int:
        """How many decisions change outcome (0 without a population)."""
        return self.impact.total.changed if self.impact else 0


def diff_report(
    old: str,
    new: str | None = None,
    *,
    population: Population | None = None,
    on: date | None = None,
    examples: int = 3,
    only: bool = False,
    block: Iterable[str] = (),
    cwd: Path | None = None,
    today: date | None = None,
) -> DiffReport:
    """Compare the rulesets named by ``old`` and ``new`` (see :func:`open_side`).

    :param new: default: the working tree's ``rulesets/`` (see :func:`default_new`).
    :param population: what to measure the impact on (see :func:`impact`); ``None``: no impact.
    :raises DiffSourceError: when a side cannot be found.
    :raises RulesetError: when a side's rulesets do not load.
    """
    with open_side(old, cwd=cwd) as a, open_side(new or default_new(cwd), cwd=cwd) as b:
        books = load_books(a, b, only=only, block=block)
        labels = (a.label, b.label)
    structure = structural_diff(*books)
    found = None
    if population is not None:
        found = impact(*books, population, on=on, examples=examples, today=today)
    names = {
        code: Text(bt.name_id, bt.name_en) for code, bt in books[1].layout.business_types.items()
    }
    return DiffReport(labels[0], labels[1], structure, found, names)


# JSON ----------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Text):
        return {"id": value.id, "en": value.en}
    if isinstance(value, list | tuple | frozenset | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _transition_json(key: Transition) -> dict[str, str]:
    return {"from": key[0].value, "to": key[1].value}


def _tally_json(tally: Tally) -> dict[str, Any]:
    return {
        "applications": tally.applications,
        "changed": tally.changed,
        "newly_approved": tally.gained,
        "no_longer_approved": tally.lost,
        "outcomes": {
            side: {o.value: n for o, n in tally.outcomes(side).items()} for side in ("old", "new")
        },
        "transitions": [{**_transition_json(k), "count": n} for k, n in tally.transitions()],
        "aid": {"old": tally.aid_old, "new": tally.aid_new, "delta": tally.aid_delta},
        "aid_changed": tally.aid_changed,
    }


def _applicant_json(ex: Applicant) -> dict[str, Any]:
    return {
        **_transition_json((ex.old_outcome, ex.new_outcome)),
        "application_id": ex.application_id,
        "where": ex.where,
        "name": ex.name,
        "regency": ex.regency,
        "business_type": ex.business_type,
        "plan_total": ex.plan_total,
        "on": ex.on.isoformat(),
        "aid": {"old": ex.old_aid, "new": ex.new_aid},
        "rules": [
            {
                "rule": c.rule,
                "old": c.old,
                "new": c.new,
                "old_on_fail": c.old_on_fail,
                "new_on_fail": c.new_on_fail,
            }
            for c in ex.rules
        ],
        "shrunk": ex.shrunk,
        "application": _jsonable(ex.application),
    }


def to_dict(report: DiffReport) -> dict[str, Any]:
    """The report as JSON-ready data (the shape is documented in ``docs/cli.md``)."""
    structure = report.structure
    doc: dict[str, Any] = {
        "format": JSON_FORMAT,
        "old": {"label": report.old, "digest": structure.old_digest},
        "new": {"label": report.new, "digest": structure.new_digest},
        "summary": {
            kind: {change: counts[change] for change in ("added", "removed", "changed")}
            for kind, counts in structure.counts().items()
        },
        "rulesets": [
            {
                "id": rs.id,
                "change": rs.change,
                "title": _jsonable(rs.title),
                "fields": [_field_json(f) for f in rs.fields],
                "examples": {"old": rs.examples[0], "new": rs.examples[1]},
                "invariants": {"old": rs.invariants[0], "new": rs.invariants[1]},
                "rules": [
                    {
                        "id": r.id,
                        "change": r.change,
                        "title": _jsonable(r.title),
                        "fields": [_field_json(f) for f in r.fields],
                    }
                    for r in rs.rules
                ],
                "parameters": [
                    {
                        "name": p.name,
                        "change": p.change,
                        "unit": p.unit,
                        "used_by": list(p.used_by),
                        "fields": [_field_json(f) for f in p.fields],
                        "values": [
                            {
                                "from": v.start.isoformat(),
                                "until": v.until.isoformat() if v.until else None,
                                "key": v.key,
                                "old": _jsonable(v.old),
                                "new": _jsonable(v.new),
                            }
                            for v in p.values
                        ],
                    }
                    for p in rs.parameters
                ],
            }
            for rs in structure.rulesets
        ],
        "impact": None,
    }
    imp = report.impact
    if imp is not None:
        doc["impact"] = {
            "population": imp.population,
            "sources": list(imp.sources),
            "on": imp.on.isoformat() if imp.on else None,
            "on_reason": imp.on_reason,
            "records": imp.records,
            "compared": imp.compared,
            "invalid": [{"where": i.where, "problem": _jsonable(i.problem)} for i in imp.invalid],
            "total": _tally_json(imp.total),
            "rules_behind": [
                {**_transition_json(k), "rules": dict(c.most_common())}
                for k, c in imp.rules_behind.items()
            ],
            "by_regency": [
                {"code": code, "name": imp.regency_names.get(code), **_tally_json(t)}
                for code, t in imp.by_regency.items()
            ],
            "by_business_type": [
                {"code": code, **_tally_json(t)} for code, t in imp.by_business_type.items()
            ],
            "examples": [_applicant_json(e) for found in imp.examples.values() for e in found],
        }
    return doc


def _field_json(change: FieldChange) -> dict[str, Any]:
    return {"field": change.field, "old": _jsonable(change.old), "new": _jsonable(change.new)}


def to_json(report: DiffReport) -> str:
    """:func:`to_dict` as indented JSON; the same report always gives the same text."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


# Markdown ------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _show(value: Any, lang: Lang, unit: str | None = None) -> str:
    """A value as the report shows it."""
    if value is None:
        return label("diff_no_value", lang)
    if isinstance(value, bool):
        return format_value(value, "", lang)
    if isinstance(value, int):
        return format_value(value, "rupiah", lang) if unit == "rupiah" else str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v, lang, unit) for v in value) + "]"
    if isinstance(value, Mapping):
        if set(value) == {"id", "en"}:
            return str(value[lang])
        return "; ".join(f"{k}: {_show(v, lang, unit)}" for k, v in value.items())
    return str(value)


def _rupiah(value: int, lang: Lang, *, sign: bool = False) -> str:
    text = format_value(abs(value), "rupiah", lang)
    if sign:
        return ("+" if value > 0 else "-" if value < 0 else "±") + text
    return text


def _signed(value: int) -> str:
    return f"+{value}" if value > 0 else f"-{-value}" if value < 0 else "0"


def _percent(value: float, lang: Lang) -> str:
    text = f"{value:.1f}%"
    return text.replace(".", ",") if lang == "id" else text


def _outcome(o: Outcome, lang: Lang) -> str:
    return label(o.value, lang).lower()


def _arrow(key: Transition, lang: Lang) -> str:
    return f"{_outcome(key[0], lang)} → {_outcome(key[1], lang)}"


def _period(change: ValueChange, lang: Lang) -> str:
    text = f"{label('diff_from', lang)} {change.start.isoformat()}"
    if change.until is not None:
        text += f" {label('diff_until', lang)} {change.until.isoformat()}"
    return text


def _markdown_structure(report: DiffReport, lang: Lang, out: list[str]) -> None:
    structure = report.structure
    out.append(f"### {label('diff_structure', lang)}")
    out.append("")
    if not structure.changed:
        out.append(label("diff_no_change", lang))
        out.append("")
        return
    parts = []
    for kind, counts in structure.counts().items():
        done = [f"{counts[c]} {label('diff_' + c, lang)}" for c in ("added", "removed", "changed")]
        if any(counts.values()):
            parts.append(
                f"{label('diff_' + kind, lang)}: "
                + ", ".join(
                    d
                    for d, c in zip(done, ("added", "removed", "changed"), strict=True)
                    if counts[c]
                )
            )
    out.append(" · ".join(parts))
    out.append("")
    for rs in structure.rulesets:
        title = rs.title(lang)
        out.append(f"#### {_code(rs.id)} — {title} ({label('diff_' + rs.change, lang)})")
        out.append("")
        notes = [f"{f.field}: {_show(f.old, lang)} → {_show(f.new, lang)}" for f in rs.fields]
        if rs.examples[0] != rs.examples[1]:
            notes.append(f"{label('diff_examples', lang)}: {rs.examples[0]} → {rs.examples[1]}")
        if rs.invariants[0] != rs.invariants[1]:
            notes.append(
                f"{label('diff_invariants', lang)}: {rs.invariants[0]} → {rs.invariants[1]}"
            )
        out.extend(f"- {n}" for n in notes)
        if notes:
            out.append("")
        if rs.parameters:
            out.append(
                f"| {label('diff_parameter', lang)} | | {label('diff_change', lang)} "
                f"| {label('diff_used_by', lang)} |"
            )
            out.append("| --- | --- | --- | --- |")
            for p in rs.parameters:
                lines = [
                    f"{f.field}: {_show(f.old, lang)} → {_show(f.new, lang)}" for f in p.fields
                ]
                for v in p.values:
                    key = f"{v.key}: " if v.key else ""
                    lines.append(
                        f"{key}{_show(v.old, lang, p.unit)} → {_show(v.new, lang, p.unit)} "
                        f"{_period(v, lang)}"
                    )
                unit = f" ({p.unit})" if p.unit else ""
                used = ", ".join(_code(r) for r in p.used_by)
                out.append(
                    f"| {_code(p.name)}{unit} | {label('diff_' + p.change, lang)} | "
                    + "<br>".join(_cell(line) for line in lines)
                    + f" | {used} |"
                )
            out.append("")
        if rs.rules:
            out.append(
                f"| {label('diff_rule', lang)} | | {label('diff_field', lang)} "
                f"| {label('diff_old', lang)} | {label('diff_new', lang)} |"
            )
            out.append("| --- | --- | --- | --- | --- |")
            for r in rs.rules:
                head = f"{_code(r.id)}<br>{_cell(r.title(lang))}"
                kind = label("diff_" + r.change, lang)
                fields = r.fields if r.change == "changed" else ()
                if not fields:
                    out.append(f"| {head} | {kind} | | | |")
                for i, f in enumerate(fields):
                    shown = [
                        _code(str(v)) if f.field in ("check", "when") and v else _show(v, lang)
                        for v in (f.old, f.new)
                    ]
                    first = (head, kind) if i == 0 else ("", "")
                    out.append(
                        f"| {first[0]} | {first[1]} | {f.field} | {_cell(shown[0])} "
                        f"| {_cell(shown[1])} |"
                    )
            out.append("")


def _on_text(imp: Impact, lang: Lang) -> str:
    if imp.on is None:
        return label("diff_on_submitted", lang)
    return label("diff_on_" + imp.on_reason, lang).format(on=imp.on.isoformat())


def _tally_rows(groups: Mapping[str, Tally], names: Callable[[str], str], lang: Lang) -> list[str]:
    rows = []
    for code, t in groups.items():
        rows.append(
            f"| {_cell(names(code))} | {t.applications} | {t.changed} | {t.gained} | {t.lost} "
            f"| {_rupiah(t.aid_delta, lang, sign=True)} |"
        )
    return rows


def _markdown_impact(report: DiffReport, imp: Impact, lang: Lang, out: list[str]) -> None:
    out.append(f"### {label('diff_impact', lang)}")
    out.append("")
    if imp.population == "generated":
        count, seed = imp.sources[0].split(":")[1:]
        who = label("diff_population_generated", lang).format(n=count, seed=seed)
    else:
        files = ", ".join(_code(s) for s in imp.sources) or "-"
        who = label("diff_population_records", lang).format(n=imp.records, files=files)
    out.append(f"{who}; {_on_text(imp, lang)}.")
    out.append(
        label("diff_reconcile", lang).format(
            records=imp.records, compared=imp.compared, invalid=len(imp.invalid)
        )
    )
    out.append("")
    total = imp.total
    old, new = total.outcomes("old"), total.outcomes("new")
    out.append(
        f"| {label('diff_outcome', lang)} | {label('diff_old', lang)} | {label('diff_new', lang)} "
        "| Δ |"
    )
    out.append("| --- | ---: | ---: | ---: |")
    for o in _OUTCOMES:
        out.append(f"| {_outcome(o, lang)} | {old[o]} | {new[o]} | {_signed(new[o] - old[o])} |")
    out.append(
        f"| **{label('diff_total_aid', lang)}** | {_rupiah(total.aid_old, lang)} "
        f"| {_rupiah(total.aid_new, lang)} | **{_rupiah(total.aid_delta, lang, sign=True)}** |"
    )
    out.append("")
    if not total.changed and not total.aid_changed:
        out.append(label("diff_no_flips", lang))
        out.append("")
    else:
        share = 100 * total.changed / total.applications if total.applications else 0.0
        out.append(
            f"**{label('diff_changed_decisions', lang)}: {total.changed} / "
            f"{total.applications} ({_percent(share, lang)})**"
        )
        out.append("")
        out.append(
            f"| {label('diff_change', lang)} | {label('diff_applications', lang)} "
            f"| {label('diff_rules_behind', lang)} |"
        )
        out.append("| --- | ---: | --- |")
        for key, n in total.transitions():
            behind = imp.rules_behind.get(key, Counter())
            rules = ", ".join(f"{_code(r)} ({c})" for r, c in behind.most_common())
            out.append(f"| {_arrow(key, lang)} | {n} | {rules} |")
        if total.aid_changed:
            out.append(f"| {label('diff_aid_changed', lang)} | {total.aid_changed} | |")
        out.append("")
        header = (
            f"| {{what}} | {label('diff_applications', lang)} | {label('diff_flipped', lang)} "
            f"| {label('diff_gained', lang)} | {label('diff_lost', lang)} | Δ "
            f"{label('diff_total_aid', lang).lower()} |"
        )
        rule = "| --- | ---: | ---: | ---: | ---: | ---: |"

        def regency(code: str) -> str:
            name = imp.regency_names.get(code)
            return f"{name} ({code})" if name else code

        def business_type(code: str) -> str:
            name = report.business_types.get(code)
            return name(lang) if name else code

        for heading, groups, names, what in (
            ("diff_by_regency", imp.by_regency, regency, "diff_regency"),
            ("diff_by_business_type", imp.by_business_type, business_type, "business_type"),
        ):
            out.append(f"#### {label(heading, lang)}")
            out.append("")
            out.append(header.format(what=label(what, lang)))
            out.append(rule)
            out.extend(_tally_rows(groups, names, lang))
            out.append("")
        _markdown_examples(report, imp, lang, out)
    if imp.invalid:
        out.append(f"#### {label('diff_invalid', lang)} ({len(imp.invalid)})")
        out.append("")
        for bad in imp.invalid[:_MAX_INVALID_SHOWN]:
            out.append(f"- {_code(bad.where)}: {_cell(bad.problem(lang))}")
        if len(imp.invalid) > _MAX_INVALID_SHOWN:
            out.append(f"- … {len(imp.invalid) - _MAX_INVALID_SHOWN}")
        out.append("")


_MAX_INVALID_SHOWN = 20


def _rule_change_text(c: RuleStatusChange, lang: Lang) -> str:
    def one(status: str, on_fail: str | None) -> str:
        text = label("diff_status_" + status, lang)
        return f"{text} ({on_fail})" if on_fail else text

    return f"{_code(c.rule)}: {one(c.old, c.old_on_fail)} → {one(c.new, c.new_on_fail)}"


def _markdown_examples(report: DiffReport, imp: Impact, lang: Lang, out: list[str]) -> None:
    if not imp.examples:
        return
    out.append(f"#### {label('diff_examples_heading', lang)}")
    out.append("")
    for key, found in imp.examples.items():
        out.append(f"**{_arrow(key, lang)}**")
        out.append("")
        for ex in found:
            bt = report.business_types.get(ex.business_type)
            place = imp.regency_names.get(ex.regency, ex.regency)
            facts = [
                _code(ex.application_id) + (f" ({_code(ex.where)})" if ex.where else ""),
                ex.name,
                place,
                bt(lang) if bt else ex.business_type,
                f"{label('plan_total', lang).lower()} {_rupiah(ex.plan_total, lang)}",
            ]
            if imp.population == "generated":
                facts.append(label("diff_shrunk" if ex.shrunk else "diff_not_shrunk", lang))
            out.append("- " + " · ".join(facts))
            for c in ex.rules:
                out.append(f"  - {_rule_change_text(c, lang)}")
            out.append("")
            out.append(f"  <details><summary>{label('diff_paste', lang)}</summary>")
            out.append("")
            out.append("  ```yaml")
            out.extend("  " + line for line in ex.example_yaml(lang).splitlines())
            out.append("  ```")
            out.append("")
            out.append("  </details>")
            out.append("")


def to_markdown(report: DiffReport, lang: Lang = "id") -> str:
    """The report as Markdown for a pull-request comment, labelled in ``lang``."""
    out = [
        f"## {label('diff_title', lang)}: {_code(report.old)} → {_code(report.new)}",
        "",
    ]
    _markdown_structure(report, lang, out)
    if report.impact is not None:
        _markdown_impact(report, report.impact, lang, out)
    return "\n".join(out).rstrip("\n") + "\n"
