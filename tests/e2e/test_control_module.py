"""The per-test control module: its name, its old name, and plain runs."""
import os
import subprocess

import pytest

from conftest import FIXTURES, PYTHON, REPO, outcome, props

PACKAGE_DIR = REPO / "python"


def _has_pytest():
    return subprocess.run([PYTHON, "-c", "import pytest"],
                          capture_output=True).returncode == 0


needs_pytest = pytest.mark.skipif(not _has_pytest(),
                                  reason="pytest is not importable by "
                                         "the embedded Python")


def test_old_import_name_still_works_with_a_warning(pyleak):
    r = pyleak(FIXTURES / "control_legacy")
    assert r.code == 0, r.stdout + r.stderr
    kind, el = outcome(r.case("test_skipped_the_old_way"))
    assert kind == "skipped"
    assert el.get("message") == "pyleak.skip: written before the rename"
    tc = r.case("test_rounds_the_old_way")
    assert outcome(tc)[0] == "passed"
    assert props(tc)["pyleak.rounds"] == "5"
    # The warning names the line of the old import, once per file.
    lines = [ln for ln in r.stderr.splitlines()
             if "'import pyleak' is deprecated" in ln]
    assert len(lines) == 1, r.stderr
    assert "test_old_import.py:2: DeprecationWarning" in lines[0]


def test_installed_pyleak_is_left_alone(pyleak):
    r = pyleak(FIXTURES / "control_real_pyleak")
    assert r.code == 0, r.stdout + r.stderr
    assert outcome(r.case("test_real_pyleak_is_untouched"))[0] == "passed"
    tc = r.case("test_control_module_still_works")
    assert outcome(tc)[0] == "passed"
    assert props(tc)["pyleak.rounds"] == "6"
    assert "deprecated" not in r.stderr


def _plain_env():
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env["PYTHONPATH"] = str(PACKAGE_DIR)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@needs_pytest
def test_decorated_tests_run_under_plain_pytest(tmp_path):
    """Without pyleak-ci the decorators only record their settings: the
    tests import and pass as they are."""
    junit = tmp_path / "plain.xml"
    proc = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--junitxml", str(junit),
         str(FIXTURES / "control" / "test_control.py"),
         str(FIXTURES / "control_real_pyleak")],
        cwd=tmp_path, env=_plain_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    import xml.etree.ElementTree as ET
    suite = ET.parse(junit).getroot().find("testsuite")
    assert int(suite.get("failures")) == 0
    assert int(suite.get("errors")) == 0
    # test_control.py has 7 tests, control_real_pyleak 2.
    assert int(suite.get("tests")) == 9


def test_decorated_tests_run_under_plain_unittest(tmp_path):
    proc = subprocess.run(
        [PYTHON, "-m", "unittest", "-v", "test_control"],
        cwd=FIXTURES / "control", env=_plain_env(), capture_output=True,
        text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Ran 1 test" in proc.stderr
    assert "OK" in proc.stderr
