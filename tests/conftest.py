"""Shared fixtures: replays over in-memory cassettes, with no network at all."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from scanner.azure.clients import ClientFactory
from scanner.azure.clouds import get_cloud
from scanner.azure.credentials import StandInCredential
from scanner.azure.throttle import ReadBudget
from scanner.replay import CassetteTransport, Interaction

ARM = "https://management.azure.com"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to open a socket fails the test: replays must never reach Azure."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a test tried to open a network connection: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


def response(url: str, body: Any, status: int = 200, headers: dict[str, str] | None = None,
             method: str = "GET", request_body: bytes | None = None) -> Interaction:
    """An interaction answering `method url` with a JSON body."""
    all_headers = {"Content-Type": ["application/json; charset=utf-8"]}
    for key, value in (headers or {}).items():
        all_headers[key] = [value]
    reason = {200: "OK", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
              500: "Internal Server Error", 401: "Unauthorized"}.get(status, "")
    return Interaction(method=method, uri=url if url.startswith("http") else ARM + url,
                       request_body=request_body, request_headers={}, status=status,
                       reason=reason, headers=all_headers,
                       body=json.dumps(body).encode("utf-8"))


def factory_for(interactions: list[Interaction], cloud: str = "commercial") -> ClientFactory:
    """A client factory replaying `interactions` with the stand-in credential.

    The read budget is off, as in `scan --replay` (tests/test_throttle.py covers it)."""
    return ClientFactory(get_cloud(cloud), StandInCredential(), CassetteTransport(interactions),
                         ReadBudget(enabled=False))
