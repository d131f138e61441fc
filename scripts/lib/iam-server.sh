# Shared by scripts/pg-iam.sh and scripts/mysql-iam.sh (sourced, not run): the parts of a
# throwaway IAM-auth database server that do not depend on the database. The caller sets
#   NAME     its script name, for messages              MARKER   file marking a state dir
#   PAM_TAG  first-line comment of the PAM service files it writes
#   PAM_GLOB the /etc/pam.d files its instances use (e.g. /etc/pam.d/dbtoken-mysql-*)
# before calling any of these.

die() { echo "$NAME: error: $*" >&2; exit 1; }
log() { echo "$NAME: $*" >&2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_in_use() {
    python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
PY
}

have_pam_script() {
    local f   # globbed at call time: the module may have been installed a moment ago
    for f in /lib/*/security/pam_script.so /usr/lib/*/security/pam_script.so; do [[ -f "$f" ]] && return 0; done
    return 1
}

# validate_path PATH VARIABLE: pam.d options are space-separated and server config values are
# quoted: keep paths simple.
validate_path() {
    [[ "$1" =~ ^/[A-Za-z0-9._/+-]+$ ]] || die "$2 must be an absolute path of [A-Za-z0-9._/+-] (got '$1')"
}

# remove_pam_service SERVICE: removes /etc/pam.d/SERVICE if this script wrote it.
remove_pam_service() {
    local svc="$1" f="/etc/pam.d/$1"
    [[ -n "$svc" && -f "$f" ]] || return 0
    if grep -q "^$PAM_TAG" "$f"; then rm -f "$f"; else log "not removing $f (not created by $NAME)"; fi
}

# Removes the PAM service files of instances whose state dir is gone (crashes, rm -rf by hand).
gc_pam_services() {
    local f dir
    for f in $PAM_GLOB; do
        [[ -f "$f" ]] || continue
        grep -q "^$PAM_TAG" "$f" || continue
        dir=$(sed -n "s|^$PAM_TAG instance: ||p" "$f")
        if [[ -z "$dir" || ! -f "$dir/$MARKER" ]]; then
            rm -f "$f" && log "removed stale $f"
        fi
    done
}

# make_tls DIR KEY_OWNER KEY_TYPE: a throwaway CA (DIR/tls/ca.pem) and a server certificate for
# 127.0.0.1 / localhost (DIR/tls/server-cert.pem, key DIR/tls/server-key.pem owned by KEY_OWNER,
# 0400). KEY_TYPE: ec (P-256) or rsa (2048 bits). The CA's key is deleted.
make_tls() {
    local t="$1/tls" owner="$2" key
    case "$3" in
        ec) key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
        rsa) key=(-newkey rsa:2048) ;;
        *) die "make_tls: key type ec or rsa, not '$3'" ;;
    esac
    mkdir -p "$t"
    (
        cd "$t"
        openssl req -x509 "${key[@]}" -nodes -days 2 -subj "/CN=dbtoken $NAME test CA" \
            -keyout ca-key.pem -out ca.pem
        openssl req "${key[@]}" -nodes -subj "/CN=localhost" -keyout server-key.pem -out server.csr
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
            -extfile ext.cnf -out server-cert.pem
        rm -f server.csr ext.cnf ca.srl ca-key.pem
    ) >"$1/log/openssl.log" 2>&1 || { cat "$1/log/openssl.log" >&2; die "openssl failed"; }
    chown root:root "$t" "$t/ca.pem" "$t/server-cert.pem"
    chmod 0755 "$t"
    chmod 0644 "$t/ca.pem" "$t/server-cert.pem"
    chown "$owner:$owner" "$t/server-key.pem"
    chmod 0400 "$t/server-key.pem"
}
