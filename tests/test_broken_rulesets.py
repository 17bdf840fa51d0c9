"""Broken ruleset files give exact, located diagnostics in both languages, never a traceback.

In the style of OpenFisca's parameter_validation tests: each mistake has its own small fixture in
``tests/broken/`` (a realistic ruleset with exactly one thing wrong), and one table says, for each
file, the diagnostic code, its 1-based line and column, the rule id, and what the message must
mention in Indonesian and English. Each row also says how to repair the file; the repaired text
must load, which shows the diagnostic comes from that one mistake and nothing else in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bansos_rules import load_rules
from bansos_rules._errors import Diagnostic, RulesetError
from bansos_rules._manager import load_plugins
from bansos_rules._messages import known_codes
from bansos_rules._registry import Registry
from bansos_rules.ruleset.loader import load_ruleset

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
REAL = HERE.parent / "rulesets"


@dataclass(frozen=True)
class Case:
    """One broken file (or, for cross-file checks, several) and the diagnostic it must give."""

    files: tuple[str, ...]
    code: str
    line: int | None
    column: int | None
    rule: str | None
    says: tuple[str, ...]
    """Must appear in both the Indonesian and the English message."""
    fix: tuple[str, str]
    """``(old, new)``: replacing the last ``old`` in the last file repairs it."""
    also: tuple[str, ...] = ()
    """Other codes the same error lists (a mistake that is also a consequence)."""
    book: bool = False
    """Checked when rulesets are put together (:func:`load_rules`), not per file."""

    @property
    def id(self) -> str:
        return self.files[-1].removesuffix(".yaml")


def case(
    file: str | tuple[str, ...],
    code: str,
    line: int | None,
    column: int | None,
    rule: str | None,
    says: tuple[str, ...],
    fix: tuple[str, str],
    *,
    also: tuple[str, ...] = (),
    book: bool = False,
) -> Case:
    files = (file,) if isinstance(file, str) else file
    return Case(files, code, line, column, rule, says, fix, also, book)


R = "broken.working_age"

# fmt: off
CASES = [
    # --- YAML ----------------------------------------------------------------------------------
    # PyYAML notices the unclosed '[' at the ':' of the next line's key.
    case("yaml_syntax_unclosed_bracket.yaml", "yaml-unclosed-bracket", 24, 17, None,
         ("'['", "']'"), ("[food, drinks\n", "[food, drinks]\n")),
    case("yaml_duplicate_key.yaml", "duplicate-key", 25, 5, None,
         ("'check'", "24"), ("    check: applicant.pkh_member\n", "")),
    case("yaml_invalid_date.yaml", "yaml-syntax", 15, 15, None,
         ("'2025-02-30'", "not a valid date"), ("2025-02-30", "2025-02-28")),
    # YAML 1.1 reads these as numbers other than the one written: only plain decimal is allowed.
    case("param_value_hex.yaml", "yaml-number-form", 16, 16, None,
         ("'0x12'", "18"), ("value: 0x12", "value: 18")),
    case("param_value_base60.yaml", "yaml-number-form", 16, 16, None,
         ("'1:30'",), ("value: 1:30", "value: 18")),
    case("param_value_octal.yaml", "yaml-number-form", 16, 16, None,
         ("'017'",), ("value: 017", "value: 17")),
    case("param_value_past_64_bits.yaml", "yaml-number-range", 16, 16, None,
         ("'18446744073709551616'", "9223372036854775807"),
         ("value: 18446744073709551616", "value: 18")),
    case("param_value_too_many_digits.yaml", "yaml-number-range", 16, 16, None,
         ("'1000000000",), ("value: 1" + "0" * 5000, "value: 18")),
    case("yaml_tag_scalar.yaml", "yaml-unsupported", 2, 10, None,
         ("tag !!str",), ("ruleset: !!str broken", "ruleset: broken")),
    case("yaml_tag_sequence.yaml", "yaml-unsupported", 14, 13, None,
         ("tag !!seq",), ("values: !!seq", "values:")),
    case("yaml_tag_mapping.yaml", "yaml-unsupported", 10, 18, None,
         ("tag !!map",), ("description: !!map", "description:")),
    case("yaml_tag_custom.yaml", "yaml-unsupported", 23, 16, None,
         ("tag !include",), ("!include kube.txt", "Preseden kriteria KUBE Kemensos")),
    case("yaml_empty.yaml", "file-empty", 1, 1, None,
         ("'ruleset:'", "'rules:'"),
         ("# Mistake: an empty file (only this comment).\n",
          (BROKEN / "expr_unknown_name.yaml").read_text(encoding="utf-8")
          .replace("aplicant", "applicant"))),
    # --- text that deceives: shown one way, read another ----------------------------------------
    case("text_bidi_in_expression.yaml", "text-deceptive", 24, 12, None,
         ("U+202E", "RIGHT-TO-LEFT OVERRIDE"), (" \\u202e", "")),
    case("text_ansi_in_message.yaml", "text-deceptive", 28, 11, None,
         ("U+001B",), ("\\e[2K\\r", "")),
    case("text_zero_width_in_id.yaml", "text-deceptive", 19, 23, None,
         ("U+200B", "ZERO WIDTH SPACE"), ("working\u200b_age", "working_age")),
    case("text_bidi_in_comment.yaml", "text-deceptive", 19, 5, None,
         ("U+2067",), ("  # \u2067\u2066 check: applicant.age >= 0 \u2069\u2066\n", "")),
    case("expr_fullwidth_name.yaml", "expr-name-not-ascii", 24, 12, R,
         ("'\uff41\uff50\uff50\uff4c\uff49\uff43\uff41\uff4e\uff54'", "a-z"),
         ("\uff41\uff50\uff50\uff4c\uff49\uff43\uff41\uff4e\uff54", "applicant")),
    # --- slips of hand-edited YAML, said so an analyst can fix them ------------------------------
    case("yaml_tab_indent.yaml", "yaml-tab", 25, 1, None,
         ("tab",), ("\ton_fail: reject", "    on_fail: reject")),
    # Shown where the quote opens, not where the file ends.
    case("yaml_unclosed_quote.yaml", "yaml-unclosed-quote", 22, 11, None,
         ("'",), ("en: 'Working age", "en: 'Working age'")),
    case("yaml_uneven_indent.yaml", "yaml-indent", 25, 13, None,
         ("':",), ("     on_fail: reject", "    on_fail: reject")),
    case("param_date_day_first.yaml", "field-invalid", 15, 15, None,
         ("values[1].from", "'01-01-2025'", "2025-01-01"),
         ("from: 01-01-2025", "from: 2025-01-01")),
    # --- file structure ------------------------------------------------------------------------
    case("field_unknown_refrence.yaml", "field-unknown", 23, 5, R,
         ("'refrence'", "'reference'"), ("refrence:", "reference:"),
         also=("reference-missing",)),
    case("field_wrong_type_points.yaml", "field-invalid", 25, 13, R,
         ("rules[1].points", "'many'"), ("points: many", "points: 30")),
    case("field_wrong_type_on_fail.yaml", "field-invalid", 25, 14, R,
         ("rules[1].on_fail", "'reject'", "'review'", "'none'", "'maybe'"),
         ("on_fail: maybe", "on_fail: review")),
    case("rule_missing_reference.yaml", "reference-missing", 19, 5, R,
         (f"'{R}'", "reference"),
         ("    check:", "    reference: Preseden kriteria KUBE Kemensos\n    check:")),
    case("rule_empty_reference.yaml", "reference-missing", 23, 16, R,
         (f"'{R}'", "reference"),
         ('    reference: ""', "    reference: Preseden kriteria KUBE Kemensos")),
    case("rule_missing_check.yaml", "field-missing", 19, 5, R,
         ("'check'",),
         ("    on_fail:", "    check: applicant.age >= params.min_age\n    on_fail:")),
    case("param_value_missing_reference.yaml", "reference-missing", 14, 9, None,
         ("'min_age'", "2025-01-01", "reference"),
         ("value: 18\n", "value: 18\n        reference: Preseden kriteria KUBE Kemensos\n")),
    # --- expressions: names (an unknown field is shown at its name, after the dot) --------------
    case("expr_unknown_name.yaml", "expr-unknown-name", 24, 12, R,
         ("'aplicant'", "'applicant'"), ("aplicant", "applicant")),
    case("expr_unknown_field.yaml", "expr-unknown-field", 24, 22, R,
         ("'applicant'", "'agee'", "'age'"), ("agee", "age")),
    case("expr_unknown_param.yaml", "expr-unknown-field", 24, 36, R,
         ("'params'", "'min_agee'", "'min_age'"), ("min_agee", "min_age")),
    case("expr_unknown_function.yaml", "expr-unknown-function", 24, 12, R,
         ("'overlap'", "'overlaps'"), ("overlap(", "overlaps(")),
    # --- expressions: syntax and types -----------------------------------------------------------
    case("expr_syntax.yaml", "expr-syntax", 24, 26, R,
         ("invalid syntax",), ("=>", ">=")),
    case("expr_type_compare_text.yaml", "expr-type", 24, 12, R,
         ("'>='",), ('"18"', "18")),
    case("expr_type_add_text.yaml", "expr-type", 24, 12, R,
         ("'+'",), ('plan.total + "x"', "plan.total + 1")),
    case("expr_not_bool.yaml", "expr-not-bool", 24, 12, R,
         ("'check'",), ("check: applicant.age\n", "check: applicant.age >= 18\n")),
    case("expr_float_literal.yaml", "expr-type", 24, 26, R,
         ("rupiah",), ("5000000.0", "5000000")),
    case("expr_optional_unguarded.yaml", "expr-type", 24, 11, R,
         ("'applicant.dtsen_decile'", "is not None"),
         ("when: applicant.dtsen_decile <= 4",
          "when: applicant.dtsen_decile is not None and applicant.dtsen_decile <= 4")),
    case("expr_literal_not_a_choice.yaml", "expr-literal", 24, 36, R,
         ("'civil_sevant'", "'civil_servant'"), ("civil_sevant", "civil_servant")),
    case("expr_too_much_work.yaml", "expr-too-much-work", 24, 12, R,
         ("9,040,403", "50,000"),
         ("all(all(all(a.quantity <= b.quantity + c.quantity for c in plan.items) "
          "for b in plan.items) for a in plan.items)", "applicant.age >= params.min_age")),
    case("expr_too_large.yaml", "expr-too-large", 24, 12, R,
         ("461", "300"), (" + 1" * 150, "")),
    # --- expressions: what the allow-list refuses ------------------------------------------------
    case("expr_unsafe_import.yaml", "expr-unsafe", 24, 12, R,
         ("'__import__'",), ("__import__('os') is not None", "applicant.pkh_member")),
    case("expr_unsafe_dunder_attribute.yaml", "expr-unsafe", 24, 22, R,
         ("'__class__'",), ("applicant.__class__ == applicant.__class__", "applicant.pkh_member")),
    # Quoted: the column is the 'l' of lambda, one after the quote.
    case("expr_unsafe_lambda.yaml", "expr-unsafe", 24, 13, R,
         ("lambda",), ("lambda applicant: ", "")),
    case("expr_unsafe_power.yaml", "expr-unsafe", 24, 26, R,
         ("'**'",), ("2 ** 1000", "10 * 1000")),
    case("expr_unsafe_list_comprehension.yaml", "expr-unsafe", 24, 16, R,
         ("list comprehension",),
         ('len([s for s in applicant.skills if s == "cooking"]) > 0',
          'any(s == "cooking" for s in applicant.skills)')),
    case("expr_unsafe_method_call.yaml", "expr-unsafe", 24, 12, R,
         ("calling a method",), ("applicant.name.upper()", "applicant.name")),
    case("expr_unsafe_subscript.yaml", "expr-unsafe", 24, 12, R,
         ("[...]",), ('applicant.skills[0] == "cooking"', 'applicant.skills == ("cooking",)')),
    # --- expressions over several lines: the error is on the second (or third) line -------------
    case("expr_block_folded_second_line.yaml", "expr-unknown-field", 26, 21, R,
         ("'pkh_membr'", "'pkh_member'"), ("pkh_membr", "pkh_member")),
    case("expr_block_folded_generator.yaml", "expr-unknown-field", 26, 36, R,
         ("'household'", "'aid_histroy'", "'aid_history'"), ("aid_histroy", "aid_history")),
    case("expr_block_literal_indented.yaml", "expr-unknown-field", 27, 24, R,
         ("'pkh_membr'", "'pkh_member'"), ("pkh_membr", "pkh_member")),
    case("expr_plain_multiline.yaml", "expr-unknown-field", 25, 21, R,
         ("'pkh_membr'", "'pkh_member'"), ("pkh_membr", "pkh_member")),
    # --- rules ---------------------------------------------------------------------------------
    case("rule_duplicate_id.yaml", "rule-duplicate", 30, 9, R,
         (f"'{R}'", "19"), (f"id: {R}", "id: broken.pkh_member")),
    # Cross-file checks are made by the book, which knows only a rule's line (no column).
    case(("rule_duplicate_across_a.yaml", "rule_duplicate_across_b.yaml"),
         "rule-duplicate-across", 30, 9, "shared.working_age",
         ("'shared.working_age'", "'broken_a'"),
         ("id: shared.working_age", "id: broken_b.working_age"), book=True),
    case("rule_applies_to_unknown_business_type.yaml", "business-type-unknown", 24, 24, R,
         ("'chiken_farming'", "'chicken_farming'"), ("chiken_farming", "chicken_farming")),
    case("rule_refer_unknown_agency.yaml", "agency-unknown", 24, 12, R,
         ("'disnakertran'", "'disnakertrans'"), ("disnakertran\n", "disnakertrans\n")),
    case("rule_score_without_points.yaml", "score-needs-points", 19, 5, R,
         ("'points'",), ("    kind: score\n", "    kind: score\n    points: 40\n")),
    case("rule_points_on_requirement.yaml", "points-not-score", 24, 13, R,
         ("'points'", "score"), ("    points: 10\n", "")),
    case("reason_bad_placeholder.yaml", "placeholder", 28, 15, R,
         ("'{applicant.nope}'", "'nope'"), ("{applicant.nope}", "{applicant.age}")),
    # --- parameters ----------------------------------------------------------------------------
    case("param_overlap_same_from.yaml", "param-overlap", 17, 9, None,
         ("'min_age'", "2025-01-01.. ", "2025-01-01.."),
         ("- from: 2025-01-01\n        value: 17", "- from: 2025-07-01\n        value: 17")),
    case("param_overlap_until_past_next.yaml", "param-overlap", 18, 9, None,
         ("'min_age'", "2025-01-01..2025-12-31", "2025-07-01.."),
         ("until: 2025-12-31", "until: 2025-06-30")),
    case("param_until_before_from.yaml", "param-period", 15, 9, None,
         ("'min_age'", "'until' (2025-01-31)", "'from' (2025-06-01)"),
         ("until: 2025-01-31", "until: 2025-12-31")),
    case("param_value_wrong_type.yaml", "param-value", 16, 16, None,
         ("'min_age'", "'eighteen'"), ("value: eighteen", "value: 18")),
    case("param_value_negative_age.yaml", "param-range", 16, 16, None,
         ("'min_age'", "-18", "'years'"), ("value: -18", "value: 18")),
    case("param_by_type_unknown_business_type.yaml", "business-type-unknown", 18, 11, None,
         ("'fod'", "'food'"), ("fod: [frying]", "fried_snacks: [frying]")),
    case("param_by_type_missing_default.yaml", "param-keys", 17, 11, None,
         ("'relevant_skills'", "chicken_farming, workshop"),
         ("cake_making: [baking]\n", 'cake_making: [baking]\n          "*": []\n')),
    # --- examples ------------------------------------------------------------------------------
    case("example_unknown_base.yaml", "example-base-unknown", 60, 12, None,
         ("'sity'", "'siti'"), ("given: sity", "given: siti")),
    # The application itself is fine; the example's change is not: point at that change.
    case("example_invalid_application_set.yaml", "example-invalid", 62, 7, None,
         ("applicant.dtsen_decile", "10", "11"),
         ("applicant.dtsen_decile: 11", "applicant.dtsen_decile: 3")),
    # The named application is invalid: point at its bad field, not at the example.
    case("example_invalid_application_base.yaml", "example-invalid", 38, 12, None,
         ("applicant.sex", "'male'", "'female'", "'perempuan'"), ("sex: perempuan", "sex: female")),
    case("example_set_malformed_path.yaml", "example-invalid", 62, 7, None,
         ("'applicant..dtsen_decile'", "applicant.age"),
         ("applicant..dtsen_decile: 3", "applicant.dtsen_decile: 3")),
    # Also a book check (rule ids may live in other rulesets): the example's line, no column.
    case("example_unknown_rule.yaml", "example-rule-unknown", 63, 16, None,
         ("'broken.workng_age'", f"'{R}'"), ("broken.workng_age", R), book=True),
    # --- invariants: checked like rules, with `decision` as one more name ------------------------
    case("invariant_unknown_field.yaml", "expr-unknown-field", 36, 21,
         "broken.no_aid_when_rejected",
         ("'decision'", "'aid_valeu'", "'aid_value'"), ("aid_valeu", "aid_value")),
    case("invariant_not_bool.yaml", "expr-not-bool", 36, 12, "broken.no_aid_when_rejected",
         ("'holds'",), ("holds: decision.aid_value\n", "holds: decision.aid_value == 0\n")),
    # Quoted: the column is the rule id's opening '"', one after the quote.
    case("invariant_unknown_rule.yaml", "expr-literal", 36, 13, "broken.too_young_rejected",
         ("'broken.workng_age'", f"'{R}'"), ("broken.workng_age", R)),
    case("invariant_duplicate_id.yaml", "invariant-duplicate", 38, 9,
         "broken.too_young_rejected", ("'broken.too_young_rejected'", "31"),
         ("id: broken.too_young_rejected", "id: broken.too_young_no_aid")),
]
# fmt: on


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg, _ = load_plugins().collect()
    return reg


def _load(files: list[tuple[Path, str]], registry: Registry, *, book: bool) -> None:
    """Load ``(path, text)`` pairs the way a case needs; raises what loading raises."""
    if book:
        load_rules([path for path, _ in files], plugin_rulesets=False)
    else:
        for path, text in files:
            load_ruleset(text, str(path), registry)


def _diagnostics(c: Case, registry: Registry) -> tuple[Diagnostic, ...]:
    files = [(BROKEN / name, (BROKEN / name).read_text(encoding="utf-8")) for name in c.files]
    # Anything but a RulesetError (a KeyError, a ValueError from PyYAML...) fails the test.
    with pytest.raises(RulesetError) as info:
        _load(files, registry, book=c.book)
    return info.value.diagnostics


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_broken_file_gives_a_located_diagnostic(c: Case, registry: Registry) -> None:
    found = _diagnostics(c, registry)
    assert sorted(d.code for d in found) == sorted((c.code, *c.also)), [d.format() for d in found]
    (d,) = [d for d in found if d.code == c.code]
    assert Path(d.file).name == c.files[-1]
    assert (d.line, d.column) == (c.line, c.column), d.format()
    assert d.rule == c.rule
    for lang in ("id", "en"):
        message = d.message(lang)
        for fact in c.says:
            assert fact in message, (lang, message)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_repairing_the_one_mistake_makes_the_file_load(
    c: Case, registry: Registry, tmp_path: Path
) -> None:
    old, new = c.fix
    files = []
    for name in c.files:
        text = (BROKEN / name).read_text(encoding="utf-8")
        if name == c.files[-1]:
            assert old in text, f"the fix {old!r} does not apply to {name}"
            head, _, tail = text.rpartition(old)
            text = head + new + tail
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        files.append((path, text))
    _load(files, registry, book=c.book)


def test_every_fixture_has_a_case() -> None:
    on_disk = {p.name for p in BROKEN.glob("*.yaml")}
    in_table = {name for c in CASES for name in c.files}
    assert on_disk == in_table
    assert len({c.id for c in CASES}) == len(CASES)


def test_the_table_names_only_real_codes() -> None:
    codes = known_codes()
    assert {c.code for c in CASES} | {a for c in CASES for a in c.also} <= codes


def test_book_diagnostics_point_at_the_exact_place() -> None:
    with pytest.raises(RulesetError) as info:
        load_rules([BROKEN / "example_unknown_rule.yaml"], plugin_rulesets=False)
    (d,) = info.value.diagnostics
    assert (d.line, d.column) == (63, 16)


# --- never a traceback ----------------------------------------------------------------------------

HEAD = "ruleset: broken\ntitle: {id: a, en: b}\n"


@pytest.mark.parametrize(
    ("text", "code", "line", "column", "fact"),
    [
        (HEAD + "version: !!int ten\n", "yaml-unsupported", 3, 10, "!!int"),
        (HEAD + "version: !!bool maybe\n", "yaml-unsupported", 3, 10, "!!bool"),
        (HEAD + "version: !!seq x\n", "yaml-unsupported", 3, 10, "!!seq"),
        (HEAD + "2025-13-01: x\n", "yaml-syntax", 3, 1, "'2025-13-01'"),
        (HEAD + "a: &d 2025-02-30\nb: *d\n", "yaml-syntax", 3, 4, "'2025-02-30'"),
        (HEAD + "version: a\x07b\n", "text-deceptive", 3, 11, "U+0007"),
        (
            HEAD + "a:\n  b: " + "[" * 3000 + "]" * 3000 + "\n",
            "yaml-too-large",
            4,
            None,
            ("bersarang terlalu dalam", "too deeply nested"),
        ),
    ],
    ids=[
        "bad-int",
        "bad-bool",
        "scalar-as-seq",
        "bad-date-key",
        "alias-to-bad-date",
        "control-character",
        "deep-nesting",
    ],
)
def test_hostile_yaml_is_a_ruleset_error(
    text: str,
    code: str,
    line: int,
    column: int | None,
    fact: str | tuple[str, str],
    registry: Registry,
) -> None:
    with pytest.raises(RulesetError) as info:
        load_ruleset(text, "hostile.yaml", registry)
    (d,) = info.value.diagnostics
    assert (d.code, d.line) == (code, line), d.format()
    if column is not None:
        assert d.column == column
    fact_id, fact_en = (fact, fact) if isinstance(fact, str) else fact
    assert fact_id in d.message("id")
    assert fact_en in d.message("en")


SWEPT = sorted([*BROKEN.glob("*.yaml"), *REAL.glob("*.yaml")])


def _mutants(path: Path) -> Iterator[tuple[str, str]]:
    """``path`` with one line dropped, and cut short after a line.

    Every line of a fixture; every twelfth line of the (large, slower to check) real rulesets.
    """
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    step = 1 if path.parent == BROKEN else 12
    for i in range(0, len(lines), step):
        yield f"{path.name}-without-line-{i + 1}", "".join(lines[:i] + lines[i + 1 :])
        if step > 1 or i % 4 == 0:
            yield f"{path.name}-cut-after-line-{i + 1}", "".join(lines[: i + 1])


@pytest.mark.parametrize("path", SWEPT, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_damaged_files_give_diagnostics_not_tracebacks(path: Path, registry: Registry) -> None:
    codes = known_codes()
    checked = 0
    for name, text in _mutants(path):
        checked += 1
        try:
            load_ruleset(text, name, registry)
            continue
        except RulesetError as exc:
            found = exc.diagnostics
        except Exception as exc:  # a traceback: say which damage caused it
            raise AssertionError(f"{name}: {type(exc).__name__}: {exc}") from exc
        assert found, name
        for d in found:
            assert d.code in codes, (name, d)
            assert d.message("id"), (name, d)
            assert d.message("en"), (name, d)
    assert checked > 0
