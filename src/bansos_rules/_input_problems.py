"""Why an input record could not be read, in Bahasa Indonesia and English.

A :class:`RecordProblem` is one reason a record of an application file is invalid before its
fields are validated: the JSON is broken or hostile (nested too deep, a number thousands of digits
long, the same key twice), or a spreadsheet export is ambiguous or mangled (a repeated column, a
NIK turned into ``6.47204E+15``). Each has a stable code, the field it is about when known, and a
message in both languages.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bansos_rules._messages import Lang

__all__ = ["LIMITS", "RecordProblem", "input_codes"]

LIMITS: dict[str, int] = {
    "record_chars": 1_000_000,
    "depth": 20,
    "digits": 30,
    "text_chars": 10_000,
    "list_items": 10_000,
    "cell_chars": 10_000,
}
"""What one input record may hold; anything beyond makes that record (and only it) invalid."""

_FIX_NUMBER = (
    "Format kolom itu sebagai Teks di lembar kerja (atau awali angkanya dengan tanda kutip '), "
    "lalu ketik ulang nomornya dari dokumen aslinya: digit yang hilang tidak dapat dikembalikan",
    "format that column as Text in the spreadsheet (or start the number with an apostrophe '), "
    "then type the number again from the original document: the lost digits cannot be recovered",
)

_TEXTS: dict[str, tuple[str, str]] = {
    "json-invalid": (
        "JSON tidak valid pada kolom {column}: {detail}",
        "invalid JSON at column {column}: {detail}",
    ),
    "not-an-object": (
        "catatan harus berupa objek JSON ({{...}})",
        "a record must be a JSON object",
    ),
    "too-deep": (
        "bersarang terlalu dalam (lebih dari {limit} tingkat)",
        "nested too deeply (more than {limit} levels)",
    ),
    "number-too-long": (
        "angka terlalu panjang ({digits} digit; paling banyak {limit})",
        "number too long ({digits} digits; at most {limit})",
    ),
    "number-not-finite": (
        "{value} bukan angka JSON yang sah",
        "{value} is not a valid JSON number",
    ),
    "text-too-long": (
        "teks terlalu panjang ({length} karakter; paling banyak {limit})",
        "text too long ({length} characters; at most {limit})",
    ),
    "list-too-long": (
        "daftar terlalu panjang ({length} butir; paling banyak {limit})",
        "list too long ({length} items; at most {limit})",
    ),
    "not-utf8": (
        "byte yang bukan UTF-8 pada kolom {column}; simpan berkas sebagai UTF-8",
        "bytes that are not UTF-8 at column {column}; save the file as UTF-8",
    ),
    "not-utf8-text": (
        "teks berisi byte yang bukan UTF-8; simpan berkas sebagai UTF-8",
        "the text holds bytes that are not UTF-8; save the file as UTF-8",
    ),
    "record-too-large": (
        "catatan terlalu besar (lebih dari {limit} karakter)",
        "record too large (more than {limit} characters)",
    ),
    "duplicate-key": (
        "kunci '{key}' ditulis dua kali dalam satu objek; tidak jelas nilai mana yang dimaksud",
        "key '{key}' appears twice in one object; it is ambiguous which value is meant",
    ),
    "csv-duplicate-column": (
        "kolom '{column}' ada dua kali di baris judul (baris {header_line}); tidak jelas sel "
        "mana yang dimaksud. Hapus atau ganti nama salah satunya",
        "column '{column}' appears twice in the header (line {header_line}); it is ambiguous "
        "which cell is meant. Remove or rename one of them",
    ),
    "csv-extra-cells": (
        "baris ini mempunyai {cells} sel, lebih banyak dari {columns} kolom di baris judul",
        "the row has {cells} cells, more than the {columns} columns of the header",
    ),
    "csv-cell-too-large": (
        "sel terlalu besar ({length} karakter; paling banyak {limit})",
        "cell too large ({length} characters; at most {limit})",
    ),
    "csv-column-conflict": (
        "kolom '{column}' bertabrakan dengan kolom lain",
        "column '{column}' conflicts with another column",
    ),
    "csv-cell-json": (
        "kolom '{column}': JSON tidak valid: {detail}",
        "column '{column}': invalid JSON: {detail}",
    ),
    "csv-syntax": (
        "baris CSV tidak dapat dibaca: {detail}",
        "the CSV row cannot be read: {detail}",
    ),
    "number-mangled": (
        "'{value}' bukan nomor {digits} digit: lembar kerja (spreadsheet) mengubahnya menjadi "
        "angka dalam notasi ilmiah dan membuang digit terakhirnya. " + _FIX_NUMBER[0],
        "'{value}' is not a {digits}-digit number: a spreadsheet turned it into a number in "
        "scientific notation and dropped its last digits; " + _FIX_NUMBER[1],
    ),
}


@dataclass(frozen=True)
class RecordProblem:
    """One reason an input record cannot be used, with the field it is about when known."""

    code: str
    field: str | None = None
    args: dict[str, Any] = dataclasses.field(default_factory=dict)

    def text(self, lang: Lang = "en") -> str:
        """The message in ``lang``, prefixed with the field when known."""
        id_text, en_text = _TEXTS[self.code]
        message = (id_text if lang == "id" else en_text).format(**self.args)
        return f"{self.field}: {message}" if self.field else message


def input_codes() -> frozenset[str]:
    """Every code a :class:`RecordProblem` can have."""
    return frozenset(_TEXTS)
