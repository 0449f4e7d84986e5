#!/usr/bin/env python3
"""Benchmark: pyleak-ci over CPython's own test modules.

CPython's buildbots keep these modules free of reference leaks, so every
leak pyleak-ci reports here is a false positive. For each module this
prints the tests run, leaks reported, and the wall time of pyleak-ci next
to one plain `python3.11 -m unittest` run and `python3.11-dbg -m test -R
3:3` of the same module, measured side by side (one after the other, per
module) in one run, and the CPU time (user + system) of pyleak-ci and of
the plain run, which other work on the machine disturbs less than wall
time. The load average before and after is printed too.

Then the whole suite at once, as CI runs it: one pyleak-ci run over all
the modules' files (its default --jobs, so a big file's classes may be
shared by the workers) against one `python3.11 -m unittest test.test_a
test.test_b ...` run in one process.

Then, per module, the test that cost pyleak-ci the most, with the calls
it made of it (calls per round x rounds, and how it was measured), and the
share of pyleak-ci's time spent inside the tests' own calls (estimated
from the plain run's time per test).

    tests/bench/bench_cpython.py [--pyleak build/pyleak-ci] [--suite-only]
                                 [--python PYTHON] [MODULE...]

--python picks the interpreter (default Debian's python3.11): its own test
modules are measured, by a pyleak-ci built against that version
(--pyleak), e.g. --python /root/.pyenv/versions/3.13.0/bin/python3.13
--pyleak build-3.13/pyleak-ci. Needs the interpreter's test package
(libpython3.11-testsuite for Debian's) and, for the -R column,
python3.11-dbg (that column is for Debian's 3.11 only).
Prints figures; it is not a pass/fail test.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

TESTDIR = Path("/usr/lib/python3.11/test")  # set from --python in main()
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
    """Wall and CPU seconds of one command, and its CompletedProcess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True,
                          text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + \
        (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def read_report(path):
    """[(classname, name, time, props, failure type, message)]"""
    out = []
    if not path.exists():
        return out
    for tc in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in tc.iter("property")}
        f = tc.find("failure")
        out.append((tc.get("classname"), tc.get("name"),
                    float(tc.get("time") or 0), props,
                    f.get("type") if f is not None else None,
                    f.get("message") if f is not None else None))
    return out


# Times every test of a module in-process, the best of three runs (the
# first pays for imports): {test id: seconds}, written to argv[2].
_TIMER = r"""
import json, sys, time, unittest
times = {}
class Result(unittest.TestResult):
    def startTest(self, test):
        self._t0 = time.perf_counter()
        super().startTest(test)
    def stopTest(self, test):
        dt = time.perf_counter() - self._t0
        times[test.id()] = min(dt, times.get(test.id(), dt))
        super().stopTest(test)
for _ in range(3):
    unittest.defaultTestLoader.loadTestsFromName(sys.argv[1]).run(Result())
with open(sys.argv[2], "w") as f:
    json.dump(times, f)
"""


