"""End-to-end: leaks that are not memory (temporary files, child
processes, the environment) in the console, JUnit, JSON and GitHub
outputs, from the real binary; the tests' private temporary folder, and
nothing left behind after the run."""
import json
import re
import subprocess

import pytest

from conftest import FIXTURES, outcome, props, run

FIXTURE = FIXTURES / "resources" / "test_resources.py"
LEAKS = {"test_tmp_folder_per_call": ("tmpfiles", "tmpfile",
                                      "temporary file"),
         "test_child_per_call": ("procs", "process", "child process"),
         "test_env_var_per_call": ("env", "env", "environment entr"),
         "test_task_per_call": ("objects", "asyncio-task", "object")}
CLEAN = ["test_tmp_folder_removed", "test_child_waited",
         "test_env_var_restored", "test_private_tmpdir"]
NEW_METRICS = ("procs", "tmpfiles", "tmpbytes", "env")


def sleepers():
    proc = subprocess.run(["pgrep", "-f", "plk-e2e-sleeper"],
                          capture_output=True, text=True)
    return proc.stdout.split()


@pytest.fixture(scope="module")
def resources(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resources")
    base = tmp / "tmpdir"
    base.mkdir()
    env = {"TMPDIR": str(base), "PLK_E2E_BASE": str(base),
           "GITHUB_ACTIONS": "true"}
    r = run(FIXTURE, "--json", tmp / "r.json", env=env, tmp_path=tmp)
    r.json = json.loads((tmp / "r.json").read_text())
    r.base = base
    return r


def test_verdicts_and_exit_code(resources):
    r = resources
    assert r.code == 1, r.stdout + r.stderr
    for name, (metric, _, _) in LEAKS.items():
        tc = r.case(name)
        kind, el = outcome(tc)
        assert kind == "failure" and el.get("type") == "pyleak.Leak", name
        assert props(tc)["pyleak.%s.verdict" % metric] == "leak", name
    for name in CLEAN:
        tc = r.case(name)
        assert outcome(tc)[0] == "passed", (name, r.stdout)
        for metric in NEW_METRICS:
            assert props(tc)["pyleak.%s.verdict" % metric] == "clean", (
                name, metric)


def test_json_carries_the_new_metrics(resources):
    tests = {t["name"]: t for s in resources.json["suites"]
             for t in s["tests"]}
    for name, (metric, kind, words) in LEAKS.items():
        t = tests[name]
        assert t["outcome"] == "leaked"
        assert t["metrics"][metric]["verdict"] == "leak"
        assert t["metrics"][metric]["gating"] is True
        assert t["metrics"][metric]["per_call"] > 0
        assert kind in t["kind"].split(","), t["kind"]
        assert words in t["message"], t["message"]
    for name in CLEAN:
        for metric in NEW_METRICS:
            m = tests[name]["metrics"][metric]
            assert m["verdict"] == "clean" and m["per_call"] == 0, (name, m)


def _line_of(text, path):
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1)
                if text in ln)


def test_diagnosis_names_what_was_left(resources):
    tests = {t["name"]: t for s in resources.json["suites"]
             for t in s["tests"]}
    d = tests["test_tmp_folder_per_call"]["diagnosis"]
    line = _line_of("tempfile.mkdtemp(", FIXTURE)
    assert d["location"]["line"] == line
    assert d["location"]["from"] == "tmp-create"
    assert d["tmpfiles"] and all(f["type"] == "dir" and
                                 f["path"].startswith("plk-e2e-")
                                 for f in d["tmpfiles"])
    assert d["tmpfiles"][0]["created_at"]["line"] == line
    d = tests["test_env_var_per_call"]["diagnosis"]
    line = _line_of('os.environ["PLK_E2E_', FIXTURE)
    env = [e for e in d["environment"] if e["what"] == "os.environ"]
    assert env and env[0]["count"] > 1, d["environment"]
    assert all(a.startswith("PLK_E2E_") and a.endswith("=1")
               for a in env[0]["added"])
    assert env[0]["added_at"]["line"] == line
    assert d["location"]["from"] == "env-change"
    d = tests["test_task_per_call"]["diagnosis"]
    line = _line_of("_LOOP.create_task(", FIXTURE)
    assert "asyncio-task" in d["kind"]
    assert d["location"] == dict(d["location"], line=line,
                                 **{"from": "task-create"})
    task = d["tasks"][0]
    assert task["coro"] == "_forever" and task["state"] == "pending"
    assert task["created_at"]["line"] == line
    assert "_UnixSelectorEventLoop (not running)" in task["loop"]
    assert d.get("tasks_total", len(d["tasks"])) >= len(d["tasks"]) > 1


def test_console_and_annotations(resources):
    out = resources.stdout
    for name, (_, kind, words) in LEAKS.items():
        line = next(ln for ln in out.splitlines()
                    if ln.startswith("LEAK ") and ("::" + name + " ") in ln)
        assert kind in line.split()[1].split(","), line
        assert words in line, line
        notes = [ln for ln in out.splitlines()
                 if re.match(r"::error file=[^,]+,line=\d+,title=[^:]*"
                             + re.escape(name), ln)]
        assert notes and words in notes[0], (name, out)


def test_nothing_left_behind(resources):
    # The private folders are gone, and so are the children.
    assert list(resources.base.iterdir()) == []
    assert sleepers() == []


def test_children_of_a_killed_worker_end_with_the_run(tmp_path):
    # The worker is killed by --timeout; its child, orphaned, must not
    # keep the run's output open nor outlive it.
    r = run(FIXTURES / "resources_hang", "--timeout", "3", tmp_path=tmp_path,
            timeout=120)
    assert r.code == 1, r.stdout + r.stderr
    kind, el = outcome(r.case("test_hangs_with_a_child"))
    assert kind == "error" and "timeout" in (el.get("message") or "").lower()
    assert sleepers() == []
