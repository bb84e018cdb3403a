"""The scanner's root exceptions. Each maps to one process exit code (see cli.py)."""

from __future__ import annotations

INTERNAL_ERROR = 70
"""Exit code of an unexpected internal error (sysexits' EX_SOFTWARE): never 1."""
INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT, as shells report it)."""


class ScannerError(Exception):
    """Root of every error the scanner reports to a user as a message, not a traceback."""

    exit_code = 2


class UsageError(ScannerError):
    """A bad flag, an unknown check id or step, a malformed config file."""


class InputFileError(ScannerError):
    """A cassette or saved inventory that cannot be read or does not validate."""


class CredentialError(ScannerError):
    """No credential could sign in to the chosen cloud (or it has expired)."""

    exit_code = 4


class ReadOnlyViolation(ScannerError):
    """A request other than an allowed read tried to leave the process."""

    exit_code = 5


class UnservedRead(Exception):
    """A read the transport could not serve, and how to fix that (a replay's miss).

    Not a ScannerError (it ends one read, not the scan) and not an AzureError (the
    SDK's retry policy must not retry it): collectors record it as an inventory error
    for the scope, with `code` and `remedy`, without knowing which transport raised it.
    """

    code = "UnservedRead"
    remedy = "re-run the scan"
