"""`cjis-scan record` over a stand-in for live Azure: scrubbed, replayable cassettes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import scanner.sources as sources
from scanner.azure.credentials import StandInCredential
from scanner.replay import CassetteTransport, demo_cassette, load_interactions
from tests.cli.test_scan_cli import SUB_A, cli


@pytest.fixture
def live_is_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """'Live' Azure answers from the demo cassette; the credential hands out a real-looking
    token so the test proves the recorder scrubs it."""
    class Credential(StandInCredential):
        TOKEN = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ"
                 ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU")

    monkeypatch.setattr(sources, "live_credential", lambda cloud: Credential())
    monkeypatch.setattr(sources, "live_transport",
                        lambda concurrency: CassetteTransport.from_file(demo_cassette()))


def test_record_scrubs_tokens_and_ids_and_replays(live_is_the_demo: None,
                                                  tmp_path: Path) -> None:
    cassette = tmp_path / "tenant.yaml"
    result = cli("record", "-o", str(cassette), "--quiet")
    assert result.exit_code == 0, result.output
    text = cassette.read_text()
    assert "eyJ0eXAi" not in text
    assert SUB_A not in text  # subscription ids replaced by stand-ins
    assert cassette.stat().st_mode & 0o777 == 0o600
    interactions = load_interactions(cassette)
    assert len(interactions) == 84  # every read of the collection, once (78 + 6 directory)
    assert not any(k.lower() == "authorization" for i in interactions for k in i.request_headers)

    report = tmp_path / "out"
    replay = cli("scan", "--replay", str(cassette), "--format", "json", "--output",
                 str(report), "--quiet")
    assert replay.exit_code == 1, replay.output
    findings = json.loads((report / "cjis-scan-report.json").read_text())["findings"]
    assert len(findings) > 100


def test_record_keep_ids_gives_the_same_findings_as_the_demo(live_is_the_demo: None,
                                                             tmp_path: Path) -> None:
    cassette = tmp_path / "tenant.yaml"
    assert cli("record", "-o", str(cassette), "--keep-ids", "--quiet").exit_code == 0
    for name, args in (("replay", ["--replay", str(cassette)]), ("demo", ["--demo"])):
        assert cli("scan", *args, "--format", "json", "--output", str(tmp_path / name),
                   "--quiet").exit_code == 1
    replayed, demo = (json.loads((tmp_path / n / "cjis-scan-report.json").read_text())
                      for n in ("replay", "demo"))
    assert [f["fingerprint"] for f in replayed["findings"]] == \
        [f["fingerprint"] for f in demo["findings"]]


def test_record_of_named_subscriptions_scrubs_their_ids_and_the_tenant(
        live_is_the_demo: None, tmp_path: Path) -> None:
    cassette = tmp_path / "one.yaml"
    assert cli("record", "-o", str(cassette), "-s", SUB_A, "--quiet").exit_code == 0
    text = cassette.read_text()
    assert SUB_A not in text
    assert "3b7e9c1d-5f2a-4e8b-9c6d-1a3f5e7b9d2c" not in text  # the demo tenant's id
