"""The input models: an application for business aid and everything it says.

An :class:`Application` holds the :class:`Beneficiary` (the applicant), their :class:`Household`
(one family card, *KK*) and the :class:`BusinessPlan`. All models are frozen and reject unknown
fields; invalid input fails with every problem listed at once, each with its field path.

What the models check is *shape* (a NIK has 16 digits and a real birth date, money is whole rupiah).
Whole numbers are strict: ``true`` or ``"5"`` where a number is expected is an error, not 1 or 5
(the CSV reader turns the cells of whole-number columns into numbers itself).
What the program *decides* (is the NIK issued in East Kalimantan, is the plan within the cap) is for
the rulesets, so that a policy change is a file change.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from bansos_rules._identity import nik_problems
from bansos_rules._types import Decile, KkNumber, Nik, Occupation, RegencyCode, Rupiah, Sex, Slug

__all__ = [
    "Application",
    "Assets",
    "BankAccount",
    "Beneficiary",
    "BusinessLocation",
    "BusinessPlan",
    "Household",
    "HouseholdMember",
    "PlanItem",
    "PriorAid",
]


MAX_TAGS = 20
"""The most interests, skills or certificates one applicant lists."""
MAX_AID_HISTORY = 50
"""The most earlier aid entries one applicant or household carries (decades of yearly aid)."""

_PAIRS = tuple(f"{n:02d}" for n in range(100))


class Model(BaseModel):
    """Base of every input model: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class PriorAid(Model):
    """A business or social aid received earlier, by the applicant or a member of the household."""

    program: Slug = Field(description="Program code, e.g. `uep`, `kube`, `pena`, `prokus`.")
    year: int = Field(ge=1990, le=2100, strict=True, description="Year the aid was received.")
    recipient_nik: Nik | None = Field(default=None, description="Who received it, if known.")


class Assets(Model):
    """What the applicant has that makes a business type fit."""

    yard_area_m2: int = Field(
        default=0, ge=0, le=1_000_000, strict=True, description="Open land for a cage."
    )
    has_kitchen: bool = Field(default=False, description="A usable kitchen for food and cakes.")
    has_workshop_space: bool = Field(default=False, description="Covered space for repairs.")
    has_electricity: bool = Field(default=False, description="A grid or generator connection.")


class BankAccount(Model):
    """An account for non-cash disbursement."""

    bank: Slug = Field(description="Bank code, e.g. `bankaltimtara`.")
    number: str = Field(pattern=r"^[0-9]{6,20}$")


class Beneficiary(Model):
    """The person applying for business aid."""

    nik: Nik
    kk_number: KkNumber
    name: str = Field(min_length=1, max_length=120)
    sex: Sex
    birth_date: date
    regency: RegencyCode = Field(description="Kemendagri code of the regency/city of residence.")
    district: str | None = Field(default=None, max_length=80)
    village: str | None = Field(default=None, max_length=80)
    dtks_registered: bool = Field(description="Listed in DTKS (or its successor, DTSEN).")
    dtsen_decile: Decile | None = Field(default=None, description="DTSEN welfare decile, 1-10.")
    pkh_member: bool = Field(description="Member of a family receiving PKH.")
    occupation: Occupation = "none"
    interests: tuple[Slug, ...] = Field(
        default=(), max_length=MAX_TAGS, description="Business types wanted."
    )
    skills: tuple[Slug, ...] = Field(
        default=(), max_length=MAX_TAGS, description="e.g. `cooking`, `mechanics`."
    )
    certificates: tuple[Slug, ...] = Field(
        default=(), max_length=MAX_TAGS, description="Certified skills."
    )
    existing_business: Slug | None = Field(
        default=None, description="Business type already run, if any."
    )
    business_experience_years: int = Field(default=0, ge=0, le=80, strict=True)
    assets: Assets = Field(default_factory=Assets)
    prior_aid: tuple[PriorAid, ...] = Field(default=(), max_length=MAX_AID_HISTORY)
    bank_account: BankAccount | None = None

    @field_validator("nik")
    @classmethod
    def _nik_well_formed(cls, nik: str) -> str:
        # A field validator (not a model validator) so that the error carries the field path
        # ``nik`` and is reported together with every other field's problems.
        problems = nik_problems(nik)
        if problems:
            raise PydanticCustomError(
                "nik_invalid",
                "NIK {nik}: {problems}",
                {
                    "nik": nik,
                    "problems": "; ".join(problems),
                    "problems_id": "; ".join(nik_problems(nik, "id")),
                },
            )
        return nik

    @property
    def nik_province(self) -> str:
        """Province code the NIK was issued in (``64`` is East Kalimantan)."""
        return self.nik[:2]

    @property
    def nik_regency(self) -> str:
        """Regency/city code the NIK was issued in; the person may live elsewhere now."""
        return self.nik[:4]

    @property
    def nik_matches_birth_date(self) -> bool:
        """Whether the birth date encoded in the NIK agrees with the stated one."""
        nik, born = self.nik, self.birth_date
        # Read on every decision: compare digit pairs by table lookup rather than parsing.
        day = nik[6:8]
        return (
            (day == _PAIRS[born.day] or day == _PAIRS[born.day + 40])
            and nik[8:10] == _PAIRS[born.month]
            and nik[10:12] == _PAIRS[born.year % 100]
        )

    @property
    def nik_matches_sex(self) -> bool:
        """Whether the sex encoded in the NIK (day + 40 for women) agrees with the stated one."""
        # Read on every decision: slice the day rather than parse the whole NIK.
        return (self.nik[6] >= "4") == (self.sex == "female")


