"""Compare two versions of the rulesets: what changed in them, and what it does to decisions.

::

    open_side(spec)                  a directory, a file, or a git revision (REV or REV:path)
    load_books(old, new)             a rule book for each side
    structural_diff(old, new)        rulesets, rules and parameters added, removed, changed
    impact(old, new, population)     decisions that flip, aid that moves, by regency and type
    diff_report(old_spec, new_spec)  all of the above in one :class:`DiffReport`
    to_markdown(report), to_json(report)

The package follows the same flow: ``_sources.py`` (the sides), ``_structure.py`` (structural
diff), ``_impact.py`` (impact on records or on the books' generated
:class:`~bansos_rules.testing.Population`), ``_report.py`` (the report), ``_markdown.py`` and
``_json.py`` (renderers).

A side's ruleset files replace the installed plugins' rulesets of the same id, exactly as
``--rulesets`` does for the other commands; rulesets that neither side's files define come from
the plugins and are the same on both sides. A ruleset id that one side's files define and the
other side's files do not is absent from that other side even when a plugin contributes it, so a
deleted file shows as a removed ruleset. With ``only=True`` the plugins' rulesets are not loaded
at all and each side is exactly its files.
"""

from bansos_rules.diff._impact import (
    DEFAULT_GENERATED,
    Applicant,
    Generated,
    Impact,
    InvalidRecord,
    Population,
    RuleStatusChange,
    Tally,
    Transition,
    generate_applications,
    impact,
    rule_changes,
    shrink_application,
)
from bansos_rules.diff._json import JSON_FORMAT, to_dict, to_json
from bansos_rules.diff._markdown import to_markdown
from bansos_rules.diff._report import DiffReport, diff_report
from bansos_rules.diff._sources import (
    DEFAULT_PATH,
    DiffSourceError,
    Side,
    default_new,
    load_books,
    open_side,
    repo_root,
)
from bansos_rules.diff._structure import (
    ChangeKind,
    FieldChange,
    ParameterDiff,
    RuleDiff,
    RulesetDiff,
    StructuralDiff,
    ValueChange,
    structural_diff,
)

__all__ = [
    "DEFAULT_GENERATED",
    "DEFAULT_PATH",
    "JSON_FORMAT",
    "Applicant",
    "ChangeKind",
    "DiffReport",
    "DiffSourceError",
    "FieldChange",
    "Generated",
    "Impact",
    "InvalidRecord",
    "ParameterDiff",
    "Population",
    "RuleDiff",
    "RuleStatusChange",
    "RulesetDiff",
    "Side",
    "StructuralDiff",
    "Tally",
    "Transition",
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
