"""Worker processes: crashes, hangs and exits cost one test; parallel runs
and shards give the same report as one plain run; bad input is a clear
error with a documented exit code."""
import json
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import BINARY, FIXTURES, outcome

QUICK = ("--warmup", "1", "--rounds", "3")
# In AddressSanitizer builds a segfault is caught by the sanitizer, which
# reports it and exits with status 1; these tests want the signal.
NO_ASAN_SEGV = {"ASAN_OPTIONS": ":".join(
    filter(None, [os.environ.get("ASAN_OPTIONS"), "handle_segv=0"]))}


def ids(run):
    """Test ids of a JUnit report, in report order."""
    out = []
    for suite in run.xml.iter("testsuite"):
        for tc in suite.iter("testcase"):
            out.append(suite.get("file") + "::" + tc.get("classname")
                       + "::" + tc.get("name"))
    return out


# -- faults ---------------------------------------------------------------

def test_crashes_exits_and_hangs_cost_one_test(pyleak):
    r = pyleak(FIXTURES / "faults" / "test_faults.py", "--timeout", "2",
               *QUICK, env=NO_ASAN_SEGV)
    assert r.code == 1, r.stdout + r.stderr
    names = [tc.get("name") for tc in r.xml.iter("testcase")]
    assert names == ["test_a_before", "test_b_segfault",
                     "test_c_after_segfault", "test_d_abort",
                     "test_e_os_exit", "test_f_sys_exit", "test_g_hangs",
                     "test_h_last"]
    for name in ("test_a_before", "test_c_after_segfault", "test_h_last"):
        assert outcome(r.case(name))[0] == "passed", name

    kind, el = outcome(r.case("test_b_segfault"))
    assert kind == "error" and el.get("type") == "pyleak.WorkerCrash"
    assert "signal 11 (SIGSEGV" in el.get("message")
    # faulthandler's traceback says where it happened.
    assert "in test_b_segfault" in el.text

    kind, el = outcome(r.case("test_d_abort"))
    assert kind == "error" and "SIGABRT" in el.get("message")

    kind, el = outcome(r.case("test_e_os_exit"))
    assert kind == "error" and "exited with status 3" in el.get("message")

    # sys.exit raises SystemExit: the test's own failure, as in pytest.
    kind, el = outcome(r.case("test_f_sys_exit"))
    assert kind == "failure" and el.get("type") == "SystemExit"
    assert el.get("message") == "SystemExit: 4"

    kind, el = outcome(r.case("test_g_hangs"))
    assert kind == "error" and el.get("type") == "pyleak.Timeout"
    assert "no progress for 2 s (--timeout)" in el.get("message")
    assert "in test_g_hangs" in el.text  # where it was stuck

    # The console says the same, in the same order.
    assert "tests/fixtures/faults/test_faults.py .E.EEFE." in r.stdout


def test_crashes_in_class_fixtures(pyleak):
    r = pyleak(FIXTURES / "faults" / "test_class_faults.py", *QUICK)
    assert r.code == 1, r.stdout + r.stderr
    kind, el = outcome(r.case("TestExitInSetUpClass::test_one"))
    assert kind == "error" and "status 7" in el.get("message")
    assert outcome(r.case("TestAbortInTearDownClass::test_two"))[0] == \
        "passed"
    # tearDownClass died after its test: an extra error, then the rest.
    kind, el = outcome(r.case("<after test_two>"))
    assert kind == "error" and "SIGABRT" in el.get("message")
    assert "outside any test" in el.get("message")
    assert outcome(r.case("TestFine::test_three"))[0] == "passed"


def test_crashes_and_hangs_outside_tests(pyleak):
    r = pyleak(FIXTURES / "faultimport", "--timeout", "2", *QUICK,
               env=NO_ASAN_SEGV)
    assert r.code == 1, r.stdout + r.stderr
    suites = {s.get("file").rsplit("/", 1)[1]: s
              for s in r.xml.iter("testsuite")}
    err = suites["test_crash_on_import.py"].find("testcase/error")
    assert "SIGSEGV" in err.get("message")
    assert "while importing it" in err.get("message")
    err = suites["test_hang_on_import.py"].find("testcase/error")
    assert err.get("type") == "pyleak.Timeout"
    # setUpModule killed the worker: every test of the file is listed.
    for name in ("TestAfterSetup::test_x", "TestAfterSetup::test_y"):
        kind, el = outcome(r.case(name))
        assert kind == "error" and "status 9" in el.get("message")
        assert el.get("message").startswith("not run:")
    assert outcome(r.case("test_still_runs"))[0] == "passed"


