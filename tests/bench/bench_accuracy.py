#!/usr/bin/env python3
"""Benchmark: pyleak-ci over the labelled accuracy suite.

Runs the binary on tests/accuracy/leaks and tests/accuracy/clean and
prints, per test, the verdict, the rounds (warm-up + measured) and calls
per round it used (the last, for a test whose calls per round doubled),
its calls in all, its time, and the metrics that flagged it; then
true/false positives and negatives and the total wall time.

    tests/bench/bench_accuracy.py [--pyleak build/pyleak-ci]

Prints figures; it is not a pass/fail test (tests/e2e/test_accuracy.py
is).
"""
import argparse
import os
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path


def run(binary, target, report):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
    t0 = time.monotonic()
    subprocess.run([binary, "run", str(target), "-q", "--junit-xml",
                    str(report)], env=env, capture_output=True)
    return time.monotonic() - t0, ET.parse(report).getroot()


def main():
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyleak", default=str(repo / "build" / "pyleak-ci"))
    args = ap.parse_args()
    counts = dict(tp=0, fn=0, tn=0, fp=0)
    total = 0.0
    print("%-45s %-7s %-8s %6s %6s %6s %8s  %s" % (
        "test", "label", "verdict", "rounds", "calls", "total", "time",
        "flagged by"))
    with tempfile.TemporaryDirectory() as tmp:
        for sub in ("leaks", "clean"):
            wall, root = run(args.pyleak, repo / "tests" / "accuracy" / sub,
                             Path(tmp, sub + ".xml"))
            total += wall
            for tc in root.iter("testcase"):
                # The name says what a case is: clean tests also sit
                # among the leaks, where screening must tell them apart.
                label = "leak" if tc.get("name").startswith("test_leak_") \
                    else "clean"
                props = {p.get("name"): p.get("value")
                         for p in tc.iter("property")}
                fail = tc.find("failure")
                leaked = fail is not None and \
                    fail.get("type") == "pyleak.Leak"
                verdict = "leak" if leaked else (
                    "passed" if len(tc) <= 1 else tc[-1].tag)
                flagged = sorted(
                    k.split(".")[1] for k, v in props.items()
                    if k.endswith(".verdict") and v == "leak")
                rounds = "%s+%s" % (props.get("pyleak.warmup", "-"),
                                    props.get("pyleak.rounds", "-"))
                key = ("tp" if leaked else "fn") if label == "leak" else \
                    ("fp" if leaked else "tn")
                counts[key] += 1
                print("%-45s %-7s %-8s %6s %6s %6s %7.2fs  %s" % (
                    tc.get("name")[:45], label, verdict, rounds,
                    props.get("pyleak.calls", "-"),
                    props.get("pyleak.total_calls", "-"),
                    float(tc.get("time")), ",".join(flagged)))
    print()
    print("true positives %(tp)d, false negatives %(fn)d, true negatives "
          "%(tn)d, false positives %(fp)d" % counts)
    print("wall time %.2fs" % total)


if __name__ == "__main__":
    main()
