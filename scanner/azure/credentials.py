"""Signing in: DefaultAzureCredential pointed at the chosen cloud's authority.

Three guarantees on top of azure-identity:
- it never hangs: each sign-in request has connect and read timeouts of seconds, and a
  token request as a whole gives up after SIGN_IN_DEADLINE_SECONDS (a proxy that accepts
  and never answers held a scan silent for 20 minutes);
- one message: which credential was tried and why it failed (the AADSTS code and text
  Entra ID returned), instead of azure-identity's multi-line warnings;
- one token per audience: fetched once and shared by every worker (`SharedTokenCredential`;
  the token endpoint was asked once per concurrent worker and throttles that).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import queue
import threading
import time
import uuid
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError

from scanner.azure.clouds import Cloud
from scanner.errors import CredentialError

SIGN_IN_CONNECT_TIMEOUT_SECONDS = 5.0
SIGN_IN_READ_TIMEOUT_SECONDS = 10.0
SIGN_IN_DEADLINE_SECONDS = 60.0
"""A token request (every credential of the chain, their retries) gives up after this."""
_REFRESH_MARGIN_SECONDS = 300
"""A cached token this close to expiry is fetched again."""

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


def token_tenant(token: str) -> str | None:
    """The tenant an access token was issued for: its `tid` claim, lower-cased.

    Read, not verified: it only names the tenant scope of tenant-wide findings when no
    subscription could be listed (their fingerprints must not depend on that read), and
    grants nothing. None for a token that is not a JWT or carries no GUID `tid`.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    tid = claims.get("tid") if isinstance(claims, dict) else None
    if not isinstance(tid, str):
        return None
    try:
        return str(uuid.UUID(tid))  # the GUID as ARM spells a tenantId: lower case
    except ValueError:
        return None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0][:400] if lines else ""


def _short_reason(why: str) -> str:
    """`EnvironmentCredential authentication unavailable. Environment variables are not
    fully configured.` -> `Environment variables are not fully configured`."""
    sentences = [s.strip(" .") for s in why.split(". ") if s.strip(" .")]
    useful = [s for s in sentences if "unavailable" not in s.lower()] or sentences
    return useful[0][:100] if useful else "unavailable"


