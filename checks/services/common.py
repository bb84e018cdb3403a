"""What the service families' rules share: their tags (how the framework file finds
them), the key-chain judgement, and the wording of absent CMK blocks."""

from __future__ import annotations

import checks.keychain  # noqa: F401 - installs the key-chain judgement CMK rules use

CMK = "cmk.at_rest"
"""A store encrypts its data at rest with a customer-managed key (step 2)."""
CMK_SERVICE = "cmk.service_scope"
"""A part of a store (tables, queues, encryption scopes) is under the store's
customer-managed key too (step 2)."""
PUBLIC_NETWORK = "exposure.public_network"
MIN_TLS = "transit.min_tls"
HTTPS_ONLY = "transit.https_only"
REPLICA_RESIDENCY = "residency.replica"
"""Where a service keeps copies (backups, replicas) is a US region (step 1)."""

MICROSOFT_MANAGED = ("Azure omits the encryption settings when the service encrypts with "
                     "its Microsoft-managed key")
PNA_DEFAULT_ENABLED = ("Azure omits publicNetworkAccess when it holds its default, Enabled "
                       "(the built-in policy treats a missing value as non-compliant)")
