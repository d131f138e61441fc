#!/usr/bin/env bash
# Idempotent, cached installer for the tools dbtoken's CI and developers need.
#
#   scripts/tools.sh apt [PKG...]      Debian packages (default: the full list below)
#   scripts/tools.sh wasm              wasm32/thumbv7em targets + wasm-bindgen-cli (Cargo.lock version)
#   scripts/tools.sh python [PIP...]   venv with maturin + pytest (+ extra pip args)
#   scripts/tools.sh awscli            separate venv with the AWS CLI v1
#   scripts/tools.sh kotlin            kotlinc (npm kotlin-compiler) + JNA (apt)
#   scripts/tools.sh miri              nightly miri + rust-src + `cargo miri setup`
#   scripts/tools.sh fuzz              cargo-fuzz
#   scripts/tools.sh dist              release builds: zig, cargo-zigbuild, auditwheel, rustup cross
#                                      targets, qemu-user-static, arm64 + bullseye Debian roots
#   scripts/tools.sh env               print `export PATH=...` lines:  eval "$(scripts/tools.sh env)"
#
# Sourcing the file (`. scripts/tools.sh`) is the same as `eval "$(scripts/tools.sh env)"`:
# it only extends PATH/exports and leaves the caller's shell options alone.
#
# Cache: ${DBTOKEN_TOOLS:-$HOME/.cache/dbtoken-tools} (never inside the repo).
# Each tool prints one status line on stdout; installer chatter goes to $CACHE/logs/*.log
# and is shown (tail) only when an install fails.

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    # Sourced: export the environment and return without touching shell options.
    eval "$(bash "${BASH_SOURCE[0]}" env)"
    return 0
fi

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${DBTOKEN_TOOLS:-$HOME/.cache/dbtoken-tools}"

APT_DEFAULT=(postgresql postgresql-client libpam-script faketime hyperfine chromium chromium-driver libjna-java valgrind mariadb-server mariadb-client libmariadb-dev pkg-config openssl)
MATURIN_VERSION=1.16.0
PYTEST_VERSION=9.2.0
KOTLIN_VERSION=2.4.20
CARGO_FUZZ_VERSION=0.13.2
WASM_BINDGEN_FALLBACK=0.2.130
WASM_TARGETS=(wasm32-unknown-unknown thumbv7em-none-eabi)
# Release artifacts (scripts/dist.sh, stage dist).
ZIGLANG_VERSION=0.15.2
AUDITWHEEL_VERSION=6.8.2
CARGO_ZIGBUILD_VERSION=0.24.1
DIST_TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
# pytest for the interpreters in the Debian roots (pytest 9 needs Python >= 3.10).
PYTEST_PY39_VERSION=8.4.2
PYTEST_PY39_BACKPORTS=(exceptiongroup==1.3.0 tomli==2.2.1)
DEBIAN_MIRROR=http://deb.debian.org/debian

die() { echo "tools.sh: error: $*" >&2; exit 1; }
say() { printf '%-18s %s\n' "$1" "$2"; }

