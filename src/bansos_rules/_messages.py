"""Every message shown to a person, in Bahasa Indonesia (``id``) and English (``en``).

Messages are looked up by a stable code, so tools can match on the code and people read the text.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["LANGS", "Lang", "field_message_id", "label", "render"]

Lang = Literal["id", "en"]
LANGS: tuple[Lang, ...] = ("id", "en")

_CATALOG: dict[str, tuple[str, str]] = {
    # ruleset files: YAML and structure
    "yaml-syntax": ("YAML tidak valid: {detail}", "invalid YAML: {detail}"),
    "yaml-tab": (
        "karakter tab dipakai untuk indentasi; YAML hanya menerima spasi: ganti tab dengan "
        "spasi (biasanya 2 spasi per tingkat)",
        "a tab character is used for indentation; YAML accepts only spaces: replace the tab "
        "with spaces (usually 2 per level)",
    ),
    "yaml-unclosed-quote": (
        "tanda kutip {quote} dibuka di sini tetapi tidak pernah ditutup; tambahkan {quote} di "
        "akhir teksnya",
        "the quote {quote} opened here is never closed; add {quote} at the end of the text",
    ),
    "yaml-unclosed-bracket": (
        "kurung '{bracket}' dibuka di sini tetapi tidak ditutup (atau ada koma yang hilang "
        "di antara isinya); tutup dengan '{closing}' di baris yang sama",
        "the bracket '{bracket}' opened here is not closed (or a comma between its items is "
        "missing); close it with '{closing}' on the same line",
    ),
    "yaml-indent": (
        "indentasi tidak rata atau titik dua di tempat yang salah: kunci yang setingkat harus "
        "sejajar (jumlah spasi sama), setiap kunci ditulis 'kunci: nilai', dan teks yang "
        "memuat ': ' atau '#' diberi tanda kutip",
        "indentation is uneven or a colon is misplaced: keys at one level must line up (the "
        "same number of spaces), each key is written 'key: value', and text containing ': ' "
        "or '#' must be quoted ({detail})",
    ),
    "yaml-unsupported": (
        "{detail} tidak didukung di berkas ruleset",
        "{detail} is not supported in a ruleset file",
    ),
    "yaml-too-large": (
        "berkas terlalu besar atau bersarang terlalu dalam",
        "file is too large or too deeply nested",
    ),
    "file-empty": (
        "berkas ruleset kosong; tulis setidaknya 'ruleset:', 'title:' dan 'rules:'",
        "the ruleset file is empty; write at least 'ruleset:', 'title:' and 'rules:'",
    ),
    "file-too-large": (
        "berkas ruleset terlalu besar ({size} byte; paling banyak {limit}); pindahkan teks "
        "rujukan yang panjang ke dokumen terpisah dan tulis judul serta pasalnya saja",
        "the ruleset file is too large ({size} bytes; at most {limit}); move long reference "
        "texts to a separate document and cite only their title and article",
    ),
    "file-not-utf8": (
        "berkas bukan teks UTF-8 (byte 0x{byte} tidak valid); simpan ulang sebagai UTF-8 "
        "(di Notepad: Simpan Sebagai → Encoding: UTF-8)",
        "the file is not UTF-8 text (byte 0x{byte} is not valid); save it again as UTF-8 "
        "(in Notepad: Save As → Encoding: UTF-8)",
    ),
    "yaml-number-form": (
        "'{text}' dibaca YAML sebagai bilangan dalam bentuk lain (heksadesimal, oktal, biner, "
        "basis 60 atau dengan garis bawah); tulis bilangan bulat desimal biasa, misalnya 18, "
        "atau beri tanda kutip bila maksudnya teks",
        "YAML reads '{text}' as a number in another form (hexadecimal, octal, binary, base 60 "
        "or with underscores); write a plain decimal whole number such as 18, or quote it if "
        "it is text",
    ),
    "yaml-number-range": (
        "bilangan '{text}' terlalu besar (paling besar {limit})",
        "the number '{text}' is too large (at most {limit})",
    ),
    "text-deceptive": (
        "karakter tersembunyi {char} tidak diizinkan: karakter kendali, pembalik arah teks dan "
        "karakter tak terlihat bisa membuat teks tampak lain dari isinya; hapus karakter itu",
        "the hidden character {char} is not allowed: control, text-direction and invisible "
        "characters can make text look different from what it is; delete it",
    ),
    "duplicate-key": (
        "kunci '{key}' ditulis dua kali (pertama di baris {first_line})",
        "duplicate key '{key}' (first at line {first_line})",
    ),
    "field-missing": ("kolom wajib '{field}' tidak ada", "missing required field '{field}'"),
    "field-unknown": ("kolom '{field}' tidak dikenal", "unknown field '{field}'"),
    "field-invalid": ("'{field}': {detail_id}", "'{field}': {detail}"),
    "reference-missing": (
        "{what} tidak mempunyai rujukan (reference); tulis dasar hukum atau sumbernya",
        "{what} has no reference; give its legal basis or source",
    ),
    "rule-duplicate": (
        "id aturan '{rule}' sudah dipakai di baris {first_line}",
        "rule id '{rule}' is already used at line {first_line}",
    ),
    "ruleset-duplicate": (
        "ruleset '{ruleset}' sudah dimuat dari {other}",
        "ruleset '{ruleset}' is already loaded from {other}",
    ),
    "rule-duplicate-across": (
        "id aturan '{rule}' juga dipakai di ruleset '{other}'",
        "rule id '{rule}' is also used in ruleset '{other}'",
    ),
    "param-overlap": (
        "masa berlaku nilai parameter '{name}' tumpang tindih: {first} dan {second}",
        "effective periods of parameter '{name}' overlap: {first} and {second}",
    ),
    "param-period": (
        "parameter '{name}': tanggal 'until' ({until}) harus sesudah 'from' ({start})",
        "parameter '{name}': 'until' ({until}) must be after 'from' ({start})",
    ),
    "param-value": (
        "nilai parameter '{name}' harus {expected_id}, bukan {got!r}",
        "value of parameter '{name}' must be {expected_en} (got {got!r})",
    ),
    "param-range": (
        "nilai parameter '{name}' ({value}) di luar rentang yang masuk akal untuk satuan "
        "'{unit}' ({low} sampai {high})",
        "value of parameter '{name}' ({value}) is outside the range that makes sense for "
        "unit '{unit}' ({low} to {high})",
    ),
    "param-keys": (
        "parameter '{name}' tidak mempunyai nilai untuk jenis usaha {missing}",
        "parameter '{name}' has no value for business type(s) {missing}",
    ),
    "param-not-in-force": (
        "parameter '{name}' tidak mempunyai nilai yang berlaku pada {on}",
        "parameter '{name}' has no value in force on {on}",
    ),
    "rule-error": ("{title}: aturan gagal dijalankan", "{title}: the rule failed to run"),
    "business-type-unknown": (
        "jenis usaha '{name}' tidak terdaftar",
        "business type '{name}' is not registered",
    ),
    "agency-unknown": (
        "instansi rujukan '{name}' tidak terdaftar",
        "referral agency '{name}' is not registered",
    ),
    "score-needs-points": (
        "aturan skor harus memiliki 'points' lebih dari 0",
        "a score rule needs 'points' greater than 0",
    ),
    "points-not-score": (
        "'points' hanya untuk aturan dengan kind: score",
        "'points' is only for rules of kind: score",
    ),
    # rule expressions
    "expr-syntax": ("ekspresi tidak valid: {detail}", "expression is not valid: {detail}"),
    "expr-unsafe": (
        "{construct} tidak diizinkan dalam ekspresi aturan",
        "{construct} is not allowed in a rule expression",
    ),
    "expr-too-large": (
        "ekspresi terlalu besar ({size} simpul; paling banyak {limit})",
        "expression is too large ({size} nodes; at most {limit})",
    ),
    "expr-too-much-work": (
        "ekspresi ini bisa memerlukan {work:,} langkah untuk satu permohonan (paling banyak "
        "{limit:,}): perulangan 'for' bertingkat atas daftar panjang; sederhanakan atau pecah "
        "menjadi beberapa aturan",
        "this expression can take {work:,} steps for one application (at most {limit:,}): "
        "nested 'for' loops over long lists; simplify it or split it into several rules",
    ),
    "expr-name-not-ascii": (
        "nama '{name}' memakai huruf selain huruf Latin biasa (misalnya huruf lebar penuh); "
        "ketik ulang dengan huruf a-z, angka dan garis bawah",
        "the name '{name}' uses characters other than plain Latin letters (fullwidth letters, "
        "for example); type it again with a-z, digits and underscores",
    ),
    "expr-unknown-name": ("nama '{name}' tidak dikenal", "unknown name '{name}'"),
    "expr-unknown-field": (
        "'{owner}' tidak mempunyai kolom '{name}'",
        "'{owner}' has no field '{name}'",
    ),
    "expr-unknown-function": ("fungsi '{name}' tidak dikenal", "unknown function '{name}'"),
    "expr-type": ("{detail_id}", "{detail_en}"),
    "expr-not-bool": (
        "'{field}' harus menghasilkan benar/salah, tetapi ekspresi ini menghasilkan {type_id}",
        "'{field}' must give true or false, but this expression gives {type_en}",
    ),
    "round-param-unknown": (
        "'{field}' menyebut parameter '{name}' yang tidak ada",
        "'{field}' names parameter '{name}', which does not exist",
    ),
    "round-param-type": (
        "parameter '{name}' untuk '{field}' harus bertipe int",
        "parameter '{name}' for '{field}' must be of type int",
    ),
    "round-regency-duplicate": (
        "kabupaten/kota {regency} ditulis dua kali",
        "regency/city {regency} is listed twice",
    ),
    "round-figure-missing": (
        "metode '{method}' memerlukan '{figure}' untuk setiap kabupaten/kota; "
        "{regency} tidak punya",
        "method '{method}' needs '{figure}' for every regency/city; {regency} has none",
    ),
    "round-slots-param": (
        "metode '{method}' memerlukan '{field}'",
        "method '{method}' needs '{field}'",
    ),
    "round-need-error": (
        "skor kebutuhan {term} tidak dapat dihitung untuk aplikasi {application}: {error}",
        "need term {term} cannot be computed for application {application}: {error}",
    ),
    "round-need-type": (
        "skor kebutuhan harus bilangan bulat atau benar/salah, bukan {type_id}",
        "a need score must be a whole number or true/false, not {type_en}",
    ),
    "expr-literal": (
        "'{value}' bukan nilai yang mungkin untuk {owner}; pilihan: {choices}",
        "'{value}' is not a possible value of {owner}; choices: {choices}",
    ),
    "placeholder": (
        "tempat isian '{{{name}}}' dalam pesan: {detail_id}",
        "placeholder '{{{name}}}' in the message: {detail_en}",
    ),
    # invariants
    "invariant-duplicate": (
        "id invarian '{invariant}' sudah dipakai di baris {first_line}",
        "invariant id '{invariant}' is already used at line {first_line}",
    ),
    "invariant-rule-unknown": (
        "invarian '{invariant}' menyebut aturan '{name}' yang tidak ada",
        "invariant '{invariant}' names rule '{name}', which does not exist",
    ),
    "invariant-param-not-in-force": (
        "invarian '{invariant}': parameter '{name}' tidak mempunyai nilai yang berlaku pada {on}",
        "invariant '{invariant}': parameter '{name}' has no value in force on {on}",
    ),
    # examples
    "example-invalid": (
        "contoh '{example}' berisi aplikasi yang tidak valid: {detail_id}",
        "example '{example}' holds an invalid application: {detail}",
    ),
    "example-base-unknown": (
        "contoh '{example}' memakai aplikasi dasar '{name}' yang tidak ada",
        "example '{example}' extends application '{name}', which does not exist",
    ),
    "example-rule-unknown": (
        "contoh '{example}' menyebut aturan '{name}' yang tidak ada",
        "example '{example}' names rule '{name}', which does not exist",
    ),
}

_HINT = ("maksud Anda '{0}'?", "did you mean '{0}'?")

_LABELS: dict[str, tuple[str, str]] = {
    "approved": ("DISETUJUI", "APPROVED"),
    "rejected": ("DITOLAK", "REJECTED"),
    "needs_review": ("PERLU DITINJAU", "NEEDS REVIEW"),
    "application": ("Aplikasi", "Application"),
    "applicant": ("Pemohon", "Applicant"),
    "business_type": ("Jenis usaha", "Business type"),
    "plan_total": ("Nilai rencana", "Plan total"),
    "aid_value": ("Nilai bantuan disetujui", "Aid value approved"),
    "rules_applied_on": ("Aturan berlaku per tanggal", "Rules applied as of"),
    "engine": ("Mesin", "Engine"),
    "digest": ("Sidik ruleset", "Ruleset digest"),
    "findings_failed": ("Syarat yang tidak terpenuhi", "Requirements not met"),
    "findings_passed": ("Syarat yang terpenuhi", "Requirements met"),
    "not_applicable": ("tidak berlaku", "not applicable"),
    "referrals": ("Rujukan ke instansi lain", "Referrals to other agencies"),
    "recommendations": ("Kecocokan jenis usaha", "Business-type fit"),
    "none": ("tidak ada", "none"),
    "value_read": ("nilai", "value"),
    "threshold": ("batas", "threshold"),
    "reference": ("dasar", "reference"),
    "error": ("GALAT", "ERROR"),
    "summary": ("Ringkasan", "Summary"),
    "records": ("catatan", "records"),
    "decided": ("diputuskan", "decided"),
    "invalid": ("tidak valid", "invalid"),
    "score": ("skor", "score"),
    "rule_error": ("aturan gagal dijalankan", "rule failed to run"),
    "unreadable_files": ("berkas tidak terbaca", "unreadable file(s)"),
    "no_rules_on": ("tidak ada aturan yang berlaku pada", "no rules in force on"),
    "example_ok": ("lulus", "ok"),
    "example_failed": ("GAGAL", "FAIL"),
    "passed": ("lulus", "passed"),
    "failed": ("gagal", "failed"),
    "internal_error": ("galat internal", "internal error"),
    "internal_error_hint": (
        "Ini kesalahan program bansos-rules atau sebuah plugin, bukan kesalahan data atau ruleset "
        "Anda. Laporkan kepada pengelola beserta perintah dan berkas masukannya "
        "(BANSOS_RULES_TRACEBACK=1 menampilkan rinciannya).",
        "This is a fault in bansos-rules or a plugin, not in your data or rulesets. Report it to "
        "the maintainers with the command and its input files (BANSOS_RULES_TRACEBACK=1 shows "
        "the details).",
    ),
    "interrupted": ("dihentikan (Ctrl+C)", "interrupted (Ctrl+C)"),
    "cannot_write": ("berkas keluaran tidak dapat ditulis", "cannot write the output file"),
    # bansos-rules diff
    "diff_title": ("Perubahan ruleset", "Ruleset changes"),
    "diff_old": ("lama", "old"),
    "diff_new": ("baru", "new"),
    "diff_structure": ("Perubahan struktur", "Structural changes"),
    "diff_no_change": ("Tidak ada perubahan pada ruleset.", "The rulesets do not differ."),
    "diff_added": ("ditambah", "added"),
    "diff_removed": ("dihapus", "removed"),
    "diff_changed": ("diubah", "changed"),
    "diff_flipped": ("berubah", "changed"),
    "diff_rulesets": ("Ruleset", "Rulesets"),
    "diff_rules": ("Aturan", "Rules"),
    "diff_parameters": ("Parameter", "Parameters"),
    "diff_rule": ("aturan", "rule"),
    "diff_parameter": ("parameter", "parameter"),
    "diff_field": ("kolom", "field"),
    "diff_change": ("perubahan", "change"),
    "diff_examples": ("jumlah contoh", "examples"),
    "diff_invariants": ("jumlah invarian", "invariants"),
    "diff_used_by": ("dipakai oleh", "used by"),
    "diff_from": ("mulai", "from"),
    "diff_until": ("sampai", "until"),
    "diff_no_value": ("(tidak ada)", "(none)"),
    "diff_impact": ("Dampak pada keputusan", "Impact on decisions"),
    "diff_population_generated": (
        "{n} permohonan buatan (seed {seed})",
        "{n} generated applications (seed {seed})",
    ),
    "diff_population_records": ("{n} catatan dari {files}", "{n} records from {files}"),
    "diff_on_given": ("aturan per tanggal {on}", "rules as of {on}"),
    "diff_on_submitted": (
        "aturan per tanggal pengajuan (submitted_on) tiap permohonan",
        "rules as of each application's submitted_on",
    ),
    "diff_on_today": ("aturan per hari ini, {on}", "rules as of today, {on}"),
    "diff_on_change": (
        "aturan per {on}, tanggal terakhir berlakunya perubahan nilai parameter (ubah dengan --on)",
        "rules as of {on}, the latest date a parameter value change takes effect (--on for "
        "another)",
    ),
    "diff_reconcile": (
        "{records} catatan = {compared} dibandingkan + {invalid} tidak valid.",
        "{records} records = {compared} compared + {invalid} invalid.",
    ),
    "diff_outcome": ("Keputusan", "Outcome"),
    "diff_total_aid": ("Total bantuan", "Total aid"),
    "diff_no_flips": ("Tidak ada keputusan yang berubah.", "No decision changes."),
    "diff_changed_decisions": ("Keputusan yang berubah", "Decisions that change"),
    "diff_applications": ("permohonan", "applications"),
    "diff_rules_behind": ("aturan yang berubah hasilnya", "rules that came out differently"),
    "diff_aid_changed": ("keputusan sama, nilai bantuan berubah", "same outcome, aid changed"),
    "diff_by_regency": ("Per kabupaten/kota", "By regency/city"),
    "diff_by_business_type": ("Per jenis usaha", "By business type"),
    "diff_regency": ("Kabupaten/kota", "Regency/city"),
    "diff_gained": ("jadi disetujui", "newly approved"),
    "diff_lost": ("tak lagi disetujui", "no longer approved"),
    "diff_examples_heading": ("Contoh pemohon", "Example applicants"),
    "diff_shrunk": ("diperkecil", "shrunk"),
    "diff_not_shrunk": ("tidak diperkecil", "not shrunk"),
    "diff_paste": ("contoh siap tempel ke ruleset (YAML)", "ready-to-paste ruleset example (YAML)"),
    "diff_invalid": ("Catatan yang tidak dapat dibandingkan", "Records that could not be compared"),
    "diff_status_passed": ("lulus", "passed"),
    "diff_status_failed": ("gagal", "failed"),
    "diff_status_not_applicable": ("tidak berlaku", "not applicable"),
    "diff_status_error": ("galat", "error"),
    "diff_status_absent": ("tidak ada", "absent"),
    # bansos-rules check
    "check_validation": ("Validasi berkas", "File validation"),
    "check_lint": ("Lint", "Lint"),
    "check_examples": ("Contoh", "Examples"),
    "check_invariants": ("Invarian", "Invariants"),
    "check_engines": ("Kesesuaian mesin", "Engine agreement"),
    "check_coverage": ("Cakupan aturan", "Rule coverage"),
    "check_rules": ("aturan", "rules"),
    "check_minimum": ("minimum", "minimum"),
    "check_ok": ("LULUS", "PASSED"),
    "check_failed": ("GAGAL", "FAILED"),
    "check_error": ("galat", "error"),
    "check_warning": ("peringatan", "warning"),
    "check_errors": ("galat", "errors"),
    "check_warnings": ("peringatan", "warnings"),
    "check_skipped": ("dilewati", "skipped"),
    "check_checked": ("diperiksa", "checked"),
    "check_seconds": ("detik", "s"),
}

# Findings of `bansos-rules check` (bansos_rules.check); listed in docs/cli.md, not in the ruleset
# reference, because they are about a set of rulesets rather than one file's content.
_CHECK: dict[str, tuple[str, str]] = {
    "check-plugin": ("plugin gagal dimuat: {detail}", "a plugin failed to load: {detail}"),
    "check-skipped-load": (
        "berkas ruleset tidak dapat dimuat; perbaiki galat validasi dulu",
        "the ruleset files do not load; fix the validation errors first",
    ),
    "check-skipped-option": ("dilewati dengan --skip {kind}", "skipped with --skip {kind}"),
    "check-skipped-generated": (
        "tidak ada aplikasi buatan (--generated 0)",
        "no generated applications (--generated 0)",
    ),
    "check-skipped-hypothesis": (
        "hypothesis tidak terpasang; pasang dengan pip install hypothesis",
        "hypothesis is not installed; install it with pip install hypothesis",
    ),
    "check-skipped-invariants": (
        "pemeriksaan invarian tidak tersedia dalam versi ini",
        "invariant checking is not available in this version",
    ),
    "check-generation-failed": (
        "aplikasi buatan tidak dapat dibuat: {detail}",
        "applications could not be generated: {detail}",
    ),
    "check-not-in-force": (
        "aplikasi buatan tidak dapat diputuskan pada {on} (pilih tanggal lain dengan --on): "
        "{detail_id}",
        "generated applications cannot be decided on {on} (choose another date with --on): "
        "{detail_en}",
    ),
    "check-example-failed": (
        "contoh '{name}' tidak memberi keputusan yang diharapkan (mesin {engine})",
        "example '{name}' does not give the decision it expects (engine {engine})",
    ),
    "round-property-broken": (
        "sifat putaran '{property}' dilanggar pada putaran buatan (lihat contoh terkecil)",
        "the round property '{property}' is broken on a generated round (see the smallest case)",
    ),
    "check-example-raised": (
        "contoh '{name}' tidak dapat diputuskan (mesin {engine}): {detail}",
        "example '{name}' could not be decided (engine {engine}): {detail}",
    ),
    "lint-param-unused": (
        "parameter '{name}' tidak dipakai oleh aturan atau invarian mana pun; hapus atau pakai",
        "parameter '{name}' is not used by any rule or invariant; remove it or use it",
    ),
    "lint-param-reference": (
        "rujukan parameter '{name}' hanya isian sementara ('{reference}'); tulis dasar hukum "
        "atau sumbernya",
        "parameter '{name}' has only a placeholder reference ('{reference}'); give its legal "
        "basis or source",
    ),
    "lint-rule-reference": (
        "rujukan aturan ini hanya isian sementara ('{reference}'); tulis dasar hukum atau "
        "sumbernya",
        "the rule has only a placeholder reference ('{reference}'); give its legal basis or source",
    ),
    "lint-never-applies": (
        "aturan tidak pernah berlaku pada {count} aplikasi buatan, dan tidak ada contoh yang "
        "membuatnya berlaku; periksa 'when' dan 'applies_to'",
        "the rule applied to none of {count} generated applications, and no example makes it "
        "apply; check its 'when' and 'applies_to'",
    ),
    "lint-never-fails": (
        "aturan tidak pernah gagal pada {count} aplikasi buatan, dan tidak ada contoh yang "
        "membuatnya gagal; mungkin syaratnya selalu terpenuhi",
        "the rule failed on none of {count} generated applications, and no example makes it "
        "fail; its check may always hold",
    ),
    "lint-never-passes": (
        "aturan tidak pernah lulus pada {count} aplikasi buatan tempat aturan ini berlaku, dan "
        "tidak ada contoh yang membuatnya lulus; mungkin syaratnya tidak mungkin dipenuhi",
        "the rule passed on none of the {count} generated applications it applied to, and no "
        "example makes it pass; its check may never hold",
    ),
    "lint-rule-error": (
        "aturan gagal dijalankan pada {count} aplikasi buatan yang valid (misalnya {application}): "
        "{detail}",
        "the rule failed to run on {count} valid generated applications (e.g. {application}): "
        "{detail}",
    ),
    "lint-same-check": (
        "pemeriksaan aturan ini sama dengan aturan '{other}' ({where}); salah satunya berlebih",
        "the rule's check is the same as rule '{other}' ({where}); one of them is redundant",
    ),
    "lint-negated-check": (
        "pemeriksaan aturan ini kebalikan dari aturan '{other}' ({where}); keduanya tidak "
        "mungkin terpenuhi bersamaan, jadi tidak ada aplikasi yang disetujui",
        "the rule's check is the negation of rule '{other}' ({where}); both can never be met, "
        "so no application can be approved",
    ),
    "lint-never-together": (
        "aturan ini dan aturan '{other}' ({where}) tidak pernah terpenuhi bersamaan pada {count} "
        "aplikasi buatan tempat keduanya berlaku, dan tidak ada contoh yang memenuhi keduanya; "
        "mungkin keduanya bertentangan",
        "the rule and rule '{other}' ({where}) were never both met on the {count} generated "
        "applications both applied to, and no example meets both; they may contradict each other",
    ),
    "check-invariant-failed": (
        "invarian '{invariant}' ({title_id}) tidak berlaku untuk aplikasi {application} pada "
        "{on}; contoh untuk ditempel:",
        "invariant '{invariant}' ({title_en}) does not hold for application {application} on "
        "{on}; an example to paste:",
    ),
    "check-invariant-error": (
        "invarian '{invariant}' tidak dapat diperiksa: {detail}",
        "invariant '{invariant}' could not be checked: {detail}",
    ),
    "check-invariant-irrelevant": (
        "invarian '{invariant}' tidak relevan bagi satu pun dari {tried} aplikasi buatan; tidak "
        "ada yang teruji",
        "invariant '{invariant}' was relevant to none of {tried} generated applications; nothing "
        "was tested",
    ),
    "check-only-native": (
        "hanya mesin native yang terdaftar; tidak ada mesin lain untuk dibandingkan",
        "only the native engine is registered; there is no other engine to compare with",
    ),
    "check-engine-unavailable": (
        "mesin '{engine}' tidak tersedia di sini: {detail}",
        "engine '{engine}' is not available here: {detail}",
    ),
    "check-engine-build": (
        "mesin '{engine}' gagal menyusun aturan: {detail}",
        "engine '{engine}' failed to compile the rules: {detail}",
    ),
    "check-engine-disagrees": (
        "mesin '{engine}' memutuskan {count} dari {total} aplikasi buatan berbeda dari mesin "
        "native",
        "engine '{engine}' decided {count} of {total} generated applications differently from "
        "the native engine",
    ),
    "check-engine-raised": (
        "mesin '{engine}' gagal memutuskan {count} dari {total} aplikasi buatan",
        "engine '{engine}' failed to decide {count} of {total} generated applications",
    ),
    "check-uncovered": (
        "tidak ada contoh yang memperlihatkan aturan ini {missing_id}",
        "no example shows the rule {missing_en}",
    ),
    "check-coverage-below": (
        "cakupan aturan {percent_id} di bawah minimum {minimum_id} (--min-coverage)",
        "rule coverage {percent} is below the minimum {minimum} (--min-coverage)",
    ),
}


# Pydantic's error types, in Indonesian; the others keep pydantic's English message.
_PYDANTIC_ID: dict[str, str] = {
    "missing": "wajib diisi",
    "extra_forbidden": "kolom tidak dikenal",
    "string_pattern_mismatch": "harus cocok dengan pola '{pattern}'",
    "literal_error": "harus salah satu dari {expected}",
    "greater_than_equal": "harus lebih besar atau sama dengan {ge}",
    "greater_than": "harus lebih besar dari {gt}",
    "less_than_equal": "harus lebih kecil atau sama dengan {le}",
    "less_than": "harus lebih kecil dari {lt}",
    "int_type": "harus bilangan bulat",
    "int_parsing": "harus bilangan bulat",
    "int_from_float": "harus bilangan bulat, tanpa desimal",
    "bool_type": "harus true atau false",
    "bool_parsing": "harus true atau false",
    "string_type": "harus teks",
    "string_too_short": "terlalu pendek (paling sedikit {min_length} karakter)",
    "string_too_long": "terlalu panjang (paling banyak {max_length} karakter)",
    "too_short": "terlalu sedikit (paling sedikit {min_length})",
    "too_long": "terlalu banyak (paling banyak {max_length})",
    "date_type": "harus tanggal (YYYY-MM-DD)",
    "date_parsing": "harus tanggal (YYYY-MM-DD)",
    "date_from_datetime_parsing": "harus tanggal (YYYY-MM-DD)",
    "tuple_type": "harus berupa daftar",
    "list_type": "harus berupa daftar",
    "model_type": "harus berupa objek",
    "model_attributes_type": "harus berupa objek",
    "dict_type": "harus berupa objek",
    "nik_invalid": "NIK {nik}: {problems_id}",
}


def field_message_id(kind: str, ctx: dict[str, Any] | None) -> str | None:
    """Pydantic's error ``kind`` in Indonesian, or ``None`` when there is no translation."""
    template = _PYDANTIC_ID.get(kind)
    if template is None:
        return None
    args = {k: str(v) for k, v in (ctx or {}).items()}
    if "expected" in args:
        args["expected"] = args["expected"].replace(" or ", ", ")
    try:
        return template.format(**args)
    except (KeyError, IndexError):
        return None


