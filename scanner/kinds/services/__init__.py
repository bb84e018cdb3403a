"""The service kinds: ARM types whose checks read a few declared fields, so their items
are `ServiceResource`s mapped from the JSON paths their declaration names. One module per
family of services; each module's `KINDS` is collected here by `pkgutil`, so adding a
family is adding its module.

Sources: ../shared/CMK-CATALOGUE.md (each type's list path, stable api-version, CMK
property, key location and Microsoft's built-in policy) and the published example bodies
named in each declaration's `example` (fixtures/azure-examples/).
"""

from __future__ import annotations

import importlib
import pkgutil

from scanner.kinds.base import Kind


def _collect() -> tuple[Kind, ...]:
    kinds: list[Kind] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        kinds.extend(getattr(module, "KINDS", ()))
    return tuple(kinds)


KINDS: tuple[Kind, ...] = _collect()
