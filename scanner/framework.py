"""Frameworks as data: the file owns its shape, the code renders any file.

A framework file (`checks/frameworks/<name>.yaml`) declares its title, the name a report
gives it, its profiles (and the cloud each is the default for), a tree of sections of
any depth (order and titles), and its requirements: each maps to checks, controls and a
severity per profile, and sits in one section. Reports, the catalogue and the scores
read all of it from here; no section id, profile name or framework name is written in
code.

A file may be a *view* of another one's requirements (`requirements_from: <name>`): it
declares only its own sections, and places each requirement of the other file in one
of them (`requirements: [ids]` on a section). The requirement ids, and so every
finding's fingerprint, are the same in every view of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scanner.errors import UsageError
from scanner.findings import Severity

DEFAULT_FRAMEWORK = "cjis-6.0"
"""The built-in framework a scan uses when `--framework` is not given."""


class Profile(BaseModel):
    """A severity profile: which severities a requirement carries in one setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    """What choosing it stands for (reports print it beside the profile's id)."""
    clouds: tuple[str, ...] = ()
    """The `--cloud` values this profile is the default for."""
    provider_screened: bool = False
    """The cloud provider's personnel are screened to the standard in this setting (the
    audit packet then calls customer-managed keys defence in depth, not the
    compensating control)."""


class Section(BaseModel):
    """A group of requirements (a step, a policy area, a control), possibly nested."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    label: str | None = None
    """How reports name the section ("step 1"); default: the framework's
    `section_label` and the id."""
    sections: tuple[Section, ...] = ()
    requirements: tuple[str, ...] = ()
    """Requirements placed here by a view (`requirements_from`); a file with its own
    requirements places each with the requirement's `section` instead."""
    controls: tuple[str, ...] = ()
    """In a view: the controls this section stands for. A requirement the view does not
    place by id sits in the section holding its first control."""


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
    section: str
    """The section it sits in, at any depth (a file may write it as `step`)."""
    step: str = ""
    """The top-level section holding `section` (derived when the file is loaded): the
    JSON report's `step` of its findings."""
    controls: tuple[str, ...] = Field(min_length=1)
    checks: tuple[str, ...] = ()
    check_tags: tuple[str, ...] = ()
    """Also every registered check carrying one of these tags (a data check declared with
    its service kind joins its requirement without an edit here)."""
    severity: dict[str, Severity]
    """Severity per profile id of the framework."""
    judges: str
    pass_when: str
    packet: PacketEvidence | None = None
    """The audit packet's use of this requirement's evidence, if any."""

    @model_validator(mode="after")
    def _judged_by_something(self) -> Requirement:
        if not self.checks and not self.check_tags:
            raise ValueError(f"requirement {self.id} names no checks and no check_tags")
        return self


