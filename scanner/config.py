"""ScanConfig: what to scan and how to judge it, from flags and `cjis-scan.toml`."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from scanner.collectors.scheduler import MAX_CONCURRENCY
from scanner.findings import Severity
from scanner.waivers import Waiver


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
    concurrency: int = Field(default=MAX_CONCURRENCY, ge=1, le=MAX_CONCURRENCY)  # a cap
    break_glass_accounts: list[str] = Field(default_factory=list)
    """Object ids of emergency-access accounts a privileged CA policy may exclude."""
    min_passcode_length: int = Field(default=6, ge=4, le=16)
    log_retention_days: int = Field(default=365, ge=30)
    waivers: list[Waiver] = Field(default_factory=list,
                                  validation_alias=AliasChoices("waiver", "waivers"))
    """`[[waiver]]` tables of the config file: recorded exceptions (scanner.waivers)."""

    def effective_profile(self) -> str:
        """The profile in force: the one set, or the cloud's default."""
        if self.profile:
            return self.profile
        return "government" if self.cloud == "usgov" else "commercial"


def _line_of(text: str, key: str) -> int | None:
    """The first line of `text` that assigns `key` (for error messages)."""
    import re

    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def load_config(path: Path, overrides: dict[str, object]) -> ScanConfig:
    """Settings from a `cjis-scan.toml` file (optional), then the command-line flags.

    A malformed file raises UsageError naming the file, the line and the field.
    """
    import tomllib

    from pydantic import ValidationError

    from scanner.errors import UsageError

    data: dict[str, object] = {}
    text = ""
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{path}: {exc}") from None
        waivers = data.get("waiver") if "scan" in data else None  # [[waiver]] beside [scan]
        data = dict(data.get("scan", data))  # type: ignore[call-overload]
        if waivers is not None:
            data.setdefault("waiver", waivers)
    data.update({k: v for k, v in overrides.items() if v not in (None, [], {})})
    from scanner.waivers import unknown_check, waiver_line

    try:
        config = ScanConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"]
        field = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(text, str(loc[0])) if loc and text else None
        if len(loc) > 1 and loc[0] in ("waiver", "waivers") and isinstance(loc[1], int):
            # An entry of the [[waiver]] array: name the table, and the line of its field.
            field = f"[[waiver]] #{loc[1] + 1}: {'.'.join(str(p) for p in loc[2:]) or 'table'}"
            line = waiver_line(text, loc[1], str(loc[2]) if len(loc) > 2 else None) \
                if text else None
        where = f"{path}, line {line}" if line else (str(path) if text else "flags")
        raise UsageError(f"{where}: {field}: {first['msg']}") from None
    unknown = unknown_check(config.waivers)
    if unknown is not None:
        index, check_id = unknown
        line = waiver_line(text, index, "check") if text else None
        where = f"{path}, line {line}" if line else str(path)
        raise UsageError(f"{where}: [[waiver]] #{index + 1}: check: unknown check or requirement "
                         f"id {check_id!r} (see `cjis-scan checks`)")
    return config
