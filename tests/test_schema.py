"""The JSON Schemas: the committed one editors use must match the format's models."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from bansos_rules import Application
from bansos_rules.monitoring import is_monitoring_file, monitoring_json_schema
from bansos_rules.ruleset._yaml import load_yaml
from bansos_rules.ruleset.schema import ruleset_json_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "rulesets" / "ruleset.schema.json"
RULESETS = sorted(p for p in (ROOT / "rulesets").glob("*.yaml") if not is_monitoring_file(p))
MONITORING_SCHEMA = ROOT / "rulesets" / "monitoring.schema.json"


def test_committed_schema_matches_the_format_models() -> None:
    generated = json.dumps(ruleset_json_schema(), indent=2, ensure_ascii=False, sort_keys=True)
    assert SCHEMA.read_text(encoding="utf-8") == generated + "\n", (
        "rulesets/ruleset.schema.json is out of date; regenerate it with:\n"
        "  bansos-rules schema ruleset > rulesets/ruleset.schema.json"
    )


@pytest.mark.parametrize("path", RULESETS, ids=[p.name for p in RULESETS])
def test_every_ruleset_validates_against_the_schema(path: Path) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    located, problems = load_yaml(path.read_text(encoding="utf-8"), path.name)
    assert located is not None, problems
    data = located.data
    # YAML reads dates as dates; JSON Schema sees them as the text editors would.
    jsonschema.validate(json.loads(json.dumps(data, default=str)), schema)
    assert path.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=ruleset.schema.json\n"
    )


def test_the_schema_refuses_an_unknown_field() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    bad = {"ruleset": "x", "title": {"id": "a", "en": "b"}, "refrence": 1}
    with pytest.raises(jsonschema.ValidationError, match="refrence"):
        jsonschema.validate(bad, schema)


def test_application_schema_describes_the_model() -> None:
    schema = Application.model_json_schema()
    assert set(schema["required"]) == {"id", "applicant", "household", "plan"}


def test_committed_monitoring_schema_matches_the_format_models() -> None:
    generated = json.dumps(monitoring_json_schema(), indent=2, ensure_ascii=False, sort_keys=True)
    assert MONITORING_SCHEMA.read_text(encoding="utf-8") == generated + "\n", (
        "rulesets/monitoring.schema.json is out of date; regenerate it with:\n"
        "  bansos-rules schema monitoring > rulesets/monitoring.schema.json"
    )


def test_the_monitoring_ruleset_validates_against_its_schema() -> None:
    path = ROOT / "rulesets" / "monitoring.yaml"
    schema = json.loads(MONITORING_SCHEMA.read_text(encoding="utf-8"))
    located, problems = load_yaml(path.read_text(encoding="utf-8"), path.name)
    assert located is not None, problems
    jsonschema.validate(json.loads(json.dumps(located.data, default=str)), schema)
    assert path.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=monitoring.schema.json\n"
    )
    with pytest.raises(jsonschema.ValidationError, match="stats"):
        jsonschema.validate({**located.data, "stats": {}}, schema)
