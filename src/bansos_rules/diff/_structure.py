"""Structural changes between two rule books: rulesets, rules and parameters added, removed and
changed, and parameter values over time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from bansos_rules._book import RuleBook
from bansos_rules._decision import Text
from bansos_rules.ruleset.ir import Parameter, Rule, Ruleset

ChangeKind = Literal["added", "removed", "changed"]


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
            if period.until is not None and period.until < date.max:
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
                last = day - timedelta(days=1) if day > date.min else day
                found.append(ValueChange(start, last, va, vb, key))
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
