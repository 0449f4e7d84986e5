#!/usr/bin/env python3
"""Benchmark of record: pyleak-ci over whole real suites, against their plain runner.

Each suite is run twice, one run after the other on the same machine: once
by its plain runner (`python -m unittest` or `python -m pytest`, with a
plugin or result class that only records each test's outcome and time),
once by `pyleak-ci run` with its defaults. For each suite it prints the
tests each runner collected, the tests pyleak-ci failed that passed
plainly (false failures), the leaks and not-repeatable tests it reported,
both wall times and their ratio, and the CPU time (user + system) of both.
Then the ten files with the worst ratio, each with the test that cost
pyleak-ci the most and the calls it made of it.

    tests/bench/bench_suites.py prepare DIR
    tests/bench/bench_suites.py select --python PY --out FILE [--module M]...
    tests/bench/bench_suites.py run [--pyleak P] [--python PY] [--keep DIR]
                                    [--suites DIR] [--modules FILE]
                                    [--only NAME]... [--pyleak-arg A]...

`prepare` clones the third-party suites at the tag of the Debian
package they test into DIR (network needed, once) and removes the
package's own sources from each clone, so their tests import Debian's
package. `select` runs every test module of PY's `test` package once
with `PY -m unittest` (at most --limit seconds each) and writes which
pass plainly, their times and test counts to FILE; modules that ask for
the network, GUI or audio resources, or import tkinter, are left out
without running. `run` measures the suites: `cpython` (the modules FILE
lists as passing; their plain figures are those of `select`, one process
per module) and each third-party suite found in DIR (numpy's tests ship
in Debian's python3-numpy and need no clone). The third-party suites need
Debian's packages for PY: python3-attr, python3-hypothesis,
python3-more-itertools, python3-pyparsing, python3-sortedcontainers,
python3-numpy, python3-pytest.

Prints figures; it is not a pass/fail test. A leak it lists is either a
real leak of the code under test or a defect of pyleak-ci: each must be
checked with a standalone loop.
"""
import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DIST = "/usr/lib/python3/dist-packages"

# name, Debian package and version, upstream repository and the tag of
# that version, the runner its project uses, the test paths, the paths
# left out (and why), and the package sources removed from the clone.
THIRD_PARTY = [
    dict(name="attrs", deb="python3-attr 22.2.0",
         url="https://github.com/python-attrs/attrs", tag="22.2.0",
         runner="pytest", paths=["tests"], drop=["src"]),
    dict(name="more-itertools", deb="python3-more-itertools 8.10.0",
         url="https://github.com/more-itertools/more-itertools",
         tag="v8.10.0", runner="unittest", paths=["tests"],
         drop=["more_itertools"]),
    dict(name="pyparsing", deb="python3-pyparsing 3.0.9",
         url="https://github.com/pyparsing/pyparsing",
         tag="pyparsing_3.0.9", runner="pytest", paths=["tests"],
         # railroad-diagrams is not packaged in Debian 12.
         ignore=["tests/test_diagram.py"], drop=["pyparsing"]),
    dict(name="sortedcontainers", deb="python3-sortedcontainers 2.4.0",
         url="https://github.com/grantjenks/python-sortedcontainers",
         tag="v2.4.0", runner="pytest", paths=["tests"],
         drop=["sortedcontainers"]),
    dict(name="numpy", deb="python3-numpy 1.24.2", url=None, tag=None,
         runner="pytest", root=DIST,
         paths=["numpy/linalg/tests", "numpy/random/tests"]),
]

# Records each item's outcome and the time of its setup, call and
# teardown; loaded into the plain pytest run with -p.
_PYTEST_PLUGIN = r'''
import json, os
_rows = {}
def pytest_runtest_logreport(report):
    row = _rows.setdefault(report.nodeid, {"time": 0.0, "outcome": "passed"})
    row["time"] += report.duration
    if report.failed:
        row["outcome"] = "failed" if report.when == "call" else "error"
    elif report.skipped and row["outcome"] == "passed":
        row["outcome"] = "skipped"
def pytest_sessionfinish(session):
    with open(os.environ["PLK_BENCH_OUT"], "w") as f:
        json.dump(_rows, f)
'''

