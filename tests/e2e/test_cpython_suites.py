"""End-to-end: real test suites, CPython's own test modules (those of
the interpreter under test: libpython3.11-testsuite for Debian's), must
run clean and count the tests that
`python -m unittest` counts."""
import json
import subprocess
import time

import pytest

from conftest import PYTHON, outcome, run, stdlib_tests

TESTDIR = stdlib_tests()
# Quick modules of several styles: plain TestCases, mixins, classes made
# by factories (abc), load_tests adding doctests (unpack), subTest-heavy
# ones (operator, fractions).
MODULES = ["test_bisect", "test_colorsys", "test_textwrap", "test_fnmatch",
           "test_shlex", "test_string", "test_keyword", "test_abc",
           "test_operator", "test_fractions", "test_bool", "test_unpack",
           "test_opcodes"]
# test_unpack is here for its load_tests with doctests, which it has from
# 3.11; before that it has only doctests behind a test_main() entry point.
if not (TESTDIR / "test_unpack.py").exists() or \
        "def load_tests" not in (TESTDIR / "test_unpack.py").read_text():
    MODULES.remove("test_unpack")

pytestmark = pytest.mark.skipif(
    not (TESTDIR / "test_bisect.py").exists(),
    reason="CPython's test modules are not installed for %s "
           "(libpython3.11-testsuite for Debian's)" % PYTHON)

_UNITTEST = r"""
import io, json, sys, unittest
out = {}
for name in sys.argv[1:]:
    suite = unittest.defaultTestLoader.loadTestsFromName("test." + name)
    res = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(
        suite)
    out[name] = {"count": suite.countTestCases(), "ran": res.testsRun,
                 "skipped": len(res.skipped), "ok": res.wasSuccessful()}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def reference():
    """What python -m unittest makes of each module."""
    proc = subprocess.run([PYTHON, "-c", _UNITTEST, *MODULES],
                          capture_output=True, text=True, cwd="/tmp")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def leak_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cpython")
    t0 = time.monotonic()
    r = run(*[TESTDIR / (m + ".py") for m in MODULES], tmp_path=tmp)
    r.wall = time.monotonic() - t0
    return r


def test_cpython_modules_run_clean(leak_run):
    r = leak_run
    assert r.code == 0, r.stdout[-3000:] + r.stderr
    assert "leaked" not in r.stdout.splitlines()[-1]
    total = sum(1 for _ in r.xml.iter("testcase"))
    print("%d modules, %d tests in %.1f s" % (len(MODULES), total, r.wall))


@pytest.mark.parametrize("module", MODULES)
def test_counts_match_unittest(leak_run, reference, module):
    ref = reference[module]
    assert ref["ok"] and ref["count"] == ref["ran"], ref
    suites = {s.get("name"): s for s in leak_run.xml.iter("testsuite")}
    suite = suites["test." + module]
    cases = suite.findall("testcase")
    assert len(cases) == ref["ran"], (module, len(cases), ref)
    skipped = sum(1 for tc in cases if outcome(tc)[0] == "skipped")
    assert skipped == ref["skipped"], (module, skipped, ref)
    bad = [(tc.get("name"), outcome(tc)[0]) for tc in cases
           if outcome(tc)[0] not in ("passed", "skipped")]
    assert bad == [], bad
