"""Framework files: finding them (built-in or a path), reading and validating them, and
resolving a view (`requirements_from`) into its base's requirements placed in its own
sections. What a framework *is* lives in scanner.framework."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scanner.errors import InputFileError
from scanner.framework import DEFAULT_FRAMEWORK, Framework


def _builtin_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("checks"))) / "frameworks"


def framework_names() -> list[str]:
    """The built-in framework names (`--framework` choices), sorted."""
    return sorted(p.stem for p in _builtin_dir().glob("*.yaml"))


def framework_path(name: str) -> Path:
    """Path of a built-in framework file (`cjis-6.0`) or of a given YAML file."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    return _builtin_dir() / f"{name}.yaml"


def _read(name: str) -> tuple[Path, dict[str, Any]]:
    from scanner.input_files import DECODE_FAILURES, loads_yaml, problem, read_text

    path = framework_path(name)
    if not path.is_file():
        choices = ", ".join(framework_names())
        raise InputFileError(f"no framework {name!r} (looked for {path}; built-in: {choices})")
    text = read_text(path, "framework")
    try:
        data = loads_yaml(text)
    except yaml.YAMLError as exc:
        raise InputFileError(f"{path} is not valid YAML: {exc}") from None
    except DECODE_FAILURES as exc:
        raise InputFileError(f"{path} is not valid YAML: {problem(exc)}") from None
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: a framework file is a mapping")
    return path, data


def _view_of(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """A view's data with its base's requirements placed in its sections."""
    base = load_framework(str(data["requirements_from"]))
    placed: dict[str, str] = {}

    def walk(sections: Any) -> None:
        for section in sections or []:
            if not isinstance(section, dict):
                continue
            for requirement_id in section.get("requirements") or []:
                if requirement_id in placed:
                    raise InputFileError(
                        f"{path}: requirement {requirement_id} is placed in "
                        f"{placed[requirement_id]} and {section.get('id')}"
                    )
                placed[requirement_id] = str(section.get("id"))
            walk(section.get("sections"))

    walk(data.get("sections"))
    known = {r.id for r in base.requirements}
    unknown = sorted(set(placed) - known)
    if unknown:
        raise InputFileError(f"{path}: {base.id} has no requirement {', '.join(unknown)}")
    # The rest go by their first control, so a requirement added to the base file joins
    # the view without an edit here; one that fits no section is an error, not a gap.
    by_control: dict[str, str] = {}

    def controls(sections: Any) -> None:
        for section in sections or []:
            if isinstance(section, dict):
                for control in section.get("controls") or []:
                    by_control.setdefault(str(control), str(section.get("id")))
                controls(section.get("sections"))

    controls(data.get("sections"))
    for requirement in base.requirements:
        if requirement.id not in placed and requirement.controls[0] in by_control:
            placed[requirement.id] = by_control[requirement.controls[0]]
    missing = [r.id for r in base.requirements if r.id not in placed]
    if missing:
        raise InputFileError(
            f"{path}: requirements of {base.id} placed in no section (by id "
            f"or by their first control): {', '.join(missing)}"
        )
    requirements = [
        {**r.model_dump(exclude={"section", "step"}), "section": placed[r.id]}
        for r in base.requirements
    ]
    inherited = {"profiles": [p.model_dump() for p in base.profiles]}
    return {**inherited, **data, "requirements": requirements}


@cache
def load_framework(name: str = DEFAULT_FRAMEWORK) -> Framework:
    """Load and validate a framework file (a view gets its base's requirements)."""
    path, data = _read(name)
    if data.get("requirements_from") is not None:
        if "requirements" in data:
            raise InputFileError(f"{path}: a view (requirements_from) declares no requirements")
        data = _view_of(path, data)
    from scanner.input_files import DECODE_FAILURES, problem

    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputFileError(f"{path}: {where}: {first['msg']}") from None
    except DECODE_FAILURES + (AttributeError, KeyError) as exc:
        raise InputFileError(f"{path}: not a framework: {problem(exc)}") from None
    return framework


def views_of(framework: Framework) -> list[Framework]:
    """The frameworks over the same requirements, `framework` first, then by name.

    Two files are views of the same requirements when one's `requirements_from` names
    the other, or both name the same file: their findings have the same fingerprints.
    """
    base = framework.requirements_from or framework.id
    views = [framework]
    for name in framework_names():
        other = load_framework(name)
        if other.id != framework.id and (other.requirements_from or other.id) == base:
            views.append(other)
    return views
