#!/usr/bin/env bash
# Throwaway MariaDB on 127.0.0.1 whose IAM users are checked by `dbtoken verify`, i.e. it accepts
# an RDS IAM auth token as the password, the way RDS MySQL does: the server asks the client for
# the `mysql_clear_password` plugin (auth_pam with pam_use_cleartext_plugin=ON) and the IAM
# users are created REQUIRE SSL (TLS with a throwaway CA).
#
#   env=$(DBTOKEN_BIN=target/debug/dbtoken scripts/mysql-iam.sh start) && eval "$env"
#   mariadb -h 127.0.0.1 -P "$DBTOKEN_MYSQL_PORT" -u iam_user --ssl-ca="$DBTOKEN_MYSQL_CA" \
#       --ssl-verify-server-cert --enable-cleartext-plugin --password="$TOKEN" -e 'select 1'
#   scripts/mysql-iam.sh status  # uses $DBTOKEN_MYSQL_DIR (or pass the dir as an argument)
#   scripts/mysql-iam.sh stop    # stops the server, removes /etc/pam.d/<service> and the state dir
#
# Needs root (it writes /etc/pam.d/<service>). `start` prints only `export` lines on stdout;
# progress and errors go to stderr. Several instances can run at once (own port, dir, service).
#
# Environment:
#   DBTOKEN_BIN            path to the dbtoken binary (required for start; copied into the state
#                          dir: rebuild => restart)
#   DBTOKEN_MYSQL_SECRET   secret access key tokens must be signed with
#                          (default: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY)
#   DBTOKEN_MYSQL_HOST     host name tokens must be signed for (default 127.0.0.1); the port is
#                          the server's port
#   DBTOKEN_MYSQL_REGION   region tokens must be signed for (default us-east-1)
#   DBTOKEN_MYSQL_USERS    space-separated IAM users to create (default "iam_user app_user"), each
#                          `IDENTIFIED VIA pam USING '<service>' REQUIRE SSL`, with all privileges
#                          on the database `dbtoken`
#   DBTOKEN_MYSQL_DIR      state directory (default: a new mktemp dir); must be reachable by the
#                          mysql user (not under /root)
#   DBTOKEN_MYSQL_PORT     TCP port (default: a free one)
#
# Layout of the state dir (root-owned, 0755):
#   data/   datadir (mysql, 0700)          run/   unix socket + pid file (mysql)
#   tls/    ca.pem (clients trust this), server-cert.pem, server-key.pem (mysql, 0400)
#   log/    mariadb.log server log, verify.log one line per PAM check, verify.err verify's stderr
#   pam/    root:root 0755: pam_script_auth, dbtoken (the copied binary)
#   my.cnf  the server's --defaults-file     secret  the secret access key (mysql, 0400)
#   state   shell vars of this instance (port, PAM service)   env   the export lines

set -euo pipefail

MARKER=.dbtoken-mysql-iam
PAM_TAG="# dbtoken mysql-iam.sh"
NAME=mysql-iam.sh
PAM_GLOB="/etc/pam.d/dbtoken-mysql-*"
DATABASE=dbtoken
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/iam-server.sh
. "$HERE/lib/iam-server.sh"

need_root() { [[ $EUID -eq 0 ]] || die "must run as root (writes /etc/pam.d and runs mariadbd as mysql)"; }

have_mariadb() {
    command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]] || return 1
    command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null \
        && compgen -G "/usr/lib/mysql/plugin/auth_pam.so" >/dev/null
}

# Admin access: root over the instance's unix socket (unix_socket authentication, OS user root).
admin_sql() { mariadb --no-defaults --socket="$1/run/mysqld.sock" -u root --batch --skip-column-names -e "$2"; }

# ------------------------------------------------------------------ cleanup helpers

