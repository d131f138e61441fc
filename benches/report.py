#!/usr/bin/env python3
"""Runs the criterion benchmarks and prints the Rust section of BENCHMARKS.md (markdown).

    python3 benches/report.py            # full criterion run (a few minutes)
    python3 benches/report.py --quick    # criterion --quick (smoke; numbers are rough)

Every number comes from one criterion run on this machine; ratios compare medians measured in
that same run (dbtoken vs the aws-sigv4 crate, and dbtoken vs the raw SHA-256 + HMAC floor).
"""
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRIT = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "criterion")


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; {rustc}"


def median_ns(*parts):
    path = os.path.join(CRIT, *parts, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def main():
    quick = "--quick" in sys.argv
    cmd = ["cargo", "bench", "-q", "-p", "dbtoken-bench", "--bench", "tokens", "--"]
    if quick:
        cmd.append("--quick")
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    out = []
    out.append("## Rust core vs `aws-sigv4` (criterion)\n")
    out.append(f"Machine: {machine()}. Command: `{' '.join(cmd)}` (run by `python3 benches/report.py`).")
    out.append("Medians from one run; ratios are within that run.\n")
    key = median_ns("signing_key", "derive")
    out.append(f"Signing-key derivation (4 HMACs, skipped by a warm `Signer`): {fmt(key)}.\n")
    out.append("Warm: `Signer::write_token` with the signing key cached. Prepared: `PreparedToken::sign`, the same request re-signed at a new time (dates, hashes and signature only; the canonical request's time-independent prefix is hashed once).\n")
    out.append("| token | session token | dbtoken warm | dbtoken cold | tokens/s (warm) | prepared | tokens/s (prepared) |")
    out.append("|---|---|---|---|---|---|---|")
    for session in ("no_session", "session_1000"):
        for kind in ("rds", "dsql", "elasticache", "memorydb"):
            warm = median_ns("token", f"{kind}_warm", session)
            cold = median_ns("token", f"{kind}_cold", session)
            prep = median_ns("token", f"{kind}_prepared", session)
            label = "none" if session == "no_session" else "1,000 chars"
            out.append(f"| {kind} | {label} | {fmt(warm)} | {fmt(cold)} | {1e9 / warm:,.0f} | {fmt(prep)} | {1e9 / prep:,.0f} |")
    out.append("")
    out.append("| RDS token | session token | dbtoken warm | aws-sigv4 | ratio | floor (SHA-256 + HMAC) | dbtoken / floor | canonical request only | prepared | prepared vs aws-sigv4 |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for session in ("no_session", "session_1000"):
        ours = median_ns("token", "rds_warm", session)
        peer = median_ns("aws_sigv4", "rds", session)
        floor = median_ns("floor", "rds", session)
        canon = median_ns("canonical_request", session)
        prep = median_ns("token", "rds_prepared", session)
        label = "none" if session == "no_session" else "1,000 chars"
        out.append(
            f"| rds | {label} | {fmt(ours)} | {fmt(peer)} | **{peer / ours:.1f}×** faster | {fmt(floor)} | {ours / floor:.2f}× | {fmt(canon)} | {fmt(prep)} | **{peer / prep:.1f}×** |"
        )
    out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
