"""End-to-end: [tool.pyleak-ci] in pyproject.toml, `pyleak-ci config`,
--ignore, and the baseline of known leaks, on throw-away projects."""
import os
import re
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import BINARY, outcome, props

CLEAN = "def test_clean():\n    x = [1, 2, 3]\n    del x\n"
LEAK = "_KEEP = []\n\ndef test_leak():\n    _KEEP.append(object())\n"


def pyleak(*args, cwd, env=None):
    full_env = dict(os.environ)
    full_env.pop("VIRTUAL_ENV", None)
    full_env.pop("NO_COLOR", None)
    full_env["PYTHONDONTWRITEBYTECODE"] = "1"
    if env:
        full_env.update(env)
    return subprocess.run([BINARY, *map(str, args)], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=600)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def cases(xml_path):
    out = {}
    for tc in ET.parse(xml_path).iter("testcase"):
        out[tc.get("name")] = tc
    return out


@pytest.fixture
def project(tmp_path):
    """A project with a clean test, a leaking one, and a legacy folder."""
    root = tmp_path / "proj"
    write(root / "tests" / "test_clean.py", CLEAN)
    write(root / "tests" / "test_leak.py", LEAK)
    write(root / "tests" / "legacy" / "test_old.py", LEAK)
    (root / "reports").mkdir()
    return root


# -- pyproject.toml ----------------------------------------------------------

