"""Reading what a NIK says: issuing area, birth date, sex and serial.

A NIK is ``PP RR DD ddmmyy SSSS``: province, regency/city, district, birth date (women add 40 to the
day), serial. The century is not encoded, so the birth date can only be compared with a stated one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bansos_rules._messages import Lang
from bansos_rules._types import Sex

__all__ = ["NikParts", "nik_problems", "parse_nik"]

# The century is not encoded, so 29 February is always possible.
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True, slots=True)
class NikParts:
    """The fields encoded in a NIK."""

    province: str
    regency: str
    district: str
    birth_day: int
    birth_month: int
    birth_year_2d: int
    sex: Sex
    serial: str

    def matches_birth_date(self, born: date) -> bool:
        """Whether the encoded day, month and two-digit year agree with ``born``."""
        return (
            self.birth_day == born.day
            and self.birth_month == born.month
            and self.birth_year_2d == born.year % 100
        )


def nik_problems(nik: str, lang: Lang = "en") -> list[str]:
    """Every structural problem of a 16-digit NIK, in ``lang``; empty when it is well formed."""
    en = lang != "id"
    problems: list[str] = []
    day, month = int(nik[6:8]), int(nik[8:10])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        problems.append(
            f"birth day {nik[6:8]} must be 01-31 (men) or 41-71 (women)"
            if en
            else f"tanggal lahir {nik[6:8]} harus 01-31 (laki-laki) atau 41-71 (perempuan)"
        )
    if not 1 <= month <= 12:
        problems.append(
            f"birth month {nik[8:10]} must be 01-12"
            if en
            else f"bulan lahir {nik[8:10]} harus 01-12"
        )
    elif (1 <= day <= 31 or 41 <= day <= 71) and day % 40 > _DAYS_IN_MONTH[month]:
        problems.append(
            f"birth day {day % 40:02d} does not exist in month {nik[8:10]}"
            if en
            else f"tanggal {day % 40:02d} tidak ada di bulan {nik[8:10]}"
        )
    if nik[12:] == "0000":
        problems.append("serial number must not be 0000" if en else "nomor urut tidak boleh 0000")
    if nik[:2] == "00" or nik[2:4] == "00":
        problems.append(
            "province and regency codes must not be 00"
            if en
            else "kode provinsi dan kabupaten/kota tidak boleh 00"
        )
    return problems


def parse_nik(nik: str) -> NikParts:
    """Split a well-formed NIK into its parts.

    :param nik: a 16-digit NIK that :func:`nik_problems` found no fault with.
    """
    day = int(nik[6:8])
    female = day > 40
    return NikParts(
        province=nik[:2],
        regency=nik[:4],
        district=nik[:6],
        birth_day=day - 40 if female else day,
        birth_month=int(nik[8:10]),
        birth_year_2d=int(nik[10:12]),
        sex="female" if female else "male",
        serial=nik[12:],
    )
