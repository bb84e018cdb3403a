"""App Service and Azure Functions (`Microsoft.Web/sites`, CMK-CATALOGUE row 12).

The site keeps no key: its CMK state is not assessable through ARM (coverage says
"attest"; the content lives in the storage account behind it, judged there), so no CMK
check judges it and it is not a store of its own. HTTPS-only and public network access
are on the site; the minimum TLS version is on its `config/web` child, one GET per site.
"""

from __future__ import annotations

from scanner.kinds.base import Detail, Kind

KINDS = (
    Kind("web_sites", "Microsoft.Web/sites", "2025-03-01", "App Service / Functions app",
         gated=True,
         fields={"https_only": "properties.httpsOnly",
                 "public_network_access": "properties.publicNetworkAccess",
                 "hosting_environment_id": "properties.hostingEnvironmentProfile.id"},
         details=(Detail("config_web", "/config/web",
                         {"min_tls_version": "properties.minTlsVersion"},
                         example="azure-examples/web/site_config_web_get.json"),),
         logs="", holds_data=False, example="azure-examples/web/site_get.json"),
)
