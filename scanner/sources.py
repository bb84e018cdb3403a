"""Where an inventory comes from: a live tenant, a cassette replay, the demo, or a file."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scanner.azure.clients import ClientFactory, Transport, live_transport
from scanner.azure.clouds import get_cloud
from scanner.azure.credentials import StandInCredential, live_credential
from scanner.azure.throttle import ReadBudget
from scanner.collectors.runner import ProgressCallback, collect
from scanner.errors import UsageError
from scanner.inventory import Inventory
from scanner.recording import RecordingTransport
from scanner.replay import CassetteTransport, demo_cassette


@dataclass(frozen=True)
class Source:
    """One of --demo, --replay FILE, --inventory FILE, or a live tenant."""

    demo: bool = False
    replay: Path | None = None
    inventory: Path | None = None

    def __post_init__(self) -> None:
        chosen = [name for name, value in (("--demo", self.demo), ("--replay", self.replay),
                                           ("--inventory", self.inventory)) if value]
        if len(chosen) > 1:
            raise UsageError(f"choose one of {', '.join(chosen)}")

    @property
    def label(self) -> str:
        """How reports name the source."""
        if self.demo:
            return "demo"
        if self.replay:
            return f"replay:{self.replay.name}"
        if self.inventory:
            return f"inventory:{self.inventory.name}"
        return "live"


def cloud_override_warning(cloud: str) -> str | None:
    """A warning when AZURE_SDK_CLOUD_CONF would silently point SDK clients elsewhere."""
    value = os.environ.get("AZURE_SDK_CLOUD_CONF")
    if value:
        return (f"AZURE_SDK_CLOUD_CONF={value} is set; cjis-scan passes the {cloud} endpoints "
                f"explicitly, but unset it to be sure every client talks to the same cloud")
    return None


def load_inventory(
    source: Source,
    cloud: str,
    subscriptions: list[str],
    concurrency: int,
    progress: ProgressCallback | None = None,
    recorder: Callable[[RecordingTransport, Inventory | None], None] | None = None,
    inventory_source: str = "arm",
    kinds: set[str] | None = None,
    wrap_transport: Callable[[Transport], Transport] | None = None,
    key_vault_data_plane: bool = False,
) -> Inventory:
    """Collect (or read) the inventory the source names.

    `inventory_source` picks where the bulk kinds come from (`arm`, `graph`, `auto`).
    `kinds` narrows the collection (None: every kind); `wrap_transport` wraps the
    transport every request goes through (`--debug` logs them).
    `key_vault_data_plane` adds each vault HSM key's `hsmPlatform` (opt-in data-plane read).
    """
    wrap = wrap_transport or (lambda t: t)  # ux: hooks for narrowed scans and --debug
    if source.inventory:
        return Inventory.load(source.inventory)
    cloud_info = get_cloud(cloud)
    if source.demo or source.replay:
        path = demo_cassette() if source.demo else source.replay
        assert path is not None
        replay = CassetteTransport.from_file(path)
        # Nothing reaches Azure in a replay: no read budget to wait for.
        factory = ClientFactory(cloud_info, StandInCredential(), wrap(replay),
                                ReadBudget(enabled=False))
        return _named(factory, collect(factory, subscriptions, concurrency, progress=progress,
                                       source=source.label, inventory_source=inventory_source,
                                       kinds=kinds), kinds, key_vault_data_plane)
    credential = live_credential(cloud_info)
    inner = live_transport(concurrency)
    recording = RecordingTransport(inner) if recorder else None
    transport: Transport = recording or inner
    inventory: Inventory | None = None
    try:
        factory = ClientFactory(cloud_info, credential, wrap(transport))
        inventory = _named(factory, collect(factory, subscriptions, concurrency,
                                            progress=progress,
                                            inventory_source=inventory_source, kinds=kinds),
                           kinds, key_vault_data_plane)
    finally:
        # Saved even when the collection stopped part-way (secrets are scrubbed on capture;
        # ids only when the inventory says which ones to replace).
        if recorder and recording is not None:
            recorder(recording, inventory)
        inner.close()
    return inventory


def _named(factory: ClientFactory, inventory: Inventory, kinds: set[str] | None,
           key_vault_data_plane: bool = False) -> Inventory:
    """ux (issue 14): the key stores' principals named through Microsoft Graph, in a full
    collection or one that asks for them (scanner.directory); with `key_vault_data_plane`,
    each vault HSM key's hsmPlatform first (scanner.collectors.key_vault_data_plane)."""
    from scanner.directory import resolve_inventory
    from scanner.directory_model import COLLECTOR

    if key_vault_data_plane:
        from scanner.collectors.key_vault_data_plane import read_hsm_platforms

        inventory = read_hsm_platforms(factory, inventory)
    if kinds is not None and COLLECTOR not in kinds:
        return inventory

    named: Inventory = resolve_inventory(factory, inventory)
    return named
