#!/usr/bin/env bash
# Stage `dist`: builds the release artifacts (scripts/dist.sh) and proves they install and run
# where users run them:
#   - every artifact is there, SHA256SUMS verifies, sizes within budget (wheel and layer zip
#     <= 1 MB, static CLI <= 10 MB);
#   - `auditwheel show`: each manylinux2014 wheel is consistent with manylinux_2_17;
#     readelf: no GLIBC symbol version above 2.17, no libgcc_s, only manylinux libraries
#     (musllinux wheels: musl libc only); the same check rejects the host's libstdc++;
#   - pip's resolver picks each manylinux2014 wheel for --python-version 3.9 … 3.13 with
#     --platform manylinux2014_{x86_64,aarch64} --only-binary=:all: --target (the command AWS
#     gives Lambda users) and the musllinux wheels for musllinux_1_2; a wheel tagged
#     manylinux_2_34 (what a plain build on Debian 12 gives) is refused;
#   - python/tests/test_vectors.py (every token and error vector) against the x86_64 wheel on
#     CPython 3.11 (host) and 3.9 (Debian bullseye root), and the aarch64 wheel on arm64
#     CPython 3.11 (Debian root under qemu-aarch64-static);
#   - each Lambda layer zip, unpacked onto PYTHONPATH with nothing else (python -S), signs the
#     rds-basic vector token (x86_64 on 3.9 and 3.11, arm64 under qemu);
#   - the sdist builds a manylinux2014 wheel (pip wheel, maturin backend) that signs rds-basic;
#   - both static CLIs print the rds-basic token (aarch64 under qemu); readelf/file/ldd: no
#     interpreter, no shared library (the same check rejects /bin/ls);
#   - the npm tarball holds the package at the workspace version;
#   - cold start (fresh interpreter, import + first token) <= 2x `python -c pass`.
# Environment: DBTOKEN_DIST_OUT (default dist/), DBTOKEN_DIST_TARGET (default
#              target/dist),
#              DBTOKEN_DIST_SKIP_BUILD=1 checks an existing dist/ without rebuilding.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$PWD
OUT=${DBTOKEN_DIST_OUT:-$REPO/dist}
VERSION=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)

t_build=$(date +%s)
if [[ "${DBTOKEN_DIST_SKIP_BUILD:-}" != 1 ]]; then
    DBTOKEN_DIST_OUT=$OUT bash scripts/dist.sh
else
    scripts/tools.sh dist
fi
echo "dist: build $(( $(date +%s) - t_build ))s"
eval "$(scripts/tools.sh env)"
export PATH="$DBTOKEN_DIST_BIN:$PATH"
DIST_TARGET=${DBTOKEN_DIST_TARGET:-$REPO/target/dist}
ROOTS=$DBTOKEN_TOOLS/roots
ARM=$ROOTS/bookworm-arm64
BULL=$ROOTS/bullseye-amd64
PYTEST311=$DBTOKEN_TOOLS/dist/pytest-py3.11
PYTEST39=$DBTOKEN_TOOLS/dist/pytest-py3.9
export PYTHONDONTWRITEBYTECODE=1 PIP_ROOT_USER_ACTION=ignore

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dbtoken-dist-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Interpreters. The bullseye CPython runs with its own loader and libraries; the arm64 one
# under qemu-aarch64-static with the root as its library prefix.
py311() { python3 "$@"; }
py39() {
    PYTHONHOME=$BULL/usr "$BULL/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
        --library-path "$BULL/lib/x86_64-linux-gnu:$BULL/usr/lib/x86_64-linux-gnu" \
        "$BULL/usr/bin/python3.9" "$@"
}
py311_arm64() { qemu-aarch64-static -L "$ARM" "$ARM/usr/bin/python3.11" "$@"; }

results=()
status=0
check() {
    local name="$1"; shift
    local t0; t0=$(date +%s)
    echo "--- dist: $name"
    if "$@"; then results+=("PASS $name ($(( $(date +%s) - t0 ))s)")
    else results+=("FAIL $name ($(( $(date +%s) - t0 ))s)"); status=1
    fi
}

