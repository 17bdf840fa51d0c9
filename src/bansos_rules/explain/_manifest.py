"""The manifest of a rule book: every text a decision's explanation needs, once per digest.

A :class:`~bansos_rules._decision.Decision` holds only what the engine found (statuses, values read,
score slots); titles, message templates, references, agency and business-type names and the
parameter values over time live here. Findings, referrals, recommendations and the JSON of a
decision are rendered from the two on demand, the same way whichever engine decided.

Manifests are registered by digest for as long as something uses them, so a decision unpickled in
a process that has loaded the same rulesets finds its texts (see :func:`manifest_for_digest`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from datetime import date
from json import dumps
from json.encoder import encode_basestring
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_json

from bansos_rules._decision import (
    Finding,
    Recommendation,
    Referral,
    RuleError,
    Status,
    Text,
    _jsonable,
)
from bansos_rules._errors import BansosRulesError
from bansos_rules.explain._format import Template
from bansos_rules.ruleset.ir import Parameter, Rule, for_business_type
from bansos_rules.ruleset.vocabulary import fit_percent

if TYPE_CHECKING:
    from bansos_rules._book import Layout
    from bansos_rules._decision import Decision

__all__ = ["Manifest", "UnknownDigestError", "manifest_for_digest"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_STATUS: dict[Any, Status] = {
    True: Status.PASSED,
    False: Status.FAILED,
    None: Status.NOT_APPLICABLE,
}
_STATUSES = tuple(Status)
ERROR = Status.ERROR
_FILLS = 65_536  # filled messages kept per manifest (JSON of both languages)
_new_finding = tuple.__new__


def status_of(result: Any) -> Status:
    """The status of a rule's raw result (``True``, ``False``, ``None`` or a ``RuleError``)."""
    if type(result) is RuleError:
        return Status.ERROR
    return _STATUS.get(result, Status.ERROR)


class UnknownDigestError(BansosRulesError):
    """No rulesets with a decision's digest are loaded here, so it cannot be explained."""

    def __init__(self, digest: str, loaded: str | None = None) -> None:
        self.digest = digest
        self.loaded = loaded
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        """The message in ``lang`` (``id`` or ``en``)."""
        if lang == "id":
            if self.loaded is None:
                return (
                    f"tidak ada ruleset dengan sidik {self.digest} yang dimuat; muat ruleset yang "
                    "sama sebelum menjelaskan keputusan ini"
                )
            return (
                f"keputusan dibuat dengan ruleset bersidik {self.digest}, tetapi ruleset yang "
                f"dimuat bersidik {self.loaded}; muat ruleset yang sama (--rulesets)"
            )
        if self.loaded is None:
            return (
                f"no rulesets with digest {self.digest} are loaded; load the same rulesets "
                "before explaining this decision"
            )
        return (
            f"the decision was made with rulesets of digest {self.digest}, but the loaded "
            f"rulesets have digest {self.loaded}; load the same rulesets (--rulesets)"
        )