# A plain `python -m unittest NAME...` run ('default' warnings, as
# unittest.main sets them) whose result class records each test's
# outcome and time, keyed by the module the test was loaded from.
_UNITTEST_RUNNER = r'''
import json, os, sys, time, unittest
loader = unittest.defaultTestLoader
rows, where = {}, {}
def flat(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flat(t)
        else:
            yield t
suites = []
for name in sys.argv[1:]:
    s = loader.loadTestsFromName(name)
    for t in flat(s):
        where[id(t)] = name
    suites.append(s)
class Result(unittest.TextTestResult):
    def startTest(self, test):
        self._t0 = time.perf_counter()
        super().startTest(test)
    def _row(self, test):
        key = where.get(id(test), "") + "|" + test.id()
        return rows.setdefault(key, {"time": 0.0, "outcome": "passed"})
    def stopTest(self, test):
        self._row(test)["time"] += time.perf_counter() - self._t0
        super().stopTest(test)
    def addError(self, test, err):
        super().addError(test, err)
        self._row(test)["outcome"] = "error"
    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._row(test)["outcome"] = "failed"
    def addSubTest(self, test, sub, err):
        super().addSubTest(test, sub, err)
        if err is not None:
            self._row(test)["outcome"] = "failed"
    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._row(test)["outcome"] = "skipped"
    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._row(test)["outcome"] = "failed"
runner = unittest.TextTestRunner(resultclass=Result, warnings="default",
                                 verbosity=0)
result = runner.run(unittest.TestSuite(suites))
with open(os.environ["PLK_BENCH_OUT"], "w") as f:
    json.dump(rows, f)
sys.exit(0 if result.wasSuccessful() else 1)
'''


