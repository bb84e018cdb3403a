"""The replay transport, the cassette format and the recorder's scrubber."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import vcr
from azure.core.pipeline.transport import HttpTransport

from scanner.errors import InputFileError
from scanner.recording import RecordingTransport, save_cassette, scrub_interaction
from scanner.redact import REDACTED
from scanner.replay import (
    CassetteMiss,
    CassetteTransport,
    Interaction,
    load_interactions,
    match_key,
)
from tests.conftest import ARM, response


def test_match_ignores_api_version_case_and_double_slashes() -> None:
    a = match_key("GET", f"{ARM}/subscriptions/ABC/providers/X?api-version=2020-01-01&$top=5",
                  None)
    b = match_key("get", f"{ARM}//subscriptions/abc/providers/x?$top=5&api-version=2026-01-01",
                  None)
    assert a == b
    assert a != match_key("GET", f"{ARM}/subscriptions/abc/providers/x?$top=6", None)
    assert a != match_key("GET", "https://management.usgovcloudapi.net/subscriptions/abc/"
                                 "providers/x?$top=5", None)


def test_resource_graph_posts_match_on_body() -> None:
    url = f"{ARM}/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"
    first = match_key("POST", url, b'{"query": "Resources", "options": {}}')
    assert first == match_key("POST", url, b'{"options": {}, "query": "Resources"}')
    assert first != match_key("POST", url, b'{"query": "Resources", "options": '
                                           b'{"$skipToken": "abc"}}')


def test_each_interaction_plays_once_in_order() -> None:
    transport = CassetteTransport([
        response("/subscriptions", {"error": {"code": "TooManyRequests"}}, status=429),
        response("/subscriptions", {"value": []}),
    ])
    from azure.core.rest import HttpRequest

    request = HttpRequest("GET", f"{ARM}/subscriptions?api-version=1")
    assert transport.send(request).status_code == 429
    assert transport.send(request).status_code == 200
    with pytest.raises(CassetteMiss):
        transport.send(request)


def test_transport_is_thread_safe_under_load() -> None:
    from azure.core.rest import HttpRequest

    interactions = [response(f"/subscriptions/{n}", {"n": n}) for n in range(400)]
    transport = CassetteTransport(interactions)
    results: dict[int, int] = {}
    lock = threading.Lock()

    def worker(start: int) -> None:
        for n in range(start, 400, 16):
            got = transport.send(HttpRequest("GET", f"{ARM}/subscriptions/{n}")).json()["n"]
            with lock:
                results[n] = got

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: n for n in range(400)}


def test_cassettes_round_trip_through_vcrpy_format(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    save_cassette([response("/subscriptions", {"value": [1]})], path)
    loaded = load_interactions(path)
    assert loaded[0].status == 200 and json.loads(loaded[0].body) == {"value": [1]}
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_cassette_written_by_vcrpy_itself_plays(tmp_path: Path) -> None:
    """Any cassette vcrpy can play is accepted: write one with vcrpy's own persister."""
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.request import Request
    from vcr.serializers import yamlserializer

    request = Request("GET", f"{ARM}/subscriptions?api-version=2022-12-01", None,
                      {"Accept": "application/json"})
    vcr_response = {"status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {"string": b'{"value": []}'}}
    path = tmp_path / "vcr.yaml"
    FilesystemPersister.save_cassette(str(path), {"requests": [request],
                                                  "responses": [vcr_response]},
                                      serializer=yamlserializer)
    (interaction,) = load_interactions(path)
    assert interaction.status == 200 and interaction.body == b'{"value": []}'
    assert vcr.__version__  # the format comes from the installed vcrpy


@pytest.mark.parametrize("text, problem", [
    ("not: [a, cassette", "not a valid cassette"),
    ("interactions:\n- request: {}\nversion: 1\n", "not a vcrpy cassette"),
    ("- request: {uri: x}\n", "not a vcrpy cassette"),
])
def test_malformed_cassettes_are_input_errors(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputFileError, match=problem):
        load_interactions(path)


def test_missing_cassette_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read cassette"):
        load_interactions(tmp_path / "nope.yaml")


JWT = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tIn0"
       ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU")


def dirty_recording() -> Interaction:
    """What an unscrubbed live recording holds: bearer JWT, client secret, cookies."""
    return Interaction(
        method="POST",
        uri="https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
        request_body=b"client_id=abc&client_secret=s3cr3t-V4lue~x&grant_type=client_credentials",
        request_headers={"Authorization": [f"Bearer {JWT}"], "Cookie": ["fpc=abc"]},
        status=200, reason="OK",
        headers={"Set-Cookie": ["x-ms-gateway-slice=estsfd; path=/"],
                 "Content-Type": ["application/json"]},
        body=json.dumps({"token_type": "Bearer", "access_token": JWT,
                         "refresh_token": "0.AXkA-refresh-token-value"}).encode(),
    )


def test_scrubber_removes_tokens_secrets_and_cookies() -> None:
    clean = scrub_interaction(dirty_recording())
    text = repr(clean)
    for secret in (JWT, "s3cr3t-V4lue", "fpc=abc", "estsfd", "0.AXkA-refresh"):
        assert secret not in text
    assert "Authorization" not in clean.request_headers
    assert REDACTED in clean.body.decode()


def test_scrubber_is_idempotent() -> None:
    once = scrub_interaction(dirty_recording())
    twice = scrub_interaction(once)
    assert once == twice


def test_recorder_saves_scrubbed_ids_and_secrets(tmp_path: Path) -> None:
    sub = "6f1c2a4e-8b3d-4c7e-9a15-2d4e6f8a0b1c"

    class Live(HttpTransport):
        def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
            from scanner.replay import _make_response

            body = json.dumps({"value": [{"subscriptionId": sub, "token": JWT}]}).encode()
            return _make_response(request, 200, "OK", {"Set-Cookie": ["a=b"]}, body)

        def open(self) -> None: ...
        def close(self) -> None: ...
        def __enter__(self):  # type: ignore[no-untyped-def]
            return self
        def __exit__(self, *a) -> None: ...  # type: ignore[no-untyped-def]

    from azure.core.rest import HttpRequest

    recorder = RecordingTransport(Live())
    recorder.send(HttpRequest("GET", f"{ARM}/subscriptions/{sub}?api-version=1",
                              headers={"Authorization": f"Bearer {JWT}"}))
    path = tmp_path / "rec.yaml"
    assert recorder.save(path, [sub]) == 1
    text = path.read_text()
    assert JWT not in text and sub not in text and "Set-Cookie" not in text
    assert "00000000-0000-0000-0000-000000000001" in text
