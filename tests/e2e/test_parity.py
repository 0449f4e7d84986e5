"""End-to-end: the same tests as the plain runners, the plain runner's
warnings during every call, tests that repeat only with their fixtures,
and identical random state before every call."""
import json
import os
import re
import subprocess

import pytest

from conftest import BINARY, FIXTURES, PYTHON, REPO, outcome, props

PARITY = FIXTURES / "parity"


def _has(module):
    return subprocess.run([PYTHON, "-c", "import " + module],
                          capture_output=True).returncode == 0


needs_pytest = pytest.mark.skipif(not _has("pytest"),
                                  reason="pytest is not installed for " +
                                  PYTHON)


def _json_ids(path):
    data = json.loads(path.read_text())
    return {t["id"]: t for s in data["suites"] for t in s["tests"]}


def _pytest_ids(target):
    proc = subprocess.run([PYTHON, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", str(target)],
                          capture_output=True, text=True, cwd=REPO)
    return {line.strip() for line in proc.stdout.splitlines()
            if "::" in line and not line.startswith(" ")}


def _unittest_ids(directory, module):
    proc = subprocess.run([PYTHON, "-m", "unittest", "-v", module],
                          capture_output=True, text=True, cwd=directory)
    assert proc.returncode == 0, proc.stderr
    ids = set()
    for line in proc.stderr.splitlines():
        m = re.match(r"(\w+) \(([\w.]+)\)", line)
        if m:
            cls = m.group(2).rsplit(".", 2)[-2]
            ids.add(cls + "::" + m.group(1))
    return ids


# -- collection parity -----------------------------------------------------

@needs_pytest
def test_plain_files_collect_what_pytest_collects(pyleak, tmp_path):
    """Inherited methods of plain Test* classes (also without `import
    pytest`), nested and imported classes, staticmethods, __test__ =
    False and classes with __init__: the ids of pytest --collect-only."""
    out = tmp_path / "r.json"
    r = pyleak(PARITY / "test_plain_inherit.py", PARITY / "test_mixed.py",
               "--rounds", "3", "--json", out)
    assert r.code == 0, r.stdout + r.stderr
    ids = _json_ids(out)
    want = _pytest_ids(PARITY / "test_plain_inherit.py") | \
        _pytest_ids(PARITY / "test_mixed.py")
    assert set(ids) == want
    assert len(want) == 15
    base = "tests/fixtures/parity/test_plain_inherit.py::"
    # Inherited from a base class imported from another module.
    assert ids[base + "TestOverrides::test_starts_empty"]["outcome"] == \
        "passed"
    # pytest lists a yield test and ignores it; so does pyleak-ci, and
    # says why.
    gen = ids[base + "test_generator"]
    assert gen["outcome"] == "skipped"
    assert "generator (yield) test" in gen["message"]


def test_unittest_files_collect_what_unittest_collects(pyleak, tmp_path):
    """A Test* mixin of a TestCase, a test_main() and a helper that takes
    arguments are not tests of a unittest module; a TestCase named with
    an underscore is; load_tests decides what its module runs."""
    out = tmp_path / "r.json"
    r = pyleak(PARITY / "test_unittest_mixins.py",
               PARITY / "test_load_tests.py", "--rounds", "3", "--json",
               out)
    assert r.code == 0, r.stdout + r.stderr
    got = {i.split("::", 1)[1] for i in _json_ids(out)}
    want = _unittest_ids(PARITY, "test_unittest_mixins") | \
        _unittest_ids(PARITY, "test_load_tests")
    assert got == want
    assert "ListChecks::test_len" in got and "TestChecks::test_len" \
        not in got and "Chosen::test_chosen" in got and len(got) == 6


def test_a_file_of_only_load_tests_runs_what_it_loads(pyleak, tmp_path):
    """No TestCase in the file, only a load_tests that brings a package's
    tests (as CPython's test_ctypes.py does): unittest runs them; so does
    pyleak-ci, which found no tests there before."""
    out = tmp_path / "r.json"
    r = pyleak(PARITY / "test_load_package.py", "--rounds", "3", "--json",
               out)
    assert r.code == 0, r.stdout + r.stderr
    ids = _json_ids(out)
    got = {i.split("::", 1)[1] for i in ids}
    want = _unittest_ids(PARITY, "test_load_package")
    assert got == want == {"Loaded::test_one", "Loaded::test_two"}
    assert all(t["outcome"] == "passed" for t in ids.values())


def _discover_keys(start, top):
    """(class, name) of each test `python -m unittest discover` runs,
    (name,) for a doctest."""
    proc = subprocess.run([PYTHON, "-m", "unittest", "discover", "-v",
                           "-s", str(start), "-t", str(top)],
                          capture_output=True, text=True, cwd=top)
    assert proc.returncode == 0, proc.stderr
    keys = []
    for line in proc.stderr.splitlines():
        m = re.match(r"(\w+) \(([\w.]*)\)", line)
        if m:
            keys.append((m.group(2).rsplit(".", 2)[-2], m.group(1))
                        if m.group(2) else (m.group(1),))
    return keys


def test_a_package_init_holds_tests_as_under_discover(pyleak, tmp_path):
    """Tests in a package's __init__.py (CPython's test_dataclasses,
    test_import) run, each once, though its load_tests adds a doctest and
    discovers the package's files (test_json's); an __init__.py of plain
    functions is not a test file; nor, in a pytest project, is any
    __init__.py: pytest collects none."""
    out = tmp_path / "r.json"
    r = pyleak(PARITY / "pkg_init", PARITY / "pytest_pkg", "--rounds", "3",
               "--json", out)
    assert r.code == 0, r.stdout + r.stderr
    ids = [t["id"] for s in json.loads(out.read_text())["suites"]
           for t in s["tests"]]
    assert len(ids) == len(set(ids))
    pkg = sorted(tuple(i.split("::")[1:]) for i in ids
                 if "/pkg_init/" in i)
    want = sorted(_discover_keys(PARITY / "pkg_init", PARITY))
    assert pkg == want
    assert ("InInit", "test_one") in pkg and ("pkg_init",) in pkg and \
        ("InSubInit", "test_sub_init") in pkg and len(pkg) == 5
    in_pytest_pkg = {i for i in ids if "/pytest_pkg/" in i}
    assert in_pytest_pkg == {
        "tests/fixtures/parity/pytest_pkg/test_in_pkg.py::test_in_file"}
    if _has("pytest"):
        assert in_pytest_pkg == _pytest_ids(PARITY / "pytest_pkg")


@needs_pytest
def test_plain_tests_run_as_deep_in_the_stack_as_under_pytest(pyleak,
                                                              tmp_path):
    """A test that counts the frames above it (CPython's test_tracemalloc
    does) sees as many as under pytest, in a function and a method."""
    target = PARITY / "test_depth_plain.py"
    depths = {}
    for runner in ("pytest", "pyleak-ci"):
        out = tmp_path / runner
        env = dict(os.environ, PYLEAK_DEPTH_OUT=str(out))
        if runner == "pytest":
            subprocess.run([PYTHON, "-m", "pytest", "-q", "-p",
                            "no:cacheprovider", str(target)], env=env,
                           cwd=REPO, capture_output=True, check=True)
        else:
            r = pyleak(target, "--rounds", "3",
                       env={"PYLEAK_DEPTH_OUT": str(out)})
            assert r.code == 0, r.stdout + r.stderr
        depths[runner] = set(out.read_text().splitlines())
    assert len(depths["pytest"]) == 2, depths
    assert depths["pyleak-ci"] == depths["pytest"]


def test_cpython_mixin_module_collects_as_unittest(pyleak, tmp_path):
    """test_json/test_dump.py: TestDump is a mixin of TestPyDump and
    TestCDump; unittest does not run it (it has no assertEqual)."""
    target = "/usr/lib/python3.11/test/test_json/test_dump.py"
    try:
        open(target).close()
    except OSError:
        pytest.skip("libpython3.11-testsuite is not installed")
    out = tmp_path / "r.json"
    r = pyleak(target, "--rounds", "3", "--json", out)
    assert r.code == 0, r.stdout + r.stderr
    got = {i.rsplit("::", 2)[-2] + "::" + i.rsplit("::", 1)[1]
           for i in _json_ids(out)}
    assert got == _unittest_ids("/usr/lib/python3.11",
                                "test.test_json.test_dump")
    assert not any(i.startswith("TestDump::") for i in got)


# -- warnings as the plain runner sets them ----------------------------------

def _pytest_outcomes(target, tmp_path):
    """Outcome per test name of a plain pytest run, from its JUnit."""
    import xml.etree.ElementTree as ET

    xml = tmp_path / "pytest.xml"
    subprocess.run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "--junitxml", str(xml), str(target)],
                   capture_output=True, text=True, cwd=target)
    return {tc.get("name"): outcome(tc)[0]
            for tc in ET.parse(xml).iter("testcase")}


