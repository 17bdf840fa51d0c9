"""The agencies that East Kalimantan's layered approach refers applicants to."""

from __future__ import annotations

from collections.abc import Callable

from bansos_rules._registry import Agency
from bansos_rules.hookspecs import hookimpl

AGENCIES = (
    Agency(
        "public_works",
        "Dinas Pekerjaan Umum (air bersih, sanitasi, kawasan kumuh)",
        "Public works office (clean water, sanitation, slum areas)",
    ),
    Agency("pkh_facilitator", "Pendamping PKH", "PKH facilitator"),
    Agency(
        "disdukcapil",
        "Disdukcapil (kependudukan dan pencatatan sipil)",
        "Disdukcapil (civil registry)",
    ),
    Agency(
        "disnakertrans",
        "Disnakertrans (pelatihan keterampilan)",
        "Disnakertrans (manpower office: skills training)",
    ),
    Agency(
        "disperindagkop",
        "Disperindagkop (perizinan, pemasaran, koperasi)",
        "Disperindagkop (licensing, marketing, cooperatives)",
    ),
    Agency(
        "bankaltimtara",
        "Bankaltimtara (rekening penyaluran non-tunai)",
        "Bankaltimtara (account for non-cash disbursement)",
    ),
)


@hookimpl
def register_agencies(register: Callable[[Agency], None]) -> None:
    """Register the built-in referral agencies."""
    for agency in AGENCIES:
        register(agency)