# server_pid DIR: the running mariadbd of this instance, if any.
server_pid() {
    local pid
    [[ -f "$1/run/mysqld.pid" ]] || return 1
    pid=$(cat "$1/run/mysqld.pid" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    # Only a mariadbd started with this instance's defaults file.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--defaults-file=$1/my.cnf" || return 1
    echo "$pid"
}

stop_server() {
    local dir="$1" pid i
    pid=$(server_pid "$dir") || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    log "warning: mariadbd $pid did not stop in 20 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
}

# stop_instance DIR: best effort, each step runs regardless of the others.
stop_instance() {
    local dir="$1" PAM_SERVICE="" PORT=""
    [[ -f "$dir/$MARKER" ]] || { log "$dir is not a mysql-iam.sh state dir; nothing to stop"; gc_pam_services; return 0; }
    # shellcheck disable=SC1091
    [[ -f "$dir/state" ]] && . "$dir/state"
    stop_server "$dir"
    remove_pam_service "$PAM_SERVICE"
    rm -rf -- "$dir" || log "warning: could not remove $dir"
    gc_pam_services
    log "stopped${PORT:+ (port $PORT)}, removed ${PAM_SERVICE:+/etc/pam.d/$PAM_SERVICE and }$dir"
}

# ------------------------------------------------------------------ start
start_cleanup() {
    local rc=$?
    if [[ $rc -ne 0 && $START_CREATED -eq 1 ]]; then
        log "start failed; cleaning up"
        stop_instance "$START_DIR"
    fi
}

cmd_start() {
    need_root
    : "${DBTOKEN_BIN:?DBTOKEN_BIN must point to the dbtoken binary}"
    [[ -f "$DBTOKEN_BIN" && -x "$DBTOKEN_BIN" ]] || die "DBTOKEN_BIN=$DBTOKEN_BIN is not an executable file"
    local secret="${DBTOKEN_MYSQL_SECRET-wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}"
    local host="${DBTOKEN_MYSQL_HOST:-127.0.0.1}"
    local region="${DBTOKEN_MYSQL_REGION:-us-east-1}"
    local users="${DBTOKEN_MYSQL_USERS-iam_user app_user}"
    [[ -n "$secret" ]] || die "DBTOKEN_MYSQL_SECRET is empty"
    local host_re='^[][A-Za-z0-9._:-]+$'
    [[ "$host" =~ $host_re ]] || die "DBTOKEN_MYSQL_HOST has unexpected characters: '$host'"
    [[ "$region" =~ ^[a-z0-9-]+$ ]] || die "DBTOKEN_MYSQL_REGION has unexpected characters: '$region'"
    local u
    for u in $users; do
        # MySQL user names are at most 80 characters (MariaDB); keep them simple to quote.
        [[ "$u" =~ ^[A-Za-z_][A-Za-z0-9_.-]{0,79}$ ]] || die "user name '$u' not supported (use [A-Za-z_][A-Za-z0-9_.-]*)"
        [[ "$u" != root && "$u" != mysql && "$u" != mariadb.sys ]] || die "user name '$u' is reserved"
    done

    if ! have_mariadb || ! have_pam_script || ! command -v openssl >/dev/null; then
        log "installing mariadb-server + mariadb-client + libpam-script + openssl"
        "$HERE/tools.sh" apt mariadb-server mariadb-client libpam-script openssl >&2
    fi
    have_mariadb || die "mariadbd / mariadb-install-db / auth_pam.so missing (Debian mariadb-server, mariadb-client)"
    have_pam_script || die "pam_script.so missing (Debian libpam-script)"
    gc_pam_services

    START_DIR="" START_CREATED=0
    local dir
    if [[ -n "${DBTOKEN_MYSQL_DIR:-}" ]]; then
        dir="$DBTOKEN_MYSQL_DIR"
        [[ "$dir" == /* ]] || dir="$PWD/$dir"
        if [[ -e "$dir" ]]; then
            [[ -d "$dir" && -z "$(ls -A "$dir")" ]] || die "DBTOKEN_MYSQL_DIR=$dir exists and is not empty (stop the old instance first)"
        else
            mkdir -p "$dir"
        fi
    else
        dir=$(mktemp -d /tmp/dbtoken-mysql.XXXXXX)
    fi
    START_DIR="$dir" START_CREATED=1
    trap start_cleanup EXIT
    trap 'exit 130' INT TERM HUP

    validate_path "$dir" DBTOKEN_MYSQL_DIR
    chown root:root "$dir"
    chmod 0755 "$dir"
    touch "$dir/$MARKER"
    runuser -u mysql -- test -x "$dir" || die "the mysql user cannot reach $dir (a parent directory is not world-searchable)"

    mkdir -p "$dir/data" "$dir/run" "$dir/log" "$dir/pam"
    chown mysql:mysql "$dir/data" "$dir/run" "$dir/log"
    chmod 0700 "$dir/data"
    chmod 0755 "$dir/run" "$dir/log"
    chown root:root "$dir/pam"
    chmod 0755 "$dir/pam"

    install -o root -g root -m 0755 "$DBTOKEN_BIN" "$dir/pam/dbtoken"
    (umask 077; printf '%s' "$secret" >"$dir/secret")
    chown mysql:mysql "$dir/secret"
    chmod 0400 "$dir/secret"
    make_tls "$dir" mysql rsa

    local port svc started=0
    for _ in 1 2 3 4 5; do
        port="${DBTOKEN_MYSQL_PORT:-$(free_port)}"
        svc="dbtoken-mysql-$port"
        if [[ -z "${DBTOKEN_MYSQL_PORT:-}" ]] && { [[ -e "/etc/pam.d/$svc" ]] || port_in_use "$port"; }; then
            continue
        fi
        [[ -e "/etc/pam.d/$svc" ]] && die "/etc/pam.d/$svc already exists (another instance on port $port?)"
        printf 'PORT=%q\nPAM_SERVICE=%q\nHOST=%q\nREGION=%q\nUSERS=%q\n' \
            "$port" "$svc" "$host" "$region" "$users" >"$dir/state"

        configure "$dir" "$port" "$svc" "$host" "$region"
        [[ -d "$dir/data/mysql" ]] || install_db "$dir"
        rm -f "$dir/log/mariadb.log"
        if launch "$dir"; then started=1; break; fi
        stop_server "$dir"
        remove_pam_service "$svc"
        if [[ -n "${DBTOKEN_MYSQL_PORT:-}" ]] || ! grep -qs 'Address already in use\|Do you already have another' "$dir/log/mariadb.log"; then
            tail -n 30 "$dir/log/mariadb.log" >&2 || true
            die "mariadbd did not start"
        fi
        log "port $port was taken; retrying"
    done
    [[ $started -eq 1 ]] || die "could not find a free port in 5 attempts"

    # Users, like RDS: IAM users authenticate through the plugin and must use TLS.
    local sql="DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES;"
    sql+=" CREATE DATABASE \`$DATABASE\`;"
    for u in $users; do
        sql+=" CREATE USER '$u'@'%' IDENTIFIED VIA pam USING '$svc' REQUIRE SSL;"
        sql+=" GRANT ALL PRIVILEGES ON \`$DATABASE\`.* TO '$u'@'%';"
    done
    admin_sql "$dir" "$sql" >&2 || die "creating users failed"

    {
        echo "export DBTOKEN_MYSQL_PORT=$port"
        echo "export DBTOKEN_MYSQL_CA=$dir/tls/ca.pem"
        echo "export DBTOKEN_MYSQL_DIR=$dir"
        echo "export DBTOKEN_MYSQL_SECRET_FILE=$dir/secret"
        echo "export DBTOKEN_MYSQL_HOST=$(printf '%q' "$host")"
        echo "export DBTOKEN_MYSQL_REGION=$region"
        echo "export DBTOKEN_MYSQL_USERS=$(printf '%q' "$users")"
        echo "export DBTOKEN_MYSQL_DATABASE=$DATABASE"
        echo "export DBTOKEN_MYSQL_SOCKET=$dir/run/mysqld.sock"
        echo "export DBTOKEN_MYSQL_PAM_SERVICE=$svc"
    } >"$dir/env"
    trap - EXIT INT TERM HUP
    log "MariaDB on 127.0.0.1:$port (state $dir, PAM service $svc, tokens for $host:$port in $region)"
    cat "$dir/env"
}

# install_db DIR: system tables. Once seen failing without a message when two instances
# bootstrapped at the same moment on a loaded machine: one retry, the first failure's log shown.
install_db() {
    local dir="$1" attempt
    for attempt in 1 2; do
        if mariadb-install-db --defaults-file="$dir/my.cnf" --user=mysql \
            --auth-root-authentication-method=socket --skip-test-db >"$dir/log/install-db.log" 2>&1; then
            return 0
        fi
        tail -n 20 "$dir/log/mariadb.log" >&2 || true
        log "mariadb-install-db failed (attempt $attempt)"
        find "$dir/data" -mindepth 1 -delete
        rm -f "$dir/log/mariadb.log"
    done
    die "mariadb-install-db failed (log: $dir/log/install-db.log)"
}

# launch DIR: start mariadbd in the background and wait until it answers on its socket.
launch() {
    local dir="$1" pid i
    # setsid + all fds redirected: the caller's $(...) must not wait for the server.
    setsid /usr/sbin/mariadbd --defaults-file="$dir/my.cnf" </dev/null >>"$dir/log/mariadbd.out" 2>&1 &
    pid=$!
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || return 1
        if mariadb-admin --no-defaults --socket="$dir/run/mysqld.sock" -u root ping >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    log "mariadbd did not answer in 30 s"
    return 1
}

# configure DIR PORT SERVICE HOST REGION: my.cnf, PAM service + script.
configure() {
    local dir="$1" port="$2" svc="$3" host="$4" region="$5"
    cat >"$dir/my.cnf" <<EOF
# dbtoken mysql-iam.sh (throwaway instance)
[mariadbd]
user = mysql
datadir = $dir/data
socket = $dir/run/mysqld.sock
pid-file = $dir/run/mysqld.pid
log-error = $dir/log/mariadb.log
port = $port
bind-address = 127.0.0.1
skip-name-resolve
skip-log-bin
performance_schema = OFF
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
innodb_flush_log_at_trx_commit = 0
plugin-load-add = auth_pam
pam_use_cleartext_plugin = ON
ssl-ca = $dir/tls/ca.pem
ssl-cert = $dir/tls/server-cert.pem
ssl-key = $dir/tls/server-key.pem
EOF
    chmod 0644 "$dir/my.cnf"

    # auth_pam_tool is setuid root: the script runs as root. Token in $PAM_AUTHTOK, MySQL user
    # in $PAM_USER. pam_script passes the whole password (pam_exec would cut it at 511 bytes).
    # auth_pam_tool talks to the server over its stdout, which the script inherits: nothing may
    # be written there (verify's "ok: ..." line would break the protocol and fail the login).
    cat >"$dir/pam/pam_script_auth" <<EOF
#!/bin/sh
# dbtoken mysql-iam.sh: accept the password only if it is a valid IAM auth token for this server.
printf '%s' "\$PAM_AUTHTOK" | "$dir/pam/dbtoken" verify \\
    --secret-access-key-file "$dir/secret" \\
    --expect-user "\$PAM_USER" \\
    --expect-host "$host:$port" \\
    --expect-region "$region" >/dev/null 2>>"$dir/log/verify.err"
rc=\$?
printf '%s user=%s rc=%s\n' "\$(date -u +%Y-%m-%dT%H:%M:%SZ)" "\$PAM_USER" "\$rc" >>"$dir/log/verify.log" 2>/dev/null
exit \$rc
EOF
    chown root:root "$dir/pam/pam_script_auth"
    chmod 0755 "$dir/pam/pam_script_auth"

    cat >"/etc/pam.d/$svc.tmp" <<EOF
$PAM_TAG throwaway MariaDB (remove with: scripts/mysql-iam.sh stop $dir)
$PAM_TAG instance: $dir
auth     required  pam_script.so dir=$dir/pam
account  required  pam_permit.so
EOF
    chmod 0644 "/etc/pam.d/$svc.tmp"
    mv -f "/etc/pam.d/$svc.tmp" "/etc/pam.d/$svc"
}

# ------------------------------------------------------------------ status / stop
resolve_dir() {
    local dir="${1:-${DBTOKEN_MYSQL_DIR:-}}"
    [[ -n "$dir" ]] || die "no state dir: pass it as an argument or set DBTOKEN_MYSQL_DIR"
    echo "$dir"
}

cmd_status() {
    local dir PORT="" PAM_SERVICE="" HOST="" REGION="" USERS=""
    dir=$(resolve_dir "${1:-}")
    [[ -f "$dir/$MARKER" && -f "$dir/state" ]] || { echo "no instance in $dir"; return 3; }
    # shellcheck disable=SC1091
    . "$dir/state"
    if server_pid "$dir" >/dev/null \
        && mariadb-admin --no-defaults --socket="$dir/run/mysqld.sock" -u root ping >/dev/null 2>&1; then
        echo "running: 127.0.0.1:$PORT dir=$dir pam=/etc/pam.d/$PAM_SERVICE tokens for $HOST:$PORT ($REGION) users: $USERS"
    else
        echo "not running: dir=$dir port=$PORT (see $dir/log/mariadb.log)"
        return 3
    fi
}

cmd_stop() {
    need_root
    local dir
    dir=$(resolve_dir "${1:-}")
    stop_instance "$dir"
}

case "${1:-}" in
    start)  shift; cmd_start "$@" ;;
    stop)   shift; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    *) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
