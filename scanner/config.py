"""ScanConfig: what to scan and how to judge it, from flags and `cjis-scan.toml`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from scanner.findings import Severity


class ScanConfig(BaseModel):
    """Settings of one scan. Every field has a flag; the TOML file sets defaults."""

    model_config = ConfigDict(extra="forbid")

    cloud: str = "commercial"
    profile: str | None = None
    """`commercial` or `government`; None: follow the cloud."""
    subscriptions: list[str] = Field(default_factory=list)
    """Subscription ids in scope (empty: all the credential can read)."""
    resource_groups: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    checks: list[str] = Field(default_factory=list)
    skip_checks: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    fail_on: Severity = Severity.HIGH
    concurrency: int = Field(default=8, ge=1, le=64)
    break_glass_accounts: list[str] = Field(default_factory=list)
    """Object ids of emergency-access accounts a privileged CA policy may exclude."""
    min_passcode_length: int = Field(default=6, ge=4, le=16)
    log_retention_days: int = Field(default=365, ge=30)

    def effective_profile(self) -> str:
        """The profile in force: the one set, or the cloud's default."""
        if self.profile:
            return self.profile
        return "government" if self.cloud == "usgov" else "commercial"
