"""End-to-end: the diagnosis of leaking tests, from the real binary.

Checks that each kind of leak is named, at the right line, in the
console report and in the JUnit failure (message and text), and that
trouble during the diagnosis is reported without breaking the run.
"""
import os
import re
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, outcome

DIAG = FIXTURES / "diagnose"
DIAG_FILE = DIAG / "test_diag.py"
EXAMPLE = REPO / "examples" / "native_leaks"
EXAMPLE_FILE = EXAMPLE / "tests" / "test_leaky.py"
SANITIZED = bool(os.environ.get("PYLEAK_SANITIZED"))
NO_TRACER = ("the malloc tracer and the heap metric are not built into "
             "sanitizer builds (the sanitizer owns malloc)")


def marker_line(path, marker):
    """1-based line of the '# <- marker' comment in path."""
    for i, line in enumerate(Path(path).read_text().splitlines(), 1):
        if line.rstrip().endswith("# <- " + marker):
            return i
    raise AssertionError("no marker %r in %s" % (marker, path))


def source_line(path, text):
    """1-based line of the first line of path containing text."""
    for i, line in enumerate(Path(path).read_text().splitlines(), 1):
        if text in line:
            return i
    raise AssertionError("%r not in %s" % (text, path))


def rel(path):
    return str(Path(path).relative_to(REPO))


def leak(r, name):
    kind, el = outcome(r.case(name))
    assert kind == "failure" and el.get("type") == "pyleak.Leak", (
        name, kind, r.stdout[-3000:])
    return el


def kinds(el):
    m = re.search(r"^diagnosis \([0-9.]+s\): (.*)$", el.text, re.M)
    assert m, el.text
    return m.group(1).split(", ")


@pytest.fixture(scope="module")
def diag(tmp_path_factory):
    from conftest import run
    return run(DIAG, tmp_path=tmp_path_factory.mktemp("diag"))


def test_python_held_leak_names_line_types_and_holder(diag):
    el = leak(diag, "test_cache_per_request")
    line = marker_line(DIAG_FILE, "cache")
    where = "%s:%d" % (rel(DIAG_FILE), line)
    msg = el.get("message")
    assert re.fullmatch(r"leaks 1 object/call \(\+\d+ B/call\) at " +
                        re.escape(where), msg), msg
    assert kinds(el) == ["python-held"]
    assert "location: %s " % where in el.text
    # The site with its source line, and the holder chain from the global.
    assert '%s: _CACHE["req_%%d" %% n] = [n]' % where in el.text
    assert re.search(r"test_diag\.py: _CACHE \(dict\) -> value of "
                     r"'req_\d+' -> list", el.text), el.text
    assert re.search(r"growing types \(per call\): list 1\b", el.text)
    # The fit report stays first.
    assert el.text.index("deltas:") < el.text.index("diagnosis (")


def test_descriptor_leak_lists_targets(diag):
    el = leak(diag, "test_descriptor")
    assert "fd" in kinds(el)
    where = "%s:%d" % (rel(DIAG_FILE), marker_line(DIAG_FILE, "fd"))
    assert re.search(r"\d+ x fd \d+\.\.\d+ -> /dev/null, opened at " +
                     re.escape(where), el.text), el.text
    # No allocation to point at: the location is where it was opened.
    assert el.get("message") == "leaks 1 descriptor/call at " + where
    assert "(where the descriptor was opened)" in el.text


def test_thread_leak_names_threads_and_start_site(diag):
    el = leak(diag, "test_thread")
    assert kinds(el)[0] == "thread"
    start = "%s:%d" % (rel(DIAG_FILE), marker_line(DIAG_FILE, "thread"))
    assert re.search(r"\d+ x 'diag-worker' target test_diag\._worker, "
                     r"daemon, started at " + re.escape(start), el.text), \
        el.text


@pytest.mark.skipif(SANITIZED, reason=NO_TRACER)
def test_native_allocation_names_python_call_site(diag):
    el = leak(diag, "test_native_malloc")
    assert kinds(el) == ["native-alloc"]
    where = "%s:%d" % (rel(DIAG_FILE), marker_line(DIAG_FILE, "malloc"))
    assert el.get("message") == \
        "leaks 2.0 KiB/call of native memory at " + where
    assert "native allocations still live (malloc tracer):" in el.text
    assert "%s: assert _malloc(2048)" % where in el.text


