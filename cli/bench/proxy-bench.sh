#!/usr/bin/env bash
# `dbtoken proxy` vs a direct TLS connection, against the local IAM-auth PostgreSQL and MariaDB:
# logins per second (sequential and 20 clients at once) and time per `select 1` on an open
# connection. Prints a Markdown section for BENCHMARKS.md (scripts/benchmarks.sh includes it).
# Needs root (the servers' PAM files).
#
#   cli/bench/proxy-bench.sh [DBTOKEN_BIN] [LOGINS] [QUERIES]     (default: target/release/dbtoken 200 2000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BIN="$(realpath "${1:-target/release/dbtoken}")"
LOGINS="${2:-200}" QUERIES="${3:-2000}"
[[ -x "$BIN" ]] || { echo "proxy-bench.sh: build $BIN first (cargo build --release -p dbtoken-cli)" >&2; exit 1; }
scripts/tools.sh python 'psycopg[binary]==3.3.9' 'PyMySQL==1.2.4' >&2
eval "$(scripts/tools.sh env)"
PY="$DBTOKEN_VENV/bin/python"

SECRET='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY="$SECRET" AWS_EC2_METADATA_DISABLED=true
PG_DIR="" MY_DIR="" PIDS=()
LOG=$(mktemp -d /tmp/dbtoken-proxy-bench.XXXXXX)
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -n "$PG_DIR" ]] && scripts/pg-iam.sh stop "$PG_DIR" >/dev/null 2>&1 || true
    [[ -n "$MY_DIR" ]] && scripts/mysql-iam.sh stop "$MY_DIR" >/dev/null 2>&1 || true
    rm -rf "$LOG"
}
trap cleanup EXIT

proxy() {  # proxy PROTO TARGET CA: starts a proxy, sets PORT
    : >"$LOG/$1.log"
    "$BIN" proxy "$1" --listen 127.0.0.1:0 --target "$2" --username iam_user --region us-east-1 \
        --ca-file "$3" 2>"$LOG/$1.log" &
    PIDS+=($!)
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) -> .*/\1/p' "$LOG/$1.log" | head -n 1) || true
        [[ -n "$PORT" ]] && return 0
        sleep 0.1
    done
    cat "$LOG/$1.log" >&2; return 1
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
cat <<EOF
## \`dbtoken proxy\` vs a direct TLS connection

Machine: $cpu, $(nproc) cores, Linux $(uname -r); load average at start $(cut -d' ' -f1-3 /proc/loadavg).
Command: \`cli/bench/proxy-bench.sh\` ($LOGINS logins per row, $QUERIES queries per connection; psycopg 3 and PyMySQL;
the local IAM-auth PostgreSQL 15 and MariaDB 10.11 of \`scripts/pg-iam.sh\` / \`scripts/mysql-iam.sh\`, TLS 1.3).
*Direct*: the driver's own TLS connection (verify-full) with a ready token as the password.
*Proxy*: plaintext to \`dbtoken proxy\` on 127.0.0.1 (release build), which adds TLS and the token.
Every login is checked by the server, which runs \`dbtoken verify\` through PAM in both cases: that
process start is most of a login here, and RDS's own check replaces it in production.

Logins/s count connect + \`select 1\` + close; "100 clients" is 100 client threads started together, 2 logins each
(PostgreSQL max_connections is 200, MariaDB 151). The \`select 1\` columns are the time of one query on an open connection.

| database | connection | logins/s, one client | logins/s, 20 clients | logins/s, 100 clients | \`select 1\` median | p99 |
|---|---|---|---|---|---|---|
EOF
env=$(DBTOKEN_BIN="$BIN" scripts/pg-iam.sh start); eval "$env"; PG_DIR=$DBTOKEN_PG_DIR
proxy postgres "127.0.0.1:$PGPORT" "$DBTOKEN_PG_CA"
TOKEN=$("$BIN" rds --hostname 127.0.0.1 --port "$PGPORT" --username iam_user --region us-east-1)
"$PY" cli/bench/proxy-bench.py postgres "$PGPORT" "$PORT" "$DBTOKEN_PG_CA" "$TOKEN" "$LOGINS" "$QUERIES"

env=$(DBTOKEN_BIN="$BIN" scripts/mysql-iam.sh start); eval "$env"; MY_DIR=$DBTOKEN_MYSQL_DIR
proxy mysql "127.0.0.1:$DBTOKEN_MYSQL_PORT" "$DBTOKEN_MYSQL_CA"
TOKEN=$("$BIN" rds --hostname 127.0.0.1 --port "$DBTOKEN_MYSQL_PORT" --username iam_user --region us-east-1)
"$PY" cli/bench/proxy-bench.py mysql "$DBTOKEN_MYSQL_PORT" "$PORT" "$DBTOKEN_MYSQL_CA" "$TOKEN" "$LOGINS" "$QUERIES"
echo "signatures by the proxies: $(cat "$LOG"/*.log | grep -c 'signed a token')" >&2
