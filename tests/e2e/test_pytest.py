"""End-to-end: pytest suites (conftest fixtures, parametrize, marks), the
pyleak decorators and markers, and -k, through the real binary."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, PYTHON, REPO, outcome, props, python_info

EXAMPLE = REPO / "examples" / "pytest_project"
PROBE = Path(__file__).with_name("harness_probe.py")


def _has_pytest():
    proc = subprocess.run([PYTHON, "-c", "import pytest"],
                          capture_output=True)
    return proc.returncode == 0


needs_pytest = pytest.mark.skipif(not _has_pytest(),
                                  reason="pytest is not installed for " +
                                  PYTHON)


def _ids(r):
    """Test ids as printed with -v, in order."""
    out = []
    for line in r.stdout.splitlines():
        head = line.split(" ", 1)[0]
        if "::" in head:
            out.append(head)
    return out


# -- the example project ---------------------------------------------------

@needs_pytest
def test_example_project_verdicts_and_ids(pyleak):
    # --thorough: see test_e2e.py's test_example_project.
    r = pyleak(EXAMPLE, "-v", "--thorough")
    assert r.code == 1, r.stdout + r.stderr
    base = "examples/pytest_project/tests/"
    assert _ids(r)[:8] == [
        base + "test_cart.py::test_total[apple-1-3]",
        base + "test_cart.py::test_total[pear-2-8]",
        base + "test_cart.py::test_total[plum-5-10]",
        base + "test_cart.py::test_rejects_zero_quantity",
        base + "test_cart.py::test_checkout_is_tracked",
        base + "test_cart.py::test_checkout_is_audited",
        base + "test_cart.py::test_export",
        base + "test_cart.py::test_payment",
    ]
    verdicts = {tc.get("classname") + "::" + tc.get("name"): outcome(tc)[0]
                for tc in r.xml.iter("testcase")}
    assert verdicts == {
        "test_cart::test_total[apple-1-3]": "passed",
        "test_cart::test_total[pear-2-8]": "passed",
        "test_cart::test_total[plum-5-10]": "passed",
        "test_cart::test_rejects_zero_quantity": "passed",
        "test_cart::test_checkout_is_tracked": "passed",
        "test_cart::test_checkout_is_audited": "failure",
        "test_cart::test_export": "passed",
        "test_cart::test_payment": "skipped",
        "test_discounts.TestDiscounts::test_rate[student-6.0]": "passed",
        "test_discounts.TestDiscounts::test_rate[member-10.8]": "passed",
        "test_discounts.TestDiscounts::test_no_discount": "passed",
        "test_discounts.TestDiscounts::test_output": "passed",
        "test_discounts.CouponCase::test_half": "passed",
    }
    leak = r.case("test_checkout_is_audited")
    kind, el = outcome(leak)
    assert el.get("type") == "pyleak.Leak"
    # AuditLog, its list and the bound method left on the bus per call;
    # before 3.11 the instance's __dict__ is an object of its own too.
    objects = 3.0 if python_info()[0] >= (3, 11) else 4.0
    assert float(props(leak)["pyleak.objects.per_call"]) == \
        pytest.approx(objects, abs=0.1)
    # The testcase points at the leak's location, which the message names.
    assert el.get("message").endswith(
        " at %s:%s" % (leak.get("file"), leak.get("line")))
    assert leak.get("file").startswith("examples/pytest_project/")
    kind, el = outcome(r.case("test_payment"))
    assert el.get("message") == "payments are not part of this example"


@needs_pytest
def test_example_passes_under_plain_pytest():
    proc = subprocess.run([PYTHON, "-m", "pytest", "-q", "-p",
                           "no:cacheprovider", str(EXAMPLE)],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "12 passed, 1 skipped" in proc.stdout


# -- fixture scopes --------------------------------------------------------

@needs_pytest
def test_fixture_scopes_across_rounds(pyleak, tmp_path):
    trace = tmp_path / "counts.json"
    # One worker: the counts are one process's.
    r = pyleak(FIXTURES / "pytest_scopes", "--jobs", "1",
               env={"PLK_TRACE": str(trace)})
    assert r.code == 0, r.stdout + r.stderr
    counts = json.loads(trace.read_text())
    # Session, module and class fixtures: made once, finished once (the
    # session's at the end of the file).
    for scope in ("session", "module", "class"):
        assert counts[scope + ".setup"] == 1, (scope, counts)
        assert counts[scope + ".teardown"] == 1, (scope, counts)

    def calls_of(name):
        # Every call pyleak-ci made: the first, the calibration (unless
        # the first was slow), screening and the test's own rounds.
        return int(props(r.case(name))["pyleak.total_calls"])

    assert counts["calls"] == calls_of("test_counted")
    assert counts["class.calls"] == calls_of("TestInClass::test_a")
    # Function fixtures are made and finished in every call.
    uses_func = calls_of("test_counted") + calls_of("TestInClass::test_a") \
        + calls_of("test_after_class")
    assert counts["func.setup"] == counts["func.teardown"] == uses_func
    every = uses_func + calls_of("TestInClass::test_b")
    assert counts["auto.setup"] == counts["auto.teardown"] == every
    assert outcome(r.case("test_after_class"))[0] == "passed"


# -- skips, xfails, errors ---------------------------------------------------

@needs_pytest
def test_marks_and_outcomes(pyleak):
    r = pyleak(FIXTURES / "pytest_marks")
    assert r.code == 1, r.stdout + r.stderr

    def check(name, kind, type_=None, message=None):
        got, el = outcome(r.case(name))
        assert got == kind, (name, got)
        if type_ is not None:
            assert el.get("type") == type_, (name, el.get("type"))
        if message is not None:
            assert message in el.get("message"), (name, el.get("message"))
        return el

    check("test_passes", "passed")
    check("test_skipif", "skipped", message="only on nowhere")
    check("test_skip_inside", "skipped", message="decided inside")
    check("test_xfail_fails", "skipped", message="xfail: known bug 12")
    check("test_xpass_strict", "failure", message="XPASS(strict)")
    check("test_xpass_lenient", "passed")
    el = check("test_assert_rewritten", "failure", "AssertionError",
               "assert [1, 2] == [1, 3]")
    assert "test_marks.py:47" in el.text
    check("test_setup_error", "error", "RuntimeError",
          "error at setup: RuntimeError: database is down")
    check("test_teardown_error", "error", "OSError",
          "error at teardown: OSError: cannot remove the scratch folder")
    check("test_ids[one]", "passed")
    check("test_ids[two]", "passed")


@needs_pytest
def test_collection_errors_and_module_skips(pyleak):
    r = pyleak(FIXTURES / "pytest_broken")
    assert r.code == 1, r.stdout + r.stderr
    suites = {s.get("file"): s for s in r.xml.iter("testsuite")}
    broken = suites["tests/fixtures/pytest_broken/test_import_fails.py"]
    err = broken.find("testcase").find("error")
    assert "module_that_is_not_there" in err.get("message")
    skipped = suites["tests/fixtures/pytest_broken/test_module_skip.py"]
    assert skipped.find("testcase").find("skipped").get("message") == \
        "needs a GPU"
    assert outcome(r.case("test_fine"))[0] == "passed"


@needs_pytest
def test_tmp_path_folders_are_not_temporary_file_leaks(pyleak, tmp_path):
    # pytest gives a test a new tmp_path (or tmpdir) folder per call;
    # tests that write there are clean, and nothing stays in the TMPDIR
    # pyleak-ci was given.
    import json
    base = tmp_path / "tmpdir"
    base.mkdir()
    r = pyleak(FIXTURES / "pytest_tmp", "--json", tmp_path / "r.json",
               env={"TMPDIR": str(base)})
    assert r.code == 0, r.stdout + r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    tests = {t["name"]: t for s in doc["suites"] for t in s["tests"]}
    assert sorted(tests) == ["test_writes_in_tmp_path",
                             "test_writes_in_tmpdir"]
    for name, t in tests.items():
        assert t["outcome"] == "passed", (name, r.stdout)
        for metric in ("tmpfiles", "tmpbytes"):
            m = t["metrics"][metric]
            assert m["verdict"] == "clean" and m["per_call"] == 0, (name, m)
    assert [p.name for p in base.iterdir()] == []


def _has_module(name):
    proc = subprocess.run([PYTHON, "-c", "import " + name],
                          capture_output=True)
    return proc.returncode == 0


@pytest.mark.skipif(not _has_module("pytest_asyncio"),
                    reason="pytest-asyncio is not installed for " + PYTHON)
def test_pytest_asyncio_tests_are_measured(pyleak, tmp_path):
    # async def tests that pytest-asyncio runs get rounds and verdicts as
    # any other test; the one that leaves a task pending per call is an
    # asyncio-task leak naming the coroutine and the line of create_task.
    r = pyleak(FIXTURES / "pytest_asyncio", "--json", tmp_path / "r.json")
    assert r.code == 1, r.stdout + r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    tests = {t["name"]: t for s in doc["suites"] for t in s["tests"]}
    assert {n: t["outcome"] for n, t in tests.items()} == {
        "test_awaits_its_tasks": "passed",
        "test_async_fixture": "passed",
        "test_cancels_and_awaits": "passed",
        "test_leaves_a_pending_task": "leaked",
        "test_fails_after_await": "failed"}, r.stdout
    for name in ("test_awaits_its_tasks", "test_async_fixture",
                 "test_cancels_and_awaits"):
        assert tests[name]["rounds"] >= 3, tests[name]
        assert tests[name]["total_calls"] > tests[name]["rounds"]
    assert "assert (1 + 1) == 3" in tests["test_fails_after_await"][
        "message"]
    leak = tests["test_leaves_a_pending_task"]
    assert leak["kind"].split(",")[0] == "asyncio-task", leak["kind"]
    assert leak["location"] == {
        "file": "tests/fixtures/pytest_asyncio/test_async_pytest.py",
        "line": 48}
    diag = leak["diagnosis"]
    if isinstance(diag, str):
        diag = json.loads(diag)
    pending = [t for t in diag["tasks"] if t["coro"] == "_forever"]
    assert pending, diag["tasks"]
    assert all(t["state"] == "pending" and
               t["created_at"]["line"] == 48 for t in pending), pending


# -- selection ---------------------------------------------------------------

@needs_pytest
def test_selectors_name_parametrized_tests(pyleak):
    f = EXAMPLE / "tests" / "test_cart.py"
    r = pyleak(str(f) + "::test_total", "--rounds", "3", "--warmup", "1")
    assert r.code == 0, r.stdout + r.stderr
    assert sorted(tc.get("name") for tc in r.xml.iter("testcase")) == \
        ["test_total[apple-1-3]", "test_total[pear-2-8]",
         "test_total[plum-5-10]"]
    r = pyleak(str(f) + "::test_total[pear-2-8]", "--rounds", "3")
    assert [tc.get("name") for tc in r.xml.iter("testcase")] == \
        ["test_total[pear-2-8]"]
    r = pyleak(str(f) + "::test_tota")
    assert r.code == 4 and "test_total[pear-2-8]" in r.stderr


@needs_pytest
def test_keyword_in_pytest_files(pyleak):
    r = pyleak(EXAMPLE, "-k", "total and not plum or Coupon", "--rounds",
               "3", "--warmup", "1")
    assert r.code == 0, r.stdout + r.stderr
    assert sorted(tc.get("name") for tc in r.xml.iter("testcase")) == \
        ["test_half", "test_total[apple-1-3]", "test_total[pear-2-8]"]
    r = pyleak(EXAMPLE, "-k", "total and (")
    assert r.code == 4 and "-k" in r.stderr


def test_keyword_in_plain_files(pyleak):
    target = FIXTURES / "lifecycle"
    r = pyleak(target, "-k", "counted or (skip and not runtime)",
               "--rounds", "3", "--warmup", "1")
    names = sorted(tc.get("name") for tc in r.xml.iter("testcase"))
    assert names == ["test_counted", "test_one", "test_skipped_if",
                     "test_skipped_method"]
    # Class names match too, case-insensitively.
    r = pyleak(target, "-k", "brokensetupclass", "--rounds", "3")
    assert sorted(tc.get("name") for tc in r.xml.iter("testcase")) == \
        ["test_a", "test_b"]
    r = pyleak(target, "-k", "counted or")
    assert r.code == 4
    assert "-k 'counted or': expected a word at column 11" in r.stderr
    r = pyleak(target, "-k", "a = b")
    assert r.code == 4 and "unexpected character '='" in r.stderr


# -- per-test control ------------------------------------------------------

def _probe(path, keyword=""):
    proc = subprocess.run([PYTHON, str(PROBE), str(path), keyword],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _controls(res):
    return {i["id"].split("::", 1)[1]: i["control"] for i in res["items"]}


def test_pyleak_decorators_set_item_control():
    res = _probe("tests/fixtures/control/test_control.py")
    got = _controls(res)
    assert got["test_skipped"] == {"skip": "talks to a live server"}
    assert got["test_allowed"] == {"allow": [
        ["blocks", None, "the entry's memory"],
        ["heap", None, "the entry's memory"],
        ["objects", 1.0, "one entry per call"]]}
    assert got["test_more_rounds"] == {"rounds": 20}
    assert got["test_plain"] is None
    assert got["TestPlainClass::test_inherits"] == {
        "allow": [["fds", 0.0, "class-wide"]], "rounds": 12}
    assert got["TestPlainClass::test_overrides"]["rounds"] == 30
    assert got["Case::test_one"] == {"skip": "whole case is exempt"}
    # The decorators change nothing about how the tests run.
    assert all(v is None for v in res["calls"].values())


@needs_pytest
def test_pytest_marker_sets_item_control():
    res = _probe("tests/fixtures/control_pytest/test_marks_control.py")
    got = _controls(res)
    assert got["test_marked_skip"] == {"skip": "uses the network",
                                       "rounds": 10}
    assert got["test_marked_allow"] == {
        "allow": [["heap", 128.0, "arena growth"]], "rounds": 10}
    assert got["test_marked_rounds[1]"] == {"rounds": 25}
    assert got["test_decorator_in_pytest_file"] == {
        "allow": [["threads", None, "pool"]], "rounds": 10}
    assert got["test_module_rounds_only"] == {"rounds": 10}
    bad = res["calls"]["tests/fixtures/control_pytest/"
                       "test_marks_control.py::test_marked_without_reason"]
    assert bad[0] == "error" and "needs a reason" in bad[2]


@needs_pytest
def test_wrong_marker_is_an_error_of_that_test(pyleak):
    r = pyleak(FIXTURES / "control_pytest", "--rounds", "3", "--warmup",
               "1")
    assert r.code == 1
    kind, el = outcome(r.case("test_marked_without_reason"))
    assert kind == "error" and el.get("type") == "pyleak.UsageError"
    assert 'reason="why"' in el.get("message")
    kind, el = outcome(r.case("test_marked_bad_metric"))
    assert kind == "error" and "unknown metric 'memory'" in el.get("message")
    assert outcome(r.case("test_marked_allow"))[0] == "passed"


def test_wrong_decorator_is_a_clear_import_error(pyleak):
    r = pyleak(FIXTURES / "control_bad")
    assert r.code == 1
    messages = {s.get("file").rsplit("/", 1)[1]:
                s.find("testcase").find("error").get("message")
                for s in r.xml.iter("testsuite")}
    assert "@pyleak_ci.skip: needs a reason" in \
        messages["test_bad_decorator.py"]
    assert "unknown metric 'memory'" in messages["test_bad_metric.py"]
    assert "refs, blocks, objects, heap, rss, fds, threads" in \
        messages["test_bad_metric.py"]


# -- without pytest ----------------------------------------------------------

def test_without_pytest_plain_tests_run_and_pytest_files_say_why(
        pyleak, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)],
                   check=True)
    env = {"VIRTUAL_ENV": str(venv)}
    r = pyleak("examples/", FIXTURES / "pytest_broken" / "test_fine.py",
               "--rounds", "3", "--warmup", "1", env=env)
    assert r.code == 1, r.stdout + r.stderr
    # Plain functions and unittest cases still run.
    assert outcome(r.case("test_lookup_bounded"))[0] == "passed"
    assert outcome(r.case("NormaliseCase::test_samples"))[0] == "passed"
    assert outcome(r.case("test_remember_new_keys"))[0] == "failure"
    # A file that imports pytest: an error that says what to do.
    suites = {s.get("file"): s for s in r.xml.iter("testsuite")}
    cart = suites["examples/pytest_project/tests/test_cart.py"]
    msg = cart.find("testcase").find("error").get("message")
    assert "imports pytest, which cannot be imported by" in msg
    assert str(venv) in msg and "install pytest" in msg
    # A test that wants fixtures: skipped, with the reason.
    kind, el = outcome(r.case("test_fine"))
    assert kind == "skipped"
    assert "needs arguments (tmp_path)" in el.get("message")
    assert "pytest cannot be imported" in el.get("message")


# -- unittest semantics ------------------------------------------------------

def test_unittest_cleanups_skips_subtests_and_load_tests(pyleak, tmp_path):
    trace = tmp_path / "counts.json"
    trace2 = tmp_path / "module_fails.json"
    # One worker per file: the counts are one process's.
    r = pyleak(FIXTURES / "unittest_semantics", "--jobs", "1",
               env={"PLK_TRACE": str(trace), "PLK_TRACE2": str(trace2)})
    assert r.code == 1, r.stdout + r.stderr
    counts = json.loads(trace.read_text())

    def calls_of(name):
        # Every call pyleak-ci made of the test (see test_fixture_scopes).
        return int(props(r.case(name))["pyleak.total_calls"])

    # Module and class fixtures once around all rounds; cleanups at
    # every level run as often as their fixture.
    assert counts["setUpModule"] == counts["tearDownModule"] == 1
    assert counts["module.cleanup"] == 1
    assert counts["Cleanups.setUpClass"] == 1
    assert counts["Cleanups.class_cleanup"] == 1
    assert counts["cleanup"] == counts["Cleanups.calls"] == \
        calls_of("Cleanups::test_counted")
    # SkipTest in setUpClass skips the class's tests and still runs the
    # class cleanups it registered.
    for name in ("SkipInSetUpClass::test_a", "SkipInSetUpClass::test_b"):
        kind, el = outcome(r.case(name))
        assert kind == "skipped" and el.get("message") == "no display"
    assert counts["SkipInSetUpClass.class_cleanup"] == 1
    assert "must not run" not in counts
    # A failing class cleanup is an error, as unittest reports it.
    kind, el = outcome(r.case("tearDownClass"))
    assert kind == "error" and "cannot drop the table" in el.get("message")
    # Subtests: a failing one fails its test (named in the message); a
    # skipped one does not skip its test, which is then measured.
    kind, el = outcome(r.case("SubTests::test_one_fails"))
    assert kind == "failure" and el.get("message").startswith("(i=1)")
    assert outcome(r.case("SubTests::test_one_skips"))[0] == "passed"
    assert counts["SubTests.ran"] == 2 * calls_of("SubTests::test_one_skips")
    # expectedFailure: measured while it fails; unexpected success fails.
    assert outcome(r.case("Expectations::test_expected_failure"))[0] == \
        "passed"
    assert counts["Expectations.xfail"] == \
        calls_of("Expectations::test_expected_failure")
    kind, el = outcome(r.case("Expectations::test_unexpected_success"))
    assert kind == "failure" and el.get("type") == \
        "unittest.UnexpectedSuccess"
    # runTest-only classes, and what load_tests adds (a doctest, a
    # FunctionTestCase); no old-style test_main.
    assert counts["OnlyRunTest.calls"] == calls_of("OnlyRunTest::runTest")
    assert outcome(r.case("double"))[0] == "passed"
    assert counts["function_case"] == calls_of("<lambda>")
    assert "test_main" not in r.cases
    # A failing setUpModule errors every test and still runs the module
    # cleanups it added.
    kind, el = outcome(r.case("Case::test_a"))
    assert kind == "error" and "setUpModule failed" in el.get("message")
    assert json.loads(trace2.read_text()) == {"module.cleanup": 1}


@needs_pytest
def test_fixture_leak_is_found_at_the_fixtures_line():
    """A diagnosis re-runs the item's call under tracemalloc; the fixture
    is set up inside the call, so its lines are among the growing sites,
    and a fixture that cleans up shows none."""
    conftest = (EXAMPLE / "conftest.py").read_text().splitlines()
    leak_line = conftest.index("    db.events.subscribe(log.record)",
                               conftest.index("def audited_cart(cart, db):"))
    test_file = "examples/pytest_project/tests/test_cart.py"

    def grows(name):
        proc = subprocess.run(
            [PYTHON, str(PROBE), "--grows", test_file,
             test_file + "::" + name],
            capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 0, proc.stderr
        return {tuple(site) for site in json.loads(proc.stdout)}

    assert ("conftest.py", leak_line + 1) in grows("test_checkout_is_audited")
    assert grows("test_checkout_is_tracked") == set()
