#!/usr/bin/env python3
"""Write the seeds and reproducers of fuzz_junit in its input format.

    python3 tests/fuzz/make_junit_seeds.py tests/fuzz/junit

fuzz_junit.c reads strings (NUL-separated) from the front of its input
and shape bytes from the back; the Run class below takes the same
fields in the same order, so each seed here is a readable description
of the run it becomes. Keep the two in step when the harness changes.
Not a test: the files are committed.
"""
import struct
import sys
from pathlib import Path

METRICS = 11  # PLK_METRIC__COUNT
PASSED, LEAKED, FAILED, ERROR, SKIPPED = range(5)


class Run:
    def __init__(self):
        self.strings = []
        self.shape = []  # in the order the harness takes them

    def byte(self, v):
        self.shape.append(v & 0xFF)

    def uint(self, v, n):
        # take_u64 builds the value most significant byte first
        self.shape.extend(v.to_bytes(n, "big"))

    def double(self, x):
        self.uint(struct.unpack(">Q", struct.pack(">d", x))[0], 8)

    def text(self, s):
        self.strings.append(s.encode("utf-8", "surrogateescape")
                            if isinstance(s, str) else s)

    def maybe(self, s):
        self.byte(1 if s is None else 0)
        if s is not None:
            self.text(s)

    def stamp(self, seconds):
        self.uint(seconds or 0, 4)
        self.byte(1 if seconds is None else 0)

    def data(self):
        return b"\0".join(self.strings) + b"\0" + bytes(reversed(self.shape))


def test(r, outcome, name, file="tests/test_app.py", line=10, time=0.25,
         message=None, exc_type=None, details="", stdout=None, stderr=None,
         rounds=0, metrics=(), loc=None, note=None, baseline=0):
    shape = outcome | (0x08 if rounds else 0) | (0x10 if loc else 0)
    shape |= baseline << 5
    r.byte(shape)
    r.text("tests/test_app.py::" + name)
    r.text("tests.test_app")
    r.text(name)
    r.maybe(file)
    r.uint(line & 0xFFFF, 2)
    r.double(time)
    r.text(message or "")
    r.maybe(exc_type)
    r.text(details)
    r.maybe(stdout)
    r.maybe(stderr)
    if rounds:
        r.byte(1)            # warmup
        r.byte(rounds - 1)   # rounds
        r.byte(10)           # calls
        r.byte(0)            # screened
        r.uint(40, 2)        # total calls
        for m in range(METRICS):
            series = dict(metrics).get(m)
            r.byte(1 if series is not None else 0)
            if series is not None:
                r.byte(len(series))
                r.byte(1)            # gating
                r.double(1.0)        # per call
                r.double(10.0)       # slope
                r.double(1e-6)       # p
                r.byte(2 if outcome == LEAKED else 0)
                for v in series:
                    r.uint(v & (2**64 - 1), 8)
    if loc:
        kind, loc_file, loc_line, top_site = loc
        r.maybe(kind)
        r.maybe(loc_file)
        r.uint(loc_line & 0xFFFF, 2)
        r.maybe(top_site)
    r.maybe(note)


def suite(r, name, tests, file="tests/test_app.py", time=1.5,
          stamp=1714564800, import_error=None):
    r.byte(len(tests) | (0x04 if import_error else 0))
    r.text(name)
    r.maybe(file)
    r.double(time)
    r.stamp(stamp)
    if import_error:
        etype, message, details = import_error
        r.maybe(etype)
        r.text(message)
        r.text(details)
    for t in tests:
        t(r)


def run(suites, time=2.0, stamp=1714564800):
    r = Run()
    r.byte(len(suites) - 1)
    r.double(time)
    r.stamp(stamp)
    for s in suites:
        s(r)
    return r.data()


TRACEBACK = ('Traceback (most recent call last):\n'
             '  File "tests/test_app.py", line 11, in test_fails\n'
             '    assert 1 + 1 == 3\nAssertionError\n')