def timed(argv, cwd=None, env=None, timeout=None):
    """(wall seconds, CPU seconds of the children, CompletedProcess or
    None on timeout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        proc = None
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + \
        (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def python_info(python):
    out = subprocess.run(
        [python, "-c", "import sys, sysconfig; print('%d.%d' % "
         "sys.version_info[:2], sysconfig.get_path('stdlib'))"],
        capture_output=True, text=True, check=True).stdout.split()
    return out[0], Path(out[1]) / "test"


# --- prepare -------------------------------------------------------------

def prepare(args):
    dest = Path(args.dir)
    dest.mkdir(parents=True, exist_ok=True)
    for s in THIRD_PARTY:
        if not s["url"]:
            continue
        where = dest / s["name"]
        if where.exists():
            print("%s: %s exists, left as it is" % (s["name"], where))
            continue
        subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch",
                        s["tag"], s["url"], str(where)], check=True)
        for d in s.get("drop", []):
            shutil.rmtree(where / d, ignore_errors=True)
        print("%s: %s at %s (tests %s)" % (s["name"], where, s["tag"],
                                           s["deb"]))


# --- select --------------------------------------------------------------

RESOURCE = re.compile(r"""requires(_resource)?\(\s*['"](network|gui|"""
                      r"""urlfetch|audio)['"]|import tkinter|"""
                      r"""from tkinter|['"]tkinter['"]""")


def module_files(testdir, mod):
    single = testdir / (mod + ".py")
    if single.exists():
        return [single]
    return sorted((testdir / mod).rglob("*.py"))


def select(args):
    version, testdir = python_info(args.python)
    rows = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            rows = json.load(f)
    mods = sorted(p.stem if p.suffix == ".py" else p.name
                  for p in testdir.iterdir()
                  if p.name.startswith("test_") and
                  (p.suffix == ".py" or p.is_dir()))
    if args.module:
        mods = [m for m in mods if m in args.module]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    for mod in mods:
        if mod in rows:
            continue
        text = "".join(f.read_text(errors="replace")
                       for f in module_files(testdir, mod))
        if RESOURCE.search(text):
            rows[mod] = dict(status="resource")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                wall, cpu, proc = timed(
                    [args.python, "-m", "unittest", "test." + mod],
                    cwd=tmp, env=dict(env, TMPDIR=tmp), timeout=args.limit)
            if proc is None:
                rows[mod] = dict(status="timeout", wall=wall)
            else:
                # The module's own summary is the last one: a test that
                # runs a child unittest prints the child's first.
                ran = re.findall(r"^Ran (\d+) test", proc.stderr, re.M)
                rows[mod] = dict(
                    status="pass" if proc.returncode == 0 else "fail",
                    wall=wall, cpu=cpu, ran=int(ran[-1]) if ran else 0,
                    tail=proc.stderr[-600:])
        with open(args.out, "w") as f:
            json.dump(dict(rows, _python=dict(version=version,
                                              path=args.python)),
                      f, indent=1)
        print("%-28s %-8s %7.2fs" % (mod, rows[mod]["status"],
                                     rows[mod].get("wall", 0)), flush=True)
    counts = {}
    for mod in mods:
        counts[rows[mod]["status"]] = counts.get(rows[mod]["status"], 0) + 1
    print("modules: %d; %s" % (len(mods), ", ".join(
        "%s %d" % kv for kv in sorted(counts.items()))))


# --- run -----------------------------------------------------------------

def pyleak_results(path):
    """{id: test dict} and the per-file suite dicts of a pyleak JSON."""
    with open(path) as f:
        doc = json.load(f)
    tests = {t["id"]: t for s in doc["suites"] for t in s["tests"]}
    return doc, tests


def key_of_pyleak(test_id):
    """(file stem, dotted rest): the key both runners' ids map to."""
    path, _, rest = test_id.partition("::")
    return Path(path).stem, rest.replace("::", ".")


def key_of_unittest(row_key):
    name, _, tid = row_key.partition("|")
    stem = name.rsplit(".", 1)[-1]
    return stem, tid[len(name) + 1:] if tid.startswith(name + ".") else tid


def run_plain(suite, python, env, tmp):
    out = Path(tmp, suite["name"] + "-plain.json")
    penv = dict(env, PLK_BENCH_OUT=str(out))
    cwd = suite["cwd"]
    if suite["runner"] == "pytest":
        plug = Path(tmp, "plk_bench_plugin.py")
        plug.write_text(_PYTEST_PLUGIN)
        penv["PYTHONPATH"] = tmp
        argv = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "-p", "plk_bench_plugin"] + suite["paths"] + \
            ["--ignore=" + i for i in suite.get("ignore", [])]
    else:
        argv = [python, "-c", _UNITTEST_RUNNER] + suite["names"]
    wall, cpu, proc = timed(argv, cwd=cwd, env=penv)
    with open(out) as f:
        rows = json.load(f)
    if suite["runner"] == "pytest":
        keyed = {key_of_pyleak(k): v for k, v in rows.items()}
    else:
        keyed = {key_of_unittest(k): v for k, v in rows.items()}
    return dict(wall=wall, cpu=cpu, rows=keyed, rc=proc.returncode)


