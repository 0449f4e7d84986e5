"""End-to-end: the real pyleak-ci binary on real Python test files."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import (BINARY, FIXTURES, PYTHON, REPO, deltas, is_debug_python,
                      python_info, stdlib_tests,
                      outcome, props)


# -- measuring -------------------------------------------------------------

def test_empty_test_shows_exactly_zero_growth(pyleak):
    # --thorough: no early stop, so all 50 rounds are taken and shown.
    r = pyleak(FIXTURES / "empty", "--rounds", "50", "--thorough")
    assert r.code == 0, r.stdout + r.stderr
    metrics = ["blocks", "objects", "fds", "threads"]
    if not os.environ.get("PYLEAK_SANITIZED"):
        metrics.append("heap")  # ASan's malloc is invisible to mallinfo2
    if is_debug_python():
        metrics.append("refs")
    for name in ("test_nothing", "EmptyCase::test_nothing"):
        tc = r.case(name)
        assert props(tc)["pyleak.rounds"] == "50"
        for metric in metrics:
            d = deltas(tc, metric)
            assert len(d) == 50, (name, metric)
            assert d == [0] * 50, (name, metric, d)


def test_refs_measured_only_on_debug_builds(pyleak):
    r = pyleak(FIXTURES / "empty" / "test_empty.py::test_nothing")
    assert r.code == 0
    has_refs = "pyleak.refs.deltas" in props(r.case("test_nothing"))
    assert has_refs == is_debug_python()


def test_verdicts_on_basic_file(pyleak):
    r = pyleak(FIXTURES / "basic")
    assert r.code == 1, r.stdout + r.stderr
    kind, el = outcome(r.case("test_leaks_list"))
    assert kind == "failure" and el.get("type") == "pyleak.Leak"
    assert el.get("message").startswith("leaks 1 object/call (+")
    assert el.get("message").endswith(
        " at tests/fixtures/basic/test_basic.py:8")
    assert "deltas:" in el.text
    per_call = float(props(r.case("test_leaks_list"))
                     ["pyleak.objects.per_call"])
    assert 0.9 <= per_call <= 1.1, per_call

    assert outcome(r.case("test_clean_temporaries"))[0] == "passed"

    kind, el = outcome(r.case("test_fails"))
    assert kind == "failure" and el.get("type") == "AssertionError"
    assert "arithmetic is broken" in el.get("message")
    assert "assert 1 + 1 == 3" in el.text

    kind, el = outcome(r.case("test_raises_runtime_error"))
    assert kind == "failure" and el.get("type") == "RuntimeError"
    assert "\n" not in el.get("message")

    kind, el = outcome(r.case("test_skips"))
    assert kind == "skipped" and el.get("message") == "not on this platform"

    assert "LEAK" in r.stdout and "test_leaks_list" in r.stdout
    assert "1 leaked, 2 failed, 1 passed, 1 skipped" in r.stdout


def test_junit_structure(pyleak):
    r = pyleak(FIXTURES / "basic")
    root = r.xml.getroot()
    assert root.tag == "testsuites"
    assert root.get("tests") == "5" and root.get("failures") == "3"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "test_basic"
    assert suite.get("file") == "tests/fixtures/basic/test_basic.py"
    tc = r.case("test_leaks_list")
    assert tc.get("classname") == "test_basic"
    assert tc.get("file") == "tests/fixtures/basic/test_basic.py"
    source = (FIXTURES / "basic" / "test_basic.py").read_text().splitlines()
    # A leak's testcase points at the leak's location (the diagnosis),
    # other testcases at their definition.
    assert source[int(tc.get("line")) - 1].strip() == "_HELD.append([])"
    assert source[int(r.case("test_fails").get("line")) - 1].startswith(
        "def test_fails")
    assert float(tc.get("time")) > 0


def test_unittest_lifecycle(pyleak, tmp_path):
    trace = tmp_path / "trace.json"
    # One worker: the counts are one process's. (With two, the file's
    # classes may be shared, and its failing class confirmed in a third
    # process, each writing the trace.)
    r = pyleak(FIXTURES / "lifecycle", "--jobs", "1",
               env={"PLK_TRACE": str(trace)})
    assert r.code == 1  # BrokenSetUpClass errors
    counts = json.loads(trace.read_text())
    assert counts["setUpClass"] == 1 and counts["tearDownClass"] == 1
    tc = r.case("Lifecycle::test_counted")
    p = props(tc)
    calls = int(p["pyleak.calls"])
    rounds = int(p["pyleak.rounds"]) + int(p["pyleak.warmup"])
    # Every call the report counts was made: one first call, one
    # calibration call unless the first was slow enough to skip it (a
    # busy machine), then the rounds.
    assert counts["calls"] == int(p["pyleak.total_calls"])
    assert counts["calls"] in (1 + rounds * calls, 2 + rounds * calls)
    # test_skip_at_runtime runs setUp once, then skips.
    assert counts["setUp"] == counts["tearDown"] == counts["calls"] + 1
    assert tc.get("classname") == "test_lifecycle.Lifecycle"
    for name, reason in [("test_skipped_method", "skipped by decorator"),
                         ("test_skipped_if", "condition holds"),
                         ("test_skip_at_runtime", "decided at run time"),
                         ("SkippedClass::test_one", "whole class skipped")]:
        kind, el = outcome(r.case(name))
        assert kind == "skipped" and el.get("message") == reason, name
    for name in ("BrokenSetUpClass::test_a", "BrokenSetUpClass::test_b"):
        kind, el = outcome(r.case(name))
        assert kind == "error" and el.get("type") == "ValueError"
        assert "setUpClass" in el.get("message")


# -- targets ---------------------------------------------------------------

def test_directory_discovery_skips_hidden_cache_and_venv(pyleak):
    r = pyleak(FIXTURES / "discovery", "-v")
    assert r.code == 0, r.stdout
    files = sorted(s.get("file") for s in r.xml.iter("testsuite"))
    assert files == ["tests/fixtures/discovery/sub/b_test.py",
                     "tests/fixtures/discovery/test_a.py"]


def test_package_aware_import(pyleak):
    r = pyleak(FIXTURES / "pkgroot")
    assert r.code == 0, r.stdout
    tc = r.case("test_package_import")
    assert tc.get("classname") == "mypkg.tests.test_inpkg"


def test_cpython_test_module_by_dotted_name(pyleak):
    target = stdlib_tests() / "test_heapq.py"
    if not target.exists():
        pytest.skip("CPython's test modules are not installed for %s"
                    % PYTHON)
    r = pyleak(str(target) + "::TestHeapPython")
    assert r.code == 0, r.stdout + r.stderr
    suites = list(r.xml.iter("testsuite"))
    assert suites[0].get("name") == "test.test_heapq"
    names = [tc.get("classname") for tc in r.xml.iter("testcase")]
    assert len(names) >= 10
    assert set(names) == {"test.test_heapq.TestHeapPython"}


def test_selectors(pyleak):
    f = FIXTURES / "lifecycle" / "test_lifecycle.py"
    r = pyleak(str(f) + "::Lifecycle::test_counted")
    assert r.code == 0
    assert [tc.get("name") for tc in r.xml.iter("testcase")] == \
        ["test_counted"]
    r = pyleak(str(FIXTURES / "basic" / "test_basic.py") + "::test_fails")
    assert r.code == 1
    assert [tc.get("name") for tc in r.xml.iter("testcase")] == \
        ["test_fails"]


def test_selector_that_does_not_exist(pyleak):
    r = pyleak(str(FIXTURES / "basic" / "test_basic.py") + "::test_nope")
    assert r.code == 4
    assert "no test 'test_nope'" in r.stderr
    assert "test_fails" in r.stderr  # lists what is there


def test_module_callable_targets(pyleak):
    cwd = FIXTURES / "modtarget"
    r = pyleak("leakmod:check_leak", "leakmod:check_clean",
               "leakmod:check_fails", cwd=cwd)
    assert r.code == 1, r.stdout + r.stderr
    assert outcome(r.case("check_leak"))[1].get("type") == "pyleak.Leak"
    assert outcome(r.case("check_clean"))[0] == "passed"
    assert outcome(r.case("check_fails"))[1].get("type") == "KeyError"
    r = pyleak("leakmod:NOT_CALLABLE", cwd=cwd)
    assert r.code == 4 and "not something to call" in r.stderr
    r = pyleak("leakmod:needs_args", cwd=cwd)
    assert r.code == 4 and "needs arguments" in r.stderr
    r = pyleak("leakmod:missing", cwd=cwd)
    assert r.code == 4 and "no attribute 'missing'" in r.stderr


def test_import_and_syntax_errors_are_errors(pyleak):
    r = pyleak(FIXTURES / "broken")
    assert r.code == 1
    errors = {s.get("file"): s for s in r.xml.iter("testsuite")}
    imp = errors["tests/fixtures/broken/test_import_error.py"]
    err = imp.find("testcase/error")
    assert err.get("type") == "ModuleNotFoundError"
    assert "module_that_does_not_exist" in err.get("message")
    syn = errors["tests/fixtures/broken/test_syntax_error.py"]
    assert syn.find("testcase/error").get("type") == "SyntaxError"
    assert syn.get("errors") == "1"
    assert outcome(r.case("test_fine"))[0] == "passed"


# -- usage and exit codes --------------------------------------------------

def test_no_tests_collected_is_exit_5(pyleak):
    r = pyleak(FIXTURES / "notests")
    assert r.code == 5, r.stdout + r.stderr
    assert "no tests collected" in r.stderr


def test_missing_path_is_usage_error(pyleak):
    r = pyleak("does/not/exist.py")
    assert r.code == 4
    assert "does/not/exist.py" in r.stderr


def test_unknown_flag_is_usage_error(pyleak):
    r = pyleak("--bogus", junit=False)
    assert r.code == 4 and "--bogus" in r.stderr
    r = pyleak("--rounds", "abc", junit=False)
    assert r.code == 4 and "--rounds" in r.stderr


def test_unwritable_junit_path_fails_before_running(tmp_path):
    proc = subprocess.run(
        [BINARY, "run", str(FIXTURES / "basic"), "--junit-xml",
         str(tmp_path / "no" / "such" / "dir" / "r.xml")],
        capture_output=True, text=True)
    assert proc.returncode == 4
    assert "no/such/dir" in proc.stderr
    assert "test_basic" not in proc.stdout  # nothing ran


def test_help_documents_everything():
    proc = subprocess.run([BINARY, "run", "--help"], capture_output=True,
                          text=True)
    assert proc.returncode == 0
    for word in ("--junit-xml", "--python", "--warmup", "--rounds",
                 "--max-rounds", "--threshold", "VIRTUAL_ENV", "NO_COLOR",
                 "file.py::Class::name", "package.module:callable"):
        assert word.lower() in proc.stdout.lower(), word
    for code in "012345":
        assert "  %s " % code in proc.stdout, code
    proc = subprocess.run([BINARY], capture_output=True, text=True)
    assert proc.returncode == 4


# -- environments ----------------------------------------------------------

def _make_venv(path):
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(path)],
                   check=True)
    site = subprocess.run(
        [str(path / "bin" / "python"), "-c",
         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "venvonly.py").write_text('MARKER = "from-the-venv"\n')
    return site


def test_virtual_env_site_packages(pyleak, tmp_path):
    venv = tmp_path / "venv"
    site = _make_venv(venv)
    trace = tmp_path / "trace.json"
    target = FIXTURES / "venvcheck"
    r = pyleak(target, env={"VIRTUAL_ENV": str(venv),
                            "PLK_TRACE": str(trace)})
    assert r.code == 0, r.stdout + r.stderr
    seen = json.loads(trace.read_text())
    assert seen["prefix"] == str(venv)
    assert site in seen["path"]
    expected = json.loads(subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import json, sys; print(json.dumps(sys.path))"],
        capture_output=True, text=True, check=True).stdout)
    # The embedded interpreter's path is the venv python's, plus the test
    # file's import root at the front.
    assert [p for p in seen["path"] if p in expected] == \
        [p for p in expected if p != ""]
    # Without the venv, the module is not importable: an import error.
    r = pyleak(target)
    assert r.code == 1 and "venvonly" in r.stdout
    # --python does the same as VIRTUAL_ENV.
    r = pyleak(target, "--python", venv / "bin" / "python",
               env={"PLK_TRACE": str(trace)})
    assert r.code == 0, r.stdout + r.stderr


def _other_pythons():
    """Interpreters of other minor versions on this machine (pyenv's)."""
    mine = python_info()[0]
    out = []
    for exe in sorted(Path("/root/.pyenv/versions").glob("3.*/bin/python3")):
        parts = exe.parent.parent.name.split(".")
        if len(parts) >= 2 and parts[1].isdigit() and \
                (3, int(parts[1])) != mine and int(parts[1]) >= 9:
            out.append(exe)
    return out


def test_real_venv_of_another_minor_version(pyleak, tmp_path):
    """A venv made by a python of another minor version: exit 4, naming
    both versions and the command that builds a pyleak-ci for it."""
    others = _other_pythons()
    if not others:
        pytest.skip("no python of another minor version on this machine")
    exe = others[0]
    venv = tmp_path / "other"
    subprocess.run([str(exe), "-m", "venv", "--without-pip", str(venv)],
                   check=True)
    r = pyleak(FIXTURES / "empty", env={"VIRTUAL_ENV": str(venv)})
    assert r.code == 4, r.stdout + r.stderr
    minor = exe.parent.parent.name.rsplit(".", 1)[0]
    assert "is Python %s" % minor in r.stderr, r.stderr
    assert "-DPython_EXECUTABLE=%s" % (venv / "bin" / "python") in r.stderr
    assert "cmake --build" in r.stderr


def test_virtual_env_of_another_python_version(pyleak, tmp_path):
    venv = tmp_path / "oldvenv"
    (venv / "bin").mkdir(parents=True)
    os.symlink(PYTHON, venv / "bin" / "python")
    (venv / "pyvenv.cfg").write_text(
        "home = /usr/bin\ninclude-system-site-packages = false\n"
        "version = 3.8.18\n")
    r = pyleak(FIXTURES / "empty", env={"VIRTUAL_ENV": str(venv)})
    assert r.code == 4, r.stdout + r.stderr
    assert "3.8" in r.stderr and "rebuild" in r.stderr
    r = pyleak(FIXTURES / "empty", env={"VIRTUAL_ENV": str(tmp_path / "x")})
    assert r.code == 4 and "VIRTUAL_ENV" in r.stderr
    r = pyleak(FIXTURES / "empty", "--python", tmp_path / "nope")
    assert r.code == 4 and "nope" in r.stderr


# -- the example project ---------------------------------------------------

def test_example_project(pyleak):
    # --thorough measures each test alone in file order. Screening would
    # call test_checkout_is_audited before test_checkout_is_tracked is
    # measured alone, and the audit logs the former leaks keep recording
    # the latter's checkouts, so both would be reported.
    r = pyleak("examples/", "--thorough")
    assert r.code == 1, r.stdout + r.stderr
    leaked = [tc.get("name") for tc in r.xml.iter("testcase")
              if outcome(tc)[0] == "failure"]
    # The pytest example (examples/pytest_project) has its own tests.
    assert leaked == ["test_remember_new_keys", "test_checkout_is_audited"]
    assert outcome(r.case("test_lookup_bounded"))[0] == "passed"
    assert outcome(r.case("NormaliseCase::test_samples"))[0] == "passed"


def test_tests_see_the_users_environment(pyleak, tmp_path):
    trace = tmp_path / "env.json"
    target = FIXTURES / "environ"
    for tunables in (None, "glibc.malloc.check=0"):
        env = {"PLK_TRACE": str(trace)}
        if tunables:
            env["GLIBC_TUNABLES"] = tunables
        r = pyleak(target, env=env)
        assert r.code == 0, r.stdout + r.stderr
        seen = json.loads(trace.read_text())
        assert seen["GLIBC_TUNABLES"] == tunables
        assert seen["marker"] is None
        # sys.executable is a real python, so tests can start one.
        assert Path(seen["executable"]).name.startswith("python")


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_interrupt_still_writes_report(tmp_path, sig):
    import signal
    import time
    import xml.etree.ElementTree as ET

    report = tmp_path / "r.xml"
    started = tmp_path / "started"
    env = dict(os.environ, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1",
               PYLEAK_SLOW_STARTED=str(started))
    # One worker: a second one would take test_never_reached's class.
    proc = subprocess.Popen(
        [BINARY, "run", str(FIXTURES / "slow"), "--junit-xml", str(report),
         "--jobs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    # Once test_slow runs (it takes at least 6 x 0.5 s), however slow
    # the build is to get there.
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and \
            proc.poll() is None:
        time.sleep(0.02)
    assert started.exists(), "test_slow never started"
    time.sleep(0.1)
    proc.send_signal(getattr(signal, sig))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, out + err
    assert "interrupted" in out
    root = ET.parse(report).getroot()
    cases = {tc.get("name"): tc for tc in root.iter("testcase")}
    assert cases["test_first_quick"].find("failure") is None
    assert cases["test_first_quick"].find("error") is None
    assert cases["test_slow"].find("error").get("type") == \
        "KeyboardInterrupt"
    # Collected but never reached: listed, as skipped, saying why.
    never = cases["test_never_reached"].find("skipped")
    assert never is not None and never.get("message") == \
        "not run: interrupted"
