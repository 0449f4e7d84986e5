"""`pip install .` of pyleak-ci in a fresh virtual environment, offline:
the build backend compiles the runner against the environment's Python,
the program lands in the environment's bin/ and the control module in
its site-packages, the installed program runs the examples inside that
environment without it being activated, and uninstalling removes both."""
import json
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, REPO

BASE_PYTHON = "/usr/bin/python3.11"

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("PYLEAK_SANITIZED")),
    reason="pip builds a plain release pyleak-ci; one configuration of "
           "ci/test.sh (the release one) is enough to check it")


def _env():
    env = dict(os.environ)
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYLEAK_CI"):
        env.pop(key, None)
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
    return env


def _run(argv, **kw):
    kw.setdefault("env", _env())
    return subprocess.run([str(a) for a in argv], capture_output=True,
                          text=True, timeout=900, **kw)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    if not os.path.exists(BASE_PYTHON):
        pytest.skip("%s is not installed" % BASE_PYTHON)
    where = tmp_path_factory.mktemp("install") / "v"
    made = _run([BASE_PYTHON, "-m", "venv", where])
    if made.returncode != 0:
        text = made.stdout + made.stderr
        if "ensurepip" in text:
            pytest.skip("python3.11-venv is missing (ci/deps.sh installs "
                        "it): %s" % text.strip().splitlines()[-1])
        raise AssertionError(text)
    return where


def test_pip_install_run_and_uninstall(venv, tmp_path):
    pip = venv / "bin" / "pip"
    python = venv / "bin" / "python"
    program = venv / "bin" / "pyleak-ci"
    site = venv / "lib" / ("python%d.%d" % sys.version_info[:2]) / \
        "site-packages"
    if not site.exists():
        site = next((venv / "lib").glob("python3.*")) / "site-packages"

    inst = _run([pip, "install", "--no-index", REPO])
    assert inst.returncode == 0, inst.stdout + inst.stderr
    assert program.is_file() and os.access(program, os.X_OK)
    assert (site / "pyleak_ci" / "__init__.py").is_file()
    assert len(list(site.glob("pyleak_ci-*.dist-info"))) == 1

    # The control module imports in the environment outside pyleak-ci,
    # and decorated tests run unchanged under plain unittest.
    imp = _run([python, "-c", "import pyleak_ci; print(pyleak_ci.__file__)"],
               cwd=tmp_path)
    assert imp.returncode == 0, imp.stderr
    assert imp.stdout.strip().startswith(str(site)), imp.stdout
    plain = _run([python, "-m", "unittest", "test_control"],
                 cwd=FIXTURES / "control")
    assert plain.returncode == 0 and "OK" in plain.stderr, plain.stderr
    # pytest finds the plugin that registers the pyleak marker.
    plugin = _run([python, "-c",
                   "from importlib.metadata import entry_points as e\n"
                   "import importlib\n"
                   "[p] = [p for p in e(group='pytest11') "
                   "if p.name == 'pyleak_ci']\n"
                   "print(importlib.import_module(p.value).MARKER)"],
                  cwd=tmp_path)
    assert plugin.returncode == 0, plugin.stderr
    assert plugin.stdout.startswith("pyleak(skip=")

    # Not activated: the program still runs the tests in its own
    # environment (a test checks sys.prefix).
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "test_where.py").write_text(
        "import sys\n\n\ndef test_runs_in_the_venv():\n"
        "    assert sys.prefix == %r, sys.prefix\n" % str(venv))
    where = _run([program, "run", proj, "--rounds", "3"], cwd=tmp_path)
    assert where.returncode == 0, where.stdout + where.stderr

    report = tmp_path / "r.json"
    ex = _run([program, "run", "examples/", "--json", report], cwd=REPO)
    assert ex.returncode == 1, ex.stdout + ex.stderr
    doc = json.loads(report.read_text())
    tests = {t["id"]: t for s in doc["suites"] for t in s["tests"]}
    leak = tests["examples/leaky_cache/tests/test_cache.py::"
                 "test_remember_new_keys"]
    assert leak["outcome"] == "leaked"
    assert leak["location"]["file"] == "examples/leaky_cache/cache.py"

    out = _run([pip, "uninstall", "-y", "pyleak-ci"])
    assert out.returncode == 0, out.stdout + out.stderr
    assert not program.exists()
    assert not (site / "pyleak_ci").exists()
    assert not list(site.glob("pyleak_ci-*.dist-info"))
    assert not (site / "_pyleak_ci_pytest.py").exists()
    gone = _run([python, "-c", "import pyleak_ci"], cwd=tmp_path)
    assert gone.returncode != 0
