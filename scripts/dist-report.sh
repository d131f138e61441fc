#!/usr/bin/env bash
# Prints the "Release artifacts" section of BENCHMARKS.md: each artifact's size against its
# budget, and the Lambda-style cold start of the manylinux2014 x86_64 wheel (fresh interpreter,
# import + first token) against bare `python -c pass` and botocore's generate_db_auth_token.
#
#   bash scripts/dist-report.sh [--runs N]      # uses dist/ (runs scripts/dist.sh if it is missing)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
OUT=${DBTOKEN_DIST_OUT:-$REPO/dist}
runs=60
[[ "${1:-}" == "--runs" ]] && runs=$2
VERSION=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
WHL=$OUT/dbtoken-$VERSION-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
[[ -f "$OUT/SHA256SUMS" && -f "$WHL" ]] || bash scripts/dist.sh >&2

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dbtoken-dist-report.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
pip_target() {
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --disable-pip-version-check --no-warn-conflicts \
        --target "$@" >&2
}
pip_target "$WORK/ours" --no-compile --no-deps --no-index --only-binary=:all: --implementation cp \
    --python-version 3.11 --platform manylinux2014_x86_64 "$WHL"
pip_target "$WORK/ours-pyc" --no-deps --no-index --only-binary=:all: --implementation cp \
    --python-version 3.11 --platform manylinux2014_x86_64 "$WHL"
botocore=$(sed -n 's/^botocore==//p' python/tests/requirements.txt)
pip_target "$WORK/peer" --only-binary=:all: "botocore==$botocore"

echo "## Release artifacts"
echo
echo "Built by \`bash scripts/dist.sh\`, checked by the \`dist\` stage (which fails when a budget is"
echo "exceeded). MB = 10^6 bytes."
echo
echo "| artifact | bytes | budget |"
echo "|---|---:|---:|"
python3 scripts/dist_check.py sizes "$OUT" "$VERSION" | while read -r status size _ rest; do
    name=${rest##* }
    [[ "$name" != SHA256SUMS ]] || continue
    budget=$(sed -n 's/.*budget *\([0-9,]*\) B.*/\1 B/p' <<<"$rest")
    echo "| \`$name\` | $size | ${budget:-–} |"
done
echo
echo "### Lambda-style cold start (manylinux2014 x86_64 wheel, budget ≤ 2× bare Python)"
echo
echo "Machine: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs. Command:"
echo "\`python3 scripts/dist_coldstart.py --runs $runs\` (each run a fresh \`python -c\` of an empty venv; the"
echo "wheel and botocore $botocore installed with \`pip install --target\` on \`PYTHONPATH\`, as in a"
echo "deployment package)."
echo
python3 -m venv --without-pip "$WORK/venv"   # the interpreter itself, no site-packages
python3 scripts/dist_coldstart.py --python "$WORK/venv/bin/python" --pythonpath "$WORK/ours" \
    --pyc-pythonpath "$WORK/ours-pyc" \
    --peer-pythonpath "$WORK/peer" --runs "$runs"
echo
echo "The layer zip ships no bytecode (one zip serves python3.9 … 3.13, and \`/opt\` is read-only on"
echo "Lambda, so Python cannot cache it): each cold start compiles the package's few \`.py\` files,"
echo "which is the difference between the two dbtoken rows. A deployment package made with"
echo "\`pip install --target\` on the function's Python version carries the \`.pyc\` files. The \`dist\`"
echo "stage checks the budget on the no-bytecode row."