SEEDS = {
    "every-outcome": run([lambda r: suite(r, "tests.test_app", [
        lambda r: test(r, PASSED, "test_ok", rounds=4,
                       metrics=[(1, [100, 103, 103, 110])]),
        lambda r: test(r, LEAKED, "test_leak", rounds=4,
                       message="leaks 1.00 blocks/call",
                       details="blocks leak 1.00 blocks/call",
                       metrics=[(1, [0, 1000, 2000, 3000]), (5, [3, 3])],
                       loc=("python-held", "tests/test_app.py", 15,
                            "tests/test_app.py:15: cache.append(x)"),
                       note="allowed: rss", baseline=2),
        lambda r: test(r, FAILED, "test_fails", message="AssertionError",
                       exc_type="AssertionError", details=TRACEBACK,
                       stdout="printed\n", stderr="warned\n"),
    ])]),
    "skip-and-error": run([lambda r: suite(r, "tests.test_app", [
        lambda r: test(r, SKIPPED, "test_skip", message="not here"),
        lambda r: test(r, ERROR, "test_fixture", message="fixture failed",
                       exc_type=None, details=TRACEBACK),
    ])]),
    "import-error": run([
        lambda r: suite(r, "tests.test_broken", [], file="tests/test_broken.py",
                        import_error=("ModuleNotFoundError",
                                      "No module named 'nope'", TRACEBACK)),
        lambda r: suite(r, "tests.test_app", [
            lambda r: test(r, PASSED, "test_ok")]),
    ]),
    "hostile-text": run([lambda r: suite(r, "tests.\x1b[31mred\x1b[0m", [
        lambda r: test(r, FAILED, "name ]]> <&> \"'", file="t\xffst.py",
                       message="msg \x1b]0;title\x07 \x01\x02",
                       exc_type="Exc\x0b", details="\r\n\x0c\udcff\ufffe",
                       stdout="out \x1b[2J\x1b[H", stderr=b"\xed\xa0\x80"),
    ], file="tests/t\xe9st.py")]),
    "no-stamps": run([lambda r: suite(r, "", [
        lambda r: test(r, PASSED, "", file=None, line=-1, time=float("nan")),
    ], file=None, stamp=None, time=-1.0)], stamp=None, time=float("inf")),
}

# Reports the writer once got wrong (see each fix's commit).
REGRESS = {
    # A time of -0.0 was written "-0.000", which the schemas refuse.
    "regress-negative-zero-time": run([lambda r: suite(r, "tests.test_app", [
        lambda r: test(r, PASSED, "test_ok", time=-0.0)], time=-0.0)],
        time=-0.0),
    # A wild time was written with hundreds of digits.
    "regress-huge-time": run([lambda r: suite(r, "tests.test_app", [
        lambda r: test(r, PASSED, "test_ok", time=1e300)], time=6e300)]),
    # An exception type or file that sanitises to nothing was written as
    # an empty attribute, which the default schema refuses.
    "regress-empty-type": run([lambda r: suite(r, "tests.test_app", [
        lambda r: test(r, FAILED, "test_a", exc_type="", message="m"),
        lambda r: test(r, ERROR, "test_b", exc_type="\x1b[0m ", message="m"),
    ], import_error=(" \t", "cannot import", ""))]),
    "regress-empty-file": run([lambda r: suite(r, "tests.test_app", [
        lambda r: test(r, PASSED, "test_a", file=""),
        lambda r: test(r, LEAKED, "test_b", file="tests/test_app.py",
                       loc=("python-held", "\n", 3, None)),
    ], file=" ", import_error=(None, "cannot import", ""))]),
    # A suite name of only escape sequences is blank once sanitised, and
    # the Ant schema refuses a blank suite name in the strict form.
    "regress-blank-suite-name": run([lambda r: suite(
        r, "\x1b[0m\x1b]0;t\x07", [lambda r: test(r, PASSED, "test_ok")])]),
}


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/junit")
    out.mkdir(parents=True, exist_ok=True)
    for name, data in {**SEEDS, **REGRESS}.items():
        (out / name).write_bytes(data)


if __name__ == "__main__":
    main()
