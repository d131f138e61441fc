#!/usr/bin/env bash
# Stage "hardening": fuzzing and miri for the dbtoken core (the clippy lint wall runs in core.sh).
#   - fuzz/seeds/ are current with tests/vectors (fuzz/seed.py --check)
#   - every fuzz target (cargo +nightly fuzz; release + debug assertions + AddressSanitizer)
#       1. replays its fuzz/regressions/<target>/ inputs (past crashers must stay fixed),
#       2. fuzzes for DBTOKEN_FUZZ_TIME seconds (default 30), two targets at a time, from
#          fuzz/seeds/<target>/ into fuzz/corpus/<target>/ (ignored by git)
#   - miri over the core's unit and doc tests (all features), and over a subset of the shared
#     vectors (see MIRI_VECTORS below)
# Long runs and their results: fuzz/RESULTS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

FUZZ_TIME="${DBTOKEN_FUZZ_TIME:-30}"
TARGETS=(inspect sign encode presign)
passed=0
failed=0
failures=()
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAILED: $1"; }

echo "--- tools"
scripts/tools.sh fuzz
scripts/tools.sh miri
eval "$(scripts/tools.sh env)"

echo "--- fuzz seeds"
if python3 fuzz/seed.py --check; then pass "seeds current"; else fail "seeds current"; fi

echo "--- fuzz build"
t0=$(date +%s)
(cd fuzz && cargo +nightly fuzz build)
echo "built ${#TARGETS[@]} targets in $(( $(date +%s) - t0 ))s"

for t in "${TARGETS[@]}"; do
    shopt -s nullglob
    regressions=(fuzz/regressions/"$t"/*)
    shopt -u nullglob
    [ ${#regressions[@]} -gt 0 ] || continue
    echo "--- fuzz $t: ${#regressions[@]} regression input(s)"
    log="fuzz/$t-regressions.log"
    # Files (not directories) as arguments: libFuzzer runs each once and exits.
    if (cd fuzz && cargo +nightly fuzz run "$t" "${regressions[@]#fuzz/}") >"$log" 2>&1; then
        pass "fuzz $t regressions"
    else
        grep -E -A3 "panicked at" "$log" | head -n 12 || true
        fail "fuzz $t regressions (log: $log)"
    fi
done

# Two targets at a time (the stage has two cores), each with a wall-clock limit.
fuzz_start() {
    mkdir -p "fuzz/corpus/$1"
    (cd fuzz && exec cargo +nightly fuzz run "$1" "corpus/$1" "seeds/$1" -- \
        -max_total_time="$FUZZ_TIME" -print_final_stats=1) >"fuzz/$1-fuzz.log" 2>&1 &
    pids+=("$!")
}
fuzz_wait() {
    local t="$1" pid="$2" log="fuzz/$1-fuzz.log"
    echo "--- fuzz $t: ${FUZZ_TIME}s"
    if wait "$pid"; then
        # libFuzzer's closing lines: the DONE status line and the final stats.
        grep -E "DONE|^stat::(number_of_executed_units|new_units_added|peak_rss_mb)" "$log" || true
        pass "fuzz $t"
    else
        grep -E -A3 "panicked at|^SUMMARY" "$log" | head -n 12 || true
        fail "fuzz $t (log: $log; crash input under fuzz/artifacts/$t/)"
    fi
}
for ((i = 0; i < ${#TARGETS[@]}; i += 2)); do
    pair=("${TARGETS[@]:i:2}")
    pids=()
    for t in "${pair[@]}"; do fuzz_start "$t"; done
    for j in "${!pair[@]}"; do fuzz_wait "${pair[j]}" "${pids[j]}"; done
done

# miri: the core is `forbid(unsafe_code)`, but its dependencies (sha2, hmac, zeroize) are not;
# miri checks the whole call graph for UB the tests reach.
echo "--- miri: core unit and doc tests"
t0=$(date +%s)
if cargo +nightly miri test -q -p dbtoken --all-features; then
    pass "miri dbtoken ($(( $(date +%s) - t0 ))s)"
else
    fail "miri dbtoken"
fi

# The whole `vectors` test under miri did not finish in 20 minutes (every token vector is signed
# and verified several times, each a full SHA-256/HMAC chain in the interpreter), far past the
# stage's budget. MIRI_VECTORS keeps the tests that run the error vectors (validation of all
# four kinds, inspect and verify of altered tokens: malformed, wrong secret, expired, not yet
# valid) and the secret-free message check. DBTOKEN_MIRI_VECTORS="" (empty) runs all of them.
MIRI_VECTORS="${DBTOKEN_MIRI_VECTORS-every_error_vector_gives_its_code error_messages_are_static_and_secret_free}"
echo "--- miri: conformance vectors (${MIRI_VECTORS:-all})"
t0=$(date +%s)
# shellcheck disable=SC2086
if cargo +nightly miri test -q -p dbtoken-conformance --test vectors -- $MIRI_VECTORS; then
    pass "miri vectors ($(( $(date +%s) - t0 ))s)"
else
    fail "miri vectors"
fi

echo "--- hardening summary"
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