WHL_X86=$OUT/dbtoken-$VERSION-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
WHL_ARM=$OUT/dbtoken-$VERSION-cp39-abi3-manylinux2014_aarch64.manylinux_2_17_aarch64.whl
WHL_MUSL_X86=$OUT/dbtoken-$VERSION-cp39-abi3-musllinux_1_2_x86_64.whl
WHL_MUSL_ARM=$OUT/dbtoken-$VERSION-cp39-abi3-musllinux_1_2_aarch64.whl
SDIST=$OUT/dbtoken-$VERSION.tar.gz
LAYER_X86=$OUT/dbtoken-$VERSION-lambda-layer-python-x86_64.zip
LAYER_ARM=$OUT/dbtoken-$VERSION-lambda-layer-python-arm64.zip
CLI_X86=$OUT/dbtoken-$VERSION-x86_64-unknown-linux-musl
CLI_ARM=$OUT/dbtoken-$VERSION-aarch64-unknown-linux-musl
NPM=$OUT/dbtoken-$VERSION.tgz
ALL=("$WHL_X86" "$WHL_ARM" "$WHL_MUSL_X86" "$WHL_MUSL_ARM" "$SDIST" "$LAYER_X86" "$LAYER_ARM" "$CLI_X86" "$CLI_ARM" "$NPM")
EXPECTED=$(python3 scripts/dist_check.py vector rds-basic)

artifacts() {
    local f ok=0
    for f in "${ALL[@]}"; do
        [[ -f "$f" ]] || { echo "missing: $f"; ok=1; }
    done
    (cd "$OUT" && sha256sum --strict -c SHA256SUMS) || ok=1
    # SHA256SUMS covers every file in dist/ and nothing else.
    diff <(cd "$OUT" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | LC_ALL=C sort) \
        <(awk '{print $2}' "$OUT/SHA256SUMS") || ok=1
    return $ok
}
check "artifacts and SHA256SUMS" artifacts
check "size budgets" python3 scripts/dist_check.py sizes "$OUT" "$VERSION"

auditwheel_2_17() {
    local whl="$1" arch="$2" report
    report=$(auditwheel show "$whl")
    echo "$report" | sed -n '2,4p'
    [[ "$(tr '\n' ' ' <<<"$report")" == *"is consistent with the following platform tag: \"manylinux_2_17_$arch\""* ]] \
        || { echo "$report"; echo "not manylinux_2_17_$arch"; return 1; }
}
check "auditwheel: x86_64 wheel is manylinux_2_17" auditwheel_2_17 "$WHL_X86" x86_64
check "auditwheel: aarch64 wheel is manylinux_2_17" auditwheel_2_17 "$WHL_ARM" aarch64

symbols() {
    python3 scripts/dist_check.py elf "$WHL_X86" --libc glibc --arch x86_64 --max-glibc 2.17 &&
    python3 scripts/dist_check.py elf "$WHL_ARM" --libc glibc --arch aarch64 --max-glibc 2.17 &&
    python3 scripts/dist_check.py elf "$WHL_MUSL_X86" --libc musl --arch x86_64 &&
    python3 scripts/dist_check.py elf "$WHL_MUSL_ARM" --libc musl --arch aarch64 || return 1
    # The check has teeth: a library built on this Debian 12 host needs newer glibc and libgcc_s.
    local lib
    lib=$(ls /usr/lib/x86_64-linux-gnu/libstdc++.so.6)
    if python3 scripts/dist_check.py elf "$lib" --libc glibc --arch x86_64 --max-glibc 2.17 >"$WORK/neg.txt"; then
        echo "the symbol check accepted $lib"; return 1
    fi
    grep -q 'GLIBC_2.3[0-9]' "$WORK/neg.txt" && grep -q libgcc_s "$WORK/neg.txt" \
        || { cat "$WORK/neg.txt"; return 1; }
    echo "control: $lib rejected ($(tail -n +2 "$WORK/neg.txt" | tr -s ' ' | tr '\n' ';'))"
}
check "glibc <= 2.17 and no libgcc_s (manylinux), musl only (musllinux)" symbols

