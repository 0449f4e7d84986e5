#!/usr/bin/env python3
"""Benchmark: pyleak-ci over CPython's own test modules.

CPython's buildbots keep these modules free of reference leaks, so every
leak pyleak-ci reports here is a false positive. For each module this
prints the tests run, leaks reported, and the wall time of pyleak-ci next
to one plain `python3.11 -m unittest` run and `python3.11-dbg -m test -R
3:3` of the same module, measured side by side in one run.

    tests/bench/bench_cpython.py [--pyleak build/pyleak-ci] [MODULE...]

Needs libpython3.11-testsuite (and python3.11-dbg for the -R column).
Prints figures; it is not a pass/fail test.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

TESTDIR = Path("/usr/lib/python3.11/test")
# Quick, self-contained modules (no network, no GUI, no subprocess storms).
DEFAULT_MODULES = [
    "test_heapq", "test_bisect", "test_base64", "test_binascii",
    "test_colorsys", "test_fnmatch", "test_abc", "test_contextlib",
    "test_operator", "test_keyword", "test_struct", "test_copy",
    "test_difflib", "test_shlex", "test_html", "test_textwrap",
    "test_string", "test_dataclasses", "test_enumerate", "test_bool",
    "test_queue", "test_sort",
]


def timed(argv, cwd=None, env=None):
    t0 = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True,
                          text=True)
    return time.monotonic() - t0, proc


def main():
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyleak", default=str(repo / "build" / "pyleak-ci"))
    ap.add_argument("--no-dash-r", action="store_true",
                    help="skip the python3.11-dbg -m test -R 3:3 column")
    ap.add_argument("modules", nargs="*", default=DEFAULT_MODULES)
    args = ap.parse_args()
    dbg = shutil.which("python3.11-dbg") if not args.no_dash_r else None
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")

    print("%-20s %6s %6s %8s %8s %8s %7s" % (
        "module", "tests", "leaks", "pyleak", "plain", "-R 3:3",
        "x plain"))
    totals = dict(tests=0, leaks=0, pyleak=0.0, plain=0.0, dashr=0.0)
    reported = []
    with tempfile.TemporaryDirectory() as tmp:
        for mod in args.modules:
            path = TESTDIR / (mod + ".py")
            if not path.exists():
                print("%-20s missing" % mod)
                continue
            report = Path(tmp, mod + ".xml")
            t_pl, proc = timed([args.pyleak, "run", str(path), "-q",
                                "--junit-xml", str(report)], env=env)
            tests = leaks = 0
            if report.exists():
                root = ET.parse(report).getroot()
                for tc in root.iter("testcase"):
                    tests += 1
                    f = tc.find("failure")
                    if f is not None and f.get("type") == "pyleak.Leak":
                        leaks += 1
                        reported.append("%s::%s %s" % (
                            mod, tc.get("name"), f.get("message")))
            t_plain, _ = timed([sys.executable, "-m", "unittest", "-q",
                                "test." + mod], cwd=str(TESTDIR.parent),
                               env=env)
            t_r = float("nan")
            if dbg:
                t_r, _ = timed([dbg, "-m", "test", "-R", "3:3", mod],
                               cwd=tmp, env=env)
                totals["dashr"] += t_r
            totals["tests"] += tests
            totals["leaks"] += leaks
            totals["pyleak"] += t_pl
            totals["plain"] += t_plain
            print("%-20s %6d %6d %7.2fs %7.2fs %7.2fs %6.1fx" % (
                mod, tests, leaks, t_pl, t_plain, t_r, t_pl / t_plain),
                flush=True)
    print("%-20s %6d %6d %7.2fs %7.2fs %7.2fs %6.1fx" % (
        "TOTAL", totals["tests"], totals["leaks"], totals["pyleak"],
        totals["plain"], totals["dashr"],
        totals["pyleak"] / max(totals["plain"], 1e-9)))
    if dbg:
        print("pyleak-ci / -R 3:3: %.2fx" % (
            totals["pyleak"] / max(totals["dashr"], 1e-9)))
    for line in reported:
        print("reported:", line)


if __name__ == "__main__":
    main()