case "$CACHE" in
    "$REPO"|"$REPO"/*) die "DBTOKEN_TOOLS ($CACHE) must not be inside the repository" ;;
esac

# Run a command with its output captured in $CACHE/logs/NAME.log; on failure show the tail.
run_logged() {
    local name="$1"; shift
    local log="$CACHE/logs/$name.log"
    mkdir -p "$CACHE/logs"
    if ! "$@" >"$log" 2>&1; then
        echo "tools.sh: error: '$*' failed; last lines of $log:" >&2
        tail -n 30 "$log" | cut -c1-300 >&2
        exit 1
    fi
}

# Serialise concurrent runs that touch the same part of the cache (fd 9 held until exit).
lock() {
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock-$1"
    flock 9
}

now() { date +%s; }
took() { echo "$(( $(now) - $1 ))s"; }

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root (or sudo) for: $*"
    fi
}

# ---------------------------------------------------------------- apt
APT_UPDATED=0
pkg_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

cmd_apt() {
    local pkgs=("$@") missing=() p
    [[ ${#pkgs[@]} -gt 0 ]] || pkgs=("${APT_DEFAULT[@]}")
    for p in "${pkgs[@]}"; do
        if pkg_installed "$p"; then say "$p" "already installed"; else missing+=("$p"); fi
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        local t0; t0=$(now)
        export DEBIAN_FRONTEND=noninteractive
        if [[ $APT_UPDATED -eq 0 ]]; then
            run_logged apt-update as_root apt-get -o DPkg::Lock::Timeout=300 update -q
            APT_UPDATED=1
        fi
        run_logged apt-install as_root apt-get -o DPkg::Lock::Timeout=300 install -y -q \
            --no-install-recommends "${missing[@]}"
        for p in "${missing[@]}"; do
            pkg_installed "$p" || die "apt: $p still not installed (see $CACHE/logs/apt-install.log)"
            say "$p" "installed ($(took "$t0") for ${#missing[@]} package(s))"
        done
    fi
    # Debian's libpam-script enables pam_script in /etc/pam.d/common-* on install; undo that.
    # (Checked every time, so a machine where it was installed by hand is fixed too.)
    if pkg_installed libpam-script && grep -qs pam_script /etc/pam.d/common-*; then
        run_logged pam-auth-update as_root pam-auth-update --remove pam_script
        ! grep -qs pam_script /etc/pam.d/common-* || die "pam_script still in /etc/pam.d/common-*"
        say pam_script "removed from /etc/pam.d/common-* (pam-auth-update)"
    fi
}

# ---------------------------------------------------------------- wasm
wasm_bindgen_version() {
    local v=""
    if [[ -f "$REPO/Cargo.lock" ]]; then
        v=$(awk '/^\[\[package\]\]/{n=""} /^name = /{n=$3} n=="\"wasm-bindgen\"" && /^version = /{gsub(/"/,"",$3); print $3; exit}' \
            "$REPO/Cargo.lock")
    fi
    echo "${v:-$WASM_BINDGEN_FALLBACK}"
}

cmd_wasm() {
    local t installed
    # Run rustup from the repo so a rust-toolchain.toml there picks the toolchain.
    installed=$(cd "$REPO" && rustup target list --installed)
    for t in "${WASM_TARGETS[@]}"; do
        if grep -qx "$t" <<<"$installed"; then
            say "$t" "already installed"
        else
            local t0; t0=$(now)
            # shellcheck disable=SC2016
            run_logged "rustup-target-$t" bash -c 'cd "$1" && rustup target add "$2"' _ "$REPO" "$t"
            say "$t" "installed ($(took "$t0"))"
        fi
    done

    local v root bin
    v=$(wasm_bindgen_version)
    root="$CACHE/wasm-bindgen-$v"
    bin="$root/bin/wasm-bindgen"
    lock "wasm-bindgen-$v"
    if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null)" == "wasm-bindgen $v" ]]; then
        say wasm-bindgen "$v already installed: $bin"
    else
        local t0; t0=$(now)
        CARGO_PROFILE_DEV_DEBUG=0 run_logged "wasm-bindgen-cli-$v" \
            cargo install --debug wasm-bindgen-cli --version "=$v" --root "$root"
        [[ "$("$bin" --version)" == "wasm-bindgen $v" ]] || die "wasm-bindgen at $bin is not $v"
        say wasm-bindgen "$v installed ($(took "$t0")): $bin"
    fi
}

# ---------------------------------------------------------------- python venvs
# make_venv DIR: create a venv (python3 -m venv) if DIR/bin/python is missing or broken.
make_venv() {
    if ! "$1/bin/python" -c 'import sys' >/dev/null 2>&1; then
        rm -rf "$1"
        run_logged "venv-$(basename "$1")" python3 -m venv "$1"
    fi
}

# Print "name version" for each requirement spec (args that are not pip options).
venv_versions() {
    local py="$1"; shift
    "$py" - "$@" <<'EOF'
import re, sys
from importlib import metadata
for spec in sys.argv[1:]:
    if spec.startswith("-"):
        continue
    name = re.match(r"[A-Za-z0-9._-]+", spec)
    if not name:
        continue
    try:
        print(name.group(0), metadata.version(name.group(0)))
    except metadata.PackageNotFoundError:
        print(name.group(0), "MISSING")
EOF
}

cmd_python() {
    local venv="$CACHE/venv" specs=("maturin==$MATURIN_VERSION" "pytest==$PYTEST_VERSION" "$@")
    local stamp="$venv/.dbtoken-requests" key="${specs[*]}" cacheable=1 s
    for s in "${specs[@]}"; do [[ "$s" != -* ]] || cacheable=0; done
    local t0; t0=$(now)
    lock venv
    make_venv "$venv"
    # Skip pip (and the network) when this exact request was satisfied before and nothing is
    # missing; requests with pip options (-r FILE, --pre, ...) always go to pip.
    if [[ $cacheable -eq 1 ]] && grep -qxF -- "$key" "$stamp" 2>/dev/null \
        && ! venv_versions "$venv/bin/python" "${specs[@]}" | grep -q ' MISSING$'; then
        venv_versions "$venv/bin/python" "${specs[@]}" | while read -r n ver; do
            say "$n" "$ver already installed ($venv)"
        done
        return
    fi
    run_logged pip-venv "$venv/bin/python" -m pip install -q --disable-pip-version-check "${specs[@]}"
    venv_versions "$venv/bin/python" "${specs[@]}" | while read -r n ver; do
        [[ "$ver" != MISSING ]] || die "python: $n not importable after pip install"
        say "$n" "$ver installed ($(took "$t0")) ($venv)"
    done
    [[ $cacheable -eq 0 ]] || grep -qxF -- "$key" "$stamp" 2>/dev/null || echo "$key" >>"$stamp"
}

cmd_awscli() {
    local venv="$CACHE/venv-awscli"
    lock venv-awscli
    if [[ -x "$venv/bin/aws" ]] && "$venv/bin/aws" --version >/dev/null 2>&1; then
        say aws "$("$venv/bin/aws" --version 2>&1 | cut -d' ' -f1) already installed: $venv/bin/aws"
        return
    fi
    local t0; t0=$(now)
    make_venv "$venv"
    run_logged pip-awscli "$venv/bin/python" -m pip install -q --disable-pip-version-check awscli
    "$venv/bin/aws" --version >/dev/null 2>&1 || die "aws --version fails in $venv"
    say aws "$("$venv/bin/aws" --version 2>&1 | cut -d' ' -f1) installed ($(took "$t0")): $venv/bin/aws"
}

# ---------------------------------------------------------------- kotlin
cmd_kotlin() {
    local dir="$CACHE/kotlin" pkg kotlinc have=""
    pkg="$dir/node_modules/kotlin-compiler"
    kotlinc="$pkg/bin/kotlinc"
    lock kotlin
    [[ -f "$pkg/package.json" ]] && have=$(node -p "require(process.argv[1]).version" "$pkg/package.json" 2>/dev/null || true)
    if [[ "$have" == "$KOTLIN_VERSION" && -x "$kotlinc" ]]; then
        say kotlinc "$KOTLIN_VERSION already installed: $kotlinc"
    else
        local t0; t0=$(now)
        mkdir -p "$dir"
        [[ -f "$dir/package.json" ]] || echo '{"private":true}' >"$dir/package.json"
        run_logged npm-kotlin npm install --prefix "$dir" --no-audit --no-fund --no-save \
            "kotlin-compiler@$KOTLIN_VERSION"
        [[ -x "$kotlinc" ]] || die "kotlinc not found at $kotlinc after npm install"
        say kotlinc "$KOTLIN_VERSION installed ($(took "$t0")): $kotlinc"
    fi
    cmd_apt libjna-java
    [[ -f /usr/share/java/jna.jar ]] || die "/usr/share/java/jna.jar missing"
    say jna.jar /usr/share/java/jna.jar
}

# ---------------------------------------------------------------- miri / fuzz
cmd_miri() {
    local t0; t0=$(now)
    rustup toolchain list | grep -q '^nightly' || die "no nightly toolchain (rustup toolchain install nightly)"
    local have
    have=$(rustup component list --installed --toolchain nightly)
    if grep -q '^miri' <<<"$have" && grep -q '^rust-src' <<<"$have"; then
        say miri "component already installed ($(rustup run nightly rustc --version | cut -d' ' -f2-))"
    else
        run_logged rustup-miri rustup component add miri rust-src --toolchain nightly
        say miri "component installed ($(took "$t0"))"
    fi
    # `miri setup` builds the sysroot once (kept in ~/.cache/miri); re-running it is a quick check.
    t0=$(now)
    lock miri
    run_logged miri-setup cargo +nightly miri setup
    say miri-sysroot "ready ($(took "$t0")): $(cargo +nightly miri setup --print-sysroot 2>/dev/null)"
}

cmd_fuzz() {
    local root="$CACHE/cargo-fuzz" bin
    bin="$root/bin/cargo-fuzz"
    lock cargo-fuzz
    if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null)" == *" $CARGO_FUZZ_VERSION" ]]; then
        say cargo-fuzz "$CARGO_FUZZ_VERSION already installed: $bin"
        return
    fi
    local t0; t0=$(now)
    run_logged cargo-fuzz cargo install cargo-fuzz --version "=$CARGO_FUZZ_VERSION" --root "$root"
    [[ "$("$bin" --version)" == *" $CARGO_FUZZ_VERSION" ]] || die "cargo-fuzz at $bin is not $CARGO_FUZZ_VERSION"
    say cargo-fuzz "$CARGO_FUZZ_VERSION installed ($(took "$t0")): $bin"
}

# ---------------------------------------------------------------- dist
# A Debian root for another architecture or release, without touching the host's dpkg: apt-get
# with its own state/cache/sources downloads the packages, `dpkg-deb -x` unpacks them into DIR.
# debian_root NAME ARCH SUITE PKG...  ->  $CACHE/roots/NAME (a stamp file marks it complete)
debian_root() {
    local name="$1" arch="$2" suite="$3"; shift 3
    local dir="$CACHE/roots/$name" st="$CACHE/roots/$name.apt" want="$arch $suite $*"
    lock "root-$name"
    if [[ -f "$dir/.dbtoken-root" && "$(cat "$dir/.dbtoken-root")" == "$want" ]]; then
        say "root $name" "already extracted: $dir ($want)"
        return
    fi
    local t0; t0=$(now)
    rm -rf "$dir" "$st"
    mkdir -p "$st/lists/partial" "$st/archives/partial"
    local key=/usr/share/keyrings/debian-archive-keyring.gpg
    {
        echo "deb [arch=$arch signed-by=$key] $DEBIAN_MIRROR $suite main"
        echo "deb [arch=$arch signed-by=$key] $DEBIAN_MIRROR-security $suite-security main"
    } >"$st/sources.list"
    : >"$st/status"
    local o=(-o "Dir::State=$st" -o "Dir::State::Lists=$st/lists" -o "Dir::State::status=$st/status"
        -o "Dir::Cache=$st" -o "Dir::Cache::archives=$st/archives" -o "Dir::Etc::SourceList=$st/sources.list"
        -o Dir::Etc::SourceParts=/nonexistent -o "APT::Architecture=$arch" -o "APT::Architectures=$arch"
        -o Debug::NoLocking=1 -o APT::Install-Recommends=0 -o APT::Get::AllowUnauthenticated=0)
    run_logged "root-$name-update" apt-get "${o[@]}" update -q
    run_logged "root-$name-download" apt-get "${o[@]}" install -y -q --download-only "$@"
    mkdir -p "$dir"
    local deb
    for deb in "$st"/archives/*.deb; do dpkg-deb -x "$deb" "$dir"; done
    rm -rf "$st"
    echo "$want" >"$dir/.dbtoken-root"
    say "root $name" "extracted ($(took "$t0")): $dir ($want)"
}

# pytest as a plain directory for one Python version (put on PYTHONPATH), pure-Python wheels
# only. pip's --python-version picks wheels but evaluates dependency markers for the host's
# Python, so backports a version needs are named explicitly.
pytest_dir() {
    local pyver="$1" dir="$CACHE/dist/pytest-py$1"
    shift
    local spec="$*"
    lock "pytest-py$pyver"
    if [[ -f "$dir/.dbtoken-spec" && "$(cat "$dir/.dbtoken-spec")" == "$spec" ]]; then
        say "pytest py$pyver" "$spec already installed: $dir"
        return
    fi
    local t0; t0=$(now)
    rm -rf "$dir"
    run_logged "pytest-py$pyver" python3 -m pip install -q --disable-pip-version-check --no-compile \
        --only-binary=:all: --python-version "$pyver" --implementation py --target "$dir" "$@"
    echo "$spec" >"$dir/.dbtoken-spec"
    say "pytest py$pyver" "$spec installed ($(took "$t0")): $dir"
}

cmd_dist() {
    cmd_apt qemu-user-static file binutils debian-archive-keyring

    local t installed
    installed=$(cd "$REPO" && rustup target list --installed)
    for t in "${DIST_TARGETS[@]}"; do
        if grep -qx "$t" <<<"$installed"; then
            say "$t" "already installed"
        else
            local t0; t0=$(now)
            # shellcheck disable=SC2016
            run_logged "rustup-target-$t" bash -c 'cd "$1" && rustup target add "$2"' _ "$REPO" "$t"
            say "$t" "installed ($(took "$t0"))"
        fi
    done

    # maturin + zig + auditwheel in their own venv (the python venv's maturin stays as it is).
    local venv="$CACHE/venv-dist" specs
    specs=("maturin==$MATURIN_VERSION" "ziglang==$ZIGLANG_VERSION" "auditwheel==$AUDITWHEEL_VERSION")
    (
        lock venv-dist
        make_venv "$venv"
        local have
        have=$(venv_versions "$venv/bin/python" "${specs[@]}")
        if [[ "$have" == *" MISSING"* ]] || ! grep -qxF -- "${specs[*]}" "$venv/.dbtoken-requests" 2>/dev/null; then
            local t0; t0=$(now)
            run_logged pip-venv-dist "$venv/bin/python" -m pip install -q --disable-pip-version-check "${specs[@]}"
            echo "${specs[*]}" >"$venv/.dbtoken-requests"
            say venv-dist "installed ($(took "$t0")): ${specs[*]}"
        else
            say venv-dist "already installed: ${specs[*]}"
        fi
    )

    local root="$CACHE/cargo-zigbuild" bin
    bin="$root/bin/cargo-zigbuild"
    (
        lock cargo-zigbuild
        if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null)" == *" $CARGO_ZIGBUILD_VERSION" ]]; then
            say cargo-zigbuild "$CARGO_ZIGBUILD_VERSION already installed: $bin"
        else
            local t0; t0=$(now)
            run_logged cargo-zigbuild cargo install cargo-zigbuild --locked \
                --version "=$CARGO_ZIGBUILD_VERSION" --root "$root"
            [[ "$("$bin" --version)" == *" $CARGO_ZIGBUILD_VERSION" ]] || die "cargo-zigbuild at $bin is not $CARGO_ZIGBUILD_VERSION"
            say cargo-zigbuild "$CARGO_ZIGBUILD_VERSION installed ($(took "$t0")): $bin"
        fi
    )

    # $CACHE/dist-bin: zig (from the ziglang wheel), cargo-zigbuild, maturin and auditwheel of
    # the dist venv. Only scripts/dist.sh and the dist stage put it on PATH.
    local shim="$CACHE/dist-bin" zig
    zig=$("$venv/bin/python" -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
    [[ -x "$zig" ]] || die "no zig binary at $zig"
    mkdir -p "$shim"
    ln -sfn "$zig" "$shim/zig"
    ln -sfn "$bin" "$shim/cargo-zigbuild"
    ln -sfn "$venv/bin/maturin" "$shim/maturin"
    ln -sfn "$venv/bin/auditwheel" "$shim/auditwheel"
    say zig "$("$shim/zig" version): $shim/zig"

    # Interpreters to run the wheels on: arm64 CPython 3.11 (under qemu-aarch64-static) and
    # amd64 CPython 3.9 (Debian bullseye; its own loader), plus pytest for each version.
    debian_root bookworm-arm64 arm64 bookworm python3.11
    debian_root bullseye-amd64 amd64 bullseye python3.9
    pytest_dir 3.11 "pytest==$PYTEST_VERSION"
    pytest_dir 3.9 "pytest==$PYTEST_PY39_VERSION" "${PYTEST_PY39_BACKPORTS[@]}"
}

# ---------------------------------------------------------------- env
# Only tool directories go on PATH; the venvs' own python/pip stay off PATH (a `bin` dir of
# symlinks exposes maturin, pytest and aws), use DBTOKEN_VENV / DBTOKEN_AWSCLI_VENV for the rest.
cmd_env() {
    local path=() v
    v=$(wasm_bindgen_version)
    [[ -x "$CACHE/wasm-bindgen-$v/bin/wasm-bindgen" ]] && path+=("$CACHE/wasm-bindgen-$v/bin")
    [[ -x "$CACHE/cargo-fuzz/bin/cargo-fuzz" ]] && path+=("$CACHE/cargo-fuzz/bin")
    [[ -x "$CACHE/kotlin/node_modules/kotlin-compiler/bin/kotlinc" ]] && path+=("$CACHE/kotlin/node_modules/kotlin-compiler/bin")

    local shim="$CACHE/bin" tool src linked=0
    for tool in venv/bin/maturin venv/bin/pytest venv-awscli/bin/aws; do
        src="$CACHE/$tool"
        if [[ -x "$src" ]]; then
            mkdir -p "$shim"
            ln -sfn "$src" "$shim/$(basename "$tool")"
            linked=1
        fi
    done
    [[ $linked -eq 1 ]] && path+=("$shim")

    echo "export DBTOKEN_TOOLS=$(printf '%q' "$CACHE")"
    if [[ ${#path[@]} -gt 0 ]]; then
        local joined; joined=$(IFS=:; echo "${path[*]}")
        echo "export PATH=$(printf '%q' "$joined"):\"\$PATH\""
    fi
    [[ -d "$CACHE/venv" ]] && echo "export DBTOKEN_VENV=$(printf '%q' "$CACHE/venv")"
    [[ -d "$CACHE/venv-awscli" ]] && echo "export DBTOKEN_AWSCLI_VENV=$(printf '%q' "$CACHE/venv-awscli")"
    [[ -f /usr/share/java/jna.jar ]] && echo "export DBTOKEN_JNA_JAR=/usr/share/java/jna.jar"
    [[ -d "$CACHE/dist-bin" ]] && echo "export DBTOKEN_DIST_BIN=$(printf '%q' "$CACHE/dist-bin")"
    return 0
}

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }

main() {
    local cmd="${1:-}"
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
        apt)    cmd_apt "$@" ;;
        wasm)   cmd_wasm ;;
        python) cmd_python "$@" ;;
        awscli) cmd_awscli ;;
        kotlin) cmd_kotlin ;;
        miri)   cmd_miri ;;
        fuzz)   cmd_fuzz ;;
        dist)   cmd_dist ;;
        env)    cmd_env ;;
        -h|--help|help) usage ;;
        *) usage >&2; die "unknown subcommand '${cmd}'" ;;
    esac
}

main "$@"
