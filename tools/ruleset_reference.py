"""The ruleset format reference, in Markdown, generated from the code so that it cannot drift.

Everything in the reference is read from the code that enforces it: the file-format models
(:mod:`bansos_rules.ruleset.schema`), the expression language's allow-list and limits
(:mod:`bansos_rules.ruleset.expr`), the names and fields an expression can use
(:mod:`bansos_rules.ruleset.vocabulary`, :func:`~bansos_rules.ruleset.types.model_type`), what the
built-in plugins register, and the message catalogue. The few explanations written here in prose
(what ``on_fail: review`` means, what ``count()`` does) are checked against the code's own lists,
and every example expression is compiled with the real checker, so a change in the code that the
text does not follow makes :func:`generate` raise instead of printing something stale.

Regenerate the checked-in copy with::

    PYTHONPATH=src python tools/ruleset_reference.py > docs/ruleset-reference.md
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types as pytypes
import typing
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from bansos_rules import _messages as messages
from bansos_rules import _models as models
from bansos_rules._manager import BUILTIN_PLUGINS, Plugins
from bansos_rules._registry import Registry
from bansos_rules.explain import format_value
from bansos_rules.ruleset import _yaml, expr, loader, schema, tree
from bansos_rules.ruleset.expr import ExprError, Scope, compile_expr
from bansos_rules.ruleset.ir import ANY_TYPE
from bansos_rules.ruleset.loader import _PARAM_TYPES, load_ruleset
from bansos_rules.ruleset.types import BOOL, INT, STR, Attr, Obj, Opt, Prim, Seq, Ty, describe
from bansos_rules.ruleset.vocabulary import OUTCOMES, decision_type, invariant_roots, roots

__all__ = ["generate"]

REGENERATE = "PYTHONPATH=src python tools/ruleset_reference.py > docs/ruleset-reference.md"

# ---------------------------------------------------------------------------------------------
# Prose that the code cannot say by itself. Each table is checked against the code's own list of
# values in generate(), so a new value without an explanation is an error, not a silent gap.
# ---------------------------------------------------------------------------------------------

_KIND: dict[str, str] = {
    "requirement": (
        "Decides the outcome. It is judged once, for the planned business type, and its "
        "`on_fail` says what failing does. It may read `fit`."
    ),
    "score": (
        "Adds `points` to a business type's fit score when its check passes. It is judged for "
        "*every* registered business type (or those in `applies_to`), with `business_type` and "
        "parameters that have `by: business_type` set to that candidate, which is how decisions "
        "rank the recommended business types. Needs `points`; `on_fail` and `refer` are "
        "ignored (a score never changes the outcome or refers). It may not read `fit`."
    ),
}

_ON_FAIL: dict[str, str] = {
    "reject": "The application is **rejected** (`rejected`) and the aid value is 0.",
    "review": (
        "Unless another rule rejects it, the application **needs review** (`needs_review`) "
        "and the aid value is 0."
    ),
    "none": (
        "The outcome does not change; the failure is recorded as a finding, and makes a "
        "referral when the rule has `refer`."
    ),
}

_BY: dict[str, str] = {
    "business_type": (
        "Each value is a mapping from business-type code to a value of the parameter's type, "
        f'with `"{ANY_TYPE}"` for every type not listed. Every registered business type needs '
        f'a value unless `"{ANY_TYPE}"` is given. In an expression the parameter reads as the '
        "value for the business type being judged (the planned one, or each candidate in a score "
        "rule)."
    ),
}

_PARAM_YAML: dict[str, str] = {
    "int": "`value: 4500000`",
    "bool": "`value: true`",
    "str": '`value: "64"`',
    "date": "`value: 2025-07-01`",
    "list[str]": "`value: [civil_servant, military]`",
    "list[int]": "`value: [1, 2, 3]`",
}

_ROOTS: dict[str, str] = {
    "applicant": "The person applying (`Beneficiary`).",
    "household": "The applicant's family on one family card, KK (`Household`).",
    "plan": "The proposed business and the goods it needs (`BusinessPlan`).",
    "application": "The whole application (`Application`): its id, date and the three parts above.",
    "today": (
        "The date the rules are applied for (`--on`, or `on=` in the API), not the computer's "
        "clock. Has `.year`, `.month` and `.day`."
    ),
    "business_type": (
        "The business type the rule is judged for: the planned one in a requirement rule, each "
        "candidate in turn in a score rule."
    ),
    "fit": "How well the planned business type scores on the score rules. Requirement rules only.",
    "params": (
        "The parameters of *this* ruleset, with the value in force on `today` (a parameter with "
        "`by: business_type` gives the value for `business_type`)."
    ),
}

# Built-in calls: (signature, result, explanation). Checked against expr._BUILTIN_CALLS.
_BUILTINS: dict[str, tuple[str, str, str]] = {
    "any": (
        "any(LIST) · any(COND for x in LIST [if COND])",
        "true/false",
        "True when at least one item is true; false for an empty list.",
    ),
    "all": (
        "all(LIST) · all(COND for x in LIST [if COND])",
        "true/false",
        "True when every item is true; true for an empty list.",
    ),
    "sum": (
        "sum(LIST) · sum(NUMBER for x in LIST [if COND])",
        "a whole number",
        "The total of whole numbers; 0 for an empty list.",
    ),
    "count": (
        "count(LIST) · count(COND for x in LIST) · count(x for x in LIST if COND)",
        "a whole number",
        "How many items there are (a list), how many make COND true, or how many pass the `if`.",
    ),
    "min": (
        "min(A, B, ...) · min(LIST) · min(VALUE for x in LIST [if COND])",
        "as the items; or None",
        "The smallest of whole numbers or dates. With several arguments the result has their "
        "type; over a list or generator it is *empty (None) when the list is empty*.",
    ),
    "max": (
        "max(A, B, ...) · max(LIST) · max(VALUE for x in LIST [if COND])",
        "as the items; or None",
        "The largest; like `min`.",
    ),
    "len": ("len(LIST)", "a whole number", "The number of items in a list."),
    "abs": ("abs(NUMBER)", "a whole number", "The value without its sign."),
}

# Expressions that must compile to true/false, with what they show.
_ACCEPTED: tuple[tuple[str, str], ...] = (
    ("applicant.dtks_registered and applicant.pkh_member", "`and`, `or`, `not` on true/false"),
    ("params.min_age <= applicant.age <= params.max_age", "a chained comparison"),
    ("applicant.occupation not in params.excluded_occupations", "`in` / `not in` a list"),
    ('plan.business_type in ["food", "drinks"]', "a list literal"),
    ("applicant.dtsen_decile is None or applicant.dtsen_decile <= 4", "guarding an optional value"),
    (
        'applicant.bank_account is not None and applicant.bank_account.bank == "bankaltimtara"',
        "reaching into an optional object after the guard",
    ),
    ('not any(item.is_cash or item.category == "cash" for item in plan.items)', "`any` over items"),
    (
        "count(m for m in household.members if 7 <= m.age <= 18 and m.in_school == False) == 0",
        "`count` with a condition",
    ),
    ("sum(item.subtotal for item in plan.items) == plan.total", "`sum` over items"),
    ("plan.total // household.size <= params.max_aid", "whole-number arithmetic"),
    ("today.year - applicant.birth_date.year >= 18", "parts of a date"),
    ("years_between(applicant.birth_date, today) >= params.min_age", "a registered function"),
    ("fit.percent >= 50", "the planned type's fit score (requirement rules)"),
    (
        "(applicant.business_experience_years if applicant.existing_business == business_type "
        "else 0) >= 1",
        "`x if condition else y`",
    ),
)

# Expressions that must be refused, and the error code they must give.
_REFUSED: tuple[tuple[str, str], ...] = (
    ("applicant.umur >= 18", "expr-unknown-field"),
    ("aplicant.age >= 18", "expr-unknown-name"),
    ('applicant.sex == "perempuan"', "expr-literal"),
    ("applicant.dtsen_decile <= 4", "expr-type"),
    ('applicant.bank_account.bank == "bri"', "expr-type"),
    ('plan.total >= "4500000"', "expr-type"),
    ("plan.total / 2 > 1", "expr-unsafe"),
    ("plan.total > 4.5", "expr-type"),
    ('applicant.skills[0] == "cooking"', "expr-unsafe"),
    ('applicant.nik.startswith("64")', "expr-unsafe"),
    ("[s for s in applicant.skills]", "expr-unsafe"),
    ("applicant.__class__", "expr-unsafe"),
    ('open("/etc/passwd")', "expr-unknown-function"),
    ("max(a.year for a in applicant.prior_aid) >= 2020", "expr-type"),
    ("applicant.age >= ", "expr-syntax"),
)

# A minimal file; generate() loads it with the real loader.
_SKELETON = """\
ruleset: my_rules
title:
  id: Judul ruleset
  en: Ruleset title
