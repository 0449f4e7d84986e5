#!/usr/bin/env python3
"""Benchmark: worker processes and parallel jobs.

Wall time of pyleak-ci over a set of CPython test modules with --jobs 1,
--jobs 2 (or --jobs N as given), and with PYLEAK_CI_NO_FORK=1 (every file
in the one process: what the worker model costs). Then the same over many
tiny test files, where the cost per worker (fork, importing the file,
the result records) is not hidden by the tests' own time. Every
configuration must give the same verdicts; the script says so.

    tests/bench/bench_jobs.py [--pyleak build/pyleak-ci] [--repeat 2]
                              [--jobs 2] [MODULE...]

Needs libpython3.11-testsuite. Prints figures; it is not a pass/fail
test. Timings are the best of --repeat runs.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

TESTDIR = Path("/usr/lib/python3.11/test")
# Quick, self-contained modules of different lengths, so that files end
# at different times when they run side by side.
DEFAULT_MODULES = [
    "test_heapq", "test_bisect", "test_colorsys", "test_fnmatch",
    "test_keyword", "test_shlex", "test_textwrap", "test_bool",
    "test_base64", "test_operator",
]
TINY_FILES = 60


def verdicts(report):
    out = {}
    root = ET.parse(report).getroot()
    for suite in root.iter("testsuite"):
        for tc in suite.iter("testcase"):
            kind = "passed"
            for k in ("failure", "error", "skipped"):
                if tc.find(k) is not None:
                    kind = k
            out[(suite.get("name"), tc.get("classname"),
                 tc.get("name"))] = kind
    return out


def run(pyleak, targets, jobs, no_fork, report, repeat):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
    env.pop("PYLEAK_CI_NO_FORK", None)
    if no_fork:
        env["PYLEAK_CI_NO_FORK"] = "1"
    argv = [pyleak, "run", "-q", "--junit-xml", str(report)]
    if not no_fork:
        argv += ["--jobs", str(jobs)]
    best = None
    for _ in range(repeat):
        t0 = time.monotonic()
        proc = subprocess.run(argv + [str(t) for t in targets], env=env,
                              capture_output=True, text=True)
        dt = time.monotonic() - t0
        if proc.returncode not in (0, 1):
            sys.exit("pyleak-ci failed (%d): %s" % (proc.returncode,
                                                   proc.stderr[-2000:]))
        best = dt if best is None else min(best, dt)
    return best, verdicts(report)


def table(title, pyleak, targets, jobs, repeat, tmp):
    configs = [("one process (PYLEAK_CI_NO_FORK=1)", 1, True),
               ("workers, --jobs 1", 1, False),
               ("workers, --jobs %d" % jobs, jobs, False)]
    print(title)
    results = []
    for name, j, no_fork in configs:
        report = Path(tmp, "r%d%d.xml" % (j, no_fork))
        secs, v = run(pyleak, targets, j, no_fork, report, repeat)
        results.append((name, secs, v))
    base = results[0][1]
    for name, secs, v in results:
        print("  %-36s %8.2f s  %5d tests  x%.2f" % (name, secs, len(v),
                                                    secs / base))
    same = all(r[2] == results[0][2] for r in results)
    print("  verdicts identical in every configuration: %s"
          % ("yes" if same else "NO"))
    return results


def main():
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyleak", default=str(repo / "build" / "pyleak-ci"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("modules", nargs="*", default=DEFAULT_MODULES)
    args = ap.parse_args()
    paths = [TESTDIR / (m + ".py") for m in args.modules]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        sys.exit("missing (install libpython3.11-testsuite): "
                 + ", ".join(missing))
    print("CPUs available: %d" % len(os.sched_getaffinity(0)))
    with tempfile.TemporaryDirectory() as tmp:
        table("%d CPython test modules (%s .. %s):"
              % (len(paths), args.modules[0], args.modules[-1]),
              args.pyleak, paths, args.jobs, args.repeat, tmp)
        tiny = Path(tmp, "tiny")
        tiny.mkdir()
        for i in range(TINY_FILES):
            (tiny / ("test_tiny%03d.py" % i)).write_text(
                "def test_one():\n    pass\n\n\n"
                "def test_two():\n    assert [1] * 3\n")
        res = table("%d tiny test files (2 tests each):" % TINY_FILES,
                    args.pyleak, [tiny], args.jobs, args.repeat, tmp)
        per_file = (res[1][1] - res[0][1]) / TINY_FILES
        print("  cost of a worker per file (jobs 1 - one process): "
              "%.1f ms" % (per_file * 1000))


if __name__ == "__main__":
    main()
