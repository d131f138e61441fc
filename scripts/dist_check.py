"""Checks on the release artifacts in dist/ (used by scripts/stages/dist.sh).

    python3 scripts/dist_check.py elf FILE... --libc glibc|musl --arch x86_64|aarch64 [--max-glibc 2.17]
        FILE: a wheel (every .so in it is checked) or an ELF file. glibc: every GLIBC_x.y symbol
        version <= --max-glibc, shared libraries only from the manylinux list (no libgcc_s).
        musl: only the musl libc. Exit 1 with the reasons otherwise.
    python3 scripts/dist_check.py static FILE --arch ARCH
        No program interpreter and no shared library: a static executable.
    python3 scripts/dist_check.py layer ZIP VERSION
        python/ layout, only the dbtoken package and its dist-info, the extension inside.
    python3 scripts/dist_check.py pip-pick REPORT FILENAME
        `pip install --dry-run --report REPORT` picked exactly FILENAME.
    python3 scripts/dist_check.py sizes DIR VERSION
        Budgets: each wheel and layer zip <= 1 MB, each static CLI <= 10 MB (MB = 10^6 bytes).
    python3 scripts/dist_check.py vector ID
        Prints the expected token of tokens.json case ID.

Reads ELF files with binutils' readelf (what auditwheel reads, independently of auditwheel).
"""

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MACHINE = {"x86_64": "Advanced Micro Devices X86-64", "aarch64": "AArch64"}
# The libraries a manylinux wheel may link against (PEP 599 / auditwheel's policy), none else.
MANYLINUX_LIBS = {
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1",
    "libcrypt.so.1", "libnsl.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
}
MUSL_LIBS = {"libc.so", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"}
MB = 1_000_000
BUDGETS = {"wheel": 1 * MB, "layer": 1 * MB, "cli": 10 * MB}


def readelf(flag, path):
    r = subprocess.run(["readelf", "-W", flag, str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"readelf {flag} {path}: {r.stderr.strip()}")
    return r.stdout


def machine(path):
    m = re.search(r"^\s*Machine:\s*(.+)$", readelf("-h", path), re.M)
    return m.group(1).strip() if m else "?"


def needed(path):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf("-d", path))


def glibc_versions(path):
    """Every GLIBC_x.y[.z] version the file requires (version-needs section)."""
    found = set(re.findall(r"\bGLIBC_(\d+(?:\.\d+)+)\b", readelf("-V", path)))
    return sorted({tuple(int(p) for p in v.split(".")) for v in found})


def elf_problems(path, libc, arch, max_glibc):
    problems = []
    if machine(path) != MACHINE[arch]:
        problems.append(f"machine is {machine(path)!r}, want {MACHINE[arch]!r}")
    libs = needed(path)
    allowed = MANYLINUX_LIBS if libc == "glibc" else MUSL_LIBS
    for lib in libs:
        if lib not in allowed:
            problems.append(f"links {lib} (not in the {libc} allow-list)")
    versions = glibc_versions(path)
    if libc == "glibc":
        newer = [v for v in versions if v > max_glibc]
        if newer:
            problems.append("needs " + ", ".join("GLIBC_" + ".".join(map(str, v)) for v in newer))
    elif versions:
        problems.append("references glibc symbol versions in a musl build")
    return libs, versions, problems


def cmd_elf(args):
    libc = args[args.index("--libc") + 1]
    arch = args[args.index("--arch") + 1]
    max_glibc = (2, 17)
    if "--max-glibc" in args:
        max_glibc = tuple(int(p) for p in args[args.index("--max-glibc") + 1].split("."))
    files = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or not args[i - 1].startswith("--"))]
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            targets = []
            if f.endswith(".whl"):
                with zipfile.ZipFile(f) as z:
                    for n in z.namelist():
                        if n.endswith(".so") or ".so." in n:
                            targets.append((f"{Path(f).name}:{n}", Path(z.extract(n, tmp))))
                if not targets:
                    print(f"FAIL {Path(f).name}: no shared object inside")
                    failed = True
            else:
                targets.append((f, Path(f)))
            for label, path in targets:
                libs, versions, problems = elf_problems(path, libc, arch, max_glibc)
                newest = "GLIBC_" + ".".join(map(str, versions[-1])) if versions else "no GLIBC versions"
                status = "FAIL" if problems else "ok"
                print(f"{status} {label}: {machine(path)}; NEEDED {', '.join(libs) or '-'}; newest {newest}")
                for p in problems:
                    print(f"     {p}")
                failed |= bool(problems)
    return 1 if failed else 0


