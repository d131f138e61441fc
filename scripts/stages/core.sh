#!/usr/bin/env bash
# Stage "core": the dbtoken crate and the shared vectors.
#   - formatting and the core's clippy lint wall (warnings denied)
#   - unit + doc tests, with and without the alloc feature
#   - the conformance crate: tokens.json / errors.json / the official SigV4 suite, the
#     zero-allocation test (release and dev profiles), the differential property test against
#     aws-sigv4 (full token text, all four kinds)
#   - no_std builds for thumbv7em-none-eabi and wasm32-unknown-unknown
#   - the vector generator re-derives every expected token with botocore (--check)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

echo "--- fmt + clippy"
cargo fmt -p dbtoken -p dbtoken-conformance -- --check
cargo clippy -q -p dbtoken --all-targets --all-features -- -D warnings
cargo clippy -q -p dbtoken --no-default-features -- -D warnings

echo "--- core unit and doc tests"
cargo test -q -p dbtoken --all-features
cargo test -q -p dbtoken --no-default-features --lib

echo "--- conformance"
cargo test -q -p dbtoken-conformance --release
# The zero-allocation test again without optimisation: the optimiser may delete an allocation
# whose result is unused, which would hide it in the release run above.
cargo test -q -p dbtoken-conformance --test zero_alloc

echo "--- no_std targets"
rustup target add thumbv7em-none-eabi wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add thumbv7em-none-eabi wasm32-unknown-unknown
cargo build -q -p dbtoken --no-default-features --target thumbv7em-none-eabi
cargo build -q -p dbtoken --no-default-features --features alloc --target wasm32-unknown-unknown

echo "--- vectors re-derived with botocore"
venv="${DBTOKEN_TOOLS:-$HOME/.cache/dbtoken-tools}/venv-gen"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/gen/requirements.txt
"$venv/bin/python" tests/gen/generate.py --check
python3 tests/gen/extract_suite.py --check   # the suite ships in the aws-sigv4 crate, fetched above
