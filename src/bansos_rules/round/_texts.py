"""Every text the round shows to a person, in Bahasa Indonesia (``id``) and English (``en``)."""

from __future__ import annotations

from typing import Any

from bansos_rules._decision import Text
from bansos_rules._messages import Lang

__all__ = ["say", "text"]

_TEXTS: dict[str, tuple[str, str]] = {
    # one approval per family card within a batch
    "same-kk": (
        "KK {kk} sudah disetujui untuk aplikasi {other}; satu penerima per KK per putaran",
        "family card {kk} is already approved for application {other}; "
        "one recipient per family card per round",
    ),
    # statuses of an allocation
    "selected": (
        "terpilih: peringkat {rank} dari {approved} di {regency}; batas peringkat {slots}",
        "selected: rank {rank} of {approved} in {regency}; rank cut-off {slots}",
    ),
    "waitlisted": (
        "daftar tunggu nomor {position}: peringkat {rank} dari {approved} di {regency}; "
        "batas peringkat {slots}",
        "waitlist number {position}: rank {rank} of {approved} in {regency}; rank cut-off {slots}",
    ),
    "not-selected-kk": (
        "tidak terpilih: anggota KK yang sama sudah terpilih (aplikasi {other}); "
        "peringkat {rank} dari {approved} di {regency}",
        "not selected: a member of the same family card is already selected (application "
        "{other}); rank {rank} of {approved} in {regency}",
    ),
    "not-selected-budget": (
        "tidak terpilih: pagu anggaran Rp{budget} sudah tercapai; peringkat {rank} dari "
        "{approved} di {regency}",
        "not selected: the budget ceiling of Rp{budget} is reached; rank {rank} of {approved} "
        "in {regency}",
    ),
    "not-selected-slots": (
        "tidak terpilih: {regency} tidak mempunyai kuota pada putaran ini",
        "not selected: {regency} has no slots in this round",
    ),
    "not-approved": (
        "tidak ikut pemeringkatan: keputusan {outcome}",
        "not ranked: the decision is {outcome}",
    ),
    "unknown-withdrawn": (
        "peringatan: --withdraw {id}: tidak ada aplikasi dengan nomor ini dalam putaran",
        "warning: --withdraw {id}: no application of the round has this id",
    ),
    "withdrawn": ("mengundurkan diri atau gagal verifikasi", "withdrawn or failed verification"),
    "score": ("skor kebutuhan {score}", "need score {score}"),
    # audit trail
    "change-entered": ("masuk daftar terpilih", "entered the selection"),
    "change-left": ("keluar dari daftar terpilih", "left the selection"),
    "change-rank": ("peringkat berubah", "rank changed"),
    "change-status": ("status berubah", "status changed"),
    "why-withdrawn": ("mengundurkan diri/gagal verifikasi", "withdrawn/failed verification"),
    "why-corrected": (
        "data dikoreksi (banding), diputuskan dan diperingkat ulang",
        "data corrected (appeal), decided and ranked again",
    ),
    "why-new": ("aplikasi baru", "new application"),
    "why-moved": ("akibat perubahan lain di {regency}", "because of other changes in {regency}"),
}


def text(code: str, **args: Any) -> Text:
    """The text ``code`` in both languages, with ``args`` filled in."""
    id_, en = _TEXTS[code]
    return Text(id_.format(**args), en.format(**args))


def say(code: str, lang: Lang, **args: Any) -> str:
    """The text ``code`` in ``lang``."""
    return text(code, **args)(lang)
