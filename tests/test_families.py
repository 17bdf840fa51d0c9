"""A batch's approvals by family card: the same report in memory and once moved to disk."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bansos_rules._families import ApprovedFamilies

_CARDS = st.sampled_from([f"64720315021601{i:02d}" for i in range(12)])


def _expected(approvals: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    by_card: dict[str, list[str]] = {}
    for kk, app_id in approvals:
        by_card.setdefault(kk, []).append(app_id)
    return [(kk, ids) for kk, ids in by_card.items() if len(ids) > 1]


@given(
    cards=st.lists(_CARDS, max_size=60),
    limit=st.integers(min_value=0, max_value=8),
)
def test_cards_approved_twice_are_reported_alike_in_memory_and_on_disk(
    cards: list[str], limit: int
) -> None:
    approvals = [(kk, f"KT-{i:04d}") for i, kk in enumerate(cards)]
    with ApprovedFamilies(limit=limit) as families:
        for kk, app_id in approvals:
            families.add(kk, app_id)
        assert list(families.repeated()) == _expected(approvals)


def test_the_disk_copy_is_removed_when_closed() -> None:
    families = ApprovedFamilies(limit=1)
    for i in range(5):
        families.add(f"kk{i % 2}", f"id{i}")
    folder = families._folder
    assert folder is not None
    assert list(families.repeated()) == [("kk0", ["id0", "id2", "id4"]), ("kk1", ["id1", "id3"])]
    families.close()
    from pathlib import Path

    assert not Path(folder.name).exists()
