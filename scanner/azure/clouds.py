"""The Azure clouds the scanner knows: endpoints, credential scopes and default profile."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CloudName(StrEnum):
    """Names accepted by `--cloud`."""

    commercial = "commercial"
    usgov = "usgov"
    usgov_dod = "usgov-dod"


@dataclass(frozen=True)
class Cloud:
    """Endpoints of one Azure cloud."""

    name: CloudName
    arm_endpoint: str
    graph_endpoint: str
    authority_host: str
    keyvault_suffix: str
    """DNS suffix of the cloud's Key Vault data plane: a vault is `https://<name>.<suffix>`
    and its token's audience is `https://<suffix>` (Learn, "About keys" data-plane endpoint
    base URL; Azure Government developer guide: `*.vault.usgovcloudapi.net`)."""

    @property
    def arm_scope(self) -> str:
        """OAuth scope of Azure Resource Manager in this cloud."""
        return f"{self.arm_endpoint}/.default"

    @property
    def graph_scope(self) -> str:
        """OAuth scope of Microsoft Graph in this cloud."""
        return f"{self.graph_endpoint}/.default"

    @property
    def keyvault_scope(self) -> str:
        """OAuth scope of the Key Vault data plane in this cloud (`--key-vault-data-plane`)."""
        return f"https://{self.keyvault_suffix}/.default"

    @property
    def arm_host(self) -> str:
        """Host name of the ARM endpoint."""
        return self.arm_endpoint.split("://", 1)[1]

    @property
    def graph_host(self) -> str:
        """Host name of the Microsoft Graph endpoint."""
        return self.graph_endpoint.split("://", 1)[1]


CLOUDS: dict[CloudName, Cloud] = {
    CloudName.commercial: Cloud(
        name=CloudName.commercial,
        arm_endpoint="https://management.azure.com",
        graph_endpoint="https://graph.microsoft.com",
        authority_host="login.microsoftonline.com",
        keyvault_suffix="vault.azure.net",
    ),
    CloudName.usgov: Cloud(
        name=CloudName.usgov,
        arm_endpoint="https://management.usgovcloudapi.net",
        graph_endpoint="https://graph.microsoft.us",
        authority_host="login.microsoftonline.us",
        keyvault_suffix="vault.usgovcloudapi.net",
    ),
    # Azure Government DoD (IL5 regions usdodeast / usdodcentral): the same ARM endpoint
    # and authority as Azure Government, but its own Microsoft Graph host. Microsoft
    # Learn, "National cloud deployments" (Microsoft Graph) and "Azure Government
    # developer guide" (endpoint mapping).
    CloudName.usgov_dod: Cloud(
        name=CloudName.usgov_dod,
        arm_endpoint="https://management.usgovcloudapi.net",
        graph_endpoint="https://dod-graph.microsoft.us",
        authority_host="login.microsoftonline.us",
        keyvault_suffix="vault.usgovcloudapi.net",
    ),
}


def get_cloud(name: str | CloudName) -> Cloud:
    """Return the cloud called `name` (`commercial`, `usgov` or `usgov-dod`)."""
    return CLOUDS[CloudName(name)]
