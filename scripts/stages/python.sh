#!/usr/bin/env bash
# Stage "python": the dbtoken wheel (pyo3, abi3, maturin).
#   - rustfmt and clippy on the extension crate (warnings denied)
#   - `maturin build --release` of the abi3 wheel into a temp dir
#   - a FRESH venv with that wheel + python/tests/requirements.txt (pytest, hypothesis,
#     botocore, psycopg, psycopg-pool, psycopg2, asyncpg, SQLAlchemy, PyMySQL, mysqlclient,
#     aiomysql, asyncmy, mysql-connector-python, mypy)
#   - mypy.stubtest: the .pyi stubs match the runtime
#   - the local IAM-auth PostgreSQL (scripts/pg-iam.sh) and MariaDB (scripts/mysql-iam.sh), both
#     checking passwords with the CLI's `dbtoken verify`
#   - pytest: vectors, botocore differential (hypothesis), credentials, cache, bad input,
#     connection helpers, real drivers (PostgreSQL and MySQL), pools across the token's lifetime,
#     README examples
# Env: DBTOKEN_HYPOTHESIS_EXAMPLES (default 2000 random inputs per differential test),
#      DBTOKEN_BIN (a built `dbtoken` CLI; default: the debug build the cli stage made, target/debug/dbtoken).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$PWD

scripts/tools.sh python
scripts/tools.sh apt postgresql postgresql-client libpam-script mariadb-server mariadb-client \
    libmariadb-dev pkg-config gcc openssl
eval "$(scripts/tools.sh env)"

work=$(mktemp -d /tmp/dbtoken-py.XXXXXX)
pg_dir=""
my_dir=""
cleanup() {
    if [ -n "$pg_dir" ]; then "$repo/scripts/pg-iam.sh" stop "$pg_dir" >/dev/null 2>&1 || true; fi
    if [ -n "$my_dir" ]; then "$repo/scripts/mysql-iam.sh" stop "$my_dir" >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "--- fmt + clippy (dbtoken-py)"
cargo fmt -p dbtoken-py -- --check
cargo clippy -q -p dbtoken-py -- -D warnings

echo "--- wheel"
if ! maturin build --release -m python/Cargo.toml -o "$work/dist" >"$work/maturin.log" 2>&1; then
    tail -n 40 "$work/maturin.log"
    exit 1
fi
wheel=$(ls "$work"/dist/dbtoken-*-abi3-*.whl)
echo "$(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

echo "--- fresh venv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "$wheel" -r python/tests/requirements.txt

echo "--- stubs (mypy.stubtest)"
mkdir "$work/stubtest"   # an empty cwd: mypy must see the installed package only
(cd "$work/stubtest" && "$work/venv/bin/python" -m mypy.stubtest dbtoken --mypy-config-file "$repo/python/tests/mypy.ini")

echo "--- local IAM-auth PostgreSQL"
# DBTOKEN_BIN: an already built CLI binary (default: target/debug/dbtoken, as the cli stage
# builds it; a release build of the AWS SDK crates costs minutes for nothing here).
if [ -z "${DBTOKEN_BIN:-}" ]; then
    cargo build -q -p dbtoken-cli
    DBTOKEN_BIN=$repo/target/debug/dbtoken
fi
if ! "$DBTOKEN_BIN" verify --help >/dev/null 2>&1; then
    echo "python.sh: $DBTOKEN_BIN has no 'verify' subcommand; the driver tests need it" >&2
    exit 1
fi
pg_env=$(DBTOKEN_BIN="$DBTOKEN_BIN" scripts/pg-iam.sh start)
eval "$pg_env"
pg_dir=$DBTOKEN_PG_DIR

echo "--- local IAM-auth MariaDB"
my_env=$(DBTOKEN_BIN="$DBTOKEN_BIN" scripts/mysql-iam.sh start)
eval "$my_env"
my_dir=$DBTOKEN_MYSQL_DIR

echo "--- pytest"
# Run from the temp dir: the installed wheel is imported, and hypothesis keeps its files there.
cd "$work"
"$work/venv/bin/pytest" "$repo/python/tests" --rootdir "$repo/python" -c "$repo/python/pyproject.toml" \
    -p no:cacheprovider -q -rs