parameters:
  min_age:
    type: int
    unit: years
    description:
      id: Usia minimum
      en: Minimum age
    reference: Decree or source of the figure
    values:
      - from: 2025-01-01
        value: 18
rules:
  - id: my_rules.adult
    title:
      id: Dewasa
      en: Adult
    reference: Legal or policy basis of the rule
    check: applicant.age >= params.min_age
    on_fail: reject
    reason:
      id: Usia {applicant.age} tahun, kurang dari {params.min_age}
      en: Age {applicant.age} is below {params.min_age}
"""

_SAMPLE_PARAMS = Obj(
    "params",
    {
        "min_age": Attr(INT, doc="example"),
        "max_age": Attr(INT, doc="example"),
        "max_aid": Attr(INT, doc="example"),
        "excluded_occupations": Attr(Seq(STR), doc="example"),
    },
)

_FILE_MODELS: tuple[type[BaseModel], ...] = (
    schema.RulesetFile,
    schema.Text,
    schema.ParameterSpec,
    schema.ParameterValue,
    schema.RuleSpec,
    schema.ExampleSpec,
    schema.Expectation,
    schema.InvariantSpec,
)

# Invariants appended to _SKELETON; generate() loads the result with the real loader.
_INVARIANTS_YAML = """\
invariants:
  - id: my_rules.adults_only_approved
    title:
      id: Yang disetujui selalu dewasa
      en: Whoever is approved is an adult
    when: decision.outcome == "approved"
    holds: applicant.age >= params.min_age and "my_rules.adult" in decision.passed
  - id: my_rules.no_aid_unless_approved
    title:
      id: Tanpa persetujuan, tanpa bantuan
      en: No aid unless approved
    when: decision.outcome != "approved"
    holds: decision.aid_value == 0
