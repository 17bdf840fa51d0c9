"""Explanations of decisions: everything that turns a decision record into words.

::

    engine ──fills──▶ Decision (compact record: statuses, values read, date, digest)
                          │
    Layout ──once──▶ Manifest (titles, message templates, references, names, parameters)
                          │
              findings · referrals · recommendations · to_json() · explain() (id / en)

- :class:`Manifest`: the texts of one rule book, registered by its digest
  (:func:`manifest_for_digest`); a decision pickles with the digest only.
- :func:`record_json` / :func:`from_record`: the compact record as one JSON line, and back.
- :func:`explain`: a decision as readable text; :func:`format_value`: a value as messages show it.
"""

from __future__ import annotations

from bansos_rules.explain._format import Template, format_value
from bansos_rules.explain._manifest import Manifest, UnknownDigestError, manifest_for_digest
from bansos_rules.explain._record import RecordError, from_record, record_json, to_record
from bansos_rules.explain._text import explain

__all__ = [
    "Manifest",
    "RecordError",
    "Template",
    "UnknownDigestError",
    "explain",
    "format_value",
    "from_record",
    "manifest_for_digest",
    "record_json",
    "to_record",
]