def _json(value: Any) -> str:
    """``value`` as the compact JSON ``json.dumps(..., ensure_ascii=False)`` would write."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is not float and kind is not dict:
        # pydantic's serializer writes models, dates and lists as json.dumps does (the same
        # escapes, no ASCII escaping), several times faster; floats and mappings are left to
        # json, whose float and key formatting may differ.
        try:
            found = to_json(value).decode()
        except (PydanticSerializationError, UnicodeDecodeError):
            pass
        else:
            if "." not in found or not _has_float(value):
                return found
    return dumps(_jsonable(value), ensure_ascii=False, separators=(",", ":"))


def _has_float(value: Any) -> bool:
    if type(value) is float:
        return True
    if isinstance(value, BaseModel):
        return any(_has_float(v) for _, v in value)
    if isinstance(value, tuple | list | frozenset | set):
        return any(_has_float(v) for v in value)
    return isinstance(value, Mapping)


def _text_json(text: Text) -> str:
    return '{"id":' + encode_basestring(text.id) + ',"en":' + encode_basestring(text.en) + "}"


class _Entry:
    """Everything textual about one rule (or one score rule for one business type)."""

    __slots__ = (
        "business_type",
        "fill_keys",
        "heads",
        "messages",
        "on_fail",
        "params",
        "points",
        "reads",
        "reason_heads",
        "refer",
        "reference",
        "rule_id",
        "ruleset",
        "tail",
        "templates",
        "title",
    )

    def __init__(
        self,
        rule: Rule,
        reads: tuple[tuple[str, int], ...],
        parameters: Mapping[str, Parameter],
        business_type: str | None,
    ) -> None:
        self.rule_id = rule.id
        self.ruleset = rule.ruleset
        self.title = Text(rule.title.id, rule.title.en)
        self.on_fail = rule.on_fail
        self.refer = rule.refer
        self.reference = rule.reference
        self.points = rule.points
        self.business_type = business_type
        self.reads = reads
        self.params = tuple((name, parameters[name]) for name in rule.params)
        self.templates = {s: Template.of(rule, s) for s in _STATUSES}
        # What a filled message depends on, beyond the rule and status: the values it shows,
        # and the business type and date when it shows a parameter or either of them.
        index = dict(reads)
        self.fill_keys: dict[Status, tuple[tuple[int, ...], bool, bool]] = {}
        for status, template in self.templates.items():
            paths = template.paths
            params = any(p.startswith("params.") for p in paths)
            self.fill_keys[status] = (
                tuple(index[p] for p in paths if p in index),
                params or "business_type" in paths,
                params or "today" in paths,
            )
        # JSON of the parts that do not depend on the application, per status.
        self.messages = {
            s: None if t.constant is None else _text_json(t.constant)
            for s, t in self.templates.items()
        }
        head = '{"rule":' + encode_basestring(rule.id) + ',"ruleset":'
        head += encode_basestring(rule.ruleset) + ',"status":"'
        on_fail = '","on_fail":' + encode_basestring(rule.on_fail) + ',"values":'
        self.heads = {s: head + s.value + on_fail for s in _STATUSES}
        self.reason_heads = {
            s: '{"rule":' + encode_basestring(rule.id) + ',"status":"' + s.value + '","message":'
            for s in _STATUSES
        }
        tail = ',"reference":' + encode_basestring(rule.reference)
        if rule.refer:
            tail += ',"refer":' + encode_basestring(rule.refer)
        self.tail = tail


class _ByDigest:
    """Manifests are equal when they describe rulesets with the same digest, resolved or not."""

    __slots__ = ()
    digest: str

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _ByDigest):
            return self.digest == other.digest
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.digest)


class Manifest(_ByDigest):
    """The texts, references, names and parameters of one rule book, keyed by its digest.

    Built once per :class:`~bansos_rules._book.Layout` (:attr:`Layout.manifest`); every decision
    of that book refers to it. A manifest pickles as its digest only.
    """

    def __init__(self, layout: Layout) -> None:
        self.digest = layout.digest
        self.layout = layout
        self.rulesets = tuple((rs.id, "sha256:" + rs.digest) for rs in layout.rulesets)
        self.value_paths: tuple[str, ...] = tuple(layout.local_index)
        parameters = {rs.id: rs.parameters for rs in layout.rulesets}
        self.rules = tuple(
            _Entry(rule, layout.read_slots[rule.id], parameters[rule.ruleset], None)
            for rule in layout.rules
        )
        self.scores = tuple(
            _Entry(rule, layout.read_slots[rule.id], parameters[rule.ruleset], candidate)
            for rule, candidate in layout.scores
        )
        self.business_types = {
            code: Text(bt.name_id, bt.name_en) for code, bt in layout.business_types.items()
        }
        self.agencies = {code: Text(ag.name_id, ag.name_en) for code, ag in layout.agencies.items()}
        self._order = {code: i for i, code in enumerate(self.business_types)}
        self._by_type: dict[str, tuple[int, ...]] = dict.fromkeys(self.business_types, ())
        for slot, entry in enumerate(self.scores):
            assert entry.business_type is not None
            self._by_type[entry.business_type] += (slot,)
        self._names = {code: _text_json(name) for code, name in self.business_types.items()}
        self._agency_heads = {
            code: '{"agency":' + encode_basestring(code) + ',"agency_name":' + _text_json(name)
            for code, name in self.agencies.items()
        }
        self._keys = tuple(encode_basestring(path) + ":" for path in self.value_paths)
        self._rulesets_json = (
            ',"ruleset_digest":'
            + encode_basestring(self.digest)
            + ',"rulesets":['
            + ",".join(
                '{"id":' + encode_basestring(i) + ',"digest":' + encode_basestring(d) + "}"
                for i, d in self.rulesets
            )
            + "]"
        )
        self._thresholds: dict[date, dict[tuple[int, str], tuple[Mapping[str, Any], str]]] = {}
        self._fills: dict[tuple[Any, ...], tuple[Text, str]] = {}
        self._lock = threading.Lock()
        _register(self)

    # -- identity and pickling ------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        return (manifest_for_digest, (self.digest, False))

    def __copy__(self) -> Manifest:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Manifest:
        return self

    def __repr__(self) -> str:
        return f"Manifest({self.digest!r})"

    def resolve(self) -> Manifest:
        """This manifest (an unresolved one looks itself up by digest)."""
        return self

    def clear_caches(self) -> None:
        """Forget the parameter values and filled messages kept per date (they are rebuilt)."""
        with self._lock:
            self._thresholds.clear()
            self._fills.clear()

    # -- parameters ------------------------------------------------------------------------

    def _threshold(self, key: int, entry: _Entry, business_type: str, on: date) -> Any:
        """``(mapping, JSON)`` of the parameters ``entry`` compares against, cached per date."""
        by_date = self._thresholds.get(on)
        if by_date is None:
            with self._lock:
                if len(self._thresholds) > 4096:
                    self._thresholds.clear()
                by_date = self._thresholds.setdefault(on, {})
        found = by_date.get((key, business_type))
        if found is None:
            values: dict[str, Any] = {}
            for name, param in entry.params:
                period = param.period_on(on)
                value = None if period is None else period.value
                if isinstance(value, dict):
                    value = for_business_type(value, business_type)
                values[name] = value
            mapping = MappingProxyType(values) if values else _EMPTY
            found = by_date[(key, business_type)] = (mapping, _json(values))
        return found

    # -- findings, referrals, recommendations ---------------------------------------------

    def finding(
        self, decision: Decision, entry: _Entry, key: int, result: Any, business_type: str
    ) -> Finding:
        """The finding of one rule of ``decision``."""
        status = status_of(result)
        read = decision[10]
        values = {path: read[i] for path, i in entry.reads}
        on = decision[3]
        thresholds = self._threshold(key, entry, business_type, on)[0] if entry.params else _EMPTY
        message = entry.templates[status].constant
        if message is None:
            message = self._filled(decision, entry, key, status, business_type, thresholds)[0]
        # tuple.__new__ directly: Finding's generated __new__ costs more than the rest together.
        return _new_finding(
            Finding,
            (
                entry.rule_id,
                entry.ruleset,
                entry.title,
                status,
                entry.on_fail,
                entry.refer,
                values,
                thresholds,
                message,
                entry.reference,
                result.detail if type(result) is RuleError else None,
            ),
        )

    def findings(self, decision: Decision) -> tuple[Finding, ...]:
        """The finding of every requirement rule, in ruleset order."""
        bt = decision[6]
        finding = self.finding
        return tuple(
            finding(decision, entry, key, result, bt)
            for key, (entry, result) in enumerate(zip(self.rules, decision[8], strict=True))
        )

    def referrals(self, decision: Decision) -> tuple[Referral, ...]:
        """Referrals made by failed rules, in rule order."""
        bt = decision[6]
        found = []
        for key, (entry, result) in enumerate(zip(self.rules, decision[8], strict=True)):
            if entry.refer and result is False:
                f = self.finding(decision, entry, key, result, bt)
                found.append(
                    Referral(entry.refer, self.agencies[entry.refer], f.rule_id, f.message)
                )
        return tuple(found)

    def _fits(self, decision: Decision) -> list[tuple[str, int, int, int]]:
        """``(business type, score, max score, percent)`` in recommendation order."""
        scores = decision[9]
        fits = []
        for code, slots in self._by_type.items():
            score = most = 0
            for slot in slots:
                result = scores[slot]
                if result is None:
                    continue
                points = self.scores[slot].points
                most += points
                if result is True:
                    score += points
            fits.append((code, score, most, fit_percent(score, most)))
        order = self._order
        fits.sort(key=lambda f: (-f[3], -f[1], order[f[0]]))
        return fits

    def recommendations(self, decision: Decision) -> tuple[Recommendation, ...]:
        """Business types ranked by fit score (highest first, then by registration order)."""
        scores = decision[9]
        recs = []
        for code, score, most, _ in self._fits(decision):
            reasons = tuple(
                self.finding(decision, self.scores[slot], -1 - slot, scores[slot], code)
                for slot in self._by_type[code]
            )
            recs.append(Recommendation(code, self.business_types[code], score, most, reasons))
        return tuple(recs)

    # -- JSON --------------------------------------------------------------------------------

    def _filled(
        self,
        decision: Decision,
        entry: _Entry,
        key: int,
        status: Status,
        business_type: str,
        th: Mapping[str, Any],
    ) -> tuple[Text, str]:
        """The message with its placeholders filled, and its JSON; kept for the same inputs."""
        read = decision[10]
        indexes, by_type, by_date = entry.fill_keys[status]
        cache_key = (
            key,
            status,
            business_type if by_type else None,
            decision[3] if by_date else None,
            *[read[i] for i in indexes],
        )
        hashable = True
        try:
            found = self._fills.get(cache_key)
        except TypeError:  # a value that cannot be hashed: fill it every time
            hashable, found = False, None
        if found is None:
            values = {path: read[i] for path, i in entry.reads}
            context = {"business_type": business_type, "today": decision[3]}
            text = entry.templates[status].fill(values, th, context)
            found = (text, _text_json(text))
            if hashable:
                if len(self._fills) >= _FILLS:
                    self._fills.clear()
                self._fills[cache_key] = found
        return found

    def _message_json(
        self,
        decision: Decision,
        entry: _Entry,
        key: int,
        status: Status,
        business_type: str,
        th: Mapping[str, Any],
    ) -> str:
        constant = entry.messages[status]
        if constant is not None:
            return constant
        return self._filled(decision, entry, key, status, business_type, th)[1]

    def to_json(self, decision: Decision) -> str:
        """The whole decision and its explanation as compact JSON, from precomputed fragments.

        The same bytes as ``json.dumps(decision.to_dict(), ensure_ascii=False,
        separators=(",", ":"))``.
        """
        bt = decision[6]
        on = decision[3]
        encoded = [_json(v) for v in decision[10]]
        keys = self._keys
        parts = [
            '{"application_id":',
            encode_basestring(decision[0]),
            ',"outcome":"',
            decision[1].value,
            '","aid_value":',
            _json(decision[2]),
            ',"business_type":',
            encode_basestring(bt),
            ',"plan_total":',
            _json(decision[7]),
            ',"rules_applied_on":"',
            on.isoformat(),
            '","engine":',
            encode_basestring(decision[4]),
            self._rulesets_json,
            ',"findings":[',
        ]
        referrals = []
        threshold = self._threshold
        for key, (entry, result) in enumerate(zip(self.rules, decision[8], strict=True)):
            status = ERROR if type(result) is RuleError else _STATUS.get(result, ERROR)
            if key:
                parts.append(",")
            parts.append(entry.heads[status])
            parts.append("{" + ",".join([keys[i] + encoded[i] for _, i in entry.reads]) + "}")
            if entry.params:
                th, th_json = threshold(key, entry, bt, on)
            else:
                th, th_json = _EMPTY, "{}"
            message = self._message_json(decision, entry, key, status, bt, th)
            parts.append(',"thresholds":' + th_json + ',"message":' + message + entry.tail)
            if type(result) is RuleError and result.detail:
                parts.append(',"error":' + encode_basestring(result.detail))
            parts.append("}")
            if entry.refer and status is Status.FAILED:
                referrals.append(
                    self._agency_heads[entry.refer]
                    + ',"rule":'
                    + encode_basestring(entry.rule_id)
                    + ',"reason":'
                    + message
                    + "}"
                )
        parts.append('],"referrals":[')
        parts.append(",".join(referrals))
        parts.append('],"recommendations":[')
        scores = decision[9]
        recs = []
        for code, score, most, percent in self._fits(decision):
            reasons = []
            for slot in self._by_type[code]:
                entry = self.scores[slot]
                result = scores[slot]
                status = ERROR if type(result) is RuleError else _STATUS.get(result, ERROR)
                key = -1 - slot
                th = threshold(key, entry, code, on)[0] if entry.params else _EMPTY
                message = self._message_json(decision, entry, key, status, code, th)
                reasons.append(entry.reason_heads[status] + message + "}")
            recs.append(
                '{"business_type":'
                + encode_basestring(code)
                + ',"name":'
                + self._names[code]
                + f',"score":{score},"max_score":{most},"percent":{percent},"reasons":['
                + ",".join(reasons)
                + "]}"
            )
        parts.append(",".join(recs))
        parts.append("]}")
        return "".join(parts)


class _Unresolved(_ByDigest):
    """The manifest of a decision unpickled where no rulesets with its digest are loaded (yet)."""

    __slots__ = ("digest",)

    def __init__(self, digest: str) -> None:
        self.digest = digest

    def resolve(self) -> Manifest:
        found = _lookup(self.digest)
        if found is None:
            raise UnknownDigestError(self.digest)
        return found

    def __reduce__(self) -> tuple[Any, ...]:
        return (manifest_for_digest, (self.digest, False))

    def __repr__(self) -> str:
        return f"Manifest({self.digest!r}, unresolved)"


_REGISTRY: dict[str, list[weakref.ref[Manifest]]] = {}
"""Every live manifest by digest. Several books can be loaded from the same files (one digest);
any of them explains a decision, so one going away must not hide the others."""
_REGISTRY_LOCK = threading.Lock()


def _register(manifest: Manifest) -> None:
    with _REGISTRY_LOCK:
        alive = [ref for ref in _REGISTRY.get(manifest.digest, ()) if ref() is not None]
        alive.append(weakref.ref(manifest))
        _REGISTRY[manifest.digest] = alive


def _lookup(digest: str) -> Manifest | None:
    with _REGISTRY_LOCK:
        for ref in _REGISTRY.get(digest, ()):
            found = ref()
            if found is not None:
                return found
        _REGISTRY.pop(digest, None)
    return None


def manifest_for_digest(digest: str, strict: bool = True) -> Manifest | _Unresolved:
    """The manifest of the rulesets with ``digest`` loaded in this process.

    :param strict: raise :class:`UnknownDigestError` when none are loaded; otherwise return a
        placeholder that looks the digest up again when the decision is explained (so decisions
        can be unpickled first and their rulesets loaded after).
    """
    found = _lookup(digest)
    if found is not None:
        return found
    if strict:
        raise UnknownDigestError(digest)
    return _Unresolved(digest)
