#!/usr/bin/env bash
# Throwaway PostgreSQL 15 on 127.0.0.1 whose password check is `dbtoken verify`, i.e. it accepts
# an RDS IAM auth token as the password, the way RDS does. TLS is on (a throwaway CA, exported
# as DBTOKEN_PG_CA; the certificate is for 127.0.0.1 and localhost); plaintext logins work too.
#
#   eval "$(DBTOKEN_BIN=target/debug/dbtoken scripts/pg-iam.sh start)"
#   PGPASSWORD="$(token for iam_user@127.0.0.1:$PGPORT)" psql -U iam_user -d postgres -c 'select 1'
#   scripts/pg-iam.sh status     # uses $DBTOKEN_PG_DIR (or pass the dir as an argument)
#   scripts/pg-iam.sh stop       # stops the server, removes /etc/pam.d/<service> and the state dir
#
# Needs root (it writes /etc/pam.d/<service>). `start` prints only `export` lines on stdout;
# progress and errors go to stderr.
#
# Environment:
#   DBTOKEN_BIN         path to the dbtoken binary (required for start; copied into the state dir
#                       so the postgres user can run it: rebuild => restart)
#   DBTOKEN_PG_SECRET   secret access key tokens must be signed with
#                       (default: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY)
#   DBTOKEN_PG_HOST     host name tokens must be signed for (default 127.0.0.1); the port is
#                       the server's port
#   DBTOKEN_PG_REGION   region tokens must be signed for (default us-east-1)
#   DBTOKEN_PG_USERS    space-separated login roles to create (default "iam_user app_user"),
#                       each granted rds_iam (a NOLOGIN role, as on RDS) and CONNECT on postgres
#   DBTOKEN_PG_DIR      state directory (default: a new mktemp dir); must be reachable by the
#                       postgres user (not under /root)
#   DBTOKEN_PG_PORT     TCP port (default: a free one)
#
# Layout of the state dir (root-owned, 0755):
#   data/             PGDATA (postgres, 0700)          run/   unix socket (postgres)
#   tls/              ca.pem (clients trust this), server-cert.pem, server-key.pem (postgres, 0400)
#   log/postgres.log  server log                       log/verify.log  one line per PAM check
#   pam/              root:root 0755: pam_script_auth, dbtoken (the copied binary)
#   secret            the secret access key (postgres:postgres 0400, no trailing newline)
#   state             shell vars of this instance (port, PAM service)   env   the export lines

set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
MARKER=.dbtoken-pg-iam
NAME=pg-iam.sh
PAM_TAG="# dbtoken pg-iam.sh"
PAM_GLOB="/etc/pam.d/dbtoken-*"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/iam-server.sh
. "$HERE/lib/iam-server.sh"

need_root() { [[ $EUID -eq 0 ]] || die "must run as root (writes /etc/pam.d and runs initdb via runuser)"; }

as_pg() { runuser -u postgres -- "$@"; }

# ------------------------------------------------------------------ cleanup helpers

