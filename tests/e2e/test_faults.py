"""Injected faults: a parent killed outright, a report that cannot be
written, and tests that misuse the process they run in. Each run must
end with the documented exit code and a valid report in which the
other tests have their verdicts."""
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BINARY, FIXTURES, outcome, run

FAULTS = FIXTURES / "faults"
QUICK = ("--warmup", "1", "--rounds", "3")
SANITIZED = bool(os.environ.get("PYLEAK_SANITIZED"))


def verdicts(r):
    return {name: outcome(tc)[0] for name, tc in r.cases.items()
            if "::" not in name}


def descendants(pid):
    """Every process below pid, read from /proc (children files)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            continue
        out += kids
        todo += kids
    return out


def alive(pid):
    """A process that exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# -- the parent killed ------------------------------------------------------

def test_workers_die_with_a_killed_parent(tmp_path):
    proc = subprocess.Popen(
        [BINARY, "run", str(FAULTS / "orphans"), "--jobs", "2",
         "--junit-xml", str(tmp_path / "report.xml")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = descendants(proc.pid)
        assert workers, "no worker started"
        proc.kill()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(map(alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if alive(w)]
    finally:
        proc.kill()
        for w in workers:  # left behind only when the test fails
            if alive(w):
                os.kill(w, signal.SIGKILL)
    # It never got to write a report, and left no half-written one.
    assert not (tmp_path / "report.xml").exists()
    assert os.listdir(tmp_path) == []


# -- the report cannot be written ---------------------------------------------

def test_report_path_under_a_file_is_a_usage_error(pyleak, tmp_path):
    (tmp_path / "afile").write_text("x\n")
    r = run(FAULTS / "process" / "test_b_other.py", "--junit-xml",
            tmp_path / "afile" / "report.xml", junit=False)
    assert r.code == 4, r.stdout + r.stderr
    assert "afile/report.xml" in r.stderr
    assert (tmp_path / "afile").read_text() == "x\n"


def test_report_folder_gone_at_the_end_is_exit_3(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    r = run(FAULTS / "reportgone", *QUICK, "--junit-xml",
            folder / "report.xml", junit=False,
            env={"PLK_REPORT_DIR": str(folder)})
    assert r.code == 3, r.stdout + r.stderr
    assert ("pyleak-ci: cannot write the JUnit report %s: Not a directory"
            % (folder / "report.xml")) in r.stderr
    # The console still gave both verdicts.
    assert "test_reportgone.py .." in r.stdout


def _unshare_works():
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c",
         "mount -t tmpfs -o size=16k tmpfs /mnt"],
        capture_output=True).returncode == 0


@pytest.mark.skipif(not _unshare_works(),
                    reason="needs a private mount namespace for a tiny "
                    "tmpfs (unshare -rm)")
def test_full_disk_is_exit_3_and_keeps_the_old_report(tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    report = box / "report.xml"
    # The runner is run in a mount namespace of its own, with a 16 KiB
    # tmpfs over box: the report of 200 tests (about 400 KiB) cannot fit.
    script = ('mount -t tmpfs -o size=16k tmpfs "$1" && '
              'echo "<old/>" > "$1/report.xml" && shift && '
              '"$@"; rc=$?; ls -A "$BOX"; cat "$BOX/report.xml"; exit $rc')
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(box), BINARY,
         "run", str(FAULTS / "bigreport"), *QUICK, "--junit-xml",
         str(report)],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, BOX=str(box), NO_COLOR="1"))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert ("pyleak-ci: cannot write the JUnit report %s: No space left "
            "on device" % report) in proc.stderr
    # Only the old report is left in the full file system, untouched.
    assert proc.stdout.endswith("report.xml\n<old/>\n"), proc.stdout
    assert "200 passed" in proc.stdout


# -- tests that misuse their process ------------------------------------------

def test_tests_that_misuse_their_process_cost_at_most_themselves(pyleak):
    r = pyleak(FAULTS / "process", "--timeout", "20", *QUICK)
    assert r.code == 0, r.stdout + r.stderr
    v = verdicts(r)
    expect = {name: "passed" for name in (
        "test_a_first", "test_b_close_stdin",
        "test_c_redirect_stdout_and_stderr",
        "test_d_close_stdout_and_stderr", "test_e_chdir",
        "test_f_signal_handlers", "test_h_fork_child_exits",
        "test_i_fork_child_lingers", "test_j_exhaust_descriptors",
        "test_k_exhaust_descriptors_and_keep_them", "test_z_last",
        "test_other")}
    # A worker is a process group leader already: os.setsid() fails
    # from the second call on, so the test is not repeatable.
    expect["test_g_setsid"] = "skipped"
    assert v == expect, r.stdout + r.stderr
    el = r.case("test_g_setsid").find("skipped")
    assert "PermissionError" in el.get("message")


def test_a_flood_of_stdout_is_passed_through(tmp_path):
    # 256 MiB a call; the runner makes 4 calls with these settings: 1 GiB
    # in all, written to the runner's stderr (here /dev/null).
    argv = [BINARY, "run", str(FAULTS / "flood"), *QUICK, "--junit-xml",
            str(tmp_path / "report.xml")]
    proc = subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, timeout=120,
                          env=dict(os.environ, PLK_FLOOD_MIB="256",
                                   NO_COLOR="1"))
    assert proc.returncode == 0, proc.stdout
    assert "test_flood.py ..." in proc.stdout
    import xml.etree.ElementTree as ET
    from conftest import validate_junit
    validate_junit(tmp_path / "report.xml")
    names = [(tc.get("name"), outcome(tc)[0]) for tc in
             ET.parse(tmp_path / "report.xml").iter("testcase")]
    assert names == [("test_a_before", "passed"),
                     ("test_b_flood_stdout", "passed"),
                     ("test_c_after", "passed")]


@pytest.mark.skipif(SANITIZED, reason="AddressSanitizer reserves terabytes "
                    "of address space: RLIMIT_AS cannot be lowered under it")
def test_unbounded_allocation_under_rlimit_as_is_a_memory_error(pyleak):
    r = pyleak(FAULTS / "memory", *QUICK)
    assert r.code == 1, r.stdout + r.stderr
    assert verdicts(r) == {"test_a_before": "passed",
                           "test_b_allocates_without_bound": "failure",
                           "test_c_after": "passed"}
    el = r.case("test_b_allocates_without_bound").find("failure")
    assert el.get("type") == "MemoryError"


# -- a worker killed while writing a record -----------------------------------

def test_a_torn_record_is_a_crash_not_data(pyleak):
    # The test finds its worker's record pipe, writes 16 bytes that are
    # not a whole record, and kills its worker.
    r = pyleak(FAULTS / "torn", "--timeout", "20", *QUICK)
    assert r.code == 1, r.stdout + r.stderr
    assert verdicts(r) == {"test_a_before": "passed",
                           "test_b_torn_record": "error",
                           "test_c_after": "passed"}
    el = r.case("test_b_torn_record").find("error")
    assert el.get("type") == "pyleak.WorkerCrash"
    assert "killed by signal 9 (SIGKILL" in el.get("message")
