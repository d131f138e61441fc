#!/usr/bin/env bash
# Stage "bench-smoke": the criterion benchmarks build and run one quick pass. No time is asserted
# (benchmarks are measured and recorded in BENCHMARKS.md, not tested).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
cargo bench -q -p dbtoken-bench --bench tokens -- --quick --warm-up-time 0.2 --measurement-time 0.5 >/tmp/dbtoken-bench-smoke.log
grep -c "time:" /tmp/dbtoken-bench-smoke.log | xargs -I{} echo "bench-smoke: {} benchmarks ran"
echo "1 passed, 0 failed"