def test_trouble_in_diagnosis_is_recorded_not_fatal(diag):
    el = leak(diag, "test_fails_when_traced")
    assert "did not pass when re-run" in el.text
    assert "AssertionError: traced" in el.text
    # The passes that could run still did.
    assert re.search(r"_HELD \(list\) -> item \[\d+\] -> list", el.text)
    assert diag.code == 1


def test_console_shows_one_line_per_leak(diag):
    where = "%s:%d" % (rel(DIAG_FILE), marker_line(DIAG_FILE, "cache"))
    line = [ln for ln in diag.stdout.splitlines()
            if ln.startswith("LEAK") and "test_cache_per_request" in ln]
    assert line and line[0].endswith(" at " + where), diag.stdout
    assert line[0].startswith("LEAK python-held tests/"), line
    # The detail is in the reports and behind -v, not on the console.
    assert "held by:" not in diag.stdout
    assert "diagnosis (" not in diag.stdout
    assert "deltas:" not in diag.stdout
    leaks = [ln for ln in diag.stdout.splitlines() if ln.startswith("LEAK")]
    in_report = [f for f in diag.xml.iter("failure")
                 if f.get("type") == "pyleak.Leak"]
    assert len(leaks) == len(in_report) > 1


def test_console_shows_diagnosis_with_verbose(pyleak):
    r = pyleak(DIAG_FILE, "-v", "-k", "test_cache_per_request")
    where = "%s:%d" % (rel(DIAG_FILE), marker_line(DIAG_FILE, "cache"))
    line = [ln for ln in r.stdout.splitlines()
            if ln.startswith("LEAK") and "test_cache_per_request" in ln]
    assert line and line[0].endswith(" at " + where), r.stdout
    assert "held by:" in r.stdout
    assert "diagnosis (" in r.stdout
    assert "deltas:" in r.stdout


def test_no_diagnose_keeps_the_plain_message(pyleak):
    r = pyleak(DIAG_FILE.relative_to(REPO).as_posix() +
               "::test_cache_per_request", "--no-diagnose")
    el = leak(r, "test_cache_per_request")
    assert " at " not in el.get("message")
    assert "diagnosis (" not in el.text


# -- child processes ---------------------------------------------------

PROCS_FILE = FIXTURES / "procs" / "test_proc_leak.py"
SLEEPER_MARK = "pyleak-e2e-sleeper"