# pip install --dry-run with the flags AWS documents for Lambda deployment packages.
pip_pick() {  # WHEEL PLATFORM [PYTHON VERSION...] (default 3.9 … 3.13)
    local whl="$1" platform="$2" v versions=(3.9 3.10 3.11 3.12 3.13)
    shift 2
    [[ $# -eq 0 ]] || versions=("$@")
    for v in "${versions[@]}"; do
        rm -rf "$WORK/pip-target" "$WORK/report.json"
        python3 -m pip install -q --disable-pip-version-check --dry-run --ignore-installed --no-deps \
            --no-index --find-links "$OUT" --only-binary=:all: --implementation cp \
            --python-version "$v" --platform "$platform" --target "$WORK/pip-target" \
            --report "$WORK/report.json" "dbtoken==$VERSION" || { echo "pip refused for $v $platform"; return 1; }
        echo -n "python $v $platform: "
        python3 scripts/dist_check.py pip-pick "$WORK/report.json" "$(basename "$whl")" || return 1
    done
}
pip_refuses_2_34() {
    mkdir -p "$WORK/neg-index"
    cp "$WHL_X86" "$WORK/neg-index/dbtoken-$VERSION-cp39-abi3-manylinux_2_34_x86_64.whl"
    if python3 -m pip install -q --disable-pip-version-check --dry-run --ignore-installed --no-deps \
        --no-index --find-links "$WORK/neg-index" --only-binary=:all: --implementation cp \
        --python-version 3.9 --platform manylinux2014_x86_64 --target "$WORK/pip-target" \
        "dbtoken==$VERSION" 2>"$WORK/neg-pip.txt"; then
        echo "pip accepted a manylinux_2_34 wheel for manylinux2014"; return 1
    fi
    grep -q 'No matching distribution' "$WORK/neg-pip.txt" || { cat "$WORK/neg-pip.txt"; return 1; }
    echo "control: pip refuses a manylinux_2_34 wheel for --platform manylinux2014_x86_64"
}
check "pip resolver: x86_64 wheel for Lambda python3.9-3.13" pip_pick "$WHL_X86" manylinux2014_x86_64
check "pip resolver: aarch64 wheel for Lambda python3.9-3.13" pip_pick "$WHL_ARM" manylinux2014_aarch64
check "pip resolver: musllinux wheels (3.9, 3.13)" eval 'pip_pick "$WHL_MUSL_X86" musllinux_1_2_x86_64 3.9 3.13 && pip_pick "$WHL_MUSL_ARM" musllinux_1_2_aarch64 3.9 3.13'
check "pip resolver refuses manylinux_2_34 for manylinux2014 (control)" pip_refuses_2_34

# Install a wheel the way a Lambda deployment package is made: pip --target, nothing else.
install_target() {  # WHEEL PLATFORM PYVER DIR
    rm -rf "$4"
    python3 -m pip install -q --disable-pip-version-check --no-deps --no-index --no-compile \
        --only-binary=:all: --implementation cp --python-version "$3" --platform "$2" --target "$4" "$1"
}
# (A failure here shows up in the checks that use the directory.)
install_target "$WHL_X86" manylinux2014_x86_64 3.9 "$WORK/t-x86_64" || true
install_target "$WHL_ARM" manylinux2014_aarch64 3.11 "$WORK/t-aarch64" || true

# python/tests/test_vectors.py, with python -S: only the stdlib, the wheel and pytest.
vectors() {  # PYFUNC WHEELDIR PYTESTDIR
    local py="$1" dir="$2" pt="$3"
    PYTHONPATH="$dir:$pt" "$py" -S -c 'import dbtoken, platform, sys; print(platform.python_version(), platform.machine(), dbtoken.__file__)'
    (cd "$WORK" && PYTHONPATH="$dir:$pt" "$py" -S -m pytest "$REPO/python/tests/test_vectors.py" \
        --rootdir "$REPO/python" -c "$REPO/python/pyproject.toml" -p no:cacheprovider -q)
}
check "vectors: x86_64 manylinux2014 wheel on CPython 3.11" vectors py311 "$WORK/t-x86_64" "$PYTEST311"
check "vectors: x86_64 manylinux2014 wheel on CPython 3.9 (bullseye)" vectors py39 "$WORK/t-x86_64" "$PYTEST39"
check "vectors: aarch64 manylinux2014 wheel on arm64 CPython 3.11 (qemu)" vectors py311_arm64 "$WORK/t-aarch64" "$PYTEST311"

# A signing script that reads the case from tests/vectors (the expected token is compared here).
cat >"$WORK/sign.py" <<'EOF'
import json, sys
import dbtoken
case = next(c for c in json.load(open(sys.argv[1]))["cases"] if c["id"] == sys.argv[2])
i = case["input"]
c = i["credentials"]
print(dbtoken.rds_token(i["hostname"], i["port"], i["username"], region=i["region"],
                        credentials=dbtoken.Credentials(c["access_key_id"], c["secret_access_key"]),
                        expires_in=i["expires_in"], signing_time=i["signing_time"]))
EOF
signs() {  # PYFUNC PYTHONPATH LABEL
    local got
    got=$(PYTHONPATH="$2" "$1" -S "$WORK/sign.py" "$REPO/tests/vectors/tokens.json" rds-basic) || return 1
    [[ "$got" == "$EXPECTED" ]] || { echo "$3: got $got"; echo "want $EXPECTED"; return 1; }
    echo "$3: rds-basic token matches tests/vectors/tokens.json"
}
layer() {  # ZIP ARCH PYFUNC...
    local zip="$1" arch="$2" dir="$WORK/layer-$2"; shift 2
    python3 scripts/dist_check.py layer "$zip" "$VERSION" || return 1
    rm -rf "$dir" && mkdir -p "$dir"
    python3 -m zipfile -e "$zip" "$dir"
    local py
    for py in "$@"; do signs "$py" "$dir/python" "$(basename "$zip") on $py" || return 1; done
}
check "Lambda layer x86_64 signs on CPython 3.9 and 3.11" layer "$LAYER_X86" x86_64 py39 py311
check "Lambda layer arm64 signs on arm64 CPython 3.11 (qemu)" layer "$LAYER_ARM" arm64 py311_arm64

sdist() {
    local list src
    list=$(tar -tzf "$SDIST") || return 1
    grep -q '^dbtoken-[^/]*/pyproject.toml$' <<<"$list" || { echo "no pyproject.toml in the sdist"; return 1; }
    echo "$(basename "$SDIST"): $(wc -l <<<"$list") files"
    # Unpacked with fresh mtimes, so cargo compiles the sdist's own sources (dbtoken, dbtoken-py)
    # even though the registry dependencies come from the shared target dir.
    mkdir -p "$WORK/sdist-src"
    tar -xzf "$SDIST" -C "$WORK/sdist-src" --touch || return 1
    src=$(echo "$WORK"/sdist-src/dbtoken-*/)
    # pip with the maturin PEP 517 backend of the dist venv, no network, the release flags.
    CARGO_TARGET_DIR=$DIST_TARGET \
    MATURIN_PEP517_ARGS="--zig --compatibility manylinux2014 --target x86_64-unknown-linux-gnu" \
        "$DBTOKEN_TOOLS/venv-dist/bin/pip" wheel -v --disable-pip-version-check --no-deps \
        --no-build-isolation --no-index -w "$WORK/from-sdist" "$src" >"$WORK/sdist.log" 2>&1 \
        || { tail -n 30 "$WORK/sdist.log"; return 1; }
    grep -E "Compiling dbtoken(-py)? v$VERSION \(${src%/}" "$WORK/sdist.log" \
        || { echo "cargo did not compile the sdist's sources"; tail -n 30 "$WORK/sdist.log"; return 1; }
    local whl
    whl=$(ls "$WORK"/from-sdist/dbtoken-*.whl)
    echo "built from the sdist: $(basename "$whl")"
    [[ "$(basename "$whl")" == "$(basename "$WHL_X86")" ]] || { echo "want $(basename "$WHL_X86")"; return 1; }
    install_target "$whl" manylinux2014_x86_64 3.9 "$WORK/t-sdist" || return 1
    signs py311 "$WORK/t-sdist" "wheel built from the sdist"
}
check "sdist builds a manylinux2014 wheel that signs" sdist

cli() {  # BIN ARCH [RUNNER]
    local bin="$1" arch="$2"; shift 2
    local desc got
    desc=$(file -b "$bin")
    echo "file: $desc"
    [[ "$desc" == *"statically linked"* || "$desc" == *"static-pie linked"* ]] || { echo "not static per file(1)"; return 1; }
    [[ "$desc" == *stripped* && "$desc" != *"not stripped"* ]] || { echo "not stripped per file(1)"; return 1; }
    echo "ldd: $(ldd "$bin" 2>&1 || true)"
    python3 scripts/dist_check.py static "$bin" --arch "$arch" || return 1
    got=$(env -i PATH=/usr/bin:/bin HOME="$WORK" AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
        AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_EC2_METADATA_DISABLED=true \
        AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
        "$@" "$bin" rds --hostname prod-instance.abc123xyz.us-east-1.rds.amazonaws.com --port 5432 \
        --username iam_user --region us-east-1 --expires-in 900 --signing-time 1705322096) || return 1
    [[ "$got" == "$EXPECTED" ]] || { echo "got $got"; echo "want $EXPECTED"; return 1; }
    echo "$(basename "$bin"): rds-basic token matches tests/vectors/tokens.json; $("$@" "$bin" --version)"
}
check "static CLI x86_64-unknown-linux-musl" cli "$CLI_X86" x86_64
check "static CLI aarch64-unknown-linux-musl (qemu)" cli "$CLI_ARM" aarch64 qemu-aarch64-static
static_control() {
    if python3 scripts/dist_check.py static /bin/ls --arch x86_64 >"$WORK/ctl.txt"; then
        cat "$WORK/ctl.txt"; echo "the static check accepted /bin/ls"; return 1
    fi
    echo "control: /bin/ls rejected ($(tail -n +2 "$WORK/ctl.txt" | tr -s ' ' | tr '\n' ';'))"
}
check "static check rejects a dynamic executable (control)" static_control

npm_tarball() {
    local v
    v=$(tar -xzOf "$NPM" package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).version')
    [[ "$v" == "$VERSION" ]] || { echo "package.json version $v, want $VERSION"; return 1; }
    local list
    list=$(tar -tzf "$NPM") || return 1
    grep -qx 'package/dist/dbtoken_wasm_bg.wasm' <<<"$list" || { echo "no .wasm in the tarball"; return 1; }
    echo "$(basename "$NPM"): $(wc -l <<<"$list") files, version $v (tested by the web stage)"
}
check "npm tarball" npm_tarball

# A venv without packages: the interpreter itself (not a launcher shim), no site-packages .pth files.
python3 -m venv --without-pip "$WORK/venv-cold"
check "cold start <= 2x bare Python (x86_64 wheel, CPython 3.11)" \
    python3 scripts/dist_coldstart.py --python "$WORK/venv-cold/bin/python" --pythonpath "$WORK/t-x86_64" \
    --runs 30 --max-ratio 2.0

echo "--- dist summary"
printf '%s\n' "${results[@]}"
p=$(printf '%s\n' "${results[@]}" | grep -c '^PASS' || true)
f=$(printf '%s\n' "${results[@]}" | grep -c '^FAIL' || true)
echo "dist: $p passed, $f failed"
exit $status
