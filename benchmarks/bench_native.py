#!/usr/bin/env python3
"""Benchmark the native and durable engines against a hand-written baseline of the same rules.

Usage::

    python benchmarks/bench_native.py [--n 20000] [--seed 7] [--repeat 5] [--json]

What it does, in order:

1. generates ``--n`` realistic applications from a seeded :class:`random.Random` (about 60% eligible
   and well planned, the rest breaking exactly one thing each) as plain JSON-like dicts, and
   validates them into :class:`~bansos_rules._models.Application` objects;
2. decides each with :func:`baseline_decide` (the four rulesets written out by hand in plain
   Python, parameter values read from the loaded book), with the native engine and with the
   durable engine (when durable_rules can be imported), and aborts unless all agree on the
   outcome, aid value, every rule's result, every score rule's result,
   the fit score of all six business types, the referrals and the values read; it also checks
   that each generated application breaks exactly the rule its scenario says;
3. times, single-threaded on one pinned core, best of ``--repeat`` round-robin runs:
   (a) the baseline, (b) ``engine.decide``, (c) decide + findings/referrals/recommendations,
   (d) decide + ``to_json()``, (e) ``book.evaluate(dict)`` including pydantic validation,
   (f) the durable engine's ``decide``;
4. with ``--memory N``, runs N durable decisions and prints resident memory every N/10, to show
   that the durable engine keeps no facts or state between decisions.

Works from a checkout without installation (it puts ``src/`` on ``sys.path`` when
``bansos_rules`` is not importable) and with the package installed.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any, NamedTuple

if importlib.util.find_spec("bansos_rules") is None:  # not installed: use the checkout's src/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import bansos_rules
from bansos_rules import EngineUnavailableError, RuleBook, load_rules
from bansos_rules._decision import Decision
from bansos_rules._models import Application

DEFAULT_ON = date(2025, 6, 1)

# ---------------------------------------------------------------------------------------------
# 1. Realistic applications
# ---------------------------------------------------------------------------------------------

# Kemendagri regency/city code -> (name, districts, weight ~ population share).
REGENCIES: dict[str, tuple[str, tuple[str, ...], int]] = {
    "6401": ("Paser", ("Tanah Grogot", "Long Ikis", "Kuaro", "Batu Sopang"), 6),
    "6402": (
        "Kutai Kartanegara",
        ("Tenggarong", "Loa Janan", "Sanga-Sanga", "Muara Badak", "Samboja"),
        18,
    ),
    "6403": ("Berau", ("Tanjung Redeb", "Gunung Tabur", "Sambaliung", "Talisayan"), 6),
    "6407": ("Kutai Barat", ("Barong Tongkok", "Melak", "Long Iram"), 4),
    "6408": ("Kutai Timur", ("Sangatta Utara", "Sangatta Selatan", "Bengalon", "Muara Wahau"), 10),
    "6409": ("Penajam Paser Utara", ("Penajam", "Waru", "Babulu", "Sepaku"), 4),
    "6411": ("Mahakam Ulu", ("Long Bagun", "Long Hubung", "Long Pahangai"), 1),
    "6471": (
        "Balikpapan",
        ("Balikpapan Selatan", "Balikpapan Utara", "Balikpapan Kota", "Balikpapan Barat"),
        18,
    ),
    "6472": (
        "Samarinda",
        ("Sungai Pinang", "Samarinda Ulu", "Palaran", "Sambutan", "Sungai Kunjang"),
        22,
    ),
    "6474": ("Bontang", ("Bontang Utara", "Bontang Selatan", "Bontang Barat"), 5),
}
CITIES = frozenset({"6471", "6472", "6474"})
VILLAGES = (
    "Sidodadi",
    "Karang Asam",
    "Loa Bakung",
    "Margasari",
    "Sukarame",
    "Gunung Elai",
    "Telaga Sari",
    "Teluk Lerong",
    "Mangkupalas",
    "Rapak Dalam",
    "Sumber Rejo",
)

FEMALE = (
    "Siti",
    "Nur",
    "Dewi",
    "Sri",
    "Rina",
    "Yohana",
    "Maria",
    "Aisyah",
    "Fitri",
    "Wati",
    "Hasnah",
    "Mariani",
    "Jumiati",
    "Ernawati",
    "Susanti",
    "Lestari",
    "Indah",
    "Rahmawati",
)
MALE = (
    "Ahmad",
    "Andi",
    "Budi",
    "Muhammad",
    "Rizky",
    "Agus",
    "Hendra",
    "Yusuf",
    "Petrus",
    "Samsul",
    "Darmawan",
    "Rudi",
    "Joko",
    "Irwan",
    "Abdul",
    "Syahrul",
    "Hamzah",
    "Yohanes",
)
FAMILY = (
    "Saputra",
    "Santoso",
    "Hidayat",
    "Rahman",
    "Lusi",
    "Fauzi",
    "Setiawan",
    "Wijaya",
    "Kurniawan",
    "Hasanuddin",
    "Nugroho",
    "Pratama",
    "Lahang",
    "Pasinringi",
    "Gani",
)

BUSINESS_TYPES = ("food", "drinks", "fried_snacks", "chicken_farming", "cake_making", "workshop")
# Skills that make a type fit (they mirror fit.relevant_skills; the baseline reads the book's).
SKILLS_FOR = {
    "food": ("cooking", "selling"),
    "drinks": ("beverage", "cooking", "selling"),
    "fried_snacks": ("frying", "cooking", "selling"),
    "chicken_farming": ("poultry", "animal_husbandry"),
    "cake_making": ("baking", "cooking"),
    "workshop": ("mechanics", "welding"),
}
OTHER_SKILLS = ("sewing", "farming", "fishing", "driving", "carpentry", "weaving", "hairdressing")
ALL_SKILLS = tuple(sorted({s for v in SKILLS_FOR.values() for s in v} | set(OTHER_SKILLS)))
GOOD_OCCUPATIONS = (
    "homemaker",
    "farmer",
    "fisher",
    "laborer",
    "trader",
    "driver",
    "craftsperson",
    "none",
    "other",
    "private_employee",
)
GOOD_OCCUPATION_WEIGHTS = (30, 10, 6, 18, 14, 6, 5, 6, 3, 2)
BANKS = ("bankaltimtara", "bankaltimtara", "bankaltimtara", "bri", "bni", "mandiri")

# Plan lines: (name, category, unit price, (min qty, max qty)).
Line = tuple[str, str, int, tuple[int, int]]
# Per type: required lines, optional lines, and the line that takes the rest of the budget.
CATALOG: dict[str, tuple[tuple[Line, ...], tuple[Line, ...], tuple[str, str]]] = {
    "food": (
        (("Kompor gas 2 tungku", "equipment", 850_000, (1, 1)),),
        (
            ("Etalase kaca", "equipment", 1_500_000, (1, 1)),
            ("Panci dan wajan", "equipment", 650_000, (1, 1)),
            ("Rice cooker besar", "equipment", 550_000, (1, 1)),
            ("Meja dan kursi warung", "equipment", 300_000, (2, 3)),
            ("Tabung gas LPG 3 kg", "equipment", 175_000, (1, 2)),
            ("Kemasan makanan", "packaging", 40_000, (5, 15)),
        ),
        ("Bahan baku awal", "raw_material"),
    ),
    "drinks": (
        (("Blender", "equipment", 750_000, (1, 2)),),
        (
            ("Mesin press gelas (cup sealer)", "equipment", 1_800_000, (1, 1)),
            ("Cooler box", "equipment", 650_000, (1, 1)),
            ("Gerobak minuman", "equipment", 1_600_000, (1, 1)),
            ("Dispenser es", "equipment", 450_000, (1, 1)),
            ("Gelas plastik dan sedotan", "packaging", 45_000, (5, 20)),
        ),
        ("Bahan minuman awal", "raw_material"),
    ),
    "fried_snacks": (
        (("Gerobak gorengan", "equipment", 2_000_000, (1, 1)),),
        (
            ("Kompor dan wajan besar", "equipment", 900_000, (1, 1)),
            ("Peniris minyak", "equipment", 250_000, (1, 1)),
            ("Tabung gas LPG 3 kg", "equipment", 175_000, (1, 2)),
            ("Kemasan kertas", "packaging", 30_000, (5, 10)),
        ),
        ("Minyak, tepung dan bahan awal", "raw_material"),
    ),
    "chicken_farming": (
        (
            ("Bibit ayam kampung", "livestock", 35_000, (30, 50)),
            ("Kandang ayam", "cage", 1_500_000, (1, 1)),
        ),
        (
            ("Vitamin dan obat ayam", "medicine", 250_000, (1, 1)),
            ("Tempat pakan dan minum", "equipment", 75_000, (2, 4)),
            ("Lampu pemanas", "equipment", 60_000, (1, 3)),
        ),
        ("Pakan ayam 3 bulan", "feed"),
    ),
    "cake_making": (
        (("Oven gas", "equipment", 2_300_000, (1, 1)),),
        (
            ("Mixer", "equipment", 950_000, (1, 1)),
            ("Loyang dan cetakan kue", "equipment", 500_000, (1, 1)),
            ("Kompor gas", "equipment", 600_000, (1, 1)),
            ("Kotak kue", "packaging", 30_000, (5, 10)),
        ),
        ("Bahan kue awal", "raw_material"),
    ),
    "workshop": (
        (("Kompresor angin", "equipment", 2_500_000, (1, 1)),),
        (
            ("Alat tambal ban", "tools", 1_200_000, (1, 1)),
            ("Kunci set", "tools", 600_000, (1, 1)),
            ("Dongkrak", "tools", 450_000, (1, 1)),
        ),
        ("Ban dalam dan suku cadang", "spare_parts"),
    ),
}

# Scenario -> the rules it should fail (beyond these, everything passes or does not apply).
GOOD = "eligible_well_planned"
BREAKS = (
    "not_in_dtks",
    "decile_7",
    "civil_servant",
    "over_cap",
    "cash_item",
    "missing_skill",
    "no_yard_chickens",
    "no_clean_water",
    "child_out_of_school",
    "nik_birth_date_mismatch",
    "prior_kube_last_year",
)
EXPECTED_FAILED: dict[str, tuple[str, ...]] = {
    GOOD: (),
    "not_in_dtks": ("eligibility.dtks_registered",),
    "decile_7": ("eligibility.welfare_decile",),
    "civil_servant": ("eligibility.occupation",),
    "over_cap": ("aid_caps.maximum",),
    "cash_item": ("aid_caps.goods_only",),
    "missing_skill": ("fit.skill_training",),  # fit.mechanical_skill for a workshop
    "no_yard_chickens": ("fit.cage_space_required",),
    "no_clean_water": ("referrals.clean_water",),
    "child_out_of_school": ("referrals.children_in_school",),
    "nik_birth_date_mismatch": ("referrals.identity_consistent",),
    "prior_kube_last_year": ("eligibility.no_recent_business_aid",),
}
GOOD_SHARE = 0.6


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def birth_date_for_age(rng: Random, age: int, on: date) -> date:
    """A uniformly random birth date of someone exactly ``age`` years old on ``on``."""
    latest = _years_before(on, age).toordinal()
    earliest = _years_before(on, age + 1).toordinal() + 1
    while True:
        born = date.fromordinal(rng.randint(earliest, latest))
        if age_on(born, on) == age:
            return born


def make_nik(regency: str, district: int, born: date, sex: str, serial: int) -> str:
    day = born.day + 40 if sex == "female" else born.day
    return f"{regency}{district:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def make_kk(rng: Random, regency: str, district: int, on: date) -> str:
    issued = date.fromordinal(rng.randint(date(2005, 1, 1).toordinal(), on.toordinal() - 30))
    return (
        f"{regency}{district:02d}{issued.day:02d}{issued.month:02d}{issued.year % 100:02d}"
        f"{rng.randint(1, 9999):04d}"
    )


def _price(rng: Random, base: int) -> int:
    """A unit price within +-15% of ``base``, in steps of Rp5,000."""
    return max(5_000, round(base * rng.uniform(0.85, 1.15) / 5_000) * 5_000)


def make_items(rng: Random, business_type: str, target: int, cash: int) -> list[dict[str, Any]]:
    """Plan lines for ``business_type`` adding up to exactly ``target`` (cash line included)."""
    required, optional, (rest_name, rest_category) = CATALOG[business_type]
    floor = 300_000  # what the last line (raw material, feed, spare parts) gets at least
    items: list[dict[str, Any]] = []
    spent = 0

    def add(name: str, category: str, quantity: int, unit_price: int, **extra: Any) -> None:
        nonlocal spent
        item = {"name": name, "category": category, "quantity": quantity, "unit_price": unit_price}
        items.append(item | extra)
        spent += quantity * unit_price

    for name, category, base, (lo, hi) in required:
        add(name, category, rng.randint(lo, hi), _price(rng, base))
    pool = list(optional)
    rng.shuffle(pool)
    for name, category, base, (lo, hi) in pool[: rng.randint(1, len(pool))]:
        quantity, unit_price = rng.randint(lo, hi), _price(rng, base)
        if spent + cash + quantity * unit_price <= target - floor:
            add(name, category, quantity, unit_price)
    if cash:
        add("Modal usaha tunai", "cash", 1, cash, is_cash=True)
    add(rest_name, rest_category, 1, target - spent)
    return items


def make_application(rng: Random, index: int, scenario: str, on: date) -> dict[str, Any]:
    """One application as a plain JSON-like dict (dates as ISO strings, as read from JSONL)."""
    business_type = rng.choice(BUSINESS_TYPES)
    if scenario == "no_yard_chickens":
        business_type = "chicken_farming"
    sex = "female" if rng.random() < 0.55 else "male"
    min_age = 26 if scenario == "child_out_of_school" else 18
    age = int(rng.triangular(min_age, 59.999, 38))
    born = birth_date_for_age(rng, age, on)

    codes = list(REGENCIES)
    regency = rng.choices(codes, weights=[REGENCIES[c][2] for c in codes])[0]
    nik_regency = regency if rng.random() < 0.9 else rng.choice(codes)  # some moved since
    districts = REGENCIES[regency][1]
    district_no = rng.randrange(len(districts))
    nik_district = district_no + 1 if nik_regency == regency else rng.randint(1, 3)
    nik_born = born
    if scenario == "nik_birth_date_mismatch":
        nik_born = born + timedelta(days=rng.choice((-1, 1, 10, 31)))
    nik = make_nik(nik_regency, nik_district, nik_born, sex, rng.randint(1, 9999))
    kk = make_kk(rng, regency, district_no + 1, on)

    family = rng.choice(FAMILY)
    given = rng.choice(FEMALE if sex == "female" else MALE)
    name = f"{given} {family}" if rng.random() < 0.8 else given

    # Household: applicant, maybe a spouse, children, maybe an elderly parent.
    members: list[dict[str, Any]] = []
    has_spouse = rng.random() < 0.7
    spouse_sex = "male" if sex == "female" else "female"
    me = {"name": name, "birth_date": born.isoformat(), "sex": sex}
    spouse: dict[str, Any] | None = None
    if has_spouse:
        spouse_age = min(75, max(18, age + rng.randint(-6, 8) * (1 if sex == "female" else -1)))
        spouse = {
            "name": f"{rng.choice(MALE if spouse_sex == 'male' else FEMALE)} {family}",
            "birth_date": birth_date_for_age(rng, spouse_age, on).isoformat(),
            "sex": spouse_sex,
        }
    if spouse is not None and sex == "female" and rng.random() < 0.7:
        members += [spouse | {"relation": "head"}, me | {"relation": "spouse"}]
    else:
        members.append(me | {"relation": "head"})
        if spouse is not None:
            members.append(spouse | {"relation": "spouse"})
    max_child_age = min(25, age - 18)
    n_children = rng.choices((0, 1, 2, 3, 4), weights=(20, 25, 30, 15, 10))[0]
    child_ages = [rng.randint(0, max_child_age) for _ in range(n_children)]
    out_of_school = None
    if scenario == "child_out_of_school":
        out_of_school = len(child_ages)
        child_ages.append(rng.randint(7, min(18, max_child_age)))
    for i, child_age in enumerate(
        sorted(child_ages, reverse=True) if out_of_school is None else child_ages
    ):
        child_sex = rng.choice(("male", "female"))
        child: dict[str, Any] = {
            "name": f"{rng.choice(MALE if child_sex == 'male' else FEMALE)} {family}",
            "birth_date": birth_date_for_age(rng, child_age, on).isoformat(),
            "sex": child_sex,
            "relation": "child",
        }
        if i == out_of_school:
            child["in_school"] = False
        elif 7 <= child_age <= 18:
            child["in_school"] = True
        elif child_age in (5, 6):
            child["in_school"] = rng.random() < 0.5  # kindergarten or not: not school age
        members.append(child)
    if rng.random() < 0.1:
        parent_sex = rng.choice(("male", "female"))
        members.append(
            {
                "name": rng.choice(MALE if parent_sex == "male" else FEMALE),
                "birth_date": birth_date_for_age(rng, age + rng.randint(20, 35), on).isoformat(),
                "sex": parent_sex,
                "relation": "parent",
            }
        )

    aid_history: list[dict[str, Any]] = []
    if rng.random() < 0.5:
        aid_history.append({"program": "pkh", "year": on.year - rng.randint(0, 2)})
    if rng.random() < 0.3:
        aid_history.append({"program": "bpnt", "year": on.year - rng.randint(0, 1)})
    prior_aid: list[dict[str, Any]] = []
    if scenario == "prior_kube_last_year":
        prior_aid.append({"program": "kube", "year": on.year - 1})
    elif rng.random() < 0.08:  # business aid long enough ago
        program = rng.choice(("kube", "uep"))
        prior_aid.append({"program": program, "year": on.year - rng.randint(4, 9)})
    if rng.random() < 0.1:
        prior_aid.append({"program": "pkh", "year": on.year - 1})

    # Skills, interests, assets that make the planned type a good fit.
    relevant = SKILLS_FOR[business_type]
    if scenario == "missing_skill":
        pool = [s for s in ALL_SKILLS if s not in relevant]
        skills = rng.sample(pool, rng.randint(0, 2))
        certificates: list[str] = []
    else:
        skills = [rng.choice(relevant)]
        extra = rng.sample(ALL_SKILLS, rng.randint(0, 2))
        skills += [s for s in extra if s not in skills]
        certificates = [skills[0]] if rng.random() < 0.15 else []
    interests = [business_type] + [
        t for t in rng.sample(BUSINESS_TYPES, rng.randint(0, 2)) if t != business_type
    ]
    existing_business, experience = None, 0
    if rng.random() < 0.35:
        existing_business, experience = business_type, 1
    elif rng.random() < 0.1:
        existing_business, experience = rng.choice(BUSINESS_TYPES), rng.randint(0, 1)
    food_like = business_type in ("food", "drinks", "fried_snacks", "cake_making")
    dense_urban = regency in CITIES and business_type != "chicken_farming" and rng.random() < 0.4
    yard = rng.randint(20, 200) if business_type == "chicken_farming" else rng.randint(0, 60)
    if scenario == "no_yard_chickens":
        yard = rng.randint(0, 15)
    assets = {
        "yard_area_m2": yard,
        "has_kitchen": True if food_like else rng.random() < 0.8,
        "has_workshop_space": business_type == "workshop" or rng.random() < 0.05,
        "has_electricity": rng.random() < 0.9,
    }

    target = round(rng.uniform(4_500_000, 5_000_000) / 5_000) * 5_000
    if scenario == "over_cap":
        target = round(rng.uniform(5_050_000, 7_500_000) / 5_000) * 5_000
    cash = round(rng.uniform(250_000, 750_000) / 50_000) * 50_000 if scenario == "cash_item" else 0
    items = make_items(rng, business_type, target, cash)

    if scenario == "civil_servant":
        occupation = "civil_servant"
    else:
        occupation = rng.choices(GOOD_OCCUPATIONS, weights=GOOD_OCCUPATION_WEIGHTS)[0]
    decile: int | None = rng.choice((1, 1, 2, 2, 2, 3, 3, 4, None))
    if scenario == "decile_7":
        decile = 7
    dtks = scenario != "not_in_dtks"
    if not dtks:
        decile = None
    district = districts[district_no]
    village = rng.choice(VILLAGES)

    applicant: dict[str, Any] = {
        "nik": nik,
        "kk_number": kk,
        "name": name,
        "sex": sex,
        "birth_date": born.isoformat(),
        "regency": regency,
        "district": district,
        "village": village,
        "dtks_registered": dtks,
        "dtsen_decile": decile,
        "pkh_member": True,
        "occupation": occupation,
        "interests": interests,
        "skills": skills,
        "certificates": certificates,
        "existing_business": existing_business,
        "business_experience_years": experience,
        "assets": assets,
        "prior_aid": prior_aid,
        "bank_account": {"bank": rng.choice(BANKS), "number": f"{rng.randrange(10**10):010d}"},
    }
    return {
        "id": f"KT-{on.year}-B{index:06d}",
        "submitted_on": (on - timedelta(days=rng.randint(1, 60))).isoformat(),
        "applicant": applicant,
        "household": {
            "kk_number": kk,
            "members": members,
            "monthly_income": rng.randrange(600_000, 4_000_001, 50_000),
            "clean_water": scenario != "no_clean_water",
            "sanitation": True,
            "slum_area": False,
            "aid_history": aid_history,
        },
        "plan": {
            "business_type": business_type,
            "items": items,
            "location": {
                "regency": regency,
                "district": district,
                "village": village,
                "dense_urban": dense_urban,
            },
        },
    }


def generate(n: int, seed: int, on: date) -> tuple[list[dict[str, Any]], list[str]]:
    """``n`` application records and the scenario of each, the same for the same seed."""
    rng = Random(seed)
    records, scenarios = [], []
    for i in range(n):
        scenario = GOOD if rng.random() < GOOD_SHARE else rng.choice(BREAKS)
        records.append(make_application(rng, i + 1, scenario, on))
        scenarios.append(scenario)
    return records, scenarios


# ---------------------------------------------------------------------------------------------
# 2. The hand-written baseline: the four rulesets in plain Python
# ---------------------------------------------------------------------------------------------

# Requirement rules, in the order the baseline reports them (mapped by id onto the book's order).
RULE_IDS = (
    "eligibility.dtks_registered",
    "eligibility.welfare_decile",
    "eligibility.pkh_family",
    "eligibility.nik_kaltim",
    "eligibility.resides_in_kaltim",
    "eligibility.working_age",
    "eligibility.occupation",
    "eligibility.one_per_household",
    "eligibility.no_recent_business_aid",
    "eligibility.bank_account",
    "fit.planned_type_fits",
    "fit.cage_space_required",
    "fit.no_dense_block",
    "fit.kitchen_required",
    "fit.mechanical_skill",
    "fit.skill_training",
    "aid_caps.minimum",
    "aid_caps.maximum",
    "aid_caps.goods_only",
    "aid_caps.allowed_categories",
    "referrals.clean_water",
    "referrals.sanitation",
    "referrals.slum_area",
    "referrals.children_in_school",
    "referrals.identity_consistent",
    "referrals.licensing_marketing",
)
# Failed rule (index into RULE_IDS) -> agency it refers to.
REFERS = (
    (9, "bankaltimtara"),
    (14, "disnakertrans"),
    (15, "disnakertrans"),
    (20, "public_works"),
    (21, "public_works"),
    (22, "public_works"),
    (23, "pkh_facilitator"),
    (24, "disdukcapil"),
    (25, "disperindagkop"),
)
# Score rules per business type: interest 40, skill 30, existing business 20, and one asset 30.
MAX_SCORE = 40 + 30 + 20 + 30
ASSET_RULE = dict.fromkeys(BUSINESS_TYPES, "fit.kitchen") | {
    "chicken_farming": "fit.cage_space",
    "workshop": "fit.workshop_space",
}
SCORE_RULES = {
    t: ("fit.interest", "fit.skill", "fit.existing_business", ASSET_RULE[t]) for t in BUSINESS_TYPES
}
POINTS = {
    "fit.interest": 40,
    "fit.skill": 30,
    "fit.existing_business": 20,
    "fit.cage_space": 30,
    "fit.kitchen": 30,
    "fit.workshop_space": 30,
}
SKILL_TRAINING_TYPES = frozenset(BUSINESS_TYPES) - {"workshop"}
# Values read from the application (what a finding shows), in the order the baseline reports them.
VALUE_PATHS = (
    "applicant.dtks_registered",
    "applicant.dtsen_decile",
    "applicant.pkh_member",
    "applicant.nik_province",
    "applicant.nik_regency",
    "applicant.regency",
    "applicant.age",
    "applicant.occupation",
    "fit.percent",
    "applicant.assets.yard_area_m2",
    "plan.location.dense_urban",
    "applicant.assets.has_kitchen",
    "applicant.skills",
    "applicant.certificates",
    "plan.total",
    "household.clean_water",
    "household.sanitation",
    "household.slum_area",
    "applicant.nik_matches_birth_date",
    "applicant.nik_matches_sex",
    "applicant.kk_number",
    "household.kk_number",
    "applicant.existing_business",
    "applicant.business_experience_years",
    "applicant.interests",
    "applicant.assets.has_workshop_space",
    "applicant.prior_aid",
    "household.aid_history",
    "applicant.bank_account",
    "plan.items",
    "household.members",
)
VALUE_INDEX = {path: i for i, path in enumerate(VALUE_PATHS)}


class BaselineParams(NamedTuple):
    """Every parameter the baseline compares against, read from the book for one date."""

    province_code: str
    regency_codes: tuple[str, ...]
    min_age: int
    max_age: int
    max_decile: int
    excluded_occupations: tuple[str, ...]
    program_code: str
    business_aid_programs: tuple[str, ...]
    lookback_years: int
    relevant_skills: dict[str, Any]
    min_cage_area_m2: int
    min_experience_years: int
    min_fit_percent: int
    min_aid: int
    max_aid: int
    allowed_categories: dict[str, Any]
    school_age_min: int
    school_age_max: int
    licensing_min_years: int


class BaselineResult(NamedTuple):
    application_id: str
    outcome: str
    aid_value: int
    results: tuple[bool | None, ...]  # RULE_IDS order
    fit: tuple[tuple[str, int, int, int, tuple[bool, bool, bool, bool]], ...]  # per type
    referrals: tuple[tuple[str, str], ...]  # (agency, rule id), rule order
    values: tuple[Any, ...]  # VALUE_PATHS order


_BOOK: RuleBook | None = None
_PARAMS: dict[date, BaselineParams] = {}


def bind_baseline(book: RuleBook) -> None:
    """Let :func:`baseline_decide` read parameter values from ``book``."""
    global _BOOK
    _BOOK = book
    _PARAMS.clear()


def _params_on(on: date) -> BaselineParams:
    if _BOOK is None:
        raise RuntimeError("call bind_baseline(book) first")
    pv = _BOOK.layout.params_on(on)

    def by_type(ruleset: str, name: str) -> dict[str, Any]:
        return {t: pv.value(ruleset, name, t) for t in BUSINESS_TYPES}

    found = _PARAMS[on] = BaselineParams(
        province_code=pv.value("eligibility", "province_code"),
        regency_codes=pv.value("eligibility", "regency_codes"),
        min_age=pv.value("eligibility", "min_age"),
        max_age=pv.value("eligibility", "max_age"),
        max_decile=pv.value("eligibility", "max_decile"),
        excluded_occupations=pv.value("eligibility", "excluded_occupations"),
        program_code=pv.value("eligibility", "program_code"),
        business_aid_programs=pv.value("eligibility", "business_aid_programs"),
        lookback_years=pv.value("eligibility", "prior_aid_lookback_years"),
        relevant_skills=by_type("fit", "relevant_skills"),
        min_cage_area_m2=pv.value("fit", "min_cage_area_m2"),
        min_experience_years=pv.value("fit", "min_experience_years"),
        min_fit_percent=pv.value("fit", "min_fit_percent"),
        min_aid=pv.value("aid_caps", "min_aid"),
        max_aid=pv.value("aid_caps", "max_aid"),
        allowed_categories=by_type("aid_caps", "allowed_item_categories"),
        school_age_min=pv.value("referrals", "school_age_min"),
        school_age_max=pv.value("referrals", "school_age_max"),
        licensing_min_years=pv.value("referrals", "licensing_min_years"),
    )
    return found


def _overlaps(first: Sequence[str], second: Sequence[str]) -> bool:
    # A plain loop: several times faster than any() over a generator for a handful of items.
    for item in first:  # noqa: SIM110
        if item in second:
            return True
    return False


def baseline_decide(app: Application, on: date) -> BaselineResult:
    """The four rulesets by hand: outcome, aid value, every rule's result, fit of every type,
    referrals and the values read (everything an explanation needs, eagerly)."""
    p = _PARAMS.get(on) or _params_on(on)
    a = app.applicant
    h = app.household
    plan = app.plan
    bt = plan.business_type

    # Values read.
    dtks = a.dtks_registered
    decile = a.dtsen_decile
    pkh = a.pkh_member
    nik_province = a.nik_province
    nik_regency = a.nik_regency
    regency = a.regency
    born = a.birth_date
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    occupation = a.occupation
    assets = a.assets
    yard = assets.yard_area_m2
    kitchen = assets.has_kitchen
    workshop_space = assets.has_workshop_space
    dense = plan.location.dense_urban
    skills = a.skills
    certificates = a.certificates
    interests = a.interests
    existing = a.existing_business
    experience = a.business_experience_years
    total = plan.total
    items = plan.items
    clean_water = h.clean_water
    sanitation = h.sanitation
    slum = h.slum_area
    nik_birth = a.nik_matches_birth_date
    nik_sex = a.nik_matches_sex
    kk_applicant = a.kk_number
    kk_household = h.kk_number

    # Fit of every business type (fit.yaml score rules).
    cage = yard >= p.min_cage_area_m2 and not dense
    min_exp = p.min_experience_years
    fit = []
    planned_percent = 0
    planned_skill = False
    for t, relevant in p.relevant_skills.items():
        interest = t in interests
        skill = _overlaps(skills, relevant) or _overlaps(certificates, relevant)
        runs = existing == t and experience >= min_exp
        asset = cage if t == "chicken_farming" else workshop_space if t == "workshop" else kitchen
        score = (
            (40 if interest else 0)
            + (30 if skill else 0)
            + (20 if runs else 0)
            + (30 if asset else 0)
        )
        percent = score * 100 // MAX_SCORE
        fit.append((t, score, MAX_SCORE, percent, (interest, skill, runs, asset)))
        if t == bt:
            planned_percent, planned_skill = percent, skill

    # Requirement rules (eligibility, fit, aid_caps, referrals), in RULE_IDS order.
    this_year = on.year
    school_min, school_max = p.school_age_min, p.school_age_max
    is_cash = [item.is_cash or item.category == "cash" for item in items]
    allowed = p.allowed_categories[bt]
    on_md = (on.month, on.day)
    child_out_of_school = False
    for m in h.members:
        if m.in_school is False:
            b = m.birth_date
            if school_min <= this_year - b.year - (on_md < (b.month, b.day)) <= school_max:
                child_out_of_school = True
                break
    chickens = bt == "chicken_farming"
    results = (
        dtks,
        decile is None or decile <= p.max_decile,
        pkh,
        nik_province == p.province_code and nik_regency in p.regency_codes,
        regency in p.regency_codes,
        p.min_age <= age <= p.max_age,
        occupation not in p.excluded_occupations,
        not any(x.program == p.program_code and x.year == this_year for x in h.aid_history),
        not any(
            x.program in p.business_aid_programs and this_year - x.year < p.lookback_years
            for x in a.prior_aid
        ),
        a.bank_account is not None,
        planned_percent >= p.min_fit_percent,
        yard >= p.min_cage_area_m2 if chickens else None,
        not dense if chickens else None,
        kitchen if bt == "cake_making" else None,
        planned_skill if bt == "workshop" else None,
        planned_skill if bt in SKILL_TRAINING_TYPES else None,
        total >= p.min_aid,
        total <= p.max_aid,
        not any(is_cash),
        all(
            item.category in allowed for item, cash in zip(items, is_cash, strict=True) if not cash
        ),
        clean_water,
        sanitation,
        not slum,
        not child_out_of_school,
        nik_birth and nik_sex and kk_applicant == kk_household,
        existing is None or experience < p.licensing_min_years,
    )
    if False in results[:9] or results[17] is False or results[18] is False:
        outcome, aid = "rejected", 0
    elif (
        results[9] is False
        or results[10] is False
        or results[11] is False
        or results[12] is False
        or results[13] is False
        or results[14] is False
        or results[16] is False
        or results[19] is False
        or results[24] is False
    ):
        outcome, aid = "needs_review", 0
    else:
        outcome, aid = "approved", total
    referrals = tuple((agency, RULE_IDS[i]) for i, agency in REFERS if results[i] is False)
    values = (
        dtks,
        decile,
        pkh,
        nik_province,
        nik_regency,
        regency,
        age,
        occupation,
        planned_percent,
        yard,
        dense,
        kitchen,
        skills,
        certificates,
        total,
        clean_water,
        sanitation,
        slum,
        nik_birth,
        nik_sex,
        kk_applicant,
        kk_household,
        existing,
        experience,
        interests,
        workshop_space,
        a.prior_aid,
        h.aid_history,
        a.bank_account,
        items,
        h.members,
    )
    return BaselineResult(app.id, outcome, aid, results, tuple(fit), referrals, values)


# ---------------------------------------------------------------------------------------------
# The agreement check
# ---------------------------------------------------------------------------------------------


class Disagreement(Exception):
    pass


def check_layout(book: RuleBook) -> None:
    """The book's rules, score slots and read paths are exactly those the baseline implements."""
    layout = book.layout
    problems = []
    book_rules = [r.id for r in layout.rules]
    if sorted(book_rules) != sorted(RULE_IDS):
        problems.append(
            f"requirement rules differ: only in the book {sorted(set(book_rules) - set(RULE_IDS))},"
            f" only in the baseline {sorted(set(RULE_IDS) - set(book_rules))}"
        )
    book_scores = {(r.id, c) for r, c in layout.scores}
    base_scores = {(rid, t) for t, rids in SCORE_RULES.items() for rid in rids}
    if book_scores != base_scores:
        problems.append(
            f"score slots differ: only in the book {sorted(book_scores - base_scores)},"
            f" only in the baseline {sorted(base_scores - book_scores)}"
        )
    for r, _ in layout.scores:
        expected = POINTS.get(r.id)
        if r.points != expected:
            problems.append(f"score rule {r.id} has {r.points} points, the baseline {expected}")
    if tuple(layout.business_types) != BUSINESS_TYPES:
        problems.append(f"business types differ: {tuple(layout.business_types)}")
    reads = {p for r in (*layout.rules, *(r for r, _ in layout.scores)) for p in r.reads}
    if reads != set(VALUE_PATHS):
        problems.append(
            f"values read differ: only in the book {sorted(reads - set(VALUE_PATHS))},"
            f" only in the baseline {sorted(set(VALUE_PATHS) - reads)}"
        )
    if problems:
        raise Disagreement("the rulesets no longer match the baseline:\n  " + "\n  ".join(problems))


