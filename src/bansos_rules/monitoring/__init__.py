"""Monitoring after handover: events from field workers, a monitoring ruleset, two engines that
agree, an event store that loses nothing, and program outcome reports.

::

    from datetime import date
    from bansos_rules.monitoring import Monitor, SQLiteStore, read_events

    monitor = Monitor()                                   # rulesets/monitoring.yaml, checked
    with SQLiteStore("monitoring.db") as store:
        for progress in monitor.ingest(store, read_events("events.jsonl")):
            print(progress.committed)                     # durable when reported
        for case in monitor.states(store, date(2025, 10, 1)):
            print(case.application_id, case.state, case.alert_ids)

See ``docs/developer-guide.md`` (Monitoring) and ``docs/panduan-analis.md`` (Pemantauan).
"""

from bansos_rules.monitoring._check import MonitoringCheck, check_monitoring
from bansos_rules.monitoring._events import (
    EVENT_TYPES,
    Closure,
    Event,
    EventLine,
    Handover,
    Training,
    Visit,
    event_json,
    parse_event,
    read_event_text,
    read_events,
)
from bansos_rules.monitoring._native import NativeMonitor, Snapshot, SweepHit
from bansos_rules.monitoring._report import (
    Group,
    OutcomeReport,
    build_report,
    report_html,
    report_markdown,
)
from bansos_rules.monitoring._ruleset import (
    CaseInfo,
    MonitoringExample,
    MonitoringRuleset,
    is_monitoring_file,
    load_monitoring_ruleset,
    load_monitoring_text,
    monitoring_json_schema,
    shipped_monitoring_file,
)
from bansos_rules.monitoring._service import (
    ENGINES,
    CaseEngine,
    EnrolResult,
    ExampleOutcome,
    IngestProgress,
    Monitor,
)
from bansos_rules.monitoring._store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    AppendResult,
    EnrolledCase,
    EventConflict,
    SQLiteStore,
    Store,
    StoreError,
    open_store,
)
from bansos_rules.monitoring._timeline import AlertOpen, CaseState, StateChange

__all__ = [
    "ENGINES",
    "EVENT_TYPES",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AlertOpen",
    "AppendResult",
    "CaseEngine",
    "CaseInfo",
    "CaseState",
    "Closure",
    "EnrolResult",
    "EnrolledCase",
    "Event",
    "EventConflict",
    "EventLine",
    "ExampleOutcome",
    "Group",
    "Handover",
    "IngestProgress",
    "Monitor",
    "MonitoringCheck",
    "MonitoringExample",
    "MonitoringRuleset",
    "NativeMonitor",
    "OutcomeReport",
    "SQLiteStore",
    "Snapshot",
    "StateChange",
    "Store",
    "StoreError",
    "SweepHit",
    "Training",
    "Visit",
    "build_report",
    "check_monitoring",
    "event_json",
    "is_monitoring_file",
    "load_monitoring_ruleset",
    "load_monitoring_text",
    "monitoring_json_schema",
    "open_store",
    "parse_event",
    "read_event_text",
    "read_events",
    "report_html",
    "report_markdown",
    "shipped_monitoring_file",
]