class _Args(dict[str, Any]):
    """Message arguments: a missing ``x_id`` (the Indonesian form of ``x``) falls back to ``x``."""

    def __missing__(self, key: str) -> Any:
        if key.endswith("_id") and key[:-3] in self:
            return self[key[:-3]]
        raise KeyError(key)


def render(code: str, lang: Lang = "en", /, **args: Any) -> str:
    """The message ``code`` in ``lang``, filled with ``args``.

    A ``suggestion`` argument, when given and not empty, adds a "did you mean" hint.
    """
    templates = _CATALOG.get(code) or _CHECK.get(code) or _EXTRA.get(code)
    if templates is None:
        return code + (
            ": " + ", ".join(f"{k}={v!r}" for k, v in sorted(args.items())) if args else ""
        )
    text = templates[0 if lang == "id" else 1].format_map(_Args(args))
    suggestion = args.get("suggestion")
    if suggestion:
        text += " (" + _HINT[0 if lang == "id" else 1].format(suggestion) + ")"
    return text


_EXTRA: dict[str, tuple[str, str]] = {}


def register_messages(messages: dict[str, tuple[str, str]]) -> None:
    """Add a package's own message codes (id, en) to those :func:`render` knows."""
    _EXTRA.update(messages)


def label(key: str, lang: Lang = "en") -> str:
    """A short label used in reports (outcomes, headings)."""
    pair = _LABELS.get(key)
    if pair is None:
        return key
    return pair[0 if lang == "id" else 1]


def known_codes() -> frozenset[str]:
    """Every message code in the catalog."""
    return frozenset(_CATALOG)
