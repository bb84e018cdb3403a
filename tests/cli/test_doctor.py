"""`cjis-scan doctor` over replay cassettes: each permission checked, each gap's cost named."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from scanner.recording import save_cassette
from scanner.replay import demo_cassette, load_interactions
from tests.cli.test_scan_cli import cli
from tests.collectors.test_entra import DENIED, INTUNE_DENIED


def _flat(text: str) -> str:
    return " ".join(text.split())


def _cassette(tmp_path: Path, denied: dict[str, dict[str, object]]) -> Path:
    """The demo tenant's recording with these Graph paths answered 403 (Graph's own bodies)."""
    interactions = []
    for interaction in load_interactions(demo_cassette()):
        for path, body in denied.items():
            if interaction.uri.startswith(f"https://graph.microsoft.com/v1.0{path}"):
                interaction = dataclasses.replace(
                    interaction, status=403, reason="Forbidden", body=json.dumps(body).encode(),
                    headers={"Content-Type": ["application/json"]})
        interactions.append(interaction)
    path = tmp_path / "tenant.yaml"
    save_cassette(interactions, path)
    return path


def test_doctor_over_the_demo_names_the_one_missing_reader_permission() -> None:
    result = cli("doctor", "--demo")
    assert result.exit_code == 3, result.output
    flat = _flat(result.output)
    assert "Microsoft Graph: 8 of 8 reads work" in flat
    assert "Resource Graph: 1 of 1 reads work" in flat
    assert "list cosmos accounts at /subscriptions/9d2e4f6a-1b3c-4d5e-8f7a-0c2e4a6b8d9f " \
           "(HTTP 403 AuthorizationFailed)" in flat
    assert "fix: the Reader role on the subscription " \
           "(Microsoft.DocumentDB/databaseAccounts/read)" in flat
    assert ("would make unknown: cosmos_account_cmk_encryption, "
            "database_client_side_encryption_attestation") in flat


def test_doctor_names_each_missing_graph_permission_and_its_checks(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, {
        "/policies/authenticationMethodsPolicy": DENIED,
        "/deviceManagement/deviceCompliancePolicies": INTUNE_DENIED})
    result = cli("doctor", "--replay", str(cassette))
    assert result.exit_code == 3
    flat = _flat(result.output)
    assert "Microsoft Graph: 6 of 8 reads work" in flat
    assert "read /policies/authenticationMethodsPolicy at /tenants/unknown (HTTP 403 " \
           "Authorization_RequestDenied)" in flat
    assert "Policy.Read.All (or the narrower Policy.Read.AuthenticationMethod)" in flat
    assert "would make unknown: entra_phishing_resistant_methods_enabled, " \
           "entra_weak_methods_disabled" in flat
    assert "DeviceManagementConfiguration.Read.All" in flat
    assert "intune_compliance_passcode_length, intune_compliance_requires_encryption" in flat


def test_doctor_with_everything_in_place_exits_0(tmp_path: Path) -> None:
    interactions = [i for i in load_interactions(demo_cassette())]
    fixed = []
    for interaction in interactions:
        if interaction.status == 403:
            interaction = dataclasses.replace(interaction, status=200, reason="OK",
                                              body=b'{"value": []}')
        fixed.append(interaction)
    path = tmp_path / "ok.yaml"
    save_cassette(fixed, path)
    result = cli("doctor", "--replay", str(path))
    assert result.exit_code == 0, result.output
    assert "Every permission the scan needs is in place." in result.output


def test_doctor_checks_each_named_subscription(tmp_path: Path) -> None:
    result = cli("doctor", "--demo", "-s", "00000000-0000-0000-0000-000000000000")
    assert result.exit_code == 3
    assert "read the subscription at /subscriptions/00000000-0000-0000-0000-000000000000" in \
        _flat(result.output)
    assert cli("doctor", "--demo", "-s", "prod").exit_code == 2


@pytest.mark.parametrize("flag", ["--replay"])
def test_doctor_missing_cassette_is_a_usage_error(flag: str, tmp_path: Path) -> None:
    assert cli("doctor", flag, str(tmp_path / "nope.yaml")).exit_code == 2


def test_doctor_names_the_directory_permission_the_packet_needs(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, {"/directoryObjects/": DENIED})
    flat = _flat(cli("doctor", "--replay", str(cassette)).output)
    assert "read a key administrator's name (/directoryObjects/{id})" in flat
    assert "Directory.Read.All" in flat
    assert "the audit packet's key administrators are named unknown" in flat
