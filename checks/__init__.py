"""The built-in CJIS checks, one module per service. Importing this package registers them."""

from checks import (  # noqa: F401 - imported for their @check registrations
    cmk_keys,
    compute,
    entra,
    entra_logs,
    intune,
    keyvault,
    monitor,
    policy,
    resources,
    retention,
    services,
    sql,
    ssp,
    storage,
)
