"""Property-based fuzzing of every input-file loader (issue 13, item 13).

Property: whatever bytes a config, cassette (YAML or JSON), saved inventory or framework
file holds, its loader returns a value or raises a `ScannerError` (exit 2) naming the
file — never any other exception. Inputs: random bytes; valid files mutated byte by
byte; valid files in other encodings; and valid documents with a random value (wrong
type, huge or non-finite number, deep nesting) put at a random place.

Examples per property are few (fast: a few seconds in all) and derandomized, so the
suite is reproducible; set FUZZ_EXAMPLES=800 FUZZ_RANDOM=1 to search longer locally.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.config import load_config
from scanner.errors import ScannerError
from scanner.framework_files import load_framework
from scanner.inventory import Inventory
from scanner.replay import CassetteTransport, demo_cassette, load_interactions

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=os.environ.get("FUZZ_RANDOM") is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WORK = Path(tempfile.mkdtemp(prefix="cjis-fuzz-"))
RUNS: dict[str, int] = {}
"""Examples each loader survived (printed by `-s`; the figure in the issue's note)."""

CONFIG = Path(__file__).resolve().parents[1] / "docs" / "cjis-scan.example.toml"
FRAMEWORK = Path(__file__).resolve().parents[1] / "checks" / "frameworks" / "cjis-6.0.yaml"


def _cassette_yaml() -> str:
    """The first few interactions of the demo cassette (small, real shapes)."""
    data = yaml.safe_load(demo_cassette().read_text(encoding="utf-8"))
    data["interactions"] = data["interactions"][:3]
    return yaml.safe_dump(data)


def _inventory_json() -> str:
    from scanner.collectors.runner import collect
    from tests.collectors.tenant import tenant
    from tests.conftest import factory_for

    return collect(factory_for(tenant()), concurrency=2).to_json()


SAMPLES: dict[str, str] = {
    "config": CONFIG.read_text(encoding="utf-8"),
    "cassette.yaml": _cassette_yaml(),
    "cassette.json": json.dumps(yaml.safe_load(_cassette_yaml())),
    "inventory": _inventory_json(),
    "framework": FRAMEWORK.read_text(encoding="utf-8"),
}
SUFFIX = {"config": ".toml", "cassette.yaml": ".yaml", "cassette.json": ".json",
          "inventory": ".json", "framework": ".yaml"}


def _load_cassette(path: Path) -> Any:
    return CassetteTransport(load_interactions(path))


LOADERS: dict[str, Callable[[Path], Any]] = {
    "config": lambda path: load_config(path, {}),
    "cassette.yaml": _load_cassette,
    "cassette.json": _load_cassette,
    "inventory": Inventory.load,
    "framework": lambda path: load_framework.__wrapped__(str(path)),
}


def survives(kind: str, content: bytes) -> None:
    """Load `content` as a `kind` file: a value or a ScannerError naming it, nothing else."""
    path = WORK / f"fuzz{SUFFIX[kind]}"
    path.write_bytes(content)
    try:
        LOADERS[kind](path)
    except ScannerError as exc:
        assert exc.exit_code == 2
        assert path.name in str(exc), str(exc)
    RUNS[kind] = RUNS.get(kind, 0) + 1


KINDS = st.sampled_from(sorted(LOADERS))

# --- 1: random bytes, and valid files mutated ------------------------------------------


@FUZZ
@given(kind=KINDS, content=st.binary(max_size=300))
def test_random_bytes(kind: str, content: bytes) -> None:
    survives(kind, content)


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> bytes:
    data = bytearray(SAMPLES[kind].encode("utf-8")[:4000])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        how = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]))
        if how == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif how == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif how == "insert":
            data[at:at] = draw(st.sampled_from(
                [b"[", b"{", b"\x00", b"\xff", b"'", b'"', b"\n", b": ", b"- ", b"=", b"nan",
                 b"1e999", b"9" * 5000, b"!!binary ", b"&a ", b"*a", b"\\u0000"]))
        elif how == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 200))]
    return bytes(data)


@FUZZ
@given(data=st.data(), kind=KINDS)
def test_mutated_valid_files(data: st.DataObject, kind: str) -> None:
    survives(kind, data.draw(mutated(kind)))


# --- 2: encodings ---------------------------------------------------------------------

ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-16": lambda t: t.encode("utf-16"), "utf-16-be": lambda t: t.encode("utf-16-be"),
    "utf-32": lambda t: t.encode("utf-32"), "latin-1": lambda t: (t + "é").encode("latin-1",
                                                                                  "replace"),
    "utf-8-bom": lambda t: b"\xef\xbb\xbf" + t.encode(), "gzip": lambda t: gzip.compress(
        t.encode()), "cp1252": lambda t: (t + "€").encode("cp1252", "replace"),
}


@FUZZ
@given(kind=KINDS, encoding=st.sampled_from(sorted(ENCODINGS)))
def test_other_encodings(kind: str, encoding: str) -> None:
    survives(kind, ENCODINGS[encoding](SAMPLES[kind]))


# --- 3: a hostile value at a random place of a valid document ------------------------

HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.just("9" * 5000), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.integers(200, 3000).map(lambda depth: _nested(depth)),
)


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            found += _paths(item, (*prefix, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return document


def _toml(value: Any) -> str:
    """A TOML value (tomllib cannot write): enough for the fuzzed config's values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    return '""'  # TOML has no null


def _dump(kind: str, document: Any) -> bytes:
    if kind == "config":
        lines = []
        table = document.get("scan", {}) if isinstance(document, dict) else {}
        try:
            if isinstance(table, dict):
                lines.append("[scan]")
                lines += [f"{json.dumps(k)} = {_toml(v)}" for k, v in table.items()]
            else:
                lines.append(f"scan = {_toml(table)}")
        except RecursionError:
            return b"scan = " + b"[" * 5000
        return "\n".join(lines).encode()
    if kind in ("cassette.yaml", "framework"):
        try:
            return yaml.safe_dump(document).encode()
        except RecursionError:
            return b"[" * 5000
    try:
        return json.dumps(document).encode()
    except (RecursionError, ValueError):
        return b"[" * 5000


def _document(kind: str) -> Any:
    if kind == "config":
        return {"scan": {"cloud": "commercial", "fail_on": "high", "concurrency": 8,
                         "tags": {"env": "prod"}, "subscriptions": ["a"],
                         "waiver": [{"check": "storage_account_https_only",
                                     "resource": "/subscriptions/*", "justification": "j",
                                     "approver": "a", "expires": "2027-01-01"}]}}
    text = SAMPLES[kind]
    return json.loads(text) if kind.endswith("json") or kind == "inventory" else yaml.safe_load(
        text)


@FUZZ
@given(data=st.data(), kind=KINDS, value=HOSTILE)
def test_hostile_value_anywhere(data: st.DataObject, kind: str, value: Any) -> None:
    document = _document(kind)
    path = data.draw(st.sampled_from(_paths(document)))
    survives(kind, _dump(kind, _replace(document, path, value)))


def test_every_loader_was_fuzzed() -> None:
    # Runs after the properties above (file order): each loader saw examples.
    assert set(RUNS) == set(LOADERS), RUNS
    print(f"\nfuzz runs without a traceback: {sum(RUNS.values())} ({RUNS})")