class Framework(BaseModel):
    """A compliance framework: its shape, its profiles and its requirements."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    short_title: str
    """The name reports prefix to a section ("<short_title> step 1: ...")."""
    standard: str
    """The standard's own name (OCSF `compliance.standards`)."""
    reference: str
    """Where the framework's content comes from (documents it follows)."""
    section_label: str = "section"
    """What a top-level section is called ("step", "policy area")."""
    requirements_from: str | None = None
    """The framework whose requirements this file is a view of (see the module doc)."""
    profiles: tuple[Profile, ...] = Field(min_length=1)
    sections: tuple[Section, ...] = Field(min_length=1)
    requirements: tuple[Requirement, ...]

    @model_validator(mode="before")
    @classmethod
    def _place(cls, data: Any) -> Any:
        """Accept `step:` for `section:`, and derive each requirement's top-level step."""
        if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
            return data
        top: dict[str, str] = {}

        def walk(sections: list[Any], root: str | None) -> None:
            for section in sections:
                if isinstance(section, dict) and "id" in section:
                    top.setdefault(str(section["id"]), root or str(section["id"]))
                    walk(section.get("sections") or [], root or str(section["id"]))

        walk(data["sections"], None)
        requirements = []
        for raw in data.get("requirements") or []:
            if isinstance(raw, dict):
                raw = dict(raw)
                if "section" not in raw and "step" in raw:
                    raw["section"] = raw.pop("step")
                raw["step"] = top.get(str(raw.get("section")), str(raw.get("section")))
            requirements.append(raw)
        return {**data, "requirements": requirements}

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        ids = [section.id for _, section in self.walk()]
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        if doubled:
            raise ValueError(f"section ids appear twice: {', '.join(doubled)}")
        profiles = {p.id for p in self.profiles}
        clouds = [c for p in self.profiles for c in p.clouds]
        if len(clouds) != len(set(clouds)):
            raise ValueError("a cloud is the default of two profiles")
        seen: set[str] = set()
        for requirement in self.requirements:
            if requirement.id in seen:
                raise ValueError(f"requirement {requirement.id} appears twice")
            seen.add(requirement.id)
            if requirement.section not in ids:
                raise ValueError(
                    f"requirement {requirement.id}: no section {requirement.section!r}"
                )
            if set(requirement.severity) != profiles:
                raise ValueError(
                    f"requirement {requirement.id}: severity must name each "
                    f"profile ({', '.join(sorted(profiles))})"
                )
        return self

    # Shape -------------------------------------------------------------------------

    def walk(self) -> Iterator[tuple[int, Section]]:
        """Every section depth-first, in file order, with its depth (0: top level)."""

        def walk(sections: tuple[Section, ...], depth: int) -> Iterator[tuple[int, Section]]:
            for section in sections:
                yield depth, section
                yield from walk(section.sections, depth + 1)

        return walk(self.sections, 0)

    @property
    def steps(self) -> tuple[Section, ...]:
        """The top-level sections, in order (a finding's `step` is one of their ids)."""
        return self.sections

    @cached_property
    def _sections(self) -> dict[str, tuple[int, Section, tuple[str, ...]]]:
        """id -> (depth-first index, section, ids of its ancestors and itself)."""
        out: dict[str, tuple[int, Section, tuple[str, ...]]] = {}

        def walk(sections: tuple[Section, ...], path: tuple[str, ...]) -> None:
            for section in sections:
                out[section.id] = (len(out), section, (*path, section.id))
                walk(section.sections, (*path, section.id))

        walk(self.sections, ())
        return out

    def section(self, section_id: str) -> Section | None:
        """The section with this id, at any depth."""
        found = self._sections.get(section_id)
        return found[1] if found else None

    def section_title(self, section_id: str) -> str:
        """The title of a section (its id when the framework has no such section)."""
        found = self.section(section_id)
        return found.title if found else section_id

    def step_title(self, step: str) -> str:
        """`section_title` under its older name (reporters written for steps)."""
        return self.section_title(step)

    def label_of(self, section_id: str) -> str:
        """How reports name a section: its `label`, or "<section_label> <id>"."""
        found = self.section(section_id)
        if found is not None and found.label:
            return found.label
        return f"{self.section_label} {section_id}"

    def section_path(self, section_id: str) -> tuple[str, ...]:
        """The ids from the top-level section down to `section_id` (empty if unknown)."""
        found = self._sections.get(section_id)
        return found[2] if found else ()

    def in_section(self, requirement: Requirement, section_id: str) -> bool:
        """True when `requirement` sits in `section_id` or in a section below it."""
        return section_id in self.section_path(requirement.section)

    # Requirements ------------------------------------------------------------------

    def requirement(self, requirement_id: str) -> Requirement | None:
        """The requirement with this id, if any."""
        return self._requirements.get(requirement_id)

    @cached_property
    def _requirements(self) -> dict[str, Requirement]:
        return {r.id: r for r in self.requirements}

    @cached_property
    def requirement_rank(self) -> dict[str, tuple[int, int]]:
        """Requirement id -> its place in report order: (section, file order)."""
        return {r.id: (self._sections[r.section][0], i) for i, r in enumerate(self.requirements)}

    def ordered(self) -> list[Requirement]:
        """The requirements in report order: by section (depth-first), then file order."""
        return sorted(self.requirements, key=lambda r: self.requirement_rank[r.id])

    def check_ids(self) -> set[str]:
        """Every check id the framework uses."""
        return {c for r in self.requirements for c in r.checks}

    # Profiles ----------------------------------------------------------------------

    @property
    def profile_ids(self) -> tuple[str, ...]:
        """The profile ids, in file order."""
        return tuple(p.id for p in self.profiles)

    def profile(self, profile_id: str) -> Profile | None:
        """The profile with this id, if any."""
        return next((p for p in self.profiles if p.id == profile_id), None)

    def default_profile(self, cloud: str) -> str:
        """The profile a scan of `cloud` uses when none is chosen (else the first)."""
        return next((p.id for p in self.profiles if cloud in p.clouds), self.profiles[0].id)

    def profile_for(self, cloud: str, chosen: str | None) -> str:
        """The profile in force: the one chosen, or the cloud's default."""
        return chosen or self.default_profile(cloud)


def require_sections(framework: Framework, section_ids: list[str]) -> None:
    """A UsageError naming the top-level choices when a section id is not the framework's."""
    for section_id in section_ids:
        if framework.section(section_id) is None:
            choices = ", ".join(s.id for s in framework.sections)
            raise UsageError(
                f"unknown {framework.section_label} {section_id!r} in "
                f"{framework.id}: choose from {choices} (or a section below "
                f"them, see `cjis-scan checks`)"
            )
