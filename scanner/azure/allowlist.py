"""The read-only guard's allow-list: the reads the scanner declares, and nothing else.

A request is judged on its canonical form (`canonical_path`): percent-decoded until it
no longer changes, case folded, repeated and trailing slashes collapsed. Azure routes
`list%4Beys`, `//listKeys/` and `LISTKEYS` to the same operation, so the guard must see
them as one. The canonical path must then match a declared read template of the host it
is sent to (ARM or Microsoft Graph of the scan's cloud), and no segment may name an
operation that returns secrets or credentials (listKeys, SAS, `secrets`, AKS
`accessProfiles`, `listCredential*` ...) even where a template's placeholder would let it.

Templates are paths with `{placeholder}` segments: `{resource_id}` stands for a whole
ARM resource id (`/subscriptions/s/resourceGroups/g/providers/ns/type/name[/type/name]...`),
any other placeholder for one segment. `AllowList.from_templates` takes any iterable of
them, so the declarations it is built from can move without touching the guard.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote, urlsplit

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_SEGMENT = r"[^/]+"
_RESOURCE_ID = (r"/subscriptions/[^/]+/resourcegroups/[^/]+/providers/[^/]+"
                r"(?:/[^/]+/[^/]+)+")
_MAX_DECODE_ROUNDS = 4

# Operations that hand out keys, SAS, secrets or credentials, whatever the verb: refused
# in any segment, so no template (or resource named to look like one) can let them by.
_SECRET_SEGMENT = re.compile(
    r"^(list\w*(keys?|sas|secrets?|credentials?|connectionstrings?|tokens?|passwords?)"
    r"|regenerate\w*|(get|generate)\w*sas\w*|\w*secrets?|accessprofiles?|\w*credentials?)$"
)

RESOURCE_GRAPH_QUERY = "/providers/Microsoft.ResourceGraph/resources"
"""The one POST: a Resource Graph query is a read sent as a body, at the provider root."""

KEY_VAULT_API_VERSION = "7.5"
"""The Key Vault data-plane version whose KeyAttributes carry `hsmPlatform` (7.5+)."""
KEY_VAULT_KEY_GET = "/keys/{key_name}"
"""The one Key Vault data-plane read (`--key-vault-data-plane`): a key's latest version,
its public part and attributes. No `/versions`, `/export`, `/release`, secrets,
certificates or storage: only this path, with only `api-version=7.5`, on a vault host."""
_VAULT_LABEL = r"[a-z][a-z0-9-]{1,22}[a-z0-9]"  # a vault name: 3-24 letters, digits, '-'


def is_vault_host(host: str, suffix: str) -> bool:
    """True for `<vault name>.<suffix>`: one vault-name label, then exactly the suffix."""
    return re.fullmatch(_VAULT_LABEL + re.escape("." + suffix.lower()), host.lower()) is not None


def canonical_path(url: str) -> str | None:
    """The path Azure will route `url` to, or None if it cannot be made canonical.

    Percent-decoded until stable (so `%254B` is `K` too), lower-cased, repeated slashes
    collapsed, trailing slash dropped. `.`/`..` segments, backslashes and control
    characters are refused (None): Azure or a proxy may resolve them differently.
    """
    path = urlsplit(url).path
    for _ in range(_MAX_DECODE_ROUNDS):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    else:
        return None
    if "\\" in path or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path) or "?" in path:
        return None
    path = re.sub(r"/{2,}", "/", path.lower()).rstrip("/") or "/"
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    return path


def refused_segment(path: str) -> str | None:
    """The segment of a canonical path that names a secret-returning operation, if any."""
    return next((s for s in path.split("/") if _SECRET_SEGMENT.match(s)), None)


def template_pattern(template: str) -> str:
    """The regular expression of one path template (over canonical paths)."""
    parts: list[str] = []
    position = 0
    template = re.sub(r"/{2,}", "/", template.lower()).rstrip("/")
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position:match.start()]))
        if match.group(1) == "resource_id":
            parts.append(_RESOURCE_ID)
        else:
            parts.append(_SEGMENT)
        position = match.end()
    parts.append(re.escape(template[position:]))
    return "".join(parts)


@dataclass(frozen=True)
class AllowList:
    """Declared reads per host: GET templates, and the POST templates (Resource Graph)."""

    get: dict[str, re.Pattern[str]]
    post: dict[str, re.Pattern[str]]
    vault_suffix: str | None = None
    """The cloud's Key Vault DNS suffix: `<vault>.<suffix>` hosts may get KEY_VAULT_KEY_GET."""

    @classmethod
    def from_templates(cls, hosts: dict[str, Iterable[str]],
                       post: dict[str, Iterable[str]] | None = None) -> AllowList:
        """Compile `{host: templates}` for GET (and for POST) into one pattern per host."""
        def compile_all(by_host: dict[str, Iterable[str]]) -> dict[str, re.Pattern[str]]:
            compiled = {}
            for host, templates in by_host.items():
                alternatives = sorted({template_pattern(t) for t in templates})
                compiled[host.lower()] = re.compile(
                    "^(?:" + "|".join(alternatives or ["(?!)"]) + ")$")
            return compiled

        return cls(get=compile_all(hosts), post=compile_all(post or {}))

    @property
    def hosts(self) -> frozenset[str]:
        """The hosts a request (and a bearer token) may go to."""
        return frozenset(self.get) | frozenset(self.post)

    def is_vault_host(self, host: str) -> bool:
        """True for `<vault name>.<the cloud's Key Vault suffix>` (one label, nothing else)."""
        return bool(self.vault_suffix) and is_vault_host(host, self.vault_suffix or "")

    def refusal(self, method: str, url: str) -> str | None:
        """Why `method url` may not be sent, or None when it is a declared read."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme.lower() != "https":
            return f"not HTTPS ({parts.scheme or 'no scheme'})"
        vault = self.is_vault_host(host)
        if (host not in self.hosts and not vault) or parts.port not in (None, 443):
            return f"host {parts.netloc or '(none)'} is not an Azure endpoint of this cloud"
        if parts.username or parts.password:
            return "credentials in the URL"
        path = canonical_path(url)
        if path is None:
            return "a path that cannot be made canonical (encoding, dot segments)"
        segment = refused_segment(path)
        if segment is not None:
            return f"{segment!r} returns keys, secrets or credentials"
        if vault:
            return self._vault_refusal(method, path, parts.query)
        table = {"GET": self.get, "POST": self.post}.get(method.upper())
        if table is None:
            return f"{method.upper()} is not a read"
        pattern = table.get(host)
        if pattern is None or not pattern.match(path):
            return f"{method.upper()} {path} is not a read cjis-scan declares"
        return None

    @staticmethod
    def _vault_refusal(method: str, path: str, query: str) -> str | None:
        """The Key Vault data plane: only GET KEY_VAULT_KEY_GET?api-version=7.5."""
        if method.upper() != "GET":
            return f"{method.upper()} is not a read (Key Vault data plane: GET of a key only)"
        if not re.fullmatch(template_pattern(KEY_VAULT_KEY_GET), path):
            return (f"GET {path} is not a read cjis-scan declares on the Key Vault data plane "
                    f"(only {KEY_VAULT_KEY_GET})")
        if query != f"api-version={KEY_VAULT_API_VERSION}":
            return (f"query {query!r}: the Key Vault read takes only "
                    f"api-version={KEY_VAULT_API_VERSION}")
        return None


class ReadPolicy(Protocol):
    """Anything that says why a request is refused (None: it is a declared read)."""

    def refusal(self, method: str, url: str) -> str | None: ...


ReadsProvider = Callable[[], tuple[list[str], list[str]]]
"""() -> (ARM GET templates, Microsoft Graph GET templates)."""
_PROVIDERS: list[ReadsProvider] = []


def declare_reads(provider: ReadsProvider) -> None:
    """Register where the declared reads come from (the collectors register theirs,
    `scanner.collectors.reads`, when they are imported): the plumbing takes the reads as
    data and imports no collector."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def declared_count() -> int:
    """How many providers have declared reads (the allow-list is rebuilt when it grows)."""
    return len(_PROVIDERS)


def declared_templates() -> tuple[list[str], list[str]]:
    """(ARM GET templates, Microsoft Graph GET templates) of every read declared so far.
    With nothing declared, nothing but the ARM root reads is allowed (fail closed)."""
    arm: list[str] = []
    graph: list[str] = []
    for provider in _PROVIDERS:
        more_arm, more_graph = provider()
        arm += more_arm
        graph += more_graph
    return arm, graph


def cloud_allowlist(arm_host: str, graph_host: str, graph_root: str = "/v1.0",
                    templates: tuple[Iterable[str], Iterable[str]] | None = None,
                    vault_suffix: str | None = None) -> AllowList:
    """The allow-list of one cloud: ARM and Resource Graph on `arm_host`, Graph on its own,
    and (with `vault_suffix`) the one key GET on the cloud's vault hosts."""
    arm, graph = templates or declared_templates()
    allowlist = AllowList.from_templates(
        {arm_host: arm, graph_host: [graph_root + path for path in graph]},
        post={arm_host: [RESOURCE_GRAPH_QUERY]},
    )
    return AllowList(allowlist.get, allowlist.post, vault_suffix=vault_suffix)