def _sleepers():
    """Pids of processes whose command line carries the fixture's mark."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if SLEEPER_MARK.encode() in cmd:
            found.append(int(entry.name))
    return found


def test_process_leak_lists_children_and_start_site(pyleak, tmp_path):
    import json
    r = pyleak(PROCS_FILE, "--json", tmp_path / "r.json")
    assert r.code == 1, r.stdout + r.stderr
    where = "%s:%d" % (rel(PROCS_FILE), marker_line(PROCS_FILE, "popen"))
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("LEAK")]
    assert len(line) == 1 and line[0].startswith("LEAK process"), r.stdout
    assert "leaks 1 child process/call" in line[0], line
    assert line[0].endswith(" at " + where), line
    doc = json.loads((tmp_path / "r.json").read_text())
    (t,) = [t for s in doc["suites"] for t in s["tests"]]
    d = t["diagnosis"]
    assert "process" in d["kind"], d["kind"]
    assert d["location"]["from"] == "process-start", d["location"]
    assert "%s:%d" % (d["location"]["path"], d["location"]["line"]) == where
    procs = d["processes"]
    # The re-run's warm-up round and its measured rounds, one child each.
    assert len(procs) >= 5, procs
    for p in procs:
        assert SLEEPER_MARK in p["cmdline"], p
        assert p["state"] == "running", p
        at = p["started_at"]
        assert "%s:%d" % (at["path"], at["line"]) == where, p
        assert "subprocess.Popen(SLEEPER)" in at["source"], p
    el = leak(r, "test_popen_kept")
    assert re.search(r"child processes left by the re-run \(%d, killed "
                     r"after it\):\n    %d x pid \d+\.\.\d+ .* \(running\), "
                     r"started at %s$" % (len(procs), len(procs),
                                          re.escape(where)),
                     el.text, re.M), el.text
    # Neither the diagnosis nor the worker leaves one running.
    assert _sleepers() == []


# -- temporary files ---------------------------------------------------

TMP_FILE = FIXTURES / "tmpfiles" / "test_tmp_leak.py"


def test_tmp_leak_lists_entries_and_create_site(pyleak, tmp_path):
    import json
    base = tmp_path / "tmpdir"
    base.mkdir()
    r = pyleak(TMP_FILE, "--json", tmp_path / "r.json",
               env={"TMPDIR": str(base)})
    assert r.code == 1, r.stdout + r.stderr
    where = "%s:%d" % (rel(TMP_FILE), marker_line(TMP_FILE, "mkdtemp"))
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("LEAK")]
    assert len(line) == 1 and line[0].startswith("LEAK tmpfile "), r.stdout
    assert line[0].endswith(" at " + where), line
    doc = json.loads((tmp_path / "r.json").read_text())
    (t,) = [t for s in doc["suites"] for t in s["tests"]]
    d = t["diagnosis"]
    assert d["kind"] == ["tmpfile"], d["kind"]
    assert d["location"]["from"] == "tmp-create", d["location"]
    assert "%s:%d" % (d["location"]["path"], d["location"]["line"]) == where
    found = d["tmpfiles"]
    total = d.get("tmpfiles_total", len(found))
    # One folder per call of the warm-up round and the measured rounds;
    # the JSON keeps the first 100.
    assert total >= 5 and len(found) == min(total, 100), (total, found)
    for f in found:
        assert f["type"] == "dir" and f["bytes"] == 0, f
        assert f["path"].startswith("plk-e2e-") and "/" not in f["path"], f
        assert "grew_per_call" not in f, f
        at = f["created_at"]
        assert "%s:%d" % (at["path"], at["line"]) == where, f
        assert "tempfile.mkdtemp(" in at["source"], f
    el = leak(r, "test_mkdtemp_kept")
    assert re.search(r"^  left in the temporary directory by the re-run "
                     r"\(%d\):\n    %d x dir \(plk-e2e-\S+, \.\.\.\), "
                     r"created at %s$" % (total, total, re.escape(where)),
                     el.text, re.M), el.text
    # The run's folder of the workers' temporary folders is removed with
    # what the test left in it.
    assert [p.name for p in base.iterdir()] == []


# -- the C extension example -------------------------------------------

def example_env():
    d = os.environ.get("PYLEAK_EXAMPLES_DIR")
    if not d or not any(Path(d).glob("leaky*.so")):
        pytest.skip("the leaky example extension is not built "
                    "(PYLEAK_EXAMPLES_DIR unset); CTest sets it")
    return {"PYTHONPATH": d}


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    from conftest import run
    env = example_env()
    return run(EXAMPLE, env=env, tmp_path=tmp_path_factory.mktemp("ex"))


def test_extension_reference_leak_is_native_ref(example):
    el = leak(example, "test_wrap")
    assert kinds(el) == ["native-ref"]
    where = "%s:%d" % (rel(EXAMPLE_FILE),
                       source_line(EXAMPLE_FILE, "leaky.wrap("))
    assert el.get("message").endswith(" at " + where), el.get("message")
    assert "(no Python object refers to it) list" in el.text


@pytest.mark.skipif(SANITIZED, reason=NO_TRACER)
def test_extension_malloc_leak_is_native_alloc_at_call(example):
    el = leak(example, "test_checksum")
    assert kinds(el) == ["native-alloc"]
    where = "%s:%d" % (rel(EXAMPLE_FILE),
                       source_line(EXAMPLE_FILE, "leaky.checksum("))
    assert el.get("message").endswith(" at " + where), el.get("message")
    assert "of native memory" in el.get("message")


def test_extension_fixed_function_passes(example):
    assert outcome(example.case("test_checksum_fixed"))[0] == "passed"


def _has_pytest():
    import subprocess
    from conftest import PYTHON
    return subprocess.run([PYTHON, "-c", "import pytest"],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not _has_pytest(), reason="pytest is not importable")
def test_example_project_sites_are_its_own(pyleak, tmp_path):
    """pytest's own churn (log capture, stash, setup state) and frozen
    modules are not allocation sites of the example's leaks."""
    import json
    project = REPO / "examples" / "pytest_project"
    r = pyleak(project, "--json", tmp_path / "r.json")
    assert r.code == 1, r.stdout + r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    leaked = [t for s in doc["suites"] for t in s["tests"]
              if t["outcome"] == "leaked"]
    assert leaked
    own = "examples/pytest_project/"
    for t in leaked:
        sites = t["diagnosis"]["sites"]
        assert sites, t["id"]
        for site in sites:
            assert site["path"].startswith(own), site
            for frame in site["traceback"]:
                assert frame["path"].startswith(own), site
    # One console line per leak, between the progress and the summary.
    lines = r.stdout.splitlines()
    assert len([ln for ln in lines if ln.startswith("LEAK ")]) == \
        len(leaked)
    assert len(lines) <= 2 + 3 + len(leaked) + 3, r.stdout
