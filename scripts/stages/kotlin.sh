#!/usr/bin/env bash
# Stage kotlin: the uniffi Kotlin bindings on the JVM (JNA).
#   1. build libdbtoken_uniffi + uniffi-bindgen and generate the Kotlin sources (bindings/generate.sh);
#   2. compile them with the test program bindings/kotlin/src/test/kotlin/VectorsTest.kt (kotlinc);
#   3. run it: every tests/vectors/tokens.json and errors.json case, the cache, the clock
#      conveniences and toString() redaction;
#   4. run HostileInputTest.kt: lone surrogates, NULs, 1 MB strings, edge ports, times and
#      lifetimes, garbage for inspect/verify; no leak of the secret or session token.
# Each program ends with `N passed, N failed`; the last line sums both.
# Gradle is not used here (bindings/kotlin/build.gradle.kts is for users).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bash scripts/tools.sh kotlin
eval "$(bash scripts/tools.sh env)"
jna="${DBTOKEN_JNA_JAR:-/usr/share/java/jna.jar}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Committed generated sources (if anyone commits them) must match the current library.
bash bindings/generate.sh --check --lang kotlin >/dev/null
lib="$(bash bindings/generate.sh --out "$work/gen" --lang kotlin | sed -n 's/^library: //p')"

test_dir=bindings/kotlin/src/test/kotlin
t0=$(date +%s)
kotlinc -nowarn "$work/gen/kotlin/src/main/kotlin/dbtoken/dbtoken_uniffi.kt" "$test_dir/VectorsTest.kt" "$test_dir/HostileInputTest.kt" "$test_dir/FaultsTest.kt" \
    -cp "$jna" -include-runtime -d "$work/test.jar" 2>&1 | grep -v '^warning: ' || true
[[ -f "$work/test.jar" ]] || { echo "kotlinc failed" >&2; exit 1; }
echo "kotlinc: $(( $(date +%s) - t0 ))s"

run() { # run MAINCLASS ARGS...: prints its output, records its `N passed, N failed` line
    local out rc=0
    out="$(java -Djna.library.path="$(dirname "$lib")" -cp "$work/test.jar:$jna" "$@" 2>&1)" || rc=$?
    printf '%s\n' "$out"
    summary="$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)"
    [[ -n "$summary" ]] || { echo "$1: no summary line (exit $rc)"; summary="0 passed, 1 failed"; rc=1; }
    total_p=$(( total_p + $(echo "$summary" | cut -d' ' -f1) ))
    total_f=$(( total_f + $(echo "$summary" | cut -d' ' -f3) ))
    [[ $rc -eq 0 ]] || status=1
}
total_p=0 total_f=0 status=0
# The vectors by their path relative to the test file.
run VectorsTestKt "$test_dir/../../../../../tests/vectors"
run hostile.HostileInputTestKt
run faults.FaultsTestKt "$test_dir/../../../../../tests/vectors"
echo "kotlin: $total_p passed, $total_f failed"
exit $status
