"""Decision records as JSON: one compact line per decision, and back.

A record holds what an engine found and nothing textual: statuses as one letter per rule, the
values read (in the manifest's :attr:`~bansos_rules.explain.Manifest.value_paths` order), the
date, the engine and the ruleset digest. The schema is documented in ``docs/cli.md``.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Mapping
from datetime import date
from json.encoder import encode_basestring
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from bansos_rules._decision import Decision, Outcome, RuleError
from bansos_rules._errors import BansosRulesError
from bansos_rules._models import Application, unwrap_annotation
from bansos_rules.explain._manifest import Manifest, UnknownDigestError, _json

__all__ = ["RecordError", "from_record", "record_json", "to_record"]


class RecordError(BansosRulesError, ValueError):
    """A decision record is malformed; the message names the key at fault."""

    def __init__(self, en: str, id_: str) -> None:
        super().__init__(en)
        self.en = en
        self.id = id_

    def text(self, lang: str) -> str:
        """The message in ``lang`` (``id`` or ``en``)."""
        return self.id if lang == "id" else self.en


def _need(key: str) -> RecordError:
    return RecordError(
        f"a decision record needs {key!r}", f"catatan keputusan harus memuat {key!r}"
    )


_LETTER: dict[Any, str] = {True: "p", False: "f", None: "n"}
_RESULT: dict[str, Any] = {"p": True, "f": False, "n": None}
_OUTCOMES = {o.value: o for o in Outcome}


def _letters(results: tuple[Any, ...]) -> tuple[str, dict[str, str]]:
    try:
        return "".join([_LETTER[r] for r in results]), {}
    except KeyError:  # an error (or an unexpected value) among the results
        pass
    letters = []
    errors: dict[str, str] = {}
    for slot, result in enumerate(results):
        if type(result) is RuleError:
            letters.append("e")
            errors[str(slot)] = result.detail
        else:
            letters.append(_LETTER.get(result, "e"))
    return "".join(letters), errors


def record_json(decision: Decision) -> str:
    """The decision's record as one line of compact JSON (the ``--format records`` line)."""
    rules, rule_errors = _letters(decision[8])
    scores, score_errors = _letters(decision[9])
    errors = ""
    if rule_errors or score_errors:
        errors = ',"errors":' + _json({"rules": rule_errors, "scores": score_errors})
    line: str = (
        '{"application_id":'
        + encode_basestring(decision[0])
        + ',"outcome":"'
        + decision[1].value
        + '","aid_value":'
        + _json(decision[2])
        + ',"business_type":'
        + encode_basestring(decision[6])
        + ',"plan_total":'
        + _json(decision[7])
        + ',"rules_applied_on":"'
        + decision[3].isoformat()
        + '","engine":'
        + encode_basestring(decision[4])
        + ',"ruleset_digest":'
        + encode_basestring(decision[5].digest)
        + ',"rules":"'
        + rules
        + '","scores":"'
        + scores
        + '"'
        + errors
        + ',"values":'
        + _values_json(decision[10])
        + "}"
    )
    return line


def _values_json(values: tuple[Any, ...]) -> str:
    try:
        return to_json(values).decode()
    except PydanticSerializationError:  # a value pydantic cannot write: each on its own
        return "[" + ",".join([_json(v) for v in values]) + "]"


def to_record(decision: Decision) -> dict[str, Any]:
    """The decision's record as JSON-ready data (what :func:`record_json` writes)."""
    record: dict[str, Any] = json.loads(record_json(decision))
    return record