def run_pyleak_per_module(suite, args, env, tmp):
    """The CPython suite, one pyleak-ci run per module, as `select` ran
    them plainly, each bounded by --module-timeout; a line per module as
    it ends, so that a long run shows its figures as it goes."""
    docs = dict(suites=[])
    tests, wall, cpu, rc = {}, 0.0, 0.0, 0
    for name, path in zip(suite["names"], suite["paths"]):
        mod = name.rsplit(".", 1)[-1]
        out = Path(tmp, "cpython", mod + ".json")
        out.parent.mkdir(parents=True, exist_ok=True)
        plain = suite["plain_files"][mod]
        argv = [args.pyleak, "run", "-q", "--python", args.python,
                "--json", str(out), path] + args.pyleak_arg
        w, c, proc = timed(argv, cwd=suite["cwd"], env=env,
                           timeout=args.module_timeout)
        wall += w
        cpu += c
        if proc is None or not out.exists():
            print("%-28s plain %7.2fs  pyleak-ci %s" % (
                mod, plain, "over %.0fs, stopped" % w if proc is None
                else "exit %d, no report" % proc.returncode), flush=True)
            suite.setdefault("stopped", []).append((mod, w, plain))
            rc = max(rc, 2)
            continue
        rc = max(rc, proc.returncode)
        doc, got = pyleak_results(out)
        docs["suites"] += doc["suites"]
        tests.update(got)
        bad = sum(t["outcome"] in BAD for t in got.values())
        leaks = sum(t["outcome"] == "leaked" for t in got.values())
        print("%-28s plain %7.2fs  pyleak-ci %7.2fs  %5.1fx  tests %4d  "
              "failed %d  leaks %d" % (mod, plain, w, w / max(plain, 1e-9),
                                       len(got), bad, leaks), flush=True)
    return dict(wall=wall, cpu=cpu, rc=rc, doc=docs,
                tests={key_of_pyleak(k): v for k, v in tests.items()})


def run_pyleak(suite, args, env, tmp):
    out = Path(tmp, suite["name"] + "-pyleak.json")
    argv = [args.pyleak, "run", "-q", "--python", args.python,
            "--json", str(out)] + suite["paths"] + \
        ["--ignore=" + i for i in suite.get("ignore", [])] + args.pyleak_arg
    wall, cpu, proc = timed(argv, cwd=suite["cwd"], env=env)
    doc, tests = pyleak_results(out)
    return dict(wall=wall, cpu=cpu, rc=proc.returncode, doc=doc,
                tests={key_of_pyleak(k): v for k, v in tests.items()})


BAD = ("failed", "error")


def how(t):
    if not t.get("rounds"):
        return "%s call(s)" % t.get("total_calls", 0)
    text = "%d calls (%dx%d" % (t.get("total_calls", 0), t["calls"],
                                t["rounds"])
    if t.get("screened", 0) > 1:
        text += ", screened with %d" % t["screened"]
    return text + ")"


def compare(suite, plain, pyl):
    """The suite's row, and its per-file ratios."""
    pk, lk = set(plain["rows"]), set(pyl["tests"])
    false_fail = [k for k in lk if pyl["tests"][k]["outcome"] in BAD and
                  plain["rows"].get(k, {}).get("outcome") not in BAD]
    plain_bad = [k for k in pk if plain["rows"][k]["outcome"] in BAD]
    leaks = [k for k in lk if pyl["tests"][k]["outcome"] == "leaked"]
    notrep = [k for k in lk if pyl["tests"][k]["outcome"] ==
              "not_repeatable"]
    files = {}
    for s in pyl["doc"]["suites"]:
        stem = Path(s["file"] or s["name"]).stem
        if suite.get("testdir"):
            # A CPython module may be a package of files.
            rel = Path(suite["cwd"], s["file"]).resolve().relative_to(
                suite["testdir"])
            stem = rel.parts[0][:-3] if rel.suffix and len(rel.parts) == 1 \
                else rel.parts[0]
        f = files.setdefault(stem, dict(pyleak=0.0, plain=0.0, tests=[]))
        f["pyleak"] += s["time"]
        f["tests"] += s["tests"]
    for k, v in plain["rows"].items():
        if k[0] in files:
            files[k[0]]["plain"] += v["time"]
    for stem, per in suite.get("plain_files", {}).items():
        if stem in files:
            files[stem]["plain"] = per
    only_plain, only_pyleak = sorted(pk - lk), sorted(lk - pk)
    plain_n = len(pk)
    if "plain_counts" in suite:
        # Per module: the tests unittest ran against those pyleak-ci ran.
        plain_n = sum(suite["plain_counts"].values())
        only_plain, only_pyleak = [], []
        for stem, n in sorted(suite["plain_counts"].items()):
            got = len(files.get(stem, {}).get("tests", []))
            if got != n:
                only_plain.append((stem, "unittest %d, pyleak-ci %d" % (
                    n, got)))
    return dict(plain_n=plain_n, pyleak_n=len(lk), only_plain=only_plain,
                only_pyleak=only_pyleak, false_fail=sorted(false_fail),
                plain_bad=len(plain_bad), leaks=sorted(leaks),
                notrep=sorted(notrep), files=files)


