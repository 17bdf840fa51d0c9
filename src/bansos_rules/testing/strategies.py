"""Hypothesis strategies for applications to East Kalimantan's individual business aid.

Use them in your own property tests::

    from hypothesis import given
    from bansos_rules.testing import applications

    @given(applications(eligible=True, near_cap=True))
    def test_my_rule(app): ...

Every strategy builds valid models (they never fail pydantic validation) and draws data that looks
like the real thing: Kemendagri regency codes, NIKs that agree with the stated birth date and sex,
Indonesian names, item names and prices in rupiah. Arguments are keyword-only and a bad argument
raises :class:`StrategyArgumentError` (a :class:`hypothesis.errors.InvalidArgument` and a
:class:`~bansos_rules._errors.BansosRulesError`) when the strategy is created.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from bansos_rules._errors import BansosRulesError
from bansos_rules._models import (
    Application,
    Assets,
    BankAccount,
    Beneficiary,
    BusinessLocation,
    BusinessPlan,
    Household,
    HouseholdMember,
    PlanItem,
    PriorAid,
)
from bansos_rules._types import Occupation, Sex
from bansos_rules.ruleset.vocabulary import age_on

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook

__all__ = [
    "BUSINESS_AID_PROGRAMS",
    "BUSINESS_TYPES",
    "DEFAULT_REFERENCE_DATE",
    "EXCLUDED_OCCUPATIONS",
    "FIGURES_2025",
    "ITEM_CATEGORIES",
    "KALTIM_REGENCIES",
    "SKILLS",
    "Figures",
    "StrategyArgumentError",
    "applications",
    "beneficiaries",
    "business_plans",
    "figures",
    "household_members",
    "households",
    "kk_numbers",
    "niks",
    "plan_items",
]


class StrategyArgumentError(BansosRulesError, InvalidArgument):
    """A strategy was given an argument it cannot use (says which, and what it must be)."""


# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------

KALTIM_REGENCIES: dict[str, str] = {
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
"""East Kalimantan's regencies and cities by Kemendagri code (the numbering used in NIKs)."""

# Regencies/cities of other provinces, for NIKs issued outside East Kalimantan.
_OTHER_REGENCIES: tuple[str, ...] = (
    "6371",  # Banjarmasin, South Kalimantan
    "6303",  # Banjar, South Kalimantan
    "6271",  # Palangka Raya, Central Kalimantan
    "6171",  # Pontianak, West Kalimantan
    "6571",  # Tarakan, North Kalimantan
    "7371",  # Makassar, South Sulawesi
    "7313",  # Wajo, South Sulawesi
    "3578",  # Surabaya, East Java
    "3171",  # Central Jakarta
)

_DISTRICTS: dict[str, tuple[str, ...]] = {
    "6401": ("Tanah Grogot", "Long Ikis", "Kuaro", "Batu Sopang"),
    "6402": ("Tenggarong", "Loa Kulu", "Muara Badak", "Sanga-Sanga", "Anggana"),
    "6403": ("Tanjung Redeb", "Gunung Tabur", "Sambaliung", "Talisayan"),
    "6407": ("Barong Tongkok", "Melak", "Linggang Bigung", "Long Iram"),
    "6408": ("Sangatta Utara", "Sangatta Selatan", "Bengalon", "Muara Wahau"),
    "6409": ("Penajam", "Waru", "Babulu", "Sepaku"),
    "6411": ("Long Bagun", "Long Pahangai", "Long Apari", "Laham"),
    "6471": ("Balikpapan Kota", "Balikpapan Utara", "Balikpapan Timur", "Balikpapan Selatan"),
    "6472": ("Samarinda Ulu", "Sungai Kunjang", "Palaran", "Loa Janan Ilir", "Sambutan"),
    "6474": ("Bontang Utara", "Bontang Selatan", "Bontang Barat"),
}

BUSINESS_TYPES: tuple[str, ...] = (
    "food",
    "drinks",
    "fried_snacks",
    "chicken_farming",
    "cake_making",
    "workshop",
)
"""The six business types of the 2025 round (those the built-in plugin registers)."""

ITEM_CATEGORIES: dict[str, tuple[str, ...]] = {
    "food": ("equipment", "raw_material", "packaging"),
    "drinks": ("equipment", "raw_material", "packaging"),
    "fried_snacks": ("equipment", "raw_material", "packaging"),
    "chicken_farming": ("livestock", "feed", "cage", "equipment", "medicine"),
    "cake_making": ("equipment", "raw_material", "packaging"),
    "workshop": ("equipment", "tools", "spare_parts"),
}
"""Item categories the strategies use for each business type (cash lines excepted)."""

_PRIMARY_SKILL: dict[str, str] = {
    "food": "cooking",
    "drinks": "beverage",
    "fried_snacks": "frying",
    "chicken_farming": "poultry",
    "cake_making": "baking",
    "workshop": "mechanics",
}

SKILLS: tuple[str, ...] = (
    "cooking",
    "baking",
    "frying",
    "beverage",
    "poultry",
    "mechanics",
    "welding",
    "bookkeeping",
    "selling",
)
"""Skill slugs the strategies draw from."""

BUSINESS_AID_PROGRAMS: tuple[str, ...] = ("uep", "kube", "pena", "prokus")
"""Earlier business-aid programs that bar an applicant for a while."""

_SOCIAL_AID_PROGRAMS: tuple[str, ...] = ("bpnt", "pbi_jk", "pip", "blt_dd")

EXCLUDED_OCCUPATIONS: tuple[Occupation, ...] = ("civil_servant", "military", "police", "pensioner")
"""Occupations that exclude an applicant (civil servants, soldiers, police, pensioners)."""


DEFAULT_REFERENCE_DATE = date(2025, 6, 1)
"""The date ages and "recent" aid are measured on unless ``on=`` is given."""

_CAPS = (4_500_000, 5_000_000)
_NEAR_CAP_MARGIN = 50_000
_BANKS = ("bankaltimtara", "bankaltimtara", "bri", "bni", "mandiri", "bsi")
_SCHOOL_AGE = (7, 18)