def test_pyproject_values_are_used(project):
    write(project / "pyproject.toml", """\
        [project]
        name = "demo"

        [tool.pyleak-ci]
        paths = ["tests/test_clean.py"]
        warmup = 1
        rounds = 5
        thorough = true
        junit-xml = "reports/out.xml"
        """)
    r = pyleak("run", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr == ""
    tc = cases(project / "reports" / "out.xml")["test_clean"]
    assert props(tc)["pyleak.warmup"] == "1"
    assert props(tc)["pyleak.rounds"] == "5"
    # Only the file in paths ran.
    assert "test_leak" not in r.stdout


def test_command_line_overrides_the_file(project):
    write(project / "pyproject.toml", """\
        [tool.pyleak-ci]
        paths = ["tests/test_leak.py"]
        rounds = 5
        junit-xml = "reports/out.xml"
        """)
    # --thorough: measured alone for all its rounds, no early stop.
    r = pyleak("run", "--rounds", "6", "--thorough", "tests/test_clean.py",
               cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    tc = cases(project / "reports" / "out.xml")["test_clean"]
    assert props(tc)["pyleak.rounds"] == "6"


def test_found_from_a_subdirectory_with_paths_relative_to_it(project):
    write(project / "pyproject.toml", """\
        [tool.pyleak-ci]
        paths = ["tests"]
        ignore = ["legacy", "test_leak.py"]
        junit-xml = "reports/out.xml"
        """)
    sub = project / "tests" / "legacy"
    r = pyleak("run", cwd=sub)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(cases(project / "reports" / "out.xml")) == ["test_clean"]


def test_ignore_on_the_command_line_and_in_the_file(project):
    write(project / "pyproject.toml", """\
        [tool.pyleak-ci]
        ignore = ["legacy/"]
        """)
    r = pyleak("run", "tests", cwd=project)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "tests/test_leak.py::test_leak" in r.stdout
    assert "legacy" not in r.stdout
    r = pyleak("run", "tests", "--ignore", "test_leak*", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout
    # A file named as a target runs even when a glob matches it.
    r = pyleak("run", "tests/legacy/test_old.py", cwd=project)
    assert r.returncode == 1, r.stdout + r.stderr


def test_unknown_key_is_a_warning_with_its_line(project):
    write(project / "pyproject.toml", """\
        [tool.pyleak-ci]
        paths = ["tests/test_clean.py"]
        roundz = 5
        """)
    r = pyleak("run", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert ("pyleak-ci: warning: pyproject.toml:3: unknown key 'roundz' in "
            "[tool.pyleak-ci]; did you mean 'rounds'?") in r.stderr
    # Once, although pyleak-ci restarts itself.
    assert r.stderr.count("roundz") == 1


@pytest.mark.parametrize("body, message", [
    ('rounds = "5"', "pyproject.toml:2: rounds: expected an integer, got a "
                     "string"),
    ("rounds = 1", "pyproject.toml:2: rounds: expected an integer from 3 "
                   "to 100000, got '1'"),
    ("threshold = { hep = 1 }", "pyproject.toml:2: threshold: unknown "
                                "metric 'hep'"),
    ("rounds = [5", "pyproject.toml:2:10: array is not closed with ']'"),
    ('rounds = 5\nrounds = 6', "pyproject.toml:3:1: duplicate key 'rounds'"),
])
def test_bad_file_is_a_usage_error_before_any_test(project, body, message):
    write(project / "pyproject.toml", "[tool.pyleak-ci]\n" + body + "\n")
    r = pyleak("run", "tests", cwd=project)
    assert r.returncode == 4, r.stdout + r.stderr
    assert message in r.stderr
    assert r.stdout == ""


def test_config_command_shows_values_and_sources(project):
    write(project / "pyproject.toml", """\
        [tool.pyleak-ci]
        paths = ["tests"]
        rounds = 12

        [tool.pyleak-ci.threshold]
        heap = 64
        """)
    r = pyleak("config", "--warmup", "2", cwd=project,
               env={"NO_COLOR": "1"})
    assert r.returncode == 0, r.stdout + r.stderr
    lines = {line.split("#")[0].strip(): line.split("#", 1)[1].strip()
             for line in r.stdout.splitlines()
             if not line.startswith("#")}
    assert lines['paths = ["tests"]'] == "pyproject.toml:2"
    assert lines["rounds = 12"] == "pyproject.toml:3"
    assert lines["max-rounds = 64"] == "default"
    assert lines["threshold.heap = 64"] == "pyproject.toml:6"
    assert lines["threshold.blocks = 0"] == "default"
    assert lines["warmup = 2"] == "command line (--warmup)"
    assert lines['color = "never"'] == "environment (NO_COLOR)"
    assert "read from pyproject.toml" in r.stdout.splitlines()[0]
    # config never runs a test, and says so on a bad value too.
    r = pyleak("config", "--rounds", "x", cwd=project)
    assert r.returncode == 4
    assert "--rounds" in r.stderr


def test_help_lists_the_config_command(project):
    r = pyleak("--help", cwd=project)
    assert r.returncode == 0
    assert "pyleak-ci config [options] [TARGET...]" in r.stdout
    assert "[tool.pyleak-ci]" in r.stdout


# -- baseline ------------------------------------------------------------------

def test_baseline_flow(project):
    base = project / "pyleak-baseline.toml"
    leak_file = project / "tests" / "test_leak.py"
    args = ["run", "tests", "--ignore", "legacy", "--baseline", base,
            "--junit-xml", project / "reports" / "out.xml"]

    # A missing baseline is a usage error before any test runs.
    r = pyleak(*args, cwd=project)
    assert r.returncode == 4, r.stdout + r.stderr
    assert "pyleak-baseline.toml" in r.stderr
    assert "--update-baseline" in r.stderr
    assert r.stdout == ""

    # Without a baseline the leak fails the run.
    r = pyleak("run", "tests", "--ignore", "legacy", cwd=project)
    assert r.returncode == 1, r.stdout + r.stderr

    # --update-baseline records it, and the run passes.
    r = pyleak(*args, "--update-baseline", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "baseline: wrote" in r.stdout and "added" in r.stdout
    text = base.read_text()
    assert "version = 1" in text
    assert 'test = "tests/test_leak.py::test_leak"' in text
    assert 'metric = "blocks"' in text
    assert 'reason = "TODO: explain why this leak is accepted"' in text
    assert "test_clean" not in text

    # Give the leak a reason; a rerun passes it as known.
    base.write_text(text.replace("TODO: explain why this leak is accepted",
                                 "one object per call, by design"))
    r = pyleak(*args, cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "KNOWN tests/test_leak.py::test_leak" in r.stdout
    assert "known leak: one object per call, by design" in r.stdout
    assert "1 known leak" in r.stdout
    tc = cases(project / "reports" / "out.xml")["test_leak"]
    assert outcome(tc)[0] == "passed"
    assert props(tc)["pyleak.baseline"] == "known"
    assert props(tc)["pyleak.note"] == ("known leak: one object per call, "
                                        "by design")

    # A larger leak fails, and says by how much.
    leak_file.write_text(
        "_KEEP = []\n\ndef test_leak():\n"
        "    _KEEP.extend([object(), object(), object(), object()])\n")
    r = pyleak(*args, cwd=project)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "more than the baseline" in r.stdout
    tc = cases(project / "reports" / "out.xml")["test_leak"]
    kind, el = outcome(tc)
    assert kind == "failure" and el.get("type") == "pyleak.Leak"
    assert "more than the baseline" in el.get("message")
    assert props(tc)["pyleak.baseline"] == "larger"

    # Fixed: reported so the file can shrink; the run passes.
    leak_file.write_text(CLEAN.replace("test_clean", "test_leak"))
    r = pyleak(*args, cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FIXED tests/test_leak.py::test_leak" in r.stdout
    assert "no longer leak" in r.stdout
    tc = cases(project / "reports" / "out.xml")["test_leak"]
    assert props(tc)["pyleak.baseline"] == "fixed"

    # Updating drops it; the reason of an entry still there is kept.
    r = pyleak(*args, "--update-baseline", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    # One entry per leaking metric: objects and blocks, and refs too
    # when linked against a debug build of Python.
    assert re.search(r"\b[123] removed", r.stdout), r.stdout
    assert "[[leak]]" not in base.read_text()


def test_baseline_from_pyproject_and_ids_relative_to_it(project):
    write(project / "pyproject.toml", """\
        [tool.pyleak-ci]
        paths = ["tests"]
        ignore = ["legacy"]
        baseline = "ci/known-leaks.toml"
        """)
    (project / "ci").mkdir()
    r = pyleak("run", "--update-baseline", cwd=project / "tests")
    assert r.returncode == 0, r.stdout + r.stderr
    text = (project / "ci" / "known-leaks.toml").read_text()
    assert 'test = "../tests/test_leak.py::test_leak"' in text
    # From another working directory the same entries match.
    r = pyleak("run", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "KNOWN tests/test_leak.py::test_leak" in r.stdout


@pytest.mark.parametrize("content, message", [
    ("version = 1\n[[leak]]\ntest = \"a\"\n", "known.toml:2: [[leak]] has "
                                               "no metric"),
    ("version = 1\nleak = [\n", "known.toml:2:8: array is not closed"),
    ("[[leak]]\n", "known.toml:1: expected version = 1"),
])
def test_malformed_baseline_is_a_usage_error(project, content, message):
    (project / "known.toml").write_text(content)
    r = pyleak("run", "tests", "--baseline", "known.toml", cwd=project)
    assert r.returncode == 4, r.stdout + r.stderr
    assert message in r.stderr
    assert r.stdout == ""


def test_update_baseline_needs_a_file(project):
    r = pyleak("run", "tests", "--update-baseline", cwd=project)
    assert r.returncode == 4
    assert "--update-baseline needs a baseline file" in r.stderr