def test_stubborn_test_is_killed_after_the_grace_period(tmp_path):
    report = tmp_path / "r.xml"
    env = dict(os.environ, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.Popen(
        [BINARY, "run", str(FIXTURES / "stubborn"), "--junit-xml",
         str(report), "--jobs", "1", *QUICK],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(1.5)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, out + err
    assert time.monotonic() - t0 < 20
    cases = {tc.get("name"): tc for tc in ET.parse(report).iter("testcase")}
    assert outcome(cases["test_quick"])[0] == "passed"
    kind, el = outcome(cases["test_stubborn"])
    assert kind == "error" and el.get("type") == "KeyboardInterrupt"
    kind, el = outcome(cases["test_after"])
    assert kind == "skipped" and el.get("message") == "not run: interrupted"


# -- parallel runs --------------------------------------------------------

def _strip_time(text):
    return "\n".join(line.split(" in ")[0] if line.startswith("==") else
                     line for line in text.splitlines())


@pytest.mark.parametrize("verbose", [False, True])
def test_jobs_give_the_same_output_in_file_order(pyleak, verbose):
    extra = ("-v",) if verbose else ()
    one = pyleak(FIXTURES / "parallel", "--jobs", "1", *extra)
    many = pyleak(FIXTURES / "parallel", "--jobs", "4", *extra)
    assert one.code == many.code == 0, many.stdout + many.stderr
    assert ids(one) == ids(many)
    assert len(ids(one)) == 15
    if verbose:  # per-test times differ; names and verdicts do not
        strip = [line.split(" (")[0]
                 for line in _strip_time(one.stdout).splitlines()]
        assert strip == [line.split(" (")[0]
                         for line in _strip_time(many.stdout).splitlines()]
    else:
        assert _strip_time(one.stdout) == _strip_time(many.stdout)
    files = [line.split()[0].split("::")[0]
             for line in one.stdout.splitlines() if line.startswith("tests/")]
    assert files == sorted(files)


def _verdicts(run):
    return [(tc.get("classname"), tc.get("name"), outcome(tc)[0])
            for tc in run.xml.iter("testcase")]


def _notes(path):
    """{fixture or test name: [pids that ran it]} from test_split.py."""
    out = {}
    for f in sorted(path.iterdir()):
        what, pid = f.name.rsplit(".", 1)
        out.setdefault(what, []).append(int(pid))
    return out


def test_a_file_split_over_two_workers_reports_as_one(pyleak, tmp_path):
    target = FIXTURES / "split"
    runs = {}
    for jobs in ("1", "2"):
        notes = tmp_path / ("notes" + jobs)
        notes.mkdir()
        runs[jobs] = pyleak(target, "--jobs", jobs, *QUICK,
                            env={"PYLEAK_SPLIT_OUT": str(notes)},
                            tmp_path=tmp_path)
        runs[jobs].notes = _notes(notes)
    one, two = runs["1"], runs["2"]
    assert one.code == two.code == 1, two.stdout + two.stderr
    assert _verdicts(one) == _verdicts(two)
    assert ids(one) == ids(two)
    assert len(ids(two)) == len(set(ids(two))) == 15
    assert ids(two)[-1].endswith("::tearDownModule")
    assert _strip_time(one.stdout) == _strip_time(two.stdout)
    # One process ran the whole file alone; with two jobs a second one
    # took classes too, each class in one process only, with the module
    # fixtures around its share.
    assert len(one.notes["setUpModule"]) == 1
    assert len(two.notes["setUpModule"]) == 3, two.notes
    assert sorted(two.notes["tearDownModule"]) == \
        sorted(two.notes["setUpModule"])
    # TestFour failed while the file was shared: a third process, after
    # the other two, confirmed the failure, running the file alone in
    # its order up to TestFour (the tests before it called once each).
    confirm = max(two.notes["setUpModule"])
    assert sorted(c for c, pids in two.notes.items() if confirm in pids) == \
        sorted(["setUpModule", "tearDownModule", "function", "TestOne",
                "TestTwo", "TestThree", "TestFour"])
    shared = {c: [p for p in pids if p != confirm]
              for c, pids in two.notes.items()}
    for cls in ("TestOne", "TestTwo", "TestThree", "TestFour", "TestLast"):
        assert len(shared[cls]) == 1, (cls, two.notes)
    assert shared["TestLast"] != shared["function"]


def _shared_and_alone(pyleak, tmp_path, target):
    """Runs of target with one and two jobs, each with the tests of its
    JSON report, and PYLEAK_RACE_DIR a directory of its own."""
    runs = {}
    for jobs in ("1", "2"):
        shared = tmp_path / ("dir" + jobs)
        shared.mkdir()
        out = tmp_path / ("r%s.json" % jobs)
        runs[jobs] = pyleak(target, "--jobs", jobs, *QUICK, "--json", out,
                            env={"PYLEAK_RACE_DIR": str(shared)})
        runs[jobs].tests = [t for s in json.loads(out.read_text())["suites"]
                            for t in s["tests"]]
        assert list(shared.iterdir()) == []
    return runs["1"], runs["2"]


def _confirmed_notes(run, saw):
    notes = [t["note"] for t in run.tests if t.get("note")]
    assert notes, "no test failed while its file was shared"
    for note in notes:
        assert note.startswith("failed while its file was shared by two "
                               "workers ("), note
        assert saw in note, note  # the failure it replaced
        assert note.endswith("run again in a new worker, after only the "
                             "tests before it in the file, it passes"), note
    return notes


def test_failures_of_a_shared_file_are_confirmed_in_one_worker(pyleak,
                                                               tmp_path):
    """Classes that fail when another process runs a class of their file
    at the same time: with two jobs the file is shared, its classes fail
    beside each other, and one more worker runs the failing tests alone,
    in the file's order. Their verdict is that run's, as under the plain
    runner, with a note of the failure it replaced."""
    one, two = _shared_and_alone(pyleak, tmp_path, FIXTURES / "split_race")
    assert one.code == two.code == 0, two.stdout + two.stderr
    assert _verdicts(one) == _verdicts(two)
    assert [t["outcome"] for t in two.tests] == ["passed"] * 8
    assert not any(t.get("note") for t in one.tests)
    _confirmed_notes(two, "running.")


def test_a_class_that_needs_the_ones_before_it_when_shared(pyleak,
                                                          tmp_path):
    """The last class needs the first to have run in its process: the
    helper that takes it first fails it, and the confirming worker calls
    the tests before it once each, in order, then measures it."""
    one, two = _shared_and_alone(pyleak, tmp_path, FIXTURES / "split_order")
    assert one.code == two.code == 0, two.stdout + two.stderr
    assert _verdicts(one) == _verdicts(two)
    assert [t["outcome"] for t in two.tests] == ["passed"] * 6
    assert not any(t.get("note") for t in one.tests)
    assert len(_confirmed_notes(two, "AssertionError")) == 1
    last = two.tests[-1]
    assert last["id"].endswith("TestLast::test_after_first")
    assert last["note"] and last["total_calls"] > 1  # measured


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_test_unfit_after_later_ones_is_confirmed_alone(pyleak, tmp_path,
                                                          jobs):
    """Screening calls test_a again after test_b's first call, which
    leaves the process unfit for it: a new worker measures test_a after
    only the tests before it, and it passes, as under pytest. A test
    that is not repeatable in any process stays so."""
    out = tmp_path / "r.json"
    r = pyleak(FIXTURES / "order_poison", "--jobs", jobs, "--json", out)
    assert r.code == 0, r.stdout + r.stderr
    tests = {t["name"]: t for s in json.loads(out.read_text())["suites"]
             for t in s["tests"]}
    assert {n: t["outcome"] for n, t in tests.items()} == {
        "test_a_before_the_poison": "passed",
        "test_b_poisons_the_process": "passed",
        "test_c_once": "skipped", "test_d_last": "passed"}
    a = tests["test_a_before_the_poison"]
    assert a["note"].startswith("failed after tests that come later in its "
                                "file had run in its process ("), a["note"]
    assert "test_b_poisons_the_process ran before this call" in a["note"]
    assert a["note"].endswith("it passes") and a["total_calls"] > 1
    c = tests["test_c_once"]
    assert c["exc_type"] == "pyleak.NotRepeatable" and c["note"] is None
    assert c["message"] == ("not repeatable: passed once, failed on call "
                            "2: AssertionError: called 2 times")


def test_tests_with_the_same_id_keep_their_place_when_shared(pyleak):
    target = FIXTURES / "split_dupes"
    one = pyleak(target, "--jobs", "1", *QUICK)
    two = pyleak(target, "--jobs", "2", *QUICK)
    assert one.code == two.code == 1, two.stdout + two.stderr
    assert len(_verdicts(two)) == 8
    assert [v[2] for v in _verdicts(two)] == ["passed"] * 7 + ["failure"]
    assert _verdicts(one) == _verdicts(two)


def test_a_crash_in_a_shared_file_costs_one_test(pyleak, tmp_path):
    target = FIXTURES / "split"
    env = dict(NO_ASAN_SEGV, PYLEAK_SPLIT_CRASH="1")
    runs = {}
    for jobs in ("1", "2"):
        notes = tmp_path / ("notes" + jobs)
        notes.mkdir()
        runs[jobs] = pyleak(target, "--jobs", jobs, *QUICK,
                            env=dict(env, PYLEAK_SPLIT_OUT=str(notes)),
                            tmp_path=tmp_path)
        runs[jobs].notes = _notes(notes)
    one, two = runs["1"], runs["2"]
    assert one.code == two.code == 1, two.stdout + two.stderr
    assert _verdicts(one) == _verdicts(two)
    assert len(ids(two)) == len(set(ids(two))) == 15
    kind, el = outcome(two.case("TestLast::test_b_crash"))
    assert kind == "error" and el.get("type") == "pyleak.WorkerCrash"
    assert "SIGSEGV" in el.get("message")
    for name in ("TestLast::test_a_before", "TestLast::test_c_after",
                 "TestOne::test_a", "TestFour::test_b"):
        assert outcome(two.case(name))[0] == "passed", name
    # The crash was in the second worker, the one that took the last
    # class (it never reached tearDownModule); the class's other tests
    # ran in a process started after it.
    crashed = [p for p in two.notes["TestLast"]
               if p not in two.notes["tearDownModule"]]
    assert len(crashed) == 1, two.notes
    assert crashed[0] not in two.notes["function"]
    assert len(two.notes["TestLast"]) == 2


def test_one_process_mode_gives_the_same_verdicts(pyleak):
    # unittest_semantics has fixture errors that are records of their own.
    args = (FIXTURES / "basic", FIXTURES / "lifecycle", FIXTURES / "broken",
            FIXTURES / "unittest_semantics")
    forked = pyleak(*args)
    single = pyleak(*args, env={"PYLEAK_CI_NO_FORK": "1"})
    assert forked.code == single.code == 1
    assert ids(forked) == ids(single)
    assert [outcome(tc)[0] for tc in forked.xml.iter("testcase")] == \
        [outcome(tc)[0] for tc in single.xml.iter("testcase")]


def test_usage_error_in_a_worker_stops_the_run(pyleak):
    r = pyleak(FIXTURES / "parallel",
               str(FIXTURES / "basic" / "test_basic.py") + "::test_nope",
               "--jobs", "2")
    assert r.code == 4, r.stdout + r.stderr
    assert "no test 'test_nope'" in r.stderr


# -- shards ---------------------------------------------------------------

@pytest.mark.parametrize("total", [2, 3, 7])
def test_shards_partition_the_tests(pyleak, tmp_path, total):
    target = FIXTURES / "parallel"
    full = pyleak(target, "--json", tmp_path / "durations.json",
                  tmp_path=tmp_path)
    assert full.code == 0
    everything = ids(full)
    durations = tmp_path / "durations.xml"
    (tmp_path / "report.xml").rename(durations)
    for how in ("count", "junit", "json", "gitlab"):
        seen = []
        for k in range(1, total + 1):
            args, env = [target], None
            if how == "gitlab":
                env = {"CI_NODE_INDEX": str(k), "CI_NODE_TOTAL": str(total)}
            else:
                args += ["--shard", "%d/%d" % (k, total)]
            if how in ("junit", "json"):
                args += ["--durations-from",
                         durations.with_suffix("." + how.replace("junit",
                                                                 "xml"))]
            r = pyleak(*args, env=env, tmp_path=tmp_path)
            assert r.code == 0, (how, k, r.stdout, r.stderr)
            assert ids(r), (how, k)  # 7 files: no shard is empty
            seen += ids(r)
        assert sorted(seen) == sorted(everything), how
        assert len(seen) == len(set(seen)), how


def test_durations_balance_the_shards(pyleak, tmp_path):
    """A report that says one file is slow puts it alone on a shard."""
    report = tmp_path / "old.json"
    tests = ['{"id": "tests/fixtures/parallel/test_p%d.py::t", "time": %s}'
             % (i, "100.0" if i == 4 else "1.0") for i in range(1, 8)]
    report.write_text('{"tests": [%s]}' % ", ".join(tests))
    first = pyleak(FIXTURES / "parallel", "--shard", "1/2",
                   "--durations-from", report)
    assert first.code == 0
    assert {i.split("::")[0] for i in ids(first)} == \
        {"tests/fixtures/parallel/test_p4.py"}


def test_empty_shard_is_not_a_failure(pyleak):
    r = pyleak(FIXTURES / "basic", "--shard", "2/3")
    assert r.code == 0, r.stdout + r.stderr
    assert "shard 2/3 has no test files" in r.stderr
    assert ids(r) == []


# -- bad input ------------------------------------------------------------

@pytest.mark.parametrize("args,word", [
    (("--jobs", "0"), "--jobs"),
    (("--jobs", "many"), "--jobs"),
    (("-j", "-3"), "-j"),
    (("--timeout", "0"), "--timeout"),
    (("--timeout", "soon"), "--timeout"),
    (("--shard", "3/2"), "--shard"),
    (("--shard", "0/2"), "--shard"),
    (("--shard", "half"), "--shard"),
    (("--durations-from",), "--durations-from"),
])
def test_bad_flag_values_are_usage_errors(pyleak, args, word):
    r = pyleak(FIXTURES / "empty", *args, junit=False)
    assert r.code == 4, r.stdout + r.stderr
    assert word in r.stderr


def test_bad_shard_environment_and_reports(pyleak, tmp_path):
    r = pyleak(FIXTURES / "empty", env={"CI_NODE_INDEX": "x",
                                        "CI_NODE_TOTAL": "2"})
    assert r.code == 4 and "CI_NODE_INDEX" in r.stderr
    r = pyleak(FIXTURES / "empty", "--shard", "1/2", "--durations-from",
               tmp_path / "missing.xml")
    assert r.code == 4 and "missing.xml" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = pyleak(FIXTURES / "empty", "--shard", "1/2", "--durations-from",
               bad)
    assert r.code == 4 and "bad.json" in r.stderr and "JSON" in r.stderr


def test_directory_without_test_files_is_exit_5(pyleak, tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    (empty / "helper.py").write_text("X = 1\n")
    r = pyleak(empty)
    assert r.code == 5, r.stdout + r.stderr
    assert "no tests collected" in r.stderr


def test_odd_test_names(pyleak):
    r = pyleak(FIXTURES / "oddnames", "--jobs", "2")
    assert r.code == 0, r.stdout + r.stderr
    names = [tc.get("name") for tc in r.xml.iter("testcase")]
    assert names[:3] == ["test_ünïcødé", "test_日本語", "test_ñ"]
    assert "test_with space[1-2]" in names
    assert "test_quote\"'<&>" in names
    assert "test_colons::inside" in names
    # Control characters never reach the terminal or the XML raw.
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert [n for n in names if n.startswith("test_ctl")] == \
        ["test_ctlred\\x07"]
    one = pyleak(str(FIXTURES / "oddnames" / "test_odd_names.py") +
                 "::TestÉtoile::test_ñ")
    assert one.code == 0 and [tc.get("name") for tc in
                              one.xml.iter("testcase")] == ["test_ñ"]


def test_file_name_that_is_not_utf8(pyleak, tmp_path):
    d = tmp_path / "names"
    d.mkdir()
    bad = os.path.join(os.fsencode(d), b"test_\xff\xfe.py")
    with open(bad, "wb") as f:
        f.write(b"def test_ok():\n    pass\n")
    (d / "test_good.py").write_text("def test_good():\n    pass\n")
    r = pyleak(d)
    assert r.code == 1, r.stdout + r.stderr
    err = [e for e in r.xml.iter("error")]
    assert len(err) == 1 and "not valid UTF-8" in err[0].get("message")
    assert "rename the file" in err[0].get("message")
    assert outcome(r.case("test_good"))[0] == "passed"
