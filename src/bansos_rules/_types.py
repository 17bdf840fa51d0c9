"""Constrained value types shared by the models and the ruleset format.

Each alias is an :data:`typing.Annotated` type, so it validates wherever pydantic meets it and
reads as a plain ``int`` or ``str`` to a type checker.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

__all__ = [
    "Decile",
    "KkNumber",
    "Nik",
    "Occupation",
    "RegencyCode",
    "Rupiah",
    "Sex",
    "Slug",
]

Rupiah = Annotated[int, Field(ge=0, le=10**13, strict=True)]
"""An amount of money in whole rupiah; never a float, a boolean or a text."""

Nik = Annotated[str, StringConstraints(pattern=r"^[0-9]{16}$")]
"""A 16-digit national identity number (*Nomor Induk Kependudukan*).

Only the shape is checked here; what the digits say (issuing area, birth date, serial) is read by
:mod:`bansos_rules._identity` and judged by rules, because a mismatch is a referral, not a
rejection.
"""

KkNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{16}$")]
"""A 16-digit family-card number (*Nomor Kartu Keluarga*)."""

RegencyCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
"""A four-digit Kemendagri regency/city code such as ``6472`` (Samarinda); not a BPS code."""

Decile = Annotated[int, Field(ge=1, le=10, strict=True)]
"""A DTSEN welfare decile: 1 is the poorest tenth of households, 10 the richest."""

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
"""A lower-case identifier (``chicken_farming``, ``raw_material``) used for codes and categories."""

Sex = Literal["male", "female"]
"""Sex as recorded on the identity card."""

Occupation = Literal[
    "none",
    "homemaker",
    "farmer",
    "fisher",
    "laborer",
    "trader",
    "driver",
    "craftsperson",
    "private_employee",
    "civil_servant",
    "military",
    "police",
    "pensioner",
    "other",
]
"""Main occupation; civil servants, soldiers, police and pensioners are usually excluded."""
