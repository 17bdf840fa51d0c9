"""The native engine: the whole rule book compiled into one Python function.

The rule tree of every rule is turned into Python (:class:`._python.Emitter`) and laid out in one
function body, in the book's slot order:

1. the application's parts, the parameters in force and every always-present value, read once;
2. each score rule for each candidate business type;
3. the planned type's fit score;
4. each requirement rule, each in its own ``try`` so that one failing rule (a division by zero)
   marks only itself as an error instead of losing the decision;
5. the outcome, and a :class:`~bansos_rules._decision.Decision` holding the raw results.

The generated source is kept on :attr:`NativeEngine.source` for inspection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from bansos_rules._decision import Decision, Outcome, RuleError
from bansos_rules.engines._python import Emitter
from bansos_rules.ruleset.ir import Rule, for_business_type
from bansos_rules.ruleset.vocabulary import RUNTIME_HELPERS, FitScore, fit_percent

if TYPE_CHECKING:
    from bansos_rules._book import Layout, RuleBook
    from bansos_rules._models import Application

__all__ = ["NativeEngine"]


class NativeEngine:
    """Evaluates a rule book with generated Python code."""

    name = "native"

    def __init__(self, book: RuleBook) -> None:
        self.layout = book.layout
        emitter = _emitter(book)
        self.source = _generate(self.layout, emitter)
        namespace: dict[str, Any] = {
            **emitter.namespace,
            "_E": RuleError,
            "_T": tuple.__new__,
            "_D": Decision,
            "_fitof": _fit_function(self.layout),
            "_bytype": for_business_type,
            "_layout": self.layout.manifest,
            "_engine": self.name,
            "_APPROVED": Outcome.APPROVED,
            "_REJECTED": Outcome.REJECTED,
            "_NEEDS_REVIEW": Outcome.NEEDS_REVIEW,
        }
        code = compile(self.source, "<bansos_rules.native>", "exec")
        exec(code, namespace)
        self._fn: Callable[..., Decision] = namespace["_decide"]
        self._params_on = self.layout.params_on

    def decide(self, application: Application, on: date) -> Decision:
        """Decide one valid application with the rules in force on ``on``."""
        params = self._params_on(on)
        return self._fn(application, on, params.locals, params.by_type)


def _emitter(book: RuleBook) -> Emitter:
    """The emitter for ``book``: a numbered local per value, parameter slot and by-type slot."""
    layout = book.layout
    params: dict[tuple[str, str, str | None], str] = {
        slot: f"_p{i}" for i, slot in enumerate(layout.param_slots)
    }
    for i, (ruleset, name) in enumerate(layout.by_type_slots):
        params[(ruleset, name, None)] = f"_q{i}"
    return Emitter(
        values={path: f"_v{i}" for i, path in enumerate(layout.values)},
        params=params,
        functions={name: fn.impl for name, fn in book.registry.functions.items()},
        helpers=RUNTIME_HELPERS,
    )


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


def _condition(emitter: Emitter, rule: Rule, candidate: str | None) -> str:
    """The Python expression of one rule variant: its check, guarded by where it applies."""
    variant = rule.variants[candidate]
    conditions = []
    if candidate is None and rule.applies_to is not None:
        conditions.append("_bt in {" + ", ".join(repr(t) for t in sorted(rule.applies_to)) + "}")
    if variant.when is not None:
        conditions.append(emitter.expr(variant.when.tree))
    check = emitter.expr(variant.check.tree)
    return f"{check} if ({' and '.join(conditions)}) else None" if conditions else check


def _guarded(target: str, expr: str, *, count_error: bool) -> list[str]:
    lines = ["    try:", f"        {target} = {expr}", "    except Exception as _exc:"]
    lines.append(f"        {target} = _E(_exc)")
    if count_error:
        lines.append("        _nerr = 1")
    return lines


def _generate(layout: Layout, emitter: Emitter) -> str:
    lines = [
        "def _decide(_app, _today, _pv, _pvb):",
        "    _a = _app.applicant",
        "    _h = _app.household",
        "    _pl = _app.plan",
        "    _bt = _pl.business_type",
    ]
    if layout.param_slots:
        names = ", ".join(f"_p{i}" for i in range(len(layout.param_slots)))
        lines.append(f"    ({names},) = _pv")
    for i in range(len(layout.by_type_slots)):
        lines.append(f"    _q{i} = _bytype(_pvb[{i}], _bt)")
    after_fit: list[str] = []
    for path, node in layout.values.items():
        line = f"    {emitter.values[path]} = {emitter.define(node)}"
        (after_fit if node.root == "fit" else lines).append(line)
    lines.append("    _nerr = 0")
    score_targets = []
    computed: dict[str, str] = {}
    for slot, (rule, candidate) in enumerate(layout.scores):
        target = f"_s{slot}"
        score_targets.append(target)
        expr = _condition(emitter, rule, candidate)
        if expr in computed:
            # The same condition for another business type (e.g. "has a kitchen"): reuse it.
            lines.append(f"    {target} = {computed[expr]}")
            continue
        computed[expr] = target
        lines.extend(_guarded(target, expr, count_error=False))
    lines.append("    _sc = (" + "".join(t + ", " for t in score_targets) + ")")
    if any(e.uses_fit for rule in layout.rules for v in rule.variants.values() for e in v.exprs):
        lines.append("    _fit = _fitof(_bt, _sc)")
    lines.extend(after_fit)
    targets = []
    rejecting, reviewing = [], []
    for slot, rule in enumerate(layout.rules):
        target = f"_r{slot}"
        targets.append(target)
        lines.extend(_guarded(target, _condition(emitter, rule, None), count_error=True))
        if rule.on_fail == "reject":
            rejecting.append(f"{target} is False")
        elif rule.on_fail == "review":
            reviewing.append(f"{target} is False")
    lines.append(f"    if {' or '.join(rejecting) or 'False'}:")
    lines.append("        _out = _REJECTED")
    lines.append(f"    elif {' or '.join(['_nerr', *reviewing])}:")
    lines.append("        _out = _NEEDS_REVIEW")
    lines.append("    else:")
    lines.append("        _out = _APPROVED")
    lines.append(f"    _total = {emitter.values.get('plan.total', '_pl.total')}")
    values = "(" + "".join(emitter.values[path] + ", " for path in layout.value_paths) + ")"
    results = "(" + "".join(t + ", " for t in targets) + ")"
    lines.append(
        "    return _T(_D, (_app.id, _out, _total if _out is _APPROVED else 0, _today, _engine,"
        f" _layout, _bt, _total, {results}, _sc, {values}))"
    )
    return "\n".join(lines) + "\n"
