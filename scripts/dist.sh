#!/usr/bin/env bash
# Builds every release artifact into dist/ (or $DBTOKEN_DIST_OUT), installing its own tools
# (scripts/tools.sh dist: zig, cargo-zigbuild, maturin, rustup targets):
#
#   dbtoken-V-cp39-abi3-manylinux2014_{x86_64,aarch64}…whl   glibc >= 2.17 (Lambda python3.9+, AL2)
#   dbtoken-V-cp39-abi3-musllinux_1_2_{x86_64,aarch64}.whl    Alpine
#   dbtoken-V.tar.gz                                          sdist (maturin; builds with Rust)
#   dbtoken-V-lambda-layer-python-{x86_64,arm64}.zip          python/ layout, the wheel only
#   dbtoken-V-{x86_64,aarch64}-unknown-linux-musl             static, stripped CLI
#   dbtoken-V.tgz                                             npm package (web/)
#   SHA256SUMS
#
#   scripts/dist.sh            everything
#   scripts/dist.sh wheels cli only these parts (wheels sdist layers cli npm; layers need wheels)
#
# Cross builds use their own target dir ($DBTOKEN_DIST_TARGET, default target/dist): they do
# not invalidate the other stages' builds in target/. It stays inside the checkout on purpose:
# cargo decides freshness by file times, so a target dir shared by two checkouts can hand one
# of them crates compiled from the other's sources.
# The npm part reuses the web stage's build in target/. Checks: scripts/stages/dist.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD

