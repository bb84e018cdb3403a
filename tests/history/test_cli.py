"""`scan --history/--baseline/--fail-on-new`, `cjis-scan diff` and `cjis-scan history`."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from scanner.history.diff_schema import SCHEMA_PATH, render_schema
from tests.cli.test_scan_cli import cli

ALLOW = ("--allow-partial",)  # the demo tenant has a scope it cannot read (exit 3)


def scan(history: str, out: Path, *extra: str) -> tuple[int, str]:
    result = cli("scan", "--demo", "--quiet", "--history", history, "--format",
                 "json,html,tickets", "--output", str(out), *extra)
    return result.exit_code, result.output


def test_the_schema_file_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema()


def test_two_scans_then_diff_list_and_prune(target: str, tmp_path: Path) -> None:
    assert scan(target, tmp_path / "a")[0] == 1
    code, output = scan(target, tmp_path / "b")
    assert code == 1 and "history: recorded as run 2" in output
    if "@" in target:  # a PostgreSQL URL: its password never reaches the terminal
        password = target.split("@")[0].rsplit(":", 1)[1]
        assert f":{password}@" not in output and "***@" in output
    diffed = cli("diff", "--history", target, "--format", "json")
    assert diffed.exit_code == 0, diffed.output
    document = json.loads(diffed.output)
    Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(document)
    report = json.loads((tmp_path / "b" / "cjis-scan-report.json").read_text())
    assert document["unchanged"] == len(report["findings"])
    assert document["new"] == document["resolved"] == [] and document["from"]["label"] == "run 1"

    listed = cli("history", "list", "--history", target, "--format", "json")
    runs = json.loads(listed.output)
    assert [r["id"] for r in runs] == [2, 1] and runs[0]["exit_code"] == 1
    assert runs[0]["input_sha256"] == report["scan"]["input_sha256"]
    assert runs[1]["new"] == report["summary"]["by_status"]["fail"] + \
        report["summary"]["by_status"]["unknown"]
    table = cli("history", "list", "--history", target)
    assert "Run" in table.output and "%" in table.output

    pruned = cli("history", "prune", "--history", target, "--keep", "1")
    assert pruned.exit_code == 0 and "deleted 1 run(s)" in pruned.output
    assert [r["id"] for r in json.loads(cli("history", "list", "--history", target,
                                            "--format", "json").output)] == [2]
    only = cli("diff", "--history", target)
    assert only.exit_code == 2 and "nothing to compare" in only.output


def test_the_html_report_draws_the_trend_and_the_changes(sqlite_target: str,
                                                         tmp_path: Path) -> None:
    for name in "abc":
        scan(sqlite_target, tmp_path / name)
    html = (tmp_path / "c" / "cjis-scan-report.html").read_text()
    assert html.count('<g class="trend-run"') == 3
    # A line per step with a score (step 7 is manual and n/a only in the demo: none).
    assert html.count('<g class="trend-step"') == 7 and "<polyline" in html
    assert "recorded as run 3" in html and "Changes from run 2 to this scan" in html


def test_a_report_baseline_and_fail_on_new(tmp_path: Path) -> None:
    first = cli("scan", "--demo", "--quiet", "-f", "json", "-o", str(tmp_path / "a"))
    assert first.exit_code == 1
    path = tmp_path / "a" / "cjis-scan-report.json"
    baseline = json.loads(path.read_text())
    # Make the baseline say one critical failing finding used to pass.
    (flipped,) = [f for f in baseline["findings"] if f["status"] == "fail"
                  and f["severity"] == "critical"][:1]
    flipped["status"] = "pass"
    path.write_text(json.dumps(baseline))
    args = ("scan", "--demo", "--quiet", "-f", "json,tickets", "-o", str(tmp_path / "b"),
            "--baseline", str(path), *ALLOW)
    gate = cli(*args, "--fail-on-new", "critical")
    assert gate.exit_code == 1, gate.output
    tickets = [json.loads(line) for line in
               (tmp_path / "b" / "cjis-scan-tickets.jsonl").read_text().splitlines()]
    assert [(t["event"], t["fingerprint"]) for t in tickets] == [
        ("opened", flipped["fingerprint"])]
    # Against an unchanged baseline nothing is new: the drift gate passes although the
    # tenant has failing findings (which --fail-on alone would exit 1 for).
    cli("scan", "--demo", "--quiet", "-f", "json", "-o", str(tmp_path / "c"))
    same = cli("scan", "--demo", "--quiet", "-f", "json", "-o", str(tmp_path / "d"),
               "--baseline", str(tmp_path / "c" / "cjis-scan-report.json"), *ALLOW,
               "--fail-on-new", "low")
    assert same.exit_code == 0, same.output


def test_bad_baselines_and_flags_are_usage_errors(tmp_path: Path) -> None:
    out = str(tmp_path / "o")
    missing = cli("scan", "--demo", "-q", "--baseline", str(tmp_path / "none.json"))
    assert missing.exit_code == 2 and "no such report file" in missing.output
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"hello": 1}')
    bad = cli("scan", "--demo", "-q", "-f", "json", "-o", out, "--baseline", str(bogus))
    assert bad.exit_code == 2 and "is not a cjis-scan JSON report" in bad.output
    run_id = cli("scan", "--demo", "-q", "--baseline", "3")
    assert run_id.exit_code == 2 and "a run id needs --history" in run_id.output
    severity = cli("scan", "--demo", "-q", "--fail-on-new", "urgent")
    assert severity.exit_code == 2 and "--fail-on-new 'urgent'" in severity.output
    cli("scan", "--demo", "-q", "-f", "json", "-o", out)
    other = json.loads((tmp_path / "o" / "cjis-scan-report.json").read_text())
    other["scan"]["tenant_id"] = "11111111-2222-3333-4444-555555555555"
    (tmp_path / "other.json").write_text(json.dumps(other))
    mixed = cli("scan", "--demo", "-q", "--baseline", str(tmp_path / "other.json"))
    assert mixed.exit_code == 2 and "cannot be compared" in " ".join(mixed.output.split())
    assert "Traceback" not in missing.output + bad.output + mixed.output


def test_a_corrupt_history_exits_2_after_writing_the_reports(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    history.write_bytes(b"PK\x03\x04 a zip file, not a history" * 50)
    code, output = scan(str(history), tmp_path / "out")
    assert code == 2, output
    assert "is not a SQLite database" in output and "Traceback" not in output
    assert (tmp_path / "out" / "cjis-scan-report.json").is_file()
    html = (tmp_path / "out" / "cjis-scan-report.html").read_text()
    assert "History not recorded" in html


def test_a_newer_history_exits_2(sqlite_target: str, tmp_path: Path) -> None:
    import sqlite3

    scan(sqlite_target, tmp_path / "a")
    with sqlite3.connect(sqlite_target) as conn:
        conn.execute("UPDATE cjis_schema SET value = '7' WHERE key = 'schema_version'")
    code, output = scan(sqlite_target, tmp_path / "b")
    assert code == 2 and "newer cjis-scan" in output
    listed = cli("history", "list", "--history", sqlite_target)
    assert listed.exit_code == 2 and "upgrade cjis-scan" in listed.output


def test_history_from_the_config_file(tmp_path: Path, monkeypatch: object) -> None:
    history = tmp_path / "h.sqlite"
    config = tmp_path / "cjis-scan.toml"
    config.write_text(f'history = "{history}"\n')
    for name in "ab":
        cli("scan", "--demo", "-q", "--config", str(config), "-f", "json", "-o",
            str(tmp_path / name))
    assert history.is_file()
    diffed = cli("diff", "--config", str(config), "--format", "jsonl")
    assert diffed.exit_code == 0 and diffed.output == ""  # nothing changed: no lines
    console = cli("diff", "--config", str(config))
    assert "Changes from run 1 to run 2" in console.output
    none = cli("diff", "--config", str(tmp_path / "missing.toml"))
    assert none.exit_code == 2 and "no history" in none.output
