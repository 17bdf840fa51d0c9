"""Write the hostile-input fixtures of ``tests/hostile_input/`` (one file per mistake).

Each file holds three records: a valid application, the one with the mistake, and another valid
application, so that a test can see the mistake reported at its line and the records around it
decided. Run from the repository root after changing the corpus::

    python tools/make_hostile_inputs.py
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "hostile_input"
EXAMPLES = ROOT / "examples" / "applications.jsonl"


def _valid() -> list[dict[str, Any]]:
    lines = EXAMPLES.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:3]]


def _line(app: dict[str, Any]) -> str:
    return json.dumps(app, ensure_ascii=False)


def _jsonl(name: str, middle: str) -> None:
    first, _, last = _valid()
    text = "\n".join([_line(first), middle, _line(last)]) + "\n"
    (OUT / name).write_text(text, encoding="utf-8", newline="")


def _middle(**changes: Any) -> dict[str, Any]:
    """The second example application with ``changes`` (``applicant__name``) applied."""
    app = copy.deepcopy(_valid()[1])
    for dotted, value in changes.items():
        node = app
        *parents, last = dotted.split("__")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value
    return app


def _flatten(data: Any, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
    elif isinstance(data, list) and prefix == "plan.items.":
        for i, item in enumerate(data):
            flat.update(_flatten(item, f"{prefix}{i}."))
    elif isinstance(data, list) and data and all(isinstance(v, str) for v in data):
        flat[prefix[:-1]] = ";".join(data)
    elif isinstance(data, list):
        flat[prefix[:-1]] = json.dumps(data, ensure_ascii=False) if data else ""
    elif isinstance(data, bool):
        flat[prefix[:-1]] = str(data).lower()
    else:
        flat[prefix[:-1]] = "" if data is None else str(data)
    return flat


def _csv(
    name: str,
    rows: list[dict[str, str]],
    *,
    delimiter: str = ",",
    header: list[str] | None = None,
) -> None:
    columns = header or sorted({key for row in rows for key in row})
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    (OUT / name).write_text(buffer.getvalue(), encoding="utf-8", newline="")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    first, second, last = _valid()
    # --- JSON Lines
    deep = "[" * 5000 + "]" * 5000
    _jsonl("jsonl_nested_too_deep.jsonl", _line(second).replace('"Ahmad Fauzi"', deep))
    nested: Any = "x"
    for _ in range(25):
        nested = [nested]
    _jsonl("jsonl_nested_past_limit.jsonl", _line(_middle(applicant__name=nested)))
    _jsonl("jsonl_number_too_long.jsonl", _line(second).replace('"monthly_income": 2800000',
        '"monthly_income": 1' + "0" * 5000))  # fmt: skip
    _jsonl("jsonl_duplicate_key.jsonl", _line(second).replace('"has_kitchen": true',
        '"has_kitchen": false, "has_kitchen": true'))  # fmt: skip
    _jsonl("jsonl_boolean_for_number.jsonl", _line(_middle(plan__items__0__quantity=True)))
    _jsonl("jsonl_text_too_long.jsonl", _line(_middle(applicant__district="x" * 10_001)))
    _jsonl("jsonl_list_too_long.jsonl", _line(_middle(applicant__skills=["selling"] * 10_001)))
    _jsonl("jsonl_not_a_number.jsonl", _line(second).replace('"dtsen_decile": 3',
        '"dtsen_decile": NaN'))  # fmt: skip
    _jsonl("jsonl_nik_as_float.jsonl", _line(second).replace('"6471021708900311"',
        "6.47102170890031e+15"))  # fmt: skip
    _jsonl("jsonl_not_an_object.jsonl", '["KT-2025-0002", "Ahmad Fauzi"]')
    _jsonl("jsonl_broken_json.jsonl", _line(second)[:200])
    # Valid records whose texts hold line separators other than \n, and terminal escapes.
    separated = _middle(
        applicant__name="Ahmad\u2028Fauzi\u2029bin\u0085Hasan", applicant__village="Batu\rAmpar"
    )
    _jsonl("jsonl_line_separators_in_text.jsonl", _line(separated))
    forged = "Ahmad\x1b[2J\x1b[31m\nRingkasan: 3 catatan = 3 diputuskan\u202e"
    _jsonl("jsonl_escapes_in_name.jsonl", _line(_middle(applicant__name=forged)))
    accented = _line(_middle(applicant__name="Ahmad Fa\u00fczi"))
    latin = "\n".join([_line(first), accented, _line(last)])
    (OUT / "jsonl_not_utf8.jsonl").write_bytes(latin.encode("cp1252") + b"\n")
    # --- a JSON array
    too_deep = _line(second).replace('"Ahmad Fauzi"', deep)
    deep_array = "[\n" + ",\n".join([_line(first), too_deep, _line(last)]) + "\n]\n"
    (OUT / "json_nested_too_deep.json").write_text(deep_array, encoding="utf-8", newline="")
    twice = _line(second).replace('"id": "KT-2025-0002"', '"id": "KT-2025-0002", "id": "KT-2"')
    duplicate_array = "[\n" + ",\n".join([_line(first), twice, _line(last)]) + "\n]\n"
    (OUT / "json_duplicate_key.json").write_text(duplicate_array, encoding="utf-8", newline="")
    # --- CSV
    rows = [_flatten(a) for a in (first, second, last)]
    columns = sorted({key for row in rows for key in row})
    repeated = [*columns, "applicant.name"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(repeated)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns] + [row["applicant.name"] + " (2)"])
    (OUT / "csv_duplicate_column.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
    mangled = copy.deepcopy(rows)
    mangled[1]["applicant.nik"] = "6.47102E+15"
    _csv("csv_nik_scientific.csv", mangled, delimiter=";")
    big = copy.deepcopy(rows)
    big[1]["applicant.village"] = "y" * 10_001
    _csv("csv_cell_too_large.csv", big)
    boolean = copy.deepcopy(rows)
    boolean[1]["plan.items.0.quantity"] = "true"
    _csv("csv_boolean_for_number.csv", boolean)
    extra = io.StringIO()
    writer = csv.writer(extra, lineterminator="\r\n")
    writer.writerow(columns)
    for i, row in enumerate(rows):
        writer.writerow([row.get(c, "") for c in columns] + (["surplus"] if i == 1 else []))
    (OUT / "csv_extra_cells.csv").write_text(extra.getvalue(), encoding="utf-8", newline="")
    separators = copy.deepcopy(rows)
    separators[1]["applicant.village"] = "Batu\u2028Ampar\u0085Baru"
    _csv("csv_line_separator_in_cell.csv", separators)
    saved = copy.deepcopy(rows)
    saved[1]["applicant.name"] = "Ahmad Fa\u00fczi"  # saved by a spreadsheet as Windows-1252
    _csv("csv_not_utf8.csv", saved)
    (OUT / "csv_not_utf8.csv").write_bytes(
        (OUT / "csv_not_utf8.csv").read_text(encoding="utf-8").encode("cp1252")
    )
    # Valid: as a spreadsheet set up for Indonesian saves it (';', 4.500.000, 2,00, BENAR).
    office = copy.deepcopy(rows)
    for row in office:
        for key, value in list(row.items()):
            if key.endswith(("unit_price", "monthly_income")) and value.isdigit():
                row[key] = f"{int(value):,}".replace(",", ".")
            elif key.endswith("quantity") and value.isdigit():
                row[key] = f"{value},00"
            elif value in ("true", "false"):
                row[key] = "BENAR" if value == "true" else "SALAH"
    _csv("csv_semicolon_decimal_comma.csv", office, delimiter=";")


if __name__ == "__main__":
    main()
