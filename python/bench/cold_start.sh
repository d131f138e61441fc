#!/usr/bin/env bash
# Cold start: `python -c pass` vs import dbtoken + one token vs import botocore + one token.
#
#   python/bench/cold_start.sh PYTHON      # PYTHON: an interpreter with dbtoken and botocore
#
# Uses hyperfine (scripts/tools.sh apt hyperfine) and prints its markdown table; without
# hyperfine it falls back to a plain loop of 20 runs each. Nothing here is asserted.
set -euo pipefail
py="${1:?usage: cold_start.sh PYTHON}"

export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE || true

host=prod-instance.abc123xyz.us-east-1.rds.amazonaws.com
bare="$py -c pass"
ours="$py -c \"import dbtoken; dbtoken.generate_db_auth_token('$host', 5432, 'iam_user', 'us-east-1')\""
theirs="$py -c \"import botocore.session; botocore.session.get_session().create_client('rds', region_name='us-east-1').generate_db_auth_token('$host', 5432, 'iam_user', 'us-east-1')\""

# Both must work before being timed.
eval "$ours" >/dev/null
eval "$theirs" >/dev/null

echo "Python: $("$py" -c 'import sys, platform; print(platform.python_version(), sys.executable)')"
if command -v hyperfine >/dev/null; then
    json=$(mktemp)
    hyperfine -N --warmup 5 --runs "${RUNS:-60}" --export-json "$json" \
        -n 'python -c pass' "$bare" \
        -n 'import dbtoken + one token' "$ours" \
        -n 'import botocore + client + one token' "$theirs" >&2
    # Median and min are robust to a busy machine; the ratios are against bare Python's.
    "$py" - "$json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
base = rs[0]["median"]
print("| command | median ms | min ms | mean ± σ ms | median vs bare Python |")
print("|---|---:|---:|---:|---:|")
for r in rs:
    print(f"| `{r['command']}` | {r['median']*1e3:.1f} | {r['min']*1e3:.1f} | "
          f"{r['mean']*1e3:.1f} ± {r['stddev']*1e3:.1f} | {r['median']/base:.2f}× |")
PY
    rm -f "$json"
else
    for cmd in "$bare" "$ours" "$theirs"; do
        start=$(date +%s%N)
        for _ in $(seq 20); do eval "$cmd" >/dev/null; done
        echo "$(( ($(date +%s%N) - start) / 20000000 )) ms  $cmd"
    done
fi
