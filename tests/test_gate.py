"""The one fail-closed gate (scanner.gate): the engine alone turns a missing read into
`unknown`; checks declare what they read and never look at collection errors."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from scanner.config import ScanConfig
from scanner.context import CheckContext
from scanner.engine import judgements
from scanner.findings import Remediation, Status, Verdict
from scanner.gate import rests_on
from scanner.inventory import CollectionError, StorageAccount
from scanner.registry import Registry, check, load_registry
from scanner.rules import KEY_CHAIN_READS
from tests.checks.helpers import SUB, inventory

CHECKS_DIR = Path(__file__).resolve().parent.parent / "checks"


def _calls(tree: ast.AST) -> list[tuple[str, int]]:
    """Every `<x>.errors(...)`, `<x>.errors_anywhere(...)` call and `<x>.errors` read."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("errors", "errors_anywhere",
                                                             "errors_for"):
            found.append((node.attr, node.lineno))
    return found


def test_no_check_body_consults_collection_errors() -> None:
    # The engine (scanner.gate) is the one place a missing read becomes `unknown`.
    offenders = {str(path.relative_to(CHECKS_DIR)): _calls(ast.parse(path.read_text()))
                 for path in sorted(CHECKS_DIR.rglob("*.py"))}
    assert {path: calls for path, calls in offenders.items() if calls} == {}


def _call_graph() -> tuple[dict[str, set[str]], dict[str, str]]:
    """(function name -> names it calls, function name -> check id) over checks/."""
    calls: dict[str, set[str]] = {}
    ids: dict[str, str] = {}
    for path in CHECKS_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            calls.setdefault(node.name, set()).update(
                n.func.id if isinstance(n.func, ast.Name) else n.func.attr
                for n in ast.walk(node) if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name | ast.Attribute))
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "check":
                    for keyword in decorator.keywords:
                        if keyword.arg == "id" and isinstance(keyword.value, ast.Constant):
                            ids[node.name] = str(keyword.value.value)
    return calls, ids


def test_every_check_that_judges_a_key_chain_declares_its_reads() -> None:
    calls, ids = _call_graph()
    reach = {"judge_key_uri"}
    while True:
        more = {name for name, called in calls.items() if called & reach} - reach
        if not more:
            break
        reach |= more
    registry = load_registry()
    judged = sorted(ids[name] for name in reach if name in ids)
    assert "storage_account_cmk_encryption" in judged and len(judged) >= 8
    missing = {cid: sorted(set(KEY_CHAIN_READS) - set(registry.checks[cid].meta.needs_anywhere))
               for cid in judged}
    assert {cid: m for cid, m in missing.items() if m} == {}
    # A data rule with the key chain declares them by itself.
    rules = [c for c in registry.checks.values()
             if getattr(getattr(c.func, "rule", None), "key_chain", False)]
    assert rules and all(set(KEY_CHAIN_READS) <= set(c.meta.needs_anywhere) for c in rules)


# --- the gate's semantics, on a check written for the test -----------------------------------

ACCOUNT = (f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.storage/"
           "storageaccounts/acct")
VAULT_ERROR = CollectionError(scope=f"/subscriptions/{SUB}", collector="key_vaults",
                              status=403, code="AuthorizationFailed", message="forbidden",
                              remedy="Reader on the subscription")


def _judge(status: Status, errors: list[CollectionError], absence: bool = False,
           declared: tuple[str, ...] = ("key_vaults",), scope: str | None = None) -> Verdict:
    registry = Registry()

    @check(id="test_gate_probe", title="A probe of the gate semantics",
           kinds="storage_accounts", severity="low",
           rationale="Exercises scanner.gate through the engine's run of a check.",
           remediation=Remediation(summary="none"), needs_anywhere=declared,
           registry=registry)
    def probe(resource: Any, ctx: Any) -> Verdict:
        rests_on("key_vaults", scope=scope, absence=absence, means="a vault may exist")
        return Verdict(status=status, reason="the probe's own reason", evidence={"x": 1})

    account = StorageAccount(id=ACCOUNT, name="acct", type="microsoft.storage/storageaccounts",
                             subscription_id=SUB)
    inv = inventory(storage_accounts=[account], errors=errors)
    ctx = CheckContext(inv, ScanConfig())
    [judgement] = list(judgements(registry.checks["test_gate_probe"], ctx))
    return judgement.verdict


