"""`cjis-scan doctor`: before a long scan, is every permission in place?

Signs in, then makes one read of each kind the scan would make, first page only: each
ARM list in each subscription in scope (the Reader role), each Microsoft Graph read (each
application permission), and one Resource Graph query. For every read refused it names
the permission that fixes it and the checks it would make `unknown`, derived from the
checks' own metadata (`kinds` and `needs`). Reads only, through the same guarded
pipeline as a scan; it takes seconds, whatever the tenant's size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from azure.core.exceptions import HttpResponseError

from scanner import gate
from scanner.azure.clients import ClientFactory
from scanner.collectors.runner import READ_FAILURES, Task, collection_error
from scanner.errors import CredentialError
from scanner.graph_kinds import APP_PROTECTION
from scanner.registry import Registry


@dataclass(frozen=True)
class Probe:
    """One read the scan depends on, and what came of it."""

    area: str
    """`sign-in`, `Azure Resource Manager`, `Microsoft Graph` or `Resource Graph`."""
    what: str
    scope: str
    ok: bool
    detail: str = ""
    """The HTTP status and Azure's error code of a refused read."""
    remedy: str = ""
    unknown: tuple[str, ...] = ()
    """Checks this gap would make `unknown`."""


@dataclass
class Diagnosis:
    """Every probe of one `doctor` run."""

    probes: list[Probe] = field(default_factory=list)

    @property
    def missing(self) -> list[Probe]:
        """The probes that failed."""
        return [p for p in self.probes if not p.ok]

    @property
    def exit_code(self) -> int:
        """0 when every read works; 3 when a scan would be incomplete (as its exit code)."""
        return 3 if self.missing else 0


def checks_reading(registry: Registry, collector: str, kind: str | None = None) -> tuple[str, ...]:
    """Ids of the checks that declare reading this collector (or its kind): `kinds`,
    `needs` or `needs_anywhere` (scanner.gate.declared_reads), as the narrowing does."""
    names = {collector, kind} - {None}
    return tuple(sorted(c.id for c in registry.checks.values()
                        if not names.isdisjoint(gate.declared_reads(c.meta))))


def _probe(area: str, what: str, scope: str, read: Callable[[], Any], remedy: str,
           collector: str, unknown: tuple[str, ...]) -> Probe:
    try:
        read()
    except READ_FAILURES as exc:
        error = collection_error(Task(collector, scope, lambda c: None, remedy), exc)
        detail = " ".join(p for p in (f"HTTP {error.status}" if error.status else "",
                                      error.code or "") if p) or "no response"
        return Probe(area, what, scope, False, detail, error.remedy or remedy, unknown)
    return Probe(area, what, scope, True)


def sign_in(factory: ClientFactory) -> Probe:
    """A token for Azure Resource Manager (the credential chain works)."""
    try:
        factory.credential.get_token(factory.cloud.arm_scope)
    except Exception as exc:  # noqa: BLE001 - any credential failure is "cannot sign in"
        raise CredentialError(f"could not sign in to {factory.cloud.name.value}: "
                              f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                              ) from None
    return Probe("sign-in", "a token for Azure Resource Manager", "/", True)


def diagnose(factory: ClientFactory, subscriptions: list[str], registry: Registry,
             key_vault_data_plane: bool = False) -> Diagnosis:
    """Probe every read a scan of `subscriptions` (empty: all readable) depends on (and,
    with `key_vault_data_plane`, one vault's data plane)."""
    from scanner.azure.arm import JsonReader
    from scanner.azure.graph import graph_reader
    from scanner.collectors import entra
    from scanner.collectors.specs import READER, SPECS, SUBSCRIPTIONS_API

    diagnosis = Diagnosis([sign_in(factory)])
    arm = JsonReader(factory, factory.cloud.arm_endpoint, factory.cloud.arm_scope)
    in_scope = [s.lower() for s in subscriptions]
    if not in_scope:
        found: list[str] = []

        def list_subscriptions() -> None:
            found.extend(str(s.get("subscriptionId", "")).lower()
                         for s in arm.list("/subscriptions", SUBSCRIPTIONS_API))

        probe = _probe("Azure Resource Manager", "list the subscriptions", "/",
                       list_subscriptions, f"{READER} on at least one subscription",
                       "subscriptions", ())
        diagnosis.probes.append(probe)
        in_scope = sorted(s for s in found if s)
    named = bool(subscriptions)
    pages: dict[str, list[Any]] = {}
    for subscription in in_scope:
        scope = f"/subscriptions/{subscription}"
        if named:  # listed ones are readable already
            diagnosis.probes.append(_probe(
                "Azure Resource Manager", "read the subscription", scope,
                partial(arm.get, scope, SUBSCRIPTIONS_API), READER, "subscriptions",
                ("every check of this subscription",)))
        for spec in SPECS:
            collector = spec.error_name
            read = partial(_keep, pages, spec.name,
                           partial(arm.get, spec.url(subscription), spec.api_version))
            diagnosis.probes.append(_probe(
                "Azure Resource Manager", f"list {spec.name.replace('_', ' ')}", scope, read,
                spec.remedy, collector, checks_reading(registry, collector, spec.name)))
    graph = graph_reader(factory)
    scope = entra.tenant_scope(factory.tenant_id)
    paths = {**entra.PATHS, APP_PROTECTION: entra.APP_PROTECTION_PATHS[0]}
    for collector, path in paths.items():
        diagnosis.probes.append(_probe(
            "Microsoft Graph", f"read {path.split('?')[0]}", scope,
            partial(_graph_get, graph, path), entra.REMEDIES[collector], collector,
            checks_reading(registry, collector)))
    # monitor (issue 11): Entra ID's own diagnostic settings, an ARM read an Entra role grants.
    from scanner.collectors import aad_diagnostics as aad

    diagnosis.probes.append(_probe(
        "Azure Resource Manager", "read Microsoft Entra ID's diagnostic settings", scope,
        partial(arm.get, aad.AAD_DIAGNOSTICS_PATH, aad.AAD_DIAGNOSTICS_API), aad.REMEDY,
        aad.AAD_DIAGNOSTICS_COLLECTOR, checks_reading(registry, aad.AAD_DIAGNOSTICS_COLLECTOR)))
    principal = next((str(a.get("properties", {}).get("principalId") or "")
                      for page in pages.get("role_assignments", []) for a in page.get("value", [])
                      if isinstance(a, dict) and a.get("properties", {}).get("principalId")),
                     None)
    if principal:
        from scanner.directory import REMEDY
        from scanner.directory_model import COLLECTOR

        diagnosis.probes.append(_probe(
            "Microsoft Graph", "read a key administrator's name (/directoryObjects/{id})",
            scope, partial(_graph_get, graph, f"/directoryObjects/{principal}"), REMEDY,
            COLLECTOR, ("none: the audit packet's key administrators are named unknown",)))
    if key_vault_data_plane:
        diagnosis.probes.extend(_key_vault_probe(factory, arm, pages.get("key_vaults", [])))
    if in_scope:
        diagnosis.probes.append(_probe(
            "Resource Graph", "query Resources (for --source graph or auto)", "/",
            lambda: _resource_graph_page(factory, in_scope),
            f"{READER} (Resource Graph returns only what Reader can read)", "resource_graph",
            ("none with --source arm (the default); the bulk inventory with --source graph",)))
    return diagnosis


