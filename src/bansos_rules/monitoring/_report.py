"""Program outcomes from every case's state: counts, survival and graduation rates against the
old group program's, by regency, business type and sex; as Markdown or as one HTML page with
inline SVG charts (no script or style from the network).

Rates are over the cases handed over and not closed (a family that moved, died or withdrew says
nothing about its business): **survival** is the share whose business still runs (active, at risk,
in follow-up or graduated), **graduation** the share graduated.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bansos_rules.monitoring._ruleset import MonitoringRuleset
from bansos_rules.monitoring._store import EnrolledCase
from bansos_rules.monitoring._timeline import CaseState

__all__ = ["Group", "OutcomeReport", "build_report", "report_html", "report_markdown"]

Lang = Literal["id", "en"]

REGENCY_NAMES = {
    "6401": "Paser",
    "6402": "Kutai Kartanegara",
    "6403": "Berau",
    "6407": "Kutai Barat",
    "6408": "Kutai Timur",
    "6409": "Penajam Paser Utara",
    "6411": "Mahakam Ulu",
    "6471": "Balikpapan",
    "6472": "Samarinda",
    "6474": "Bontang",
}
STATES = ("awaiting_handover", "active", "at_risk", "graduating", "graduated", "failed", "closed")
RUNNING = ("active", "at_risk", "graduating", "graduated")
COLOURS = {
    "awaiting_handover": "#b0b7c3",
    "active": "#3b82f6",
    "at_risk": "#f59e0b",
    "graduating": "#84cc16",
    "graduated": "#15803d",
    "failed": "#dc2626",
    "closed": "#6b7280",
}
_LABELS: dict[str, tuple[str, str]] = {
    "title": ("Hasil program sesudah penyerahan", "Program outcomes after handover"),
    "as_of": ("per", "as of"),
    "cases": ("kasus", "cases"),
    "state": ("keadaan", "state"),
    "survival": ("bertahan", "survival"),
    "graduation": ("graduasi", "graduation"),
    "baseline": ("program kelompok lama", "old group program"),
    "by_regency": ("Menurut kabupaten/kota", "By regency/city"),
    "by_business_type": ("Menurut jenis usaha", "By business type"),
    "by_sex": ("Menurut jenis kelamin", "By sex"),
    "overall": ("Seluruh program", "Whole program"),
    "rates_note": (
        "Tingkat dihitung atas kasus yang sudah menerima bantuan dan tidak ditutup.",
        "Rates are over cases handed over and not closed.",
    ),
    "female": ("perempuan", "female"),
    "male": ("laki-laki", "male"),
    "group": ("kelompok", "group"),
    "rates": ("Tingkat bertahan dan graduasi", "Survival and graduation rates"),
    "states": ("Keadaan kasus", "Case states"),
    "ruleset": ("ruleset", "ruleset"),
}


def _l(key: str, lang: Lang) -> str:
    pair = _LABELS[key]
    return pair[0] if lang == "id" else pair[1]


@dataclass
class Group:
    """Counts of one group of cases (a regency, a business type, a sex, or all)."""

    key: str
    label: str
    counts: Counter[str] = field(default_factory=Counter)
    names: tuple[str, str] | None = None
    """The group's name in Indonesian and English, when it has one."""

    @property
    def cases(self) -> int:
        return sum(self.counts.values())

    @property
    def eligible(self) -> int:
        """Cases handed over and not closed: the denominator of the rates."""
        return sum(self.counts[s] for s in (*RUNNING, "failed"))

    def rate(self, states: Sequence[str]) -> float | None:
        if not self.eligible:
            return None
        return 100.0 * sum(self.counts[s] for s in states) / self.eligible

    @property
    def survival(self) -> float | None:
        return self.rate(RUNNING)

    @property
    def graduation(self) -> float | None:
        return self.rate(("graduated",))


@dataclass
class OutcomeReport:
    """Program outcomes on a day."""

    on: date
    ruleset: str
    digest: str
    baseline: int
    engine: str
    overall: Group
    by_regency: list[Group]
    by_business_type: list[Group]
    by_sex: list[Group]
    state_titles: dict[str, tuple[str, str]]

    def to_dict(self) -> dict[str, object]:
        def g(x: Group) -> dict[str, object]:
            return {
                "key": x.key,
                "cases": x.cases,
                "states": {s: x.counts[s] for s in STATES},
                "survival_percent": None if x.survival is None else round(x.survival, 1),
                "graduation_percent": None if x.graduation is None else round(x.graduation, 1),
            }

        return {
            "on": self.on.isoformat(),
            "ruleset": self.ruleset,
            "digest": self.digest,
            "baseline_percent": self.baseline,
            "overall": g(self.overall),
            "by_regency": [g(x) for x in self.by_regency],
            "by_business_type": [g(x) for x in self.by_business_type],
            "by_sex": [g(x) for x in self.by_sex],
        }


