"""The JUnit XML rendering of a check report: a ``testsuite`` per kind, a ``testcase`` per case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from bansos_rules._messages import Lang, label
from bansos_rules.check._model import CheckCase, CheckFinding

if TYPE_CHECKING:
    from bansos_rules.check._model import CheckReport


def junit(report: CheckReport, lang: Lang = "en") -> str:
    """The report as JUnit XML: a ``testsuite`` per kind of check, a ``testcase`` per case.

    Errors become ``<failure>``s, cases not run ``<skipped>``, warnings ``<system-out>``.
    """
    root = ET.Element("testsuites", name="bansos-rules check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for section in report.sections:
        cases = section.cases or (
            (CheckCase(section.kind, section.kind, section.kind, skipped=section.skipped),)
            if section.skipped is not None
            else ()
        )
        suite = ET.SubElement(root, "testsuite", name=section.kind)
        counts = {
            "tests": len(cases),
            "failures": sum(c.status == "failed" for c in cases),
            "errors": 0,
            "skipped": sum(c.status == "skipped" for c in cases),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            if key in totals:
                totals[key] += value
        suite.set("time", f"{section.seconds:.3f}")
        for case in cases:
            suite.append(_junit_case(case, lang))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    root.set("time", f"{report.seconds:.3f}")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _junit_case(case: CheckCase, lang: Lang) -> ET.Element:
    element = ET.Element("testcase", classname=f"{case.kind}.{case.group}", name=case.name)
    if case.file:
        element.set("file", case.file)
    if case.line is not None:
        element.set("line", str(case.line))
    element.set("time", f"{case.seconds:.3f}")
    errors = [f for f in case.findings if f.severity == "error"]
    warnings = [f for f in case.findings if f.severity == "warning"]
    if errors:
        failure = ET.SubElement(
            element, "failure", message=errors[0].format(lang), type=errors[0].code
        )
        failure.text = "\n".join(_finding_block(f, lang) for f in errors)
    elif case.skipped is not None:
        ET.SubElement(element, "skipped", message=case.skipped(lang))
    if warnings:
        out = ET.SubElement(element, "system-out")
        out.text = "\n".join(
            f"{label('check_warning', lang)}: {_finding_block(f, lang)}" for f in warnings
        )
    return element


def _finding_block(finding: CheckFinding, lang: Lang) -> str:
    return "\n".join([finding.format(lang), *(f"    {d}" for d in finding.details)])