"""


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.replace("|", "\\|").split())


def _code(text: str) -> str:
    """Inline code, with a fence long enough for backticks inside."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return lines


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ")


def _literal_values(annotation: Any) -> tuple[str, ...]:
    """The values of the ``Literal`` inside ``annotation`` (through ``X | None``)."""
    if typing.get_origin(annotation) is Literal:
        return tuple(str(a) for a in typing.get_args(annotation))
    for arg in typing.get_args(annotation):
        found = _literal_values(arg)
        if found:
            return found
    return ()


def _check_documented(what: str, documented: Iterable[str], actual: Iterable[str]) -> None:
    missing = sorted(set(actual) - set(documented))
    stale = sorted(set(documented) - set(actual))
    if missing or stale:
        raise RuntimeError(
            f"tools/ruleset_reference.py: {what} changed in the code "
            f"(undocumented: {missing}, no longer exist: {stale}); update the text in this script"
        )


def _constraints(metadata: Iterable[Any]) -> list[str]:
    """Readable constraints from pydantic field metadata."""
    parts: list[str] = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            parts.extend(_constraints(item.metadata))
            continue
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            parts.append(f"matches {_code(pattern)}")
        for attr, word in (
            ("min_length", "length ≥ {}"),
            ("max_length", "length ≤ {}"),
            ("ge", "≥ {}"),
            ("gt", "> {}"),
            ("le", "≤ {}"),
            ("lt", "< {}"),
        ):
            value = getattr(item, attr, None)
            if isinstance(value, int) and not isinstance(value, bool):
                parts.append(word.format(f"{value:,}" if value >= 10_000 else str(value)))
    return parts


