"""The native engine: the whole rule book compiled into one Python function.

Each rule's expression was already checked and turned into Python by the loader; here they are laid
out in one function body, in the book's slot order:

1. the application's parts, the parameters in force and every hoisted value, read once;
2. each score rule for each candidate business type;
3. the planned type's fit score;
4. each requirement rule, each in its own ``try`` so that one failing rule (a division by zero)
   marks only itself as an error instead of losing the decision;
5. the outcome, and a :class:`~bansos_rules.decision.Decision` holding the raw results.

The generated source is kept on :attr:`NativeEngine.source` for inspection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from bansos_rules.decision import Decision, Outcome, RuleError
from bansos_rules.ruleset.ir import Rule, for_business_type
from bansos_rules.ruleset.vocabulary import RUNTIME_HELPERS, FitScore, fit_percent

if TYPE_CHECKING:
    from bansos_rules.book import Layout, RuleBook
    from bansos_rules.models import Application

__all__ = ["NativeEngine"]

_BUILTINS = {
    "len": len,
    "any": any,
    "all": all,
    "sum": sum,
    "min": min,
    "max": max,
    "abs": abs,
    "Exception": Exception,
}


class NativeEngine:
    """Evaluates a rule book with generated Python code."""

    name = "native"

    def __init__(self, book: RuleBook) -> None:
        self.layout = book.layout
        self.source = _generate(self.layout)
        namespace: dict[str, Any] = {
            "__builtins__": _BUILTINS,
            "_E": RuleError,
            "_T": tuple.__new__,
            "_D": Decision,
            "_fit": _fit_function(self.layout),
            "_bt": for_business_type,
            "LAYOUT": self.layout,
            "ENGINE": self.name,
            "APPROVED": Outcome.APPROVED,
            "REJECTED": Outcome.REJECTED,
            "NEEDS_REVIEW": Outcome.NEEDS_REVIEW,
            **RUNTIME_HELPERS,
        }
        for name, fn in book.registry.functions.items():
            namespace["F_" + name] = fn.impl
        code = compile(self.source, "<bansos_rules.native>", "exec")
        exec(code, namespace)
        self._fn: Callable[..., Decision] = namespace["decide"]
        self._params_on = self.layout.params_on

    def decide(self, application: Application, on: date) -> Decision:
        """Decide one valid application with the rules in force on ``on``."""
        params = self._params_on(on)
        return self._fn(application, on, params.locals, params.by_type)


def _fit_function(layout: Layout) -> Callable[[str, tuple[Any, ...]], FitScore]:
    table: dict[str, list[tuple[int, int]]] = {code: [] for code in layout.business_types}
    for slot, (rule, candidate) in enumerate(layout.scores):
        table[candidate].append((slot, rule.points))
    frozen = {code: tuple(rows) for code, rows in table.items()}

    def fit(business_type: str, scores: tuple[Any, ...]) -> FitScore:
        score = most = 0
        for slot, points in frozen.get(business_type, ()):
            result = scores[slot]
            if result is None:
                continue
            most += points
            if result is True:
                score += points
        return FitScore(score, most, fit_percent(score, most))

    return fit


def _condition(rule: Rule, candidate: str | None) -> str:
    """The Python expression of one rule variant: its check, guarded by where it applies."""
    variant = rule.variants[candidate]
    conditions = []
    if candidate is None and rule.applies_to is not None:
        conditions.append("BT in {" + ", ".join(repr(t) for t in sorted(rule.applies_to)) + "}")
    if variant.when is not None:
        conditions.append(variant.when.code)
    check = variant.check.code
    return f"{check} if ({' and '.join(conditions)}) else None" if conditions else check


def _guarded(target: str, expr: str, *, count_error: bool) -> list[str]:
    lines = ["    try:", f"        {target} = {expr}", "    except Exception as exc:"]
    lines.append(f"        {target} = _E(exc)")
    if count_error:
        lines.append("        NERR = 1")
    return lines


def _generate(layout: Layout) -> str:
    lines = [
        "def decide(APP, TODAY, PV, PVB):",
        "    A = APP.applicant",
        "    H = APP.household",
        "    PL = APP.plan",
        "    BT = PL.business_type",
    ]
    if layout.param_slots:
        names = ", ".join(slot[0] for slot in layout.param_slots)
        lines.append(f"    ({names},) = PV")
    for i, local in enumerate(layout.by_type_locals):
        lines.append(f"    {local} = _bt(PVB[{i}], BT)")
    after_fit: list[str] = []
    for local, code, _ty, needs_fit in layout.hoisted.values():
        (after_fit if needs_fit else lines).append(f"    {local} = {code}")
    lines.append("    NERR = 0")
    score_targets = []
    computed: dict[str, str] = {}
    for slot, (rule, candidate) in enumerate(layout.scores):
        target = f"s{slot}"
        score_targets.append(target)
        expr = _condition(rule, candidate)
        if expr in computed:
            # The same condition for another business type (e.g. "has a kitchen"): reuse it.
            lines.append(f"    {target} = {computed[expr]}")
            continue
        computed[expr] = target
        lines.extend(_guarded(target, expr, count_error=False))
    lines.append("    SC = (" + "".join(t + ", " for t in score_targets) + ")")
    uses_fit = any(
        v.check.uses_fit or (v.when is not None and v.when.uses_fit)
        for rule in layout.rules
        for v in rule.variants.values()
    )
    if uses_fit:
        lines.append("    FIT = _fit(BT, SC)")
    lines.extend(after_fit)
    targets = []
    rejecting, reviewing = [], []
    for slot, rule in enumerate(layout.rules):
        target = f"r{slot}"
        targets.append(target)
        lines.extend(_guarded(target, _condition(rule, None), count_error=True))
        if rule.on_fail == "reject":
            rejecting.append(f"{target} is False")
        elif rule.on_fail == "review":
            reviewing.append(f"{target} is False")
    lines.append(f"    if {' or '.join(rejecting) or 'False'}:")
    lines.append("        OUT = REJECTED")
    lines.append(f"    elif {' or '.join(['NERR', *reviewing])}:")
    lines.append("        OUT = NEEDS_REVIEW")
    lines.append("    else:")
    lines.append("        OUT = APPROVED")
    total = layout.hoisted["plan.total"][0] if "plan.total" in layout.hoisted else "PL.total"
    lines.append(f"    TOTAL = {total}")
    values = "(" + "".join(entry[0] + ", " for entry in layout.hoisted.values()) + ")"
    results = "(" + "".join(t + ", " for t in targets) + ")"
    lines.append(
        "    return _T(_D, (APP.id, OUT, TOTAL if OUT is APPROVED else 0, TODAY, ENGINE, LAYOUT,"
        f" BT, TOTAL, {results}, SC, {values}))"
    )
    return "\n".join(lines) + "\n"
