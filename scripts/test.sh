#!/usr/bin/env bash
# Runs every test dbtoken has, installing what it needs first (tools are cached under
# ${DBTOKEN_TOOLS:-$HOME/.cache/dbtoken-tools}). This is what .ci/run calls.
#
#   scripts/test.sh            all stages, in order
#   scripts/test.sh core web   only these stages
#
# Stages live in scripts/stages/<name>.sh; each one installs its own tools and exits non-zero
# on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ALL_STAGES=(core cli python web kotlin swift-abi bench-smoke hardening dist)
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${ALL_STAGES[@]}")

declare -a results=()
status=0
for stage in "${stages[@]}"; do
    script="scripts/stages/$stage.sh"
    [ -f "$script" ] || { echo "no such stage: $stage" >&2; exit 2; }
    echo "::: stage $stage"
    start=$(date +%s)
    if bash "$script"; then
        results+=("PASS $stage ($(( $(date +%s) - start ))s)")
    else
        results+=("FAIL $stage ($(( $(date +%s) - start ))s)")
        status=1
    fi
done
echo "::: summary"
printf '%s\n' "${results[@]}"
passed=$(printf '%s\n' "${results[@]}" | grep -c '^PASS' || true)
failed=$(printf '%s\n' "${results[@]}" | grep -c '^FAIL' || true)
echo "stages: $passed passed, $failed failed"
exit $status
