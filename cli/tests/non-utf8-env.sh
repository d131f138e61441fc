#!/usr/bin/env bash
# Credentials in the environment that are not UTF-8: aws-config's environment provider treats
# such a variable as unset, so a temporary (ASIA…) key would be signed without its session
# token (and AWS would refuse the token). dbtoken refuses with error[invalid_credentials].
# Usage: DBTOKEN_BIN=path/to/dbtoken cli/tests/non-utf8-env.sh
set -uo pipefail
bin="${DBTOKEN_BIN:?DBTOKEN_BIN must point at the dbtoken binary}"
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
passed=0 failed=0

out="$(env -i PATH=/usr/bin:/bin HOME="$home" AWS_EC2_METADATA_DISABLED=true \
    AWS_ACCESS_KEY_ID=ASIAEXAMPLE AWS_SECRET_ACCESS_KEY=secret \
    AWS_SESSION_TOKEN="$(printf 'SESSION\377')" \
    "$bin" rds --hostname db.example.com --port 5432 --username u --region us-east-1 --signing-time 1705322096 2>&1)"
rc=$?
if [[ $rc -eq 1 && "$out" == "error[invalid_credentials]"* ]]; then
    passed=$((passed + 1)); echo "ok non-utf8-session-token"
else
    failed=$((failed + 1)); echo "FAIL non-utf8-session-token: exit 0, token without X-Amz-Security-Token: ${out:0:120}…"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
