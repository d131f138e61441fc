#!/usr/bin/env bash
# Builds bindings/swift/DBTokenFFI.xcframework (static libraries for iOS devices, the iOS
# simulator and macOS, with DBTokenFFI.h and its module map) and generates
# bindings/swift/Sources/DBToken/DBToken.swift from the same library.
#
# Runs on macOS only (needs Xcode's xcodebuild and lipo). NOT run in this repository's CI:
# there are no Macs there. See bindings/README.md.
#
#   bindings/swift/build-xcframework.sh
#
# Environment: IPHONEOS_DEPLOYMENT_TARGET (default 13.0), MACOSX_DEPLOYMENT_TARGET (default 10.15).
set -euo pipefail

[[ "$(uname -s)" == Darwin ]] || { echo "build-xcframework.sh: needs macOS with Xcode" >&2; exit 1; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-13.0}"
export MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-10.15}"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${targets[@]}"
for t in "${targets[@]}"; do
    cargo build --release -p dbtoken-uniffi --target "$t"
done

# The Swift sources and the header, generated from the host build (same code, same checksums).
bash bindings/generate.sh --lang swift

build="$here/build"
rm -rf "$build" "$here/DBTokenFFI.xcframework"
mkdir -p "$build/ios" "$build/ios-sim" "$build/macos"
a() { echo "$target_dir/$1/release/libdbtoken_uniffi.a"; }
cp "$(a aarch64-apple-ios)" "$build/ios/libdbtoken_uniffi.a"
lipo -create "$(a aarch64-apple-ios-sim)" "$(a x86_64-apple-ios)" -output "$build/ios-sim/libdbtoken_uniffi.a"
lipo -create "$(a aarch64-apple-darwin)" "$(a x86_64-apple-darwin)" -output "$build/macos/libdbtoken_uniffi.a"

xcodebuild -create-xcframework \
    -library "$build/ios/libdbtoken_uniffi.a" -headers "$here/Headers" \
    -library "$build/ios-sim/libdbtoken_uniffi.a" -headers "$here/Headers" \
    -library "$build/macos/libdbtoken_uniffi.a" -headers "$here/Headers" \
    -output "$here/DBTokenFFI.xcframework"
echo "built $here/DBTokenFFI.xcframework; now: swift build --package-path $here"