class HouseholdMember(Model):
    """Someone on the family card."""

    name: str = Field(min_length=1, max_length=120)
    birth_date: date
    sex: Sex
    relation: Literal["head", "spouse", "child", "parent", "other"] = "other"
    in_school: bool | None = Field(
        default=None, description="Enrolled in school now; None when not asked (adults)."
    )


class Household(Model):
    """The family on one family card (*Kartu Keluarga*)."""

    kk_number: KkNumber
    members: tuple[HouseholdMember, ...] = Field(default=(), max_length=40)
    monthly_income: Rupiah = Field(description="Income of the whole household, per month.")
    clean_water: bool = Field(description="Has access to clean water.")
    sanitation: bool = Field(description="Has adequate sanitation.")
    slum_area: bool = Field(default=False, description="Lives in a designated slum area.")
    aid_history: tuple[PriorAid, ...] = Field(
        default=(),
        max_length=MAX_AID_HISTORY,
        description="Aid received by any member, including this round's.",
    )

    @property
    def size(self) -> int:
        """Number of people on the family card (at least one: the applicant)."""
        return max(1, len(self.members))

    @property
    def income_per_person(self) -> int:
        """Monthly income per person, in whole rupiah (rounded down)."""
        return self.monthly_income // self.size


class PlanItem(Model):
    """One line of a business plan: goods, materials, or (never allowed) cash."""

    name: str = Field(min_length=1, max_length=120)
    category: Slug = Field(description="e.g. `equipment`, `raw_material`, `livestock`, `cash`.")
    quantity: int = Field(ge=1, le=100_000, strict=True)
    unit_price: Rupiah
    is_cash: bool = False

    @property
    def subtotal(self) -> int:
        """Quantity times unit price."""
        return self.quantity * self.unit_price


class BusinessLocation(Model):
    """Where the business will run."""

    regency: RegencyCode
    district: str | None = Field(default=None, max_length=80)
    village: str | None = Field(default=None, max_length=80)
    dense_urban: bool = Field(default=False, description="In a densely built urban block.")


class BusinessPlan(Model):
    """The business the applicant proposes and the goods it needs."""

    business_type: Slug = Field(description="A registered business type, e.g. `food`.")
    items: tuple[PlanItem, ...] = Field(min_length=1, max_length=100)
    location: BusinessLocation

    @property
    def total(self) -> int:
        """Value of all items, in whole rupiah."""
        total = 0
        for item in self.items:  # a loop: read on every decision, faster than sum(generator)
            total += item.quantity * item.unit_price
        return total

    @property
    def has_cash_item(self) -> bool:
        """Whether any line is cash rather than goods or materials."""
        return any(item.is_cash for item in self.items)


class Application(Model):
    """One person's application for business aid in a round."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._/-]+$")
    submitted_on: date | None = None
    applicant: Beneficiary
    household: Household
    plan: BusinessPlan


def unwrap_annotation(annotation: Any) -> Any:
    """The type a field annotation holds: without ``Annotated`` constraints and without
    ``| None`` (a union of several other types is returned as it is)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation
