"""Signing in: DefaultAzureCredential pointed at the chosen cloud's authority."""

from __future__ import annotations

from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError

from scanner.azure.clouds import Cloud
from scanner.errors import CredentialError

SIGN_IN_HELP = (
    "cjis-scan signs in with DefaultAzureCredential. Use one of:\n"
    "  - a service principal: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET "
    "(or AZURE_CLIENT_CERTIFICATE_PATH)\n"
    "  - workload identity (AZURE_FEDERATED_TOKEN_FILE, set by AKS / GitHub OIDC)\n"
    "  - a managed identity (on an Azure VM, App Service, Container Apps, ...)\n"
    "  - the Azure CLI: `az login` (for US Government first\n"
    "    `az cloud set --name AzureUSGovernment`)\n"
    "The identity needs Reader on each subscription scanned (see README: permissions).\n"
    "To scan offline use --demo or --replay CASSETTE."
)


def live_credential(cloud: Cloud) -> TokenCredential:
    """A DefaultAzureCredential for `cloud`, checked by asking for an ARM token once.

    Raises `CredentialError` naming the ways to sign in when no credential works, so an
    expired `az login` fails in one clear line instead of as hundreds of 401s.
    """
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential(authority=cloud.authority_host)
    try:
        credential.get_token(cloud.arm_scope)
    except ClientAuthenticationError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CredentialError(
            f"could not sign in to Azure ({cloud.name}): {first_line}\n{SIGN_IN_HELP}"
        ) from None
    return credential


class StandInCredential:
    """A credential for replays: hands out a fixed, non-secret token and never calls Entra ID."""

    TOKEN = "replay-stand-in-token"

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """Return the stand-in token, valid for a day."""
        import time

        return AccessToken(self.TOKEN, int(time.time()) + 86400)

    def close(self) -> None:
        """Nothing to release."""