@needs_pytest
def test_pytest_warning_filters_apply_to_every_call(pyleak, tmp_path):
    """The ini's filterwarnings and -W in addopts make warnings errors,
    marks override them, and deprecations are shown always: the verdicts
    are plain pytest's, and stay so over every call."""
    target = FIXTURES / "warnings_pytest"
    r = pyleak(target, "--rounds", "3")
    assert r.code == 1, r.stdout + r.stderr
    got = {tc.get("name"): outcome(tc)[0] for tc in r.xml.iter("testcase")}
    assert got == _pytest_outcomes(target, tmp_path)
    assert got == {
        "test_deprecated_call_fails": "failure",
        "test_user_warning_fails": "failure",
        "test_mark_beats_addopts": "passed",
        "test_mark_makes_an_error": "failure",
        "test_runtime_warning_passes": "passed",
        "test_warns_catches_deprecation": "passed",
        "test_recorder_sees_deprecation_every_call": "passed",
    }
    el = outcome(r.case("test_deprecated_call_fails"))[1]
    assert el.get("type") == "DeprecationWarning"
    assert "old_api() is deprecated" in el.get("message")
    # Passing tests were called many times, each under the same filters.
    for name in ("test_recorder_sees_deprecation_every_call",
                 "test_warns_catches_deprecation"):
        assert int(props(r.case(name))["pyleak.total_calls"]) > 3