def from_record(record: Mapping[str, Any], manifest: Manifest) -> Decision:
    """The decision a record describes, explained with ``manifest``.

    :raises UnknownDigestError: when the record was made with other rulesets than ``manifest``'s.
    :raises RecordError: naming what is wrong with a malformed record.
    """
    digest = record.get("ruleset_digest")
    if not isinstance(digest, str):
        raise RecordError(
            "'ruleset_digest' must be a text (sha256:...)",
            "'ruleset_digest' harus berupa teks (sha256:...)",
        )
    if digest != manifest.digest:
        raise UnknownDigestError(digest, manifest.digest)
    try:
        outcome = _OUTCOMES.get(record["outcome"])
        if outcome is None:
            raise RecordError(
                f"'outcome' must be one of {', '.join(_OUTCOMES)} (got {record['outcome']!r})",
                f"'outcome' harus salah satu dari {', '.join(_OUTCOMES)} "
                f"(bukan {record['outcome']!r})",
            )
        on = _date(record["rules_applied_on"])
        errors = record.get("errors") or {}
        results = _results(record["rules"], errors.get("rules") or {}, len(manifest.rules), "rules")
        scores = _results(
            record["scores"], errors.get("scores") or {}, len(manifest.scores), "scores"
        )
        raw = record["values"]
        fields = (
            record["application_id"],
            record["aid_value"],
            record["business_type"],
            record["plan_total"],
            record["engine"],
        )
    except KeyError as exc:
        raise _need(str(exc.args[0])) from None
    except (TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, RecordError):
            raise
        raise RecordError(
            f"malformed decision record: {exc}", f"catatan keputusan tidak valid: {exc}"
        ) from None
    application_id, aid_value, business_type, plan_total, engine = fields
    if not all(isinstance(f, str) for f in (application_id, business_type, engine)):
        raise RecordError(
            "'application_id', 'business_type' and 'engine' must be texts",
            "'application_id', 'business_type' dan 'engine' harus berupa teks",
        )
    if not all(type(f) is int for f in (aid_value, plan_total)):
        raise RecordError(
            "'aid_value' and 'plan_total' must be whole numbers",
            "'aid_value' dan 'plan_total' harus bilangan bulat",
        )
    if business_type not in manifest.business_types:
        raise RecordError(
            f"business type {business_type!r} is not registered",
            f"jenis usaha {business_type!r} tidak terdaftar",
        )
    if not isinstance(raw, list) or len(raw) != len(manifest.value_paths):
        count = len(manifest.value_paths)
        raise RecordError(
            f"'values' must be a list of {count} values", f"'values' harus daftar {count} nilai"
        )
    decoders = _decoders(manifest)
    try:
        values = tuple(decode(v) for decode, v in zip(decoders, raw, strict=True))
    except ValidationError as exc:
        detail = exc.errors()[0]["msg"]
        raise RecordError(f"'values': {detail}", f"'values': {detail}") from None
    return Decision.build(
        application_id,
        outcome,
        aid_value,
        on,
        engine,
        manifest,
        business_type,
        plan_total,
        results,
        scores,
        values,
    )


def _date(text: Any) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise RecordError(
            f"'rules_applied_on' must be a date (YYYY-MM-DD), got {text!r}",
            f"'rules_applied_on' harus tanggal (YYYY-MM-DD), bukan {text!r}",
        ) from None


def _results(letters: Any, errors: Mapping[str, str], count: int, key: str) -> tuple[Any, ...]:
    if not isinstance(letters, str) or len(letters) != count:
        raise RecordError(
            f"{key!r} must be a text of {count} status letters (p, f, n, e)",
            f"{key!r} harus teks berisi {count} huruf status (p, f, n, e)",
        )
    results: list[Any] = []
    for slot, letter in enumerate(letters):
        if letter == "e":
            results.append(RuleError.from_detail(str(errors.get(str(slot), ""))))
        elif letter in _RESULT:
            results.append(_RESULT[letter])
        else:
            raise RecordError(
                f"{key!r}: unknown status letter {letter!r} (p, f, n or e)",
                f"{key!r}: huruf status {letter!r} tidak dikenal (p, f, n atau e)",
            )
    return tuple(results)


# -- values -------------------------------------------------------------------------------------

_DECODERS: dict[str, tuple[Callable[[Any], Any], ...]] = {}


def _decoders(manifest: Manifest) -> tuple[Callable[[Any], Any], ...]:
    found = _DECODERS.get(manifest.digest)
    if found is None:
        found = _DECODERS[manifest.digest] = tuple(_decoder(p) for p in manifest.value_paths)
    return found


def _plain(value: Any) -> Any:
    """A JSON value as the engines hold it: lists as tuples."""
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    return value


def _decoder(path: str) -> Callable[[Any], Any]:
    """How to turn the JSON of the value at ``path`` back into what the engine read."""
    annotation = _annotation(path)
    if annotation is None or _is_scalar(annotation):
        return _plain
    return TypeAdapter(annotation).validate_python


def _annotation(path: str) -> Any:
    """The type of the application field at ``path``, or None for a derived value."""
    model: Any = Application
    annotation: Any = None
    for part in path.split("."):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        annotation = info.annotation
        model = unwrap_annotation(annotation)
    return annotation


def _is_scalar(annotation: Any) -> bool:
    inner = unwrap_annotation(annotation)
    return inner in (int, str, bool) or typing.get_origin(inner) is typing.Literal