def build_report(
    ruleset: MonitoringRuleset,
    cases: Iterable[EnrolledCase],
    states: Iterable[CaseState],
    on: date,
    *,
    engine: str = "native",
    business_types: Mapping[str, tuple[str, str]] | None = None,
) -> OutcomeReport:
    """Count every case's state by regency, business type and sex.

    :param business_types: names (id, en) of business types by code, for the labels.
    """
    by_id = {s.application_id: s.state for s in states}
    overall = Group("all", "all")
    groups: dict[str, dict[str, Group]] = {"regency": {}, "business_type": {}, "sex": {}}
    for c in cases:
        state = by_id.get(c.info.application_id, ruleset.initial)
        overall.counts[state] += 1
        for kind, key in (
            ("regency", c.info.regency),
            ("business_type", c.info.business_type),
            ("sex", c.info.sex),
        ):
            label = REGENCY_NAMES.get(key, key) if kind == "regency" else key
            names = (business_types or {}).get(key) if kind == "business_type" else None
            group = groups[kind].setdefault(key, Group(key, label, names=names))
            group.counts[state] += 1
    baseline = ruleset.params_on(on, "*").get("old_program_success_percent") or 46
    return OutcomeReport(
        on=on,
        ruleset=ruleset.id,
        digest=ruleset.digest,
        baseline=int(baseline),
        engine=engine,
        overall=overall,
        by_regency=[groups["regency"][k] for k in sorted(groups["regency"])],
        by_business_type=[groups["business_type"][k] for k in sorted(groups["business_type"])],
        by_sex=[groups["sex"][k] for k in sorted(groups["sex"])],
        state_titles={s: (spec.title.id, spec.title.en) for s, spec in ruleset.states.items()},
    )


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}%"


def _title(r: OutcomeReport, state: str, lang: Lang) -> str:
    pair = r.state_titles.get(state, (state, state))
    return pair[0] if lang == "id" else pair[1]


def _group_label(g: Group, lang: Lang) -> str:
    if g.key in ("female", "male"):
        return _l(g.key, lang)
    if g.names is not None:
        return g.names[0] if lang == "id" else g.names[1]
    return g.label


# --------------------------------------------------------------------------------------------
# Markdown


def report_markdown(r: OutcomeReport, lang: Lang = "id") -> str:
    """The report as Markdown tables."""
    out = [
        f"# {_l('title', lang)} ({_l('as_of', lang)} {r.on.isoformat()})",
        "",
        f"{_l('ruleset', lang)} `{r.ruleset}` `{r.digest[:19]}`; "
        f"{_l('baseline', lang)}: {r.baseline}%. {_l('rates_note', lang)}",
        "",
    ]
    states = [s for s in STATES if s in r.state_titles]
    for heading, groups in (
        ("overall", [r.overall]),
        ("by_regency", r.by_regency),
        ("by_business_type", r.by_business_type),
        ("by_sex", r.by_sex),
    ):
        out.append(f"## {_l(heading, lang)}")
        out.append("")
        head = [_l("group", lang), _l("cases", lang), *(_title(r, s, lang) for s in states)]
        head += [_l("survival", lang), _l("graduation", lang)]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for g in groups:
            label = _l("overall", lang) if g.key == "all" else _group_label(g, lang)
            row = [label, str(g.cases), *(str(g.counts[s]) for s in states)]
            row += [_pct(g.survival), _pct(g.graduation)]
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# HTML with inline SVG