def cpython_suite(args, env, version, testdir):
    if not args.modules or not os.path.exists(args.modules):
        return None
    with open(args.modules) as f:
        rows = json.load(f)
    if rows.get("_python", {}).get("version") != version:
        sys.exit("%s was selected for Python %s, not %s" % (
            args.modules, rows.get("_python", {}).get("version"), version))
    mods = sorted(m for m, r in rows.items()
                  if not m.startswith("_") and r["status"] == "pass" and
                  m >= args.first)
    paths = []
    for m in mods:
        p = testdir / (m + ".py")
        paths.append(str(p if p.exists() else testdir / m))
    counts = {}
    for m, r in rows.items():
        if not m.startswith("_"):
            counts[r["status"]] = counts.get(r["status"], 0) + 1
    return dict(name="cpython", runner="unittest", cwd=str(testdir.parent),
                testdir=str(testdir),
                paths=paths, names=["test." + m for m in mods],
                selected=counts,
                plain_files={m.rsplit(".", 1)[-1]: rows[m]["wall"]
                             for m in mods},
                plain_counts={m.rsplit(".", 1)[-1]: rows[m].get("ran", 0)
                              for m in mods},
                plain_wall=sum(rows[m]["wall"] for m in mods),
                plain_cpu=sum(rows[m].get("cpu", 0) for m in mods))


def unittest_names(root, paths):
    """The modules `python -m unittest discover` would load under paths
    (test*.py), as dotted names relative to root."""
    names = []
    for p in paths:
        for f in sorted((root / p).rglob("test*.py")):
            rel = f.relative_to(root).with_suffix("")
            names.append(".".join(rel.parts))
    return names


