#!/usr/bin/env bash
# Stage `web`: the npm package `dbtoken` (web/).
#
#   1. tools: wasm32 target + wasm-bindgen-cli at the Cargo.lock version, Debian chromium;
#      npm devDependencies from web/package-lock.json (binaryen's wasm-opt, the AWS SDK signers
#      for the differential test, playwright-core, pg, mysql2, knex, sequelize, pg-hstore, typescript);
#   2. `npm --prefix web run build` (cargo for wasm32, wasm-bindgen, wasm-opt);
#   3. `npm pack ./web`, installed into a temp consumer project (web/scripts/consumer.mjs);
#   4. the CLI (`dbtoken verify` is the servers' password check), scripts/pg-iam.sh and
#      scripts/mysql-iam.sh (MariaDB, mysql_clear_password over TLS);
#   5. `node --test web/test/` against the installed package: vectors, API and bad input,
#      differential vs @aws-sdk/rds-signer and @aws-sdk/dsql-signer, tsc --noEmit on consumer
#      files, headless Chromium, node-postgres and mysql2 against the IAM-auth servers, pools
#      (pg, mysql2, Knex, Sequelize) across the token's lifetime.
#
# Environment: DBTOKEN_BIN (a built `dbtoken` CLI, default: target/debug/dbtoken, as the cli stage builds it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$(pwd)

step() { printf '\n== web: %s\n' "$*"; }

step tools
scripts/tools.sh wasm
scripts/tools.sh apt chromium postgresql postgresql-client libpam-script mariadb-server mariadb-client openssl
eval "$(scripts/tools.sh env)"
npm ci --prefix web --no-audit --no-fund --loglevel=error

step build
npm --prefix web run build

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dbtoken-web.XXXXXX")
PG_DIR=""
MYSQL_DIR=""
cleanup() {
    if [[ -n "$PG_DIR" ]]; then scripts/pg-iam.sh stop "$PG_DIR" >&2 || true; fi
    if [[ -n "$MYSQL_DIR" ]]; then scripts/mysql-iam.sh stop "$MYSQL_DIR" >&2 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

step "pack and install into a consumer project"
consumer_line=$(node web/scripts/consumer.mjs "$WORK/consumer" | tail -n 1)
export "${consumer_line?}"
[[ -n "${DBTOKEN_CONSUMER:-}" ]] || { echo "web: consumer.mjs printed no DBTOKEN_CONSUMER" >&2; exit 1; }
node -e '
const fs = require("fs"), path = require("path");
const info = JSON.parse(fs.readFileSync(path.join(process.argv[1], "pack.json"), "utf8"));
const wasm = fs.statSync(path.join(process.argv[1], "node_modules/dbtoken/dist/dbtoken_wasm_bg.wasm")).size;
console.log(`sizes: .wasm ${wasm} B; package ${info.size} B packed, ${info.unpackedSize} B unpacked, ${info.entryCount} files`);
for (const f of info.files) console.log(`  ${String(f.size).padStart(7)}  ${f.path}`);
' "$DBTOKEN_CONSUMER"

step "IAM-auth PostgreSQL (dbtoken verify)"
if [[ -z "${DBTOKEN_BIN:-}" ]]; then
    # The debug build the cli stage made (a release build of the AWS SDK crates costs minutes).
    cargo build --quiet -p dbtoken-cli
    DBTOKEN_BIN="$REPO/target/debug/dbtoken"
fi
# Not `eval "$(… start)"`: under set -e a failed start would evaluate to nothing and pass.
pg_env=$(DBTOKEN_BIN="$DBTOKEN_BIN" scripts/pg-iam.sh start)
eval "$pg_env"
PG_DIR="$DBTOKEN_PG_DIR"
export PGHOST PGPORT DBTOKEN_PG_SECRET_FILE DBTOKEN_PG_HOST DBTOKEN_PG_REGION

step "IAM-auth MariaDB (dbtoken verify, mysql_clear_password, TLS)"
mysql_env=$(DBTOKEN_BIN="$DBTOKEN_BIN" scripts/mysql-iam.sh start)
eval "$mysql_env"
MYSQL_DIR="$DBTOKEN_MYSQL_DIR"
export DBTOKEN_MYSQL_PORT DBTOKEN_MYSQL_CA DBTOKEN_MYSQL_SECRET_FILE DBTOKEN_MYSQL_HOST DBTOKEN_MYSQL_REGION DBTOKEN_MYSQL_DATABASE

step "node --test web/test/*.test.mjs"
node --test --test-reporter=spec web/test/*.test.mjs
