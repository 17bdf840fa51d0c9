"""The Markdown rendering of a diff report, for a pull-request comment."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from bansos_rules._decision import Outcome
from bansos_rules._messages import Lang, label
from bansos_rules._safe_output import neutralise
from bansos_rules.diff._impact import OUTCOMES, Impact, RuleStatusChange, Tally, Transition
from bansos_rules.diff._report import DiffReport
from bansos_rules.diff._structure import ValueChange
from bansos_rules.explain import format_value


def _cell(text: str) -> str:
    return neutralise(text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " "))


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
    for o in OUTCOMES:
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
                _cell(ex.name),
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
