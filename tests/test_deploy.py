"""The scheduled-job recipes (docs/deploy): the entry point, the GitHub Actions workflow's
scan step run as Actions runs it, and the shape of the Kubernetes and Container Apps
definitions and the Dockerfile (no Docker engine here: the image itself is not built)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "docs" / "deploy"
ENTRYPOINT = DEPLOY / "entrypoint.sh"


def run(script: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(script, env={**os.environ, "PATH": path, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_entrypoint_runs_a_scan_records_it_and_maps_exit_codes(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    env = {"CJIS_SCAN_OUTPUT": str(tmp_path / "reports"), "CJIS_SCAN_HISTORY": str(history),
           "CJIS_SCAN_ARGS": "--demo", "CJIS_SCAN_CONFIG": str(tmp_path / "none.toml"),
           "CJIS_SCAN_KEEP_RUNS": "1"}
    first = run(["bash", str(ENTRYPOINT)], env, tmp_path)
    assert first.returncode == 0, first.stderr  # the scan ran; its findings are in reports
    latest = tmp_path / "reports" / "latest"
    assert latest.is_symlink()
    assert (latest / "exit_code").read_text().strip() == "1"  # failing findings
    for name in ("cjis-scan-report.json", "cjis-scan-report.html",
                 "cjis-scan-audit-packet.md", "cjis-scan-tickets.jsonl"):
        assert (latest / name).is_file(), name
    strict = run(["bash", str(ENTRYPOINT)], {**env, "CJIS_SCAN_STRICT": "1"}, tmp_path)
    assert strict.returncode == 1, strict.stderr
    with sqlite3.connect(history) as conn:  # two runs recorded, pruned to the newest
        assert conn.execute("SELECT count(*) FROM cjis_runs").fetchone() == (1,)
    bad = run(["bash", str(ENTRYPOINT)], {**env, "CJIS_SCAN_ARGS": "--demo --step 9"},
              tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_the_entrypoint_passes_a_history_fault_on_as_2(tmp_path: Path) -> None:
    broken = tmp_path / "history.sqlite"
    broken.write_text("not a database")
    done = run(["bash", str(ENTRYPOINT)], {
        "CJIS_SCAN_OUTPUT": str(tmp_path / "reports"), "CJIS_SCAN_HISTORY": str(broken),
        "CJIS_SCAN_ARGS": "--demo"}, tmp_path)
    assert done.returncode == 2 and "is not a SQLite database" in " ".join(done.stderr.split())
    assert (tmp_path / "reports" / "latest" / "cjis-scan-report.json").is_file()


def workflow() -> dict[object, object]:
    return yaml.safe_load((DEPLOY / "github-actions-scan.yml").read_text())  # type: ignore[no-any-return]


def test_the_workflow_signs_in_with_oidc_and_never_overlaps() -> None:
    flow = workflow()
    assert flow["permissions"] == {"id-token": "write", "contents": "read"}
    assert flow["concurrency"]["cancel-in-progress"] is False  # type: ignore[index]
    steps = flow["jobs"]["scan"]["steps"]  # type: ignore[index]
    login = next(s for s in steps if str(s.get("uses", "")).startswith("azure/login@"))
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # no secret
    # Not in .github/workflows: it must not run on cjis-scan's own CI.
    assert not (ROOT / ".github" / "workflows" / "github-actions-scan.yml").exists()


@pytest.mark.parametrize(("history", "expect_diff"), [(True, True), (False, False)])
def test_the_workflows_commands_run_as_actions_runs_them(tmp_path: Path, history: bool,
                                                        expect_diff: bool) -> None:
    steps = workflow()["jobs"]["scan"]["steps"]  # type: ignore[index]
    scan = next(s for s in steps if s.get("id") == "scan")
    changes = next(s for s in steps if s.get("name") == "What changed since the last run")
    output = tmp_path / "github_output"
    env = {"CJIS_SCAN_SOURCE": "--demo", "GITHUB_OUTPUT": str(output),
           "CJIS_SCAN_HISTORY": str(tmp_path / "h.sqlite") if history else ""}
    for _ in range(2):
        done = run(["bash", "-e", "-c", scan["run"]], env, tmp_path)  # Actions: bash -e {0}
        assert done.returncode == 0, done.stderr
    assert output.read_text().splitlines()[-1] == "exit_code=1"
    assert (tmp_path / "reports" / "cjis-scan-tickets.jsonl").is_file()
    if expect_diff:
        assert changes["if"] == "env.CJIS_SCAN_HISTORY != ''"
        done = run(["bash", "-e", "-c", changes["run"]], env, tmp_path)
        assert done.returncode == 0, done.stderr
        diff = json.loads((tmp_path / "reports" / "cjis-scan-diff.json").read_text())
        assert diff["from"]["label"] == "run 1" and diff["to"]["label"] == "run 2"


def test_the_kubernetes_cronjob_uses_workload_identity_and_never_overlaps() -> None:
    account, cron = yaml.safe_load_all((DEPLOY / "kubernetes-cronjob.yaml").read_text())
    assert account["kind"] == "ServiceAccount"
    assert "azure.workload.identity/client-id" in account["metadata"]["annotations"]
    spec = cron["spec"]
    assert spec["concurrencyPolicy"] == "Forbid" and spec["jobTemplate"]["spec"][
        "backoffLimit"] == 0
    pod = spec["jobTemplate"]["spec"]["template"]
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert pod["spec"]["serviceAccountName"] == account["metadata"]["name"]
    (container,) = pod["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["CJIS_SCAN_HISTORY"]["valueFrom"]["secretKeyRef"]["name"] == "cjis-scan-history"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/reports", "/tmp"}


def test_the_container_apps_job_uses_its_managed_identity() -> None:
    job = yaml.safe_load((DEPLOY / "container-apps-job.yaml").read_text())
    config = job["properties"]["configuration"]
    assert config["triggerType"] == "Schedule" and config["replicaRetryLimit"] == 0
    assert config["scheduleTriggerConfig"]["parallelism"] == 1
    (identity,) = job["identity"]["userAssignedIdentities"]
    assert config["secrets"][0]["identity"] == identity
    (container,) = job["properties"]["template"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert "AZURE_CLIENT_ID" in env and env["CJIS_SCAN_HISTORY"]["secretRef"] == "history-url"


def test_the_dockerfile_copies_what_exists_and_runs_unprivileged() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    copies = [line.split()[-2] for line in lines if line.startswith("COPY ")
              and "--from=" not in line]
    for source in copies:
        assert (ROOT / source).exists(), source
    assert "USER 10001" in lines
    assert lines[-1] == 'ENTRYPOINT ["/usr/local/bin/cjis-scan-job"]'
    assert any("docs/deploy/entrypoint.sh /usr/local/bin/cjis-scan-job" in line
               for line in lines)
