"""The published JSON Schema of `cjis-scan diff --format json` (scanner/schemas/diff.schema.json).

    python -m scanner.history.diff_schema          # rewrite the file
    python -m scanner.history.diff_schema --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from scanner import findings
from scanner.history.diff import DIFF_SCHEMA_VERSION
from scanner.schema_file import write_or_check

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "diff.schema.json"
SCHEMA_ID = f"https://cjis-scan.dev/schemas/diff-{DIFF_SCHEMA_VERSION}.json"
Status = Annotated[findings.Status, WithJsonSchema(
    {"enum": [s.value for s in findings.Status], "title": "Status", "type": "string"})]
"""A finding's status, from scanner.findings (inline in the schema, as published in 1.0.0)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Side(_Model):
    """The finding in one of the two runs."""

    status: Status
    severity: str
    reason: str


class Change(_Model):
    """One finding that changed between the two runs."""

    fingerprint: str = Field(pattern="^[0-9a-f]{32}$")
    resource_id: str
    check_id: str
    requirement_id: str
    step: str
    severity: str
    """Its severity in the later run (the earlier one's when it is gone)."""
    before: Side | None
    """null: absent from the earlier run."""
    after: Side | None
    """null: absent from the later run (the resource, or its check, is gone)."""
    first_seen: str | None
    """ISO-8601 UTC: when the finding was first recorded."""
    last_seen: str | None
    age_days: int | None = Field(ge=0)
    resolution: Literal["passed", "not_applicable", "gone"] | None
    """For `resolved`: how."""


class RunRef(_Model):
    label: str
    """`run <id>`, `report <file>` or `this scan`."""
    time: str | None


class Counts(_Model):
    new: int = Field(ge=0)
    regressed: int = Field(ge=0)
    resolved: int = Field(ge=0)
    improved: int = Field(ge=0)
    changed: int = Field(ge=0)
    updated: int = Field(ge=0)
    unchanged: int = Field(ge=0)


class DiffDocument(_Model):
    """What changed between two runs of the same tenant and boundary."""

    schema_version: str
    from_: RunRef = Field(alias="from")
    to: RunRef
    counts: Counts
    new: list[Change]
    """First seen failing or unknown."""
    regressed: list[Change]
    """pass, not applicable, manual or waived -> fail or unknown; unknown -> fail."""
    resolved: list[Change]
    """fail or unknown -> pass, not applicable, or gone."""
    improved: list[Change]
    """fail or unknown -> waived or manual."""
    changed: list[Change]
    """Any other status change (fail -> unknown stays open; absent -> pass; ...)."""
    updated: list[Change]
    """Open in both runs, same status, severity or reason changed."""
    unchanged: int = Field(ge=0)
    """Findings with the same status in both runs (the `updated` ones included)."""


def render_schema() -> str:
    schema = DiffDocument.model_json_schema(by_alias=True)
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
                **schema, "title": "cjis-scan diff"}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(SCHEMA_PATH, render_schema(), "scanner.history.diff_schema", argv)


if __name__ == "__main__":
    raise SystemExit(main())
