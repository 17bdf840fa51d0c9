"""A round as JSON Lines, text, Markdown or a self-contained HTML page with SVG charts."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable

from bansos_rules._messages import Lang
from bansos_rules.round._core import Status
from bansos_rules.round._run import Change, RoundResult

__all__ = ["to_audit_jsonl", "to_html", "to_jsonl", "to_markdown", "to_text"]

_LABELS: dict[str, tuple[str, str]] = {
    "heading": ("Putaran {round} per {on}", "Round {round} as of {on}"),
    "regency": ("Kabupaten/kota", "Regency/city"),
    "slots": ("Kuota", "Slots"),
    "approved": ("Disetujui", "Approved"),
    "selected": ("Terpilih", "Selected"),
    "waitlisted": ("Daftar tunggu", "Waitlisted"),
    "committed": ("Bantuan (Rp)", "Aid committed (Rp)"),
    "cutoff": ("Skor batas", "Cut-off score"),
    "total": ("Jumlah", "Total"),
    "budget": ("Pagu anggaran", "Budget ceiling"),
    "none": ("tidak ada", "none"),
    "records": (
        "{records} catatan = {decided} diputuskan + {invalid} tidak valid",
        "{records} records = {decided} decided + {invalid} invalid",
    ),
    "seed": ("Benih pengundian", "Tie-break seed"),
    "changes": ("Perubahan", "Changes"),
    "score_chart": (
        "Sebaran skor kebutuhan yang disetujui; garis: skor batas",
        "Need scores of the approved; line: cut-off score",
    ),
    "slots_chart": (
        "Kuota, disetujui dan terpilih per kabupaten/kota",
        "Slots, approved and selected per regency/city",
    ),
    "selection": ("Daftar terpilih dan tunggu", "Selected and waitlisted"),
    "application": ("Aplikasi", "Application"),
    "status": ("Status", "Status"),
    "rank": ("Peringkat", "Rank"),
    "score": ("Skor", "Score"),
    "reason": ("Alasan", "Reason"),
}


def _l(key: str, lang: Lang, **args: object) -> str:
    return _LABELS[key][0 if lang == "id" else 1].format(**args)


def _rp(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def to_jsonl(result: RoundResult) -> str:
    """One line per application: regencies in the round's order of codes, by rank, then the
    applications not approved by id. Byte-identical for the same inputs in any order."""
    return "".join(e.to_json() + "\n" for e in result.entries)


def to_audit_jsonl(changes: Iterable[Change]) -> str:
    """The audit trail of an update, one change per line."""
    return "".join(
        json.dumps(c.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n" for c in changes
    )


def _rows(result: RoundResult, lang: Lang) -> tuple[list[list[str]], list[str]]:
    header = [
        _l(k, lang)
        for k in ("regency", "slots", "approved", "selected", "waitlisted", "committed", "cutoff")
    ]
    rows = []
    for s in result.summary():
        rows.append(
            [
                f"{s.name} ({s.code})",
                str(s.slots),
                str(s.approved),
                str(s.selected),
                str(s.waitlisted),
                _rp(s.committed),
                "-" if s.cutoff_score is None else str(s.cutoff_score),
            ]
        )
    summary = result.summary()
    rows.append(
        [
            _l("total", lang),
            str(sum(s.slots for s in summary)),
            str(sum(s.approved for s in summary)),
            str(sum(s.selected for s in summary)),
            str(sum(s.waitlisted for s in summary)),
            _rp(result.allocation.committed),
            "",
        ]
    )
    return rows, header


def _head(result: RoundResult, lang: Lang) -> list[str]:
    title = result.round.title.id if lang == "id" else result.round.title.en
    budget = result.allocation.budget
    decided = len(result.entries)
    return [
        _l("heading", lang, round=result.round.id, on=result.on.isoformat()) + f" · {title}",
        f"{_l('seed', lang)}: {result.round.seed} · "
        f"{_l('budget', lang)}: {'-' if budget is None else 'Rp' + _rp(budget)}",
        _l("records", lang, records=result.records, decided=decided, invalid=len(result.invalid)),
    ]


def to_text(result: RoundResult, lang: Lang = "id", *, verbose: bool = False) -> str:
    """A summary per regency (and with ``verbose``, every application's reason)."""
    rows, header = _rows(result, lang)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [*_head(result, lang), ""]
    for r in [header, *rows]:
        cells = zip(r, widths, strict=True)
        lines.append(
            "  ".join(c.ljust(w) if not i else c.rjust(w) for i, (c, w) in enumerate(cells))
        )
    if verbose:
        lines.append("")
        for e in result.entries:
            lines.append(f"{e.application_id}  {e.status.value}  {e.reason(lang)}")
            for n in e.need:
                lines.append(f"    {n.reason(lang)}")
    if result.changes:
        lines += ["", _l("changes", lang) + ":"]
        for c in result.changes:
            lines.append(
                f"  {c.application_id} ({c.regency}): {c.old_status or '-'} #{c.old_rank or '-'}"
                f" -> {c.new_status} #{c.new_rank or '-'}; {c.why(lang)}"
            )
    return "\n".join(lines) + "\n"


def _md_cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def to_markdown(result: RoundResult, lang: Lang = "id") -> str:
    """The summary per regency as a Markdown table, the selection, and any changes."""
    rows, header = _rows(result, lang)
    head = _head(result, lang)
    lines = [f"# {_md_cell(head[0])}", "", *(f"{_md_cell(h)}  " for h in head[1:]), ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("| --- " + "| ---: " * (len(header) - 1) + "|")
    lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    if result.changes:
        lines += ["", f"## {_l('changes', lang)}", ""]
        for c in result.changes:
            lines.append(
                f"- `{c.application_id}` ({c.regency}): {c.old_status or '-'} "
                f"#{c.old_rank or '-'} → {c.new_status} #{c.new_rank or '-'}; "
                f"{_md_cell(c.why(lang))}"
            )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# HTML with inline SVG charts (no script, no external resource)

WAITLIST_SHOWN = 20
"""How many of each regency's waitlist the HTML page lists (the JSON Lines output has all)."""

_COLOURS = {"slots": "#9aa5b1", "approved": "#3d7ea6", "selected": "#2e9d5b"}


def _bars_svg(result: RoundResult, lang: Lang) -> str:
    summary = result.summary()
    top = max([1] + [max(s.slots, s.approved, s.selected) for s in summary])
    group, bar, height, left = 72, 18, 220, 40
    width = left + group * len(summary) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-slots" '
        f'width="{width}" height="{height + 70}" role="img" '
        f'aria-label="{html.escape(_l("slots_chart", lang))}">'
    ]
    parts.append(f'<line x1="{left}" y1="{height}" x2="{width}" y2="{height}" stroke="#333"/>')
    for i, s in enumerate(summary):
        x0 = left + i * group + 6
        for j, (key, value) in enumerate(
            (("slots", s.slots), ("approved", s.approved), ("selected", s.selected))
        ):
            h = round(value * (height - 20) / top)
            parts.append(
                f'<rect class="bar bar-{key}" data-regency="{s.code}" data-value="{value}" '
                f'x="{x0 + j * bar}" y="{height - h}" width="{bar - 2}" height="{h}" '
                f'fill="{_COLOURS[key]}"><title>{html.escape(s.name)}: '
                f"{_l(key, lang)} {value}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + bar * 1.5}" y="{height + 16}" font-size="10" text-anchor="middle">'
            f"{html.escape(s.name[:12])}</text>"
        )
    for j, key in enumerate(("slots", "approved", "selected")):
        parts.append(
            f'<rect x="{left + j * 120}" y="{height + 40}" width="12" height="12" '
            f'fill="{_COLOURS[key]}"/><text x="{left + j * 120 + 16}" y="{height + 51}" '
            f'font-size="12">{html.escape(_l(key, lang))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _histogram_svg(result: RoundResult, lang: Lang) -> str:
    scores = [e.score for e in result.entries if e.score is not None]
    cutoffs = [c for c in result.allocation.cutoffs.values() if c is not None]
    width, height, left, bins = 640, 220, 40, 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-scores" '
        f'width="{width}" height="{height + 40}" role="img" '
        f'aria-label="{html.escape(_l("score_chart", lang))}">'
    ]
    parts.append(f'<line x1="{left}" y1="{height}" x2="{width}" y2="{height}" stroke="#333"/>')
    if scores:
        low, high = min(scores + cutoffs), max(scores + cutoffs)
        span = max(1, high - low + 1)
        counts = [0] * bins
        for sc in scores:
            counts[min(bins - 1, (sc - low) * bins // span)] += 1
        top = max(counts)
        step = (width - left - 10) / bins
        for i, n in enumerate(counts):
            h = round(n * (height - 20) / top)
            parts.append(
                f'<rect class="bar bar-score" data-value="{n}" x="{left + i * step:.1f}" '
                f'y="{height - h}" width="{step - 1:.1f}" height="{h}" fill="#3d7ea6">'
                f"<title>{low + i * span // bins}-{low + (i + 1) * span // bins - 1}: "
                f"{n}</title></rect>"
            )
        for c in sorted(set(cutoffs)):
            x = left + (c - low) * (width - left - 10) / span
            parts.append(
                f'<line class="cutoff" data-score="{c}" x1="{x:.1f}" y1="10" x2="{x:.1f}" '
                f'y2="{height}" stroke="#c0392b" stroke-width="3" stroke-dasharray="6 3" '
                f'shape-rendering="crispEdges"/>'
            )
        parts.append(f'<text x="{left}" y="{height + 16}" font-size="11">{low}</text>')
        parts.append(
            f'<text x="{width - 10}" y="{height + 16}" font-size="11" '
            f'text-anchor="end">{high}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(result: RoundResult, lang: Lang = "id") -> str:
    """A self-contained page: the summary table, two SVG charts, the selection list."""
    rows, header = _rows(result, lang)
    head = _head(result, lang)
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{e(head[0])}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}#entries td{text-align:left}"
        "svg.chart{display:block}</style></head><body>",
        f"<h1>{e(head[0])}</h1>",
        *(f"<p>{e(h)}</p>" for h in head[1:]),
        '<table id="summary"><thead><tr>',
        *(f"<th>{e(h)}</th>" for h in header),
        "</tr></thead><tbody>",
    ]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>")
    out += [
        "</tbody></table>",
        f"<h2>{e(_l('slots_chart', lang))}</h2>",
        _bars_svg(result, lang),
        f"<h2>{e(_l('score_chart', lang))}</h2>",
        _histogram_svg(result, lang),
        f"<h2>{e(_l('selection', lang))}</h2>",
        '<table id="entries"><thead><tr>',
        *(
            f"<th>{e(_l(k, lang))}</th>"
            for k in ("application", "regency", "status", "rank", "score", "reason")
        ),
        "</tr></thead><tbody>",
    ]
    for en in result.entries:
        shown = en.status is Status.SELECTED or (
            en.status is Status.WAITLISTED and (en.position or 0) <= WAITLIST_SHOWN
        )
        if shown:
            out.append(
                "<tr>"
                + "".join(
                    f"<td>{e(str(c))}</td>"
                    for c in (
                        en.application_id,
                        en.regency,
                        en.status.value,
                        en.rank,
                        en.score,
                        en.reason(lang),
                    )
                )
                + "</tr>"
            )
    out += ["</tbody></table>", "</body></html>"]
    return "\n".join(out) + "\n"
