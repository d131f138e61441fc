#!/usr/bin/env bash
# Stage swift-abi: the Swift stand-in (no Swift compiler exists on these machines).
#   1. build libdbtoken_uniffi + uniffi-bindgen and generate the Swift sources (bindings/generate.sh);
#   2. run the binding crate's Rust tests (error mapping, redaction);
#   3. extract the contract version and API checksums that the generated DBToken.swift checks at
#      load time (bindings/swift/tests/expected.py), compile the generated DBTokenFFI.h with gcc
#      and run bindings/swift/tests/abi_test.c against the library: checksums, every scaffolding
#      function, vector tokens, error paths. Ends with `N passed, N failed`.
# This proves the header, the exported symbols, the checksums and the wire format agree with
# the generated Swift; it does not compile the Swift.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

bash bindings/generate.sh --check --lang swift >/dev/null
lib="$(bash bindings/generate.sh --out "$work/gen" --lang swift | sed -n 's/^library: //p')"
libdir="$(dirname "$lib")"

# Same profile as the library just built, so only the test harness is compiled.
cargo test --release -p dbtoken-uniffi

tests=bindings/swift/tests
python3 "$tests/expected.py" "$work/gen/swift/Sources/DBToken/DBToken.swift" "$work/gen/swift/Headers/DBTokenFFI.h" \
    "$tests/abi_test.c" "$tests/../../../tests/vectors" >"$work/expected.h"
gcc -std=c11 -O1 -Wall -Wextra -Werror -D_Nullable= -D_Nonnull= \
    -I"$work/gen/swift/Headers" -I"$work" "$tests/abi_test.c" \
    -L"$libdir" -ldbtoken_uniffi -Wl,-rpath,"$libdir" -o "$work/abi_test"
"$work/abi_test"
