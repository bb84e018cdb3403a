"""The catalogue, generated from the framework file and the registry of checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scanner.errors import UsageError
from scanner.framework import DEFAULT_FRAMEWORK, Framework, require_sections
from scanner.kinds import by_name
from scanner.registry import Registry, judged_framework, load_registry


def _framework_and_registry(name: str = DEFAULT_FRAMEWORK) -> tuple[Framework, Registry]:
    return judged_framework(name), load_registry()


def catalogue_data(steps: list[str] | None = None,
                   framework_name: str = DEFAULT_FRAMEWORK) -> dict[str, Any]:
    """Every requirement with its sections, controls, severities and checks (with metadata).

    `steps` keeps the requirements under these sections (any depth); an unknown section
    is a UsageError.
    """
    framework, registry = _framework_and_registry(framework_name)
    steps = steps or []
    require_sections(framework, steps)
    requirements = []
    for requirement in framework.ordered():
        if steps and not any(framework.in_section(requirement, s) for s in steps):
            continue
        requirements.append({
            "id": requirement.id,
            "title": requirement.title,
            "step": requirement.step,
            "step_title": framework.section_title(requirement.step),
            "section": requirement.section,
            "sections": [{"id": s, "title": framework.section_title(s)}
                         for s in framework.section_path(requirement.section)],
            "controls": list(requirement.controls),
            "severity": {k: v.value for k, v in requirement.severity.items()},
            "judges": requirement.judges,
            "pass_when": requirement.pass_when,
            "checks": [
                {"id": c, "title": registry.checks[c].meta.title,
                 "kinds": list(registry.checks[c].meta.kinds)}
                if c in registry.checks else {"id": c, "missing": True}
                for c in requirement.checks
            ],
        })
    return {"framework": {"id": framework.id, "title": framework.title,
                          "reference": framework.reference,
                          "section_label": framework.section_label,
                          "profiles": [{"id": p.id, "title": p.title}
                                       for p in framework.profiles]},
            "requirements": requirements,
            "types_judged": types_judged(framework, registry, steps)}


def types_judged(framework: Framework, registry: Registry,
                 steps: list[str] | None = None) -> dict[str, Any]:
    """Per section: the ARM types its checks judge (declared kinds), and how many.

    `*` stands for every resource type (checks over the generic resource list, such as
    residency and resource logs); pseudo-kinds (tenant, subscriptions, keys) are left out.
    """
    kinds = by_name()
    out: dict[str, Any] = {}
    for requirement in framework.ordered():
        if steps and not any(framework.in_section(requirement, s) for s in steps):
            continue
        types = out.setdefault(requirement.step, set())
        for check_id in requirement.checks:
            check = registry.checks.get(check_id)
            for kind in check.meta.kinds if check else ():
                if kind in kinds:
                    types.add(kinds[kind].type if kinds[kind].arm_type != "*" else "*")
    return {step: {"count": len(types - {"*"}), "every_type": "*" in types,
                   "types": sorted(types - {"*"})} for step, types in out.items()}


def catalogue_json(steps: list[str] | None = None,
                   framework_name: str = DEFAULT_FRAMEWORK) -> str:
    """The catalogue as JSON (`cjis-scan checks --format json`)."""
    import json

    return json.dumps(catalogue_data(steps, framework_name), indent=2)


def _severities(data: dict[str, Any], requirement: dict[str, Any], sep: str) -> str:
    return sep.join(requirement["severity"].get(p["id"], "-")
                    for p in data["framework"]["profiles"])


def _where(requirement: dict[str, Any]) -> str:
    """The requirement's sections from the top down: `1`, or `5.10 › SC-28(1)`."""
    return " › ".join(s["id"] for s in requirement["sections"])


def _profiles_heading(data: dict[str, Any], sep: str) -> str:
    return sep.join(p["id"] for p in data["framework"]["profiles"])


