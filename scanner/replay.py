"""Replay and recording of Azure HTTP traffic in vcrpy's cassette format.

Replays are served by an azure-core `HttpTransport` of our own instead of vcrpy's socket
patching: vcrpy briefly un-patches sockets and is not thread-safe (vcrpy issue #212), so
under a thread pool it lets requests reach the real Azure. This transport never opens a
socket, whatever the concurrency. The file format is vcrpy's own (read and written with
vcrpy's serializer), so any cassette vcrpy can play is accepted, and ours play in vcrpy.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.utils import case_insensitive_dict

from scanner.errors import InputFileError, UnservedRead
from scanner.redact import REDACTED, redact

# Query parameters ignored when matching: the SDK picks api-version (and rewrites it inside
# nextLinks), so a cassette recorded with another SDK release still plays.
_IGNORED_QUERY = frozenset({"api-version"})
_RESOURCE_GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"


class CassetteMiss(UnservedRead):
    """A request that the cassette has no (unplayed) interaction for.

    Deliberately not an AzureError: the SDK's retry policy must not retry it; the
    collectors record it (as every `UnservedRead`) as an inventory error for the scope.
    """

    code = "CassetteMiss"
    remedy = "record the tenant again (cjis-scan record) or add this request to the cassette"

    def __init__(self, method: str, url: str) -> None:
        self.method = method
        self.url = url
        super().__init__(f"no recorded response for {method} {_strip_api_version(url)}")


def _strip_api_version(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(f"{k}={v}" for k, v in parse_qsl(parts.query) if k not in _IGNORED_QUERY)
    return parts.path + (f"?{query}" if query else "")


def match_key(method: str, url: str, body: bytes | str | None) -> tuple[Any, ...]:
    """What two requests must share to be the same interaction.

    Method, scheme, host and port; path case-insensitively with repeated slashes
    collapsed; query parameters without api-version, order-free; and for Resource
    Graph queries the JSON body (its paging token travels there).
    """
    parts = urlsplit(url)
    path = re.sub(r"/{2,}", "/", parts.path).lower().rstrip("/")
    query = tuple(sorted((k, v) for k, v in parse_qsl(parts.query) if k not in _IGNORED_QUERY))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    body_key: Any = None
    if method.upper() == "POST" and path.endswith(_RESOURCE_GRAPH_PATH):
        body_key = _canonical_json(body)
    return (method.upper(), parts.scheme, (parts.hostname or "").lower(), port, path, query,
            body_key)


def _canonical_json(body: bytes | str | None) -> str | None:
    if body is None:
        return None
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return text


@dataclass
class Interaction:
    """One recorded request and its response."""

    method: str
    uri: str
    request_body: bytes | None
    request_headers: dict[str, list[str]]
    status: int
    reason: str
    headers: dict[str, list[str]]
    body: bytes
    played: bool = False

    @property
    def key(self) -> tuple[Any, ...]:
        return match_key(self.method, self.uri, self.request_body)


def _as_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if hasattr(value, "getvalue"):  # vcrpy may store a BytesIO request body
        return bytes(value.getvalue())
    return str(value).encode("utf-8")


def _decode_body(body: bytes, headers: dict[str, list[str]]) -> tuple[bytes, dict[str, list[str]]]:
    """Undo Content-Encoding that a recorder kept, so the SDK gets plain JSON."""
    encoding = next((v[0] for k, v in headers.items() if k.lower() == "content-encoding" and v), "")
    if encoding in ("gzip", "deflate") and body:
        try:
            body = gzip.decompress(body) if encoding == "gzip" else zlib.decompress(body)
        except (OSError, zlib.error):
            return body, headers
        headers = {k: v for k, v in headers.items() if k.lower() != "content-encoding"}
    return body, headers


def load_interactions(path: Path) -> list[Interaction]:
    """Read a vcrpy cassette (YAML or JSON, format version 1) into interactions.

    Raises `InputFileError` with the file and the problem when it is not a cassette.
    """
    from vcr.serialize import deserialize
    from vcr.serializers import jsonserializer, yamlserializer

    from scanner.input_files import DECODE_FAILURES, problem, read_text

    text = read_text(path, "cassette")
    serializer = jsonserializer if path.suffix.lower() == ".json" else yamlserializer
    try:
        loaded = deserialize(text, serializer)
        requests, responses = loaded[0], loaded[1]
        pairs = list(zip(requests, responses, strict=True))
    except (KeyError, AttributeError, *DECODE_FAILURES) as exc:
        raise InputFileError(f"{path} is not a vcrpy cassette: {problem(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - yaml/json parser errors have no common base
        raise InputFileError(
            f"{path} is not a valid cassette: {problem(exc)}") from None
    interactions: list[Interaction] = []
    for number, (request, response) in enumerate(pairs, 1):
        try:
            interactions.append(_interaction(request, response))
        except (KeyError, AttributeError, *DECODE_FAILURES) as exc:
            raise InputFileError(
                f"{path}: interaction {number} is malformed ({problem(exc)})") from None
    return interactions


def _interaction(request: Any, response: Any) -> Interaction:
    """One cassette entry, every field checked for its type (raises on a malformed one)."""
    status = response["status"]
    headers = {str(k): [str(x) for x in (v if isinstance(v, list) else [v])]
               for k, v in (response.get("headers") or {}).items()}
    body, headers = _decode_body(_as_bytes(response["body"]["string"]) or b"", headers)
    if not isinstance(request.method, str) or not isinstance(request.uri, str):
        raise TypeError("the request's method and uri must be strings")
    code = status["code"]
    if isinstance(code, bool) or not isinstance(code, int | str) or not 100 <= int(code) <= 599:
        raise ValueError(f"status code {str(code)[:20]!r} is not an HTTP status")
    interaction = Interaction(
        method=request.method,
        uri=request.uri,
        request_body=_as_bytes(request.body),
        request_headers={str(k): [str(x) for x in v] if isinstance(v, list) else [str(v)]
                         for k, v in dict(request.headers).items()},
        status=int(code),
        reason=str(status.get("message", "")),
        headers=headers,
        body=body,
    )
    interaction.key  # noqa: B018 - a uri urlsplit cannot read (bad port, bracket) fails here
    return interaction


def _request_body(request: Any) -> bytes | None:
    content = getattr(request, "content", None)
    if content is None:
        content = getattr(request, "body", None)
    if isinstance(content, dict | list):
        return json.dumps(content).encode("utf-8")
    return _as_bytes(content)


class _NoConnection:
    """Stands where a socket-backed response would be: there is nothing to close."""

    def close(self) -> None:
        pass


def _make_response(request: Any, status: int, reason: str, headers: dict[str, list[str]],
                   body: bytes) -> HttpResponseImpl:
    flat = case_insensitive_dict({k: ", ".join(v) for k, v in headers.items()})
    response = HttpResponseImpl(
        request=request,
        internal_response=_NoConnection(),
        status_code=status,
        reason=reason,
        headers=flat,
        content_type=flat.get("Content-Type"),
        stream_download_generator=None,
    )
    response._content = body  # noqa: SLF001 - the body is already in memory
    response._is_stream_consumed = True  # noqa: SLF001
    return response


@dataclass
class RequestLog:
    """Every request a transport saw, for tests and the request-count note."""

    entries: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, url: str) -> None:
        with self.lock:
            self.entries.append((method, url))

    def methods(self) -> Counter[str]:
        return Counter(method for method, _ in self.entries)


class CassetteTransport(HttpTransport):  # type: ignore[type-arg]
    """Serves requests from a cassette; thread-safe and socket-free.

    Each interaction plays once, in recorded order among identical requests (so a
    recorded 429 is followed by its 200). A request with no unplayed match raises
    `CassetteMiss`. `latency` adds a fixed delay per request (benchmarks);
    `sleep` (retry back-off) returns at once, so replays of throttling stay fast.
    """

    def __init__(self, interactions: Iterable[Interaction], latency: float = 0.0) -> None:
        self._by_key: dict[tuple[Any, ...], list[Interaction]] = {}
        for interaction in interactions:
            self._by_key.setdefault(interaction.key, []).append(interaction)
        self._lock = threading.Lock()
        self.latency = latency
        self.log = RequestLog()

    @classmethod
    def from_file(cls, path: Path, latency: float = 0.0) -> CassetteTransport:
        """A transport over the cassette at `path`."""
        return cls(load_interactions(path), latency=latency)

    def send(self, request: Any, **kwargs: Any) -> HttpResponseImpl:
        method, url = request.method, request.url
        self.log.add(method, url)
        key = match_key(method, url, _request_body(request))
        with self._lock:
            candidates = self._by_key.get(key, [])
            interaction = next((i for i in candidates if not i.played), None)
            if interaction is None:
                raise CassetteMiss(method, url)
            interaction.played = True
        if self.latency:
            time.sleep(self.latency)
        return _make_response(request, interaction.status, interaction.reason,
                              interaction.headers, interaction.body)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> CassetteTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def sleep(self, duration: float) -> None:
        """Retry back-off costs nothing in a replay."""


# --- recording --------------------------------------------------------------------------

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
            request_body=_request_body(request),
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


def demo_cassette() -> Path:
    """The bundled demo tenant: package data in a wheel, `fixtures/demo` in a checkout."""
    from importlib.resources import files

    packaged = Path(str(files("scanner"))) / "_demo" / "tenant.yaml"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "tenant.yaml"
