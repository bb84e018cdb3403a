"""Data checks of the service kinds (scanner/kinds/services), one module per family.

Each is a `rule()`: conditions on declared fields that cite the built-in Azure Policy
definition they judge as. Importing this package registers every family's rules.
"""

from __future__ import annotations

import importlib
import pkgutil

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_info.name}")
