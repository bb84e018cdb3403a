"""Transport faults on the real transport (requests, TLS, proxy; tests/livefake.py):
a dropped connection, a body cut short, a read that stalls, a proxy that never answers.
Each is retried after a real backoff, then reported as a network failure of that read
only (never as a response shape, never as an empty list); everything else is read."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import RequestsTransport

from scanner.azure.clients import ClientFactory, live_transport
from scanner.azure.clouds import get_cloud
from scanner.azure.throttle import ReadBudget
from scanner.collectors.runner import collect
from scanner.inventory import Inventory
from scanner.replay import demo_cassette, load_interactions
from tests.livefake import FakeAzure, serving
from tests.test_live_path import no_network  # noqa: F401 - loopback only, for the fake

STORAGE = "/providers/Microsoft.Storage/storageAccounts?"
NETWORK_REMEDY = "check network access to Azure and re-run the scan"


class Token:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(f"token-for-{scopes[0]}", int(time.time()) + 3600)


class RecordedSleeps(RequestsTransport):
    """The real requests transport; its retry waits are recorded, not slept."""

    def __init__(self, inner: Any) -> None:
        self.__dict__.update(inner.__dict__)
        self.sleeps: list[float] = []

    def sleep(self, duration: float) -> None:
        self.sleeps.append(duration)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzure]:
    served = FakeAzure(load_interactions(demo_cassette()))
    with serving(served, tmp_path):
        monkeypatch.setenv("HTTPS_PROXY", served.proxy_url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(served.ca))
        monkeypatch.setenv("NO_PROXY", "")
        yield served


def scan(fake: FakeAzure, read_timeout: float = 5.0, connect_timeout: float = 2.0, **factory: Any
         ) -> tuple[Inventory, RecordedSleeps]:
    transport = RecordedSleeps(live_transport(8, connect_timeout, read_timeout))
    inventory = collect(ClientFactory(get_cloud("commercial"), Token(), transport,
                                      ReadBudget(enabled=False), **factory), concurrency=8)
    transport.close()
    return inventory, transport


def times(count: int, fault: Any) -> Any:
    """`fault` for the first `count` matching requests, then the cassette answers."""
    left = [count]
    lock = threading.Lock()

    def maybe(handler: Any) -> bool:
        with lock:
            if left[0] <= 0:
                return False
            left[0] -= 1
        return bool(fault(handler))

    return maybe


def drop(handler: Any) -> bool:
    """Close the connection without a response."""
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)
    return True


def cut_short(handler: Any) -> bool:
    """Promise 4,000 bytes, send 60 of valid-looking JSON, close."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "4000")
    handler.end_headers()
    handler.wfile.write(b'{"value": [{"id": "/subscriptions/x/resourceGroups/g/providers/')
    handler.wfile.flush()
    return drop(handler)


def cut_chunk(handler: Any) -> bool:
    """A chunked body that stops part-way through a chunk."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    handler.wfile.write(b"400\r\n" + b'{"value": [' + b" " * 100)
    handler.wfile.flush()
    return drop(handler)


def storage_errors(inventory: Inventory) -> list[Any]:
    return [e for e in inventory.errors if e.collector == "storage_accounts"]


def assert_only_storage_failed(inventory: Inventory) -> None:
    errors = storage_errors(inventory)
    assert len(errors) == 2  # both subscriptions' storage lists
    for error in errors:
        assert error.code == "TransportFailure", error
        assert error.remedy == NETWORK_REMEDY
    others = {e.collector for e in inventory.errors} - {"storage_accounts"}
    assert others == {"cosmos_accounts"}  # the demo tenant's own 403
    assert inventory.storage_accounts == []
    assert len(inventory.key_vaults) == 4  # every other read completed


@pytest.mark.parametrize("fault", [drop, cut_short, cut_chunk], ids=lambda f: f.__name__)
def test_a_transport_fault_is_retried_with_backoff_then_a_network_error(
        fake: FakeAzure, fault: Any) -> None:
    fake.faults[STORAGE] = fault
    inventory, transport = scan(fake)
    assert_only_storage_failed(inventory)
    storage_reads = [p for _, _, p in fake.requests if p.endswith("/storageAccounts")]
    assert len(storage_reads) == 2 * 4  # each of the two lists: the read and 3 retries
    # Real backoff: about 1, 2 and 4 s per list (recorded, not slept), never all at once.
    waits = sorted(transport.sleeps)
    assert len(waits) == 6 and waits[0] >= 0.8 and sum(waits) >= 2 * 5.6, waits


@pytest.mark.parametrize("fault", [drop, cut_short, cut_chunk], ids=lambda f: f.__name__)
def test_a_transport_fault_that_clears_is_read_in_full(fake: FakeAzure, fault: Any) -> None:
    fake.faults[STORAGE] = times(2, fault)
    inventory, transport = scan(fake)
    assert storage_errors(inventory) == []
    assert len(inventory.storage_accounts) == 5  # every account, none lost to the fault
    assert len(transport.sleeps) == 2


def test_a_stalled_read_times_out_in_seconds(fake: FakeAzure) -> None:
    release = threading.Event()
    fake.faults[STORAGE] = lambda handler: release.wait(10) and drop(handler)
    started = time.monotonic()
    try:
        inventory, _ = scan(fake, read_timeout=1.0)  # long enough for the other reads
    finally:
        release.set()
    assert time.monotonic() - started < 9  # 2 lists x 4 attempts x 1 s, in parallel
    assert_only_storage_failed(inventory)


def test_a_proxy_that_never_answers_fails_each_read_in_seconds(fake: FakeAzure) -> None:
    fake.proxy_hold = threading.Event()
    started = time.monotonic()
    try:
        inventory, _ = scan(fake, read_timeout=0.25, connect_timeout=0.25)
    finally:
        fake.proxy_hold.set()
    assert time.monotonic() - started < 15
    assert fake.requests == [] and fake.connects  # held at the proxy
    assert inventory.errors and {e.code for e in inventory.errors} == {"TransportFailure"}
    assert {e.collector for e in inventory.errors} >= {"subscriptions", "entra_ca_policies"}
    assert all(e.remedy == NETWORK_REMEDY for e in inventory.errors)


def test_the_scan_deadline_stops_new_reads(fake: FakeAzure) -> None:
    inventory, _ = scan(fake, deadline_seconds=0)
    assert fake.requests == []
    assert {e.code for e in inventory.errors} == {"ScanDeadlineExceeded"}
    assert all(e.remedy == NETWORK_REMEDY for e in inventory.errors)