def _annotation_text(annotation: Any, links: Mapping[type[BaseModel], str]) -> str:
    """A readable type for a file-format field."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        inner = _annotation_text(args[0], links)
        extra = _constraints(args[1:])
        return f"{inner} ({', '.join(extra)})" if extra else inner
    if origin in (typing.Union, pytypes.UnionType):
        rest = [a for a in args if a is not type(None)]
        text = " or ".join(_annotation_text(a, links) for a in rest)
        return text + (" or null" if len(rest) < len(args) else "")
    if origin is Literal:
        return "one of " + ", ".join(_code(str(a)) for a in args)
    if origin in (list, tuple):
        return "list of " + _annotation_text(args[0], links)
    if origin is dict:
        key = _annotation_text(args[0], links)
        return f"mapping of {key} to {_annotation_text(args[1], links)}"
    if annotation is Any:
        return "any value"
    if annotation is str:
        return "text"
    if annotation is int:
        return "whole number"
    if annotation is bool:
        return "true/false"
    if annotation is date:
        return "date (YYYY-MM-DD)"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        anchor = links.get(annotation)
        return f"[{annotation.__name__}](#{anchor})" if anchor else annotation.__name__
    return str(annotation)


def _default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        factory: Any = info.default_factory
        value = factory()
        if isinstance(value, BaseModel):
            return "default: all its defaults"
        return f"default {_code(_yaml_value(value))}"
    if info.default is PydanticUndefined:
        return "optional"
    return f"default {_code(_yaml_value(info.default))}"


def _yaml_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _builtin_plugins() -> Plugins:
    """A plugin manager with exactly the built-in plugins, whatever else is installed."""
    plugins = Plugins()
    for name, module in BUILTIN_PLUGINS:
        plugins.register(importlib.import_module(module), name, distribution="bansos-rules")
    return plugins


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------


def _intro() -> list[str]:
    return [
        "# Ruleset format reference",
        "",
        "<!-- Generated from the code by `tools/ruleset_reference.py`. Do not edit by hand:",
        f"     change the code, then run: {REGENERATE} -->",
        "",
        "Everything below is produced from the code that enforces it: the file-format models, the "
        "expression checker's allow-list and limits, the fields of the input models, what the "
        "built-in plugins register, and the message catalogue. For a guided introduction in "
        "Bahasa Indonesia see [Panduan analis](panduan-analis.md); for the library and plugins "
        "see the [developer guide](developer-guide.md); for the command line see [cli.md](cli.md).",
        "",
        "1. [File layout](#file-layout)",
        "2. [Parameters](#parameters)",
        "3. [Rules and outcomes](#rules-and-outcomes)",
        "4. [Messages and placeholders](#messages-and-placeholders)",
        "5. [Worked examples](#worked-examples)",
        "6. [Invariants](#invariants)",
        "7. [Names in expressions](#names-in-expressions)",
        "8. [Expression syntax](#expression-syntax)",
        "9. [Functions](#functions)",
        "10. [Business types and agencies](#business-types-and-agencies)",
        "11. [Diagnostics](#diagnostics)",
        "",
    ]


def _file_layout(registry: Registry) -> list[str]:
    load_ruleset(_SKELETON, "<reference skeleton>", registry)
    links = {m: m.__name__.lower() for m in _FILE_MODELS}
    used_in: dict[type[BaseModel], list[str]] = {m: [] for m in _FILE_MODELS}
    for parent in _FILE_MODELS:
        for name, info in parent.model_fields.items():
            shown = info.alias or name
            for child in _FILE_MODELS:
                if child is not parent and _mentions(info.annotation, child):
                    used_in[child].append(f"`{shown}` of [{parent.__name__}](#{links[parent]})")
    lines = [
        "## File layout",
        "",
        "A ruleset is one YAML file. Unknown fields are errors (a misspelt key is reported with a "
        "suggestion), duplicate keys are errors, and only plain YAML values are read: no tags that "
        "build objects. A minimal file (the reference generator loads it to be sure it is valid):",
        "",
        "```yaml",
        _SKELETON.rstrip("\n"),
        "```",
        "",
        "The JSON Schema of this format, for editors: `bansos-rules schema ruleset`.",
        "",
    ]
    for model in _FILE_MODELS:
        lines.append(f"### {model.__name__}")
        lines.append("")
        lines.append(_first_line(model.__doc__))
        if used_in[model]:
            lines.append("")
            lines.append("Used as: " + "; ".join(used_in[model]) + ".")
        lines.append("")
        rows = []
        for name, info in model.model_fields.items():
            annotation: Any = info.annotation
            kind = _annotation_text(annotation, links)
            extra = _constraints(info.metadata)
            if extra:
                kind += f" ({', '.join(extra)})"
            description = info.description or ""
            if (
                not description
                and isinstance(annotation, type)
                and issubclass(annotation, BaseModel)
            ):
                description = _first_line(annotation.__doc__)
            rows.append((_code(info.alias or name), kind, _default_text(info), description))
        lines.extend(_table(("field", "type", "required / default", "description"), rows))
        lines.append("")
    return lines


def _mentions(annotation: Any, model: type[BaseModel]) -> bool:
    if annotation is model:
        return True
    return any(_mentions(a, model) for a in typing.get_args(annotation))


def _parameters() -> list[str]:
    param_types = _literal_values(schema.ParamType)
    _check_documented("parameter types", _PARAM_YAML, param_types)
    _check_documented("parameter types", _PARAM_TYPES, param_types)
    by_values = _literal_values(schema.ParameterSpec.model_fields["by"].annotation)
    _check_documented("values of `by`", _BY, by_values)
    lines = [
        "## Parameters",
        "",
        "Every policy figure (an amount, an age, a list of codes) is a parameter, never a number "
        "written into a rule. A parameter has a type, a description, a reference, and one or more "
        "values, each in force from a date:",
        "",
        "- `from` is the first day a value is in force; `until` (optional) the last day.",
        "- On a given day the value in force is the one with the **latest `from` on or before that "
        "day** whose `until`, if any, has not passed. A new decree is therefore a new entry with a "
        "new `from` date; the old entries stay, so decisions for earlier dates do not change.",
        "- Two values with the same `from`, or a value whose `until` reaches past the next "
        "value's `from`, are an error (`param-overlap`).",
        "- Each value needs a reference: its own `reference`, or else the parameter's "
        "(`reference-missing`).",
        "- Deciding on a day when a parameter that a rule uses has no value in force is an error "
        "(`param-not-in-force`).",
        "",
        "### Parameter types",
        "",
    ]
    rows = [
        (
            _code(t),
            _PARAM_YAML[t],
            f"{describe(_PARAM_TYPES[t])} · {describe(_PARAM_TYPES[t], 'id')}",
        )
        for t in param_types
    ]
    lines.extend(_table(("type", "YAML", "in expressions (en · id)"), rows))
    lines += ["", "### `by`", ""]
    lines.extend(_table(("by", "meaning"), [(_code(k), _BY[k]) for k in by_values]))
    lines += [
        "",
        "Example (from `rulesets/aid_caps.yaml`, shortened):",
        "",
        "```yaml",
        "allowed_item_categories:",
        "  type: list[str]",
        "  by: business_type",
        "  description: {id: Kategori barang yang boleh, en: Allowed item categories}",
        "  reference: Paket PENA Kemensos",
        "  values:",
        "    - from: 2025-01-01",
        "      value:",
        "        chicken_farming: [livestock, feed, cage, equipment, medicine]",
        "        workshop: [equipment, tools, spare_parts]",
        f'        "{ANY_TYPE}": [equipment, raw_material]',
        "```",
        "",
    ]
    return lines


def _rules() -> list[str]:
    kinds = _literal_values(schema.RuleSpec.model_fields["kind"].annotation)
    on_fail = _literal_values(schema.RuleSpec.model_fields["on_fail"].annotation)
    _check_documented("rule kinds", _KIND, kinds)
    _check_documented("values of `on_fail`", _ON_FAIL, on_fail)
    default_kind = schema.RuleSpec.model_fields["kind"].default
    default_on_fail = schema.RuleSpec.model_fields["on_fail"].default
    lines = ["## Rules and outcomes", "", f"### `kind` (default `{default_kind}`)", ""]
    lines.extend(_table(("kind", "meaning"), [(_code(k), _KIND[k]) for k in kinds]))
    lines += ["", f"### `on_fail` (default `{default_on_fail}`)", ""]
    lines.extend(
        _table(("on_fail", "when the check is false"), [(_code(k), _ON_FAIL[k]) for k in on_fail])
    )
    lines += [
        "",
        "### How a decision is reached",
        "",
        "1. Each rule applies only to the business types in `applies_to` (all when omitted) and "
        "only when its `when` expression is true; otherwise its status is `not_applicable`.",
        "2. `check` must give true/false: true is `passed`, false is `failed`. A rule whose "
        "expression fails while running (say, a division by zero) has status `error`.",
        "3. The outcome is `rejected` when any requirement with `on_fail: reject` failed; "
        "otherwise `needs_review` when any requirement with `on_fail: review` failed or any "
        "requirement had an `error`; otherwise `approved`.",
        "4. The aid value is the plan total (`plan.total`) when approved, else 0.",
        "5. Every failed requirement with `refer` adds a referral to that agency, whatever its "
        "`on_fail` (a referral never rejects by itself).",
        "6. Score rules give each business type a score; `fit.score`, `fit.max_score` and "
        "`fit.percent` are those of the planned type (rules that do not apply count in neither), "
        "and the decision ranks every type by percent.",
        "",
        "Rule ids are lower-case words joined by dots and must be unique across every loaded "
        "ruleset; by convention they start with the ruleset id (`eligibility.working_age`).",
        "",
    ]
    return lines


def _placeholders() -> list[str]:
    samples: tuple[tuple[str, Any, str], ...] = (
        ("{plan.total:rupiah}", 5_000_000, "rupiah"),
        ("{applicant.age}", 37, ""),
        ("{household.monthly_income}", 2_100_000, ""),
        ("{applicant.pkh_member}", True, ""),
        ("{params.excluded_occupations}", ("civil_servant", "police"), ""),
        ("{applicant.dtsen_decile}", None, ""),
        ("{applicant.birth_date}", date(1985, 3, 12), ""),
    )
    rows = [
        (_code(p), _code(format_value(v, spec, "id")), _code(format_value(v, spec, "en")))
        for p, v, spec in samples
    ]
    lines = [
        "## Messages and placeholders",
        "",
        "`title`, `reason` (shown when the check fails) and `passed` (shown when it passes; the "
        "title is used when omitted) each have an `id` (Bahasa Indonesia) and an `en` (English) "
        "text. `reason` and `passed` may contain placeholders:",
        "",
        "- `{path}` is replaced by a value the rule can read: a field of `applicant`, "
        "`household`, `plan`, `application` or `fit` that is always present (not inside an "
        "optional object such as `applicant.bank_account`), or a parameter `{params.name}`.",
        "- `{path:rupiah}` formats a whole number as rupiah. No other format exists.",
        "- `{{` and `}}` write a literal brace.",
        "",
        "How values are shown (real output of the formatter):",
        "",
    ]
    lines.extend(_table(("placeholder (value)", "id", "en"), rows))
    lines.append("")
    return lines


def _examples_section() -> list[str]:
    return [
        "## Worked examples",
        "",
        "`applications` holds named applications; each entry of `examples` starts from one "
        "(`given: name`, or a whole application written in place), changes fields with `set`, "
        "decides it on the date `on`, and lists what the decision must show in `expect`. "
        "`bansos-rules examples` runs them all.",
        "",
        "- `set` keys are dotted paths; list items are numbered from 0: "
        "`plan.items.0.unit_price: 2500000`, `household.members.2.in_school: false`. A whole "
        "item or list can be given as the value; `null` empties an optional field.",
        "- `expect.failed` / `expect.passed` list rule ids (requirement or score rules of the "
        "planned type) that must have that status; other rules are not checked.",
        "- `expect.referrals` lists the agencies exactly (in any order; repeat an agency when two "
        "rules refer to it); omit it to not check referrals, or give `[]` for none.",
        "- `expect.top_recommendation` is the business type ranked first.",
        "",
    ]


def _invariants_section(registry: Registry) -> list[str]:
    load_ruleset(_SKELETON + _INVARIANTS_YAML, "<reference invariants>", registry)
    sample_rules = ("<rule ids>",)
    sample_roots = invariant_roots(("<business types>",), sample_rules, registry.agencies)
    if set(sample_roots) - set(roots(("<business types>",), with_fit=True)) != {"decision"}:
        raise RuntimeError("tools/ruleset_reference.py: invariants gained a name; describe it")
    decision = decision_type(sample_rules, registry.agencies)
    rows = [
        (
            _code(f"decision.{name}"),
            f"{describe(attr.type)} · {describe(attr.type, 'id')}",
            attr.doc
            + (
                " One of " + ", ".join(_code(a) for a in sorted(registry.agencies)) + "."
                if name == "referrals"
                else ""
            ),
        )
        for name, attr in decision.fields.items()
    ]
    lines = [
        "## Invariants",
        "",
        "`invariants` lists properties that must hold for *every* decided application, such as "
        '"approved aid never exceeds the maximum in force". They are not applied to real '
        "applications; `bansos-rules check` decides a few hundred generated ones (any "
        "applicant, eligible applicants, plans next to the aid caps, plans with a cash line; on "
        "the dates where parameter values change) and judges each invariant on every decision. "
        "When one does not hold, it prints the smallest application found that breaks it as an "
        "entry ready to paste under `examples:`, expecting what the rules actually decided.",
        "",
        "- `holds` must be true for every decided application; `when` (optional) limits the "
        "invariant to the applications for which it is true. The report says how many tried "
        "applications satisfied `when`: none means the invariant tested nothing.",
        "- Both are expressions like a requirement rule's `check` (the same names, `fit` and the "
        "ruleset's own `params` included), with one more name, `decision`: what the rules "
        "decided.",
        "- A rule id written as text and compared with `decision.failed`, `decision.passed` or "
        "`decision.errors` must be a requirement rule; ids that start like this ruleset's are "
        "checked when the file loads, ids of other rulesets when the invariant is checked.",
        f"- `decision.outcome` is one of {', '.join(_code(o) for o in OUTCOMES)}.",
        "",
        "Example (the reference generator loads it, appended to the minimal file above):",
        "",
        "```yaml",
        _INVARIANTS_YAML.rstrip("\n"),
        "```",
        "",
        "### `decision`",
        "",
    ]
    lines.extend(_table(("path", "type (en · id)", "description"), rows))
    lines.append("")
    return lines


def _names() -> list[str]:
    registry_roots = roots(("<business types>",), with_fit=True)
    _check_documented("expression roots", _ROOTS, [*registry_roots, "params"])
    model_by_name = {
        cls.__name__: cls
        for cls in (getattr(models, n) for n in models.__all__)
        if isinstance(cls, type) and issubclass(cls, BaseModel)
    }
    root_objs: dict[int, str] = {}
    for name in ("applicant", "household", "plan"):
        root_objs[id(registry_roots[name])] = name
    lines = [
        "## Names in expressions",
        "",
        "An expression starts from one of these names:",
        "",
    ]
    root_rows = []
    for name, doc in _ROOTS.items():
        if name == "params":
            kind = "the ruleset's parameters"
        else:
            ty = registry_roots[name]
            kind = describe(ty) if not isinstance(ty, Prim) or not ty.choices else "text"
        root_rows.append((_code(name), kind, doc))
    lines.extend(_table(("name", "type", "meaning"), root_rows))
    lines += [
        "",
        "Below is every field reachable from them. `[]` marks the items of a list: a list is "
        "never indexed in an expression, its items are reached with `for x in LIST` inside "
        "`any`, `all`, `count`, `sum`, `min` or `max` (for example "
        "`any(aid.year == today.year for aid in household.aid_history)`). A type ending in "
        "*or None* may be empty: compare it with `is None` / `is not None` (or `==`, `!=`) "
        "first, as in `applicant.dtsen_decile is None or applicant.dtsen_decile <= 4`. Fields "
        "of type *a date* have `.year`, `.month` and `.day`.",
        "",
    ]
    for name in registry_roots:
        ty = registry_roots[name]
        if not isinstance(ty, Obj):
            continue
        rows: list[tuple[str, str, str]] = []
        stop = {k: v for k, v in root_objs.items() if v != name}
        _walk(name, ty, rows, stop, model_by_name, ())
        lines += [f"### `{name}`", ""]
        lines.extend(_table(("path", "type (en · id)", "description"), rows))
        lines.append("")
    return lines


def _walk(
    prefix: str,
    obj: Obj,
    rows: list[tuple[str, str, str]],
    stop: Mapping[int, str],
    model_by_name: Mapping[str, type[BaseModel]],
    seen: tuple[int, ...],
) -> None:
    model = model_by_name.get(obj.name)
    for name, attr in obj.fields.items():
        path = f"{prefix}.{name}"
        rows.append(
            (
                _code(path),
                f"{describe(attr.type)} · {describe(attr.type, 'id')}",
                _field_doc(attr, model, name),
            )
        )
        inner: Ty = attr.type.inner if isinstance(attr.type, Opt) else attr.type
        child_prefix = path
        if isinstance(inner, Seq):
            inner = inner.item
            child_prefix = path + "[]"
        if not isinstance(inner, Obj) or id(inner) in seen:
            continue
        if id(inner) in stop:
            rows.append((_code(child_prefix + ".…"), "", f"the same fields as `{stop[id(inner)]}`"))
            continue
        _walk(child_prefix, inner, rows, stop, model_by_name, (*seen, id(obj)))


def _field_doc(attr: Attr, model: type[BaseModel] | None, name: str) -> str:
    parts = [attr.doc.strip()] if attr.doc.strip() else []
    if attr.derived and not parts:
        parts.append("Computed when the rules run.")
    info = model.model_fields.get(name) if model is not None else None
    if info is not None:
        inner: Ty = attr.type.inner if isinstance(attr.type, Opt) else attr.type
        if not (isinstance(inner, Prim) and inner.choices):
            extra = _constraints(info.metadata)
            extra += _constraints(
                a for arg in typing.get_args(info.annotation) for a in typing.get_args(arg)[1:]
            )
            if extra:
                parts.append("Input: " + ", ".join(dict.fromkeys(extra)) + ".")
        if not info.is_required():
            default = info.default
            if info.default_factory is None and default is not PydanticUndefined:
                parts.append(f"Default {_code(_yaml_value(default))}.")
            elif info.default_factory is not None:
                parts.append("Default: empty / all defaults.")
    ty = attr.type.inner if isinstance(attr.type, Opt) else attr.type
    if isinstance(ty, Seq):
        ty = ty.item
    if isinstance(ty, Prim) and ty.choices:
        parts.append("One of " + ", ".join(_code(c) for c in sorted(ty.choices)) + ".")
    return " ".join(parts)


def _syntax(registry: Registry) -> list[str]:
    handled = sorted(
        name[len("visit_") :]
        for name, _ in inspect.getmembers(expr._Checker)
        if name.startswith("visit_")
    )
    refused: dict[str, list[str]] = {}
    for node, label in expr._UNSAFE.items():
        refused.setdefault(label, []).append(node.__name__)
    limits = (
        ("characters in one expression", f"{expr.MAX_SOURCE:,}", "expr-too-large"),
        ("syntax-tree nodes in one expression", f"{expr.MAX_NODES:,}", "expr-too-large"),
        ("size of a whole number", f"{expr.MAX_INT:,}", "expr-type"),
        ("characters in a text literal", f"{expr.MAX_STR:,}", "expr-type"),
        ("items in a list literal", f"{expr.MAX_LIST:,}", "expr-too-large"),
        (
            "steps one expression can take on the largest application (each list counted at "
            "its maximum length; a list without one at "
            f"{tree.UNKNOWN_LIST_LIMIT:,})",
            f"{expr.MAX_WORK:,}",
            "expr-too-much-work",
        ),
        ("bytes in a ruleset file", f"{_yaml.MAX_FILE_BYTES:,}", "file-too-large"),
        (
            "a whole number anywhere in the file (plain decimal only: no 0x, 0o, 0b, leading "
            "zeros, underscores or base 60)",
            f"{_yaml.MAX_INT:,}",
            "yaml-number-range",
        ),
    )
    scope = Scope(
        roots=roots(registry.business_type_codes(), with_fit=True),
        params=_SAMPLE_PARAMS,
        by_type=frozenset(),
        functions=registry.functions,
    )
    accepted_rows = []
    for source, shows in _ACCEPTED:
        compiled = compile_expr(source, scope)
        if compiled.type != BOOL:
            raise RuntimeError(f"reference example {source!r} is not true/false")
        accepted_rows.append((_code(source), shows))
    refused_rows = []
    for source, code in _REFUSED:
        try:
            compile_expr(source, scope)
        except ExprError as err:
            if err.code != code:
                raise RuntimeError(
                    f"reference example {source!r} gives {err.code}, expected {code}"
                ) from err
            refused_rows.append(
                (_code(source), _code(code), messages.render(err.code, "en", **err.args_))
            )
        else:
            raise RuntimeError(f"reference example {source!r} is accepted, expected {code}")
    lines = [
        "## Expression syntax",
        "",
        "`when` and `check` are expressions that read like Python and are parsed by Python's own "
        "`ast` module, then accepted only if every part is on an allow-list and every name, field "
        "and type checks out; this happens when the file loads, so a mistake is reported with its "
        "file, line and column before any application is decided. The language has no loops, "
        "imports, assignments or attribute escapes, so it always finishes and cannot reach "
        "anything but the application, the parameters and the registered functions.",
        "",
        "### Allowed",
        "",
        "- Syntax-tree nodes handled by the checker: "
        + ", ".join(f"`{n}`" for n in handled)
        + " (plus a generator `x for x in LIST if COND` as the only argument of an aggregate).",
        "- Comparisons: "
        + ", ".join(_code(op) for op in expr._CMP.values())
        + ". `<`, `<=`, `>`, `>=` compare two whole numbers or two dates; `==`/`!=` compare values "
        "of one type (or with `None`); `in`/`not in` need a list on the right; `is`/`is not` only "
        "compare with `None`. Comparisons chain: `a <= b <= c`.",
        "- Arithmetic on whole numbers only: "
        + ", ".join(_code(op) for op in expr._ARITH.values())
        + ", and unary `-`/`+`. There are no decimals: amounts are whole rupiah.",
        "- `and`, `or`, `not` on true/false values; `x if COND else y` with one type in both "
        "branches.",
        "- Literals: whole numbers, texts in quotes, `True`, `False`, `None`, and lists `[...]` "
        "(or tuples) of literals of one simple type. A text compared with a field that has fixed "
        "choices (such as `applicant.sex`) must be one of them.",
        "- Calls to the built-in aggregates and to registered functions, by name, with positional "
        "arguments of the declared types.",
        "- A generator has exactly one `for`, over a list, with a new name (not one of the root "
        "names) and any number of `if` conditions.",
        "- `x is not None and ...` (or `x is None or ...`) makes `x` usable as its inner type in "
        "the rest of the expression; this works on dotted names only.",
        "",
        "### Refused",
        "",
    ]
    lines.extend(
        _table(
            ("construct", "Python node"),
            [(label, ", ".join(f"`{n}`" for n in nodes)) for label, nodes in refused.items()],
        )
    )
    lines += [
        "",
        "Also refused: names and fields starting with `_`; calling a method (`x.f()`); keyword "
        'arguments; unknown names, fields and functions (with a "did you mean" hint); decimal '
        "numbers; empty list literals; reading a field of a value that may be None without a "
        "guard; a `check` or `when` that does not give true/false (`expr-not-bool`).",
        "",
        "### Limits",
        "",
    ]
    lines.extend(
        _table(("limit", "at most", "error code"), [(a, b, _code(c)) for a, b, c in limits])
    )
    lines += [
        "",
        "Names are compared as written: a name typed in other than plain ASCII letters (for "
        "example fullwidth letters) is refused (`expr-name-not-ascii`), and so is any control, "
        "bidirectional or invisible character anywhere in the file, comments included "
        "(`text-deceptive`). A whole-number parameter whose `unit` is one of "
        + ", ".join(
            f"`{unit}` ({low}..{high:,})" for unit, (low, high) in loader._UNIT_RANGES.items()
        )
        + " must lie in that range (`param-range`).",
    ]
    lines += ["", "### Examples that load", ""]
    lines.extend(_table(("expression", "shows"), accepted_rows))
    lines += ["", "### Examples that are refused (with the real message)", ""]
    lines.extend(_table(("expression", "code", "message"), refused_rows))
    lines.append("")
    return lines


def _functions(registry: Registry) -> list[str]:
    _check_documented("built-in calls", _BUILTINS, expr._BUILTIN_CALLS)
    lines = ["## Functions", "", "### Built-in", ""]
    lines.extend(
        _table(
            ("name", "forms", "gives", "meaning"),
            [(_code(name), sig, result, doc) for name, (sig, result, doc) in _BUILTINS.items()],
        )
    )
    lines += [
        "",
        "The generator forms of `min` and `max` give a value that may be None, and a call's result "
        "cannot be narrowed by an `is not None` guard (only dotted names can), so today they can "
        "only be compared with `is None`, `is not None`, `==` or `!=`.",
        "",
        "### Registered by plugins",
        "",
        "Plugins add functions through the `register_functions` hook; the built-in ones are:",
        "",
    ]
    rows = []
    for name in sorted(registry.functions):
        fn = registry.functions[name]
        names = list(inspect.signature(fn.impl).parameters)
        params = ", ".join(f"{p}: {describe(t)}" for p, t in zip(names, fn.params, strict=True))
        rows.append(
            (
                _code(f"{name}({', '.join(names)})"),
                params,
                describe(fn.returns),
                _first_line(fn.doc),
                _code(fn.plugin),
            )
        )
    lines.extend(_table(("function", "arguments", "gives", "meaning", "plugin"), rows))
    lines.append("")
    return lines


def _registered(registry: Registry) -> list[str]:
    lines = [
        "## Business types and agencies",
        "",
        "Codes that `applies_to`, `by: business_type` keys, `business_type` comparisons and "
        "`refer` may use. Plugins can add more.",
        "",
        "### Business types",
        "",
    ]
    lines.extend(
        _table(
            ("code", "id", "en", "plugin"),
            [
                (_code(code), bt.name_id, bt.name_en, _code(plugin))
                for code, (bt, plugin) in registry.business_types.items()
            ],
        )
    )
    lines += ["", "### Agencies (`refer`)", ""]
    lines.extend(
        _table(
            ("code", "id", "en", "plugin"),
            [
                (_code(code), ag.name_id, ag.name_en, _code(plugin))
                for code, (ag, plugin) in registry.agencies.items()
            ],
        )
    )
    lines.append("")
    return lines


def _diagnostics() -> list[str]:
    lines = [
        "## Diagnostics",
        "",
        "Every problem in a ruleset file is reported as "
        "`file:line:column: [rule id] message (code)`, all problems of all files at once, in "
        "the language chosen with `--lang` (`id` by default on the command line). Problems in "
        "the file's structure are found first; expressions, parameters and examples are checked "
        "once the structure is valid. The codes are stable; `{…}` marks what is filled in.",
        "",
    ]
    catalog: Mapping[str, tuple[str, str]] = messages._CATALOG
    lines.extend(
        _table(
            ("code", "id", "en"),
            [(_code(code), _code(id_), _code(en)) for code, (id_, en) in catalog.items()],
        )
    )
    lines += [
        "",
        "When a name is misspelt, the message ends with a hint such as "
        f'"({messages._HINT[1].format("on_fail")})" / "({messages._HINT[0].format("on_fail")})".',
        "",
    ]
    return lines


def generate(*, plugins: Plugins | None = None) -> str:
    """The ruleset format reference as Markdown.

    :param plugins: the plugins whose business types, agencies and functions to list; by default
        exactly the built-in ones, so that the output does not depend on what else is installed.
    :raises RuntimeError: when the code changed in a way the prose here does not cover yet.
    """
    registry, _engines = (plugins or _builtin_plugins()).collect()
    lines = [
        *_intro(),
        *_file_layout(registry),
        *_parameters(),
        *_rules(),
        *_placeholders(),
        *_examples_section(),
        *_invariants_section(registry),
        *_names(),
        *_syntax(registry),
        *_functions(registry),
        *_registered(registry),
        *_diagnostics(),
    ]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def _main() -> int:
    # Bytes, so that the file is UTF-8 whatever the terminal's locale.
    sys.stdout.flush()
    sys.stdout.buffer.write(generate().encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
