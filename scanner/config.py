"""ScanConfig: what to scan and how to judge it, from flags and `cjis-scan.toml`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from scanner.attestations import Attestation
from scanner.findings import Severity
from scanner.framework import DEFAULT_FRAMEWORK
from scanner.waivers import Waiver

MAX_CONCURRENCY = 256
"""The documented maximum (and default cap) of reads in flight at once."""


def _names(field: str, flag: str) -> AliasChoices:
    # A list setting answers to its plural field name and to its flag's own name.
    return AliasChoices(field, flag)


class ScanConfig(BaseModel):
    """Settings of one scan. Every field has a flag; the TOML file sets defaults."""

    model_config = ConfigDict(extra="forbid")

    cloud: str = "commercial"
    framework: str = DEFAULT_FRAMEWORK
    """A built-in framework name (`checks/frameworks/<name>.yaml`) or a YAML file."""
    profile: str | None = None
    """One of the framework's profiles; None: the framework's default for the cloud."""
    subscriptions: list[str] = Field(default_factory=list,
                                     validation_alias=_names("subscriptions", "subscription"))
    """Subscription ids in scope (empty: all the credential can read), lower-cased here
    once, as the inventory holds them."""
    resource_groups: list[str] = Field(default_factory=list, validation_alias=_names(
        "resource_groups", "resource_group"))
    tags: dict[str, str] = Field(default_factory=dict, validation_alias=_names("tags", "tag"))
    checks: list[str] = Field(default_factory=list, validation_alias=_names("checks", "check"))
    skip_checks: list[str] = Field(default_factory=list,
                                   validation_alias=_names("skip_checks", "skip_check"))
    steps: list[str] = Field(default_factory=list, validation_alias=_names("steps", "step"))
    fail_on: Severity = Severity.HIGH
    concurrency: int = Field(default=MAX_CONCURRENCY, ge=1, le=MAX_CONCURRENCY)  # a cap
    break_glass_accounts: list[str] = Field(default_factory=list)
    """Object ids of emergency-access accounts a privileged CA policy may exclude."""
    min_passcode_length: int = Field(default=6, ge=4, le=16)
    log_retention_days: int = Field(default=365, ge=30)
    waivers: list[Waiver] = Field(default_factory=list,
                                  validation_alias=AliasChoices("waiver", "waivers"))
    """`[[waiver]]` tables of the config file: recorded exceptions (scanner.waivers)."""
    # Continuous monitoring (scanner.history, scanner.attestations):
    history: str | None = None
    """`--history`: a SQLite file, or a postgresql:// URL, recording every run."""
    attestations: list[Attestation] = Field(
        default_factory=list, validation_alias=AliasChoices("attestation", "attestations"))
    """`[[attestation]]` tables: people's statements for `manual` findings."""

    @field_validator("subscriptions")
    @classmethod
    def _lower_subscriptions(cls, value: list[str]) -> list[str]:
        # Ids lower-cased once, as the inventory holds them; anything else is left as
        # given, for the GUID check (cli_validate) to quote it.
        guid = re.compile(r"^[0-9a-fA-F-]{36}$")
        return list(dict.fromkeys(s.strip().lower() if guid.match(s.strip()) else s
                                  for s in value))

    def effective_profile(self) -> str:
        """The profile in force: the one set, or the framework's default for the cloud."""
        from scanner.framework_files import load_framework

        return load_framework(self.framework).profile_for(self.cloud, self.profile)


class RunOptions(BaseModel):
    """How a run collects and reports (not what it judges): the other flags, settable in
    the config file under their own names too."""

    model_config = ConfigDict(extra="forbid")

    format: list[str] | str = "console"
    output: Path | None = None
    allow_partial: bool = False
    strict: bool = False
    """`--resource-group`/`--tag` that match nothing fail the run instead of warning."""
    source: Literal["arm", "graph", "auto"] = "arm"
    quiet: bool = False
    verbose: bool = False
    debug: bool = False
    log_format: Literal["text", "json"] = "text"
    summary: bool = False
    only_failing: bool = False
    min_severity: Severity | None = None
    heartbeat: float = Field(default=10.0, ge=0)
    """Seconds between progress lines when stderr is not a terminal (0: none)."""
    key_vault_data_plane: bool = False
    """Read each vault HSM key's `hsmPlatform` from the Key Vault data plane (opt-in:
    scanner/collectors/key_vault_data_plane.py)."""


