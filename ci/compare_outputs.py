#!/usr/bin/env python3
"""Compare what two pyleak-ci binaries say about the same tests: the
examples and the accuracy suite, run by each binary in turn.

Usage: ci/compare_outputs.py BEFORE AFTER [--extdir DIR] [--out DIR]

For a refactor that must not change behaviour. Per target it compares
the exit code, every test's outcome, message and leak kinds in the
JSON report with each metric's verdict, the JUnit report's testcases (name, class, the failure or
skip element with its type and message) and the console's per-test
lines, each with what depends on timing taken out (seconds, rates,
calls and rounds, which calibration sets from the clock). Prints one
line per target and the differences; exits 1 when there are any.
--extdir is the folder of the built `leaky` example extension (a
build's examples/native_leaks); without it that example is left out.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = ["examples/leaky_cache", "examples/pytest_project",
           "examples/native_leaks", "tests/accuracy/clean",
           "tests/accuracy/leaks"]
# Numbers that follow from the clock: durations, rates, calls, rounds.
TIMING = re.compile(r"\d+(\.\d+)?\s*(s|ms|x|calls?|rounds?|B/call|"
                    r"/call|objects/call|blocks/call|KiB|MiB|B)\b|"
                    r"\d+(\.\d+)?")


def scrub(text):
    return TIMING.sub("#", text or "")


def run(binary, target, outdir, extdir):
    env = dict(os.environ, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    if target.endswith("native_leaks"):
        env["PYTHONPATH"] = extdir
    xml = outdir / "report.xml"
    js = outdir / "report.json"
    proc = subprocess.run([binary, "run", target, "--junit-xml", str(xml),
                           "--json", str(js), "--jobs", "1"],
                          cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=1800)
    return proc, xml, js


def digest(proc, xml, js):
    out = {"exit": proc.returncode, "tests": {}, "junit": {},
           "console": []}
    if js.exists():
        doc = json.loads(js.read_text())
        for suite in doc.get("suites", []):
            for t in suite.get("tests", []):
                verdicts = {name: (m.get("verdict"), m.get("gating"))
                            for name, m in (t.get("metrics") or {}).items()}
                out["tests"][t.get("id")] = (
                    t.get("outcome"), scrub(t.get("message")),
                    t.get("kind"), t.get("exc_type"), verdicts)
        out["totals"] = doc.get("run", {}).get("totals")
    if xml.exists():
        for tc in ET.parse(xml).iter("testcase"):
            key = tc.get("classname", "") + "::" + tc.get("name", "")
            kids = [(c.tag, c.get("type"), scrub(c.get("message")))
                    for c in tc if c.tag in ("failure", "error", "skipped")]
            out["junit"][key] = kids
    for line in proc.stdout.splitlines():
        if line.strip():
            out["console"].append(scrub(line))
    return out


def compare(a, b):
    diffs = []
    if a["exit"] != b["exit"]:
        diffs.append("exit code %s -> %s" % (a["exit"], b["exit"]))
    if a.get("totals") != b.get("totals"):
        diffs.append("summary %s -> %s" % (a.get("totals"), b.get("totals")))
    for key in ("tests", "junit"):
        for name in sorted(set(a[key]) | set(b[key])):
            if a[key].get(name) != b[key].get(name):
                diffs.append("%s %s: %s -> %s" % (key, name,
                                                   a[key].get(name),
                                                   b[key].get(name)))
    if a["console"] != b["console"]:
        sa, sb = set(a["console"]), set(b["console"])
        for line in sorted(sa - sb):
            diffs.append("console only before: %s" % line)
        for line in sorted(sb - sa):
            diffs.append("console only after:  %s" % line)
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--extdir", default="")
    ap.add_argument("--targets", nargs="*", default=TARGETS)
    args = ap.parse_args()
    bad = 0
    for target in args.targets:
        if target.endswith("native_leaks") and not args.extdir:
            print("%-28s left out (no --extdir)" % target)
            continue
        got = []
        for binary in (args.before, args.after):
            with tempfile.TemporaryDirectory() as tmp:
                got.append(digest(*run(os.path.abspath(binary), target,
                                       Path(tmp), args.extdir)))
        diffs = compare(*got)
        print("%-28s exit %s/%s, %d tests: %s" % (
            target, got[0]["exit"], got[1]["exit"], len(got[1]["tests"]),
            "same" if not diffs else "%d differences" % len(diffs)))
        for d in diffs:
            print("    " + d)
        bad += bool(diffs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
