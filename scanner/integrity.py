"""Evidence integrity: when the evidence judged was collected, and the digest of the input.

Reports state both beside the judging time, so an assessor can tell a fresh collection
from an old cassette or a saved inventory judged again, and can check that the file
judged is the file archived.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from scanner.inventory import Inventory
from scanner.report import ScanResult
from scanner.sources import Source


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_file(source: Source) -> Path | None:
    """The cassette or inventory file a scan judged (None for a live collection)."""
    if source.demo:
        from scanner.replay import demo_cassette

        return demo_cassette()
    return source.replay or source.inventory


def annotate(result: ScanResult, source: Source, inventory: Inventory) -> None:
    """Set the result's collection time and input digest.

    A replay's evidence was collected when its cassette was recorded, which cassettes do
    not say: its collection time is left unknown rather than shown as the replay's.
    """
    replayed = source.demo or source.replay is not None
    result.meta.collected_at = None if replayed else inventory.collected_at
    path = input_file(source)
    result.meta.input_sha256 = sha256_file(path) if path is not None else None


def is_saved_inventory(source_label: str) -> bool:
    """True when the scan judged a saved inventory (not collected by this run)."""
    return source_label.startswith("inventory:")