def cmd_static(args):
    path, arch = args[0], args[args.index("--arch") + 1]
    problems = []
    if machine(path) != MACHINE[arch]:
        problems.append(f"machine is {machine(path)!r}")
    interp = bool(re.search(r"^\s*INTERP\b", readelf("-l", path), re.M))
    if interp:
        problems.append("has a program interpreter (PT_INTERP): dynamically linked")
    libs = needed(path)
    if libs:
        problems.append("needs shared libraries: " + ", ".join(libs))
    print(f"{'FAIL' if problems else 'ok'} {Path(path).name}: {machine(path)}; "
          f"PT_INTERP {'yes' if interp else 'none'}; NEEDED {', '.join(libs) or 'none'}")
    for p in problems:
        print(f"     {p}")
    return 1 if problems else 0


def cmd_layer(args):
    path, version = args
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    problems = [n for n in names if not n.startswith("python/")]
    tops = sorted({n.split("/")[1] for n in names if n.count("/") >= 2})
    want = ["dbtoken", f"dbtoken-{version}.dist-info"]
    if tops != want:
        problems.append(f"top-level entries under python/: {tops}, want {want}")
    if "python/dbtoken/_dbtoken.abi3.so" not in names:
        problems.append("python/dbtoken/_dbtoken.abi3.so missing")
    if any(n.endswith(".pyc") for n in names):
        problems.append("contains .pyc files")
    print(f"{'FAIL' if problems else 'ok'} {Path(path).name}: {len(names)} entries under python/: {', '.join(tops)}")
    for p in problems:
        print(f"     {p}")
    return 1 if problems else 0


def cmd_pip_pick(args):
    report, filename = args
    installs = json.loads(Path(report).read_text())["install"]
    picked = [Path(i["download_info"]["url"]).name for i in installs]
    ok = picked == [filename]
    print(f"{'ok' if ok else 'FAIL'} pip picked {picked or 'nothing'}")
    return 0 if ok else 1


def cmd_sizes(args):
    out, version = Path(args[0]), args[1]
    rows = []
    for p in sorted(out.iterdir()):
        n = p.name
        kind = ("wheel" if n.endswith(".whl") else "layer" if "-lambda-layer-" in n
                else "cli" if n.startswith(f"dbtoken-{version}-") and n.endswith("-linux-musl") else None)
        size = p.stat().st_size
        budget = BUDGETS.get(kind)
        over = budget is not None and size > budget
        rows.append(over)
        b = f"budget {budget:>10,} B" if budget else "no budget"
        print(f"{'FAIL' if over else 'ok':4} {size:>10,} B  {b}  {n}")
    kinds = {k for k in BUDGETS}
    seen = {("wheel" if p.name.endswith(".whl") else "layer" if "-lambda-layer-" in p.name
             else "cli" if p.name.endswith("-linux-musl") else "") for p in out.iterdir()}
    if not kinds <= seen:
        print(f"FAIL missing artifacts of kind {sorted(kinds - seen)}")
        return 1
    return 1 if any(rows) else 0


def cmd_vector(args):
    cases = json.loads((REPO / "tests/vectors/tokens.json").read_text())["cases"]
    case = next(c for c in cases if c["id"] == args[0])
    print(case["expected"]["token"])
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"elf": cmd_elf, "static": cmd_static, "layer": cmd_layer, "pip-pick": cmd_pip_pick,
          "sizes": cmd_sizes, "vector": cmd_vector}.get(cmd)
    if fn is None:
        raise SystemExit(__doc__)
    return fn(args)


if __name__ == "__main__":
    sys.exit(main())