@pytest.mark.parametrize("status", [Status.PASS, Status.NOT_APPLICABLE])
def test_a_would_be_pass_resting_on_a_failed_read_is_unknown_naming_it(status: Status) -> None:
    verdict = _judge(status, [VAULT_ERROR])
    assert verdict.status is Status.UNKNOWN
    assert verdict.reason.startswith("the probe's own reason, but could not read key_vaults "
                                     f"for /subscriptions/{SUB} (HTTP 403 AuthorizationFailed")
    assert verdict.reason.endswith("so a vault may exist")
    assert verdict.evidence["x"] == 1
    assert verdict.evidence["incomplete"] == [f"key_vaults at /subscriptions/{SUB}"]
    assert verdict.evidence["collection_errors"][0]["collector"] == "key_vaults"


def test_without_a_failed_read_the_verdict_stands() -> None:
    assert _judge(Status.PASS, []) == Verdict(status=Status.PASS,
                                               reason="the probe's own reason", evidence={"x": 1})


def test_a_fail_stays_a_fail_unless_it_rests_on_an_absence() -> None:
    assert _judge(Status.FAIL, [VAULT_ERROR]).status is Status.FAIL
    assert _judge(Status.FAIL, [VAULT_ERROR], absence=True).status is Status.UNKNOWN


def test_an_unknown_and_a_manual_name_the_failed_read() -> None:
    unknown = _judge(Status.UNKNOWN, [VAULT_ERROR])
    assert unknown.status is Status.UNKNOWN and "could not read key_vaults" in unknown.reason
    manual = _judge(Status.MANUAL, [VAULT_ERROR])
    assert manual.status is Status.MANUAL
    assert f"incomplete: key_vaults at /subscriptions/{SUB} could not be read" in manual.reason


def test_a_scoped_read_counts_only_errors_covering_its_scope() -> None:
    other = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.keyvault/vaults/b"
    vault = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.keyvault/vaults/a"
    error = VAULT_ERROR.model_copy(update={"scope": other})
    assert _judge(Status.PASS, [error], scope=vault).status is Status.PASS
    assert _judge(Status.PASS, [error], scope=other).status is Status.UNKNOWN


def test_resting_on_an_undeclared_read_is_a_visible_unknown_never_a_pass() -> None:
    verdict = _judge(Status.PASS, [], declared=())
    assert verdict.status is Status.UNKNOWN
    assert "rests on key_vaults, which it does not declare" in verdict.reason


def test_a_gated_kind_rests_on_the_resource_list_too() -> None:
    # PostgreSQL is listed only where the resource list shows it: a failed resource list
    # hides any number of servers, as the engine says for the kind itself.
    from scanner.gate import _anywhere

    error = VAULT_ERROR.model_copy(update={"collector": "resources"})
    ctx = CheckContext(inventory(errors=[error]), ScanConfig())
    assert _anywhere("postgresql_flexible_servers", ctx) == [error]
    assert _anywhere("storage_accounts", ctx) == []


def test_doctor_names_what_a_missing_read_would_make_unknown_from_the_same_declarations(
) -> None:
    from scanner.doctor import checks_reading

    registry = load_registry()
    # Declared only as needs_anywhere: the key chain's keys, the regions lists.
    assert "storage_account_cmk_encryption" in checks_reading(registry, "vault_keys")
    assert "resource_location_us" in checks_reading(registry, "regions")
    assert "workspace_retention_365_days" in checks_reading(registry, "activity_log_settings")
