"""The six business types of East Kalimantan's 2025 individual business aid."""

from __future__ import annotations

from collections.abc import Callable

from bansos_rules._registry import BusinessType
from bansos_rules.hookspecs import hookimpl

BUSINESS_TYPES = (
    BusinessType(
        "food",
        "Usaha makanan",
        "Food",
        "Warung makan, nasi kuning, lauk pauk.",
        "Food stalls and cooked meals.",
    ),
    BusinessType(
        "drinks",
        "Usaha minuman",
        "Drinks",
        "Es, jus, kopi, minuman kemasan gelas.",
        "Iced drinks, juice, coffee, cup-sealed drinks.",
    ),
    BusinessType(
        "fried_snacks",
        "Gorengan",
        "Fried snacks",
        "Pisang goreng, tahu isi, bakwan.",
        "Fried bananas, stuffed tofu, fritters.",
    ),
    BusinessType(
        "chicken_farming",
        "Ternak ayam",
        "Chicken farming",
        "Ayam kampung: bibit, kandang, pakan, vitamin.",
        "Native chickens: chicks, cage, feed, vitamins.",
    ),
    BusinessType(
        "cake_making",
        "Pengolahan kue",
        "Cake making",
        "Kue basah dan kue kering.",
        "Traditional cakes and cookies.",
    ),
    BusinessType(
        "workshop",
        "Jasa perbengkelan",
        "Workshop services",
        "Tambal ban, servis motor ringan.",
        "Tyre patching, light motorcycle repair.",
    ),
)


@hookimpl
def register_business_types(register: Callable[[BusinessType], None]) -> None:
    """Register the six built-in business types."""
    for business_type in BUSINESS_TYPES:
        register(business_type)
