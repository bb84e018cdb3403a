#!/usr/bin/env bash
# cjis-scan as a scheduled job (the container image's entry point; also for cron).
#
# Runs one scan, writes its reports into a directory of their own under
# $CJIS_SCAN_OUTPUT (and points $CJIS_SCAN_OUTPUT/latest at it), records the run in
# $CJIS_SCAN_HISTORY when set, and optionally prunes the history. Settings (environment):
#
#   CJIS_SCAN_OUTPUT        reports root (default /reports)
#   CJIS_SCAN_FORMATS       --format (default console,json,html,packet,tickets)
#   CJIS_SCAN_HISTORY       --history: a SQLite file or a postgresql:// URL (optional;
#                           also settable as `history` in the config file)
#   CJIS_SCAN_CONFIG        --config (default /config/cjis-scan.toml when it exists)
#   CJIS_SCAN_ARGS          more scan arguments, e.g. "-s <sub-id> --source graph"
#   CJIS_SCAN_KEEP_RUNS     after the scan: history prune --keep N (optional)
#   CJIS_SCAN_STRICT        "1": exit with the scan's own code even when it is 1 (failing
#                           findings) or 3 (incomplete); default: 0 for those, so that a
#                           scheduler does not retry a scan that ran (the reports, the
#                           history and the exit_code file say what it found)
#
# Exit codes: 0 the scan ran (findings are in the reports); 2 usage, configuration or
# history error; 4 could not sign in; 5 the read-only guard refused a request; with
# CJIS_SCAN_STRICT=1 also 1 and 3 as `cjis-scan scan` documents. The scan's own exit code
# is written to <run dir>/exit_code either way.
set -uo pipefail

out_root=${CJIS_SCAN_OUTPUT:-/reports}
formats=${CJIS_SCAN_FORMATS:-console,json,html,packet,tickets}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
run_dir="$out_root/$stamp"
args=(scan --quiet --format "$formats" --output "$run_dir")
if [ -n "${CJIS_SCAN_HISTORY:-}" ]; then
  args+=(--history "$CJIS_SCAN_HISTORY")
fi
config=${CJIS_SCAN_CONFIG:-/config/cjis-scan.toml}
if [ -f "$config" ]; then
  args+=(--config "$config")
fi
if [ -n "${CJIS_SCAN_ARGS:-}" ]; then
  # shellcheck disable=SC2206  # word splitting is the point: a list of flags
  extra=(${CJIS_SCAN_ARGS})
  args+=("${extra[@]}")
fi

mkdir -p "$out_root"
cjis-scan "${args[@]}"
code=$?
if [ -d "$run_dir" ]; then
  echo "$code" > "$run_dir/exit_code"
  ln -sfn "$stamp" "$out_root/latest"
fi

if [ -n "${CJIS_SCAN_KEEP_RUNS:-}" ] && [ "$code" -ne 2 ]; then
  prune=(history prune --keep "$CJIS_SCAN_KEEP_RUNS")
  [ -n "${CJIS_SCAN_HISTORY:-}" ] && prune+=(--history "$CJIS_SCAN_HISTORY")
  [ -f "$config" ] && prune+=(--config "$config")
  cjis-scan "${prune[@]}" || echo "cjis-scan: pruning the history failed" >&2
fi

case "$code" in
  1|3) if [ "${CJIS_SCAN_STRICT:-0}" = "1" ]; then exit "$code"; fi; exit 0 ;;
  *) exit "$code" ;;
esac
