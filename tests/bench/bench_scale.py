#!/usr/bin/env python3
"""Benchmark: many tests. Generated suites of trivial tests, so that what
is measured is pyleak-ci's own bookkeeping, not the tests:

- one file of N tests (default 1,000, 5,000 and 10,000): plain test
  functions, each its own id;
- F files of T tests each (default 2,000 files of 10: 20,000 tests).

For each suite and each binary given: wall time, time per test, the
parent's peak resident memory (VmHWM, read from /proc while it runs)
and whether the JUnit report holds every test, passed. Time per test
that grows with the size of a file is quadratic bookkeeping.

    tests/bench/bench_scale.py [--pyleak build/pyleak-ci ...]
                               [--sizes 1000 5000 10000]
                               [--files 2000] [--per-file 10] [--jobs 2]

Prints figures; it is not a pass/fail test.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def write_file(path, n, prefix="t"):
    with open(path, "w") as f:
        for i in range(n):
            f.write("def test_%s%d():\n    assert %d >= 0\n\n" %
                    (prefix, i, i))


def peak_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run(binary, target, jobs, cwd):
    xml = Path(cwd) / "report.xml"
    env = dict(os.environ, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    t0 = time.monotonic()
    proc = subprocess.Popen([binary, "run", str(target), "--jobs", str(jobs),
                             "--junit-xml", str(xml)], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        p = peak_kib(proc.pid)
        if p:
            peak = max(peak, p)
        time.sleep(0.05)
    wall = time.monotonic() - t0
    err = proc.stderr.read()
    cases = passed = 0
    if xml.exists():
        for tc in ET.parse(xml).iter("testcase"):
            cases += 1
            passed += not any(c.tag in ("failure", "error", "skipped")
                              for c in tc)
    return proc.returncode, wall, peak, cases, passed, err


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyleak", nargs="+",
                    default=[str(REPO / "build" / "pyleak-ci")])
    ap.add_argument("--sizes", nargs="*", type=int,
                    default=[1000, 5000, 10000])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--per-file", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    print("%-34s %-28s %5s %8s %9s %9s %s" % (
        "suite", "binary", "exit", "wall s", "ms/test", "peak MiB",
        "tests passed/reported"))
    with tempfile.TemporaryDirectory() as tmp:
        suites = []
        for n in args.sizes:
            d = Path(tmp) / ("one_%d" % n)
            d.mkdir()
            write_file(d / "test_many.py", n)
            suites.append(("1 file x %d tests" % n, d, n))
        if args.files > 0:
            d = Path(tmp) / "many"
            d.mkdir()
            for i in range(args.files):
                write_file(d / ("test_f%04d.py" % i), args.per_file,
                           "f%d_" % i)
            suites.append(("%d files x %d tests" % (args.files,
                                                     args.per_file),
                           d, args.files * args.per_file))
        for label, d, n in suites:
            for binary in args.pyleak:
                rc, wall, peak, cases, passed, err = run(
                    os.path.abspath(binary), d, args.jobs, tmp)
                print("%-34s %-28s %5d %8.1f %9.2f %9.1f %d/%d of %d" % (
                    label, binary[-28:], rc, wall, 1000.0 * wall / n,
                    peak / 1024.0, passed, cases, n))
                if rc not in (0, 1):
                    print("    " + err.strip().replace("\n", "\n    "))
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