def _key_vault_probe(factory: ClientFactory, arm: Any, vault_pages: list[Any]) -> list[Probe]:
    """vault (issue 14 item 12): one key GET on one premium vault's data plane (the role
    and the network path `--key-vault-data-plane` needs); none when no vault has a key."""
    from scanner.collectors import key_vault_data_plane as kv

    try:
        target = kv.probe_target(arm, vault_pages, factory.cloud.keyvault_suffix)
    except READ_FAILURES:
        target = None  # the vault's key list: its own ARM probe says why
    if target is None:
        return []
    vault_id, base_url, name = target
    return [_probe("Key Vault data plane", f"read key {name}'s hsmPlatform ({base_url})",
                   vault_id, partial(kv.read_key, factory, base_url, name), kv.REMEDY,
                   kv.COLLECTOR, kv.UNKNOWN_WITHOUT)]


def _keep(pages: dict[str, list[Any]], kind: str, read: Callable[[], Any]) -> Any:
    """Run `read` and keep its page (the doctor names a principal from a role assignment)."""
    page = read()
    pages.setdefault(kind, []).append(page)
    return page


def _graph_get(graph: Any, path: str) -> Any:
    try:
        return graph.get(path)
    except HttpResponseError as exc:
        from scanner.collectors.entra import intune_not_provisioned

        if intune_not_provisioned(exc):
            return None  # a tenant without Intune: readable, and judged as such
        raise


def _resource_graph_page(factory: ClientFactory, subscriptions: list[str]) -> Any:
    from scanner.collectors.resource_graph import CLIENT, query_request

    module, _, name = CLIENT.partition(":")
    import importlib

    client = factory.mgmt(getattr(importlib.import_module(module), name))
    return client.resources(query_request(subscriptions))


def factory_for(demo: bool, replay: Any, cloud: str) -> tuple[ClientFactory, Any]:
    """The client factory of a live tenant, or of a replay (no socket, no budget), and the
    transport to close afterwards."""
    from scanner.azure.clients import live_transport
    from scanner.azure.clouds import get_cloud
    from scanner.azure.credentials import StandInCredential, live_credential
    from scanner.azure.throttle import ReadBudget
    from scanner.replay import CassetteTransport, demo_cassette

    cloud_info = get_cloud(cloud)
    if demo or replay:
        transport: Any = CassetteTransport.from_file(demo_cassette() if demo else replay)
        return ClientFactory(cloud_info, StandInCredential(), transport,
                             ReadBudget(enabled=False)), transport
    transport = live_transport(4)
    return ClientFactory(cloud_info, live_credential(cloud_info), transport), transport


def render(diagnosis: Diagnosis, console: Any) -> None:
    """Print the diagnosis: each area's reads, then each gap with its fix and its cost."""
    from rich.text import Text

    by_area: dict[str, list[Probe]] = {}
    for probe in diagnosis.probes:
        by_area.setdefault(probe.area, []).append(probe)
    for area, probes in by_area.items():
        ok = sum(p.ok for p in probes)
        console.print(Text.assemble((area, "bold"), f": {ok} of {len(probes)} reads work"))
    missing = diagnosis.missing
    if not missing:
        console.print(Text("Every permission the scan needs is in place.", "green"))
        return
    console.print(Text())
    console.print(Text(f"{len(missing)} read(s) refused: a scan would report these as "
                       "unknown (never as a pass)", "bold yellow"))
    for probe in missing:
        console.print(Text.assemble(
            "- ", (probe.what, "bold"), f" at {probe.scope} ({probe.detail})\n",
            "  fix: ", probe.remedy, "\n",
            "  would make unknown: ", ", ".join(probe.unknown) or "no check"))
