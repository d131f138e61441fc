#!/usr/bin/env bash
# Differential test against the real AWS CLI (v1, botocore): for a spread of inputs,
# `aws rds generate-db-auth-token` with its clock frozen by faketime must print exactly what
# `dbtoken rds --signing-time` prints.
#
#   DBTOKEN_BIN=target/release/dbtoken AWS_BIN=/path/to/aws cli/tests/awscli-differential.sh
#
# Needs Debian `faketime`; prints one line per case and a closing `N passed, N failed`.
set -euo pipefail

: "${DBTOKEN_BIN:?path to the dbtoken binary}"
: "${AWS_BIN:?path to the aws binary (scripts/tools.sh awscli)}"
command -v faketime >/dev/null || { echo "faketime missing (scripts/tools.sh apt faketime)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Nothing from the caller's AWS setup: a fresh HOME, no IMDS, credentials set per case.
clean_env=(env -i "PATH=$PATH" "HOME=$WORK" "TZ=UTC" "AWS_EC2_METADATA_DISABLED=true"
    "AWS_CONFIG_FILE=$WORK/config" "AWS_SHARED_CREDENTIALS_FILE=$WORK/credentials")

LONG_AKID=AKIDEXAMPLE
LONG_SECRET='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
TEMP_AKID=ASIAIOSFODNN7EXAMPLE
TEMP_SECRET='je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY'
TEMP_TOKEN='FwoGZXIvYXdzEBYaDHhBTEXAMPLE+sessionTOKEN/abc=='
LONG_TOKEN="IQoJb3JpZ2luX2VjE$(printf 'AbC+/=%.0s' $(seq 1 150))END"

passed=0 failed=0
# check ID TIME CREDS HOST PORT USER REGION
#   TIME: "YYYY-MM-DD HH:MM:SS" (UTC); CREDS: long | temp | temp-long | profile
check() {
    local id="$1" when="$2" creds="$3" host="$4" port="$5" user="$6" region="$7"
    local cenv=()
    case "$creds" in
        long)      cenv=("AWS_ACCESS_KEY_ID=$LONG_AKID" "AWS_SECRET_ACCESS_KEY=$LONG_SECRET") ;;
        temp)      cenv=("AWS_ACCESS_KEY_ID=$TEMP_AKID" "AWS_SECRET_ACCESS_KEY=$TEMP_SECRET" "AWS_SESSION_TOKEN=$TEMP_TOKEN") ;;
        temp-long) cenv=("AWS_ACCESS_KEY_ID=$TEMP_AKID" "AWS_SECRET_ACCESS_KEY=$TEMP_SECRET" "AWS_SESSION_TOKEN=$LONG_TOKEN") ;;
        profile)   # both tools read the same shared credentials file, profile chosen by AWS_PROFILE
                   printf '[diff]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' \
                       "$TEMP_AKID" "$TEMP_SECRET" "$TEMP_TOKEN" >"$WORK/credentials"
                   cenv=("AWS_PROFILE=diff") ;;
    esac
    local theirs ours
    theirs=$("${clean_env[@]}" "${cenv[@]}" FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "@$when x0" \
        "$AWS_BIN" rds generate-db-auth-token --hostname "$host" --port "$port" --username "$user" --region "$region" 2>&1) || true
    ours=$("${clean_env[@]}" "${cenv[@]}" "$DBTOKEN_BIN" rds --hostname "$host" --port "$port" --username "$user" \
        --region "$region" --signing-time "${when/ /T}Z" 2>&1) || true
    if [[ -n "$theirs" && "$theirs" == "$ours" ]]; then
        passed=$((passed + 1)); echo "ok   $id"
    else
        failed=$((failed + 1)); echo "FAIL $id"; echo "  aws:     $theirs"; echo "  dbtoken: $ours"
    fi
    rm -f "$WORK/credentials"
}

check instance-postgres   "2024-01-15 12:34:56" long prod-instance.abc123xyz.us-east-1.rds.amazonaws.com 5432 iam_user us-east-1
check instance-mysql      "2024-01-15 12:34:56" long mydb.abc123xyz.eu-west-1.rds.amazonaws.com 3306 admin_iam eu-west-1
check proxy               "2023-12-31 23:59:59" long myproxy.proxy-abc123xyz.us-west-2.rds.amazonaws.com 5432 app us-west-2
check cluster-ro          "2024-02-29 00:00:00" long mycluster.cluster-ro-abc123xyz.ap-southeast-2.rds.amazonaws.com 5432 reader ap-southeast-2
check china               "2024-06-01 08:00:00" long db.abc.rds.cn-north-1.amazonaws.com.cn 5432 iam_user cn-north-1
check govcloud            "2024-06-01 08:00:00" long db.abc.us-gov-west-1.rds.amazonaws.com 5432 iam_user us-gov-west-1
check custom-dns          "2025-03-10 17:45:01" long db.internal.example.com 5432 iam_user us-east-2
check ipv4                "2025-03-10 17:45:01" long 10.0.12.34 5432 iam_user us-east-1
check localhost-port-1    "2030-01-01 00:00:00" long localhost 1 u us-east-1
check port-443            "2024-01-15 12:34:56" long db.abc.us-east-1.rds.amazonaws.com 443 iam_user us-east-1
check port-65535          "2024-01-15 12:34:56" long db.abc.us-east-1.rds.amazonaws.com 65535 iam_user us-east-1
check user-plus-equals    "2024-01-15 12:34:56" long db.abc.us-east-1.rds.amazonaws.com 5432 'a+b=c&d' us-east-1
check user-space-percent  "2024-01-15 12:34:56" long db.abc.us-east-1.rds.amazonaws.com 5432 'jane doe 100%' us-east-1
check user-unicode        "2024-01-15 12:34:56" long db.abc.us-east-1.rds.amazonaws.com 5432 'jöhn_用户' us-east-1
check user-tilde-dot      "2024-01-15 12:34:56" long db.abc.us-east-1.rds.amazonaws.com 5432 '~._-' us-east-1
check session-token       "2024-01-15 12:34:56" temp prod-instance.abc123xyz.us-east-1.rds.amazonaws.com 5432 iam_user us-east-1
check session-token-long  "2024-07-04 04:05:06" temp-long db.abc.eu-central-1.rds.amazonaws.com 5432 iam_user eu-central-1
check profile-file        "2024-01-15 12:34:56" profile db.abc.us-east-1.rds.amazonaws.com 5432 iam_user us-east-1
check year-2099           "2099-12-31 23:59:59" long db.abc.us-east-1.rds.amazonaws.com 5432 iam_user us-east-1

echo "awscli differential ($("$AWS_BIN" --version 2>&1 | cut -d' ' -f1,2)): $passed passed, $failed failed"
[[ $failed -eq 0 ]]