def compare(base: BaselineResult, d: Decision, rule_pos: Sequence[int]) -> list[str]:
    """Every difference between a baseline result and an engine decision (empty when none)."""
    diffs = []
    if d.outcome != base.outcome:
        diffs.append(f"outcome: baseline {base.outcome}, engine {d.outcome.value}")
    if d.aid_value != base.aid_value:
        diffs.append(f"aid value: baseline {base.aid_value}, engine {d.aid_value}")
    engine_results = d.results
    for i, rule_id in enumerate(RULE_IDS):
        mine, theirs = base.results[i], engine_results[rule_pos[i]]
        if mine is not theirs:
            diffs.append(f"rule {rule_id}: baseline {mine!r}, engine {theirs!r}")
    for finding in d.findings:
        for path, value in finding.values.items():
            if base.values[VALUE_INDEX[path]] != value:
                diffs.append(
                    f"rule {finding.rule_id} read {path}: baseline"
                    f" {base.values[VALUE_INDEX[path]]!r}, engine {value!r}"
                )
    recs = {r.business_type: r for r in d.recommendations}
    for t, score, most, percent, criteria in base.fit:
        rec = recs.get(t)
        if rec is None:
            diffs.append(f"fit {t}: missing from the engine's recommendations")
            continue
        if (rec.score, rec.max_score, rec.percent) != (score, most, percent):
            diffs.append(
                f"fit {t}: baseline {score}/{most} ({percent}%),"
                f" engine {rec.score}/{rec.max_score} ({rec.percent}%)"
            )
        engine_criteria = {f.rule_id: f.passed for f in rec.reasons}
        for rule_id, mine in zip(SCORE_RULES[t], criteria, strict=True):
            if engine_criteria.get(rule_id) is not mine:
                diffs.append(
                    f"score rule {rule_id} for {t}: baseline {mine!r},"
                    f" engine {engine_criteria.get(rule_id)!r}"
                )
    referrals = tuple((r.agency, r.rule_id) for r in d.referrals)
    if referrals != base.referrals:
        diffs.append(f"referrals: baseline {base.referrals}, engine {referrals}")
    return diffs


