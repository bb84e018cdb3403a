"""One token per audience, shared by every worker; a failed or stalled sign-in is one
message, remembered, and bounded by its deadline."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from scanner.azure.credentials import SharedTokenCredential

ARM = "https://management.azure.com/.default"
GRAPH = "https://graph.microsoft.com/.default"


class Counting:
    """A credential that is slow to answer (so workers overlap) and counts its calls."""

    def __init__(self, lifetime: int = 3600, fail: bool = False, delay: float = 0.05) -> None:
        self.calls: list[str] = []
        self.lifetime, self.fail, self.delay = lifetime, fail, delay
        self.lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self.lock:
            self.calls.append(scopes[0])
        time.sleep(self.delay)
        if self.fail:
            raise ClientAuthenticationError("AADSTS7000215: Invalid client secret provided.")
        return AccessToken(f"token-{scopes[0]}-{len(self.calls)}",
                           int(time.time()) + self.lifetime)


def test_concurrent_workers_share_one_token_per_audience() -> None:
    inner = Counting()
    shared = SharedTokenCredential(inner)  # type: ignore[arg-type]
    with ThreadPoolExecutor(32) as pool:
        tokens = list(pool.map(lambda i: shared.get_token(GRAPH if i % 2 else ARM).token,
                               range(64)))
    assert sorted(inner.calls) == sorted([ARM, GRAPH])
    assert len(set(tokens)) == 2 and shared.fetches == 2


def test_a_token_near_expiry_is_fetched_again() -> None:
    inner = Counting(lifetime=200)  # inside the five-minute refresh margin
    shared = SharedTokenCredential(inner)  # type: ignore[arg-type]
    shared.get_token(ARM)
    shared.get_token(ARM)
    assert inner.calls == [ARM, ARM]


def test_a_failed_sign_in_is_remembered_and_keeps_its_cause() -> None:
    inner = Counting(fail=True)
    shared = SharedTokenCredential(inner)  # type: ignore[arg-type]
    with ThreadPoolExecutor(16) as pool:
        errors = list(pool.map(lambda _: _raises(lambda: shared.get_token(GRAPH)), range(16)))
    assert inner.calls == [GRAPH]  # asked once, not once per worker
    assert all("AADSTS7000215" in str(e) for e in errors)


def test_a_stalled_sign_in_gives_up_at_its_deadline() -> None:
    inner = Counting(delay=5)
    shared = SharedTokenCredential(inner, deadline_seconds=0.3,  # type: ignore[arg-type]
                                   authority="login.microsoftonline.com")
    started = time.monotonic()
    with pytest.raises(ClientAuthenticationError, match="got no answer from "
                                                        "login.microsoftonline.com within 0.3 s"):
        shared.get_token(ARM)
    assert time.monotonic() - started < 2


def _raises(call: Any) -> BaseException:
    try:
        call()
    except ClientAuthenticationError as exc:
        return exc
    raise AssertionError("no error")
