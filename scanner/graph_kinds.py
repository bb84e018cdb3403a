"""The names of the Microsoft Graph reads: inventory kinds, as `CollectionError.collector`.

The Graph collectors (scanner.collectors.entra) record their reads and errors under
these names, and checks name them in `needs` and `was_read`. They live in the inventory
layer so that checks can name them without importing a collector or the Azure SDK.
"""

from __future__ import annotations

ENTRA_KIND = "entra"
"""The key of `Collection.lists` the Graph tasks store their partial inventories under."""

AUTH_METHODS = "entra_auth_methods"
CA_POLICIES = "entra_ca_policies"
AUTH_STRENGTHS = "entra_auth_strengths"
ROLE_DEFINITIONS = "entra_role_definitions"
COMPLIANCE_POLICIES = "intune_compliance_policies"
APP_PROTECTION = "intune_app_protection"
DEVICE_OVERVIEW = "intune_device_overview"
COLLECTORS = (
    AUTH_METHODS,
    CA_POLICIES,
    AUTH_STRENGTHS,
    ROLE_DEFINITIONS,
    COMPLIANCE_POLICIES,
    APP_PROTECTION,
    DEVICE_OVERVIEW,
)
"""Every Graph read, in the order the collectors submit them."""
