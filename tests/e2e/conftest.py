"""Helpers for the end-to-end tests: run the real pyleak-ci binary."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
BINARY = os.environ.get("PYLEAK_CI", str(REPO / "build" / "pyleak-ci"))
# The interpreter the measured tests run on (set by CTest): the one
# pyleak-ci was built against, or a venv of it (PYLEAK_TEST_VENV) in
# which pytest can be imported.
PYTHON = os.environ.get("PYLEAK_PYTHON", sys.executable)
TEST_VENV = os.environ.get("PYLEAK_TEST_VENV") or None


def python_info():
    """(major, minor) and the stdlib folder of PYTHON."""
    global _PY_INFO
    if _PY_INFO is None:
        out = subprocess.run(
            [PYTHON, "-c", "import sys, sysconfig; "
             "print(*sys.version_info[:2], sysconfig.get_path('stdlib'))"],
            capture_output=True, text=True, check=True).stdout.split()
        _PY_INFO = ((int(out[0]), int(out[1])), Path(out[2]))
    return _PY_INFO


_PY_INFO = None


def stdlib_tests():
    """The folder of CPython's own test modules for PYTHON."""
    return python_info()[1] / "test"
# libxml2 schema validation (tests/xsd_check.c, built by CMake) and the
# schemas: the project's own for the default JUnit form, the shared
# Jenkins and Ant ones for --junit-strict.
XSD_CHECK = os.environ.get("PYLEAK_XSD_CHECK")
OWN_SCHEMA = REPO / "ci" / "schemas" / "pyleak-junit.xsd"
SHARED_SCHEMAS = Path(os.environ.get(
    "PLK_SCHEMAS", str(REPO.parent / "shared" / "schemas")))
STRICT_SCHEMAS = [SHARED_SCHEMAS / "junit-10.xsd",
                  SHARED_SCHEMAS / "windyroad-JUnit.xsd"]


def validate_junit(path, strict=False):
    """Validate a JUnit report with libxml2's schema API; returns the
    schemas it was checked against (none when they are not here)."""
    if XSD_CHECK is None:
        return []
    schemas = STRICT_SCHEMAS if strict else [OWN_SCHEMA]
    schemas = [s for s in schemas if s.exists()]
    for schema in schemas:
        proc = subprocess.run([XSD_CHECK, str(schema), str(path)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, (schema, proc.stderr)
    return schemas


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    xml: "ET.ElementTree | None" = None
    cases: dict = field(default_factory=dict)

    def case(self, name):
        """The <testcase> whose name (or Class::name id tail) is name."""
        assert name in self.cases, (name, sorted(self.cases), self.stdout)
        return self.cases[name]


def run(*args, cwd=REPO, env=None, junit=True, tmp_path=None, timeout=600):
    full_env = dict(os.environ)
    full_env.pop("VIRTUAL_ENV", None)
    if TEST_VENV is not None:
        full_env["VIRTUAL_ENV"] = TEST_VENV
    full_env["PYTHONDONTWRITEBYTECODE"] = "1"
    full_env["NO_COLOR"] = "1"
    if env:
        full_env.update(env)
    argv = [BINARY, "run", *map(str, args)]
    xml_path = None
    if junit:
        assert tmp_path is not None
        xml_path = Path(tmp_path) / "report.xml"
        argv += ["--junit-xml", str(xml_path)]
    proc = subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    result = Run(proc.returncode, proc.stdout, proc.stderr)
    if xml_path is not None and xml_path.exists():
        # Every report the end-to-end suite produces must validate.
        validate_junit(xml_path, strict="--junit-strict" in argv)
        result.xml = ET.parse(xml_path)
        for tc in result.xml.iter("testcase"):
            key = tc.get("name")
            cls = tc.get("classname", "")
            result.cases[key] = tc
            if "." in cls:
                result.cases[cls.rsplit(".", 1)[1] + "::" + key] = tc
    return result


def props(testcase):
    return {p.get("name"): p.get("value")
            for p in testcase.iter("property")}


def deltas(testcase, metric):
    value = props(testcase).get("pyleak.%s.deltas" % metric)
    assert value is not None, ("no deltas for", metric, props(testcase))
    return [int(x) for x in value.split()]


def outcome(testcase):
    for kind in ("failure", "error", "skipped"):
        el = testcase.find(kind)
        if el is not None:
            return kind, el
    return "passed", None


def is_debug_python():
    out = subprocess.run(
        [PYTHON, "-c", "import sys; print(hasattr(sys, 'gettotalrefcount'))"],
        capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


@pytest.fixture
def pyleak(tmp_path):
    def _run(*args, **kw):
        kw.setdefault("tmp_path", tmp_path)
        return run(*args, **kw)
    return _run