def time_inside(python, mod, cases, env):
    """Seconds pyleak-ci spent inside the calls of the tests, estimated:
    the calls it made of each test (the first, the calibration, warm-up
    and measured rounds; screenings before a test was measured alone are
    not counted) times the test's best plain time per call."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "times.json")
        subprocess.run([python, "-c", _TIMER, "test." + mod, str(out)],
                       cwd=str(TESTDIR.parent), env=env,
                       capture_output=True, text=True)
        try:
            per_test = json.loads(out.read_text())
        except (OSError, ValueError):
            return float("nan")
    total = 0.0
    for classname, name, _, p, _, _ in cases:
        if "pyleak.rounds" not in p:
            continue
        calls = 2 + int(p["pyleak.calls"]) * (int(p["pyleak.rounds"]) +
                                              int(p["pyleak.warmup"]))
        total += calls * per_test.get(classname + "." + name, 0.0)
    return total


def how(props):
    """"25x3 screened with 14" or "100x8 alone (3 warm-up)"."""
    if "pyleak.rounds" not in props:
        return "-"
    text = "%sx%s" % (props.get("pyleak.calls"), props.get("pyleak.rounds"))
    if "pyleak.screened" in props:
        return text + " screened with %s" % props["pyleak.screened"]
    return text + " alone"


def whole_suite(args, env, tmp):
    """One pyleak-ci run over every module's file against one plain
    unittest run of all the modules in one process."""
    mods = [m for m in args.modules if (TESTDIR / (m + ".py")).exists()]
    report = Path(tmp, "whole-suite.xml")
    t_pl, c_pl, _ = timed([args.pyleak, "run", "-q", "--python",
                           args.python, "--junit-xml", str(report)] +
                          [str(TESTDIR / (m + ".py")) for m in mods] +
                          args.pyleak_arg, env=env)
    cases = read_report(report)
    leaks = [c for c in cases if c[4] == "pyleak.Leak"]
    t_plain, c_plain, _ = timed(
        [args.python, "-m", "unittest", "-q"] + ["test." + m for m in mods],
        cwd=str(TESTDIR.parent), env=env)
    return dict(tests=len(cases), leaks=len(leaks), pyleak=t_pl,
                plain=t_plain, cpu_pl=c_pl, cpu_plain=c_plain,
                reported=["whole suite: %s::%s %s" % (c[0], c[1], c[5])
                          for c in leaks])


def main():
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyleak", default=str(repo / "build" / "pyleak-ci"))
    ap.add_argument("--python", default=shutil.which("python3.11",
                                                     path="/usr/bin") or
                    sys.executable,
                    help="the interpreter of the plain run (default: "
                    "/usr/bin/python3.11, the one pyleak-ci embeds)")
    ap.add_argument("--no-dash-r", action="store_true",
                    help="skip the python3.11-dbg -m test -R 3:3 column")
    ap.add_argument("--pyleak-arg", action="append", default=[],
                    help="extra argument for pyleak-ci (repeatable)")
    ap.add_argument("--breakdown", action="store_true",
                    help="also time every test once in-process, to tell "
                    "the time pyleak-ci spends inside the tests' calls "
                    "from its own")
    ap.add_argument("--suite-only", action="store_true",
                    help="only the whole-suite line, no per-module runs")
    ap.add_argument("modules", nargs="*", default=DEFAULT_MODULES)
    args = ap.parse_args()
    global TESTDIR
    info = subprocess.run(
        [args.python, "-c", "import sys, sysconfig; print('%d.%d' % "
         "sys.version_info[:2], sysconfig.get_path('stdlib'))"],
        capture_output=True, text=True, check=True).stdout.split()
    TESTDIR = Path(info[1]) / "test"
    print("python %s (%s), test modules in %s" % (info[0], args.python,
                                                 TESTDIR))
    dbg = shutil.which("python3.11-dbg") \
        if not args.no_dash_r and info[0] == "3.11" else None
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")

    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    print("%-18s %5s %5s %8s %8s %8s %6s %7s %7s %6s" % (
        "module", "tests", "leaks", "pyleak", "plain", "-R 3:3", "x", "cpu pl",
        "cpu pn", "x cpu"))
    tot = dict(tests=0, leaks=0, pyleak=0.0, plain=0.0, dashr=0.0,
               cpu_pl=0.0, cpu_plain=0.0, inside=0.0)
    reported, worst, insides = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for mod in [] if args.suite_only else args.modules:
            path = TESTDIR / (mod + ".py")
            if not path.exists():
                print("%-18s missing" % mod)
                continue
            report = Path(tmp, mod + ".xml")
            t_pl, c_pl, _ = timed([args.pyleak, "run", str(path), "-q",
                                   "--python", args.python,
                                   "--junit-xml", str(report)] +
                                  args.pyleak_arg, env=env)
            cases = read_report(report)
            leaks = [c for c in cases if c[4] == "pyleak.Leak"]
            reported += ["%s::%s %s" % (mod, c[1], c[5]) for c in leaks]
            t_plain, c_plain, plain = timed(
                [args.python, "-m", "unittest", "-q", "test." + mod],
                cwd=str(TESTDIR.parent), env=env)
            t_r = float("nan")
            if dbg:
                t_r, _, _ = timed([dbg, "-m", "test", "-R", "3:3", mod],
                                  cwd=tmp, env=env)
                tot["dashr"] += t_r
            tot["tests"] += len(cases)
            tot["leaks"] += len(leaks)
            tot["pyleak"] += t_pl
            tot["plain"] += t_plain
            tot["cpu_pl"] += c_pl
            tot["cpu_plain"] += c_plain
            inside = float("nan")
            if args.breakdown:
                inside = time_inside(args.python, mod, cases, env)
                tot["inside"] += inside
                insides.append((mod, inside, t_pl))
            print("%-18s %5d %5d %7.2fs %7.2fs %7.2fs %5.1fx %6.2fs "
                  "%6.2fs %5.1fx" % (
                      mod, len(cases), len(leaks), t_pl, t_plain, t_r,
                      t_pl / t_plain, c_pl, c_plain,
                      c_pl / max(c_plain, 1e-9)), flush=True)
            if cases:
                c = max(cases, key=lambda c: c[2])
                worst.append((mod, c[2], c[1], how(c[3]),
                              sum(x[2] for x in cases)))
        suite = whole_suite(args, env, tmp)
    print("%-18s %5d %5d %7.2fs %7.2fs %7.2fs %5.1fx %6.2fs %6.2fs %5.1fx" % (
        "TOTAL", tot["tests"], tot["leaks"], tot["pyleak"], tot["plain"],
        tot["dashr"], tot["pyleak"] / max(tot["plain"], 1e-9),
        tot["cpu_pl"], tot["cpu_plain"],
        tot["cpu_pl"] / max(tot["cpu_plain"], 1e-9)))
    if dbg:
        print("pyleak-ci / -R 3:3: %.2fx" % (
            tot["pyleak"] / max(tot["dashr"], 1e-9)))
    print("%-18s %5d %5d %7.2fs %7.2fs %8s %5.1fx %6.2fs %6.2fs %5.1fx" % (
        "WHOLE SUITE", suite["tests"], suite["leaks"], suite["pyleak"],
        suite["plain"], "", suite["pyleak"] / max(suite["plain"], 1e-9),
        suite["cpu_pl"], suite["cpu_plain"],
        suite["cpu_pl"] / max(suite["cpu_plain"], 1e-9)))
    reported += suite["reported"]
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    print()
    print("costliest test per module (seconds, calls per round x measured "
          "rounds, share of the module's test time):")
    for mod, secs, name, what, total in worst:
        print("  %-18s %6.2fs %5.0f%%  %s  %s" % (
            mod, secs, 100.0 * secs / max(total, 1e-9), name, what))
    if insides:
        print()
        print("time inside the tests' own calls (calls pyleak-ci made x "
              "the test's time per call in a plain in-process run), and "
              "the rest (collections, restores, samples, thread waits, "
              "start-up):")
        for mod, inside, t_pl in insides + [("TOTAL", tot["inside"],
                                             tot["pyleak"])]:
            print("  %-18s inside %7.2fs  rest %7.2fs" % (
                mod, inside, t_pl - inside))
    for line in reported:
        print("reported:", line)


if __name__ == "__main__":
    main()