# stop_instance DIR: best effort, never fails half-way (each step runs regardless of the others).
stop_instance() {
    local dir="$1" PAM_SERVICE="" PORT=""
    [[ -f "$dir/$MARKER" ]] || { log "$dir is not a pg-iam.sh state dir; nothing to stop"; gc_pam_services; return 0; }
    # shellcheck disable=SC1091
    [[ -f "$dir/state" ]] && . "$dir/state"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 \
            || as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 \
            || log "warning: pg_ctl stop failed for $dir/data"
    fi
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
    local secret="${DBTOKEN_PG_SECRET-wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}"
    local host="${DBTOKEN_PG_HOST:-127.0.0.1}"
    local region="${DBTOKEN_PG_REGION:-us-east-1}"
    local users="${DBTOKEN_PG_USERS-iam_user app_user}"
    [[ -n "$secret" ]] || die "DBTOKEN_PG_SECRET is empty"
    local host_re='^[][A-Za-z0-9._:-]+$'
    [[ "$host" =~ $host_re ]] || die "DBTOKEN_PG_HOST has unexpected characters: '$host'"
    [[ "$region" =~ ^[a-z0-9-]+$ ]] || die "DBTOKEN_PG_REGION has unexpected characters: '$region'"
    local u
    for u in $users; do
        [[ "$u" =~ ^[A-Za-z_][A-Za-z0-9_.@-]*$ ]] || die "role name '$u' not supported (use [A-Za-z_][A-Za-z0-9_.@-]*)"
        [[ "$u" != postgres && "$u" != rds_iam ]] || die "role name '$u' is reserved"
    done

    if [[ ! -x "$PGBIN/initdb" ]] || ! have_pam_script || ! command -v openssl >/dev/null; then
        log "installing postgresql + libpam-script + openssl"
        "$HERE/tools.sh" apt postgresql postgresql-client libpam-script openssl >&2
    fi
    [[ -x "$PGBIN/initdb" ]] || die "$PGBIN/initdb missing (Debian postgresql 15)"
    have_pam_script || die "pam_script.so missing (Debian libpam-script)"
    gc_pam_services

    # State dir: new mktemp dir, or a given one that is empty (or absent).
    # Globals (not locals): the EXIT trap below may run after this function's scope is gone.
    START_DIR="" START_CREATED=0
    local dir
    if [[ -n "${DBTOKEN_PG_DIR:-}" ]]; then
        dir="$DBTOKEN_PG_DIR"
        [[ "$dir" == /* ]] || dir="$PWD/$dir"
        if [[ -e "$dir" ]]; then
            [[ -d "$dir" && -z "$(ls -A "$dir")" ]] || die "DBTOKEN_PG_DIR=$dir exists and is not empty (stop the old instance first)"
        else
            mkdir -p "$dir"
        fi
    else
        dir=$(mktemp -d /tmp/dbtoken-pg.XXXXXX)
    fi
    START_DIR="$dir" START_CREATED=1
    # From here on, any failure tears the half-built instance down (PAM file included).
    trap start_cleanup EXIT
    trap 'exit 130' INT TERM HUP

    validate_path "$dir" DBTOKEN_PG_DIR
    chown root:root "$dir"
    chmod 0755 "$dir"
    touch "$dir/$MARKER"

    as_pg test -x "$dir" || die "the postgres user cannot reach $dir (a parent directory is not world-searchable)"

    mkdir -p "$dir/data" "$dir/run" "$dir/log" "$dir/pam"
    chown postgres:postgres "$dir/data" "$dir/run" "$dir/log"
    chmod 0700 "$dir/data"
    chmod 0755 "$dir/run" "$dir/log"
    chown root:root "$dir/pam"
    chmod 0755 "$dir/pam"
    make_tls "$dir" postgres ec

    # The binary: copied so the postgres user can run it wherever it was built (e.g. under /root).
    install -o root -g root -m 0755 "$DBTOKEN_BIN" "$dir/pam/dbtoken"
    # The secret: readable by the server user (the PAM script runs as postgres) and root only.
    (umask 077; printf '%s' "$secret" >"$dir/secret")
    chown postgres:postgres "$dir/secret"
    chmod 0400 "$dir/secret"

    as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=reject \
        --encoding=UTF8 --locale=C --no-sync --no-instructions >"$dir/log/initdb.log" 2>&1 \
        || { cat "$dir/log/initdb.log" >&2; die "initdb failed"; }

    local port svc started=0
    for _ in 1 2 3 4 5; do
        port="${DBTOKEN_PG_PORT:-$(free_port)}"
        svc="dbtoken-$port"
        if [[ -z "${DBTOKEN_PG_PORT:-}" ]] && { [[ -e "/etc/pam.d/$svc" ]] || port_in_use "$port"; }; then
            continue
        fi
        [[ -e "/etc/pam.d/$svc" ]] && die "/etc/pam.d/$svc already exists (another instance on port $port?)"

        # Written before the PAM file exists, so stop/cleanup always knows what to remove.
        printf 'PORT=%q\nPAM_SERVICE=%q\nHOST=%q\nREGION=%q\nUSERS=%q\n' \
            "$port" "$svc" "$host" "$region" "$users" >"$dir/state"

        configure "$dir" "$port" "$svc" "$host" "$region"
        rm -f "$dir/log/postgres.log"   # fresh per attempt (pg_ctl recreates it as postgres)
        if as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log/postgres.log" -w -t 30 start >"$dir/log/pg_ctl.out" 2>&1; then
            started=1
            break
        fi
        remove_pam_service "$svc"
        if [[ -n "${DBTOKEN_PG_PORT:-}" ]] || ! grep -qs 'could not bind\|Address already in use' "$dir/log/postgres.log"; then
            cat "$dir/log/pg_ctl.out" >&2
            tail -n 20 "$dir/log/postgres.log" >&2 || true
            die "pg_ctl start failed"
        fi
        log "port $port was taken; retrying"
    done
    [[ $started -eq 1 ]] || die "could not find a free port in 5 attempts"

    # Roles. rds_iam is what RDS grants IAM users; here it only adds realism.
    local sql="CREATE ROLE rds_iam NOLOGIN;"
    for u in $users; do
        sql+=" CREATE ROLE \"$u\" LOGIN; GRANT rds_iam TO \"$u\"; GRANT CONNECT ON DATABASE postgres TO \"$u\";"
    done
    as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" -U postgres -d postgres -c "$sql" >&2 \
        || die "creating roles failed"

    {
        echo "export PGHOST=127.0.0.1"
        echo "export PGPORT=$port"
        echo "export PGDATABASE=postgres"
        echo "export DBTOKEN_PG_DIR=$dir"
        echo "export DBTOKEN_PG_SECRET_FILE=$dir/secret"
        echo "export DBTOKEN_PG_HOST=$(printf '%q' "$host")"
        echo "export DBTOKEN_PG_REGION=$region"
        echo "export DBTOKEN_PG_USERS=$(printf '%q' "$users")"
        echo "export DBTOKEN_PG_SOCKET_DIR=$dir/run"
        echo "export DBTOKEN_PG_PAM_SERVICE=$svc"
        echo "export DBTOKEN_PG_CA=$dir/tls/ca.pem"
    } >"$dir/env"
    trap - EXIT INT TERM HUP
    log "PostgreSQL on 127.0.0.1:$port (state $dir, PAM service $svc, tokens for $host:$port in $region)"
    cat "$dir/env"
}

# configure DIR PORT SERVICE HOST REGION: postgresql.conf, pg_hba.conf, PAM service + script.
configure() {
    local dir="$1" port="$2" svc="$3" host="$4" region="$5"
    cat >>"$dir/data/postgresql.conf" <<EOF

# --- dbtoken pg-iam.sh (throwaway instance) ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/run'
fsync = off
synchronous_commit = off
full_page_writes = off
log_connections = on
max_connections = 200
ssl = on
ssl_ca_file = '$dir/tls/ca.pem'
ssl_cert_file = '$dir/tls/server-cert.pem'
ssl_key_file = '$dir/tls/server-key.pem'
EOF
    cat >"$dir/data/pg_hba.conf" <<EOF
# dbtoken pg-iam.sh: superuser over the unix socket, everyone else via PAM -> dbtoken verify
# ('host' matches TCP with and without TLS)
local  all  postgres                trust
host   all  all       127.0.0.1/32  pam pamservice=$svc
EOF
    chown postgres:postgres "$dir/data/pg_hba.conf"

    # The PAM script runs as the server user (postgres). Token arrives in $PAM_AUTHTOK, user in
    # $PAM_USER. pam_script passes the whole password (pam_exec would cut it at 511 bytes).
    # verify's stderr (never the token) goes to log/verify.log for debugging.
    cat >"$dir/pam/pam_script_auth" <<EOF
#!/bin/sh
# dbtoken pg-iam.sh: accept the password only if it is a valid IAM auth token for this server.
printf '%s' "\$PAM_AUTHTOK" | "$dir/pam/dbtoken" verify \\
    --secret-access-key-file "$dir/secret" \\
    --expect-user "\$PAM_USER" \\
    --expect-host "$host:$port" \\
    --expect-region "$region" 2>>"$dir/log/verify.err"
rc=\$?
printf '%s user=%s rc=%s\n' "\$(date -u +%Y-%m-%dT%H:%M:%SZ)" "\$PAM_USER" "\$rc" >>"$dir/log/verify.log" 2>/dev/null
exit \$rc
EOF
    chown root:root "$dir/pam/pam_script_auth"
    chmod 0755 "$dir/pam/pam_script_auth"

    # Marker lines let stop/gc recognise (and only remove) files we created.
    cat >"/etc/pam.d/$svc.tmp" <<EOF
# dbtoken pg-iam.sh throwaway PostgreSQL (remove with: scripts/pg-iam.sh stop $dir)
# dbtoken pg-iam.sh instance: $dir
auth     required  pam_script.so dir=$dir/pam
account  required  pam_permit.so
EOF
    chmod 0644 "/etc/pam.d/$svc.tmp"
    mv -f "/etc/pam.d/$svc.tmp" "/etc/pam.d/$svc"
}

# ------------------------------------------------------------------ status / stop
resolve_dir() {
    local dir="${1:-${DBTOKEN_PG_DIR:-}}"
    [[ -n "$dir" ]] || die "no state dir: pass it as an argument or set DBTOKEN_PG_DIR"
    echo "$dir"
}

cmd_status() {
    local dir PORT="" PAM_SERVICE="" HOST="" REGION="" USERS=""
    dir=$(resolve_dir "${1:-}")
    [[ -f "$dir/$MARKER" && -f "$dir/state" ]] || { echo "no instance in $dir"; return 3; }
    # shellcheck disable=SC1091
    . "$dir/state"
    if as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 \
        && "$PGBIN/pg_isready" -q -h "$dir/run" -p "$PORT"; then
        echo "running: 127.0.0.1:$PORT dir=$dir pam=/etc/pam.d/$PAM_SERVICE tokens for $HOST:$PORT ($REGION) users: $USERS"
    else
        echo "not running: dir=$dir port=$PORT (see $dir/log/postgres.log)"
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
    *) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