def _durable(book: RuleBook) -> Any:
    """The durable engine, or None where durable_rules cannot be imported."""
    try:
        return book.engine("durable")
    except EngineUnavailableError:
        return None


def rss_mib() -> float:
    """Resident memory of this process, MiB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_profile(
    book: RuleBook, apps: Sequence[Any], on: date, total: int
) -> list[tuple[int, float]]:
    """RSS after every tenth of ``total`` durable decisions (cycling through ``apps``)."""
    decide = book.engine("durable").decide
    points = []
    step = max(1, total // 10)
    for done in range(1, total + 1):
        decide(apps[done % len(apps)], on)
        if done % step == 0:
            points.append((done, rss_mib()))
    return points


def check_agreement(
    book: RuleBook, apps: Sequence[Application], scenarios: Sequence[str], on: date
) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """Abort (raise) unless baseline and engine agree on every application, and each scenario
    fails exactly the rules it should. Returns (scenario, outcome) counts and referral counts."""
    check_layout(book)
    engine = book.engine("native")
    rules = book.layout.rules
    positions = {r.id: i for i, r in enumerate(rules)}
    rule_pos = [positions[rid] for rid in RULE_IDS]
    mix: Counter[tuple[str, str]] = Counter()
    referrals: Counter[str] = Counter()
    reports = []
    bad = 0
    durable = _durable(book)
    for app, scenario in zip(apps, scenarios, strict=True):
        base = baseline_decide(app, on)
        d = engine.decide(app, on)
        diffs = compare(base, d, rule_pos)
        if durable is not None:
            diffs.extend("durable: " + x for x in compare(base, durable.decide(app, on), rule_pos))
        failed = {rule.id for rule, r in zip(rules, d.results, strict=True) if r is False}
        expected = set(EXPECTED_FAILED[scenario])
        if scenario == "missing_skill" and app.plan.business_type == "workshop":
            expected = {"fit.mechanical_skill"}
        if failed != expected:
            diffs.append(
                f"generator: scenario {scenario} should fail {sorted(expected)},"
                f" fails {sorted(failed)}"
            )
        if diffs:
            bad += 1
            if len(reports) < 20:
                reports.append(
                    f"  {app.id} ({scenario}, {app.plan.business_type}):\n    "
                    + "\n    ".join(diffs)
                )
        mix[(scenario, d.outcome.value)] += 1
        referrals.update(r.agency for r in d.referrals)
    if bad:
        raise Disagreement(
            f"baseline and engine disagree on {bad} of {len(apps)} applications"
            f" (first {len(reports)} shown):\n" + "\n".join(reports)
        )
    return mix, referrals


# ---------------------------------------------------------------------------------------------
# 3. Timing
# ---------------------------------------------------------------------------------------------


def mode_baseline(apps: Sequence[Any], on: date, book: RuleBook) -> None:
    decide = baseline_decide
    for app in apps:
        decide(app, on)


def mode_decide(apps: Sequence[Any], on: date, book: RuleBook) -> None:
    decide = book.engine("native").decide
    for app in apps:
        decide(app, on)


def mode_explain(apps: Sequence[Any], on: date, book: RuleBook) -> None:
    decide = book.engine("native").decide
    for app in apps:
        d = decide(app, on)
        _ = d.findings, d.referrals, d.recommendations  # materialize the lazy explanation


def mode_json(apps: Sequence[Any], on: date, book: RuleBook) -> None:
    decide = book.engine("native").decide
    for app in apps:
        decide(app, on).to_json()


def mode_durable(apps: Sequence[Any], on: date, book: RuleBook) -> None:
    decide = book.engine("durable").decide
    for app in apps:
        decide(app, on)


def mode_evaluate(records: Sequence[Any], on: date, book: RuleBook) -> None:
    evaluate = book.evaluate
    for record in records:
        evaluate(record, on=on)


class Mode(NamedTuple):
    key: str
    label: str
    run: Callable[[Sequence[Any], date, RuleBook], None]
    inputs: str  # "apps" (validated models) or "records" (plain dicts)
    subset: bool  # timed on the first --explain-n applications only


MODES = (
    Mode("baseline", "(a) baseline_decide, hand-written", mode_baseline, "apps", False),
    Mode("decide", "(b) engine.decide (raw results)", mode_decide, "apps", False),
    Mode("explain", "(c) decide + findings/referrals/recs", mode_explain, "apps", True),
    Mode("durable", "(f) durable engine decide (raw results)", mode_durable, "apps", True),
    Mode("to_json", "(d) decide + to_json()", mode_json, "apps", True),
    Mode("evaluate", "(e) book.evaluate(dict), validates", mode_evaluate, "records", False),
)


def pin_to_one_core(cpu: int | None) -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return chosen


def time_modes(
    modes: Sequence[Mode],
    inputs: dict[str, Sequence[Any]],
    sizes: dict[str, int],
    on: date,
    book: RuleBook,
    repeat: int,
    keep_gc: bool,
) -> dict[str, list[float]]:
    """Seconds of each run of each mode; round-robin so that drift hits every mode alike."""
    times: dict[str, list[float]] = {m.key: [] for m in modes}
    for m in modes:  # warm up: caches, specialization
        m.run(inputs[m.inputs][: min(200, sizes[m.key])], on, book)
    for _ in range(repeat):
        for m in modes:
            data = inputs[m.inputs][: sizes[m.key]]
            gc.collect()
            if not keep_gc:
                gc.disable()
            try:
                start = time.perf_counter()
                m.run(data, on, book)
                times[m.key].append(time.perf_counter() - start)
            finally:
                gc.enable()
    return times


def _mix(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def _show(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="applications (default 20000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per mode; best counts")
    parser.add_argument(
        "--on",
        type=date.fromisoformat,
        default=DEFAULT_ON,
        help="date the rules are applied for (default 2025-06-01)",
    )
    parser.add_argument(
        "--explain-n",
        type=int,
        default=4_000,
        help="applications timed in the slow modes (c) and (d); 0 = all of --n"
        " (default 4000, to keep the default run under a minute)",
    )
    parser.add_argument("--cpu", type=int, default=None, help="core to pin to (default: last)")
    parser.add_argument(
        "--keep-gc",
        action="store_true",
        help="keep the garbage collector on while timing (default: off, as timeit)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    parser.add_argument(
        "--memory",
        type=int,
        default=0,
        metavar="N",
        help="also run N durable decisions and print resident memory along the way (0: skip)",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be at least 1")

    wall = time.perf_counter()
    cpu = pin_to_one_core(args.cpu)
    book = load_rules()
    bind_baseline(book)
    # Setup builds ~N * 60 long-lived objects: collecting while it runs only costs time.
    gc.disable()

    start = time.perf_counter()
    records, scenarios = generate(args.n, args.seed, args.on)
    generated_s = time.perf_counter() - start
    start = time.perf_counter()
    apps = [book.validate(record) for record in records]
    validated_s = time.perf_counter() - start

    start = time.perf_counter()
    try:
        mix, referrals = check_agreement(book, apps, scenarios, args.on)
    except Disagreement as exc:
        print(f"ABORTED: {exc}", file=sys.stderr)
        return 1
    checked_s = time.perf_counter() - start
    gc.enable()
    gc.collect()
    gc.freeze()  # the data set is permanent: keep it out of collections made while timing

    explain_n = args.n if args.explain_n <= 0 else min(args.n, args.explain_n)
    modes = [m for m in MODES if m.key != "durable" or _durable(book) is not None]
    sizes = {m.key: explain_n if m.subset else args.n for m in modes}
    times = time_modes(
        modes, {"apps": apps, "records": records}, sizes, args.on, book, args.repeat, args.keep_gc
    )
    memory = memory_profile(book, apps, args.on, args.memory) if args.memory else []

    base_us = min(times["baseline"]) / sizes["baseline"] * 1e6
    rows = []
    for m in modes:
        best = min(times[m.key])
        us = best / sizes[m.key] * 1e6
        rows.append(
            {
                "mode": m.key,
                "label": m.label,
                "applications": sizes[m.key],
                "best_s": best,
                "apps_per_s": sizes[m.key] / best,
                "us_per_app": us,
                "median_us_per_app": sorted(times[m.key])[len(times[m.key]) // 2]
                / sizes[m.key]
                * 1e6,
                "vs_baseline": us / base_us,
            }
        )

    outcomes: Counter[str] = Counter()
    for (_, outcome), count in mix.items():
        outcomes[outcome] += count
    by_scenario: dict[str, dict[str, int]] = {}
    for (scenario, outcome), count in sorted(mix.items()):
        by_scenario.setdefault(scenario, {})[outcome] = count
    layout = book.layout
    meta = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "package": str(Path(bansos_rules.__file__).parent),
        "n": args.n,
        "seed": args.seed,
        "repeat": args.repeat,
        "on": args.on.isoformat(),
        "explain_n": explain_n,
        "pinned_cpu": cpu,
        "gc_during_timing": args.keep_gc,
        "rules": len(layout.rules),
        "score_slots": len(layout.scores),
        "business_types": len(layout.business_types),
        "rulesets": [rs.id for rs in layout.rulesets],
        "setup_s": {"generate": generated_s, "validate": validated_s, "agreement_check": checked_s},
        "business_type_mix": _mix(r["plan"]["business_type"] for r in records),
        "sex_mix": _mix(r["applicant"]["sex"] for r in records),
        "outcomes": dict(sorted(outcomes.items())),
        "scenarios": by_scenario,
        "referrals": dict(referrals.most_common()),
        "agreement": "baseline, native engine"
        + (" and durable engine" if len(modes) == len(MODES) else "")
        + " agree on every application",
        "durable_memory_mib": memory,
    }

    if args.json:
        print(
            json.dumps({**meta, "results": rows, "total_s": time.perf_counter() - wall}, indent=2)
        )
        return 0

    print("bansos_rules native engine vs hand-written baseline")
    print(f"python {meta['python']} ({meta['implementation']}) on {meta['platform']}")
    print(f"package {meta['package']}")
    pinned = f"pinned to CPU {cpu}" if cpu is not None else "not pinned"
    print(
        f"single thread, {pinned}, gc {'on' if args.keep_gc else 'off'} while timing,"
        f" best of {args.repeat} round-robin runs"
    )
    print(
        f"rules: {meta['rules']} requirement rules (layout.rules), {meta['score_slots']}"
        f" score slots (layout.scores), {meta['business_types']} business types,"
        f" rulesets {', '.join(meta['rulesets'])}"
    )
    print(f"N={args.n} applications, seed {args.seed}, rules in force on {meta['on']}")
    print()
    print("mix (scenario: outcomes by the engine)")
    for scenario in (GOOD, *BREAKS):
        found = by_scenario.get(scenario, {})
        total = sum(found.values())
        detail = ", ".join(f"{k} {v}" for k, v in sorted(found.items()))
        print(f"  {scenario:<26} {total:>6} {100 * total / args.n:5.1f}%  {detail}")
    print("  business types: " + _show(meta["business_type_mix"]))
    print("  applicants: " + _show(meta["sex_mix"]))
    print("  outcomes: " + _show(meta["outcomes"]))
    print("  referrals: " + (_show(meta["referrals"]) or "none"))
    print()
    print(
        f"setup: generate {generated_s:.2f} s, validate {validated_s:.2f} s,"
        f" agreement check {checked_s:.2f} s"
    )
    engines = "native and durable engines" if len(modes) == len(MODES) else "native engine"
    print(
        f"agreement: baseline == {engines} on outcome, aid value, {len(RULE_IDS)} rule results,"
        f" {len(layout.scores)} score results, fit of {len(BUSINESS_TYPES)} types, referrals and"
        f" values read, for all {args.n} applications; every scenario fails exactly its rule"
    )
    print()
    header = f"{'mode':<40} {'apps':>6} {'apps/s':>10} {'us/app':>9} {'median':>9} {'x base':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['label']:<40} {row['applications']:>6} {row['apps_per_s']:>10,.0f}"
            f" {row['us_per_app']:>9.2f} {row['median_us_per_app']:>9.2f}"
            f" {row['vs_baseline']:>7.2f}"
        )
    print()
    print(
        "us/app = best run / applications; median = median run; x base = us/app divided by"
        " the baseline's in this run"
    )
    if explain_n < args.n:
        print(f"(c), (d) and (f) timed on the first {explain_n} applications (--explain-n)")
    if len(modes) < len(MODES):
        print("(f) skipped: durable_rules cannot be imported here")
    if memory:
        print(
            "durable engine resident memory: " + ", ".join(f"{n:,} {m:.1f} MiB" for n, m in memory)
        )
    print(f"total {time.perf_counter() - wall:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
