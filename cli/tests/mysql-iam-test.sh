#!/usr/bin/env bash
# End-to-end IAM authentication against a real MariaDB set up like RDS MySQL: the server
# (scripts/mysql-iam.sh) asks for mysql_clear_password, requires TLS for IAM users and checks
# passwords through PAM -> pam_script -> `dbtoken verify`. The `mariadb` / `mysql` client logs in
# the bastion way, `--password="$(dbtoken rds ...)"`, over TLS verified against the server's CA.
# Good tokens get in (a fresh one per connection); tokens for another user, host, port or region,
# expired, not yet valid and tampered tokens, tokens signed with another secret, a login without
# TLS and a server certificate from an untrusted CA are refused. A second instance runs next to
# the first without sharing anything, and `stop` removes all of it.
#
#   DBTOKEN_BIN=target/debug/dbtoken cli/tests/mysql-iam-test.sh      (as root)
#
# Prints one line per case and a closing `N passed, N failed`.
set -euo pipefail

: "${DBTOKEN_BIN:?path to the dbtoken binary}"
[[ $EUID -eq 0 ]] || { echo "mysql-iam-test.sh: needs root (PAM service file)" >&2; exit 1; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MYSQL_IAM="$HERE/../../scripts/mysql-iam.sh"
DBTOKEN_BIN="$(cd "$(dirname "$DBTOKEN_BIN")" && pwd)/$(basename "$DBTOKEN_BIN")"

SECRET='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
unset DBTOKEN_MYSQL_DIR DBTOKEN_MYSQL_PORT
export DBTOKEN_MYSQL_SECRET="$SECRET" DBTOKEN_MYSQL_HOST=127.0.0.1 DBTOKEN_MYSQL_REGION=us-east-1 \
    DBTOKEN_MYSQL_USERS="iam_user app_user"

WORK=$(mktemp -d)
stop() { [[ -n "${DBTOKEN_MYSQL_DIR:-}" ]] && "$MYSQL_IAM" stop "$DBTOKEN_MYSQL_DIR" || true; rm -rf "$WORK"; }
trap stop EXIT
env_lines=$(DBTOKEN_BIN="$DBTOKEN_BIN" "$MYSQL_IAM" start)
eval "$env_lines"
: "${DBTOKEN_MYSQL_PORT:?mysql-iam.sh start did not export DBTOKEN_MYSQL_PORT}"
PORT=$DBTOKEN_MYSQL_PORT CA=$DBTOKEN_MYSQL_CA

# Credentials for dbtoken come from the environment only (fresh HOME, no IMDS).
base_env=(env -i "PATH=$PATH" "HOME=$WORK" "AWS_EC2_METADATA_DISABLED=true"
    "AWS_ACCESS_KEY_ID=AKIDEXAMPLE" "AWS_SECRET_ACCESS_KEY=$SECRET")
dbtoken() { "${base_env[@]}" "$DBTOKEN_BIN" "$@"; }
tok() { dbtoken rds --hostname 127.0.0.1 --port "$PORT" --region us-east-1 "$@"; }
NOW=$(date +%s)

# A second CA the server's certificate does not chain to.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=some other CA" \
    -keyout "$WORK/other-ca.key" -out "$WORK/other-ca.pem" >/dev/null 2>&1

# The documented client options (cli/README.md). --enable-cleartext-plugin is what MySQL's own
# client needs; the MariaDB client always allows cleartext and only warns that it is obsolete.
TLS_OPTS=(--ssl-ca="$CA" --ssl-verify-server-cert)

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# login ID EXPECT(accept|refuse|tls-error) USER PASSWORD [CLIENT OPTIONS...]
login() {
    local id="$1" expect="$2" user="$3" password="$4" out err rc=0
    shift 4
    local opts=("$@")
    [[ ${#opts[@]} -gt 0 ]] || opts=("${TLS_OPTS[@]}")
    out=$(env -i PATH="$PATH" mariadb --no-defaults -h 127.0.0.1 -P "$PORT" -u "$user" "${opts[@]}" \
        --enable-cleartext-plugin --password="$password" --batch --skip-column-names \
        -e "select current_user(), (select variable_value from information_schema.session_status where variable_name = 'Ssl_version')" \
        dbtoken 2>"$WORK/err") || rc=$?
    # The MariaDB client prints its "obsolete option" warning on stdout.
    out=$(grep -v "option '--enable-cleartext-plugin' is obsolete" <<<"$out" || true)
    err=$(cat "$WORK/err")
    local got
    if [[ $rc -eq 0 && "$out" == "$user@%	TLSv1."* ]]; then got=accept
    elif [[ $rc -ne 0 && "$err" == *"ERROR 1045 (28000): Access denied for user '$user'"* ]]; then got=refuse
    elif [[ $rc -ne 0 && "$err" == *"ERROR 2026"*"certificate"* ]]; then got=tls-error
    else got="unexpected (rc=$rc): $out $err"
    fi
    if [[ "$got" == "$expect" ]]; then ok "$id ($expect)"; else fail "$id: expected $expect, got $got"; fi
}

login good-token            accept iam_user "$(tok --username iam_user)"
login good-token-other-user accept app_user "$(tok --username app_user)"
login rfc3339-signing-time  accept iam_user "$(tok --username iam_user --signing-time "$(date -u -d "@$((NOW - 60))" +%Y-%m-%dT%H:%M:%SZ)")"
login session-token-1500    accept iam_user "$("${base_env[@]}" AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE \
    AWS_SESSION_TOKEN="$(head -c 1100 /dev/zero | tr '\0' 'A')+/=" "$DBTOKEN_BIN" rds --hostname 127.0.0.1 \
    --port "$PORT" --region us-east-1 --username iam_user)"
# The MySQL client reads MYSQL_PWD: `--format env --env-var MYSQL_PWD`, eval'ed by a shell script.
eval "$(tok --username iam_user --format env --env-var MYSQL_PWD)"
out=$(env -i PATH="$PATH" MYSQL_PWD="$MYSQL_PWD" mysql --no-defaults -h 127.0.0.1 -P "$PORT" -u iam_user \
    "${TLS_OPTS[@]}" -N -e 'select current_user()' 2>&1) || true
if [[ "$out" == "iam_user@%" ]]; then ok "format-env-mysql-pwd (accept)"; else fail "format-env-mysql-pwd: $out"; fi
unset MYSQL_PWD

# A fresh token per connection: three connections, each with a token signed one second apart
# (different tokens), all accepted.
declare -A seen=()
for i in 0 1 2; do
    t=$(tok --username iam_user --signing-time $((NOW - i)))
    seen[$t]=1
    login "fresh-token-per-connection-$i" accept iam_user "$t"
done
if [[ ${#seen[@]} -eq 3 ]]; then ok "fresh-tokens-differ"; else fail "fresh-tokens-differ: ${#seen[@]} distinct tokens"; fi

login other-user            refuse iam_user "$(tok --username app_user)"
login other-host            refuse iam_user "$(dbtoken rds --hostname localhost --port "$PORT" --region us-east-1 --username iam_user)"
login other-port            refuse iam_user "$(dbtoken rds --hostname 127.0.0.1 --port $((PORT + 1)) --region us-east-1 --username iam_user)"
login other-region          refuse iam_user "$(dbtoken rds --hostname 127.0.0.1 --port "$PORT" --region us-west-2 --username iam_user)"
login expired               refuse iam_user "$(tok --username iam_user --signing-time $((NOW - 1000)))"
login expired-short         refuse iam_user "$(tok --username iam_user --signing-time $((NOW - 120)) --expires-in 60)"
login not-yet-valid         refuse iam_user "$(tok --username iam_user --signing-time $((NOW + 600)))"
login other-secret          refuse iam_user "$("${base_env[@]}" AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ' \
    "$DBTOKEN_BIN" rds --hostname 127.0.0.1 --port "$PORT" --region us-east-1 --username iam_user)"
login plain-password        refuse iam_user "hunter2"
good=$(tok --username iam_user)
login tampered              refuse iam_user "${good/DBUser=iam_user/DBUser=iam_usex}"
# TLS: the server's certificate is really verified (an untrusted CA fails the handshake), and an
# IAM user cannot log in without TLS, even with a good token (REQUIRE SSL, as on RDS).
login untrusted-ca          tls-error iam_user "$(tok --username iam_user)" --ssl-ca="$WORK/other-ca.pem" --ssl-verify-server-cert
login no-tls                refuse iam_user "$(tok --username iam_user)" --skip-ssl

# The PAM script really ran dbtoken verify for every login that reached authentication (all but
# the untrusted-CA one).
checks=$(wc -l <"$DBTOKEN_MYSQL_DIR/log/verify.log")
attempts=$((passed + failed - 2))   # minus fresh-tokens-differ and untrusted-ca
if [[ $checks -ge $attempts ]]; then ok "verify-log ($checks PAM checks logged)"
else fail "verify-log: $checks PAM checks for $attempts logins"
fi
for code in user_mismatch host_mismatch region_mismatch token_expired token_not_yet_valid signature_mismatch; do
    if grep -q "error\[$code\]" "$DBTOKEN_MYSQL_DIR/log/verify.err"; then ok "refusal-reason $code"
    else fail "refusal-reason $code not in verify.err"
    fi
done
if grep -Eq "X-Amz-Signature=[0-9a-f]{64}|X-Amz-Credential=" "$DBTOKEN_MYSQL_DIR/log/verify.err" "$DBTOKEN_MYSQL_DIR/log/verify.log"; then
    fail "a token was written to the PAM logs"
fi

# Instances are independent: a second one (own port, PAM service, CA and secret) runs next to
# the first; each accepts only tokens for its own port and secret; stopping it leaves the first
# running, and removes its server, PAM service file and state dir.
SECRET2='another/secret+key/for/the/second/instance'
env2=$(env -u DBTOKEN_MYSQL_DIR -u DBTOKEN_MYSQL_PORT DBTOKEN_BIN="$DBTOKEN_BIN" DBTOKEN_MYSQL_SECRET="$SECRET2" \
    DBTOKEN_MYSQL_USERS=iam_user "$MYSQL_IAM" start 2>/dev/null) || env2=""
if [[ -n "$env2" ]]; then
    dir2=$(sed -n 's/^export DBTOKEN_MYSQL_DIR=//p' <<<"$env2")
    port2=$(sed -n 's/^export DBTOKEN_MYSQL_PORT=//p' <<<"$env2")
    ca2=$(sed -n 's/^export DBTOKEN_MYSQL_CA=//p' <<<"$env2")
    svc2=$(sed -n 's/^export DBTOKEN_MYSQL_PAM_SERVICE=//p' <<<"$env2")
    tok2() { "${base_env[@]}" AWS_SECRET_ACCESS_KEY="$SECRET2" "$DBTOKEN_BIN" rds --hostname 127.0.0.1 \
        --port "$1" --region us-east-1 --username iam_user; }
    login2() {  # login2 PORT CA PASSWORD -> prints current_user() or the error
        env -i PATH="$PATH" mariadb --no-defaults -h 127.0.0.1 -P "$1" -u iam_user --ssl-ca="$2" \
            --ssl-verify-server-cert --password="$3" -N -e 'select current_user()' 2>&1 || true
    }
    [[ "$port2" != "$PORT" && "$svc2" != "$DBTOKEN_MYSQL_PAM_SERVICE" ]] && ok "second-instance: own port and PAM service" \
        || fail "second-instance: port $port2 / service $svc2 shared with the first"
    [[ "$(login2 "$port2" "$ca2" "$(tok2 "$port2")")" == "iam_user@%" ]] && ok "second-instance: accepts its tokens" \
        || fail "second-instance: refused its own token"
    [[ "$(login2 "$port2" "$ca2" "$(dbtoken rds --hostname 127.0.0.1 --port "$port2" --region us-east-1 --username iam_user)")" == *"ERROR 1045"* ]] \
        && ok "second-instance: refuses the first one's secret" || fail "second-instance: accepted the first one's secret"
    [[ "$(login2 "$PORT" "$ca2" "$(tok --username iam_user)")" == *"ERROR 2026"* ]] \
        && ok "second-instance: CAs differ" || fail "second-instance: the first server's certificate chains to the second CA"
    "$MYSQL_IAM" status "$dir2" >/dev/null && ok "status: running" || fail "status: not running"
    "$MYSQL_IAM" stop "$dir2" 2>/dev/null
    if [[ ! -e "$dir2" && ! -e "/etc/pam.d/$svc2" ]] && ! "$MYSQL_IAM" status "$dir2" >/dev/null; then
        ok "stop: server, state dir and PAM service removed"
    else
        fail "stop: something of $dir2 / /etc/pam.d/$svc2 is left"
    fi
    login first-instance-still-up accept iam_user "$(tok --username iam_user)"
else
    fail "second-instance: start failed"
fi

echo "mysql iam auth: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
