"""Meta-tests over the registry and the framework file: the catalogue's two sources."""

from __future__ import annotations

import re

import pytest

from scanner.framework_files import framework_names
from scanner.registry import (
    RESOURCE_KINDS,
    CheckMeta,
    Registry,
    check,
    judged_framework,
    load_registry,
)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


def test_check_ids_are_unique_and_descriptive(registry: Registry) -> None:
    ids = list(registry.checks)
    assert len(ids) == len(set(ids))
    for check_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", check_id), check_id
        assert not re.search(r"cjis|\d+_\d+$", check_id.split("_")[0]), check_id


def test_every_check_has_valid_metadata(registry: Registry) -> None:
    for item in registry.checks.values():
        meta = item.meta
        CheckMeta.model_validate(meta.model_dump())  # re-validates
        assert set(meta.kinds) <= RESOURCE_KINDS
        assert meta.remediation.summary and meta.remediation.docs, meta.id
        assert meta.remediation.docs.startswith("https://learn.microsoft.com/"), meta.id
        assert meta.remediation.cli is None or meta.remediation.cli.startswith(
            ("az ", "Connect-", "Update-", "New-", "Set-")), meta.id
        assert item.func.__doc__ or meta.rationale, meta.id


def test_every_check_is_mapped_and_every_mapped_id_exists(registry: Registry) -> None:
    framework = judged_framework()
    mapped = framework.check_ids()
    assert mapped - set(registry.checks) == set(), "framework names unknown checks"
    # Third-party checks may be unmapped; every built-in one is mapped.
    builtin = {c.id for c in registry.checks.values()
               if c.func.__module__.startswith("checks.")}
    assert builtin - mapped == set(), "built-in checks missing from the framework file"


def test_no_installed_check_escapes_the_mapping_test(registry: Registry) -> None:
    # Only the built-in entry point is installed here: every check it registers, data
    # rules included, must name a `checks.*` module, or the test above would not see it
    # (the retired `property_check` rows named scanner.registry and escaped it).
    import scanner.registry

    outside = sorted(c.id for c in registry.checks.values()
                     if not c.func.__module__.startswith("checks."))
    assert outside == []
    assert not hasattr(scanner.registry, "property_check")
    data_rules = [c for c in registry.checks.values() if hasattr(c.func, "rule")]
    assert {"storage_account_https_only", "vm_encryption_at_host"} <= {c.id for c in data_rules}


@pytest.mark.parametrize("name", framework_names())
def test_framework_is_well_formed(name: str) -> None:
    framework = judged_framework(name)
    ids = [r.id for r in framework.requirements]
    assert len(ids) == len(set(ids))
    steps = {s.id for s in framework.sections}
    for requirement in framework.requirements:
        assert requirement.step in steps
        assert framework.section_path(requirement.section)[0] == requirement.step
        assert set(requirement.severity) == set(framework.profile_ids), requirement.id
        for control in requirement.controls:
            assert re.fullmatch(r"[A-Z]{2}-\d+(\(\d+\))?", control), control
    # CMK is the compensating control on Azure Commercial (in every view).
    cmk = framework.requirement("cmk.storage_account")
    assert cmk is not None
    assert cmk.severity["commercial"].value == "critical"
    assert cmk.severity["government"].value == "medium"


def test_catalogue_ids_match_checks_md() -> None:
    """Every requirement id of ../shared/CHECKS.md's implemented steps is in the framework."""
    from pathlib import Path

    checks_md = Path(__file__).resolve().parents[2] / "shared" / "CHECKS.md"
    if not checks_md.is_file():
        pytest.skip("../shared/CHECKS.md is not beside the repository")
    documented = set(re.findall(r"^\| ([a-z]+\.[a-z_]+) \|", checks_md.read_text(), re.M))
    framework_ids = {r.id for r in judged_framework().requirements}
    steps_here = {r.id.split(".")[0] for r in judged_framework().requirements}
    expected = {i for i in documented if i.split(".")[0] in steps_here}
    assert expected - framework_ids == set()


def test_invalid_metadata_is_refused() -> None:
    scratch = Registry()
    with pytest.raises(ValueError):
        check(id="Bad-Id", title="A title long enough", kinds="storage_accounts",
              severity="high", rationale="A rationale that is long enough.",
              remediation={"summary": "x"}, registry=scratch)
    with pytest.raises(ValueError):
        check(id="storage_thing_ok", title="A title long enough", kinds="nonsense",
              severity="high", rationale="A rationale that is long enough.",
              remediation={"summary": "x"}, registry=scratch)
    with pytest.raises(ValueError):
        check(id="storage_thing_ok", title="A title long enough", kinds="storage_accounts",
              severity="high", rationale="A rationale that is long enough.",
              remediation={"summary": "x", "docs": "https://example.com"}, registry=scratch)


def test_duplicate_ids_are_refused() -> None:
    scratch = Registry()
    meta = dict(id="storage_thing_ok", title="A title long enough", kinds="storage_accounts",
                severity="high", rationale="A rationale that is long enough.",
                remediation={"summary": "x"}, registry=scratch)
    check(**meta)(lambda r, c: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="twice"):
        check(**meta)(lambda r, c: None)  # type: ignore[arg-type,return-value]
