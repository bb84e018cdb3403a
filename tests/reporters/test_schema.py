"""The published JSON Schema: committed, current, and strict enough to catch drift."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError

from scanner.report import REPORT_SCHEMA_VERSION, ScanResult
from scanner.reporters import schema
from scanner.reporters.json_report import write_json


@pytest.fixture
def document(sample: ScanResult) -> dict[str, Any]:
    stream = io.StringIO()
    write_json(sample, stream)
    loaded: dict[str, Any] = json.loads(stream.getvalue())
    return loaded


def validator() -> Draft202012Validator:
    published = json.loads(schema.SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(published)


def test_committed_schema_is_current() -> None:
    # If this fails after a model change: python -m scanner.reporters.schema
    assert schema.SCHEMA_PATH.read_text(encoding="utf-8") == schema.render_schema()
    assert schema.main(["--check"]) == 0


def test_schema_identity() -> None:
    published = json.loads(schema.SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(published)
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert published["$id"] == "https://cjis-scan.dev/schemas/report-1.2.0.json"
    assert published["title"] == "cjis-scan report"
    assert REPORT_SCHEMA_VERSION == "1.2.0"
    assert published["required"] == ["schema_version", "scan", "scores", "summary", "errors",
                                     "findings"]


def test_report_validates(document: dict[str, Any]) -> None:
    validator().validate(document)


def bad(document: dict[str, Any], change: Any) -> dict[str, Any]:
    broken = copy.deepcopy(document)
    change(broken)
    return broken


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("status maybe", lambda d: d["findings"][0].update(status="maybe")),
        ("severity urgent", lambda d: d["findings"][0].update(severity="urgent")),
        ("finding without fingerprint", lambda d: d["findings"][0].pop("fingerprint")),
        ("unknown finding key", lambda d: d["findings"][0].update(extra=1)),
        ("unknown top-level key", lambda d: d.update(extra=1)),
        ("no errors list", lambda d: d.pop("errors")),
        ("score above 1", lambda d: d["scores"]["overall"].update(score=1.5)),
        ("negative count", lambda d: d["summary"]["by_status"].update(fail=-1)),
        ("schema version 2", lambda d: d.update(schema_version="2.0.0")),
        ("error without collector", lambda d: d["errors"][0].pop("collector")),
    ],
)
def test_invalid_documents_fail(document: dict[str, Any], name: str, change: Any) -> None:
    with pytest.raises(ValidationError):
        validator().validate(bad(document, change))


def test_schema_entry_point_rewrites_the_file(tmp_path: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "schemas" / "report.schema.json"
    monkeypatch.setattr(schema, "SCHEMA_PATH", target)
    assert schema.main(["--check"]) == 1
    assert schema.main([]) == 0
    assert target.read_text(encoding="utf-8") == schema.render_schema()
    assert schema.main(["--check"]) == 0