def _states_chart(r: OutcomeReport, groups: list[Group], name: str, lang: Lang) -> str:
    states = [s for s in STATES if s in r.state_titles]
    row_h, label_w, width = 26, 170, 720
    bar_w = width - label_w - 60
    height = row_h * len(groups) + 40
    most = max((g.cases for g in groups), default=1) or 1
    parts = [
        f'<svg class="chart" data-chart="{name}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, g in enumerate(groups):
        y = 10 + i * row_h
        label = html.escape(_l("overall", lang) if g.key == "all" else _group_label(g, lang))
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="lbl">{label}</text>'
        )
        x = float(label_w)
        for s in states:
            n = g.counts[s]
            if not n:
                continue
            w = bar_w * n / most
            title = html.escape(f"{_group_label(g, lang)}: {_title(r, s, lang)} {n}")
            parts.append(
                f'<rect class="bar" data-group="{html.escape(g.key)}" data-state="{s}" '
                f'data-count="{n}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{COLOURS.get(s, "#999")}"><title>{title}</title></rect>'
            )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" class="num">{g.cases}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _rates_chart(r: OutcomeReport, groups: list[Group], name: str, lang: Lang) -> str:
    row_h, label_w, width = 34, 170, 720
    bar_w = width - label_w - 70
    height = row_h * len(groups) + 40
    parts = [
        f'<svg class="chart" data-chart="{name}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, g in enumerate(groups):
        y = 10 + i * row_h
        label = html.escape(_l("overall", lang) if g.key == "all" else _group_label(g, lang))
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" class="lbl">{label}</text>'
        )
        for j, (kind, value, colour) in enumerate(
            (("survival", g.survival, "#3b82f6"), ("graduation", g.graduation, "#15803d"))
        ):
            w = 0.0 if value is None else bar_w * value / 100
            yy = y + j * 13
            parts.append(
                f'<rect class="rate" data-group="{html.escape(g.key)}" data-rate="{kind}" '
                f'data-percent="{"" if value is None else f"{value:.1f}"}" x="{label_w}" '
                f'y="{yy}" width="{w:.1f}" height="11" fill="{colour}">'
                f"<title>{_l(kind, lang)} {_pct(value)}</title></rect>"
            )
            parts.append(
                f'<text x="{label_w + w + 4:.1f}" y="{yy + 10}" class="num">{_pct(value)}</text>'
            )
    x = label_w + bar_w * r.baseline / 100
    parts.append(
        f'<line class="baseline" x1="{x:.1f}" x2="{x:.1f}" y1="4" y2="{height - 24}" '
        f'stroke="#111" stroke-dasharray="4 3"/>'
        f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" class="num">'
        f"{html.escape(_l('baseline', lang))} {r.baseline}%</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _legend(r: OutcomeReport, lang: Lang) -> str:
    items = []
    for s in STATES:
        if s in r.state_titles:
            items.append(
                f'<span class="key"><i style="background:{COLOURS[s]}"></i>'
                f"{html.escape(_title(r, s, lang))}</span>"
            )
    return '<p class="legend">' + "".join(items) + "</p>"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#111;max-width:60em}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:13px}
td,th{border:1px solid #ccc;padding:0.2em 0.5em;text-align:right}
td:first-child,th:first-child{text-align:left}
.lbl,.num{font-size:12px;font-family:system-ui,sans-serif}
.legend .key{display:inline-block;margin-right:1em;font-size:13px}
.legend i{display:inline-block;width:0.9em;height:0.9em;margin-right:0.3em;vertical-align:middle}
"""

# Runs in the browser once the page is laid out: marks the page with how many bars were drawn
# with a size, so a check in a real browser can tell the charts rendered.
_SCRIPT = """
window.addEventListener('load', function () {
  var drawn = 0;
  document.querySelectorAll('svg.chart rect').forEach(function (r) {
    var box = r.getBBox();
    if (box.width > 0 && box.height > 0) { drawn += 1; }
  });
  document.body.setAttribute('data-bars-drawn', String(drawn));
});
"""


def report_html(r: OutcomeReport, lang: Lang = "id") -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no network)."""
    body = [
        f"<h1>{html.escape(_l('title', lang))}</h1>",
        f"<p>{html.escape(_l('as_of', lang))} {r.on.isoformat()} &middot; "
        f"{html.escape(_l('ruleset', lang))} <code>{html.escape(r.ruleset)}</code> "
        f"<code>{html.escape(r.digest[:19])}</code> &middot; {html.escape(_l('baseline', lang))}"
        f" {r.baseline}%</p>",
        f"<p>{html.escape(_l('rates_note', lang))}</p>",
        _legend(r, lang),
    ]
    for heading, groups, key in (
        ("overall", [r.overall], "overall"),
        ("by_regency", r.by_regency, "regency"),
        ("by_business_type", r.by_business_type, "business-type"),
        ("by_sex", r.by_sex, "sex"),
    ):
        body.append(f"<h2>{html.escape(_l(heading, lang))}</h2>")
        body.append(f"<h3>{html.escape(_l('states', lang))}</h3>")
        body.append(_states_chart(r, groups, f"states-{key}", lang))
        body.append(f"<h3>{html.escape(_l('rates', lang))}</h3>")
        body.append(_rates_chart(r, groups, f"rates-{key}", lang))
        body.append(_table(r, groups, lang))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(_l('title', lang))} {r.on.isoformat()}</title>"
        f"<style>{_CSS}</style></head><body>"
        + "".join(body)
        + f"<script>{_SCRIPT}</script></body></html>\n"
    )


def _table(r: OutcomeReport, groups: list[Group], lang: Lang) -> str:
    states = [s for s in STATES if s in r.state_titles]
    head = [_l("group", lang), _l("cases", lang), *(_title(r, s, lang) for s in states)]
    head += [_l("survival", lang), _l("graduation", lang)]
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for g in groups:
        label = _l("overall", lang) if g.key == "all" else _group_label(g, lang)
        cells = [label, str(g.cases), *(str(g.counts[s]) for s in states)]
        cells += [_pct(g.survival), _pct(g.graduation)]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"
