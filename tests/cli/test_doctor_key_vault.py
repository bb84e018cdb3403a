"""`doctor --key-vault-data-plane`: one key GET on one premium vault's data plane, over the
demo's recording plus that read (no socket), and what a refusal would leave undetermined."""

from __future__ import annotations

from pathlib import Path

from scanner.recording import save_cassette
from scanner.replay import demo_cassette, load_interactions
from tests.cli.test_doctor import _flat
from tests.cli.test_scan_cli import cli
from tests.collectors.test_key_vault_data_plane import FORBIDDEN_FIREWALL, hsm_body
from tests.conftest import response

VAULT = "https://kv-cjis-prod.vault.azure.net"
KEY_GET = f"{VAULT}/keys/cmk-storage?api-version=7.5"


def cassette(tmp_path: Path, status: int, body: object) -> Path:
    path = tmp_path / "tenant.yaml"
    save_cassette([*load_interactions(demo_cassette()),
                   response(KEY_GET, body, status=status)], path)
    return path


def test_without_the_flag_the_doctor_does_not_touch_the_data_plane() -> None:
    assert "Key Vault data plane" not in cli("doctor", "--demo").output


def test_the_probe_passes_when_the_key_reads(tmp_path: Path) -> None:
    path = cassette(tmp_path, 200, hsm_body(VAULT, "cmk-storage", "2"))
    flat = _flat(cli("doctor", "--replay", str(path), "--key-vault-data-plane").output)
    assert "Key Vault data plane: 1 of 1 reads work" in flat


def test_a_refused_probe_names_the_fix_and_what_stays_undetermined(tmp_path: Path) -> None:
    path = cassette(tmp_path, 403, FORBIDDEN_FIREWALL)
    result = cli("doctor", "--replay", str(path), "--key-vault-data-plane")
    flat = _flat(result.output)
    assert result.exit_code == 3
    assert "Key Vault data plane: 0 of 1 reads work" in flat
    assert "read key cmk-storage's hsmPlatform" in flat and "HTTP 403" in flat
    assert "Key Vault Reader" in flat
    assert "FIPS 140 level stays undetermined" in flat


def test_the_config_file_turns_the_probe_on(tmp_path: Path) -> None:
    path = cassette(tmp_path, 200, hsm_body(VAULT, "cmk-storage", "2"))
    config = tmp_path / "cjis-scan.toml"
    config.write_text("key_vault_data_plane = true\n")
    flat = _flat(cli("doctor", "--replay", str(path), "--config", str(config)).output)
    assert "Key Vault data plane: 1 of 1 reads work" in flat


def test_collect_with_the_flag_reads_the_data_plane_and_records_each_miss(tmp_path: Path) -> None:
    """The flag through the CLI, over a replay: cmk-storage decided, every other HSM key of
    the demo undetermined with a recorded error (its read is not in the cassette)."""
    from scanner.inventory import Inventory

    path = cassette(tmp_path, 200, hsm_body(VAULT, "cmk-storage", "1"))
    for flag, read in (([], False), (["--key-vault-data-plane"], True)):
        out = tmp_path / f"inventory-{read}.json"
        result = cli("collect", "--replay", str(path), "-o", str(out), *flag)
        assert result.exit_code == 0, result.output
        inventory = Inventory.load(out)
        keys = {k.name: k for k in inventory.vault_keys}
        errors = [e for e in inventory.errors if e.collector == "key_vault_data_plane"]
        if not read:
            assert keys["cmk-storage"].hsm_platform is None and errors == []
            continue
        assert keys["cmk-storage"].hsm_platform == "1"
        hsm = [k for k in keys.values() if str(k.kty).upper().endswith("-HSM")]
        assert len(hsm) > 1
        for key in hsm:
            if key.name != "cmk-storage":
                assert key.hsm_platform is None and key.hsm_platform_unread
        assert errors and all(e.scope.endswith("/keys/" + e.scope.rsplit("/", 1)[1])
                              for e in errors)
