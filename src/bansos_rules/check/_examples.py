"""The ``examples`` step: the rulesets' worked examples, on every engine that can run here."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bansos_rules.check._model import CheckCase, CheckFinding, CheckSection, bilingual

if TYPE_CHECKING:
    from bansos_rules.check._context import Context


def examples(ctx: Context) -> CheckSection:
    """Every example on ``native`` (recording what the decisions show), then on the others."""
    cases = _run_examples(ctx, "native")
    ctx.record_seen()
    for name in ctx.book.engines:
        if name == "native":
            continue
        try:
            ctx.book.engine(name)
        except Exception:  # unavailable, or failed to compile: reported under engines
            continue
        cases.extend(_run_examples(ctx, name))
    return CheckSection("examples", tuple(cases))


def _run_examples(ctx: Context, engine: str) -> list[CheckCase]:
    from bansos_rules._examples import check_example

    cases = []
    for rs in ctx.book.rulesets:
        for example in rs.examples:
            t0 = time.perf_counter()
            findings: tuple[CheckFinding, ...] = ()
            try:
                result = check_example(ctx.book, example, engine=engine)
            except Exception as exc:  # an engine that raises is a failed example, not a crash
                detail = f"{type(exc).__name__}: {exc}"
                message = bilingual(
                    "check-example-raised", name=example.name, engine=engine, detail=detail
                )
                findings = (
                    CheckFinding(
                        "examples",
                        "check-example-raised",
                        "error",
                        message,
                        example.file,
                        example.line,
                    ),
                )
            else:
                if engine == "native":
                    ctx.example_results.append(result)
                if not result.ok:
                    message = bilingual("check-example-failed", name=example.name, engine=engine)
                    findings = (
                        CheckFinding(
                            "examples",
                            "check-example-failed",
                            "error",
                            message,
                            example.file,
                            example.line,
                            details=result.mismatches,
                        ),
                    )
            cases.append(
                CheckCase(
                    "examples",
                    example.name,
                    f"{engine}.{rs.id}",
                    example.file,
                    example.line,
                    findings,
                    seconds=time.perf_counter() - t0,
                )
            )
    return cases
