#!/usr/bin/env bash
# `dbtoken proxy` end to end, against the local IAM-auth PostgreSQL (scripts/pg-iam.sh, TLS on)
# and, when scripts/mysql-iam.sh exists, MariaDB (TLS, auth_pam with mysql_clear_password).
# Clients are given no IAM option at all: psql, pg_dump, psycopg (and the mariadb client,
# PyMySQL) connect to the proxy on 127.0.0.1 with any password; the proxy logs in over TLS with
# tokens that the server checks with `dbtoken verify`. mysql-connector-python covers MySQL's own
# client library behaviour (caching_sha2_password first).
#
#   DBTOKEN_BIN=target/debug/dbtoken PYTHON=$DBTOKEN_VENV/bin/python cli/tests/proxy-test.sh [postgres|mysql]...
#
# PYTHON must have psycopg 3, PyMySQL and mysql-connector-python
# (scripts/tools.sh python 'psycopg[binary]' PyMySQL mysql-connector-python).
# Needs root (the servers' PAM service files). Prints one line per case and `N passed, N failed`.
set -euo pipefail

: "${DBTOKEN_BIN:?path to the dbtoken binary}"
: "${PYTHON:?a python with psycopg and PyMySQL}"
[[ $EUID -eq 0 ]] || { echo "proxy-test.sh: needs root (PAM service files)" >&2; exit 1; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$HERE/../.."
DBTOKEN_BIN="$(cd "$(dirname "$DBTOKEN_BIN")" && pwd)/$(basename "$DBTOKEN_BIN")"
CLIENTS="$HERE/proxy_clients.py"
protocols=("$@")
[[ ${#protocols[@]} -gt 0 ]] || { protocols=(postgres); [[ -x "$ROOT/scripts/mysql-iam.sh" ]] && protocols+=(mysql); }

SECRET='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
WORK=$(mktemp -d /tmp/dbtoken-proxy-test.XXXXXX)
chmod 0755 "$WORK"
PG_DIR="" MY_DIR="" PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -n "$PG_DIR" ]] && "$ROOT/scripts/pg-iam.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
    [[ -n "$MY_DIR" ]] && "$ROOT/scripts/mysql-iam.sh" stop "$MY_DIR" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The proxy's credentials come from the environment only (fresh HOME, no IMDS).
aws_env=(env -i "PATH=$PATH" "HOME=$WORK" "AWS_EC2_METADATA_DISABLED=true"
    "AWS_ACCESS_KEY_ID=AKIDEXAMPLE" "AWS_SECRET_ACCESS_KEY=$SECRET")
# Clients get nothing but PATH and HOME: no AWS variables, no PG*/MYSQL* settings.
client_env=(env -i "PATH=$PATH" "HOME=$WORK")

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
# check ID OUTPUT-MUST-CONTAIN OUTPUT
check() { if [[ "$3" == *"$2"* ]]; then ok "$1"; else bad "$1: expected '$2' in: $3"; fi; }

# start_proxy NAME [ENV=VAL...] -- ARGS...: starts `dbtoken proxy ARGS --listen 127.0.0.1:0`,
# waits for its listening line, sets PORT and PID, logs to $WORK/NAME.log.
start_proxy() {
    local name="$1"; shift
    local extra=()
    while [[ "$1" != "--" ]]; do extra+=("$1"); shift; done
    shift
    local log="$WORK/$name.log"
    : >"$log"   # exists before the background job opens it (the poll below reads it at once)
    "${aws_env[@]}" "${extra[@]}" "$DBTOKEN_BIN" proxy "$@" --listen 127.0.0.1:0 2>"$log" &
    PID=$!
    PIDS+=("$PID")
    local i
    for i in $(seq 1 300); do
        PORT=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) -> .*/\1/p' "$log" | head -n 1) || true
        [[ -n "$PORT" ]] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "proxy $name did not start:" >&2; cat "$log" >&2
    return 1
}
# wait_until CMD...: polls CMD (quietly) for up to 20 s.
wait_until() {
    local i
    for i in $(seq 1 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
stop_proxy() {  # stop_proxy PID: SIGTERM and wait; returns the exit status
    local rc=0
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" || rc=$?
    return $rc
}

# A second CA that signed nothing the servers use: "wrong upstream CA".
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=some other CA" -keyout "$WORK/other-ca-key.pem" -out "$WORK/other-ca.pem" >/dev/null 2>&1

# A CA and a certificate for the proxy itself (clients that want TLS to the proxy).
(
    cd "$WORK"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=proxy test CA" -keyout proxy-ca-key.pem -out proxy-ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
        -keyout proxy-key.pem -out proxy.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >proxy-ext.cnf
    openssl x509 -req -in proxy.csr -CA proxy-ca.pem -CAkey proxy-ca-key.pem -CAcreateserial -days 2 \
        -extfile proxy-ext.cnf -out proxy-cert.pem
) >/dev/null 2>&1
proxy_tls=(--tls-cert "$WORK/proxy-cert.pem" --tls-key "$WORK/proxy-key.pem")

# ====================================================================================== postgres
test_postgres() {
    local env
    env=$(DBTOKEN_BIN="$DBTOKEN_BIN" DBTOKEN_PG_USERS="iam_user app_user" "$ROOT/scripts/pg-iam.sh" start)
    eval "$env"
    PG_DIR=$DBTOKEN_PG_DIR
    local su=(psql -X -q -v ON_ERROR_STOP=1 -h "$DBTOKEN_PG_SOCKET_DIR" -p "$PGPORT" -U postgres -d postgres)
    "${su[@]}" -c "CREATE TABLE inventory (id int PRIMARY KEY, item text);
        INSERT INTO inventory VALUES (1, 'proxied-row-one'), (2, 'proxied-row-two');
        GRANT SELECT ON inventory TO iam_user;"
    local target="127.0.0.1:$PGPORT" common=(--target "127.0.0.1:$PGPORT" --region us-east-1 --ca-file "$DBTOKEN_PG_CA")
    local out rc

    start_proxy pg -- postgres "${common[@]}" --username iam_user
    local port=$PORT pid=$PID
    # PGPW=... psql_ ARGS: psql with only PATH/HOME (and PGPASSWORD=$PGPW when set)
    psql_() { "${client_env[@]}" PGCONNECT_TIMEOUT=20 ${PGPW:+PGPASSWORD="$PGPW"} psql -X -w -tA "$@" 2>&1; }

    out=$(PGPW=x psql_ "host=127.0.0.1 port=$port user=anyone dbname=postgres sslmode=disable" \
        -c "select current_user || ' ' || ssl || ' ' || version from pg_stat_ssl where pid = pg_backend_pid()") || true
    check pg-psql-logs-in-as-iam-user-over-tls "iam_user true TLSv1.3" "$out"
    # libpq's default sslmode=prefer sends SSLRequest first; the proxy answers N.
    out=$(PGPW=x psql_ "host=127.0.0.1 port=$port user=anyone dbname=postgres" -c "select item from inventory order by id") || true
    check pg-psql-sslmode-prefer-query "proxied-row-one"$'\n'"proxied-row-two" "$out"
    # No password at all (-w: never prompt): the proxy does not ask for one.
    out=$(psql_ -h 127.0.0.1 -p "$port" -U anyone -d postgres -c "select 'no-password-' || current_user") || true
    check pg-psql-without-password "no-password-iam_user" "$out"
    out=$("${client_env[@]}" pg_dump -w -h 127.0.0.1 -p "$port" -U anyone -d postgres -t inventory 2>&1) || true
    check pg-dump-table-schema "CREATE TABLE public.inventory" "$out"
    check pg-dump-table-data "proxied-row-two" "$out"
    out=$("$PYTHON" "$CLIENTS" postgres "$port" query 2>&1) || true
    check pg-psycopg-query "iam_user" "$out"
    out=$("$PYTHON" "$CLIENTS" postgres "$port" raw 2>&1) || true
    check pg-wire-gssenc-ssl-refused-startup-forwarded-no-token "ok iam_user raw-check" "$out"
    out=$("$PYTHON" "$CLIENTS" postgres "$port" cancel 2>&1) || true
    check pg-psycopg-cancel-forwarded "cancelled" "$out"
    grep -q "cancel request forwarded" "$WORK/pg.log" && ok pg-cancel-logged || bad "pg-cancel-logged: $(cat "$WORK/pg.log")"

    # 100 connections open at once through one proxy: all log in, one token signed for all.
    out=$("$PYTHON" "$CLIENTS" postgres "$port" burst 100 2>&1) || true
    check pg-burst-100-concurrent "ok 100 100" "$out"
    local signed
    signed=$(grep -c "signed a token" "$WORK/pg.log" || true)
    [[ $signed -eq 1 ]] && ok "pg-burst-signed-once" || bad "pg-burst-signed-once: $signed signatures"
    local logins
    logins=$(grep -c "login ok" "$WORK/pg.log" || true)
    [[ $logins -ge 106 ]] && ok "pg-one-log-line-per-connection ($logins)" || bad "pg-one-log-line-per-connection: $logins"

    # Without --tls-cert the proxy offers no TLS: a client that requires it is told so by libpq.
    out=$(PGPW=x psql_ "host=127.0.0.1 port=$port user=a dbname=postgres sslmode=require" -c "select 1") || true
    check pg-client-tls-required-without-cert "server does not support SSL, but SSL was required" "$out"
    # Clean shutdown: a query in flight finishes, then the proxy exits 0 and stops listening.
    PGPW=x psql_ "host=127.0.0.1 port=$port user=a dbname=postgres sslmode=disable" \
        -c "select 'slept-' || pg_sleep(1.5)::text" >"$WORK/inflight.out" &
    local inflight=$!
    # SIGTERM once the query runs on the server.
    wait_until bash -c "[[ \$(${su[*]} -tA -c \"select count(*) from pg_stat_activity where query like 'select ''slept-''%'\") -ge 1 ]]" \
        || bad "pg-inflight-query-seen"
    rc=0; stop_proxy "$pid" || rc=$?
    wait "$inflight" || true
    [[ $rc -eq 0 ]] && ok pg-sigterm-exit-0 || bad "pg-sigterm-exit-0: rc=$rc"
    check pg-sigterm-drains-inflight-query "slept-" "$(cat "$WORK/inflight.out")"
    check pg-sigterm-logged "stopped" "$(tail -n 1 "$WORK/pg.log")"
    out=$(PGPW=x psql_ "host=127.0.0.1 port=$port user=a dbname=postgres sslmode=disable" -c "select 1") || true
    check pg-after-stop-refused "Connection refused" "$out"

    # A local password.
    start_proxy pg-pw DBTOKEN_PROXY_PASSWORD=local-s3cret -- postgres "${common[@]}" --username iam_user
    out=$(PGPW=local-s3cret psql_ -h 127.0.0.1 -p "$PORT" -U x -d postgres -c "select 'pw-' || current_user") || true
    check pg-local-password-right "pw-iam_user" "$out"
    out=$(PGPW=wrong psql_ -h 127.0.0.1 -p "$PORT" -U x -d postgres -c "select 1") || true
    check pg-local-password-wrong "wrong local password for the dbtoken proxy" "$out"
    out=$(DBTOKEN_TEST_PASSWORD=local-s3cret "$PYTHON" "$CLIENTS" postgres "$PORT" query 2>&1) || true
    check pg-local-password-psycopg "iam_user" "$out"
    stop_proxy "$PID" || true

    # TLS from the client too (--tls-cert/--tls-key), verified by the client, with a local password.
    start_proxy pg-tls DBTOKEN_PROXY_PASSWORD=local-s3cret -- postgres "${common[@]}" --username iam_user "${proxy_tls[@]}"
    out=$(PGPW=local-s3cret psql_ "host=127.0.0.1 port=$PORT user=a dbname=postgres sslmode=verify-full sslrootcert=$WORK/proxy-ca.pem" \
        -c '\conninfo' -c "select 'tls-' || current_user") || true
    check pg-client-tls-verify-full "SSL connection (protocol: TLSv1.3" "$out"
    check pg-client-tls-login "tls-iam_user" "$out"
    out=$(PGPW=wrong psql_ "host=127.0.0.1 port=$PORT user=a dbname=postgres sslmode=verify-full sslrootcert=$WORK/proxy-ca.pem" -c "select 1") || true
    check pg-client-tls-wrong-password "wrong local password for the dbtoken proxy" "$out"
    out=$(DBTOKEN_TEST_PASSWORD=local-s3cret DBTOKEN_TEST_CA="$WORK/proxy-ca.pem" "$PYTHON" "$CLIENTS" postgres "$PORT" query 2>&1) || true
    check pg-client-tls-psycopg "iam_user" "$out"
    out=$(PGPW=local-s3cret psql_ "host=127.0.0.1 port=$PORT user=a dbname=postgres sslmode=disable" -c "select 'plain-' || current_user") || true
    check pg-client-tls-optional "plain-iam_user" "$out"
    stop_proxy "$PID" || true

    # Connections outlive the token; a new login after expiry gets a new token.
    start_proxy pg-short -- postgres "${common[@]}" --username iam_user --expires-in 2
    out=$("$PYTHON" "$CLIENTS" postgres "$PORT" outlive 4 2>&1) || true
    check pg-connection-outlives-token-and-relogin "ok iam_user iam_user iam_user" "$out"
    signed=$(grep -c "signed a token" "$WORK/pg-short.log" || true)
    [[ $signed -ge 2 ]] && ok "pg-short-token-re-signed ($signed)" || bad "pg-short-token-re-signed: $signed"
    stop_proxy "$PID" || true

    # Credentials through the chain: a credential_process (one line per call in $calls).
    # Credentials that expire within the proxy's 5-minute margin are fetched again for each
    # login; long-lived ones once for many logins. Either way every login gets a valid token.
    local calls="$WORK/process-calls" exp
    for exp in 120 3600; do
        : >"$calls"
        cat >"$WORK/creds-$exp.sh" <<EOS
#!/bin/sh
echo call >>"$calls"
printf '{"Version": 1, "AccessKeyId": "ASIAPROCESSEXAMPLE", "SecretAccessKey": "$SECRET", "SessionToken": "session-$exp", "Expiration": "%s"}' "\$(date -u -d "+$exp seconds" +%Y-%m-%dT%H:%M:%SZ)"
EOS
        chmod +x "$WORK/creds-$exp.sh"
        printf '[profile proc]\ncredential_process = %s\n' "$WORK/creds-$exp.sh" >"$WORK/config-$exp"
        start_proxy "pg-process-$exp" AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_CONFIG_FILE="$WORK/config-$exp" -- \
            postgres "${common[@]}" --username iam_user --profile proc
        out=""
        for _ in 1 2 3; do
            out+=$(psql_ -h 127.0.0.1 -p "$PORT" -U x -d postgres -c "select 'proc-' || current_user")
        done
        check "pg-credential-process-$exp-logins" "proc-iam_userproc-iam_userproc-iam_user" "$out"
        if [[ $exp -eq 120 ]]; then
            [[ $(wc -l <"$calls") -ge 4 ]] && ok "pg-credentials-expiring-soon-refetched ($(wc -l <"$calls") calls)" \
                || bad "pg-credentials-expiring-soon-refetched: $(wc -l <"$calls") calls"
        else
            [[ $(wc -l <"$calls") -eq 1 ]] && ok "pg-credentials-long-lived-fetched-once" \
                || bad "pg-credentials-long-lived-fetched-once: $(wc -l <"$calls") calls"
        fi
        stop_proxy "$PID" || true
    done

    # An outage of the credentials source: the first call succeeds (credentials expiring in
    # 120 s, inside the proxy's reload margin), every later call fails. Later logins get the
    # cached token while it has at least the outage floor left, and the proxy says so.
    : >"$calls"
    cat >"$WORK/creds-outage.sh" <<EOS
#!/bin/sh
echo call >>"$calls"
[ "\$(wc -l <"$calls")" -gt 1 ] && { echo "metadata service unreachable" >&2; exit 1; }
printf '{"Version": 1, "AccessKeyId": "ASIAPROCESSEXAMPLE", "SecretAccessKey": "$SECRET", "SessionToken": "session-outage", "Expiration": "%s"}' "\$(date -u -d "+120 seconds" +%Y-%m-%dT%H:%M:%SZ)"
EOS
    chmod +x "$WORK/creds-outage.sh"
    printf '[profile proc]\ncredential_process = %s\n' "$WORK/creds-outage.sh" >"$WORK/config-outage"
    start_proxy pg-outage AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_CONFIG_FILE="$WORK/config-outage" -- \
        postgres "${common[@]}" --username iam_user --profile proc
    out=""
    for _ in 1 2 3; do
        out+=$(psql_ -h 127.0.0.1 -p "$PORT" -U x -d postgres -c "select 'outage-' || current_user") || true
    done
    check pg-credentials-outage-served-from-cache "outage-iam_useroutage-iam_useroutage-iam_user" "$out"
    [[ $(wc -l <"$calls") -ge 3 ]] && ok "pg-credentials-outage-source-retried ($(wc -l <"$calls") calls)" \
        || bad "pg-credentials-outage-source-retried: $(wc -l <"$calls") calls"
    check pg-credentials-outage-logged "credentials unavailable" "$(cat "$WORK/pg-outage.log")"
    stop_proxy "$PID" || true

    # Errors the client can read.
    start_proxy pg-wrong-ca -- postgres --target "$target" --region us-east-1 --ca-file "$WORK/other-ca.pem" --username iam_user
    out=$(psql_ -h 127.0.0.1 -p "$PORT" -U x -d postgres -c "select 1") || true
    check pg-error-wrong-ca "dbtoken proxy: TLS to the target failed" "$out"
    check pg-error-wrong-ca-reason "UnknownIssuer" "$out"
    stop_proxy "$PID" || true
    start_proxy pg-wrong-host -- postgres --target "$target" --token-host localhost --region us-east-1 --ca-file "$DBTOKEN_PG_CA" --username iam_user
    out=$(psql_ -h 127.0.0.1 -p "$PORT" -U x -d postgres -c "select 1") || true
    check pg-error-token-for-other-host "PAM authentication failed for user \"iam_user\"" "$out"
    stop_proxy "$PID" || true
    start_proxy pg-wrong-user -- postgres "${common[@]}" --username nobody
    out=$(psql_ -h 127.0.0.1 -p "$PORT" -U x -d postgres -c "select 1") || true
    check pg-error-wrong-user "FATAL:  role \"nobody\" does not exist" "$out"
    stop_proxy "$PID" || true
    start_proxy pg-unreachable -- postgres --target 127.0.0.1:1 --region us-east-1 --ca-file "$DBTOKEN_PG_CA" --username iam_user
    out=$(psql_ -h 127.0.0.1 -p "$PORT" -U x -d postgres -c "select 1") || true
    check pg-error-unreachable "dbtoken proxy: cannot connect to 127.0.0.1:1: Connection refused" "$out"
    stop_proxy "$PID" || true
    # No credentials anywhere: the client is told why, the proxy keeps running.
    start_proxy pg-no-creds AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= -- postgres "${common[@]}" --username iam_user
    out=$(psql_ -h 127.0.0.1 -p "$PORT" -U x -d postgres -c "select 1") || true
    check pg-error-no-credentials "dbtoken proxy: cannot sign a token: error[no_credentials]" "$out"
    kill -0 "$PID" && ok pg-no-credentials-proxy-still-up || bad pg-no-credentials-proxy-still-up
    stop_proxy "$PID" || true
    # A server that only does SCRAM for this user (not an IAM user): a clear hint.
    "${su[@]}" -c "CREATE ROLE scram_user LOGIN PASSWORD 'pw';"
    sed -i "1i host all scram_user 127.0.0.1/32 scram-sha-256" "$PG_DIR/data/pg_hba.conf"
    "${su[@]}" -c "select pg_reload_conf()" >/dev/null
    start_proxy pg-scram -- postgres "${common[@]}" --username scram_user
    out=$(psql_ -h 127.0.0.1 -p "$PORT" -U x -d postgres -c "select 1") || true
    check pg-error-not-an-iam-user "the target asked for SCRAM (SASL), not for a cleartext password" "$out"
    stop_proxy "$PID" || true

    # Refused configurations.
    rc=0; out=$("${aws_env[@]}" "$DBTOKEN_BIN" proxy postgres --listen 0.0.0.0:0 "${common[@]}" --username iam_user 2>&1) || rc=$?
    [[ $rc -eq 2 && "$out" == *"is not a loopback address"* ]] && ok pg-non-loopback-refused || bad "pg-non-loopback-refused: rc=$rc $out"
    rc=0; out=$("${aws_env[@]}" "$DBTOKEN_BIN" proxy postgres --listen 0.0.0.0:0 --allow-non-loopback "${common[@]}" --username iam_user 2>&1) || rc=$?
    [[ $rc -eq 2 && "$out" == *"needs a local password"* ]] && ok pg-non-loopback-needs-password || bad "pg-non-loopback-needs-password: rc=$rc $out"

    # The logs never hold a token, the secret key or the local password.
    if grep -Eq "X-Amz-Signature|X-Amz-Credential|$SECRET|local-s3cret" "$WORK"/pg*.log; then
        bad "pg-logs-hold-no-secret"
    else
        ok pg-logs-hold-no-secret
    fi
    "$ROOT/scripts/pg-iam.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
    PG_DIR=""
}

# ========================================================================================= mysql
test_mysql() {
    local env
    env=$(DBTOKEN_BIN="$DBTOKEN_BIN" DBTOKEN_MYSQL_USERS="iam_user app_user" "$ROOT/scripts/mysql-iam.sh" start)
    eval "$env"
    MY_DIR=$DBTOKEN_MYSQL_DIR
    local su=(mariadb --no-defaults --socket="$DBTOKEN_MYSQL_SOCKET" -u root dbtoken)
    "${su[@]}" -e "CREATE TABLE inventory (id int PRIMARY KEY, item varchar(40));
        INSERT INTO inventory VALUES (1, 'proxied-row-one'), (2, 'proxied-row-two');
        CREATE USER native_user@'%' IDENTIFIED BY 'pw';"
    local target="127.0.0.1:$DBTOKEN_MYSQL_PORT"
    local common=(--target "$target" --region us-east-1 --ca-file "$DBTOKEN_MYSQL_CA")
    local out rc signed logins
    # my_ ARGS: the mariadb client with only PATH/HOME, batch output
    my_() { "${client_env[@]}" mariadb --no-defaults --connect-timeout=20 -h 127.0.0.1 -B -N "$@" 2>&1; }

    start_proxy my -- mysql "${common[@]}" --username iam_user
    local port=$PORT pid=$PID
    out=$(my_ -P "$port" -u anyone -panything dbtoken -e "select current_user(); show session status like 'Ssl_version'") || true
    check my-mariadb-logs-in-as-iam-user-over-tls "iam_user@%"$'\n'"Ssl_version	TLSv1.3" "$out"
    out=$(my_ -P "$port" -u anyone dbtoken -e "select item from inventory order by id") || true
    check my-mariadb-without-password-query "proxied-row-one"$'\n'"proxied-row-two" "$out"
    out=$(my_ -P "$port" -u anyone -e "select database(), current_user()") || true
    check my-mariadb-no-database "NULL	iam_user@%" "$out"
    out=$("${client_env[@]}" mariadb-dump --no-defaults -h 127.0.0.1 -P "$port" -u anyone dbtoken inventory 2>&1) || true
    check my-dump-table-schema "CREATE TABLE \`inventory\`" "$out"
    check my-dump-table-data "proxied-row-two" "$out"
    out=$("$PYTHON" "$CLIENTS" mysql "$port" query 2>&1) || true
    check my-pymysql-query "iam_user" "$out"
    # A client that only asks for TLS (--ssl) falls back to plaintext: the proxy offers none.
    out=$(my_ -P "$port" -u anyone --ssl dbtoken -e "select 'fallback-ok'") || true
    check my-client-ssl-preferred-falls-back "fallback-ok" "$out"

    out=$("$PYTHON" "$CLIENTS" mysql "$port" burst 100 2>&1) || true
    check my-burst-100-concurrent "ok 100 100" "$out"
    signed=$(grep -c "signed a token" "$WORK/my.log" || true)
    [[ $signed -eq 1 ]] && ok "my-burst-signed-once" || bad "my-burst-signed-once: $signed signatures"
    logins=$(grep -c "login ok" "$WORK/my.log" || true)
    [[ $logins -ge 105 ]] && ok "my-one-log-line-per-connection ($logins)" || bad "my-one-log-line-per-connection: $logins"

    my_ -P "$port" -u a dbtoken -e "select concat('slept-', sleep(1.5))" >"$WORK/my-inflight.out" &
    local inflight=$!
    wait_until bash -c "[[ \$(${su[*]} -N -e \"select count(*) from information_schema.processlist where info like 'select concat(''slept-''%'\") -ge 1 ]]" \
        || bad "my-inflight-query-seen"
    rc=0; stop_proxy "$pid" || rc=$?
    wait "$inflight" || true
    [[ $rc -eq 0 ]] && ok my-sigterm-exit-0 || bad "my-sigterm-exit-0: rc=$rc"
    check my-sigterm-drains-inflight-query "slept-0" "$(cat "$WORK/my-inflight.out")"
    out=$(my_ -P "$port" -u a -e "select 1") || true
    check my-after-stop-refused "Can't connect" "$out"

    start_proxy my-pw DBTOKEN_PROXY_PASSWORD=local-s3cret -- mysql "${common[@]}" --username iam_user
    out=$(my_ -P "$PORT" -u x -plocal-s3cret -e "select concat('pw-', current_user())") || true
    check my-local-password-right "pw-iam_user@%" "$out"
    out=$(my_ -P "$PORT" -u x -pwrong -e "select 1") || true
    check my-local-password-wrong "wrong local password for the dbtoken proxy" "$out"
    out=$(my_ -P "$PORT" -u x -e "select 1") || true
    check my-local-password-missing "wrong local password for the dbtoken proxy" "$out"
    out=$(DBTOKEN_TEST_PASSWORD=local-s3cret "$PYTHON" "$CLIENTS" mysql "$PORT" query 2>&1) || true
    check my-local-password-pymysql "iam_user" "$out"
    # MySQL's own driver; with caching_sha2_password first (MySQL 8's default) the proxy switches
    # it to mysql_native_password to check the local password.
    local plugin
    for plugin in "" caching_sha2_password; do
        out=$(DBTOKEN_TEST_MYSQL_DRIVER=connector DBTOKEN_TEST_AUTH_PLUGIN=$plugin DBTOKEN_TEST_PASSWORD=local-s3cret \
            "$PYTHON" "$CLIENTS" mysql "$PORT" query 2>&1) || true
        check "my-local-password-mysql-connector${plugin:+-$plugin}" "iam_user" "$out"
        out=$(DBTOKEN_TEST_MYSQL_DRIVER=connector DBTOKEN_TEST_AUTH_PLUGIN=$plugin DBTOKEN_TEST_PASSWORD=wrong \
            "$PYTHON" "$CLIENTS" mysql "$PORT" query 2>&1) || true
        check "my-wrong-local-password-mysql-connector${plugin:+-$plugin}" "1045 (28000): dbtoken proxy: access denied: wrong local password" "$out"
    done
    stop_proxy "$PID" || true

    start_proxy my-tls DBTOKEN_PROXY_PASSWORD=local-s3cret -- mysql "${common[@]}" --username iam_user "${proxy_tls[@]}"
    out=$(my_ -P "$PORT" -u x -plocal-s3cret --ssl-verify-server-cert --ssl-ca="$WORK/proxy-ca.pem" \
        -e "select concat('tls-', current_user())" -e '\s') || true
    check my-client-tls-login "tls-iam_user@%" "$out"
    check my-client-tls-verified "Cipher in use is TLS_" "$out"
    out=$(DBTOKEN_TEST_PASSWORD=local-s3cret DBTOKEN_TEST_CA="$WORK/proxy-ca.pem" "$PYTHON" "$CLIENTS" mysql "$PORT" query 2>&1) || true
    check my-client-tls-pymysql "iam_user" "$out"
    out=$(my_ -P "$PORT" -u x -pwrong --ssl-verify-server-cert --ssl-ca="$WORK/proxy-ca.pem" -e "select 1") || true
    check my-client-tls-wrong-password "wrong local password for the dbtoken proxy" "$out"
    stop_proxy "$PID" || true

    start_proxy my-short -- mysql "${common[@]}" --username iam_user --expires-in 2
    out=$("$PYTHON" "$CLIENTS" mysql "$PORT" outlive 4 2>&1) || true
    check my-connection-outlives-token-and-relogin "ok iam_user iam_user iam_user" "$out"
    signed=$(grep -c "signed a token" "$WORK/my-short.log" || true)
    [[ $signed -ge 2 ]] && ok "my-short-token-re-signed ($signed)" || bad "my-short-token-re-signed: $signed"
    stop_proxy "$PID" || true

    start_proxy my-wrong-ca -- mysql --target "$target" --region us-east-1 --ca-file "$WORK/other-ca.pem" --username iam_user
    out=$(my_ -P "$PORT" -u x -e "select 1") || true
    check my-error-wrong-ca "dbtoken proxy: TLS to the target failed" "$out"
    check my-error-wrong-ca-reason "UnknownIssuer" "$out"
    stop_proxy "$PID" || true
    start_proxy my-wrong-host -- mysql --target "$target" --token-host localhost --region us-east-1 --ca-file "$DBTOKEN_MYSQL_CA" --username iam_user
    out=$(my_ -P "$PORT" -u x -e "select 1") || true
    check my-error-token-for-other-host "Access denied for user 'iam_user'" "$out"
    stop_proxy "$PID" || true
    start_proxy my-wrong-user -- mysql "${common[@]}" --username nobody
    out=$(my_ -P "$PORT" -u x -e "select 1") || true
    check my-error-wrong-user "Access denied for user 'nobody'" "$out"
    stop_proxy "$PID" || true
    start_proxy my-not-iam -- mysql "${common[@]}" --username native_user
    out=$(my_ -P "$PORT" -u x -e "select 1") || true
    check my-error-not-an-iam-user "Access denied for user 'native_user'" "$out"
    stop_proxy "$PID" || true
    start_proxy my-unreachable -- mysql --target 127.0.0.1:1 --region us-east-1 --ca-file "$DBTOKEN_MYSQL_CA" --username iam_user
    out=$(my_ -P "$PORT" -u x -e "select 1") || true
    check my-error-unreachable "dbtoken proxy: cannot connect to 127.0.0.1:1: Connection refused" "$out"
    out=$("$PYTHON" "$CLIENTS" mysql "$PORT" query 2>&1) || true
    check my-error-unreachable-pymysql "dbtoken proxy: cannot connect to 127.0.0.1:1" "$out"
    stop_proxy "$PID" || true
    start_proxy my-no-creds AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= -- mysql "${common[@]}" --username iam_user
    out=$(my_ -P "$PORT" -u x -e "select 1") || true
    check my-error-no-credentials "dbtoken proxy: cannot sign a token: error[no_credentials]" "$out"
    stop_proxy "$PID" || true

    if grep -Eq "X-Amz-Signature|X-Amz-Credential|$SECRET|local-s3cret" "$WORK"/my*.log; then
        bad "my-logs-hold-no-secret"
    else
        ok my-logs-hold-no-secret
    fi
    "$ROOT/scripts/mysql-iam.sh" stop "$MY_DIR" >/dev/null 2>&1 || true
    MY_DIR=""
}

for p in "${protocols[@]}"; do
    case "$p" in
        postgres) test_postgres ;;
        mysql) test_mysql ;;
        *) echo "unknown protocol $p" >&2; exit 2 ;;
    esac
done

echo "proxy: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
