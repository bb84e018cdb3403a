"""A full demo collection: only reads, no stray traffic at any concurrency, minimal reads."""

from __future__ import annotations

from collections import Counter

import pytest

from scanner.azure.guard import is_allowed_read
from scanner.collectors.runner import collect
from scanner.replay import CassetteTransport, demo_cassette, match_key
from tests.conftest import factory_for


@pytest.mark.parametrize("concurrency", [1, 32])
def test_every_request_of_a_full_demo_collection_is_a_read(concurrency: int) -> None:
    """Sockets are disabled (conftest): a replay at 32 threads never reaches the network."""
    transport = CassetteTransport.from_file(demo_cassette())
    factory = factory_for([])
    factory.transport = transport
    inventory = collect(factory, concurrency=concurrency)
    methods = transport.log.methods()
    assert methods and set(methods) == {"GET"}
    assert all(is_allowed_read(method, url) for method, url in transport.log.entries)
    # The demo's one deliberate gap (a 403), and nothing missing from the cassette.
    assert [(e.collector, e.status) for e in inventory.errors] == [("cosmos_accounts", 403)]


def test_demo_collection_makes_no_duplicate_reads() -> None:
    transport = CassetteTransport.from_file(demo_cassette())
    factory = factory_for([])
    factory.transport = transport
    collect(factory, concurrency=8)
    urls = Counter(match_key(method, url, None) for method, url in transport.log.entries)
    assert [url for url, count in urls.items() if count > 1] == []