def setting_names() -> list[str]:
    """Every key the config file accepts (each flag's own name, and the plural fields)."""
    names: list[str] = []
    for model in (ScanConfig, RunOptions):
        for name, info in model.model_fields.items():
            alias = info.validation_alias
            choices = alias.choices if isinstance(alias, AliasChoices) else [name]
            names.extend(str(c) for c in choices)
    return [str(n) for n in dict.fromkeys(names)]


def _line_of(text: str, key: str) -> int | None:
    """The first line of `text` that assigns `key` (for error messages)."""
    import re

    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def load_config(path: Path | None, overrides: dict[str, object]) -> ScanConfig:
    """The scan settings of `load_settings` (for callers that need no run options)."""
    return load_settings(path, overrides)[0]


def load_settings(path: Path | None, overrides: dict[str, object],
                  run_overrides: dict[str, object] | None = None
                  ) -> tuple[ScanConfig, RunOptions]:
    """Settings from a `cjis-scan.toml` file (optional), then the command-line flags.

    Keys may be written with `-` or `_` (`fail-on`, `fail_on`). A malformed file, or an
    unknown key, raises UsageError naming the file, the line and the field in plain words.
    """
    import tomllib

    from pydantic import ValidationError

    from scanner.cli_validate import did_you_mean, plain_validation_message
    from scanner.errors import UsageError
    from scanner.input_files import DECODE_FAILURES, problem, read_text

    data: dict[str, object] = {}
    text = ""
    if path is not None and path.is_file():
        text = read_text(path, "config file", UsageError)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{path}: {exc}") from None
        except DECODE_FAILURES as exc:
            raise UsageError(f"{path}: not a valid TOML file: {problem(exc)}") from None
        waivers = data.get("waiver") if "scan" in data else None  # [[waiver]] beside [scan]
        scan = data.get("scan", data)
        if not isinstance(scan, dict):
            line = _line_of(text, "scan")
            raise UsageError(f"{path}{f', line {line}' if line else ''}: scan: must be a "
                             f"table ([scan]), not {type(scan).__name__}")
        attestations = data.get("attestation") if "scan" in data else None  # likewise
        data = dict(scan)
        if waivers is not None:
            data.setdefault("waiver", waivers)
        if attestations is not None:
            data.setdefault("attestation", attestations)
        data = {str(k).replace("-", "_"): v for k, v in data.items()}
    where_file = str(path) if text else "flags"
    known = setting_names()
    for key in data:
        if key not in known:
            line = _line_of(text, key) or _line_of(text, key.replace("_", "-"))
            where = f"{path}, line {line}" if line else where_file
            raise UsageError(f"{where}: unknown setting {key!r}{did_you_mean(key, known)}")
    run_fields = set(RunOptions.model_fields)
    run_data = {k: v for k, v in data.items() if k in run_fields}
    data = {k: v for k, v in data.items() if k not in run_fields}
    data.update({k: v for k, v in overrides.items() if v not in (None, [], {})})
    run_data.update({k: v for k, v in (run_overrides or {}).items()
                     if v not in (None, [], {}, False)})
    from scanner.waivers import unknown_check, waiver_line

    try:
        config = ScanConfig.model_validate(data)
        options = RunOptions.model_validate(run_data)
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
        where = f"{path}, line {line}" if line else where_file
        raise UsageError(f"{where}: {field}: {plain_validation_message(first)}") from None
    except DECODE_FAILURES + (AttributeError, KeyError) as exc:  # a validator met a wrong type
        raise UsageError(f"{where_file}: malformed settings: {problem(exc)}") from None
    unknown = unknown_check(config.waivers)
    if unknown is not None:
        index, check_id = unknown
        line = waiver_line(text, index, "check") if text else None
        where = f"{path}, line {line}" if line else str(path)
        raise UsageError(f"{where}: [[waiver]] #{index + 1}: check: unknown check or requirement "
                         f"id {check_id!r} (see `cjis-scan checks`)")
    return config, options
