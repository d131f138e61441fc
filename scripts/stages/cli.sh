#!/usr/bin/env bash
# Stage cli: the `dbtoken` binary.
#   1. cargo test (dev profile: a cold release build of the AWS SDK crates with the workspace's
#      LTO settings takes several minutes on 2 cores; cli/bench/cold-start.sh builds release): every
#      tokens.json / errors.json case through the binary, credential sources against fakes on
#      127.0.0.1 (environment, shared files, credential_process, IMDSv2, ECS);
#   2. differential against the real AWS CLI (clock frozen with faketime);
#   3. IAM auth against a real PostgreSQL and a real MariaDB (mysql_clear_password over TLS, like
#      RDS MySQL) whose PAM stacks call `dbtoken verify` (needs root);
#   4. `dbtoken proxy` end to end against that PostgreSQL and MariaDB, both with TLS: psql,
#      pg_dump, psycopg, mariadb, mariadb-dump, PyMySQL; errors, 100 concurrent connections,
#      token expiry, shutdown (needs root).
# Benchmarks (cli/bench/cold-start.sh) are not run here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

scripts/tools.sh apt postgresql postgresql-client libpam-script faketime mariadb-server mariadb-client openssl
scripts/tools.sh awscli
scripts/tools.sh python 'psycopg[binary]==3.3.9' 'PyMySQL==1.2.4' 'mysql-connector-python==26.10.0'
eval "$(scripts/tools.sh env)"

results=()
status=0
step() {
    local name="$1"; shift
    local t0; t0=$(date +%s)
    echo "--- cli: $name"
    if "$@"; then results+=("PASS $name ($(( $(date +%s) - t0 ))s)")
    else results+=("FAIL $name ($(( $(date +%s) - t0 ))s)"); status=1
    fi
}

BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/dbtoken"
step "cargo test -p dbtoken-cli" cargo test -p dbtoken-cli -- --nocapture --test-threads 2
[[ -x "$BIN" ]] || { echo "cli: $BIN was not built" >&2; exit 1; }
step "non-UTF-8 credentials in the environment" env DBTOKEN_BIN="$BIN" cli/tests/non-utf8-env.sh
step "awscli differential" env DBTOKEN_BIN="$BIN" AWS_BIN="$DBTOKEN_AWSCLI_VENV/bin/aws" cli/tests/awscli-differential.sh
if [[ $EUID -eq 0 ]]; then
    step "postgresql iam auth" env DBTOKEN_BIN="$BIN" cli/tests/pg-iam-test.sh
    step "mysql iam auth" env DBTOKEN_BIN="$BIN" cli/tests/mysql-iam-test.sh
    step "proxy" env DBTOKEN_BIN="$BIN" PYTHON="$DBTOKEN_VENV/bin/python" cli/tests/proxy-test.sh
else
    echo "cli: the PostgreSQL and MySQL IAM and proxy tests need root (they write /etc/pam.d)" >&2
    results+=("FAIL postgresql iam auth (not root)" "FAIL mysql iam auth (not root)" "FAIL proxy (not root)"); status=1
fi

echo "--- cli summary"
printf '%s\n' "${results[@]}"
p=$(printf '%s\n' "${results[@]}" | grep -c '^PASS' || true)
f=$(printf '%s\n' "${results[@]}" | grep -c '^FAIL' || true)
echo "cli: $p passed, $f failed"
exit $status
