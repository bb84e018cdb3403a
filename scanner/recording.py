"""Recording Azure HTTP traffic into vcrpy-format cassettes, with every credential scrubbed.

`cjis-scan record` wraps the live transport in `RecordingTransport`; `save_cassette`
writes what it saw (and what tests and fixture builders script) in the format
`scanner.replay` plays.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from azure.core.pipeline.transport import HttpTransport

from scanner.redact import REDACTED, redact
from scanner.replay import Interaction, request_body

# --- scrubbing --------------------------------------------------------------------------

_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-ms-client-secret",
                             "x-ms-authorization-auxiliary"})
_SECRET_KEYS = frozenset(key.lower() for key in (
    "access_token", "accessToken", "refresh_token", "refreshToken", "id_token", "idToken",
    "client_secret", "clientSecret", "secretText", "password", "adminPassword", "secret",
    "primaryKey", "secondaryKey", "primaryMasterKey", "secondaryMasterKey",
    "primaryReadonlyMasterKey", "secondaryReadonlyMasterKey", "primaryConnectionString",
    "secondaryConnectionString", "connectionString", "sasToken", "accountKey",
    "serviceSasToken", "accountSasToken", "kubeconfig", "privateKey"))
"""JSON members whose value is a credential, whatever their case (recorded bodies)."""
_JSON_SECRET = re.compile(
    r'(?i)"(' + "|".join(sorted(_SECRET_KEYS)) + r')"\s*:\s*"(?!\[REDACTED\])[^"]+"')
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _scrub_json(value: Any) -> Any:
    """Credential members, and the `value` of listKeys-shaped key objects, redacted."""
    if isinstance(value, list):
        return [_scrub_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    # listKeys / listConnectionStrings: [{"keyName": "key1", "value": "<the key>"}, ...]
    key_object = any(str(k).lower() in ("keyname", "name") for k in value) and any(
        str(k).lower() in ("permissions", "keyname") for k in value)
    out: dict[Any, Any] = {}
    for key, item in value.items():
        lowered = str(key).lower()
        if (lowered in _SECRET_KEYS or (key_object and lowered == "value")) and item not in (
                None, "", REDACTED):
            out[key] = REDACTED
        else:
            out[key] = _scrub_json(item)
    return out


def scrub_text(text: str) -> str:
    """Remove tokens, keys, passwords and connection strings from `text`. Idempotent.

    Secret-shaped values anywhere (scanner.redact), then, in a JSON body, every member
    named like a credential and the values of listKeys-shaped key lists.
    """
    text = redact(text)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            decoded = json.loads(text)
        except (ValueError, RecursionError):
            decoded = None
        if decoded is not None:
            scrubbed = _scrub_json(decoded)
            if scrubbed != decoded:
                return json.dumps(scrubbed)
            return text
    return _JSON_SECRET.sub(lambda m: f'"{m.group(1)}": "{REDACTED}"', text)


class IdMapper:
    """Replaces tenant and subscription GUIDs with stable stand-ins (optional scrubbing)."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._map: dict[str, str] = {}
        for number, value in enumerate(sorted({i.lower() for i in ids}), 1):
            self._map[value] = f"00000000-0000-0000-0000-{number:012d}"

    def __call__(self, text: str) -> str:
        if not self._map:
            return text
        return _GUID.sub(lambda m: self._map.get(m.group(0).lower(), m.group(0)), text)


def scrub_interaction(interaction: Interaction, ids: IdMapper | None = None) -> Interaction:
    """A copy of `interaction` with secrets (and optionally ids) removed. Idempotent."""
    def text(value: str) -> str:
        value = scrub_text(value)
        return ids(value) if ids else value

    def headers(values: dict[str, list[str]]) -> dict[str, list[str]]:
        return {k: [text(v) for v in vs] for k, vs in values.items()
                if k.lower() not in _SECRET_HEADERS}

    def body(value: bytes | None) -> bytes | None:
        if value is None:
            return None
        try:
            return text(value.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return b""  # binary payloads have no place in a compliance cassette

    return Interaction(
        method=interaction.method,
        uri=text(interaction.uri),
        request_body=body(interaction.request_body),
        request_headers=headers(interaction.request_headers),
        status=interaction.status,
        reason=interaction.reason,
        headers=headers(interaction.headers),
        body=body(interaction.body) or b"",
    )


def save_cassette(interactions: Iterable[Interaction], path: Path) -> None:
    """Write interactions as a vcrpy format-1 YAML cassette (owner-readable only)."""
    from vcr.request import Request
    from vcr.serialize import serialize
    from vcr.serializers import yamlserializer

    requests, responses = [], []
    for i in interactions:
        requests.append(Request(i.method, i.uri, i.request_body, i.request_headers))
        responses.append({
            "status": {"code": i.status, "message": i.reason},
            "headers": i.headers,
            "body": {"string": i.body},
        })
    text = serialize({"requests": requests, "responses": responses}, yamlserializer)
    from scanner.output_files import write_private

    write_private(path, text)


class RecordingTransport(HttpTransport):  # type: ignore[type-arg]
    """Passes requests to a live transport and keeps scrubbed copies of each exchange.

    Scrubbing happens as each exchange is captured, so no secret is ever held for
    writing; only reads pass the pipeline's guard before they reach this transport.
    """

    def __init__(self, inner: HttpTransport) -> None:  # type: ignore[type-arg]
        self.inner = inner
        self.interactions: list[Interaction] = []
        self._lock = threading.Lock()

    def send(self, request: Any, **kwargs: Any) -> Any:
        response = self.inner.send(request, **kwargs)
        body = response.read() if hasattr(response, "read") else response.body()
        captured = scrub_interaction(Interaction(
            method=request.method,
            uri=request.url,
            request_body=request_body(request),
            request_headers={k: [v] for k, v in request.headers.items()},
            status=response.status_code,
            reason=response.reason or "",
            headers={k: [v] for k, v in response.headers.items()},
            body=body,
        ))
        with self._lock:
            self.interactions.append(captured)
        return response

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> RecordingTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def sleep(self, duration: float) -> None:
        self.inner.sleep(duration)

    def save(self, path: Path, scrub_ids: Iterable[str] = ()) -> int:
        """Write what was recorded to `path`; returns the number of interactions."""
        mapper = IdMapper(scrub_ids) if scrub_ids else None
        with self._lock:
            items = [scrub_interaction(i, mapper) for i in self.interactions]
        save_cassette(items, path)
        return len(items)