_MALE_GIVEN: tuple[str, ...] = (
    "Ahmad", "Muhammad", "Budi", "Rahmat", "Agus", "Hendra", "Rudi", "Syahrul", "Arif", "Dedi",
    "Fajar", "Irwan", "Joko", "Slamet", "Yusuf", "Andi", "Samuel", "Yohanes", "Hasan", "Darmawan",
    "Rizky", "Sulaiman", "Bambang", "Abdul", "Ilham", "Gusti", "Paulus", "Herman",
)  # fmt: skip
_FEMALE_GIVEN: tuple[str, ...] = (
    "Siti", "Nur", "Dewi", "Sri", "Rina", "Fitri", "Ratna", "Wulan", "Yuliana", "Maria",
    "Aisyah", "Endang", "Lestari", "Nurhayati", "Mariani", "Sulastri", "Rahmah", "Hasnah",
    "Yosefina", "Ani", "Erna", "Kartini", "Halimah", "Suryani", "Norhayati", "Juliana",
)  # fmt: skip
_MALE_SECOND: tuple[str, ...] = (
    "Hidayat", "Saputra", "Rahman", "Pratama", "Wijaya", "Kurniawan", "Setiawan", "Susanto",
    "Hakim", "Fauzi", "Syahputra", "Ramadhan", "Nugroho", "Gunawan",
)  # fmt: skip
_FEMALE_SECOND: tuple[str, ...] = (
    "Rahmawati", "Handayani", "Anggraini", "Puspita", "Wahyuni", "Sari", "Lestari", "Yanti",
    "Astuti", "Safitri", "Purnamasari", "Hidayati", "Fitriani", "Kusumawati",
)  # fmt: skip
_FAMILY_NAMES: tuple[str, ...] = (
    "Lubis", "Siregar", "Nasution", "Pasaribu", "Lahang", "Jalung", "Tandirerung", "Pakpahan",
    "Daeng", "Sinaga", "Ngau", "Hibau", "Ding",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Goods:
    """A catalogue line: an item name, its category, and plausible quantity and price ranges."""

    name: str
    category: str
    quantity: tuple[int, int]
    price: tuple[int, int]  # unit price range in thousands of rupiah


_CATALOGUE: dict[str, tuple[_Goods, ...]] = {
    "food": (
        _Goods("Kompor gas 2 tungku", "equipment", (1, 1), (350, 750)),
        _Goods("Tabung gas LPG 3 kg (isi)", "equipment", (1, 2), (180, 250)),
        _Goods("Etalase kaca", "equipment", (1, 1), (900, 1_800)),
        _Goods("Rice cooker 3 liter", "equipment", (1, 1), (300, 700)),
        _Goods("Panci set stainless", "equipment", (1, 1), (200, 450)),
        _Goods("Wajan besar", "equipment", (1, 2), (80, 200)),
        _Goods("Meja lipat", "equipment", (1, 2), (150, 350)),
        _Goods("Beras 25 kg", "raw_material", (1, 3), (300, 380)),
        _Goods("Minyak goreng 5 liter", "raw_material", (1, 4), (85, 110)),
        _Goods("Kotak nasi kertas (isi 100)", "packaging", (1, 5), (60, 120)),
        _Goods("Kantong plastik (pak)", "packaging", (1, 10), (15, 35)),
    ),
    "drinks": (
        _Goods("Blender", "equipment", (1, 2), (300, 900)),
        _Goods("Mesin press gelas (cup sealer)", "equipment", (1, 1), (700, 2_000)),
        _Goods("Cool box 45 liter", "equipment", (1, 1), (250, 600)),
        _Goods("Dispenser minuman 2 tabung", "equipment", (1, 1), (600, 1_500)),
        _Goods("Gerobak minuman", "equipment", (1, 1), (1_000, 2_500)),
        _Goods("Gula pasir 1 kg", "raw_material", (5, 30), (15, 19)),
        _Goods("Bubuk minuman aneka rasa (pak)", "raw_material", (5, 20), (20, 60)),
        _Goods("Gelas plastik 16 oz (isi 50)", "packaging", (5, 30), (15, 30)),
        _Goods("Plastik segel gelas (roll)", "packaging", (1, 5), (50, 120)),
        _Goods("Sedotan (pak)", "packaging", (5, 20), (5, 15)),
    ),
    "fried_snacks": (
        _Goods("Wajan penggorengan besar", "equipment", (1, 2), (100, 300)),
        _Goods("Kompor gas tekanan tinggi", "equipment", (1, 1), (200, 450)),
        _Goods("Gerobak gorengan", "equipment", (1, 1), (1_200, 2_500)),
        _Goods("Tabung gas LPG 3 kg (isi)", "equipment", (1, 2), (180, 250)),
        _Goods("Serok dan sutil stainless", "equipment", (1, 2), (40, 100)),
        _Goods("Tepung terigu (sak 25 kg)", "raw_material", (1, 3), (230, 300)),
        _Goods("Minyak goreng 5 liter", "raw_material", (1, 6), (85, 110)),
        _Goods("Pisang kepok (sisir)", "raw_material", (5, 20), (15, 30)),
        _Goods("Kertas pembungkus (pak)", "packaging", (1, 5), (20, 50)),
        _Goods("Kantong plastik (pak)", "packaging", (1, 10), (15, 35)),
    ),
    "chicken_farming": (
        _Goods("Bibit ayam kampung (umur 1 bulan)", "livestock", (25, 50), (20, 35)),
        _Goods("Pakan ayam (sak 50 kg)", "feed", (1, 4), (350, 450)),
        _Goods("Bahan kandang ayam panggung", "cage", (1, 1), (1_000, 2_000)),
        _Goods("Kawat ram kandang (roll)", "cage", (1, 3), (150, 350)),
        _Goods("Tempat pakan dan minum ayam", "equipment", (4, 10), (20, 50)),
        _Goods("Lampu pemanas anak ayam", "equipment", (2, 4), (30, 80)),
        _Goods("Vitamin dan vaksin ayam", "medicine", (1, 3), (50, 150)),
    ),
    "cake_making": (
        _Goods("Oven gas 2 rak", "equipment", (1, 1), (800, 2_000)),
        _Goods("Mixer", "equipment", (1, 1), (300, 900)),
        _Goods("Loyang kue set", "equipment", (1, 2), (80, 250)),
        _Goods("Timbangan kue digital", "equipment", (1, 1), (50, 150)),
        _Goods("Kompor gas 1 tungku", "equipment", (1, 1), (200, 400)),
        _Goods("Tepung terigu 1 kg", "raw_material", (10, 40), (12, 16)),
        _Goods("Telur ayam (rak 30 butir)", "raw_material", (2, 8), (45, 60)),
        _Goods("Margarin 1 kg", "raw_material", (2, 6), (30, 50)),
        _Goods("Kotak kue (isi 50)", "packaging", (1, 5), (40, 90)),
        _Goods("Mika plastik kue (pak)", "packaging", (1, 5), (20, 45)),
    ),
    "workshop": (
        _Goods("Kompresor angin", "equipment", (1, 1), (1_500, 3_000)),
        _Goods("Mesin las listrik 900 watt", "equipment", (1, 1), (1_000, 2_000)),
        _Goods("Dongkrak motor", "equipment", (1, 1), (300, 800)),
        _Goods("Kunci set lengkap", "tools", (1, 1), (300, 900)),
        _Goods("Alat tambal ban (press)", "tools", (1, 1), (250, 700)),
        _Goods("Obeng dan tang set", "tools", (1, 1), (100, 300)),
        _Goods("Ban dalam motor", "spare_parts", (5, 20), (25, 45)),
        _Goods("Oli mesin 1 liter", "spare_parts", (6, 24), (40, 65)),
        _Goods("Busi motor", "spare_parts", (5, 20), (15, 30)),
    ),
}

# A line whose value is whatever is left, so that a plan can hit a chosen total exactly.
_TOP_UP: dict[str, tuple[str, str]] = {
    "food": ("Paket bahan baku awal (beras, minyak, bumbu)", "raw_material"),
    "drinks": ("Paket bahan minuman awal (gula, teh, bubuk rasa)", "raw_material"),
    "fried_snacks": ("Paket bahan gorengan awal (tepung, minyak, pisang)", "raw_material"),
    "chicken_farming": ("Pakan ayam 3 bulan", "feed"),
    "cake_making": ("Paket bahan kue awal (tepung, telur, margarin, gula)", "raw_material"),
    "workshop": ("Paket suku cadang awal (ban dalam, oli, busi)", "spare_parts"),
}
_CASH_LINE = "Uang tunai modal kerja"

_BENEFICIARY_PROBLEMS = (
    "not_dtks",
    "high_decile",
    "not_pkh",
    "excluded_occupation",
    "nik_outside_kaltim",
    "recent_business_aid",
    "no_bank_account",
)
_HOUSEHOLD_PROBLEMS = ("no_clean_water", "no_sanitation", "slum_area", "child_out_of_school")


# --------------------------------------------------------------------------------------------
# Figures: the policy numbers the strategies aim at
# --------------------------------------------------------------------------------------------

_ANY_TYPE = "*"
_GENERIC_GOODS: dict[str, _Goods] = {
    "equipment": _Goods("Peralatan usaha", "equipment", (1, 2), (300, 1_500)),
    "tools": _Goods("Perkakas kerja", "tools", (1, 2), (100, 600)),
    "raw_material": _Goods("Bahan baku", "raw_material", (1, 5), (50, 300)),
    "packaging": _Goods("Kemasan", "packaging", (1, 5), (20, 100)),
    "spare_parts": _Goods("Suku cadang", "spare_parts", (1, 10), (20, 80)),
    "livestock": _Goods("Bibit ternak", "livestock", (5, 30), (20, 60)),
    "feed": _Goods("Pakan ternak (sak)", "feed", (1, 4), (300, 450)),
    "cage": _Goods("Bahan kandang", "cage", (1, 2), (300, 1_500)),
    "medicine": _Goods("Obat dan vitamin ternak", "medicine", (1, 3), (50, 150)),
}
_TOP_UP_PREFERENCE = ("raw_material", "feed", "spare_parts", "packaging")


@dataclass(frozen=True)
class Figures:
    """The policy figures the strategies aim at: who is eligible, the caps, what a plan holds.

    :data:`FIGURES_2025` holds the 2025 round's; :func:`figures` reads them from a rule book, so
    strategies given ``book=`` follow the rulesets (and the business types plugins registered).
    Mappings by business type are tuples of ``(code, values)`` pairs, ``"*"`` for any other type,
    so a ``Figures`` is hashable.
    """

    business_types: tuple[str, ...]
    """Codes of the registered business types."""
    caps: tuple[int, int]
    """Lowest and highest plan total that can be approved, in rupiah."""
    ages: tuple[int, int]
    """Youngest and oldest eligible applicant, in whole years."""
    max_decile: int
    """Highest DTSEN decile still eligible."""
    excluded_occupations: tuple[Occupation, ...]
    """Occupations that exclude an applicant."""
    business_aid_programs: tuple[str, ...]
    """Earlier business-aid programs that bar an applicant for a while."""
    lookback_years: int
    """How many years earlier business aid bars an applicant."""
    school_ages: tuple[int, int]
    """Ages at which children should be in school."""
    item_categories: tuple[tuple[str, tuple[str, ...]], ...]
    """Plan item categories allowed, by business type."""
    skills: tuple[tuple[str, tuple[str, ...]], ...]
    """Skills that support each business type."""

    def categories_for(self, business_type: str) -> tuple[str, ...]:
        """The item categories allowed for ``business_type`` (its own, else those for ``"*"``)."""
        return _by_type(self.item_categories, business_type) or ("equipment", "raw_material")

    def skills_for(self, business_type: str) -> tuple[str, ...]:
        """The skills that support ``business_type`` (its own, else those for ``"*"``)."""
        return _by_type(self.skills, business_type)


def _by_type(pairs: tuple[tuple[str, tuple[str, ...]], ...], code: str) -> tuple[str, ...]:
    table = dict(pairs)
    return table.get(code, table.get(_ANY_TYPE, ()))


FIGURES_2025 = Figures(
    business_types=BUSINESS_TYPES,
    caps=_CAPS,
    ages=(18, 59),
    max_decile=4,
    excluded_occupations=EXCLUDED_OCCUPATIONS,
    business_aid_programs=BUSINESS_AID_PROGRAMS,
    lookback_years=3,
    school_ages=_SCHOOL_AGE,
    item_categories=tuple(ITEM_CATEGORIES.items()),
    skills=tuple((t, (skill,)) for t, skill in _PRIMARY_SKILL.items()),
)
"""The 2025 round's figures: what the strategies use when no ``book`` is given."""


def figures(book: RuleBook, *, on: date | None = None) -> Figures:
    """The figures in ``book`` on ``on``, each falling back to :data:`FIGURES_2025`.

    The business types are those registered with the book. Parameters are found by name in any
    of the book's rulesets (the first that has it): ``min_aid`` and ``max_aid``; ``min_age`` and
    ``max_age``; ``max_decile``; ``excluded_occupations``; ``business_aid_programs``;
    ``prior_aid_lookback_years``; ``school_age_min`` and ``school_age_max``;
    ``allowed_item_categories`` and ``relevant_skills`` (by business type).

    :param book: a :class:`~bansos_rules.RuleBook` from :func:`~bansos_rules.load_rules`.
    :param on: the date whose parameter values apply; defaults to 1 June 2025.
    :raises StrategyArgumentError: when a parameter has a value of the wrong kind, or a rule needs a
        parameter that is not in force on ``on``.
    """
    from bansos_rules._errors import RulesetError

    ref = _check_on(on)
    try:
        resolved = book.layout.params_on(ref)
    except RulesetError as exc:
        raise StrategyArgumentError(f"the book's rules are not in force on {ref}: {exc}") from exc
    values: dict[str, Any] = {}
    for rs in book.rulesets:
        for name in rs.parameters:
            if name not in values:
                values[name] = resolved.value(rs.id, name)
    base = FIGURES_2025

    def whole(name: str, default: int) -> int:
        value = values.get(name)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise StrategyArgumentError(
                f"parameter {name!r} on {ref} is {value!r}, not a whole number"
            )
        return value

    def words(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = values.get(name)
        if value is None:
            return default
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise StrategyArgumentError(
                f"parameter {name!r} on {ref} is {value!r}, not a list of text"
            )
        return tuple(value)

    def by_type(
        name: str, default: tuple[tuple[str, tuple[str, ...]], ...]
    ) -> tuple[tuple[str, tuple[str, ...]], ...]:
        value = values.get(name)
        if value is None:
            return default
        if not isinstance(value, Mapping) or not all(
            isinstance(v, list | tuple) for v in value.values()
        ):
            raise StrategyArgumentError(
                f"parameter {name!r} on {ref} is {value!r}, not lists by type"
            )
        return tuple((str(k), tuple(str(x) for x in v)) for k, v in value.items())

    occupations = typing.get_args(Occupation)
    excluded = words("excluded_occupations", base.excluded_occupations)
    low, high = whole("min_aid", base.caps[0]), whole("max_aid", base.caps[1])
    youngest, oldest = whole("min_age", base.ages[0]), whole("max_age", base.ages[1])
    school = (
        whole("school_age_min", base.school_ages[0]),
        whole("school_age_max", base.school_ages[1]),
    )
    return Figures(
        business_types=tuple(book.layout.business_types) or base.business_types,
        caps=(min(low, high), max(low, high)),
        ages=(min(max(youngest, 0), 110), min(max(oldest, youngest, 0), 110)),
        max_decile=min(whole("max_decile", base.max_decile), 10),
        excluded_occupations=tuple(o for o in occupations if o in excluded),
        business_aid_programs=words("business_aid_programs", base.business_aid_programs),
        lookback_years=max(1, whole("prior_aid_lookback_years", base.lookback_years)),
        school_ages=(min(school), max(school)),
        item_categories=by_type("allowed_item_categories", base.item_categories),
        skills=by_type("relevant_skills", base.skills),
    )


def _figures_of(book: object, on: date) -> Figures:
    """The figures for a strategy's ``book=`` argument (cached per book and date)."""
    if book is None:
        return FIGURES_2025
    from bansos_rules._book import RuleBook

    if not isinstance(book, RuleBook):
        raise StrategyArgumentError(f"book={book!r} must be a RuleBook (from load_rules) or None")
    return _book_figures(book, on)


@lru_cache(maxsize=64)
def _book_figures(book: RuleBook, on: date) -> Figures:
    return figures(book, on=on)


# --------------------------------------------------------------------------------------------
# Argument checks and date helpers
# --------------------------------------------------------------------------------------------


def _check_regency(regency: object, name: str = "regency") -> str | None:
    if regency is None:
        return None
    if (
        not isinstance(regency, str)
        or len(regency) != 4
        or not regency.isascii()
        or not regency.isdigit()
        or regency[:2] == "00"
        or regency[2:] == "00"
    ):
        raise StrategyArgumentError(
            f"{name}={regency!r} must be a four-digit Kemendagri regency code such as '6472'"
        )
    return regency


def _check_date(value: object, name: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise StrategyArgumentError(f"{name}={value!r} must be a datetime.date (not a datetime)")
    return value


def _check_on(on: object) -> date:
    checked = _check_date(on, "on")
    if checked is None:
        return DEFAULT_REFERENCE_DATE
    if not 2000 <= checked.year <= 2099:
        raise StrategyArgumentError(f"on={on!r} must be a date in the years 2000-2099")
    return checked


def _check_sex(sex: object) -> Sex | None:
    if sex is None:
        return None
    if sex == "male":
        return "male"
    if sex == "female":
        return "female"
    raise StrategyArgumentError(f"sex={sex!r} must be 'male', 'female' or None")


def _check_bool(value: object, name: str, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, bool):
        allowed = "True, False or None" if optional else "True or False"
        raise StrategyArgumentError(f"{name}={value!r} must be {allowed}")


def _check_range(value: object, name: str, *, low: int, high: int) -> tuple[int, int]:
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise StrategyArgumentError(f"{name}={value!r} must be a pair of integers (low, high)")
    lo, hi = value
    if not low <= lo <= hi <= high:
        raise StrategyArgumentError(f"{name}={value!r} must satisfy {low} <= low <= high <= {high}")
    return lo, hi


def _check_business_type(business_type: object, fig: Figures = FIGURES_2025) -> str | None:
    if business_type is None:
        return None
    if business_type not in fig.business_types:
        known = ", ".join(fig.business_types)
        hint = "" if fig is not FIGURES_2025 else " (pass book= for types plugins registered)"
        raise StrategyArgumentError(
            f"business_type={business_type!r} must be None or one of {known}{hint}"
        )
    assert isinstance(business_type, str)
    return business_type


# Strategy factories are cached: building a fresh strategy on every draw is what makes
# composite strategies slow, and these are called with a handful of distinct arguments.

_SEXES: SearchStrategy[Sex] = st.sampled_from(("male", "female"))
_KALTIM_CODES: SearchStrategy[str] = st.sampled_from(sorted(KALTIM_REGENCIES))
_OTHER_CODES: SearchStrategy[str] = st.sampled_from(_OTHER_REGENCIES)
_DISTRICT_NUMBERS = st.integers(min_value=1, max_value=20)
_SERIALS = st.integers(min_value=1, max_value=9999)
_KK_ISSUE_DATES = st.dates(min_value=date(2005, 1, 1), max_value=date(2024, 12, 31))
_NIK_BIRTH_DATES = st.dates(min_value=date(1940, 1, 1), max_value=date(2024, 12, 31))


def _years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (28 February for a 29 February that is missing)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@lru_cache(maxsize=1024)
def _birth_dates(on: date, min_age: int, max_age: int) -> SearchStrategy[date]:
    """Birth dates of people aged ``min_age`` to ``max_age`` (whole years) on ``on``."""
    earliest = _years_before(on, max_age + 1) + timedelta(days=1)
    latest = _years_before(on, min_age)
    return st.dates(min_value=earliest, max_value=latest)


@cache
def _regency_codes(regency: str | None) -> SearchStrategy[str]:
    return st.just(regency) if regency is not None else _KALTIM_CODES


@cache
def _districts(regency: str) -> SearchStrategy[str | None]:
    names = _DISTRICTS.get(regency)
    return st.none() if names is None else st.sampled_from(names)


def _join_name(first: str, last: str) -> str:
    return f"{first} {last}".strip()


def _name_strategy(given: tuple[str, ...], second: tuple[str, ...]) -> SearchStrategy[str]:
    rest = st.one_of(st.just(""), st.sampled_from(second), st.sampled_from(_FAMILY_NAMES))
    return st.builds(_join_name, st.sampled_from(given), rest)


_NAMES: dict[Sex, SearchStrategy[str]] = {
    "male": _name_strategy(_MALE_GIVEN, _MALE_SECOND),
    "female": _name_strategy(_FEMALE_GIVEN, _FEMALE_SECOND),
}


@cache
def _problem_sets(problems: tuple[str, ...], ok: bool | None) -> SearchStrategy[frozenset[str]]:
    """Which problems to build in: none when ``ok``, at least one when not, any when None."""
    if ok is True:
        return st.just(frozenset())
    return st.frozensets(st.sampled_from(problems), min_size=0 if ok is None else 1)


def _thousands(k: int) -> int:
    return k * 1000


@lru_cache(maxsize=256)
def _amounts(lo: int, hi: int) -> SearchStrategy[int]:
    """Amounts in [lo, hi], often round thousands, sometimes exactly on an edge."""
    # The edges themselves are drawn on purpose: a cap is where a rule (or an invariant) that
    # says < instead of <= goes wrong, and plain integer draws land on it too rarely.
    edges = st.sampled_from((lo, hi))
    exact = st.integers(min_value=lo, max_value=hi)
    k_lo, k_hi = -(-lo // 1000), hi // 1000
    if k_lo > k_hi:
        return st.one_of(edges, exact)
    return st.one_of(st.integers(min_value=k_lo, max_value=k_hi).map(_thousands), edges, exact)


# --------------------------------------------------------------------------------------------
# Identity numbers
# --------------------------------------------------------------------------------------------


def _format_nik(regency: str, district: int, born: date, sex: Sex, serial: int) -> str:
    day = born.day + 40 if sex == "female" else born.day
    return f"{regency}{district:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def niks(
    *,
    regency: str | None = None,
    birth_date: date | None = None,
    sex: Sex | None = None,
) -> SearchStrategy[str]:
    """Valid 16-digit NIKs, ``PP RR DD ddmmyy SSSS``.

    The issuing area is an East Kalimantan regency/city (see :data:`KALTIM_REGENCIES`) with a
    district ``01``-``20``; women have 40 added to the birth day; the serial is ``0001``-``9999``.

    :param regency: four-digit Kemendagri code of the issuing regency/city (any province);
        ``None`` draws an East Kalimantan one.
    :param birth_date: the birth date to encode; ``None`` draws one between 1940 and 2024.
    :param sex: ``"male"`` or ``"female"``; ``None`` draws either.
    """
    code = _check_regency(regency)
    born = _check_date(birth_date, "birth_date")
    fixed_sex = _check_sex(sex)
    return st.builds(
        _format_nik,
        _regency_codes(code),
        _DISTRICT_NUMBERS,
        _NIK_BIRTH_DATES if born is None else st.just(born),
        _SEXES if fixed_sex is None else st.just(fixed_sex),
        _SERIALS,
    )


def _format_kk(regency: str, district: int, issued: date, serial: int) -> str:
    return f"{regency}{district:02d}{issued:%d%m%y}{serial:04d}"


@cache
def _kk_numbers(regency: str | None) -> SearchStrategy[str]:
    return st.builds(
        _format_kk, _regency_codes(regency), _DISTRICT_NUMBERS, _KK_ISSUE_DATES, _SERIALS
    )


def kk_numbers(*, regency: str | None = None) -> SearchStrategy[str]:
    """Valid 16-digit family-card (KK) numbers: issuing area, issue date ``ddmmyy``, serial.

    :param regency: four-digit Kemendagri code of the issuing regency/city; ``None`` draws an
        East Kalimantan one. A KK is reissued when a family moves, so it follows the residence.
    """
    return _kk_numbers(_check_regency(regency))


# --------------------------------------------------------------------------------------------
# Beneficiaries
# --------------------------------------------------------------------------------------------


@cache
def _deciles(max_decile: int, high: bool) -> SearchStrategy[int | None]:
    """Eligible deciles (unknown, or 1 to ``max_decile``), or those above ``max_decile``."""
    if high:
        return st.integers(min_value=max_decile + 1, max_value=10)
    if max_decile < 1:
        return st.none()
    return st.one_of(st.none(), st.integers(min_value=1, max_value=max_decile))


@cache
def _occupations(
    excluded: tuple[Occupation, ...], bad: bool, sex: Sex
) -> SearchStrategy[Occupation]:
    if bad:
        return st.sampled_from(excluded)
    allowed = tuple(o for o in typing.get_args(Occupation) if o not in excluded)
    return st.sampled_from(tuple(o for o in allowed if sex == "female" or o != "homemaker"))


@cache
def _interests(business_types: tuple[str, ...]) -> SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(business_types), min_size=1, max_size=2, unique=True)


@cache
def _skill_lists(fig: Figures) -> SearchStrategy[list[str]]:
    extra = (skill for _, skills in fig.skills for skill in skills)
    return st.lists(
        st.sampled_from(tuple(dict.fromkeys((*SKILLS, *extra)))), max_size=3, unique=True
    )


def _beneficiary_problems(fig: Figures) -> tuple[str, ...]:
    """The ways to break eligibility that these figures leave open."""
    impossible = {
        "high_decile": fig.max_decile >= 10,
        "excluded_occupation": not fig.excluded_occupations,
        "recent_business_aid": not fig.business_aid_programs,
    }
    return tuple(p for p in _BENEFICIARY_PROBLEMS if not impossible.get(p, False))


_BANK_ACCOUNTS: SearchStrategy[BankAccount | None] = st.builds(
    BankAccount,
    bank=st.sampled_from(_BANKS),
    number=st.integers(min_value=10**9, max_value=10**16 - 1).map(str),
)
_ASSETS = st.builds(
    Assets,
    yard_area_m2=st.one_of(st.just(0), st.integers(min_value=1, max_value=500)),
    has_kitchen=st.booleans(),
    has_workshop_space=st.booleans(),
    has_electricity=st.booleans(),
)


@cache
def _aid_years(on_year: int, recent: bool | None, lookback: int = 3) -> SearchStrategy[int]:
    """Years of earlier aid: recent, old, or either.

    Recent is the last two years (fewer when ``lookback`` is shorter), old six or more years ago
    (more when ``lookback`` is longer): the gap keeps them apart under any reading of the period.
    """
    old = st.integers(
        min_value=max(1990, on_year - max(15, lookback + 9)), max_value=on_year - max(6, lookback)
    )
    new = st.integers(min_value=on_year - min(2, lookback - 1), max_value=on_year)
    return new if recent is True else old if recent is False else st.one_of(old, new)


@cache
def _earlier_aid(
    on_year: int, business: bool, fig: Figures = FIGURES_2025
) -> SearchStrategy[PriorAid]:
    """Aid from ``business`` programs (recent ones) or social programs (any year)."""
    return st.builds(
        PriorAid,
        program=st.sampled_from(fig.business_aid_programs if business else _SOCIAL_AID_PROGRAMS),
        year=_aid_years(on_year, True if business else None, fig.lookback_years),
        recipient_nik=st.none(),
    )


@cache
def _old_business_aid(on_year: int, fig: Figures = FIGURES_2025) -> SearchStrategy[PriorAid]:
    """Business aid received long before ``on_year`` (see :func:`_aid_years`); it bars no one."""
    programs = fig.business_aid_programs or BUSINESS_AID_PROGRAMS
    return st.builds(
        PriorAid,
        program=st.sampled_from(programs),
        year=_aid_years(on_year, False, fig.lookback_years),
        recipient_nik=st.none(),
    )


@st.composite
def _beneficiary(
    draw: st.DrawFn,
    *,
    regency: str | None,
    sex: Sex | None,
    eligible: bool | None,
    ages: tuple[int, int],
    on: date,
    business_type: str | None = None,
    fig: Figures = FIGURES_2025,
) -> Beneficiary:
    problems = draw(_problem_sets(_beneficiary_problems(fig), eligible))
    residence = draw(_regency_codes(regency))
    the_sex: Sex = sex if sex is not None else draw(_SEXES)
    born = draw(_birth_dates(on, *ages))

    # A NIK is permanent: usually issued where the person lives, sometimes elsewhere in Kaltim.
    if "nik_outside_kaltim" in problems:
        issued_in = draw(_OTHER_CODES)
    elif residence in KALTIM_REGENCIES and draw(st.booleans()):
        issued_in = residence
    else:
        issued_in = draw(_KALTIM_CODES)
    nik = _format_nik(issued_in, draw(_DISTRICT_NUMBERS), born, the_sex, draw(_SERIALS))

    interests = draw(_interests(fig.business_types))
    skills = draw(_skill_lists(fig))
    if business_type is not None:
        # An application is for a business the applicant wants, often with the matching skill.
        interests = [business_type, *(t for t in interests[:1] if t != business_type)]
        supporting = fig.skills_for(business_type)
        primary = supporting[0] if supporting else None
        if primary is not None and primary not in skills and draw(st.booleans()):
            skills = [primary, *skills[:2]]
    certified: bool = draw(st.booleans())
    certificates = (skills[0],) if skills and certified else ()

    prior = draw(
        st.lists(
            st.one_of(_earlier_aid(on.year, business=False), _old_business_aid(on.year, fig)),
            max_size=2,
        )
    )
    if "recent_business_aid" in problems:
        recent = draw(_earlier_aid(on.year, True, fig))
        prior.insert(draw(st.integers(min_value=0, max_value=len(prior))), recent)
    # Some records name the recipient: the applicant.
    named: list[bool] = [draw(st.booleans()) for _ in prior]
    prior = [
        aid.model_copy(update={"recipient_nik": nik}) if name else aid
        for aid, name in zip(prior, named, strict=True)
    ]

    max_experience = max(0, min(20, age_on(born, on) - 15))
    return draw(
        st.builds(
            Beneficiary,
            nik=st.just(nik),
            kk_number=_kk_numbers(residence),
            name=_NAMES[the_sex],
            sex=st.just(the_sex),
            birth_date=st.just(born),
            regency=st.just(residence),
            district=_districts(residence),
            village=st.none(),
            dtks_registered=st.just("not_dtks" not in problems),
            dtsen_decile=_deciles(fig.max_decile, "high_decile" in problems),
            pkh_member=st.just("not_pkh" not in problems),
            occupation=_occupations(
                fig.excluded_occupations, "excluded_occupation" in problems, the_sex
            ),
            interests=st.just(tuple(interests)),
            skills=st.just(tuple(skills)),
            certificates=st.just(certificates),
            existing_business=st.one_of(st.none(), st.sampled_from(interests)),
            business_experience_years=st.integers(min_value=0, max_value=max_experience),
            assets=_ASSETS,
            prior_aid=st.just(tuple(prior)),
            bank_account=st.none() if "no_bank_account" in problems else _BANK_ACCOUNTS,
        )
    )


def beneficiaries(
    *,
    regency: str | None = None,
    sex: Sex | None = None,
    eligible: bool | None = None,
    ages: tuple[int, int] | None = None,
    on: date | None = None,
    book: RuleBook | None = None,
) -> SearchStrategy[Beneficiary]:
    """Applicants whose NIK agrees with their birth date and sex.

    With ``eligible=True`` every applicant is registered in DTKS/DTSEN (decile unknown or 1-4), a
    member of a PKH family, not a civil servant, soldier, police officer or pensioner, holds a
    NIK issued in East Kalimantan, had no UEP/KUBE/PENA/ProKUS aid in the six years before
    ``on`` and has a bank account. With ``eligible=False`` at least one of those fails; aid that
    breaks the rule was received in the two years before ``on``, so it counts under any look-back
    period from three to six years.

    :param regency: Kemendagri code of the regency/city of residence; ``None`` draws an East
        Kalimantan one. The KK number follows the residence; the NIK may have been issued in
        another East Kalimantan regency.
    :param sex: ``"male"`` or ``"female"``; ``None`` draws either.
    :param eligible: ``True`` for applicants meeting the conditions above, ``False`` for
        applicants breaking at least one, ``None`` for anything valid.
    :param ages: inclusive range of ages in whole years on ``on``; defaults to the eligible ages
        (18-59, or ``min_age``-``max_age`` of ``book``).
    :param on: reference date for ages and for "recent" aid; defaults to 1 June 2025.
    :param book: a rule book whose figures on ``on`` replace the 2025 ones (see :func:`figures`):
        the decile limit, excluded occupations, business-aid programs and look-back period,
        eligible ages, and the business types interests are drawn from.
    """
    code = _check_regency(regency)
    fixed_sex = _check_sex(sex)
    _check_bool(eligible, "eligible", optional=True)
    ref = _check_on(on)
    fig = _figures_of(book, ref)
    age_range = fig.ages if ages is None else _check_range(ages, "ages", low=0, high=110)
    return _beneficiary(
        regency=code, sex=fixed_sex, eligible=eligible, ages=age_range, on=ref, fig=fig
    )


# --------------------------------------------------------------------------------------------
# Households
# --------------------------------------------------------------------------------------------

_RELATIONS = ("head", "spouse", "child", "parent", "other")
_Relation = Literal["head", "spouse", "child", "parent", "other"]


@cache
def _in_school_for(
    age: int, adequate: bool, school: tuple[int, int] = _SCHOOL_AGE
) -> SearchStrategy[bool | None]:
    """Whether someone of ``age`` is in school; never False for a school-age child if adequate."""
    if school[0] <= age <= school[1]:
        return st.just(True) if adequate else st.booleans()
    if age < 5 or age > 24:
        return st.none()
    return st.one_of(st.none(), st.just(True)) if adequate else st.one_of(st.none(), st.booleans())


@st.composite
def _member(
    draw: st.DrawFn,
    *,
    relation: _Relation,
    ages: tuple[int, int],
    on: date,
    sex: Sex | None = None,
    adequate: bool = False,
    in_school: bool | None = None,
    school_ages: tuple[int, int] = _SCHOOL_AGE,
) -> HouseholdMember:
    the_sex: Sex = sex if sex is not None else draw(_SEXES)
    born = draw(_birth_dates(on, *ages))
    school = (
        st.just(in_school)
        if in_school is not None
        else _in_school_for(age_on(born, on), adequate, school_ages)
    )
    return draw(
        st.builds(
            HouseholdMember,
            name=_NAMES[the_sex],
            birth_date=st.just(born),
            sex=st.just(the_sex),
            relation=st.just(relation),
            in_school=school,
        )
    )


@lru_cache(maxsize=4096)
def _members(
    relation: _Relation,
    ages: tuple[int, int],
    on: date,
    sex: Sex | None = None,
    adequate: bool = False,
    in_school: bool | None = None,
    school_ages: tuple[int, int] = _SCHOOL_AGE,
) -> SearchStrategy[HouseholdMember]:
    return _member(
        relation=relation,
        ages=ages,
        on=on,
        sex=sex,
        adequate=adequate,
        in_school=in_school,
        school_ages=school_ages,
    )


def household_members(
    *,
    relation: _Relation | None = None,
    ages: tuple[int, int] = (0, 90),
    on: date | None = None,
) -> SearchStrategy[HouseholdMember]:
    """People on a family card; ``in_school`` is drawn for those of school age (7-18).

    :param relation: ``"head"``, ``"spouse"``, ``"child"``, ``"parent"`` or ``"other"``;
        ``None`` draws any.
    :param ages: inclusive range of ages in whole years on ``on``.
    :param on: reference date for ages; defaults to 1 June 2025.
    """
    if relation is not None and relation not in _RELATIONS:
        raise StrategyArgumentError(f"relation={relation!r} must be None or one of {_RELATIONS}")
    age_range = _check_range(ages, "ages", low=0, high=110)
    ref = _check_on(on)
    relations: SearchStrategy[_Relation] = (
        st.sampled_from(_RELATIONS) if relation is None else st.just(relation)
    )
    return relations.flatmap(lambda r: _member(relation=r, ages=age_range, on=ref))


@cache
def _household_aid(on_year: int, pkh: bool) -> SearchStrategy[tuple[PriorAid, ...]]:
    """Social aid the family received in the last six years (PKH only for PKH families)."""
    programs = (*_SOCIAL_AID_PROGRAMS, "pkh") if pkh else _SOCIAL_AID_PROGRAMS
    aid = st.builds(
        PriorAid,
        program=st.sampled_from(programs),
        year=st.integers(min_value=on_year - 6, max_value=on_year),
        recipient_nik=st.none(),
    )
    return st.lists(aid, max_size=3).map(tuple)


_INCOMES = st.integers(min_value=0, max_value=600).map(lambda k: k * 10_000)


@st.composite
def _household(
    draw: st.DrawFn,
    *,
    kk_number: str | None,
    adequate: bool | None,
    on: date,
    applicant: Beneficiary | None = None,
    school_ages: tuple[int, int] = _SCHOOL_AGE,
) -> Household:
    problems = draw(_problem_sets(_HOUSEHOLD_PROBLEMS, adequate))
    fine = adequate is True  # then every school-age member is in school
    members: list[HouseholdMember] = []

    def add(relation: _Relation, ages: tuple[int, int], sex: Sex | None = None) -> int:
        member = draw(_members(relation, ages, on, sex, fine, None, school_ages))
        members.append(member)
        return age_on(member.birth_date, on)

    def add_applicant(relation: _Relation) -> int:
        assert applicant is not None
        age = age_on(applicant.birth_date, on)
        member = st.builds(
            HouseholdMember,
            name=st.just(applicant.name),
            birth_date=st.just(applicant.birth_date),
            sex=st.just(applicant.sex),
            relation=st.just(relation),
            in_school=_in_school_for(age, fine, school_ages),
        )
        members.append(draw(member))
        return age

    def add_spouse(head_age: int, lowest: int) -> int:
        lo = min(110, max(lowest, head_age - 10))
        return add("spouse", (lo, min(110, max(lo, head_age + 5))), "female")

    if applicant is not None and age_on(applicant.birth_date, on) < 25:
        # A young adult still on the parents' family card.
        app_age = age_on(applicant.birth_date, on)
        parent_ages = [add("head", (app_age + 18, min(110, app_age + 40)), "male")]
        if draw(st.booleans()):
            parent_ages.append(add_spouse(parent_ages[0], app_age + 16))
        add_applicant("child")
    else:
        married = draw(st.booleans())
        if applicant is not None and applicant.sex == "female" and married:
            age = age_on(applicant.birth_date, on)
            lo = min(110, max(25, age - 5))
            head_age = add("head", (lo, min(110, max(lo, age + 10))), "male")
            parent_ages = [head_age, add_applicant("spouse")]
        else:
            if applicant is not None:
                head_age = add_applicant("head")
            else:
                head_age = add("head", (25, 65), draw(st.sampled_from(("male", "male", "female"))))
            parent_ages = [head_age]
            if married:
                parent_ages.append(add_spouse(head_age, 25))
        if head_age <= 70 and draw(st.integers(min_value=0, max_value=4)) == 0:
            add("parent", (head_age + 18, min(110, head_age + 35)))

    youngest_parent = min(parent_ages)
    max_child_age = min(30, youngest_parent - 17)
    if max_child_age >= 0:
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            add("child", (0, max_child_age))
    if "child_out_of_school" in problems:
        # A child clearly inside the school ages (8-17 for 7-18), not in school.
        first, last = school_ages
        lo = first + 1 if last - first >= 2 else first
        hi = max(lo, min(last - 1 if last - first >= 2 else last, youngest_parent - 17))
        members.append(draw(_members("child", (lo, hi), on, None, False, False, school_ages)))

    pkh = applicant.pkh_member if applicant is not None else draw(st.booleans())
    return draw(
        st.builds(
            Household,
            kk_number=_kk_numbers(None) if kk_number is None else st.just(kk_number),
            members=st.just(tuple(members)),
            monthly_income=_INCOMES,
            clean_water=st.just("no_clean_water" not in problems),
            sanitation=st.just("no_sanitation" not in problems),
            slum_area=st.just("slum_area" in problems),
            aid_history=_household_aid(on.year, pkh),
        )
    )


def households(
    *,
    kk_number: str | None = None,
    adequate: bool | None = None,
    on: date | None = None,
    book: RuleBook | None = None,
) -> SearchStrategy[Household]:
    """Families on one family card, with plausible ages for head, spouse, children and parents.

    ``adequate=True`` means clean water, adequate sanitation, not a slum area, and every member of
    school age (7-18 on ``on``) in school; ``adequate=False`` breaks at least one of these (an
    out-of-school child is a ``child`` aged 8-17).

    :param kk_number: a fixed 16-digit KK number; ``None`` draws one from East Kalimantan.
    :param adequate: ``True``, ``False`` or ``None`` (anything valid), as above.
    :param on: reference date for ages; defaults to 1 June 2025.
    :param book: a rule book whose school ages (``school_age_min``, ``school_age_max``) on ``on``
        replace 7-18.
    """
    if kk_number is not None and not (
        isinstance(kk_number, str)
        and len(kk_number) == 16
        and kk_number.isascii()
        and kk_number.isdigit()
    ):
        raise StrategyArgumentError(f"kk_number={kk_number!r} must be a string of 16 digits")
    _check_bool(adequate, "adequate", optional=True)
    ref = _check_on(on)
    fig = _figures_of(book, ref)
    return _household(kk_number=kk_number, adequate=adequate, on=ref, school_ages=fig.school_ages)


# --------------------------------------------------------------------------------------------
# Business plans
# --------------------------------------------------------------------------------------------


@cache
def _goods_items(goods: _Goods) -> SearchStrategy[PlanItem]:
    return st.builds(
        PlanItem,
        name=st.just(goods.name),
        category=st.just(goods.category),
        quantity=st.integers(min_value=goods.quantity[0], max_value=goods.quantity[1]),
        unit_price=st.integers(min_value=goods.price[0], max_value=goods.price[1]).map(_thousands),
        is_cash=st.just(False),
    )


def _fifty_thousands(k: int) -> int:
    return k * 50_000


@cache
def _cash_items(least: int, most: int) -> SearchStrategy[PlanItem]:
    """Cash lines of ``least`` to ``most`` times Rp50,000."""
    return st.builds(
        PlanItem,
        name=st.just(_CASH_LINE),
        category=st.just("cash"),
        quantity=st.just(1),
        unit_price=st.integers(min_value=least, max_value=most).map(_fifty_thousands),
        is_cash=st.just(True),
    )


@cache
def _catalogue(business_type: str, fig: Figures) -> tuple[_Goods, ...]:
    """Goods for ``business_type`` in the categories ``fig`` allows for it.

    A type without a catalogue (one a plugin registered) gets plain goods for each allowed
    category.
    """
    allowed = fig.categories_for(business_type)
    goods = tuple(g for g in _CATALOGUE.get(business_type, ()) if g.category in allowed)
    if len(goods) >= 2:
        return goods
    have = {g.category for g in goods}
    plain = tuple(
        _GENERIC_GOODS.get(c) or _Goods(f"Barang usaha ({c})", c, (1, 3), (50, 500))
        for c in allowed
        if c not in have
    )
    return goods + plain


@cache
def _top_up(business_type: str, fig: Figures) -> tuple[str, str]:
    """The name and category of the line that takes up the rest of a plan's total."""
    allowed = fig.categories_for(business_type)
    known = _TOP_UP.get(business_type)
    if known is not None and known[1] in allowed:
        return known
    category = next((c for c in _TOP_UP_PREFERENCE if c in allowed), allowed[0])
    return "Paket bahan dan perlengkapan awal", category


@cache
def _catalogue_items(business_type: str | None, fig: Figures) -> SearchStrategy[PlanItem]:
    types = fig.business_types if business_type is None else (business_type,)
    return st.one_of([_goods_items(goods) for t in types for goods in _catalogue(t, fig)])


def plan_items(
    *,
    business_type: str | None = None,
    allow_cash: bool = False,
    book: RuleBook | None = None,
    on: date | None = None,
) -> SearchStrategy[PlanItem]:
    """Single plan lines with realistic Indonesian item names, categories and unit prices.

    :param business_type: one of :data:`BUSINESS_TYPES` (or of ``book``'s business types);
        ``None`` draws items of any type.
    :param allow_cash: also draw cash lines (category ``cash``, ``is_cash=True``,
        Rp100,000-1,000,000).
    :param book: a rule book: its business types, and only the item categories its
        ``allowed_item_categories`` allow on ``on`` for each.
    :param on: the date whose parameter values apply; defaults to 1 June 2025.
    """
    fig = _figures_of(book, _check_on(on))
    btype = _check_business_type(business_type, fig)
    _check_bool(allow_cash, "allow_cash", optional=False)
    goods = _catalogue_items(btype, fig)
    if allow_cash:
        return st.one_of(goods, _cash_items(2, 20))
    return goods


_ITEM_COUNTS = st.integers(min_value=1, max_value=7)


@cache
def _permutations(business_type: str, fig: Figures) -> SearchStrategy[list[_Goods]]:
    return st.permutations(_catalogue(business_type, fig))


@cache
def _type_choices(business_types: tuple[str, ...]) -> SearchStrategy[str]:
    return st.sampled_from(business_types)


def _default_total(fig: Figures) -> tuple[int, int]:
    """Totals from two thirds of the lower cap to a fifth above the upper (Rp3-6 million)."""
    return fig.caps[0] * 2 // 3, fig.caps[1] * 6 // 5


@cache
def _locations(regency: str) -> SearchStrategy[BusinessLocation]:
    return st.builds(
        BusinessLocation,
        regency=st.just(regency),
        district=_districts(regency),
        village=st.none(),
        dense_urban=st.booleans(),
    )


@st.composite
def _business_plan(
    draw: st.DrawFn,
    *,
    business_type: str | None,
    total_between: tuple[int, int],
    allow_cash: bool,
    regency: str | None,
    fig: Figures = FIGURES_2025,
) -> BusinessPlan:
    btype = business_type if business_type is not None else draw(_type_choices(fig.business_types))
    target = draw(_amounts(*total_between))
    reserve = min(target, 100_000)  # kept for the top-up line
    budget = target - reserve
    items: list[PlanItem] = []
    wanted = draw(_ITEM_COUNTS)
    for goods in draw(_permutations(btype, fig)):
        if len(items) >= wanted:
            break
        item = draw(_goods_items(goods))
        if item.subtotal > budget:
            quantity = budget // item.unit_price
            if quantity < 1:
                continue
            item = item.model_copy(update={"quantity": quantity})
        items.append(item)
        budget -= item.subtotal
    if allow_cash and budget >= 50_000 and draw(st.booleans()):
        cash = draw(_cash_items(1, min(20, budget // 50_000)))
        items.insert(draw(st.integers(min_value=0, max_value=len(items))), cash)
    rest = target - sum(item.subtotal for item in items)
    if rest > 0 or not items:
        name, category = _top_up(btype, fig)
        top_up = st.builds(
            PlanItem,
            name=st.just(name),
            category=st.just(category),
            quantity=st.just(1),
            unit_price=st.just(rest),
            is_cash=st.just(False),
        )
        items.append(draw(top_up))
    return draw(
        st.builds(
            BusinessPlan,
            business_type=st.just(btype),
            items=st.just(tuple(items)),
            location=_locations(draw(_regency_codes(regency))),
        )
    )


def _check_total_between(total_between: object) -> tuple[int, int]:
    return _check_range(total_between, "total_between", low=0, high=10**12)


def business_plans(
    *,
    business_type: str | None = None,
    total_between: tuple[int, int] | None = None,
    allow_cash: bool = False,
    regency: str | None = None,
    book: RuleBook | None = None,
    on: date | None = None,
) -> SearchStrategy[BusinessPlan]:
    """Business plans with realistic goods for the business type and a total in a chosen range.

    The total is constructed, not filtered: goods are drawn within the budget and a last
    "starter package" line (raw materials, feed or spare parts) takes up the rest.

    :param business_type: one of :data:`BUSINESS_TYPES` (or of ``book``'s business types);
        ``None`` draws any.
    :param total_between: ``(low, high)`` inclusive bounds for the plan total in rupiah;
        defaults to two thirds of the lower cap to a fifth above the upper one
        (Rp3,000,000-6,000,000 for the 2025 caps).
    :param allow_cash: whether a cash line may appear (it never does by default).
    :param regency: Kemendagri code of the business location; ``None`` draws a Kaltim one.
    :param book: a rule book: its business types, caps (``min_aid``, ``max_aid``) and allowed
        item categories on ``on`` replace the 2025 ones.
    :param on: the date whose parameter values apply; defaults to 1 June 2025.
    """
    fig = _figures_of(book, _check_on(on))
    btype = _check_business_type(business_type, fig)
    bounds = _default_total(fig) if total_between is None else _check_total_between(total_between)
    _check_bool(allow_cash, "allow_cash", optional=False)
    code = _check_regency(regency)
    return _business_plan(
        business_type=btype, total_between=bounds, allow_cash=allow_cash, regency=code, fig=fig
    )


# --------------------------------------------------------------------------------------------
# Applications
# --------------------------------------------------------------------------------------------


@cache
def _near_cap_bounds(caps: tuple[int, int]) -> SearchStrategy[tuple[int, int]]:
    """Ranges just below and just above each cap (never below zero), and each cap exactly: a
    rule or invariant that says < for <= is wrong only there, so a plan lands on it often."""
    return st.sampled_from(
        [
            (max(0, cap + low), cap + high)
            for cap in caps
            for low, high in ((-_NEAR_CAP_MARGIN, 0), (0, 0), (0, _NEAR_CAP_MARGIN))
        ]
    )


@cache
def _application_ids(year: int) -> SearchStrategy[str]:
    return st.integers(min_value=1, max_value=9999).map(lambda n: f"KT-{year}-{n:04d}")


@lru_cache(maxsize=256)
def _submission_dates(on: date) -> SearchStrategy[date]:
    return st.dates(min_value=on - timedelta(days=45), max_value=on - timedelta(days=1))


@st.composite
def _application(
    draw: st.DrawFn,
    *,
    eligible: bool | None,
    business_type: str | None,
    regency: str | None,
    on: date,
    bounds: SearchStrategy[tuple[int, int]],
    fig: Figures = FIGURES_2025,
) -> Application:
    btype = business_type if business_type is not None else draw(_type_choices(fig.business_types))
    applicant = draw(
        _beneficiary(
            regency=regency,
            sex=None,
            eligible=eligible,
            ages=fig.ages,
            on=on,
            business_type=btype,
            fig=fig,
        )
    )
    household = draw(
        _household(
            kk_number=applicant.kk_number,
            adequate=None,
            on=on,
            applicant=applicant,
            school_ages=fig.school_ages,
        )
    )
    plan = draw(
        _business_plan(
            business_type=btype,
            total_between=draw(bounds),
            allow_cash=False,
            regency=applicant.regency,
            fig=fig,
        )
    )
    return draw(
        st.builds(
            Application,
            id=_application_ids(on.year),
            submitted_on=_submission_dates(on),
            applicant=st.just(applicant),
            household=st.just(household),
            plan=st.just(plan),
        )
    )


def applications(
    *,
    eligible: bool | None = None,
    business_type: str | None = None,
    regency: str | None = None,
    on: date | None = None,
    near_cap: bool = False,
    total_between: tuple[int, int] | None = None,
    book: RuleBook | None = None,
) -> SearchStrategy[Application]:
    """Whole applications: applicant, their household (same KK, applicant listed) and a plan.

    The plan is for a business type the applicant is interested in, is located in the
    applicant's regency and contains goods only. Applicants are of eligible age on ``on``
    (18-59) and applied up to 45 days before it. Households are drawn with any living conditions.

    :param eligible: forwarded to :func:`beneficiaries` (``True``, ``False`` or ``None``).
    :param business_type: one of :data:`BUSINESS_TYPES` (or of ``book``'s business types);
        ``None`` draws any.
    :param regency: Kemendagri code of the applicant's residence and business location;
        ``None`` draws an East Kalimantan regency/city.
    :param on: the date the rules are applied on; defaults to 1 June 2025.
    :param near_cap: draw plan totals within Rp50,000 of the lower or upper cap (Rp4,500,000 and
        Rp5,000,000), on both sides, to probe the aid caps.
    :param total_between: ``(low, high)`` bounds for the plan total instead of the default
        (see :func:`business_plans`); cannot be combined with ``near_cap``.
    :param book: a rule book whose figures on ``on`` replace the 2025 ones (see
        :func:`figures`): business types, caps, eligible ages and the eligibility figures, item
        categories and school ages.
    """
    _check_bool(eligible, "eligible", optional=True)
    ref = _check_on(on)
    fig = _figures_of(book, ref)
    btype = _check_business_type(business_type, fig)
    code = _check_regency(regency)
    _check_bool(near_cap, "near_cap", optional=False)
    if near_cap and total_between is not None:
        raise StrategyArgumentError("near_cap=True cannot be combined with total_between")
    bounds: SearchStrategy[tuple[int, int]]
    if near_cap:
        bounds = _near_cap_bounds(fig.caps)
    elif total_between is not None:
        bounds = st.just(_check_total_between(total_between))
    else:
        bounds = st.just(_default_total(fig))
    return _application(
        eligible=eligible, business_type=btype, regency=code, on=ref, bounds=bounds, fig=fig
    )