class _Attempts:
    """What the credential chain tried, in order: (credential, outcome) as it happens."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: str | None = None
        self.outcomes: list[tuple[str, str, bool]] = []
        """(credential, first line of its error, True when it was unavailable)."""

    def summary(self, error: BaseException) -> str:
        """The one line naming what was tried: the failure that stopped the chain, or
        (when none applied) each credential and why it was unavailable."""
        with self.lock:
            failed = [(name, why) for name, why, unavailable in self.outcomes if not unavailable]
            if failed:
                name, why = failed[-1]
                return f"{name} failed: {why}"
            if self.outcomes:
                return "no sign-in method applied: " + "; ".join(
                    f"{name} ({_short_reason(why)})" for name, why, _ in self.outcomes)
            return _first_line(getattr(error, "message", None) or str(error))


class _Traced:
    """A credential of the chain that reports to `_Attempts` what it is doing."""

    def __init__(self, inner: Any, attempts: _Attempts) -> None:
        self._inner = inner
        self._attempts = attempts
        self._credential_name = getattr(inner, "_credential_name", type(inner).__name__)

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.identity import CredentialUnavailableError

        with self._attempts.lock:
            self._attempts.current = self._credential_name
        try:
            token: AccessToken = self._inner.get_token(*scopes, **kwargs)
            return token
        except CredentialUnavailableError as exc:
            self._record(exc, unavailable=True)
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, then raised unchanged
            self._record(exc, unavailable=False)
            raise

    def _record(self, exc: Exception, unavailable: bool) -> None:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        with self._attempts.lock:
            self._attempts.outcomes.append((self._credential_name, _first_line(message),
                                            unavailable))

    def __getattr__(self, name: str) -> Any:
        if name == "get_token_info":  # the chain must call get_token (traced) on us
            raise AttributeError(name)
        return getattr(self._inner, name)


class SharedTokenCredential:
    """One token per audience, fetched once and shared by every worker.

    Each fetch runs with a deadline (a stalled sign-in cannot hold the scan), and a
    failed fetch is remembered: every later request for that audience fails at once
    with the same one-line cause instead of asking Entra ID again per worker.
    """

    def __init__(self, inner: TokenCredential, deadline_seconds: float = SIGN_IN_DEADLINE_SECONDS,
                 attempts: _Attempts | None = None, authority: str = "") -> None:
        self._inner = inner
        self._deadline = deadline_seconds
        self._attempts = attempts or _Attempts()
        self._authority = authority
        self._lock = threading.Lock()
        self._locks: dict[tuple[str, ...], threading.Lock] = {}
        self._tokens: dict[tuple[str, ...], AccessToken] = {}
        self._failures: dict[tuple[str, ...], ClientAuthenticationError] = {}
        self.fetches = 0
        """Token requests sent to the inner credential (what the endpoint saw)."""

    def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                  **kwargs: Any) -> AccessToken:
        """A cached token for `scopes`, or one fetched (once, whatever the concurrency)."""
        key = (*sorted(scopes), tenant_id or "", claims or "")
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            token = self._tokens.get(key)
            if token and token.expires_on - _REFRESH_MARGIN_SECONDS > time.time():
                return token
            if key in self._failures:
                raise self._failures[key]
            try:
                token = self._fetch(scopes, claims=claims, tenant_id=tenant_id, **kwargs)
            except ClientAuthenticationError as exc:
                self._failures[key] = exc
                raise
            self._tokens[key] = token
            return token

    @property
    def tenant_id(self) -> str | None:
        """The tenant of the tokens fetched so far (their `tid`), if one says."""
        with self._lock:
            tokens = list(self._tokens.values())
        return next((tid for t in tokens if (tid := token_tenant(t.token))), None)

    def _fetch(self, scopes: tuple[str, ...], **kwargs: Any) -> AccessToken:
        """Ask the inner credential on a daemon thread, waiting at most the deadline."""
        answers: queue.SimpleQueue[tuple[AccessToken | None, BaseException | None]] = (
            queue.SimpleQueue())
        options = {k: v for k, v in kwargs.items() if v is not None}

        def ask() -> None:
            try:
                answers.put((self._inner.get_token(*scopes, **options), None))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                answers.put((None, exc))

        with self._lock:
            self.fetches += 1
        with self._attempts.lock:
            self._attempts.current, self._attempts.outcomes = None, []
        # A daemon thread: if the sign-in never answers, it cannot keep the process alive.
        threading.Thread(target=ask, name="sign-in", daemon=True).start()
        try:
            token, error = answers.get(timeout=self._deadline)
        except queue.Empty:
            with self._attempts.lock:
                trying = self._attempts.current or "DefaultAzureCredential"
            where = f" from {self._authority}" if self._authority else ""
            raise ClientAuthenticationError(
                f"{trying} got no answer{where} within {self._deadline:g} s "
                f"(a proxy or firewall may be holding the connection)") from None
        if error is not None:
            if isinstance(error, ClientAuthenticationError):
                raise ClientAuthenticationError(self._attempts.summary(error)) from None
            raise ClientAuthenticationError(
                f"{type(error).__name__}: {self._attempts.summary(error)}") from None
        assert token is not None
        return token

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close:
            close()


def live_credential(cloud: Cloud, deadline_seconds: float = SIGN_IN_DEADLINE_SECONDS
                    ) -> SharedTokenCredential:
    """A DefaultAzureCredential for `cloud`, checked by asking for an ARM token once.

    Raises `CredentialError` (exit 4) naming the credential tried and why it failed, so
    an expired `az login` or a wrong secret fails in one clear line instead of as
    hundreds of 401s, and a sign-in that never answers gives up within the deadline.
    """
    from azure.identity import DefaultAzureCredential

    # Its warnings repeat, over several lines, what the one message below says.
    logging.getLogger("azure.identity").setLevel(logging.CRITICAL)
    chain = DefaultAzureCredential(
        authority=cloud.authority_host,
        connection_timeout=SIGN_IN_CONNECT_TIMEOUT_SECONDS,
        read_timeout=SIGN_IN_READ_TIMEOUT_SECONDS,
        retry_total=2,
    )
    attempts = _Attempts()
    if isinstance(getattr(chain, "credentials", None), tuple):  # trace each, to name it
        chain.credentials = tuple(_Traced(c, attempts) for c in chain.credentials)
    credential = SharedTokenCredential(chain, deadline_seconds, attempts, cloud.authority_host)
    try:
        credential.get_token(cloud.arm_scope)
    except ClientAuthenticationError as exc:
        raise CredentialError(
            f"could not sign in to Azure ({cloud.name}): {exc.message}\n{SIGN_IN_HELP}"
        ) from None
    return credential


class StandInCredential:
    """A credential for replays: hands out a fixed, non-secret token and never calls Entra ID."""

    TOKEN = "replay-stand-in-token"

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """Return the stand-in token, valid for a day."""
        return AccessToken(self.TOKEN, int(time.time()) + 86400)

    def close(self) -> None:
        """Nothing to release."""
