"""The bundled demo cassette is what its builder builds: a section edited without
regenerating fixtures/demo/tenant.yaml fails here, not in a reviewer's diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.demo.build_demo import OUT, SECTIONS, build
from fixtures.demo.tenant import Tenant
from scanner.recording import save_cassette


def test_the_committed_demo_cassette_is_what_build_demo_builds(tmp_path: Path) -> None:
    built = tmp_path / "tenant.yaml"
    save_cassette(build(), built)
    assert built.read_bytes() == OUT.read_bytes(), (
        "fixtures/demo/tenant.yaml is stale: run .venv/bin/python fixtures/demo/build_demo.py")


def test_a_section_refers_to_another_s_resources_only_once_declared() -> None:
    t = Tenant()
    for section in SECTIONS[:2]:  # subscriptions, then key stores
        section(t)
    assert t.named("KV-CJIS-PROD")["type"] == "Microsoft.KeyVault/vaults"
    with pytest.raises(KeyError):
        t.named("stcjisrecords01")  # the storage section has not run
