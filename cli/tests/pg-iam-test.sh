#!/usr/bin/env bash
# End-to-end IAM authentication against a real PostgreSQL: the server (scripts/pg-iam.sh) checks
# passwords through PAM -> pam_script -> `dbtoken verify`; psql logs in with tokens from
# `dbtoken rds`. Good tokens get in; tokens for another user, host, port or region, expired
# tokens and tokens signed with another secret are refused.
#
#   DBTOKEN_BIN=target/release/dbtoken cli/tests/pg-iam-test.sh      (as root)
#
# Prints one line per case and a closing `N passed, N failed`.
set -euo pipefail

: "${DBTOKEN_BIN:?path to the dbtoken binary}"
[[ $EUID -eq 0 ]] || { echo "pg-iam-test.sh: needs root (PAM service file)" >&2; exit 1; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PG_IAM="$HERE/../../scripts/pg-iam.sh"
DBTOKEN_BIN="$(cd "$(dirname "$DBTOKEN_BIN")" && pwd)/$(basename "$DBTOKEN_BIN")"

SECRET='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
unset DBTOKEN_PG_DIR DBTOKEN_PG_PORT
export DBTOKEN_PG_SECRET="$SECRET" DBTOKEN_PG_HOST=127.0.0.1 DBTOKEN_PG_REGION=us-east-1 \
    DBTOKEN_PG_USERS="iam_user app_user"

stop() { [[ -n "${DBTOKEN_PG_DIR:-}" ]] && "$PG_IAM" stop "$DBTOKEN_PG_DIR" || true; }
trap stop EXIT
eval "$(DBTOKEN_BIN="$DBTOKEN_BIN" "$PG_IAM" start)"
: "${PGPORT:?pg-iam.sh start did not export PGPORT}"

# Credentials for dbtoken come from the environment only (fresh HOME, no IMDS).
WORK=$(mktemp -d)
trap 'stop; rm -rf "$WORK"' EXIT
base_env=(env -i "PATH=$PATH" "HOME=$WORK" "AWS_EC2_METADATA_DISABLED=true"
    "AWS_ACCESS_KEY_ID=AKIDEXAMPLE" "AWS_SECRET_ACCESS_KEY=$SECRET")
dbtoken() { "${base_env[@]}" "$DBTOKEN_BIN" "$@"; }
NOW=$(date +%s)

passed=0 failed=0
# login ID EXPECT(accept|refuse) USER PASSWORD [CONNINFO]
login() {
    local id="$1" expect="$2" user="$3" password="$4" conn="${5:-}" out rc=0
    if [[ -n "$conn" ]]; then
        out=$(env -i PATH="$PATH" psql -X -w -tA "$conn" -c 'select current_user' 2>&1) || rc=$?
    else
        out=$(env -i PATH="$PATH" PGPASSWORD="$password" psql -X -w -tA -h 127.0.0.1 -p "$PGPORT" \
            -U "$user" -d postgres -c 'select current_user' 2>&1) || rc=$?
    fi
    local got=refuse
    if [[ $rc -eq 0 && "$out" == "$user" ]]; then got=accept
    elif [[ $rc -ne 0 && "$out" == *"PAM authentication failed"* ]]; then got=refuse
    else got="unexpected (rc=$rc): $out"
    fi
    if [[ "$got" == "$expect" ]]; then
        passed=$((passed + 1)); echo "ok   $id ($expect)"
    else
        failed=$((failed + 1)); echo "FAIL $id: expected $expect, got $got"
    fi
}
tok() { dbtoken rds --hostname 127.0.0.1 --port "$PGPORT" --region us-east-1 "$@"; }

login good-token            accept iam_user "$(tok --username iam_user)"
login good-token-other-role accept app_user "$(tok --username app_user)"
login rfc3339-signing-time  accept iam_user "$(tok --username iam_user --signing-time "$(date -u -d "@$((NOW - 60))" +%Y-%m-%dT%H:%M:%SZ)")"
login session-token-1500    accept iam_user "$("${base_env[@]}" AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE \
    AWS_SESSION_TOKEN="$(head -c 1100 /dev/zero | tr '\0' 'A')+/=" "$DBTOKEN_BIN" rds --hostname 127.0.0.1 \
    --port "$PGPORT" --region us-east-1 --username iam_user)"
enc=$(tok --username iam_user --url-encode)
login url-encoded-in-uri    accept iam_user "" "postgresql://iam_user:$enc@127.0.0.1:$PGPORT/postgres"
# --format env, eval'ed the way a shell script would.
eval "$(tok --username iam_user --format env)"
login format-env            accept iam_user "$PGPASSWORD"
unset PGPASSWORD

login other-user            refuse iam_user "$(tok --username app_user)"
login other-host            refuse iam_user "$(dbtoken rds --hostname localhost --port "$PGPORT" --region us-east-1 --username iam_user)"
login other-port            refuse iam_user "$(dbtoken rds --hostname 127.0.0.1 --port $((PGPORT + 1)) --region us-east-1 --username iam_user)"
login other-region          refuse iam_user "$(dbtoken rds --hostname 127.0.0.1 --port "$PGPORT" --region us-west-2 --username iam_user)"
login expired               refuse iam_user "$(tok --username iam_user --signing-time $((NOW - 1000)))"
login expired-short         refuse iam_user "$(tok --username iam_user --signing-time $((NOW - 120)) --expires-in 60)"
login not-yet-valid         refuse iam_user "$(tok --username iam_user --signing-time $((NOW + 600)))"
login other-secret          refuse iam_user "$("${base_env[@]}" AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ' \
    "$DBTOKEN_BIN" rds --hostname 127.0.0.1 --port "$PGPORT" --region us-east-1 --username iam_user)"
login plain-password        refuse iam_user "hunter2"
good=$(tok --username iam_user)
login tampered              refuse iam_user "${good/DBUser=iam_user/DBUser=iam_usex}"

# The PAM script really ran dbtoken verify for every attempt (one log line each).
checks=$(wc -l <"$DBTOKEN_PG_DIR/log/verify.log")
if [[ $checks -ge $((passed + failed)) ]]; then
    passed=$((passed + 1)); echo "ok   verify-log ($checks PAM checks logged)"
else
    failed=$((failed + 1)); echo "FAIL verify-log: $checks PAM checks for $((passed + failed)) logins"
fi
# Refusals say why, with the CLI's error codes (the token itself is never logged).
for code in user_mismatch host_mismatch region_mismatch token_expired signature_mismatch; do
    if grep -q "error\[$code\]" "$DBTOKEN_PG_DIR/log/verify.err"; then
        passed=$((passed + 1)); echo "ok   refusal-reason $code"
    else
        failed=$((failed + 1)); echo "FAIL refusal-reason $code not in verify.err"
    fi
done
if grep -Eq "X-Amz-Signature=[0-9a-f]{64}|X-Amz-Credential=" "$DBTOKEN_PG_DIR/log/verify.err" "$DBTOKEN_PG_DIR/log/verify.log"; then
    failed=$((failed + 1)); echo "FAIL a token was written to the PAM logs"
fi

echo "postgresql iam auth: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
