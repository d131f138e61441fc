#!/usr/bin/env bash
# Builds libdbtoken_uniffi (release) and the workspace's uniffi-bindgen, then generates the
# Kotlin and Swift sources from the built library (uniffi "library mode").
#
#   bindings/generate.sh                 write into the documented folders:
#                                          bindings/kotlin/src/main/kotlin/dbtoken/dbtoken_uniffi.kt
#                                          bindings/swift/Sources/DBToken/DBToken.swift
#                                          bindings/swift/Headers/DBTokenFFI.h, module.modulemap
#   bindings/generate.sh --out DIR       write into DIR/kotlin/... and DIR/swift/... instead
#   bindings/generate.sh --check         exit 1 if generated sources committed in the documented
#                                        folders differ from what the current library generates
#   --lang kotlin|swift                  only one language (repeatable)
#
# The generated sources are not committed (bindings/.gitignore); CI generates them afresh.
# Respects CARGO_TARGET_DIR. Prints the path of the library it generated from on stdout's
# last line ("library: PATH").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out=""
check=0
langs=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --check) check=1; shift ;;
        --lang) langs+=("$2"); shift 2 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "generate.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ ${#langs[@]} -gt 0 ]] || langs=(kotlin swift)

cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
case "$(uname -s)" in
    Darwin) lib="$target/release/libdbtoken_uniffi.dylib" ;;
    *) lib="$target/release/libdbtoken_uniffi.so" ;;
esac

# Two separate cargo invocations: building uniffi-bindgen together with the library would unify
# uniffi's `cli` feature into the library's build and rebuild everything. The bindgen is a
# plain dev build without debug info (it only reads the library's metadata).
cargo build --release -p dbtoken-uniffi >&2
CARGO_PROFILE_DEV_DEBUG=0 cargo build -p dbtoken-uniffi-bindgen >&2
bindgen="$target/debug/uniffi-bindgen"

gen() { # gen LANG DIR
    "$bindgen" generate --no-format --library "$lib" --language "$1" --out-dir "$2" >&2
}

# Lays the generated files out as the Gradle project and the Swift package expect them.
layout() { # layout RAW DEST LANG
    case "$3" in
        kotlin)
            mkdir -p "$2/kotlin/src/main/kotlin/dbtoken"
            cp "$1/kotlin/dbtoken/dbtoken_uniffi.kt" "$2/kotlin/src/main/kotlin/dbtoken/" ;;
        swift)
            mkdir -p "$2/swift/Sources/DBToken" "$2/swift/Headers"
            cp "$1/swift/DBToken.swift" "$2/swift/Sources/DBToken/"
            cp "$1/swift/DBTokenFFI.h" "$2/swift/Headers/"
            cp "$1/swift/DBTokenFFI.modulemap" "$2/swift/Headers/module.modulemap" ;;
    esac
}

raw="$(mktemp -d)"
trap 'rm -rf "$raw"' EXIT
for l in "${langs[@]}"; do gen "$l" "$raw/$l"; done

if [[ $check -eq 1 ]]; then
    fresh="$raw/fresh"
    status=0
    in_git=0
    git rev-parse --is-inside-work-tree >/dev/null 2>&1 && in_git=1
    for l in "${langs[@]}"; do
        layout "$raw" "$fresh" "$l"
        while IFS= read -r f; do
            rel="${f#"$fresh/"}"
            # Only committed copies are checked (in a git checkout); a local, uncommitted
            # generation is the developer's business.
            if [[ $in_git -eq 1 ]] && ! git ls-files --error-unmatch "bindings/$rel" >/dev/null 2>&1; then
                continue
            fi
            if [[ -e "$here/$rel" ]]; then
                if cmp -s "$f" "$here/$rel"; then
                    echo "fresh: bindings/$rel" >&2
                else
                    echo "STALE: bindings/$rel differs from what the current library generates (run bindings/generate.sh)" >&2
                    status=1
                fi
            fi
        done < <(find "$fresh/$l" -type f)
    done
    echo "library: $lib"
    exit $status
fi

dest="${out:-$here}"
for l in "${langs[@]}"; do layout "$raw" "$dest" "$l"; done
echo "library: $lib"