def test_unittest_module_runs_under_default_warnings(pyleak):
    """`python -m unittest` shows warnings ("-W default"): a test that
    records a deprecation without a filter of its own passes there, and
    on every call under pyleak-ci; so do a test silenced by a filter its
    setUpClass added and one that needs the runner's stack depth."""
    target = FIXTURES / "warnings_unittest"
    proc = subprocess.run([PYTHON, "-m", "unittest", "test_warn_unittest"],
                          capture_output=True, text=True, cwd=target)
    assert proc.returncode == 0, proc.stderr
    r = pyleak(target, "--rounds", "3")
    assert r.code == 0, r.stdout + r.stderr
    for name in ("Deprecations::test_recorded_without_a_filter",
                 "Deprecations::test_assert_warns",
                 "SilencedByItsClass::test_ignored_by_the_class_filter",
                 "CalledDeep::test_ten_frames_above"):
        assert outcome(r.case(name))[0] == "passed"
        assert int(props(r.case(name))["pyleak.total_calls"]) > 3


# -- the same random state before every call -------------------------------

RESEED = FIXTURES / "reseed"


def test_every_call_starts_from_the_same_random_state(pyleak, tmp_path):
    """random, numpy's global generator and Hypothesis draw the same in
    every call, as the tests check; --no-reseed (or reseed = false)
    leaves the state alone, and each fails on a later call."""
    out = tmp_path / "r.json"
    r = pyleak(RESEED, "--rounds", "3", "--json", out)
    assert r.code == 0, r.stdout + r.stderr
    tests = _json_ids(out)
    for t in tests.values():
        if t["outcome"] == "skipped":
            assert "not installed" in t["message"] or \
                "not built for this debug Python" in t["message"]
            continue
        assert t["outcome"] == "passed", t
        assert t["total_calls"] > 3
    data = json.loads(out.read_text())
    assert data["run"]["settings"]["reseed"] is True

    r = pyleak(RESEED, "--rounds", "3", "--no-reseed", "--json", out)
    tests = _json_ids(out)
    assert json.loads(out.read_text())["run"]["settings"]["reseed"] is False
    random_test = tests["tests/fixtures/reseed/test_random_state.py::"
                        "test_random_module"]
    assert random_test["outcome"] != "passed"
    assert "first call drew" in random_test["message"]
    for t in tests.values():
        assert t["outcome"] != "passed", t

    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text(
        "[tool.pyleak-ci]\nreseed = false\n")
    proc = subprocess.run([BINARY, "config"], capture_output=True,
                          text=True, cwd=tmp_path / "proj")
    assert proc.returncode == 0, proc.stderr
    assert "reseed = false" in proc.stdout
    assert "pyproject.toml:2" in [ln for ln in proc.stdout.splitlines()
                                  if ln.startswith("reseed")][0]


# -- tests that repeat only with their fixtures ---------------------------

REPEAT = FIXTURES / "repeat"


def test_tests_that_repeat_with_their_fixtures(pyleak, tmp_path):
    """A test that passes its first call and fails later is measured
    again with its class's, then its module's fixtures around every
    call, and judged there; one that still fails is not repeatable (a
    skip); one that fails its first call stays a failure."""
    out = tmp_path / "r.json"
    r = pyleak(REPEAT / "test_repeat_unittest.py", "--json", out)
    assert r.code == 1, r.stdout + r.stderr  # the leak and the failure
    tests = {i.split("::", 1)[1]: t for i, t in _json_ids(out).items()}

    def check(name, want, level=None):
        t = tests[name]
        assert t["outcome"] == want, t
        if level is not None:
            assert "passed once, failed on call 2 when repeated alone" in \
                t["note"], t
            assert t["note"].endswith(
                "measured with %s around every call" % level), t
        return t

    check("NeedsClassSetup::test_first_after_setup_class", "passed",
          "its class's fixtures")
    check("NeedsModuleSetup::test_first_after_setup_module", "passed",
          "its module's fixtures")
    leak = check("LeaksWithModuleSetup::test_leaks_and_needs_module_setup",
                 "leaked", "its module's fixtures")
    assert leak["exc_type"] is None and leak["message"].startswith("leaks")
    first = check("Never::test_fails_first", "failed")
    assert first["message"] == "AssertionError: broken from the start"
    once = check("Never::test_only_once", "skipped")
    assert once["exc_type"] == "pyleak.NotRepeatable"
    assert once["message"] == (
        "not repeatable: passed once, failed on call 2: AssertionError: "
        "True is not false : already ran once in this process")
    assert "it failed too" in once["details"]
    data = json.loads(out.read_text())
    assert data["run"]["totals"]["not_repeatable"] == 1
    assert data["run"]["totals"]["skipped"] == 1
    # The JUnit report has it as a skip with that message; the console
    # lists it.
    kind, el = outcome(r.case("Never::test_only_once"))
    assert kind == "skipped" and el.get("message") == once["message"]
    assert "== not repeatable ==" in r.stdout
    assert "1 not repeatable" in r.stdout.splitlines()[-1]