OUT=${DBTOKEN_DIST_OUT:-$REPO/dist}
ALL_PARTS=(wheels sdist layers cli npm)
parts=("$@")
[[ ${#parts[@]} -gt 0 ]] || parts=("${ALL_PARTS[@]}")
for p in "${parts[@]}"; do
    [[ " ${ALL_PARTS[*]} " == *" $p "* ]] || { echo "dist.sh: unknown part '$p' (${ALL_PARTS[*]})" >&2; exit 2; }
done
want() { [[ " ${parts[*]} " == *" $1 "* ]]; }

VERSION=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
[[ -n "$VERSION" ]] || { echo "dist.sh: no [workspace.package] version in Cargo.toml" >&2; exit 1; }

scripts/tools.sh dist
eval "$(scripts/tools.sh env)"
export PATH="$DBTOKEN_DIST_BIN:$PATH" PIP_ROOT_USER_ACTION=ignore
DIST_TARGET=${DBTOKEN_DIST_TARGET:-$REPO/target/dist}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dbtoken-dist.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n== dist: %s\n' "$*"; }
timed() {
    local name="$1" t0; shift
    t0=$(date +%s)
    if ! "$@" >"$WORK/$name.log" 2>&1; then
        echo "dist.sh: '$*' failed; last lines:" >&2
        tail -n 40 "$WORK/$name.log" >&2
        exit 1
    fi
    echo "$name: $(( $(date +%s) - t0 ))s"
}

mkdir -p "$OUT"
rm -f "$OUT/SHA256SUMS"

# ---------------------------------------------------------------- wheels
# zig links against glibc 2.17 symbols, so the manylinux2014 audit passes without a
# manylinux container; the musl targets give musllinux_1_2 wheels.
if want wheels; then
    step "wheels (maturin --zig)"
    rm -f "$OUT"/dbtoken-*.whl
    for spec in x86_64-unknown-linux-gnu:manylinux2014 aarch64-unknown-linux-gnu:manylinux2014 \
                x86_64-unknown-linux-musl:musllinux_1_2 aarch64-unknown-linux-musl:musllinux_1_2; do
        target=${spec%%:*} compat=${spec#*:}
        timed "wheel-$target" env CARGO_TARGET_DIR="$DIST_TARGET" maturin build --release --zig \
            --compatibility "$compat" --target "$target" -m python/Cargo.toml -o "$OUT"
    done
fi

# ---------------------------------------------------------------- sdist
if want sdist; then
    step sdist
    rm -f "$OUT"/dbtoken-*.tar.gz
    timed sdist maturin sdist -m python/Cargo.toml -o "$OUT"
fi

# ---------------------------------------------------------------- Lambda layers
# A layer zip holds python/<package>: what `pip install --target python/` makes from the
# manylinux2014 wheel (no dependencies: the package has none, boto3 is not needed), without
# bytecode (the host's .pyc would not match the Lambda runtime's Python anyway). Entries are
# sorted with fixed timestamps, so the same wheel always gives the same zip.
if want layers; then
    step "Lambda layers"
    rm -f "$OUT"/dbtoken-*-lambda-layer-*.zip
    for arch in x86_64:x86_64 arm64:aarch64; do
        name=${arch%%:*} plat=${arch#*:}
        wheel=$(ls "$OUT"/dbtoken-"$VERSION"-cp39-abi3-manylinux2014_"$plat"*.whl)
        layer="$WORK/layer-$name"
        rm -rf "$layer"
        python3 -m pip install -q --disable-pip-version-check --no-deps --no-compile --no-index \
            --only-binary=:all: --implementation cp --python-version 3.9 \
            --platform "manylinux2014_$plat" --target "$layer/python" "$wheel"
        zip="$OUT/dbtoken-$VERSION-lambda-layer-python-$name.zip"
        python3 - "$layer" "$zip" <<'EOF'
import os, sys, zipfile
root, dest = sys.argv[1], sys.argv[2]
paths = []
for d, dirs, files in os.walk(root):
    dirs.sort()
    paths += [os.path.join(d, f) for f in sorted(files)]
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for p in paths:
        info = zipfile.ZipInfo(os.path.relpath(p, root), date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = (0o755 if os.access(p, os.X_OK) else 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(p, "rb") as f:
            z.writestr(info, f.read(), compresslevel=9)
EOF
        echo "$(basename "$zip"): $(stat -c %s "$zip") B"
    done
fi

# ---------------------------------------------------------------- static CLI
# musl targets link statically (Rust's default crt-static for musl); zig is the C compiler and
# linker (aws-lc-sys compiles C). Symbols are stripped, and the release binaries get whole-program
# (fat) LTO: 8.5 MB instead of 9.9 MB for x86_64 with the workspace's thin LTO, for about a
# minute more of build. Both targets in one cargo run: the host-side build scripts and proc
# macros are built once, and the two targets share the cores.
if want cli; then
    step "static CLI (cargo zigbuild)"
    cli_targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
    for target in "${cli_targets[@]}"; do rm -f "$OUT/dbtoken-$VERSION-$target"; done
    timed cli env CARGO_TARGET_DIR="$DIST_TARGET" CARGO_PROFILE_RELEASE_STRIP=symbols \
        CARGO_PROFILE_RELEASE_LTO=fat cargo zigbuild --release --locked -p dbtoken-cli "${cli_targets[@]/#/--target=}"
    for target in "${cli_targets[@]}"; do
        cp "$DIST_TARGET/$target/release/dbtoken" "$OUT/dbtoken-$VERSION-$target"
        echo "dbtoken-$VERSION-$target: $(stat -c %s "$OUT/dbtoken-$VERSION-$target") B"
    done
fi

# ---------------------------------------------------------------- npm
if want npm; then
    step "npm package"
    scripts/tools.sh wasm
    eval "$(scripts/tools.sh env)"
    rm -f "$OUT"/dbtoken-*.tgz
    timed npm-ci npm ci --prefix web --no-audit --no-fund --loglevel=error
    timed npm-build npm --prefix web run build
    (cd "$OUT" && npm pack "$REPO/web" --loglevel=error >/dev/null)
    ls "$OUT"/dbtoken-"$VERSION".tgz >/dev/null
    echo "dbtoken-$VERSION.tgz: $(stat -c %s "$OUT/dbtoken-$VERSION.tgz") B"
fi

# ---------------------------------------------------------------- checksums
step SHA256SUMS
(cd "$OUT" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | LC_ALL=C sort \
    | xargs sha256sum >SHA256SUMS)
(cd "$OUT" && while read -r _ f; do printf '%10s  %s\n' "$(stat -c %s "$f")" "$f"; done <SHA256SUMS)
echo "dist: $(wc -l <"$OUT/SHA256SUMS") artifacts in $OUT"
