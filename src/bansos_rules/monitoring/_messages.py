"""The monitoring ruleset's own diagnostics, in Bahasa Indonesia and English."""

from __future__ import annotations

from bansos_rules._messages import register_messages

MESSAGES: dict[str, tuple[str, str]] = {
    "monitoring-state-unknown": (
        "keadaan '{name}' tidak dinyatakan di 'states'",
        "state '{name}' is not declared under 'states'",
    ),
    "monitoring-regency-unknown": (
        "'{name}' bukan kode kabupaten/kota Kalimantan Timur (Kemendagri)",
        "'{name}' is not an East Kalimantan regency/city code (Kemendagri)",
    ),
    "monitoring-regency-missing": (
        "parameter '{name}' tidak mempunyai nilai untuk {missing} dan tidak ada '*'",
        "parameter '{name}' has no value for {missing} and no '*'",
    ),
    "monitoring-terminal-source": (
        "keadaan akhir '{name}' tidak boleh ditinggalkan",
        "terminal state '{name}' cannot be left",
    ),
    "monitoring-terminal-alert": (
        "peringatan tidak boleh muncul pada keadaan akhir '{name}'",
        "an alert cannot open in terminal state '{name}'",
    ),
    "monitoring-transition-trigger": (
        "perubahan keadaan perlu 'when' atau 'after_months'",
        "a transition needs 'when' or 'after_months'",
    ),
    "monitoring-timer-param": (
        "'after_months' harus nama parameter bilangan bulat, bukan '{name}'",
        "'after_months' must name a whole-number parameter, not '{name}'",
    ),
    "monitoring-case-unknown": (
        "kasus '{name}' tidak ada di 'cases'",
        "case '{name}' is not under 'cases'",
    ),
    "monitoring-alert-unknown": (
        "'{name}' bukan id peringatan atau perubahan keadaan di ruleset ini",
        "'{name}' is not an alert or transition id of this ruleset",
    ),
    "monitoring-placeholder": (
        "tempat isian '{{{name}}}' bukan fakta kasus (case.*) atau parameter (params.*)",
        "placeholder '{{{name}}}' is not a fact of the case (case.*) or a parameter (params.*)",
    ),
    "monitoring-uncovered": (
        "tidak ada contoh yang memicu perubahan keadaan atau peringatan ini",
        "no worked example fires this transition or alert",
    ),
    "monitoring-invariant": (
        "sebuah lini masa buatan melanggar invarian (lihat rincian)",
        "a generated timeline breaks an invariant (see details)",
    ),
    "monitoring-disagree": (
        "mesin native dan durable memberi hasil berbeda pada lini masa buatan (lihat rincian)",
        "the native and durable engines differ on a generated timeline (see details)",
    ),
}

register_messages(MESSAGES)
