"""The live path, end to end: `cjis-scan scan` with no replay, against a loopback HTTPS
fake of ARM, Microsoft Graph and Entra ID sign-in, through HTTPS_PROXY and a throwaway
CA (tests/livefake.py). The real transport, TLS, proxy, token flow and timeouts run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.replay import demo_cassette, load_interactions
from tests.livefake import ARM_HOST, GRAPH_HOST, LOGIN, FakeAzure, serving

CJIS_SCAN = str(Path(sys.executable).with_name("cjis-scan"))


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Loopback only (the fake and its proxy): any other address fails the test."""
    create, connect = socket.create_connection, socket.socket.connect

    def loopback(address: Any) -> bool:
        return isinstance(address, tuple) and address[0] in ("127.0.0.1", "localhost", "::1")

    def guarded_create(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        assert loopback(address), f"a test tried to open a network connection: {address!r}"
        return create(address, *args, **kwargs)

    def guarded_connect(self: socket.socket, address: Any) -> None:
        assert loopback(address), f"a test tried to open a network connection: {address!r}"
        connect(self, address)

    monkeypatch.setattr(socket, "create_connection", guarded_create)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield


def scan_env(fake: FakeAzure, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AZURE_", "HTTP", "http", "NO_PROXY", "no_proxy", "REQUESTS_"))}
    # HOME elsewhere: no Azure CLI or token cache of the machine running the tests.
    return {**env, **fake.env(), "HOME": str(home), "NO_PROXY": "", "no_proxy": ""}


def run(args: list[str], env: dict[str, str] | None = None, timeout: float = 120
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CJIS_SCAN, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def findings(report_dir: Path) -> list[dict[str, Any]]:
    report = json.loads((report_dir / "cjis-scan-report.json").read_text())
    return list(report["findings"])


def replayed_reads() -> list[tuple[str, str, str]]:
    """(method, host, path) of every read a replay of the demo tenant makes."""
    from urllib.parse import urlsplit

    from scanner.sources import Source, load_inventory

    seen: list[Any] = []

    def keep(transport: Any) -> Any:
        seen.append(transport)
        return transport

    # The scan's own collection (the inventory, then the key administrators' names).
    load_inventory(Source(replay=demo_cassette()), "commercial", [], 8, wrap_transport=keep)
    return sorted((m, urlsplit(u).hostname or "", urlsplit(u).path) for m, u in
                  seen[0].log.entries)


def test_a_live_scan_through_a_proxy_equals_the_replay(tmp_path: Path) -> None:
    fake = FakeAzure(load_interactions(demo_cassette()))
    with serving(fake, tmp_path):
        started = time.monotonic()
        live = run(["scan", "-f", "json", "-o", str(tmp_path / "live"), "-q",
                    "--concurrency", "16"], scan_env(fake, tmp_path))
        seconds = time.monotonic() - started
    started = time.monotonic()
    from typer.testing import CliRunner

    from scanner.cli import app

    replay = CliRunner().invoke(app, ["scan", "--replay", str(demo_cassette()), "-f", "json",
                                      "-o", str(tmp_path / "replay"), "-q",
                                      "--concurrency", "16"])
    print(f"\nreplay {time.monotonic() - started:.1f} s; "
          f"live scan through the proxy: {seconds:.1f} s, {len(fake.requests)} ARM/Graph "
          f"requests, token requests {dict(fake.token_requests)}")
    assert live.returncode == replay.exit_code == 1, live.stderr  # the demo has failures
    assert "Traceback" not in live.stderr
    # A read that failed live (on a starved machine: a timeout) is the likeliest difference:
    # name it rather than a finding's evidence.
    errors = {side: json.loads((tmp_path / side / "cjis-scan-report.json").read_text())["errors"]
              for side in ("live", "replay")}
    assert errors["live"] == errors["replay"], errors
    assert findings(tmp_path / "live") == findings(tmp_path / "replay")
    assert len(findings(tmp_path / "live")) > 100
    # The whole tenant was served, over TLS, through the proxy, with the right tokens.
    assert sorted(fake.requests) == replayed_reads()  # the same reads as the replay's
    assert set(fake.connects) <= {f"{h}:443" for h in (LOGIN, ARM_HOST, GRAPH_HOST)}
    assert {h for _, h, _ in fake.requests} == {ARM_HOST, GRAPH_HOST}
    assert fake.bad_tokens == []
    # One token per audience, whatever the concurrency (item 15).
    assert fake.token_requests == {f"https://{ARM_HOST}/.default": 1,
                                   f"https://{GRAPH_HOST}/.default": 1}


def test_a_wrong_client_secret_exits_4_with_entra_ids_cause(tmp_path: Path) -> None:
    fake = FakeAzure([], client_secret="the-right-one")
    with serving(fake, tmp_path):
        result = run(["scan", "-q", "-o", str(tmp_path)], scan_env(fake, tmp_path))
    assert result.returncode == 4
    assert "AADSTS7000215" in result.stderr and "Invalid client secret" in result.stderr
    assert "EnvironmentCredential failed" in result.stderr
    assert "Traceback" not in result.stderr and "Attempted credentials" not in result.stderr
    assert "WARNING" not in result.stderr  # azure-identity's multi-line warnings: condensed
    assert fake.requests == []  # no ARM or Graph read without a token


def test_a_sign_in_that_never_answers_gives_up_by_the_deadline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy that accepts and never answers: exit 4 within the deadline, naming why."""
    from scanner.azure.clouds import get_cloud
    from scanner.azure.credentials import live_credential
    from scanner.errors import CredentialError

    release = threading.Event()

    def stall(handler: Any) -> bool:
        release.wait(30)
        return True

    fake = FakeAzure([], faults={"token": stall})
    with serving(fake, tmp_path):
        for key, value in scan_env(fake, tmp_path).items():
            monkeypatch.setenv(key, value)
        started = time.monotonic()
        try:
            with pytest.raises(CredentialError) as caught:
                live_credential(get_cloud("commercial"), deadline_seconds=2)
        finally:
            release.set()
        seconds = time.monotonic() - started
    assert seconds < 5
    assert caught.value.exit_code == 4
    message = str(caught.value).splitlines()[0]
    assert "EnvironmentCredential got no answer from login.microsoftonline.com within 2 s" \
        in message


def test_a_live_resource_graph_scan_equals_the_replay(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--source graph: the Resource Graph query POST through the SDK client's own pipeline
    (redirects off, guard, timeouts) on the real transport, in this process."""
    from typer.testing import CliRunner

    from scanner.cli import app

    fake = FakeAzure(load_interactions(demo_cassette()))
    with serving(fake, tmp_path):
        for key, value in scan_env(fake, tmp_path).items():
            monkeypatch.setenv(key, value)
        for key in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(key, raising=False)
        live = CliRunner().invoke(app, ["scan", "--source", "graph", "-f", "json", "-q",
                                        "-o", str(tmp_path / "live")])
    for key in fake.env():
        monkeypatch.delenv(key)
    replay = CliRunner().invoke(app, ["scan", "--source", "graph", "--replay",
                                      str(demo_cassette()), "-f", "json", "-q",
                                      "-o", str(tmp_path / "replay")])
    assert live.exit_code == replay.exit_code == 1, live.output
    assert findings(tmp_path / "live") == findings(tmp_path / "replay")
    assert ("POST", ARM_HOST, "/providers/Microsoft.ResourceGraph/resources") in fake.requests
    assert fake.bad_tokens == []
    assert sum(fake.token_requests.values()) == 2
