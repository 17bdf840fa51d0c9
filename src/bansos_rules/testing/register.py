"""Synthetic registers: millions of valid applications made in columns, for benchmarks and recipes.

:func:`synthetic_register` builds a frame in the columnar engine's application schema from hashes
of the row number, without a row of Python (a million rows in under a minute on one shared
core). The mix resembles a
screened register: most applicants are eligible East Kalimantan PKH members with a plan near the
aid caps; the others are not registered, above the priority decile, civil servants, too old or too
young, helped by earlier business aid, from another province, or plan a cash line or an item of
another business type's category; households have members (school-age children, some out of
school) and any living conditions. Every row is a valid application (the models accept it), and
the same ``n`` and ``seed`` give the same frame.

For property tests use :mod:`bansos_rules.testing.strategies`; this is for volume.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

__all__ = ["BUSINESS_TYPES", "REGENCIES", "synthetic_register"]

REGENCIES = ("6401", "6402", "6403", "6407", "6408", "6409", "6411", "6471", "6472", "6474")
"""East Kalimantan's regency/city codes (Kemendagri)."""

BUSINESS_TYPES = ("food", "drinks", "fried_snacks", "chicken_farming", "cake_making", "workshop")

_CATEGORIES = {
    "food": ("equipment", "raw_material", "packaging"),
    "drinks": ("equipment", "raw_material", "packaging"),
    "fried_snacks": ("equipment", "raw_material", "packaging"),
    "chicken_farming": ("livestock", "feed", "cage"),
    "cake_making": ("equipment", "raw_material", "packaging"),
    "workshop": ("equipment", "tools", "spare_parts"),
}
_SKILLS = ("cooking", "selling", "beverage", "frying", "baking", "animal_husbandry", "mechanics")
_OCCUPATIONS = ("none", "homemaker", "farmer", "trader", "laborer", "driver")