def catalogue_table(steps: list[str] | None = None,
                    framework_name: str = DEFAULT_FRAMEWORK) -> Table:
    """The catalogue as a rich table (`cjis-scan checks`)."""
    data = catalogue_data(steps, framework_name)
    table = Table(title=data["framework"]["title"], show_lines=False, expand=False)
    for column in (data["framework"]["section_label"], "requirement", "controls",
                   f"severity ({_profiles_heading(data, '/')})", "checks"):
        table.add_column(column, overflow="fold")
    for req in data["requirements"]:
        table.add_row(_where(req), f"{req['id']}\n[dim]{req['title']}[/]",
                      ", ".join(req["controls"]), _severities(data, req, "/"),
                      "\n".join(c["id"] for c in req["checks"]))
    return table


def catalogue_markdown(framework_name: str = DEFAULT_FRAMEWORK) -> str:
    """The catalogue as Markdown (for the README)."""
    data = catalogue_data(None, framework_name)
    lines = [f"| {data['framework']['section_label']} | requirement | controls | severity "
             f"({_profiles_heading(data, ' / ')}) | checks |",
             "|---|---|---|---|---|"]
    for req in data["requirements"]:
        checks = "<br>".join(f"`{c['id']}`" for c in req["checks"])
        lines.append(f"| {_where(req)} | `{req['id']}`: {req['title']} | "
                     f"{', '.join(req['controls'])} | {_severities(data, req, ' / ')} | "
                     f"{checks} |")
    return "\n".join(lines)


def explain_text(item_id: str) -> Group:
    """A requirement or a check, in full (`cjis-scan explain ID`)."""
    framework, registry = _framework_and_registry()
    requirement = framework.requirement(item_id)
    parts: list[Any] = []
    if requirement is not None:
        parts.append(Text(f"{requirement.id}: {requirement.title}", style="bold"))
        where = " > ".join(f"{framework.label_of(s)} ({framework.section_title(s)})"
                           for s in framework.section_path(requirement.section))
        parts.append(f"{where[:1].upper()}{where[1:]}; controls {', '.join(requirement.controls)}")
        parts.append("Severity: " + ", ".join(f"{k} {v.value}"
                                              for k, v in requirement.severity.items()))
        parts.append(f"Judges: {requirement.judges}")
        parts.append(f"Passes when: {requirement.pass_when}")
        parts.append("Checks: " + ", ".join(requirement.checks))
        return Group(*parts)
    check = registry.get(item_id)
    if check is None:
        raise UsageError(f"no requirement or check {item_id!r} (see `cjis-scan checks`)")
    meta = check.meta
    used_by = [r.id for r in framework.requirements if meta.id in r.checks]
    parts.append(Text(f"{meta.id}: {meta.title}", style="bold"))
    parts.append(f"Judges: {', '.join(meta.kinds)}; default severity {meta.severity.value}")
    parts.append(f"Requirements: {', '.join(used_by) or '(none in ' + framework.id + ')'}")
    parts.append(f"Why: {meta.rationale}")
    parts.append(f"Fix: {meta.remediation.summary}")
    if meta.remediation.cli:
        parts.append(Text(f"CLI: {meta.remediation.cli}"))
    if meta.remediation.docs:
        parts.append(f"Docs: {meta.remediation.docs}")
    if meta.needs:
        parts.append(f"Reads: {', '.join(meta.needs)}")
    if meta.needs_anywhere:
        parts.append(f"Also reads (anywhere in the scan): {', '.join(meta.needs_anywhere)}")
    return Group(*parts)


README_BEGIN = "<!-- catalogue:begin (generated by `python -m scanner.catalogue`) -->"
README_END = "<!-- catalogue:end -->"


def update_readme(path: Path) -> bool:
    """Rewrite the catalogue block of the README; True when it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(README_BEGIN), text.index(README_END)
    new = text[:start] + README_BEGIN + "\n" + catalogue_markdown() + "\n" + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    import sys

    readme = Path(__file__).resolve().parent.parent / "README.md"
    changed = update_readme(readme)
    print(f"{readme}: {'updated' if changed else 'up to date'}")
    sys.exit(0)
