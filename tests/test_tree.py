"""The rule tree: one parse per expression, typed and placed nodes, hygienic generated code."""

from __future__ import annotations

import ast
import textwrap
from datetime import date

import pytest

from bansos_rules.engines._python import BUILTINS
from bansos_rules.ruleset import tree
from bansos_rules.ruleset.types import BOOL, INT, Seq
from tests._support import base_application, book_of, builtin_book, rule, ruleset_text

ON = date(2025, 6, 1)

# Every kind of name the generated code uses, without its leading underscore: fixed names (the
# roots and the function's own locals) and numbered ones (values, parameters, by-type parameters,
# functions, loop variables, helpers, score and rule results).
_INTERNAL = [
    "app", "a", "h", "pl", "bt", "today_", "fit_", "dec", "nerr", "out", "total", "sc", "exc",
    "layout", "engine", "decide", "judge", "fitof", "bytype", "pv", "pvb",
    "v0", "v1", "p0", "p1", "q0", "f0", "f1", "x0", "x1", "d0", "s0", "r0", "r1",
]  # fmt: skip


def _names_in(source: str) -> set[str]:
    parsed = ast.parse(source)
    names = {n.id for n in ast.walk(parsed) if isinstance(n, ast.Name)}
    names |= {n.name for n in ast.walk(parsed) if isinstance(n, ast.FunctionDef)}
    names |= {a.arg for n in ast.walk(parsed) if isinstance(n, ast.arguments) for a in n.args}
    return names


def test_generated_code_names_only_underscored_locals_and_allowed_builtins() -> None:
    source = builtin_book().engine("native").source
    foreign = {n for n in _names_in(source) if not n.startswith("_") and n not in BUILTINS}
    assert foreign == set()


def test_a_name_in_a_ruleset_cannot_start_with_an_underscore() -> None:
    from bansos_rules._errors import RulesetError

    for check, code in [
        ("_v0 > 1", "expr-unsafe"),
        ("params._p0 > 1", "expr-unsafe"),
        ("_f0(applicant.skills, applicant.skills)", "expr-unsafe"),
        ("any(_x0.is_cash for _x0 in plan.items)", "expr-type"),
    ]:
        with pytest.raises(RulesetError) as info:
            book_of(ruleset_text(rule(check)))
        assert info.value.diagnostics[0].code == code, check


def _hygiene_ruleset() -> str:
    # A parameter for every internal name, each with its own value; one rule reads them all and
    # a loop variable takes each name too.
    params = "".join(
        f"{name}:\n"
        "  type: int\n"
        "  description: {id: uji, en: test}\n"
        "  reference: test\n"
        f"  values: [{{from: 2025-01-01, value: {i + 1}}}]\n"
        for i, name in enumerate(_INTERNAL)
    )
    total = sum(range(1, len(_INTERNAL) + 1))
    reads = " + ".join(f"params.{name}" for name in _INTERNAL)
    loops = " and ".join(
        f"all({name}.quantity > 0 for {name} in plan.items)" for name in _INTERNAL[:8]
    )
    return ruleset_text(
        rule(f"{reads} == {total}", rule_id="t.sum")
        + rule(loops, rule_id="t.loops")
        + rule(f"{reads} != {total}", rule_id="t.differs"),
        parameters=params,
    )


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_content_named_like_internal_names_decides_as_written(engine: str) -> None:
    book = book_of(_hygiene_ruleset())
    if engine not in book.engines:
        pytest.skip(f"engine {engine} not available")
    decision = book.evaluate(base_application(), on=ON, engine=engine)
    assert decision.results == (True, True, False)


_COLLISION = """\
skills:
  type: list[str]
  by: business_type
  description: {id: uji, en: test}
  reference: test
  values:
    - from: 2025-01-01
      value: {food: [cooking], "*": []}
skills__food:
  type: list[str]
  description: {id: uji, en: test}
  reference: test
  values:
    - {from: 2025-01-01, value: [welding]}
"""


def test_a_parameter_named_like_a_by_type_value_keeps_its_own_value() -> None:
    score = """\
- id: t.skill
  kind: score
  points: 1
  title: {id: Keterampilan, en: Skill}
  reference: test
  check: overlaps(applicant.skills, params.skills)
  reason: {id: tidak cocok, en: not a fit}
"""
    check = (
        "overlaps(['welding'], params.skills__food)"
        " and not overlaps(['cooking'], params.skills__food)"
    )
    book = book_of(ruleset_text(score + rule(check), parameters=_COLLISION))
    app = base_application(applicant__skills=["cooking"])
    for engine in book.engines:
        decision = book.evaluate(app, on=ON, engine=engine)
        assert decision.results == (True,), engine
        food = next(r for r in decision.recommendations if r.business_type == "food")
        assert (food.score, food.max_score) == (1, 1), engine


def test_nodes_carry_their_type_and_place_in_the_file() -> None:
    text = ruleset_text(
        textwrap.dedent(
            """\
            - id: t.multi
              title: {id: Uji, en: Test}
              reference: test
              check: >
                applicant.age >= 18
                and len(plan.items) > 0
              reason: {id: gagal, en: failed}
            """
        )
    )
    book = book_of(text)
    (found,) = book.layout.rules
    expr = found.variants[None].check
    assert expr.type == BOOL
    by_text = {tree.unparse(n): n for n in expr.nodes()}
    lines = text.splitlines()
    for shown, written in [("applicant.age", "applicant.age"), ("len(plan.items)", "len(")]:
        node = by_text[shown]
        row = next(i for i, line in enumerate(lines, 1) if written in line)
        assert (node.line, node.column) == (row, lines[row - 1].index(written) + 1)
    assert by_text["applicant.age"].ty == INT
    assert by_text["plan.items"].ty == Seq(by_text["plan.items"].ty.item)  # type: ignore[attr-defined]


def test_engines_lint_and_invariants_never_parse_source_text() -> None:
    import bansos_rules

    root = bansos_rules.__file__.rsplit("/", 1)[0]
    import pathlib

    parsing = sorted(
        str(path.relative_to(root))
        for path in pathlib.Path(root).rglob("*.py")
        if "ast.parse(" in path.read_text(encoding="utf-8")
    )
    assert parsing == ["ruleset/expr.py"]


def _every_expression() -> list[tuple[str, tree.Expr]]:
    layout = builtin_book().layout
    return [
        (rule.ruleset, expr)
        for rule in (*layout.rules, *(r for r, _ in layout.scores))
        for variant in rule.variants.values()
        for expr in variant.exprs
    ]


def test_written_back_every_shipped_expression_checks_to_the_same_tree() -> None:
    from bansos_rules.ruleset.expr import Scope, compile_expr
    from bansos_rules.ruleset.types import Attr, Obj
    from bansos_rules.ruleset.vocabulary import roots
    from tests._support import registry

    expressions = _every_expression()
    for ruleset, expr in expressions:
        params = [n for n in expr.nodes() if isinstance(n, tree.Param)]
        scope = Scope(
            roots=roots(registry().business_type_codes(), with_fit=True),
            params=Obj("params", {p.name: Attr(p.ty) for p in params}),
            by_type=frozenset(p.name for p in params if p.by_type),
            functions=registry().functions,
            candidate=next((p.candidate for p in params if p.candidate), None),
            ruleset=ruleset,
        )
        again = compile_expr(tree.unparse(expr.tree), scope)
        assert again.tree == expr.tree, expr.source
        assert (again.reads, again.params) == (expr.reads, expr.params), expr.source
    assert len(expressions) > 50