def main_run(args):
    version, testdir = python_info(args.python)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
    suites = []
    cp = cpython_suite(args, env, version, testdir) \
        if not args.only or "cpython" in args.only else None
    if cp:
        suites.append(cp)
    for s in THIRD_PARTY:
        if args.only and s["name"] not in args.only:
            continue
        root = Path(s.get("root") or Path(args.suites or "", s["name"]))
        if not all((root / p).exists() for p in s["paths"]):
            print("%s: not found under %s (run `prepare`)" % (
                s["name"], root))
            continue
        suites.append(dict(s, cwd=str(root),
                           names=unittest_names(root, s["paths"])))
    if args.only:
        suites = [s for s in suites if s["name"] in args.only]
    print("python %s (%s); pyleak-ci %s; %d CPUs; load %.2f %.2f %.2f" % (
        (version, args.python, args.pyleak, os.cpu_count()) +
        os.getloadavg()))
    table, details = [], []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        os.makedirs(tmp, exist_ok=True)
        for s in suites:
            if s["name"] == "cpython":
                # The figures of `select`: one process per module, each
                # passing, so every test pyleak-ci fails is a false
                # failure.
                plain = dict(wall=s["plain_wall"], cpu=s["plain_cpu"],
                             rows={})
            else:
                plain = run_plain(s, args.python, env, tmp)
            pyl = run_pyleak_per_module(s, args, env, tmp) \
                if s["name"] == "cpython" else run_pyleak(s, args, env, tmp)
            c = compare(s, plain, pyl)
            table.append((s, plain, pyl, c))
            print("%-16s done: plain %.1fs, pyleak-ci %.1fs (exit %d)" % (
                s["name"], plain["wall"], pyl["wall"], pyl["rc"]),
                flush=True)
            details.append((s, plain, pyl, c))
    print("load after %.2f %.2f %.2f" % os.getloadavg())
    print()
    print("| suite | tests plain | tests pyleak-ci | failing plainly | "
          "false failures | leaks | not repeatable | plain s | "
          "pyleak-ci s | ratio | CPU plain s | CPU pyleak-ci s | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s, plain, pyl, c in table:
        print("| %s | %d | %d | %d | %d | %d | %d | %.1f | %.1f | %.2fx | "
              "%.1f | %.1f | %.2fx |" % (
                  s["name"], c["plain_n"], c["pyleak_n"], c["plain_bad"],
                  len(c["false_fail"]), len(c["leaks"]), len(c["notrep"]),
                  plain["wall"], pyl["wall"],
                  pyl["wall"] / max(plain["wall"], 1e-9), plain["cpu"],
                  pyl["cpu"], pyl["cpu"] / max(plain["cpu"], 1e-9)))
    for s, plain, pyl, c in details:
        print()
        print("## %s" % s["name"])
        if s.get("selected"):
            print("modules: %s" % ", ".join(
                "%s %d" % kv for kv in sorted(s["selected"].items())))
        for mod, w, plain_s in s.get("stopped", []):
            print("stopped: %s after %.0fs (plain %.1fs)" % (mod, w,
                                                           plain_s))
        for label, keys in (("only plain", c["only_plain"]),
                            ("only pyleak-ci", c["only_pyleak"])):
            if keys:
                print("%s (%d): %s" % (label, len(keys), ", ".join(
                    "::".join(k) for k in keys[:20])))
        for label, keys in (("false failure", c["false_fail"]),
                            ("leak", c["leaks"]),
                            ("not repeatable", c["notrep"])):
            for k in keys:
                t = pyl["tests"][k]
                print("%s: %s: %s" % (label, t["id"], (t.get("message") or
                                                     "").splitlines()[0]
                                      if t.get("message") else ""))
        worst = sorted(((f["pyleak"] / max(f["plain"], 1e-3), stem, f)
                        for stem, f in c["files"].items()
                        if f["plain"] > 0), key=lambda r: -r[0])[:10]
        print("ten worst ratios (pyleak-ci's time in the file / the plain "
              "run's):")
        print("| file | plain s | pyleak-ci s | ratio | costliest test | "
              "its time s | plain per call s | calls |")
        print("|---|---|---|---|---|---|---|---|")
        for ratio, stem, f in worst:
            t = max(f["tests"], key=lambda t: t["time"], default=None)
            if t is None:
                continue
            per = plain["rows"].get(key_of_pyleak(t["id"]), {}).get("time")
            print("| %s | %.2f | %.2f | %.1fx | %s | %.2f | %s | %s |" % (
                stem, f["plain"], f["pyleak"], ratio,
                t["id"].partition("::")[2], t["time"],
                "%.3f" % per if per is not None else "-", how(t)))


def main():
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="clone the third-party suites")
    p.add_argument("dir")
    p = sub.add_parser("select", help="find the CPython modules that "
                       "pass plainly")
    p.add_argument("--python", default="/usr/bin/python3.11")
    p.add_argument("--out", required=True)
    p.add_argument("--limit", type=float, default=150.0,
                   help="seconds a module may take plainly (default 150)")
    p.add_argument("--module", action="append", default=[],
                   help="only this test module (test_x; repeatable)")
    p = sub.add_parser("run", help="measure the suites")
    p.add_argument("--pyleak", default=str(repo / "build" / "pyleak-ci"))
    p.add_argument("--python", default="/usr/bin/python3.11")
    p.add_argument("--suites", help="the directory `prepare` filled")
    p.add_argument("--modules", help="the file `select` wrote")
    p.add_argument("--only", action="append", default=[])
    p.add_argument("--pyleak-arg", action="append", default=[])
    p.add_argument("--module-timeout", type=float, default=600.0,
                   help="seconds pyleak-ci may take over one CPython "
                   "module before it is stopped and listed (default 600)")
    p.add_argument("--from", dest="first", default="",
                   help="the CPython modules from this name on")
    p.add_argument("--keep", metavar="DIR",
                   help="keep both runners' reports in DIR")
    args = ap.parse_args()
    {"prepare": prepare, "select": select, "run": main_run}[args.cmd](args)


if __name__ == "__main__":
    main()
