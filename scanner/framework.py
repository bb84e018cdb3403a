"""Frameworks as data: each requirement maps to its checks, step, controls and severities."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scanner.errors import InputFileError
from scanner.findings import Severity

PROFILES = ("commercial", "government")
STEPS = ("1", "2", "3", "4", "5", "6", "7", "transit")


class PacketEvidence(BaseModel):
    """Where the audit packet shows a requirement's findings (scanner.reporters.packet):
    the packet gathers its evidence from this declaration, never from check ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    section: str
    """The packet section: `compensating_control`, `cmk_architecture`,
    `key_administrators`, `residency`, `logging` or `identity`."""
    part: str | None = None
    """Its role within the section (e.g. `retention` in `logging`)."""
    label: str | None = None
    """How the packet names it, when not by its check's title."""
    evidence: tuple[str, ...] = ()
    """The evidence keys of its findings the packet reads."""


class Requirement(BaseModel):
    """One requirement of a framework."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    step: str
    controls: tuple[str, ...] = Field(min_length=1)
    checks: tuple[str, ...] = Field(min_length=1)
    severity: dict[str, Severity]
    """Severity per profile (`commercial`, `government`)."""
    judges: str
    pass_when: str
    packet: PacketEvidence | None = None
    """The audit packet's use of this requirement's evidence, if any."""


class Step(BaseModel):
    """A step of the framework (a group of requirements)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str


class Framework(BaseModel):
    """A compliance framework."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    source: str
    steps: tuple[Step, ...]
    requirements: tuple[Requirement, ...]

    def requirement(self, requirement_id: str) -> Requirement | None:
        """The requirement with this id, if any."""
        return next((r for r in self.requirements if r.id == requirement_id), None)

    def step_title(self, step: str) -> str:
        """The title of `step`."""
        return next((s.title for s in self.steps if s.id == step), step)

    def check_ids(self) -> set[str]:
        """Every check id the framework uses."""
        return {c for r in self.requirements for c in r.checks}


FRAMEWORKS_DIR = Path(__file__).resolve().parent.parent / "checks" / "frameworks"


def framework_path(name: str) -> Path:
    """Path of a built-in framework file (`cjis-6.0`) or of a given YAML file."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    from importlib.resources import files

    return Path(str(files("checks"))) / "frameworks" / f"{name}.yaml"


@cache
def load_framework(name: str = "cjis-6.0") -> Framework:
    """Load and validate a framework file."""
    path = framework_path(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        raise InputFileError(f"no framework {name!r} (looked for {path})") from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"{path} is not valid YAML: {exc}") from None
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputFileError(f"{path}: {where}: {first['msg']}") from None
