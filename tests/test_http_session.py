"""The live session reads proxy and CA settings from the environment once per origin."""

from __future__ import annotations

import pytest

from scanner.azure.http import EnvironmentOnceSession

ARM = "https://management.azure.com/subscriptions?api-version=2022-12-01"
LOGIN = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token"


def test_proxy_no_proxy_and_ca_bundle_apply_as_requests_reads_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.agency.example:3128")
    monkeypatch.setenv("NO_PROXY", "login.microsoftonline.com")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/agency/ca.pem")
    session = EnvironmentOnceSession()
    arm = session.merge_environment_settings(ARM, {}, None, True, None)
    assert arm["proxies"]["https"] == "http://proxy.agency.example:3128"
    assert arm["verify"] == "/etc/agency/ca.pem"
    login = session.merge_environment_settings(LOGIN, {}, None, True, None)
    assert "https" not in login["proxies"]  # NO_PROXY still bypasses
    # Read once: the settings stand as they were when the origin was first read ...
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:8080")
    assert session.merge_environment_settings(ARM, {}, None, True, None) == arm
    # ... and a caller's mutation of the returned proxies does not leak into the cache.
    arm["proxies"]["https"] = "changed"
    assert (session.merge_environment_settings(ARM, {}, None, True, None)["proxies"]["https"]
            == "http://proxy.agency.example:3128")


def test_no_per_request_environment_reads_and_no_netrc(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import requests.sessions

    session = EnvironmentOnceSession()
    assert session.trust_env is False  # prepare_request never consults ~/.netrc
    calls = []
    real = requests.sessions.get_environ_proxies
    monkeypatch.setattr(requests.sessions, "get_environ_proxies",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    for _ in range(50):
        session.merge_environment_settings(ARM, {}, None, True, None)
    assert len(calls) == 1
