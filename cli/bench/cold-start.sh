#!/usr/bin/env bash
# Cold start, side by side: `dbtoken rds` vs `aws rds generate-db-auth-token` (AWS CLI v1),
# both with credentials in the environment and IMDS disabled, measured with hyperfine.
#
#   cli/bench/cold-start.sh            # builds target/release/dbtoken, installs hyperfine + awscli
#   RUNS=200 cli/bench/cold-start.sh   # more runs for dbtoken (default 100; aws gets 20)
#
# Writes the hyperfine tables to target/cold-start/ and prints a Markdown summary (the body of
# cli/BENCHMARKS.md). Not part of CI: benchmarks are not tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

RUNS="${RUNS:-100}"
AWS_RUNS="${AWS_RUNS:-20}"
scripts/tools.sh apt hyperfine >&2
scripts/tools.sh awscli >&2
eval "$(scripts/tools.sh env)"
AWS_BIN="$DBTOKEN_AWSCLI_VENV/bin/aws"
cargo build --release -p dbtoken-cli >&2
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/dbtoken"
OUT="${CARGO_TARGET_DIR:-$PWD/target}/cold-start"
mkdir -p "$OUT"
HOME_DIR=$(mktemp -d)
trap 'rm -rf "$HOME_DIR"' EXIT

# The same environment for both: keys in the environment, nothing else.
export HOME="$HOME_DIR" AWS_CONFIG_FILE="$HOME_DIR/config" AWS_SHARED_CREDENTIALS_FILE="$HOME_DIR/credentials"
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_SESSION_TOKEN

ARGS="rds --hostname prod-instance.abc123xyz.us-east-1.rds.amazonaws.com --port 5432 --username iam_user --region us-east-1"
[[ "$("$BIN" $ARGS --signing-time 1705322096)" == "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com:5432/?Action=connect&"* ]] || { echo "cold-start.sh: dbtoken does not work" >&2; exit 1; }

hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$OUT/dbtoken.json" --export-markdown "$OUT/dbtoken.md" \
    -n "dbtoken rds" "$BIN $ARGS" >&2
hyperfine -N --warmup 2 --runs "$AWS_RUNS" --export-json "$OUT/aws.json" --export-markdown "$OUT/aws.md" \
    -n "aws rds generate-db-auth-token" "$AWS_BIN rds generate-db-auth-token --hostname prod-instance.abc123xyz.us-east-1.rds.amazonaws.com --port 5432 --username iam_user --region us-east-1" >&2

python3 - "$OUT" "$("$AWS_BIN" --version 2>&1 | cut -d' ' -f1,2)" "$(hyperfine --version)" <<'PY'
import json, os, platform, sys
out, aws_version, hf_version = sys.argv[1:4]
def load(name):
    r = json.load(open(os.path.join(out, name)))["results"][0]
    return r
d, a = load("dbtoken.json"), load("aws.json")
ms = lambda s: s * 1000
cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
print("## CLI cold start: `dbtoken rds` vs `aws rds generate-db-auth-token`\n")
print(f"Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}. "
      f"{hf_version}, `-N` (no shell), credentials in the environment, `AWS_EC2_METADATA_DISABLED=true`, "
      f"same RDS inputs. Command: `cli/bench/cold-start.sh`.\n")
print("| command | mean | σ | min | median | runs |")
print("|---|---|---|---|---|---|")
for name, r in (("`dbtoken rds` (release build)", d), (f"`aws rds generate-db-auth-token` ({aws_version})", a)):
    print(f"| {name} | {ms(r['mean']):.2f} ms | {ms(r['stddev'] or 0):.2f} ms | {ms(r['min']):.2f} ms | {ms(r['median']):.2f} ms | {len(r['times'])} |")
print(f"\n**dbtoken is {a['mean'] / d['mean']:.0f}× faster** (mean; median ratio {a['median'] / d['median']:.0f}×).")
PY