def test_not_repeatable_fails_the_run_only_when_asked(pyleak, tmp_path):
    target = str(REPEAT / "test_repeat_unittest.py") + \
        "::Never::test_only_once"
    r = pyleak(target)
    assert r.code == 0, r.stdout + r.stderr
    assert outcome(r.case("Never::test_only_once"))[0] == "skipped"
    r = pyleak(target, "--fail-not-repeatable")
    assert r.code == 1, r.stdout + r.stderr
    kind, el = outcome(r.case("Never::test_only_once"))
    assert kind == "failure" and el.get("type") == "pyleak.NotRepeatable"
    assert el.get("message").startswith("not repeatable: passed once, "
                                        "failed on call 2: ")
    # The same from pyproject.toml.
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "pyproject.toml").write_text(
        "[tool.pyleak-ci]\nfail-not-repeatable = true\n")
    (proj / "test_repeat.py").write_text(
        (REPEAT / "test_repeat_unittest.py").read_text())
    r = pyleak("test_repeat.py::Never::test_only_once", cwd=proj)
    assert r.code == 1, r.stdout + r.stderr
    proc = subprocess.run([BINARY, "config"], capture_output=True,
                          text=True, cwd=proj)
    line = [ln for ln in proc.stdout.splitlines()
            if ln.startswith("fail-not-repeatable")][0]
    assert line.startswith("fail-not-repeatable = true")
    assert "pyproject.toml:2" in line
    proc = subprocess.run([BINARY, "run", "--help"], capture_output=True,
                          text=True)
    assert "--fail-not-repeatable" in proc.stdout
    assert "--no-reseed" in proc.stdout


@needs_pytest
def test_pytest_fixtures_around_every_call_when_needed(pyleak, tmp_path):
    out = tmp_path / "r.json"
    r = pyleak(REPEAT / "test_repeat_pytest.py", "--json", out)
    assert r.code == 0, r.stdout + r.stderr
    tests = {i.split("::", 1)[1]: t for i, t in _json_ids(out).items()}
    assert tests["test_first_after_module_fixture"]["note"].endswith(
        "measured with its module's fixtures around every call")
    assert tests["TestWithClassFixture::test_first_after_class_fixture"][
        "note"].endswith("measured with its class's fixtures around every "
                         "call")
    assert all(t["outcome"] == "passed" for t in tests.values())


def test_cpython_module_setup_counter(pyleak, tmp_path):
    """test_difflib's test_html_diff: setUpModule resets the counter its
    expected output depends on."""
    target = "/usr/lib/python3.11/test/test_difflib.py"
    try:
        open(target).close()
    except OSError:
        pytest.skip("libpython3.11-testsuite is not installed")
    out = tmp_path / "r.json"
    r = pyleak(target + "::TestSFpatches::test_html_diff", "--json", out)
    assert r.code == 0, r.stdout + r.stderr
    (t,) = _json_ids(out).values()
    assert t["outcome"] == "passed"
    assert t["note"].endswith(
        "measured with its module's fixtures around every call")


@needs_pytest
def test_xunit_setup_functions_of_plain_files(pyleak, tmp_path):
    """setup_module, setup_function and setup_class in a file without
    `import pytest`: pytest runs them, and so does pyleak-ci."""
    target = FIXTURES / "xunit"
    r = pyleak(target, "--rounds", "3")
    assert r.code == 0, r.stdout + r.stderr
    got = {tc.get("name"): outcome(tc)[0] for tc in r.xml.iter("testcase")}
    assert got == _pytest_outcomes(target, tmp_path)
    assert got == {"test_module_is_set_up": "passed",
                   "test_function_is_set_up": "passed",
                   "test_class_is_set_up": "passed"}
    assert int(props(r.case("test_function_is_set_up"))
               ["pyleak.total_calls"]) > 3