class _Draw:
    """Pseudo-random columns: hashes of the row number, one stream per name."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.row = pl.int_range(0, pl.len(), dtype=pl.Int64)
        self._streams: dict[str, int] = {}

    def whole(self, name: str, low: int, high: int) -> pl.Expr:
        """A whole number in ``low..high`` (inclusive)."""
        stream = self._streams.setdefault(name, len(self._streams) + 1)
        h = (self.row * 1_000_003 + stream).hash(self.seed)
        return (h % (high - low + 1)).cast(pl.Int64) + low

    def chance(self, name: str, percent: int) -> pl.Expr:
        """True for about ``percent`` % of the rows."""
        return self.whole(name, 0, 99) < percent

    def pick(self, name: str, choices: tuple[str, ...]) -> pl.Expr:
        """One of ``choices``."""
        index = self.whole(name, 0, len(choices) - 1)
        return pl.lit(pl.Series(list(choices))).gather(index)


def _two(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.zfill(2)


def synthetic_register(n: int, *, seed: int = 2025, on: date = date(2025, 6, 1)) -> pl.DataFrame:
    """``n`` valid applications, decided with the rules in force on ``on`` (see the module)."""
    d = _Draw(seed)
    base = pl.DataFrame({"__i": pl.int_range(0, n, dtype=pl.Int64, eager=True)})
    year = on.year
    kaltim = d.chance("kaltim", 97)
    shared: dict[str, pl.Expr] = {}

    def once(name: str, expr: pl.Expr) -> pl.Expr:
        """A draw used in several places: computed once, in a first step."""
        shared[name] = expr.alias(name)
        return pl.col(name)

    regency = once(
        "_regency", pl.when(kaltim).then(d.pick("regency", REGENCIES)).otherwise(pl.lit("3171"))
    )
    female = once("_female", d.chance("female", 60))
    age = (
        pl.when(d.chance("age_out", 4))
        .then(d.whole("old", 60, 75))
        .otherwise(d.whole("age", 18, 58))
    )
    born = once(
        "_born", pl.date(pl.lit(year) - age - 1, d.whole("bm", 1, 12), d.whole("bd", 1, 28))
    )
    nik = pl.concat_str(
        regency,
        _two(d.whole("district", 1, 15)),
        _two(born.dt.day() + pl.when(female).then(40).otherwise(0)),
        _two(born.dt.month()),
        _two(born.dt.year() % 100),
        d.whole("serial", 1, 9999).cast(pl.String).str.zfill(4),
    )
    kk = once(
        "_kk",
        pl.concat_str(
            regency, pl.lit("01"), (d.row % 10_000_000_000).cast(pl.String).str.zfill(10)
        ),
    )
    bt = once("_bt", d.pick("bt", BUSINESS_TYPES))
    other_bt = d.pick("other_bt", BUSINESS_TYPES)
    skill = d.pick("skill", _SKILLS)
    interested = d.chance("interested", 80)
    prior = pl.struct(
        program=d.pick("prior_program", ("uep", "kube", "pena", "pkh_bonus")),
        year=d.whole("prior_year", year - 6, year),
        recipient_nik=pl.lit(None, dtype=pl.String),
    )
    applicant = pl.struct(
        nik=nik,
        kk_number=kk,
        name=pl.concat_str(pl.lit("Warga "), d.row.cast(pl.String)),
        sex=pl.when(female).then(pl.lit("female")).otherwise(pl.lit("male")),
        birth_date=born,
        regency=regency,
        district=pl.lit(None, dtype=pl.String),
        village=pl.lit(None, dtype=pl.String),
        dtks_registered=d.chance("dtks", 94),
        dtsen_decile=pl.when(d.chance("decile_known", 80)).then(
            pl.when(d.chance("decile_high", 8))
            .then(d.whole("dh", 5, 10))
            .otherwise(d.whole("dl", 1, 4))
        ),
        pkh_member=d.chance("pkh", 94),
        occupation=pl.when(d.chance("civil", 3))
        .then(pl.lit("civil_servant"))
        .otherwise(d.pick("occupation", _OCCUPATIONS)),
        interests=pl.when(interested).then(pl.concat_list(bt)).otherwise(pl.concat_list(other_bt)),
        skills=pl.when(d.chance("skilled", 75))
        .then(pl.concat_list(skill, pl.lit("selling")))
        .otherwise(pl.lit(pl.Series([[]], dtype=pl.List(pl.String))).first()),
        certificates=pl.lit(pl.Series([[]], dtype=pl.List(pl.String))).first(),
        existing_business=pl.when(d.chance("running", 40)).then(bt),
        business_experience_years=d.whole("experience", 0, 12),
        assets=pl.struct(
            yard_area_m2=d.whole("yard", 0, 60),
            has_kitchen=d.chance("kitchen", 85),
            has_workshop_space=d.chance("workshop_space", 70),
            has_electricity=d.chance("electricity", 90),
        ),
        prior_aid=pl.when(d.chance("prior", 6))
        .then(pl.concat_list(prior))
        .otherwise(pl.concat_list(prior).list.head(0)),
        bank_account=pl.when(d.chance("bank", 92)).then(
            pl.struct(bank=pl.lit("bankaltimtara"), number=pl.lit("0034567890"))
        ),
    )

    def member(k: int, relation: str) -> pl.Expr:
        child_age = d.whole(f"child_age{k}", 3, 17)
        return pl.struct(
            name=pl.lit(f"Anggota {k}"),
            birth_date=pl.date(pl.lit(year) - child_age - 1, 7, 1) if relation == "child" else born,
            sex=pl.lit("female" if k % 2 else "male"),
            relation=pl.lit(relation),
            in_school=(d.chance(f"school{k}", 92) if relation == "child" else pl.lit(None)).cast(
                pl.Boolean
            ),
        )

    members = pl.concat_list(member(0, "head"), member(1, "child"), member(2, "child"))
    household = pl.struct(
        kk_number=pl.when(d.chance("kk_same", 97))
        .then(kk)
        .otherwise(kk.str.replace(r"^(\d{4})01", "${1}02")),
        members=members.list.head(d.whole("members", 1, 3)),
        monthly_income=d.whole("income", 500, 4000) * 1000,
        clean_water=d.chance("water", 85),
        sanitation=d.chance("sanitation", 85),
        slum_area=d.chance("slum", 5),
        aid_history=pl.concat_list(prior).list.head(0),
    )
    # Items: three goods of the type's own categories adding up to a total near the caps.
    total = (
        pl.when(d.chance("near_cap", 85))
        .then(d.whole("total", 4_450, 5_050))
        .otherwise(d.whole("total_far", 2_000, 8_000))
        * 1000
    )
    total = once("_total", total)
    first = total // 2
    second = total // 4
    third = total - first - second
    cats = {bt_: _CATEGORIES[bt_] for bt_ in BUSINESS_TYPES}

    def category(k: int) -> pl.Expr:
        chain: Any = pl
        for code in BUSINESS_TYPES:
            chain = chain.when(bt == code).then(pl.lit(cats[code][k]))
        wrong = pl.when(d.chance("wrong_category", 4)).then(pl.lit("livestock"))
        return (
            wrong.otherwise(chain.otherwise(pl.lit("equipment")))
            if k == 2
            else chain.otherwise(pl.lit("equipment"))
        )

    def item(k: int, price: pl.Expr) -> pl.Expr:
        cash = d.chance("cash", 3) if k == 2 else pl.lit(False)
        return pl.struct(
            name=pl.lit(f"Barang {k + 1}"),
            category=pl.when(cash).then(pl.lit("cash")).otherwise(category(k)),
            quantity=pl.lit(1, dtype=pl.Int64),
            unit_price=price,
            is_cash=cash,
        )

    plan = pl.struct(
        business_type=bt,
        items=pl.concat_list(item(0, first), item(1, second), item(2, third)),
        location=pl.struct(
            regency=regency,
            district=pl.lit(None, dtype=pl.String),
            village=pl.lit(None, dtype=pl.String),
            dense_urban=d.chance("dense", 20),
        ),
    )
    later = {"_kk"}
    frame = (
        base.lazy()
        .with_columns(v for k, v in shared.items() if k not in later)
        .with_columns(v for k, v in shared.items() if k in later)
        .select(
            pl.concat_str(pl.lit("REG-"), d.row.cast(pl.String).str.zfill(9)).alias("id"),
            pl.lit(on, dtype=pl.Date).alias("submitted_on"),
            applicant.alias("applicant"),
            household.alias("household"),
            plan.alias("plan"),
        )
    )
    from bansos_rules.engines.columnar._schema import application_schema

    return frame.cast(dict(application_schema().items())).collect()
